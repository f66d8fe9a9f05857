//! Corridor's domain model: the places, institutions, instruments and people of a region of
//! provinces that share research infrastructure, and the rules that hold between them.
//!
//! Architecture Invariant: this crate is pure. It performs no I/O, has no async code and
//! knows no database or HTTP types, so every rule in it can be tested with plain values and
//! can never fail because a disk or a network did.
//!
//! Values are parsed once at the edge into the newtypes defined here ("parse, don't
//! validate"); code that holds an [`EmailAddress`] or a [`WeeklyOpeningHours`] never checks
//! them again.

pub mod analytics;
mod booking;
pub mod booking_mail;
mod error;
pub mod facility;
mod geography;
pub mod ical;
pub mod instant;
mod institution;
mod instrument;
pub mod ledger;
mod money;
mod opening_hours;
mod pagination;
mod text;
mod user;
pub mod voucher;

pub use booking::{
    check_user_may_cancel, open_intervals_of, price_for_minutes, weekday_index, BookingId,
    BookingRefusal, BookingStatus, CalendarRules, Closure, ClosureId, ClosureKind,
    InstrumentCalendar, TimeRange, WaitlistEntryId, WaitlistStatus, DEFAULT_BOOKING_HORIZON_DAYS,
    LONGEST_BOOKING_HORIZON_DAYS, LONGEST_BOOKING_MINUTES, LONGEST_NOTICE_MINUTES,
};
pub use error::DomainError;
pub use geography::{City, CityCode, GeoPoint, ProvinceCode};
pub use institution::{
    Beamline, BeamlineId, BeamlineSource, Institution, InstitutionId, InstitutionKind, Sector,
    Site, SiteId, UniversityTier,
};
pub use instrument::{
    AccessPolicy, BookingMode, CategoryCode, HourlyRates, Instrument, InstrumentCategory,
    InstrumentId, UserClass,
};
pub use money::Fen;
pub use opening_hours::{MinuteOfDay, OpeningInterval, TimeZoneName, WeeklyOpeningHours};
pub use pagination::{PageLimit, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT};
pub use text::{bounded_text, optional_bounded_text};
pub use user::{
    EmailAddress, Language, Membership, PlaintextPassword, Role, RoleGrant, RoleScope, User, UserId,
};
