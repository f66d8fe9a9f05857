//! The catalogue: the region (provinces, cities, institutions, categories, beamlines), the
//! instruments and their changes by their managers, and instrument search.

use corridor_store::Store;

use crate::indexes::availability::AvailabilityService;
use crate::indexes::rail::RailService;
use crate::indexes::search::SearchService;

/// The catalogue service (see the module's documentation).
pub struct Catalogue<'a> {
    pub(crate) store: &'a dyn Store,
    pub(crate) search: &'a SearchService,
    pub(crate) availability: &'a AvailabilityService,
    pub(crate) rail: &'a RailService,
}
