//! The attribute half of search: every instrument's filterable and sortable attributes in
//! arrays, and the one pass over the text matches that applies the filters, counts the
//! facets, and picks the page.
//!
//! Facet counts are disjunctive, as in every good shop search: the count shown next to
//! "Jiangsu" is how many results there would be with Jiangsu chosen and every other filter
//! kept. One pass does it: a candidate that fails no filter counts in every facet; one that
//! fails exactly one facet's filter counts in that facet only.

use std::sync::Arc;

use jiff::Timestamp;

use corridor_domain::{
    AccessPolicy, BookingMode, CityCode, Fen, GeoPoint, InstitutionKind, InstrumentId, ProvinceCode,
};

use crate::groups::{GroupKeys, GroupTally, Grouping, SearchGroup};
use crate::page::{totally_ordered_f32, totally_ordered_f64, PageCandidate, PageSelection};
use crate::{Admission, SearchDocument, SearchHit, SearchRequest, SortOrder};

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

/// The attributes of one instrument that the selection loop reads for every candidate, in one
/// flat array so that filtering tens of thousands of candidates never chases a pointer to a
/// document until the page is chosen. Profiling showed the loop waiting on memory, not on
/// arithmetic, so the record is packed into 40 bytes: what only some queries read (the id for
/// tie-breaks, the point on the sphere for distance) lives in arrays of its own, and cities and
/// institutions are small indexes instead of codes.
#[derive(Debug, Clone, Copy)]
struct Attributes {
    /// Hourly rates in fen: own institution, other academic, industry.
    rates: [i64; 3],
    /// Index into `Columns::institution_ids`.
    institution_index: u32,
    /// Index into `Columns::city_codes`, for filtering and counting the city facet in an array.
    city_index: u16,
    subclass: u16,
    class: u8,
    province: u8,
    kind: u8,
    access: u8,
    booking: u8,
    training: bool,
    live: bool,
}

/// How many candidates ahead the selection loop asks the processor to fetch attributes: far
/// enough to cover a miss to the last-level cache, near enough to stay in the first level.
const PREFETCH_DISTANCE: usize = 12;

/// Asks the processor to start loading the cache lines of `value` without waiting for them.
#[inline(always)]
fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        let start = (value as *const T).cast::<i8>();
        // A record may straddle two cache lines; ask for both.
        let end = start.wrapping_add(std::mem::size_of::<T>() - 1);
        // SAFETY: prefetching is a hint that never faults, whatever the address.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(start);
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(end);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
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

fn attributes_of(document: &SearchDocument, city_index: u16, institution_index: u32) -> Attributes {
    Attributes {
        live: true,
        institution_index,
        rates: [
            document.rates.own_institution_fen.0,
            document.rates.other_academic_fen.0,
            document.rates.industry_fen.0,
        ],
        city_index,
        class: code_number(document.category.top_level().as_str()) as u8,
        subclass: code_number(document.category.as_str()),
        province: province_index(document.province),
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
    }
}

/// What one pass answers: the number of matches after the filters, the page, the facets,
/// and when grouped, the page's groups (one per hit) and how many groups there are.
pub struct Selection {
    pub total: u64,
    pub hits: Vec<SearchHit>,
    pub facets: Facets,
    pub groups: Vec<SearchGroup>,
    pub total_groups: u64,
}

pub struct Columns {
    /// The distinct cities of the instruments, in order of first appearance.
    city_codes: Vec<u32>,
    /// Institution ids in order of first appearance; `institution_indexes` is the inverse.
    institution_ids: Vec<i64>,
    institution_indexes: std::collections::HashMap<i64, u32>,
    documents: Vec<Option<Arc<SearchDocument>>>,
    attributes: Vec<Attributes>,
    /// Instrument ids by position, for the tie-break of equal sort keys.
    ids: Vec<i64>,
    /// Positions on the unit sphere, for distance by dot product.
    units: Vec<[f64; 3]>,
    /// Instrument id → position, `u32::MAX` where no live instrument has the id.
    positions_by_id: Arc<Vec<u32>>,
    /// By position: the instrument's kind and model (see `groups.rs`).
    kind_of: Vec<u32>,
    model_of: Vec<u32>,
    kinds: GroupKeys,
    models: GroupKeys,
}

impl Columns {
    pub fn new(documents: Vec<SearchDocument>) -> Columns {
        let mut columns = Columns {
            city_codes: Vec::new(),
            institution_ids: Vec::new(),
            institution_indexes: std::collections::HashMap::new(),
            documents: Vec::with_capacity(documents.len()),
            attributes: Vec::with_capacity(documents.len()),
            ids: Vec::with_capacity(documents.len()),
            units: Vec::with_capacity(documents.len()),
            positions_by_id: Arc::new(Vec::new()),
            kind_of: Vec::with_capacity(documents.len()),
            model_of: Vec::with_capacity(documents.len()),
            kinds: GroupKeys::default(),
            models: GroupKeys::default(),
        };
        for document in documents {
            columns.upsert(document);
        }
        columns
    }

    /// The position of the live instrument with this id.
    pub fn position_of(&self, id: u64) -> Option<u32> {
        self.positions_by_id
            .get(usize::try_from(id).ok()?)
            .copied()
            .filter(|position| *position != u32::MAX)
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
        let next_institution_index = self.institution_ids.len() as u32;
        let institution_index = *self
            .institution_indexes
            .entry(document.institution.0)
            .or_insert(next_institution_index);
        if institution_index == next_institution_index {
            self.institution_ids.push(document.institution.0);
        }
        let attributes = attributes_of(&document, city_index, institution_index);
        let unit = unit_vector(document.location);
        let kind_key = kind_key(&document);
        let model = self.models.intern(format!(
            "{kind_key}|{}",
            crate::text::model_key(&document.model)
        ));
        let kind = self.kinds.intern(kind_key);
        match positions[id] {
            u32::MAX => {
                positions[id] = self.documents.len() as u32;
                self.documents.push(Some(Arc::new(document)));
                self.attributes.push(attributes);
                self.ids.push(id as i64);
                self.units.push(unit);
                self.kind_of.push(kind);
                self.model_of.push(model);
            }
            position => {
                self.documents[position as usize] = Some(Arc::new(document));
                self.attributes[position as usize] = attributes;
                self.units[position as usize] = unit;
                self.kind_of[position as usize] = kind;
                self.model_of[position as usize] = model;
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
    pub fn select(&self, matches: Option<&[(u32, f32)]>, request: &SearchRequest) -> Selection {
        let filters = &request.filters;
        // Each filter becomes the set of values it lets through, so that the loop below asks
        // one bit per attribute instead of scanning the filter's list for every candidate.
        let category = (!filters.categories.is_empty()).then(|| {
            let mut classes = ValueSet::with_capacity(100);
            let mut subclasses = ValueSet::with_capacity(10_000);
            for code in &filters.categories {
                if code.is_top_level() {
                    classes.insert(usize::from(code_number(code.as_str())));
                } else {
                    subclasses.insert(usize::from(code_number(code.as_str())));
                }
            }
            (classes, subclasses)
        });
        let provinces = ValueSet::filter(
            filters
                .provinces
                .iter()
                .map(|province| usize::from(province_index(*province))),
        );
        // Cities no instrument is in have no index; the filter stays on and they match nothing.
        let cities = ValueSet::filter(filters.cities.iter().map(|city| {
            self.city_codes
                .iter()
                .position(|code| *code == city.get())
                .unwrap_or(usize::MAX)
        }));
        let kinds = ValueSet::filter(filters.institution_kinds.iter().map(|kind| {
            InstitutionKind::ALL
                .iter()
                .position(|k| k == kind)
                .unwrap_or(0)
        }));
        let accesses = ValueSet::filter(filters.access_policies.iter().map(|policy| {
            AccessPolicy::ALL
                .iter()
                .position(|p| p == policy)
                .unwrap_or(0)
        }));
        let bookings = ValueSet::filter(
            filters
                .booking_modes
                .iter()
                .map(|mode| BookingMode::ALL.iter().position(|m| m == mode).unwrap_or(0)),
        );
        let bands = ValueSet::filter(filters.price_bands.iter().map(|band| *band as usize));
        // An institution with no instruments has no index: nothing can match it.
        let institution_index = filters.institution.map(|institution| {
            self.institution_indexes
                .get(&institution.0)
                .copied()
                .unwrap_or(u32::MAX)
        });
        // A key no instrument has matches nothing, like an unknown institution.
        let kind_filter = filters.kind.as_deref().map(|key| {
            self.kinds
                .index_of(key)
                .or_else(|| self.models.index_of(key).map(|model| model | MODEL_BIT))
                .unwrap_or(u32::MAX)
        });
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
        let home_index = request
            .rate_basis
            .home_institution
            .and_then(|institution| self.institution_indexes.get(&institution.0).copied());
        let mut kind_counts = [0u64; 5];
        let mut access_counts = [0u64; 3];
        let mut booking_counts = [0u64; 2];
        let mut band_counts = [0u64; 5];
        let mut training_counts = [0u64; 2];
        let mut total = 0u64;
        let page_end = request.offset + request.limit;
        let mut page = PageSelection::new(page_end);
        let group_of: Option<&[u32]> = match request.grouping {
            Grouping::Flat => None,
            Grouping::Kind => Some(&self.kind_of),
            Grouping::Model => Some(&self.model_of),
        };
        let mut tallies: Vec<Option<GroupTally<PageCandidate>>> = match request.grouping {
            Grouping::Flat => Vec::new(),
            Grouping::Kind => (0..self.kinds.len()).map(|_| None).collect(),
            Grouping::Model => (0..self.models.len()).map(|_| None).collect(),
        };

        let mut visit = |position: u32, score: f32| {
            let attributes = &self.attributes[position as usize];
            if !attributes.live {
                return;
            }
            if institution_index.is_some_and(|index| index != attributes.institution_index) {
                return;
            }
            if let Some(wanted) = kind_filter {
                let matches = if wanted & MODEL_BIT != 0 {
                    self.model_of[position as usize] == wanted & !MODEL_BIT
                } else {
                    self.kind_of[position as usize] == wanted
                };
                if !matches {
                    return;
                }
            }
            let rate = Fen(if home_index == Some(attributes.institution_index) {
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
                let point = &self.units[position as usize];
                unit[0] * point[0] + unit[1] * point[1] + unit[2] * point[2]
            });
            if let Some((_, minimum_dot)) = near {
                if dot < minimum_dot {
                    return;
                }
            }
            let band = PriceBand::of(rate);
            let mut failed = 0u16;
            if category.as_ref().is_some_and(|(classes, subclasses)| {
                !classes.contains(usize::from(attributes.class))
                    && !subclasses.contains(usize::from(attributes.subclass))
            }) {
                failed |= Facet::Category.bit();
            }
            if provinces.excludes(usize::from(attributes.province)) {
                failed |= Facet::Province.bit();
            }
            if cities.excludes(usize::from(attributes.city_index)) {
                failed |= Facet::City.bit();
            }
            if kinds.excludes(usize::from(attributes.kind)) {
                failed |= Facet::InstitutionKind.bit();
            }
            if accesses.excludes(usize::from(attributes.access)) {
                failed |= Facet::AccessPolicy.bit();
            }
            if bookings.excludes(usize::from(attributes.booking)) {
                failed |= Facet::BookingMode.bit();
            }
            if bands.excludes(band as usize) {
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
            let mut free_from = None;
            if !filters.extra.is_empty() {
                let Some(document) = &self.documents[position as usize] else {
                    return;
                };
                for filter in &filters.extra {
                    match filter.admit(document) {
                        Admission::Refused => return,
                        Admission::Admitted => {}
                        Admission::FreeFrom(start) => {
                            free_from =
                                Some(free_from.map_or(start, |known: Timestamp| known.min(start)));
                        }
                    }
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
                total += 1;
                let primary = match request.sort {
                    SortOrder::Relevance => !totally_ordered_f32(score),
                    SortOrder::PriceAscending => rate.0,
                    SortOrder::PriceDescending => !rate.0,
                    // A larger dot product is a shorter distance.
                    SortOrder::Distance => !totally_ordered_f64(dot),
                };
                let candidate = PageCandidate {
                    key: (primary, self.ids[position as usize]),
                    position,
                    score,
                    rate,
                    dot,
                    free_from,
                };
                match group_of {
                    None => page.offer(candidate),
                    Some(group_of) => {
                        let tally = tallies[group_of[position as usize] as usize]
                            .get_or_insert_with(|| GroupTally::new(candidate, rate));
                        if candidate.key < tally.best.key {
                            tally.best = candidate;
                        }
                        tally.count(
                            attributes.institution_index,
                            u32::from(attributes.city_index),
                            rate,
                            position,
                            dot,
                        );
                        tally.free_from(free_from);
                    }
                }
            }
        };
        match matches {
            Some(matches) => {
                for (index, &(position, score)) in matches.iter().enumerate() {
                    if let Some(&(ahead, _)) = matches.get(index + PREFETCH_DISTANCE) {
                        prefetch(&self.attributes[ahead as usize]);
                        if origin.is_some() {
                            prefetch(&self.units[ahead as usize]);
                        }
                    }
                    visit(position, score);
                }
            }
            None => (0..self.documents.len() as u32).for_each(|position| visit(position, 0.0)),
        }

        let hit_of = |candidate: &PageCandidate| {
            let document = self.documents[candidate.position as usize].clone()?;
            Some(SearchHit {
                earliest_free: candidate.free_from,
                document,
                score: candidate.score,
                hourly_rate: candidate.rate,
                distance_km: origin.map(|_| great_circle_km_from_dot(candidate.dot)),
            })
        };
        let (hits, groups, total_groups) = if group_of.is_none() {
            let hits = page
                .into_best_first()
                .iter()
                .skip(request.offset)
                .filter_map(hit_of)
                .collect();
            (hits, Vec::new(), 0)
        } else {
            let keys = if request.grouping == Grouping::Model {
                &self.models
            } else {
                &self.kinds
            };
            let mut tallies: Vec<(u32, GroupTally<PageCandidate>)> = tallies
                .into_iter()
                .enumerate()
                .filter_map(|(index, tally)| Some((index as u32, tally?)))
                .collect();
            let total_groups = tallies.len() as u64;
            tallies.sort_unstable_by_key(|(_, tally)| tally.best.key);
            let mut hits = Vec::new();
            let mut groups = Vec::new();
            for (index, tally) in tallies.iter_mut().skip(request.offset).take(request.limit) {
                tally.distinct();
                let Some(hit) = hit_of(&tally.best) else {
                    continue;
                };
                let key = keys.key(*index).to_owned();
                groups.push(SearchGroup {
                    model: (request.grouping == Grouping::Model)
                        .then(|| hit.document.model.clone()),
                    key,
                    instruments: tally.instruments,
                    institutions: tally.institutions.len() as u64,
                    cities: tally
                        .cities
                        .iter()
                        .map(|city| CityCode::new(self.city_codes[*city as usize]))
                        .filter_map(Result::ok)
                        .collect(),
                    lowest_rate: tally.lowest_rate,
                    highest_rate: tally.highest_rate,
                    earliest_free: tally.earliest_free,
                    nearest: origin.and(tally.nearest).map(|(position, dot)| {
                        (
                            InstrumentId(self.ids[position as usize]),
                            great_circle_km_from_dot(dot),
                        )
                    }),
                });
                hits.push(hit);
            }
            (hits, groups, total_groups)
        };

        let facets = Facets {
            facets: vec![
                (
                    Facet::Category,
                    ranked(class_counts.into_iter().enumerate(), |class| {
                        format!("{class:02}")
                    }),
                ),
                (
                    Facet::Province,
                    ranked(ProvinceCode::ALL.iter().zip(province_counts), |province| {
                        province.as_code().to_owned()
                    }),
                ),
                (
                    Facet::City,
                    ranked(self.city_codes.iter().zip(city_counts), |city| {
                        city.to_string()
                    }),
                ),
                (
                    Facet::InstitutionKind,
                    ranked(InstitutionKind::ALL.iter().zip(kind_counts), |kind| {
                        kind.as_code().to_owned()
                    }),
                ),
                (
                    Facet::AccessPolicy,
                    ranked(AccessPolicy::ALL.iter().zip(access_counts), |policy| {
                        policy.as_code().to_owned()
                    }),
                ),
                (
                    Facet::BookingMode,
                    ranked(BookingMode::ALL.iter().zip(booking_counts), |mode| {
                        mode.as_code().to_owned()
                    }),
                ),
                (
                    Facet::PriceBand,
                    ranked(PriceBand::ALL.iter().zip(band_counts), |band| {
                        band.as_code().to_owned()
                    }),
                ),
                (
                    Facet::TrainingRequired,
                    ranked([false, true].into_iter().zip(training_counts), |required| {
                        required.to_string()
                    }),
                ),
            ],
        };
        Selection {
            total,
            hits,
            facets,
            groups,
            total_groups,
        }
    }
}

/// Marks a model's index in the kind filter (kinds and models are numbered apart).
const MODEL_BIT: u32 = 1 << 31;

/// An instrument's kind: its English name as an exact-name key, or its Chinese one where it
/// has no English name.
fn kind_key(document: &SearchDocument) -> String {
    let english = crate::text::exact_key(&document.name_en);
    if english.is_empty() {
        crate::text::exact_key(&document.name_zh)
    } else {
        english
    }
}

/// A facet's non-zero counts, largest first, ties by value; the values are only named (an
/// allocation each) once a zero count has been dropped.
fn ranked<V>(
    counts: impl Iterator<Item = (V, u64)>,
    name: impl Fn(V) -> String,
) -> Vec<FacetCount> {
    let mut counts: Vec<FacetCount> = counts
        .filter(|(_, count)| *count > 0)
        .map(|(value, count)| FacetCount {
            value: name(value),
            count,
        })
        .collect();
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    counts
}

/// A set of small non-negative integers (attribute values) as bits.
#[derive(Debug, Clone, Default)]
struct ValueSet {
    words: Vec<u64>,
}

impl ValueSet {
    fn with_capacity(values: usize) -> ValueSet {
        ValueSet {
            words: vec![0; values.div_ceil(64)],
        }
    }

    /// The set of a filter's values, or `None` when the filter is off (it names no value).
    /// A value too large to be any instrument's (an unknown city) is left out: it can match
    /// nothing, but the filter stays on.
    fn filter(values: impl Iterator<Item = usize>) -> Option<ValueSet> {
        let mut set = ValueSet::default();
        let mut any = false;
        for value in values {
            any = true;
            if value < 1 << 20 {
                set.insert(value);
            }
        }
        any.then_some(set)
    }

    fn insert(&mut self, value: usize) {
        let word = value / 64;
        if self.words.len() <= word {
            self.words.resize(word + 1, 0);
        }
        self.words[word] |= 1 << (value % 64);
    }

    fn contains(&self, value: usize) -> bool {
        self.words
            .get(value / 64)
            .is_some_and(|word| word & (1 << (value % 64)) != 0)
    }
}

/// What the selection loop asks of a filter that may be off.
trait ExcludesValue {
    /// True when the filter is on and does not let `value` through.
    fn excludes(&self, value: usize) -> bool;
}

impl ExcludesValue for Option<ValueSet> {
    fn excludes(&self, value: usize) -> bool {
        self.as_ref().is_some_and(|set| !set.contains(value))
    }
}
