//! Instants and dates as clients write them, read strictly.
//!
//! jiff's parsers are lenient where the API must not be: they take offsets up to ±25:59:59
//! and six-digit years with a sign (`+002026-…`). RFC 3339 instants here have a four-digit
//! year, a `T` (or a space) between date and time, seconds optional, a fraction optional, and
//! `Z` or an offset within ±14:00 (the widest any zone uses); dates are `YYYY-MM-DD`.

use jiff::civil::Date;
use jiff::Timestamp;

use crate::DomainError;

/// The widest offset any time zone uses (Kiribati, +14:00).
const WIDEST_OFFSET_MINUTES: i32 = 14 * 60;

fn digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())
}

fn is_strict_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && digits(&text[0..4])
        && bytes[4] == b'-'
        && digits(&text[5..7])
        && bytes[7] == b'-'
        && digits(&text[8..10])
}

/// The offset's minutes east of UTC, if `text` is `Z`, `z` or `±HH:MM`.
fn offset_minutes(text: &str) -> Option<i32> {
    if text == "Z" || text == "z" {
        return Some(0);
    }
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &text[1..];
    let (hours, minutes) = rest.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 || !digits(hours) || !digits(minutes) {
        return None;
    }
    let minutes: i32 = minutes.parse().ok()?;
    if minutes >= 60 {
        return None;
    }
    Some(sign * (hours.parse::<i32>().ok()? * 60 + minutes))
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fraction` (at most nine fraction digits).
fn is_strict_time(text: &str) -> bool {
    let (clock, fraction) = match text.split_once('.') {
        Some((clock, fraction)) => (clock, Some(fraction)),
        None => (text, None),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let clock_ok =
        matches!(parts.len(), 2 | 3) && parts.iter().all(|part| part.len() == 2 && digits(part));
    let fraction_ok = match fraction {
        None => true,
        Some(fraction) => parts.len() == 3 && digits(fraction) && fraction.len() <= 9,
    };
    clock_ok && fraction_ok
}

/// Reads an RFC 3339 instant strictly (see the module's documentation).
pub fn parse_instant(field: &'static str, text: &str) -> Result<Timestamp, DomainError> {
    let refuse = || {
        DomainError::invalid(
            field,
            format!(
                "{text:?} is not an RFC 3339 instant like 2026-12-07T09:00:00+08:00 \
                 (four-digit year, offset within ±14:00)"
            ),
        )
    };
    let text = text.trim();
    if text.len() < 17 || !is_strict_date(&text[..10]) {
        return Err(refuse());
    }
    let separator = text.as_bytes()[10];
    if !matches!(separator, b'T' | b't' | b' ') {
        return Err(refuse());
    }
    let rest = &text[11..];
    let offset_at = rest.find(['Z', 'z', '+', '-']).ok_or_else(refuse)?;
    let (time, offset) = rest.split_at(offset_at);
    let offset = offset_minutes(offset).ok_or_else(refuse)?;
    if !is_strict_time(time) || offset.abs() > WIDEST_OFFSET_MINUTES {
        return Err(refuse());
    }
    text.parse::<Timestamp>().map_err(|_| refuse())
}

/// Reads a date `YYYY-MM-DD` strictly (a real day of a four-digit year).
pub fn parse_date(field: &'static str, text: &str) -> Result<Date, DomainError> {
    let text = text.trim();
    let refuse = || DomainError::invalid(field, format!("{text:?} is not a date like 2026-12-07"));
    if !is_strict_date(text) {
        return Err(refuse());
    }
    text.parse::<Date>().map_err(|_| refuse())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn usual_instants_are_read() {
        for text in [
            "2026-12-07T09:00:00+08:00",
            "2026-12-07T01:00:00Z",
            "2026-12-07T09:00+08:00",
            "2026-12-07 09:00:00.123456+08:00",
            "2026-12-07T09:00:00-14:00",
            " 2026-12-07T09:00:00+14:00 ",
        ] {
            assert!(parse_instant("at", text).is_ok(), "{text}");
        }
        assert_eq!(
            parse_instant("at", "2026-12-07T09:00:00+08:00").unwrap(),
            parse_instant("at", "2026-12-07T01:00:00Z").unwrap()
        );
    }

    #[test]
    fn lenient_forms_are_refused() {
        for text in [
            "2026-12-07T09:00:00+25:00",
            "2026-12-07T09:00:00+14:01",
            "+002026-12-07T09:00:00Z",
            "2026-12-07",
            "2026-12-07T09:00:00",
            "2026-12-07T9:00:00Z",
            "2026-13-07T09:00:00Z",
            "2026-02-30T09:00:00Z",
            "2026-12-07T09:00:00+0800",
            "2026-12-07T25:00:00Z",
            "",
        ] {
            assert!(parse_instant("at", text).is_err(), "{text}");
        }
    }

    #[test]
    fn dates_are_four_digit_years_and_real_days() {
        assert!(parse_date("on", "2026-12-07").is_ok());
        for text in [
            "+002026-12-07",
            "26-12-07",
            "2026-02-30",
            "2026-1-07",
            "2026/12/07",
        ] {
            assert!(parse_date("on", text).is_err(), "{text}");
        }
    }

    proptest! {
        /// Every instant jiff writes (UTC, year 1000 to 9999) reads back as itself.
        #[test]
        fn written_instants_read_back(seconds in -30_610_224_000i64..253_402_300_799i64, nanos in 0u32..1_000_000_000) {
            let instant = Timestamp::new(seconds, nanos as i32).unwrap();
            prop_assert_eq!(parse_instant("at", &instant.to_string()).unwrap(), instant);
        }
    }
}
