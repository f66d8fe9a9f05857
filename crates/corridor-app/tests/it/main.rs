//! The application layer's tests: each rule that moved here from a front end is covered once,
//! here, not once per front end.

mod support;

mod accounts;
mod analytics;
mod beamtime;
mod booking_mail;
mod bookings;
mod catalogue;
mod catalogue_import;
mod catalogue_uploads;
mod catalogue_xlsx;
mod enrolment;
mod mail;
mod reach;
mod roster;
mod vouchers;
