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
    digit_bytes(text.as_bytes())
}

fn digit_bytes(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(u8::is_ascii_digit)
}

/// Byte-wise, so that any text (a multi-byte character where a digit should be) is refused
/// rather than cut inside a character.
fn is_strict_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && digit_bytes(&bytes[0..4])
        && bytes[4] == b'-'
        && digit_bytes(&bytes[5..7])
        && bytes[7] == b'-'
        && digit_bytes(&bytes[8..10])
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
    // An RFC 3339 instant is ASCII; checking that first lets the rest cut the text by byte
    // positions without ever landing inside a character.
    if !text.is_ascii() || text.len() < 17 || !is_strict_date(&text[..10]) {
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

/// Which of the two instants a local time names in the hour that repeats when clocks go
/// back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepeatedHour {
    /// The first time the wall clock shows it (before the clocks go back).
    Earlier,
    /// The second time (after).
    Later,
}

/// Why a local date and time does not name exactly one instant in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalTimeProblem {
    /// The clocks jump over it (spring forward): it never happens; `next` is the first
    /// instant after the gap.
    Skipped { next: Timestamp },
    /// The clocks show it twice (fall back): say which was meant.
    Repeated {
        earlier: Timestamp,
        later: Timestamp,
    },
}

/// The instant a local date and time names in `zone`. A time the clocks skip is refused,
/// and a time they show twice needs `repeated` to say which; neither is guessed, because a
/// guess turns a 30-minute booking into a 90-minute one.
pub fn local_instant(
    date: Date,
    time: jiff::civil::Time,
    zone: &jiff::tz::TimeZone,
    repeated: Option<RepeatedHour>,
) -> Result<Timestamp, LocalTimeProblem> {
    use jiff::tz::AmbiguousOffset;
    let local = date.to_datetime(time);
    let ambiguous = zone.to_ambiguous_timestamp(local);
    match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { offset } => Ok(offset
            .to_timestamp(local)
            .expect("a local time of a supported year has an instant")),
        AmbiguousOffset::Gap { before, .. } => Err(LocalTimeProblem::Skipped {
            // The instant the wall clock would have shown `local` at under the old offset is
            // after the jump.
            next: before
                .to_timestamp(local)
                .expect("a local time of a supported year has an instant"),
        }),
        AmbiguousOffset::Fold { before, after } => {
            let earlier = before
                .to_timestamp(local)
                .expect("a local time of a supported year has an instant");
            let later = after
                .to_timestamp(local)
                .expect("a local time of a supported year has an instant");
            match repeated {
                Some(RepeatedHour::Earlier) => Ok(earlier),
                Some(RepeatedHour::Later) => Ok(later),
                None => Err(LocalTimeProblem::Repeated { earlier, later }),
            }
        }
    }
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
    fn text_with_multi_byte_characters_is_refused_not_cut() {
        for text in [
            "\u{da}B\u{2a9aa}\u{7f}t\u{ee}\u{82}\u{86}\u{84}",
            "2026-12-0\u{e9}T09:00:00Z",
            "2026-12-07T09:00:00+08:0\u{e9}",
            "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}",
            "２０２６-12-07",
        ] {
            assert!(parse_instant("at", text).is_err(), "{text}");
            assert!(parse_date("on", text).is_err(), "{text}");
        }
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

    #[test]
    fn skipped_and_repeated_local_times_are_not_guessed() {
        let berlin = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
        let day = |text: &str| text.parse::<Date>().unwrap();
        let time = |text: &str| text.parse::<jiff::civil::Time>().unwrap();
        // 2026-03-29 02:30 does not happen in Berlin; 2026-10-25 02:30 happens twice.
        assert!(matches!(
            local_instant(day("2026-03-29"), time("02:30"), &berlin, None),
            Err(LocalTimeProblem::Skipped { .. })
        ));
        let Err(LocalTimeProblem::Repeated { earlier, later }) =
            local_instant(day("2026-10-25"), time("02:30"), &berlin, None)
        else {
            panic!("02:30 repeats on 2026-10-25")
        };
        assert_eq!(
            later.duration_since(earlier),
            jiff::SignedDuration::from_hours(1)
        );
        assert_eq!(
            local_instant(
                day("2026-10-25"),
                time("02:30"),
                &berlin,
                Some(RepeatedHour::Later)
            ),
            Ok(later)
        );
        // An ordinary time is one instant, whatever is asked.
        let shanghai = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
        assert_eq!(
            local_instant(
                day("2026-10-25"),
                time("02:30"),
                &shanghai,
                Some(RepeatedHour::Later)
            ),
            Ok("2026-10-24T18:30:00Z".parse().unwrap())
        );
    }

    proptest! {
        /// Every instant jiff writes (UTC, year 1000 to 9999) reads back as itself.
        #[test]
        fn written_instants_read_back(seconds in -30_610_224_000i64..253_402_300_799i64, nanos in 0u32..1_000_000_000) {
            let instant = Timestamp::new(seconds, nanos as i32).unwrap();
            prop_assert_eq!(parse_instant("at", &instant.to_string()).unwrap(), instant);
        }

        /// Any text at all, multi-byte characters included, is read or refused: never a panic.
        #[test]
        fn any_text_is_read_or_refused(text in "\\PC{0,40}", date_like in "[0-9\\-T:+Z.\\PC]{8,30}") {
            let _ = parse_instant("at", &text);
            let _ = parse_date("on", &text);
            let _ = parse_instant("at", &date_like);
            let _ = parse_date("on", &date_like);
        }
    }
}
