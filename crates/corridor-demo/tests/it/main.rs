//! The demo generator's one integration-test binary: determinism, the scale and mix the
//! product brief asks for, and the typed-in facts checked against real third-party data in
//! `../shared/data/` (read from there, never copied).

mod bookings;
mod facts;
mod region;
