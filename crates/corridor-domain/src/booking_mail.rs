//! The mails a booking's user receives when the booking changes: their wording in the
//! recipient's language and, for mails about an event in the user's calendar, an iCalendar
//! attachment.
//!
//! Rendering is pure, like [`crate::ical`], so the store can write a mail in the same
//! transaction as the change it reports (the group-commit writer included, which learns a new
//! booking's id only from its insert) without the wording living anywhere but here.

use jiff::Timestamp;

use crate::ical::{render_feed, CalendarFeed, FeedEvent, FeedEventStatus};
use crate::{Fen, Language, TimeZoneName};

/// The `PRODID` of the attached calendars; the same as the subscribed feeds', so a calendar
/// app sees one producer.
const PRODUCT_ID: &str = "-//Corridor//Bookings//EN";

/// What happened to a booking that its user is told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingMailKind {
    /// An instant booking was accepted.
    Confirmed,
    /// A booking that needs approval waits for the instrument's managers.
    Requested,
    Approved,
    /// A manager refused the request (the manager's note is quoted).
    Refused,
    /// Cancelled by its user, or by a manager when `by_manager`.
    Cancelled {
        by_manager: bool,
    },
    /// A waitlisted request became a booking when time was freed.
    Promoted,
    /// The booking starts within a day.
    Reminder,
    /// The instrument's manager recorded the time used and its charge.
    UsageRecorded,
}

impl BookingMailKind {
    /// The notification's `kind` column. The reminder's is what the outbox's unique index
    /// on one reminder per booking names, so it must not change without a migration.
    pub fn code(self) -> &'static str {
        match self {
            BookingMailKind::Confirmed => "booking_confirmed",
            BookingMailKind::Requested => "booking_requested",
            BookingMailKind::Approved => "booking_approved",
            BookingMailKind::Refused => "booking_refused",
            BookingMailKind::Cancelled { .. } => "booking_cancelled",
            BookingMailKind::Promoted => "booking_promoted",
            BookingMailKind::Reminder => "booking_reminder",
            BookingMailKind::UsageRecorded => "booking_usage_recorded",
        }
    }
}

/// The facts of a booking a mail states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingMailFacts {
    pub booking: i64,
    pub instrument_name_en: String,
    pub instrument_name_zh: String,
    /// The instrument's zone: times are written as its wall clock shows them.
    pub time_zone: TimeZoneName,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub price: Fen,
    /// Whether the booking holds its time as confirmed (not merely pending approval); an
    /// event mail attaches a confirmed or a tentative event accordingly.
    pub confirmed: bool,
    pub decision_note: Option<String>,
    pub usage_minutes: Option<i64>,
    pub charged: Option<Fen>,
    /// When the booking last changed: the attached event's `DTSTAMP`.
    pub updated_at: Timestamp,
}

/// A rendered mail: what the outbox row holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingMail {
    pub kind: &'static str,
    pub subject: String,
    pub body: String,
    /// An RFC 5545 calendar with the booking's event, for the mails that add, confirm or
    /// remove an event in the user's calendar.
    pub ics: Option<String>,
}

/// The iCalendar `UID` of a booking's event: the same as in the subscribed feeds, so a
/// calendar app that has both keeps one event.
pub fn booking_event_uid(booking: i64) -> String {
    format!("booking-{booking}@corridor")
}

/// Renders the mail of `kind` about `facts` in `language`. `sequence` is the attached event's
/// `SEQUENCE`: the number of calendar-bearing mails about this booking written before, so a
/// later one (a cancellation) supersedes the earlier in the recipient's calendar.
pub fn render_booking_mail(
    kind: BookingMailKind,
    language: Language,
    facts: &BookingMailFacts,
    sequence: u32,
) -> BookingMail {
    let zone = facts.time_zone.zone();
    let start = facts.starts_at.to_zoned(zone.clone());
    let end = facts.ends_at.to_zoned(zone);
    let day = start.strftime("%Y-%m-%d");
    let end_text = if end.date() == start.date() {
        end.strftime("%H:%M").to_string()
    } else {
        end.strftime("%Y-%m-%d %H:%M").to_string()
    };
    let when = format!(
        "{day} {}–{end_text} ({})",
        start.strftime("%H:%M"),
        facts.time_zone.as_str()
    );
    let number = facts.booking;
    let price = facts.price;
    let note = facts.decision_note.as_deref().unwrap_or("");
    let (subject, lead) = match language {
        Language::English => {
            let name = &facts.instrument_name_en;
            english_wording(kind, name, number, note, facts)
        }
        Language::Chinese => {
            let name = &facts.instrument_name_zh;
            chinese_wording(kind, name, number, note, facts)
        }
    };
    let (time_label, price_label, booking_label) = match language {
        Language::English => ("Time", "Price", "Booking"),
        Language::Chinese => ("时间", "价格", "预约编号"),
    };
    let body = format!(
        "{lead}\n\n{booking_label}: {number}\n{time_label}: {when}\n{price_label}: {price}\n"
    );
    let event_status = match kind {
        BookingMailKind::Confirmed | BookingMailKind::Approved | BookingMailKind::Promoted => {
            Some(if facts.confirmed {
                FeedEventStatus::Confirmed
            } else {
                FeedEventStatus::Tentative
            })
        }
        BookingMailKind::Cancelled { .. } => Some(FeedEventStatus::Cancelled),
        BookingMailKind::Requested
        | BookingMailKind::Refused
        | BookingMailKind::Reminder
        | BookingMailKind::UsageRecorded => None,
    };
    let ics = event_status.map(|status| {
        let name = match language {
            Language::English => &facts.instrument_name_en,
            Language::Chinese => &facts.instrument_name_zh,
        };
        render_feed(&CalendarFeed {
            product_id: PRODUCT_ID.to_owned(),
            name: name.clone(),
            time_zone: facts.time_zone.clone(),
            events: vec![FeedEvent {
                uid: booking_event_uid(number),
                starts_at: facts.starts_at,
                ends_at: facts.ends_at,
                summary: name.clone(),
                description: Some(format!("{booking_label}: {number}\n{price_label}: {price}")),
                location: None,
                status,
                last_modified: facts.updated_at,
                sequence,
            }],
        })
    });
    BookingMail {
        kind: kind.code(),
        subject,
        body,
        ics,
    }
}

fn english_wording(
    kind: BookingMailKind,
    name: &str,
    number: i64,
    note: &str,
    facts: &BookingMailFacts,
) -> (String, String) {
    match kind {
        BookingMailKind::Confirmed => (
            format!("Booking confirmed: {name}"),
            format!("Your booking of {name} is confirmed."),
        ),
        BookingMailKind::Requested => (
            format!("Booking requested: {name}"),
            format!("Your booking of {name} is waiting for approval by the instrument's managers."),
        ),
        BookingMailKind::Approved => (
            format!("Booking approved: {name}"),
            format!("Your booking of {name} was approved."),
        ),
        BookingMailKind::Refused => (
            format!("Booking refused: {name}"),
            if note.is_empty() {
                format!("Your booking of {name} was refused.")
            } else {
                format!("Your booking of {name} was refused. The manager's note: {note}")
            },
        ),
        BookingMailKind::Cancelled { by_manager } => (
            format!("Booking cancelled: {name}"),
            if by_manager {
                format!("Your booking of {name} was cancelled by the instrument's manager.")
            } else {
                format!("Your booking of {name} is cancelled, as you asked.")
            },
        ),
        BookingMailKind::Promoted => (
            format!("Waitlist: you have a booking of {name}"),
            format!(
                "Time on {name} was freed, and your waitlisted request became booking {number}."
            ),
        ),
        BookingMailKind::Reminder => (
            format!("Reminder: {name} within 24 hours"),
            format!("Your booking of {name} starts within the next 24 hours."),
        ),
        BookingMailKind::UsageRecorded => (
            format!("Usage recorded: {name}"),
            format!(
                "The instrument's manager recorded {} minutes of use; the charge is {}.",
                facts.usage_minutes.unwrap_or(0),
                facts.charged.unwrap_or(Fen(0))
            ),
        ),
    }
}

fn chinese_wording(
    kind: BookingMailKind,
    name: &str,
    number: i64,
    note: &str,
    facts: &BookingMailFacts,
) -> (String, String) {
    match kind {
        BookingMailKind::Confirmed => (
            format!("预约已确认：{name}"),
            format!("您对{name}的预约已确认。"),
        ),
        BookingMailKind::Requested => (
            format!("预约已提交：{name}"),
            format!("您对{name}的预约正在等待仪器管理员审批。"),
        ),
        BookingMailKind::Approved => (
            format!("预约已批准：{name}"),
            format!("您对{name}的预约已获批准。"),
        ),
        BookingMailKind::Refused => (
            format!("预约被拒绝：{name}"),
            if note.is_empty() {
                format!("您对{name}的预约被拒绝。")
            } else {
                format!("您对{name}的预约被拒绝。管理员备注：{note}")
            },
        ),
        BookingMailKind::Cancelled { by_manager } => (
            format!("预约已取消：{name}"),
            if by_manager {
                format!("您对{name}的预约已被仪器管理员取消。")
            } else {
                format!("您已取消对{name}的预约。")
            },
        ),
        BookingMailKind::Promoted => (
            format!("候补成功：{name}"),
            format!("{name}有时段空出，您的候补申请已成为预约 {number}。"),
        ),
        BookingMailKind::Reminder => (
            format!("提醒：{name}预约将在24小时内开始"),
            format!("您对{name}的预约将在24小时内开始。"),
        ),
        BookingMailKind::UsageRecorded => (
            format!("使用已记录：{name}"),
            format!(
                "仪器管理员已记录使用{}分钟，费用为{}。",
                facts.usage_minutes.unwrap_or(0),
                facts.charged.unwrap_or(Fen(0))
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> BookingMailFacts {
        BookingMailFacts {
            booking: 42,
            instrument_name_en: "Confocal microscope".into(),
            instrument_name_zh: "共聚焦显微镜".into(),
            time_zone: TimeZoneName::asia_shanghai(),
            starts_at: "2026-12-10T01:00:00Z".parse().unwrap(),
            ends_at: "2026-12-10T03:00:00Z".parse().unwrap(),
            price: Fen(123_450),
            confirmed: true,
            decision_note: Some("calibration".into()),
            usage_minutes: Some(90),
            charged: Some(Fen(9_000)),
            updated_at: "2026-12-01T00:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn a_confirmation_states_the_local_time_and_price_and_attaches_the_event() {
        let mail = render_booking_mail(BookingMailKind::Confirmed, Language::English, &facts(), 0);
        assert_eq!(mail.kind, "booking_confirmed");
        assert_eq!(mail.subject, "Booking confirmed: Confocal microscope");
        assert!(
            mail.body.contains("2026-12-10 09:00–11:00 (Asia/Shanghai)"),
            "{}",
            mail.body
        );
        assert!(mail.body.contains("¥1,234.50"), "{}", mail.body);
        let ics = mail.ics.expect("an event mail carries a calendar");
        assert!(ics.contains("UID:booking-42@corridor\r\n"), "{ics}");
        assert!(ics.contains("BEGIN:VTIMEZONE\r\n"), "{ics}");
        assert!(ics.contains("STATUS:CONFIRMED\r\n"), "{ics}");
    }

    #[test]
    fn a_cancellation_cancels_the_same_event_with_a_higher_sequence() {
        let mail = render_booking_mail(
            BookingMailKind::Cancelled { by_manager: true },
            Language::Chinese,
            &facts(),
            1,
        );
        assert_eq!(mail.subject, "预约已取消：共聚焦显微镜");
        assert!(mail.body.contains("仪器管理员"), "{}", mail.body);
        let ics = mail.ics.unwrap();
        assert!(ics.contains("UID:booking-42@corridor\r\n"), "{ics}");
        assert!(ics.contains("SEQUENCE:1\r\n"), "{ics}");
        assert!(ics.contains("STATUS:CANCELLED\r\n"), "{ics}");
    }

    #[test]
    fn a_refusal_quotes_the_note_and_attaches_nothing() {
        let mail = render_booking_mail(BookingMailKind::Refused, Language::English, &facts(), 0);
        assert!(mail.body.contains("The manager's note: calibration"));
        assert_eq!(mail.ics, None);
        let usage = render_booking_mail(
            BookingMailKind::UsageRecorded,
            Language::Chinese,
            &facts(),
            0,
        );
        assert!(usage.body.contains("90分钟"), "{}", usage.body);
        assert!(usage.body.contains("¥90.00"), "{}", usage.body);
    }
}
