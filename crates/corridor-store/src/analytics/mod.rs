//! What the regional analytics read: every instrument, institution and using booking, in one
//! snapshot. The figures themselves are computed by `corridor_domain::analytics`.

pub(crate) mod sql;

use async_trait::async_trait;
use corridor_domain::analytics::{BookingFactRow, InstitutionFact, InstrumentFact};

use crate::StoreError;

/// The rows analytics start from, read in one consistent snapshot.
#[derive(Debug, Clone, Default)]
pub struct AnalyticsSnapshot {
    pub instruments: Vec<InstrumentFact>,
    pub institutions: Vec<InstitutionFact>,
    /// Confirmed and completed bookings.
    pub bookings: Vec<BookingFactRow>,
}

#[async_trait]
pub trait AnalyticsStore {
    /// Reads the whole snapshot (on the demo region: 56,000 instruments and about a million
    /// bookings, a few seconds). Bookings are read by a direct scan where the engine allows;
    /// see `sqlite_scan`.
    async fn analytics_snapshot(&self) -> Result<AnalyticsSnapshot, StoreError>;

    /// The same figures computed by plain SQL (GROUP BY and COUNT DISTINCT over the tables,
    /// trusting nothing else), for the bookings that start in `[from, to)`: the tests' and the
    /// benchmark's independent check, and the benchmark's baseline.
    async fn analytics_by_sql(
        &self,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<AnalyticsBySql, StoreError>;
}

/// See [`AnalyticsStore::analytics_by_sql`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnalyticsBySql {
    /// (home province, provider province, bookings, minutes, fees in fen), in code order.
    pub province_flows: Vec<(String, String, i64, i64, i64)>,
    /// Distinct users per home province.
    pub users_by_home_province: Vec<(String, i64)>,
    /// Booked minutes per top-level category of the instrument.
    pub minutes_by_category: Vec<(String, i64)>,
}
