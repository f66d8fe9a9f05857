//! The attribute half of search: every instrument's filterable and sortable attributes in
//! arrays, and the one pass over the text matches that applies the filters, counts the
//! facets, and picks the page.
//!
//! Facet counts are disjunctive, as in every good shop search: the count shown next to
//! "Jiangsu" is how many results there would be with Jiangsu chosen and every other filter
//! kept. One pass does it: a candidate that fails no filter counts in every facet; one that
//! fails exactly one facet's filter counts in that facet only.

use std::sync::Arc;

use corridor_domain::{
    AccessPolicy, BookingMode, Fen, GeoPoint, InstitutionKind, InstrumentId, ProvinceCode,
};

use crate::{SearchDocument, SearchHit, SearchRequest, SortOrder};

const EARTH_MEAN_RADIUS_KM: f64 = 6_371.008_8;

/// Hourly-rate bands of the price facet, in the caller's user class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PriceBand {
    Under100,
    From100To300,
    From300To600,
    From600To1000,
    From1000,
}

impl PriceBand {
    pub const ALL: [PriceBand; 5] = [
        PriceBand::Under100,
        PriceBand::From100To300,
        PriceBand::From300To600,
        PriceBand::From600To1000,
        PriceBand::From1000,
    ];

    pub fn of(rate: Fen) -> PriceBand {
        match rate.0 {
            ..10_000 => PriceBand::Under100,
            10_000..30_000 => PriceBand::From100To300,
            30_000..60_000 => PriceBand::From300To600,
            60_000..100_000 => PriceBand::From600To1000,
            _ => PriceBand::From1000,
        }
    }

    pub fn as_code(self) -> &'static str {
        match self {
            PriceBand::Under100 => "under_100",
            PriceBand::From100To300 => "100_300",
            PriceBand::From300To600 => "300_600",
            PriceBand::From600To1000 => "600_1000",
            PriceBand::From1000 => "1000_plus",
        }
    }

    pub fn parse(code: &str) -> Option<PriceBand> {
        PriceBand::ALL
            .into_iter()
            .find(|band| band.as_code() == code)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Facet {
    Category,
    Province,
    City,
    InstitutionKind,
    AccessPolicy,
    BookingMode,
    PriceBand,
    TrainingRequired,
}

impl Facet {
    pub const ALL: [Facet; 8] = [
        Facet::Category,
        Facet::Province,
        Facet::City,
        Facet::InstitutionKind,
        Facet::AccessPolicy,
        Facet::BookingMode,
        Facet::PriceBand,
        Facet::TrainingRequired,
    ];

    pub fn as_code(self) -> &'static str {
        match self {
            Facet::Category => "category",
            Facet::Province => "province",
            Facet::City => "city",
            Facet::InstitutionKind => "institution_kind",
            Facet::AccessPolicy => "access_policy",
            Facet::BookingMode => "booking_mode",
            Facet::PriceBand => "price_band",
            Facet::TrainingRequired => "training_required",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// Counts per facet value, largest first; keyed in [`Facet::ALL`] order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facets {
    pub facets: Vec<(Facet, Vec<FacetCount>)>,
}

impl Facets {
    pub fn get(&self, facet: Facet) -> &[FacetCount] {
        self.facets
            .iter()
            .find(|(candidate, _)| *candidate == facet)
            .map_or(&[], |(_, counts)| counts)
    }

    pub fn count(&self, facet: Facet, value: &str) -> u64 {
        self.get(facet)
            .iter()
            .find(|count| count.value == value)
            .map_or(0, |count| count.count)
    }
}

/// The attributes of one instrument in the form the selection loop reads fastest: all in one
/// flat array, so that filtering tens of thousands of candidates never chases a pointer to a
/// document (a cache miss each) until the page is chosen.
struct Attributes {
    id: i64,
    live: bool,
    institution: i64,
    /// Hourly rates in fen: own institution, other academic, industry.
    rates: [i64; 3],
    /// Index into `Columns::city_codes`, for counting the city facet in an array.
    city_index: u16,
    class: u8,
    subclass: u16,
    province: u8,
    city: u32,
    kind: u8,
    access: u8,
    booking: u8,
    training: bool,
    /// The position on the unit sphere, for distance by dot product.
    unit: [f64; 3],
}

fn unit_vector(point: GeoPoint) -> [f64; 3] {
    let (lat, lon) = (point.lat.to_radians(), point.lon.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

fn great_circle_km_from_dot(dot: f64) -> f64 {
    dot.clamp(-1.0, 1.0).acos() * EARTH_MEAN_RADIUS_KM
}

fn province_index(province: ProvinceCode) -> u8 {
    ProvinceCode::ALL
        .iter()
        .position(|candidate| *candidate == province)
        .unwrap_or(0) as u8
}

fn code_number(code: &str) -> u16 {
    code.parse().unwrap_or(0)
}

fn attributes_of(document: &SearchDocument, city_index: u16) -> Attributes {
    Attributes {
        id: document.id.0,
        live: true,
        institution: document.institution.0,
        rates: [
            document.rates.own_institution_fen.0,
            document.rates.other_academic_fen.0,
            document.rates.industry_fen.0,
        ],
        city_index,
        class: code_number(document.category.top_level().as_str()) as u8,
        subclass: code_number(document.category.as_str()),
        province: province_index(document.province),
        city: document.city.get(),
        kind: InstitutionKind::ALL
            .iter()
            .position(|kind| *kind == document.institution_kind)
            .unwrap_or(0) as u8,
        access: AccessPolicy::ALL
            .iter()
            .position(|policy| *policy == document.access_policy)
            .unwrap_or(0) as u8,
        booking: BookingMode::ALL
            .iter()
            .position(|mode| *mode == document.booking_mode)
            .unwrap_or(0) as u8,
        training: document.training_required,
        unit: unit_vector(document.location),
    }
}

pub struct Columns {
    /// The distinct cities of the instruments, in order of first appearance.
    city_codes: Vec<u32>,
    documents: Vec<Option<Arc<SearchDocument>>>,
    attributes: Vec<Attributes>,
    /// Instrument id → position, `u32::MAX` where no live instrument has the id.
    positions_by_id: Arc<Vec<u32>>,
}

impl Columns {
    pub fn new(documents: Vec<SearchDocument>) -> Columns {
        let mut columns = Columns {
            city_codes: Vec::new(),
            documents: Vec::with_capacity(documents.len()),
            attributes: Vec::with_capacity(documents.len()),
            positions_by_id: Arc::new(Vec::new()),
        };
        for document in documents {
            columns.upsert(document);
        }
        columns
    }

    pub fn positions_by_id(&self) -> Arc<Vec<u32>> {
        self.positions_by_id.clone()
    }

    pub fn live_count(&self) -> usize {
        self.documents
            .iter()
            .filter(|document| document.is_some())
            .count()
    }

    pub fn document(&self, id: InstrumentId) -> Option<Arc<SearchDocument>> {
        let position = *self.positions_by_id.get(usize::try_from(id.0).ok()?)?;
        self.documents.get(position as usize)?.clone()
    }

    pub fn upsert(&mut self, document: SearchDocument) {
        let id = usize::try_from(document.id.0).expect("instrument ids are positive");
        let positions = Arc::make_mut(&mut self.positions_by_id);
        if positions.len() <= id {
            positions.resize(id + 1, u32::MAX);
        }
        let city = document.city.get();
        let city_index = match self.city_codes.iter().position(|code| *code == city) {
            Some(index) => index,
            None => {
                self.city_codes.push(city);
                self.city_codes.len() - 1
            }
        } as u16;
        let attributes = attributes_of(&document, city_index);
        match positions[id] {
            u32::MAX => {
                positions[id] = self.documents.len() as u32;
                self.documents.push(Some(Arc::new(document)));
                self.attributes.push(attributes);
            }
            position => {
                self.documents[position as usize] = Some(Arc::new(document));
                self.attributes[position as usize] = attributes;
            }
        }
    }

    pub fn remove(&mut self, id: InstrumentId) {
        let Ok(id) = usize::try_from(id.0) else {
            return;
        };
        let positions = Arc::make_mut(&mut self.positions_by_id);
        if let Some(position) = positions.get_mut(id) {
            if *position != u32::MAX {
                self.documents[*position as usize] = None;
                self.attributes[*position as usize].live = false;
                *position = u32::MAX;
            }
        }
    }

    /// Applies the request's filters to the candidates (all instruments when `matches` is
    /// `None`), counts the facets, and returns the total, the requested page and the facets.
    pub fn select(
        &self,
        matches: Option<&[(u32, f32)]>,
        request: &SearchRequest,
    ) -> (u64, Vec<SearchHit>, Facets) {
        let filters = &request.filters;
        let classes: Vec<u8> = filters
            .categories
            .iter()
            .filter(|code| code.is_top_level())
            .map(|code| code_number(code.as_str()) as u8)
            .collect();
        let subclasses: Vec<u16> = filters
            .categories
            .iter()
            .filter(|code| !code.is_top_level())
            .map(|code| code_number(code.as_str()))
            .collect();
        let provinces: Vec<u8> = filters
            .provinces
            .iter()
            .map(|province| province_index(*province))
            .collect();
        let cities: Vec<u32> = filters.cities.iter().map(|city| city.get()).collect();
        let kinds: Vec<u8> = filters
            .institution_kinds
            .iter()
            .map(|kind| {
                InstitutionKind::ALL
                    .iter()
                    .position(|k| k == kind)
                    .unwrap_or(0) as u8
            })
            .collect();
        let accesses: Vec<u8> = filters
            .access_policies
            .iter()
            .map(|policy| {
                AccessPolicy::ALL
                    .iter()
                    .position(|p| p == policy)
                    .unwrap_or(0) as u8
            })
            .collect();
        let bookings: Vec<u8> = filters
            .booking_modes
            .iter()
            .map(|mode| BookingMode::ALL.iter().position(|m| m == mode).unwrap_or(0) as u8)
            .collect();
        let near = filters.near.map(|(point, km)| {
            (
                unit_vector(point),
                (km / EARTH_MEAN_RADIUS_KM).min(std::f64::consts::PI).cos(),
            )
        });
        let origin = request
            .origin
            .or(filters.near.map(|(point, _)| point))
            .map(unit_vector);

        let mut class_counts = [0u64; 100];
        let mut province_counts = [0u64; 5];
        let mut city_counts = vec![0u64; self.city_codes.len()];
        let rate_index = match request.rate_basis.class {
            corridor_domain::UserClass::OwnInstitution => 0,
            corridor_domain::UserClass::OtherAcademic => 1,
            corridor_domain::UserClass::Industry => 2,
        };
        let home = request
            .rate_basis
            .home_institution
            .map(|institution| institution.0);
        let mut kind_counts = [0u64; 5];
        let mut access_counts = [0u64; 3];
        let mut booking_counts = [0u64; 2];
        let mut band_counts = [0u64; 5];
        let mut training_counts = [0u64; 2];
        let mut selected: Vec<(u32, f32, Fen, f64)> = Vec::new();

        let mut visit = |position: u32, score: f32| {
            let attributes = &self.attributes[position as usize];
            if !attributes.live {
                return;
            }
            if filters
                .institution
                .is_some_and(|institution| institution.0 != attributes.institution)
            {
                return;
            }
            let rate = Fen(if home == Some(attributes.institution) {
                attributes.rates[0]
            } else {
                attributes.rates[rate_index]
            });
            if filters
                .max_hourly_rate
                .is_some_and(|ceiling| rate > ceiling)
            {
                return;
            }
            let dot = origin.map_or(1.0, |unit| {
                unit[0] * attributes.unit[0]
                    + unit[1] * attributes.unit[1]
                    + unit[2] * attributes.unit[2]
            });
            if let Some((_, minimum_dot)) = near {
                if dot < minimum_dot {
                    return;
                }
            }
            let band = PriceBand::of(rate);
            let mut failed = 0u16;
            let category_filtered = !classes.is_empty() || !subclasses.is_empty();
            let in_category =
                classes.contains(&attributes.class) || subclasses.contains(&attributes.subclass);
            if category_filtered && !in_category {
                failed |= Facet::Category.bit();
            }
            if !provinces.is_empty() && !provinces.contains(&attributes.province) {
                failed |= Facet::Province.bit();
            }
            if !cities.is_empty() && !cities.contains(&attributes.city) {
                failed |= Facet::City.bit();
            }
            if !kinds.is_empty() && !kinds.contains(&attributes.kind) {
                failed |= Facet::InstitutionKind.bit();
            }
            if !accesses.is_empty() && !accesses.contains(&attributes.access) {
                failed |= Facet::AccessPolicy.bit();
            }
            if !bookings.is_empty() && !bookings.contains(&attributes.booking) {
                failed |= Facet::BookingMode.bit();
            }
            if !filters.price_bands.is_empty() && !filters.price_bands.contains(&band) {
                failed |= Facet::PriceBand.bit();
            }
            if filters
                .training_required
                .is_some_and(|required| required != attributes.training)
            {
                failed |= Facet::TrainingRequired.bit();
            }
            if failed.count_ones() > 1 {
                return;
            }
            // Plugged-in filters are asked last: they are the most expensive, and they need the
            // document itself.
            if !filters.extra.is_empty() {
                let Some(document) = &self.documents[position as usize] else {
                    return;
                };
                if !filters.extra.iter().all(|filter| filter.admits(document)) {
                    return;
                }
            }
            let counts = |facet: Facet| failed == 0 || failed == facet.bit();
            if counts(Facet::Category) {
                class_counts[attributes.class as usize % 100] += 1;
            }
            if counts(Facet::Province) {
                province_counts[attributes.province as usize] += 1;
            }
            if counts(Facet::City) {
                city_counts[attributes.city_index as usize] += 1;
            }
            if counts(Facet::InstitutionKind) {
                kind_counts[attributes.kind as usize] += 1;
            }
            if counts(Facet::AccessPolicy) {
                access_counts[attributes.access as usize] += 1;
            }
            if counts(Facet::BookingMode) {
                booking_counts[attributes.booking as usize] += 1;
            }
            if counts(Facet::PriceBand) {
                band_counts[band as usize] += 1;
            }
            if counts(Facet::TrainingRequired) {
                training_counts[usize::from(attributes.training)] += 1;
            }
            if failed == 0 {
                selected.push((position, score, rate, dot));
            }
        };
        match matches {
            Some(matches) => matches
                .iter()
                .for_each(|&(position, score)| visit(position, score)),
            None => (0..self.documents.len() as u32).for_each(|position| visit(position, 0.0)),
        }

        let total = selected.len() as u64;
        let id_of = |position: u32| self.attributes[position as usize].id;
        let order = |a: &(u32, f32, Fen, f64), b: &(u32, f32, Fen, f64)| {
            let primary = match request.sort {
                SortOrder::Relevance => b.1.total_cmp(&a.1),
                SortOrder::PriceAscending => a.2.cmp(&b.2),
                SortOrder::PriceDescending => b.2.cmp(&a.2),
                // A larger dot product is a shorter distance.
                SortOrder::Distance => b.3.total_cmp(&a.3),
            };
            primary.then_with(|| id_of(a.0).cmp(&id_of(b.0)))
        };
        let end = (request.offset + request.limit).min(selected.len());
        if end > 0 && end < selected.len() {
            selected.select_nth_unstable_by(end - 1, order);
            selected.truncate(end);
        }
        selected.sort_by(order);
        let hits = selected
            .into_iter()
            .skip(request.offset)
            .filter_map(|(position, score, rate, dot)| {
                Some(SearchHit {
                    document: self.documents[position as usize].clone()?,
                    score,
                    hourly_rate: rate,
                    distance_km: origin.map(|_| great_circle_km_from_dot(dot)),
                })
            })
            .collect();

        let ranked = |counts: Vec<(String, u64)>| {
            let mut counts: Vec<FacetCount> = counts
                .into_iter()
                .filter(|(_, count)| *count > 0)
                .map(|(value, count)| FacetCount { value, count })
                .collect();
            counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            counts
        };
        let facets = Facets {
            facets: vec![
                (
                    Facet::Category,
                    ranked(
                        class_counts
                            .iter()
                            .enumerate()
                            .map(|(class, count)| (format!("{class:02}"), *count))
                            .collect(),
                    ),
                ),
                (
                    Facet::Province,
                    ranked(
                        ProvinceCode::ALL
                            .iter()
                            .zip(province_counts)
                            .map(|(province, count)| (province.as_code().to_owned(), count))
                            .collect(),
                    ),
                ),
                (
                    Facet::City,
                    ranked(
                        self.city_codes
                            .iter()
                            .zip(city_counts)
                            .map(|(city, count)| (city.to_string(), count))
                            .collect(),
                    ),
                ),
                (
                    Facet::InstitutionKind,
                    ranked(
                        InstitutionKind::ALL
                            .iter()
                            .zip(kind_counts)
                            .map(|(kind, count)| (kind.as_code().to_owned(), count))
                            .collect(),
                    ),
                ),
                (
                    Facet::AccessPolicy,
                    ranked(
                        AccessPolicy::ALL
                            .iter()
                            .zip(access_counts)
                            .map(|(policy, count)| (policy.as_code().to_owned(), count))
                            .collect(),
                    ),
                ),
                (
                    Facet::BookingMode,
                    ranked(
                        BookingMode::ALL
                            .iter()
                            .zip(booking_counts)
                            .map(|(mode, count)| (mode.as_code().to_owned(), count))
                            .collect(),
                    ),
                ),
                (
                    Facet::PriceBand,
                    ranked(
                        PriceBand::ALL
                            .iter()
                            .zip(band_counts)
                            .map(|(band, count)| (band.as_code().to_owned(), count))
                            .collect(),
                    ),
                ),
                (
                    Facet::TrainingRequired,
                    ranked(vec![
                        ("false".to_owned(), training_counts[0]),
                        ("true".to_owned(), training_counts[1]),
                    ]),
                ),
            ],
        };
        (total, hits, facets)
    }
}
