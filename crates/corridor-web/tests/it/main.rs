//! The web crate's one integration-test binary: a real server on a loopback port, real HTTP.

mod api;
mod pages;
mod search;
mod support;
