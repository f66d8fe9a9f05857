//! Regional analytics over a year of bookings: who uses whose instruments, from where, how
//! much, and which expensive instruments stand idle.
//!
//! The store hands over flat rows once ([`BookingFactRow`], [`InstrumentFact`],
//! [`InstitutionFact`]); [`AnalyticsFacts::build`] turns them into columns sorted by start
//! time, with every dimension (province, city, kind, sector, category) resolved to a small
//! index. Each dashboard question is then one pass over the bookings of its period: a binary
//! search finds the period's slice, and the pass adds into dense arrays. Over the demo region's
//! 1.1 million bookings a pass takes milliseconds, which is why the figures are computed per
//! request rather than kept in pre-aggregated tables that every booking change would have to
//! maintain.
//!
//! Which bookings count: those that used or will use the instrument, confirmed or completed.
//! Hours are the recorded usage where there is one and the booked time otherwise; fees are the
//! charge where usage was recorded and the quoted price otherwise.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use serde::Serialize;

use crate::{
    CategoryCode, CityCode, Fen, InstitutionId, InstitutionKind, InstrumentId, ProvinceCode,
    Sector, UserId,
};

/// One booking as the store reads it for analytics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingFactRow {
    pub instrument: InstrumentId,
    pub user: UserId,
    /// The booking user's home institution: where the demand comes from.
    pub home_institution: InstitutionId,
    pub starts_at: Timestamp,
    /// Minutes used (recorded usage) or booked (no usage yet).
    pub minutes: i64,
    /// The charge for recorded usage, or the quoted price.
    pub fee: Fen,
}

/// An instrument as analytics needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentFact {
    pub id: InstrumentId,
    pub institution: InstitutionId,
    pub category: CategoryCode,
    pub city: CityCode,
    pub province: ProvinceCode,
    pub purchase_value: Fen,
    pub open_minutes_per_week: u32,
}

/// An institution as analytics needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstitutionFact {
    pub id: InstitutionId,
    pub kind: InstitutionKind,
    pub sector: Sector,
    pub city: CityCode,
    pub province: ProvinceCode,
}

/// A half-open period `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Timestamp,
    pub to: Timestamp,
}

impl Period {
    pub fn days(&self) -> f64 {
        self.to.duration_since(self.from).as_secs_f64() / 86_400.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnalyticsError {
    #[error("booking of instrument {0} refers to an instrument the facts do not hold")]
    UnknownInstrument(i64),
    #[error("a fact refers to institution {0}, which the facts do not hold")]
    UnknownInstitution(i64),
    #[error("user id {0} is beyond what analytics indexes (0 to 2^32 - 1)")]
    UserOutOfRange(i64),
    #[error("a period must end after it starts")]
    EmptyPeriod,
}

/// The columns. Index types are the smallest that hold the demo region several times over.
#[derive(Debug, Clone)]
pub struct AnalyticsFacts {
    instruments: Vec<InstrumentFact>,
    /// Per instrument: category index (top level) and city index.
    instrument_category: Vec<u16>,
    instrument_city: Vec<u16>,
    institutions: Vec<InstitutionFact>,
    institution_city: Vec<u16>,
    institution_sector: Vec<u8>,
    cities: Vec<(CityCode, ProvinceCode)>,
    categories: Vec<CategoryCode>,
    // Bookings, sorted by start.
    starts_micros: Vec<i64>,
    booking_instrument: Vec<u32>,
    booking_user: Vec<u32>,
    booking_home: Vec<u32>,
    booking_minutes: Vec<u32>,
    booking_fee: Vec<i64>,
    largest_user: u32,
}

fn province_index(province: ProvinceCode) -> usize {
    ProvinceCode::ALL
        .iter()
        .position(|candidate| *candidate == province)
        .expect("ALL lists every province")
}

fn sector_index(sector: Sector) -> usize {
    Sector::ALL
        .iter()
        .position(|candidate| *candidate == sector)
        .expect("ALL lists every sector")
}

fn kind_index(kind: InstitutionKind) -> usize {
    InstitutionKind::ALL
        .iter()
        .position(|candidate| *candidate == kind)
        .expect("ALL lists every kind")
}

/// Users, bookings, hours and fees of one group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct UsageTotals {
    pub users: u64,
    pub bookings: u64,
    pub hours: f64,
    pub fees: Fen,
}

/// One row of a usage breakdown: a group's code and its totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageRow {
    pub key: String,
    #[serde(flatten)]
    pub totals: UsageTotals,
}

/// Where the users of some instruments come from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OriginUsage {
    pub total: UsageTotals,
    /// Per home province (province codes), every province listed.
    pub by_province: Vec<UsageRow>,
    /// Per home institution kind.
    pub by_institution_kind: Vec<UsageRow>,
    /// Per home institution sector.
    pub by_sector: Vec<UsageRow>,
    /// The share of distinct users whose home is in the region, 0 to 1.
    pub region_user_share: f64,
    /// The share of hours booked by users from the region, 0 to 1.
    pub region_hour_share: f64,
}

/// Which instruments a usage breakdown covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderScope {
    pub province: Option<ProvinceCode>,
    pub institution: Option<InstitutionId>,
    /// A top-level (two digits) or sub-category code.
    pub category: Option<CategoryCode>,
}

/// Province-to-province or city-to-city flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowLevel {
    Province,
    City,
}

/// Bookings, hours and fees from users of `origin` at providers in `provider`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlowCell {
    pub origin: String,
    pub provider: String,
    pub bookings: u64,
    pub hours: f64,
    pub fees: Fen,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlowMatrix {
    pub level: FlowLevel,
    /// Non-empty cells, origin then provider in code order.
    pub cells: Vec<FlowCell>,
    /// The share of hours that crossed a border of the level (another province or city).
    pub crossing_hour_share: f64,
}

/// How instruments are grouped for utilisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UtilisationGroup {
    Category,
    Institution,
    City,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UtilisationRow {
    pub key: String,
    pub instruments: u64,
    pub booked_hours: f64,
    pub open_hours: f64,
    /// Booked over open hours, 0 when the group has no open hours.
    pub utilisation: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdleInstrument {
    pub instrument: InstrumentId,
    pub institution: InstitutionId,
    pub category: CategoryCode,
    pub province: ProvinceCode,
    pub purchase_value: Fen,
    pub booked_hours: f64,
    pub open_hours: f64,
    pub utilisation: f64,
}

impl AnalyticsFacts {
    /// Resolves every dimension and sorts the bookings by start. Bookings of instruments or
    /// institutions the facts lack are an error: the store reads all of them in one snapshot.
    pub fn build(
        instruments: Vec<InstrumentFact>,
        institutions: Vec<InstitutionFact>,
        mut bookings: Vec<BookingFactRow>,
    ) -> Result<AnalyticsFacts, AnalyticsError> {
        let mut cities: Vec<(CityCode, ProvinceCode)> = institutions
            .iter()
            .map(|institution| (institution.city, institution.province))
            .chain(
                instruments
                    .iter()
                    .map(|instrument| (instrument.city, instrument.province)),
            )
            .collect();
        cities.sort_by_key(|(code, _)| code.get());
        cities.dedup_by_key(|(code, _)| code.get());
        let city_index: HashMap<u32, u16> = cities
            .iter()
            .enumerate()
            .map(|(index, (code, _))| (code.get(), index as u16))
            .collect();
        let institution_index: HashMap<i64, u32> = institutions
            .iter()
            .enumerate()
            .map(|(index, institution)| (institution.id.0, index as u32))
            .collect();
        let mut categories: Vec<CategoryCode> = instruments
            .iter()
            .map(|instrument| instrument.category.top_level())
            .collect();
        categories.sort();
        categories.dedup();
        let category_index: HashMap<CategoryCode, u16> = categories
            .iter()
            .enumerate()
            .map(|(index, code)| (code.clone(), index as u16))
            .collect();
        let instrument_index: HashMap<i64, u32> = instruments
            .iter()
            .enumerate()
            .map(|(index, instrument)| (instrument.id.0, index as u32))
            .collect();
        if let Some(orphan) = instruments
            .iter()
            .find(|instrument| !institution_index.contains_key(&instrument.institution.0))
        {
            return Err(AnalyticsError::UnknownInstitution(orphan.institution.0));
        }
        let instrument_category = instruments
            .iter()
            .map(|instrument| category_index[&instrument.category.top_level()])
            .collect();
        let instrument_city = instruments
            .iter()
            .map(|instrument| city_index[&instrument.city.get()])
            .collect();
        let institution_city = institutions
            .iter()
            .map(|institution| city_index[&institution.city.get()])
            .collect();
        let institution_sector = institutions
            .iter()
            .map(|institution| sector_index(institution.sector) as u8)
            .collect();

        bookings.sort_by_key(|booking| booking.starts_at);
        let count = bookings.len();
        let mut facts = AnalyticsFacts {
            instrument_category,
            instrument_city,
            institution_city,
            institution_sector,
            cities,
            categories,
            starts_micros: Vec::with_capacity(count),
            booking_instrument: Vec::with_capacity(count),
            booking_user: Vec::with_capacity(count),
            booking_home: Vec::with_capacity(count),
            booking_minutes: Vec::with_capacity(count),
            booking_fee: Vec::with_capacity(count),
            largest_user: 0,
            instruments,
            institutions,
        };
        for booking in bookings {
            let instrument = *instrument_index
                .get(&booking.instrument.0)
                .ok_or(AnalyticsError::UnknownInstrument(booking.instrument.0))?;
            let home = *institution_index.get(&booking.home_institution.0).ok_or(
                AnalyticsError::UnknownInstitution(booking.home_institution.0),
            )?;
            facts.starts_micros.push(booking.starts_at.as_microsecond());
            facts.booking_instrument.push(instrument);
            let user = u32::try_from(booking.user.0)
                .map_err(|_| AnalyticsError::UserOutOfRange(booking.user.0))?;
            facts.largest_user = facts.largest_user.max(user);
            facts.booking_user.push(user);
            facts.booking_home.push(home);
            facts
                .booking_minutes
                .push(booking.minutes.clamp(0, i64::from(u32::MAX)) as u32);
            facts.booking_fee.push(booking.fee.0);
        }
        Ok(facts)
    }

    pub fn booking_count(&self) -> usize {
        self.starts_micros.len()
    }

    /// The index range of the bookings that start within `period`.
    fn slice_of(&self, period: Period) -> Result<std::ops::Range<usize>, AnalyticsError> {
        if period.to <= period.from {
            return Err(AnalyticsError::EmptyPeriod);
        }
        let from = period.from.as_microsecond();
        let to = period.to.as_microsecond();
        let start = self.starts_micros.partition_point(|start| *start < from);
        let end = self.starts_micros.partition_point(|start| *start < to);
        Ok(start..end)
    }

    fn instrument_in_scope(&self, instrument: usize, scope: &ProviderScope) -> bool {
        let fact = &self.instruments[instrument];
        scope
            .province
            .is_none_or(|province| fact.province == province)
            && scope
                .institution
                .is_none_or(|institution| fact.institution == institution)
            && scope.category.as_ref().is_none_or(|category| {
                fact.category == *category || fact.category.top_level() == *category
            })
    }

    /// Where the users of the instruments in `scope` come from during `period`.
    pub fn usage_by_origin(
        &self,
        period: Period,
        scope: &ProviderScope,
    ) -> Result<OriginUsage, AnalyticsError> {
        let range = self.slice_of(period)?;
        let scoped = *scope != ProviderScope::default();
        let in_scope: Vec<bool> = if scoped {
            (0..self.instruments.len())
                .map(|instrument| self.instrument_in_scope(instrument, scope))
                .collect()
        } else {
            Vec::new()
        };
        let provinces = ProvinceCode::ALL.len();
        let kinds = InstitutionKind::ALL.len();
        let sectors = Sector::ALL.len();
        let fresh = Accumulator::new(self.largest_user);
        let mut by_province = vec![fresh.clone(); provinces];
        let mut by_kind = vec![fresh.clone(); kinds];
        let mut by_sector = vec![fresh.clone(); sectors];
        let mut total = fresh;
        for booking in range {
            let instrument = self.booking_instrument[booking] as usize;
            if scoped && !in_scope[instrument] {
                continue;
            }
            let home = &self.institutions[self.booking_home[booking] as usize];
            let minutes = u64::from(self.booking_minutes[booking]);
            let fee = self.booking_fee[booking];
            let user = self.booking_user[booking];
            for accumulator in [
                &mut by_province[province_index(home.province)],
                &mut by_kind[kind_index(home.kind)],
                &mut by_sector
                    [self.institution_sector[self.booking_home[booking] as usize] as usize],
                &mut total,
            ] {
                accumulator.add(user, minutes, fee);
            }
        }
        let region_users: u64 = ProvinceCode::ALL
            .iter()
            .zip(&by_province)
            .filter(|(province, _)| province.is_in_region())
            .map(|(_, accumulator)| accumulator.distinct_users())
            .sum();
        let region_minutes: u64 = ProvinceCode::ALL
            .iter()
            .zip(&by_province)
            .filter(|(province, _)| province.is_in_region())
            .map(|(_, accumulator)| accumulator.minutes)
            .sum();
        let total = total.finish();
        let rows = |accumulators: Vec<Accumulator>, key: &dyn Fn(usize) -> String| {
            accumulators
                .into_iter()
                .enumerate()
                .map(|(index, accumulator)| UsageRow {
                    key: key(index),
                    totals: accumulator.finish(),
                })
                .collect::<Vec<_>>()
        };
        Ok(OriginUsage {
            region_user_share: ratio(region_users as f64, total.users as f64),
            region_hour_share: ratio(region_minutes as f64 / 60.0, total.hours),
            total,
            by_province: rows(by_province, &|index| {
                ProvinceCode::ALL[index].as_code().to_owned()
            }),
            by_institution_kind: rows(by_kind, &|index| {
                InstitutionKind::ALL[index].as_code().to_owned()
            }),
            by_sector: rows(by_sector, &|index| Sector::ALL[index].as_code().to_owned()),
        })
    }

    /// Bookings, hours and fees from users of each origin at providers of each place.
    pub fn flows(&self, period: Period, level: FlowLevel) -> Result<FlowMatrix, AnalyticsError> {
        let range = self.slice_of(period)?;
        let places = match level {
            FlowLevel::Province => ProvinceCode::ALL.len(),
            FlowLevel::City => self.cities.len(),
        };
        let mut cells = vec![(0u64, 0u64, 0i64); places * places];
        let mut crossing_minutes = 0u64;
        let mut all_minutes = 0u64;
        for booking in range {
            let instrument = self.booking_instrument[booking] as usize;
            let home = self.booking_home[booking] as usize;
            let (origin, provider) = match level {
                FlowLevel::Province => (
                    province_index(self.institutions[home].province),
                    province_index(self.instruments[instrument].province),
                ),
                FlowLevel::City => (
                    self.institution_city[home] as usize,
                    self.instrument_city[instrument] as usize,
                ),
            };
            let minutes = u64::from(self.booking_minutes[booking]);
            let cell = &mut cells[origin * places + provider];
            cell.0 += 1;
            cell.1 += minutes;
            cell.2 += self.booking_fee[booking];
            all_minutes += minutes;
            if origin != provider {
                crossing_minutes += minutes;
            }
        }
        let key = |index: usize| match level {
            FlowLevel::Province => ProvinceCode::ALL[index].as_code().to_owned(),
            FlowLevel::City => self.cities[index].0.get().to_string(),
        };
        let cells = cells
            .iter()
            .enumerate()
            .filter(|(_, (bookings, _, _))| *bookings > 0)
            .map(|(index, (bookings, minutes, fees))| FlowCell {
                origin: key(index / places),
                provider: key(index % places),
                bookings: *bookings,
                hours: *minutes as f64 / 60.0,
                fees: Fen(*fees),
            })
            .collect();
        Ok(FlowMatrix {
            level,
            cells,
            crossing_hour_share: ratio(crossing_minutes as f64, all_minutes as f64),
        })
    }

    /// Booked minutes per instrument within `period`.
    fn booked_minutes_per_instrument(&self, period: Period) -> Result<Vec<u64>, AnalyticsError> {
        let range = self.slice_of(period)?;
        let mut booked = vec![0u64; self.instruments.len()];
        for booking in range {
            booked[self.booking_instrument[booking] as usize] +=
                u64::from(self.booking_minutes[booking]);
        }
        Ok(booked)
    }

    fn open_hours(&self, instrument: usize, period: Period) -> f64 {
        f64::from(self.instruments[instrument].open_minutes_per_week) / 60.0 * period.days() / 7.0
    }

    /// Booked against open hours per group. Open hours come from the weekly opening hours
    /// over the period; holidays and maintenance are not subtracted, so utilisation is a
    /// lower bound on how busy the open time was.
    pub fn utilisation(
        &self,
        period: Period,
        group: UtilisationGroup,
    ) -> Result<Vec<UtilisationRow>, AnalyticsError> {
        let booked = self.booked_minutes_per_instrument(period)?;
        let mut groups: BTreeMap<String, (u64, u64, f64)> = BTreeMap::new();
        for (instrument, booked_minutes) in booked.iter().enumerate() {
            let key = match group {
                UtilisationGroup::Category => self.categories
                    [self.instrument_category[instrument] as usize]
                    .as_str()
                    .to_owned(),
                UtilisationGroup::Institution => {
                    self.instruments[instrument].institution.0.to_string()
                }
                UtilisationGroup::City => self.instruments[instrument].city.get().to_string(),
            };
            let entry = groups.entry(key).or_default();
            entry.0 += 1;
            entry.1 += booked_minutes;
            entry.2 += self.open_hours(instrument, period);
        }
        Ok(groups
            .into_iter()
            .map(|(key, (instruments, minutes, open_hours))| UtilisationRow {
                key,
                instruments,
                booked_hours: minutes as f64 / 60.0,
                open_hours,
                utilisation: ratio(minutes as f64 / 60.0, open_hours),
            })
            .collect())
    }

    /// Instruments worth at least `min_value` that were booked for at most `max_utilisation`
    /// of their open hours in `period`, most valuable first.
    pub fn idle_expensive(
        &self,
        period: Period,
        min_value: Fen,
        max_utilisation: f64,
    ) -> Result<Vec<IdleInstrument>, AnalyticsError> {
        let booked = self.booked_minutes_per_instrument(period)?;
        let mut idle: Vec<IdleInstrument> = self
            .instruments
            .iter()
            .enumerate()
            .filter(|(_, instrument)| instrument.purchase_value >= min_value)
            .filter_map(|(index, instrument)| {
                let open_hours = self.open_hours(index, period);
                let booked_hours = booked[index] as f64 / 60.0;
                let utilisation = ratio(booked_hours, open_hours);
                (utilisation <= max_utilisation).then(|| IdleInstrument {
                    instrument: instrument.id,
                    institution: instrument.institution,
                    category: instrument.category.clone(),
                    province: instrument.province,
                    purchase_value: instrument.purchase_value,
                    booked_hours,
                    open_hours,
                    utilisation,
                })
            })
            .collect();
        idle.sort_by(|a, b| {
            b.purchase_value
                .cmp(&a.purchase_value)
                .then(a.instrument.0.cmp(&b.instrument.0))
        });
        Ok(idle)
    }
}

fn ratio(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        part / whole
    } else {
        0.0
    }
}

/// Sums of one group, and its distinct users as a bitset over user ids (50,000 users take
/// 6 KB per group; sorting a million user ids per group would cost far more).
#[derive(Debug, Clone)]
struct Accumulator {
    users: Vec<u64>,
    bookings: u64,
    minutes: u64,
    fees: i64,
}

impl Accumulator {
    fn new(largest_user: u32) -> Accumulator {
        Accumulator {
            users: vec![0; largest_user as usize / 64 + 1],
            bookings: 0,
            minutes: 0,
            fees: 0,
        }
    }

    fn add(&mut self, user: u32, minutes: u64, fee: i64) {
        self.users[user as usize / 64] |= 1 << (user % 64);
        self.bookings += 1;
        self.minutes += minutes;
        self.fees += fee;
    }

    fn distinct_users(&self) -> u64 {
        self.users
            .iter()
            .map(|word| u64::from(word.count_ones()))
            .sum()
    }

    fn finish(self) -> UsageTotals {
        UsageTotals {
            users: self.distinct_users(),
            bookings: self.bookings,
            hours: self.minutes as f64 / 60.0,
            fees: Fen(self.fees),
        }
    }
}

mod cluster;
pub use cluster::{
    tally_cluster_reach, ClusterCity, ClusterReach, ClusterReachCity, ClusterTarget,
};

#[cfg(test)]
mod tests;
