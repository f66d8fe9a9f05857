//! Rail reach: travel times by high-speed rail from a city, and the journey to an instrument.

use crate::indexes::rail::RailService;

/// The reach service (see the module's documentation).
pub struct Reach<'a> {
    pub(crate) rail: &'a RailService,
}
