//! Innovation vouchers: programmes, applications and their decisions, enterprises' wallets,
//! the split of a price between a voucher and its enterprise, and the settlement between
//! provinces.

use corridor_store::Store;
use jiff::tz::TimeZone;

use crate::indexes::availability::AvailabilityService;

/// The voucher service (see the module's documentation).
pub struct Vouchers<'a> {
    pub(crate) store: &'a dyn Store,
    pub(crate) availability: &'a AvailabilityService,
    pub(crate) region_time_zone: &'a TimeZone,
}
