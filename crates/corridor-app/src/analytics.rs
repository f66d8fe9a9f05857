//! Analytics for planners and the public: usage by origin, flows between provinces,
//! utilisation, idle instruments, cluster reach, the vouchers' money and the light source's
//! users, computed from the analytics facts (or, for money, from the store).

use corridor_store::Store;
use jiff::tz::TimeZone;

use crate::indexes::analytics::AnalyticsService;
use crate::indexes::rail::RailService;

/// The analytics service (see the module's documentation).
pub struct Analytics<'a> {
    pub(crate) store: &'a dyn Store,
    pub(crate) facts: &'a AnalyticsService,
    pub(crate) rail: &'a RailService,
    pub(crate) region_time_zone: &'a TimeZone,
}
