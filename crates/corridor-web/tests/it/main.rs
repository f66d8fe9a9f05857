//! The web crate's one integration-test binary: a real server on a loopback port, real HTTP.

mod accounts_api;
mod analytics;
mod api;
mod authz;
mod base_map;
mod bookings;
mod catalogue;
mod cluster_reach;
mod facility;
mod hostile;
mod ical;
mod pages;
mod reach;
mod search;
mod slow_clients;
mod sso;
mod support;
mod vouchers;
