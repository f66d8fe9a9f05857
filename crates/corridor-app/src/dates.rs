//! Points in time as people give them: an exact instant, or a bare date that means midnight
//! in the region's time zone. Front ends read the text into an [`InstantOrDate`]; the
//! operations resolve it in the region's zone, so that no front end hard-codes a zone.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::error::{AppError, AppResult};

/// An instant, or a calendar date in the region's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstantOrDate {
    Instant(Timestamp),
    Date(Date),
}

impl InstantOrDate {
    /// The instant itself, or midnight at the start of the date in `zone`. `field` names the
    /// input in the refusal of a date the zone cannot place.
    pub fn start_in(self, zone: &TimeZone, field: &str) -> AppResult<Timestamp> {
        match self {
            InstantOrDate::Instant(instant) => Ok(instant),
            InstantOrDate::Date(date) => date
                .to_zoned(zone.clone())
                .map(|zoned| zoned.timestamp())
                .map_err(|error| AppError::invalid(field, error.to_string())),
        }
    }

    /// The instant itself, or the end of the date in `zone` (its midnight and a day): a bare
    /// date as the end of a window means "through that day".
    pub fn end_in(self, zone: &TimeZone, field: &str) -> AppResult<Timestamp> {
        let start = self.start_in(zone, field)?;
        Ok(match self {
            InstantOrDate::Instant(_) => start,
            InstantOrDate::Date(_) => start + SignedDuration::from_hours(24),
        })
    }
}
