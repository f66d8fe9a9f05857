//! The booking pages' sentences that carry values: refusals, times in an instrument's own
//! zone, durations, the rules of a calendar. The fixed words live in [`crate::i18n`]; these
//! need numbers and times put into them, in English or Chinese word order.
//!
//! Times are always shown in the instrument's time zone (with the zone named on the page),
//! because that is the clock on the laboratory's wall, whoever is looking.

use corridor_domain::{
    BookingRefusal, BookingStatus, CalendarRules, ClosureKind, Language, TimeRange, UserClass,
    WaitlistStatus,
};
use corridor_store::BookingDenial;
use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::i18n::Text;

/// The zone of an instrument by its stored name; names are checked when stored, so the
/// fallback to UTC only guards against a database edited by hand.
pub fn zone_named(name: &str) -> TimeZone {
    jiff::tz::db().get(name).unwrap_or(TimeZone::UTC)
}

pub fn weekday_name(weekday: Weekday, t: &Text) -> &'static str {
    t.weekdays[weekday.to_monday_zero_offset() as usize]
}

/// "Mon 2026-12-07" or "2026-12-07（周一）".
pub fn date_text(date: Date, t: &Text, language: Language) -> String {
    match language {
        Language::English => format!("{} {date}", weekday_name(date.weekday(), t)),
        Language::Chinese => format!("{date}（{}）", weekday_name(date.weekday(), t)),
    }
}

fn clock(local: DateTime) -> String {
    format!("{:02}:{:02}", local.hour(), local.minute())
}

/// A local date and time of day, e.g. "Mon 2026-12-07 09:30".
pub fn local_instant_text(
    instant: Timestamp,
    zone: &TimeZone,
    t: &Text,
    language: Language,
) -> String {
    let local = instant.to_zoned(zone.clone()).datetime();
    format!("{} {}", date_text(local.date(), t, language), clock(local))
}

/// A range as people write it: "Mon 2026-12-07 09:30–11:00" within a day, both ends in
/// full otherwise. An end at midnight belongs to the day before ("22:00–24:00").
pub fn local_range_text(range: TimeRange, zone: &TimeZone, t: &Text, language: Language) -> String {
    let start = range.start.to_zoned(zone.clone()).datetime();
    let end = range.end.to_zoned(zone.clone()).datetime();
    let end_is_midnight_after_start =
        end.hour() == 0 && end.minute() == 0 && start.date().tomorrow().ok() == Some(end.date());
    if end.date() == start.date() {
        format!(
            "{} {}–{}",
            date_text(start.date(), t, language),
            clock(start),
            clock(end)
        )
    } else if end_is_midnight_after_start {
        format!(
            "{} {}–24:00",
            date_text(start.date(), t, language),
            clock(start)
        )
    } else {
        format!(
            "{} {} – {} {}",
            date_text(start.date(), t, language),
            clock(start),
            date_text(end.date(), t, language),
            clock(end)
        )
    }
}

pub fn status_label(status: BookingStatus, t: &Text) -> &'static str {
    match status {
        BookingStatus::Pending => t.status_pending,
        BookingStatus::Confirmed => t.status_confirmed,
        BookingStatus::Completed => t.status_completed,
        BookingStatus::Rejected => t.status_rejected,
        BookingStatus::Cancelled => t.status_cancelled,
    }
}

pub fn waitlist_status_label(status: WaitlistStatus, t: &Text) -> &'static str {
    match status {
        WaitlistStatus::Waiting => t.waitlist_waiting,
        WaitlistStatus::Promoted => t.waitlist_promoted,
        WaitlistStatus::Withdrawn => t.waitlist_withdrawn,
    }
}

pub fn user_class_label(class: UserClass, t: &Text) -> &'static str {
    match class {
        UserClass::OwnInstitution => t.rate_own,
        UserClass::OtherAcademic => t.rate_academic,
        UserClass::Industry => t.rate_industry,
    }
}

pub fn closure_kind_label(kind: ClosureKind, t: &Text) -> &'static str {
    match kind {
        ClosureKind::Holiday => t.closure_holiday,
        ClosureKind::Maintenance => t.closure_maintenance,
    }
}

/// One line that tells a user how the instrument is booked.
pub fn rules_summary(rules: &CalendarRules, language: Language) -> String {
    let minutes = |value: u32| super::readable::duration(i64::from(value), language);
    let mut parts = match language {
        Language::English => vec![
            format!("{}-minute slots", rules.slot_minutes),
            format!(
                "{} to {} per booking",
                minutes(rules.min_booking_minutes),
                minutes(rules.max_booking_minutes)
            ),
            format!("book at least {} ahead", minutes(rules.lead_time_minutes)),
            format!(
                "cancel yourself up to {} before the start",
                minutes(rules.cancellation_deadline_minutes)
            ),
        ],
        Language::Chinese => vec![
            format!("时段 {} 分钟", rules.slot_minutes),
            format!(
                "每次 {} 至 {}",
                minutes(rules.min_booking_minutes),
                minutes(rules.max_booking_minutes)
            ),
            format!("至少提前 {}预约", minutes(rules.lead_time_minutes)),
            format!(
                "开始前 {}以前可自行取消",
                minutes(rules.cancellation_deadline_minutes)
            ),
        ],
    };
    if let Some(quota) = rules.weekly_quota_minutes {
        parts.push(match language {
            Language::English => format!("at most {} per user and week", minutes(quota)),
            Language::Chinese => format!("每人每周最多 {}", minutes(quota)),
        });
    }
    parts.join(" · ")
}

/// Why a request was or would be refused, in the page's language, with times on the
/// instrument's clock. The English sentences say what [`BookingDenial::message`] says.
pub fn denial_message(
    denial: &BookingDenial,
    zone: &TimeZone,
    t: &Text,
    language: Language,
) -> String {
    let english = language == Language::English;
    let local =
        |local: &DateTime| format!("{} {}", date_text(local.date(), t, language), clock(*local));
    let instant = |instant: &Timestamp| local_instant_text(*instant, zone, t, language);
    match denial {
        BookingDenial::NotQualified if english => {
            "This instrument requires training; ask its manager for a qualification.".into()
        }
        BookingDenial::NotQualified => "该仪器须经培训后方可使用；请向仪器管理员申请使用资格。".into(),
        BookingDenial::NotAdmitted { policy } => {
            let policy = match policy {
                corridor_domain::AccessPolicy::Open => t.open_to_all,
                corridor_domain::AccessPolicy::Region => t.open_to_region,
                corridor_domain::AccessPolicy::OwnInstitution => t.own_only,
            };
            if english {
                format!("The instrument's access policy ({policy}) does not admit users of your institution.")
            } else {
                format!("该仪器的开放范围（{policy}）不包括您所在单位的用户。")
            }
        }
        BookingDenial::Rule(refusal) => match refusal {
            BookingRefusal::OffSlotGrid { slot_minutes, local: at } if english => format!(
                "Bookings start and end on the {slot_minutes}-minute grid of local time; {} is off the grid.",
                local(at)
            ),
            BookingRefusal::OffSlotGrid { slot_minutes, local: at } => format!(
                "预约须按当地时间每 {slot_minutes} 分钟的时段开始和结束；{} 不在时段边界上。",
                local(at)
            ),
            BookingRefusal::TooShort { min_minutes, minutes } if english => format!(
                "A booking lasts at least {}; this one lasts {}.",
                super::readable::duration(i64::from(*min_minutes), language),
                super::readable::duration(*minutes, language)
            ),
            BookingRefusal::TooShort { min_minutes, minutes } => format!(
                "每次预约至少 {}；本次为 {}。",
                super::readable::duration(i64::from(*min_minutes), language),
                super::readable::duration(*minutes, language)
            ),
            BookingRefusal::TooLong { max_minutes, minutes } if english => format!(
                "A booking lasts at most {}; this one lasts {}.",
                super::readable::duration(i64::from(*max_minutes), language),
                super::readable::duration(*minutes, language)
            ),
            BookingRefusal::TooLong { max_minutes, minutes } => format!(
                "每次预约最多 {}；本次为 {}。",
                super::readable::duration(i64::from(*max_minutes), language),
                super::readable::duration(*minutes, language)
            ),
            BookingRefusal::TooSoon { lead_time_minutes, earliest_start } if english => format!(
                "Bookings must be made {} ahead; the earliest start now is {}.",
                super::readable::duration(i64::from(*lead_time_minutes), language),
                instant(earliest_start)
            ),
            BookingRefusal::TooSoon { lead_time_minutes, earliest_start } => format!(
                "须提前 {} 预约；目前最早可从 {} 开始。",
                super::readable::duration(i64::from(*lead_time_minutes), language),
                instant(earliest_start)
            ),
            BookingRefusal::TooFarAhead { horizon_days, latest_start } if english => format!(
                "This instrument can be booked at most {horizon_days} days ahead; the latest start now is {}.",
                instant(latest_start)
            ),
            BookingRefusal::TooFarAhead { horizon_days, latest_start } => format!(
                "本仪器最多可提前 {horizon_days} 天预约；目前最晚可从 {} 开始。",
                instant(latest_start)
            ),
            BookingRefusal::OutsideOpeningHours { local: at, opening_hours } if english => format!(
                "The instrument is not open at {} local time (open {opening_hours}).",
                local(at)
            ),
            BookingRefusal::OutsideOpeningHours { local: at, opening_hours } => format!(
                "仪器在当地时间 {} 不开放（开放时间：{opening_hours}）。",
                local(at)
            ),
            BookingRefusal::Closed { kind, start, end, reason } => {
                let kind = ClosureKind::parse(kind)
                    .map(|kind| closure_kind_label(kind, t))
                    .unwrap_or(kind);
                if english {
                    format!(
                        "The instrument is closed for {kind} from {} to {}: {reason}",
                        instant(start),
                        instant(end)
                    )
                } else {
                    format!("仪器在 {} 至 {} 期间停用（{kind}）：{reason}", instant(start), instant(end))
                }
            }
            BookingRefusal::QuotaExceeded { quota_minutes, already_minutes, minutes } if english => format!(
                "The weekly quota is {}; {} are already booked that week and this booking needs {}.",
                super::readable::duration(i64::from(*quota_minutes), language),
                super::readable::duration(*already_minutes, language),
                super::readable::duration(*minutes, language)
            ),
            BookingRefusal::QuotaExceeded { quota_minutes, already_minutes, minutes } => format!(
                "每周限额为 {}；该周已预约 {}，本次需要 {}。",
                super::readable::duration(i64::from(*quota_minutes), language),
                super::readable::duration(*already_minutes, language),
                super::readable::duration(*minutes, language)
            ),
            BookingRefusal::CancellationDeadlinePassed { deadline } if english => format!(
                "The cancellation deadline passed at {}; ask the instrument's manager.",
                instant(deadline)
            ),
            BookingRefusal::CancellationDeadlinePassed { deadline } => {
                format!("自行取消的截止时间 {} 已过；请联系仪器管理员。", instant(deadline))
            }
            BookingRefusal::AlreadyStarted if english => {
                "The booking has already started or ended.".into()
            }
            BookingRefusal::AlreadyStarted => "该预约已开始或已结束。".into(),
            BookingRefusal::UsageBeforeStart { starts_at } if english => format!(
                "Usage can only be recorded once the booking has started ({}).",
                instant(starts_at)
            ),
            BookingRefusal::UsageBeforeStart { starts_at } => {
                format!("预约开始（{}）后才能登记实际使用时长。", instant(starts_at))
            }
        },
    }
}

/// Why a change was not possible in the booking's status ("a cancelled booking cannot be
/// approved"). `action` is the store's past participle.
pub fn wrong_status_message(
    status: BookingStatus,
    action: &str,
    t: &Text,
    language: Language,
) -> String {
    let status = status_label(status, t);
    match language {
        Language::English => format!("A booking that is {status} cannot be {action}."),
        Language::Chinese => {
            let action = match action {
                "approved" => "批准",
                "rejected" => "拒绝",
                "cancelled" => "取消",
                "rescheduled" => "改期",
                _ => "修改",
            };
            format!("状态为“{status}”的预约无法{action}。")
        }
    }
}

pub fn invalid_date_message(text: &str, language: Language) -> String {
    match language {
        Language::English => format!("“{text}” is not a date like 2026-12-07."),
        Language::Chinese => format!("“{text}”不是有效日期，格式如 2026-12-07。"),
    }
}

pub fn invalid_time_message(text: &str, language: Language) -> String {
    match language {
        Language::English => format!("“{text}” is not a time of day like 09:30."),
        Language::Chinese => format!("“{text}”不是有效时间，格式如 09:30。"),
    }
}

pub fn not_whole_minutes_message(label: &str, text: &str, language: Language) -> String {
    match language {
        Language::English => format!("{label}: “{text}” is not a whole number of minutes."),
        Language::Chinese => format!("{label}：“{text}”不是整数分钟。"),
    }
}

/// Reads a date from a form field (`2026-12-07`), saying what was wrong otherwise.
pub fn parse_form_date(text: &str, t: &Text, language: Language) -> Result<Date, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(t.error_date_missing.to_owned());
    }
    text.parse::<Date>()
        .map_err(|_| invalid_date_message(text, language))
}

/// Reads a time of day from a form field (`09:30`, or `09:30:00` from some browsers).
pub fn parse_form_time(
    text: &str,
    t: &Text,
    language: Language,
) -> Result<jiff::civil::Time, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(t.error_time_missing.to_owned());
    }
    text.parse::<jiff::civil::Time>()
        .ok()
        .filter(|time| time.subsec_nanosecond() == 0)
        .ok_or_else(|| invalid_time_message(text, language))
}

/// The instant a local date and time of day stand for in `zone`. A time that clocks skip
/// (daylight saving) is taken as the moment after the gap, as the domain does.
/// Why a local time typed into a form does not name one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalTimeError {
    /// Not a time of the calendar, or the clocks skip it: the message says which.
    Refused(String),
    /// The clocks show it twice: the form must ask which one is meant.
    AskWhichHour(String),
}

impl LocalTimeError {
    pub fn message(&self) -> &str {
        match self {
            LocalTimeError::Refused(message) | LocalTimeError::AskWhichHour(message) => message,
        }
    }
}

/// The instant a local date and time names in `zone`: a time the clocks skip (spring forward)
/// is refused, and one they show twice (fall back) needs `repeated` to say which. Neither is
/// guessed: a guess silently turns a 30-minute slot into a 90-minute one (issue 30, finding 7).
pub fn local_to_instant(
    date: Date,
    time: jiff::civil::Time,
    zone: &TimeZone,
    repeated: Option<corridor_domain::instant::RepeatedHour>,
    language: Language,
) -> Result<Timestamp, LocalTimeError> {
    use corridor_domain::instant::{local_instant, LocalTimeProblem};
    let clock = format!("{date} {:02}:{:02}", time.hour(), time.minute());
    match local_instant(date, time, zone, repeated) {
        Ok(instant) => Ok(instant),
        Err(LocalTimeProblem::Skipped { .. }) => Err(LocalTimeError::Refused(match language {
            Language::English => format!(
                "{clock} does not happen in this instrument's time zone: the clocks jump forward over it. Choose another time."
            ),
            Language::Chinese => format!("{clock} 在本仪器所在时区不存在（时钟向前调整跳过该时段），请另选时间。"),
        })),
        Err(LocalTimeProblem::Repeated { .. }) => Err(LocalTimeError::AskWhichHour(match language {
            Language::English => format!(
                "{clock} happens twice in this instrument's time zone (the clocks go back): choose the first or the second below."
            ),
            Language::Chinese => format!("{clock} 在本仪器所在时区出现两次（时钟回拨），请在下方选择第一次或第二次。"),
        })),
    }
}

/// A refusal of the booking service in the page's language, with the status the API answers
/// it with (from the problem kinds, so the pages and the API never disagree).
pub fn refusal_text(
    refusal: &corridor_app::Refusal,
    zone: &TimeZone,
    ctx: &super::PageContext,
) -> (String, axum::http::StatusCode) {
    use corridor_app::Refusal;
    let (t, language) = (ctx.t, ctx.language);
    let message = match refusal {
        Refusal::Booking(denial) => denial_message(denial, zone, t, language),
        Refusal::SlotTaken => t.slot_taken_message.to_owned(),
        Refusal::WrongBookingStatus { status, action } => {
            wrong_status_message(*status, action, t, language)
        }
        Refusal::Voucher(refusal) => {
            super::vouchers::payment::refused_booking_message(refusal, language)
        }
        Refusal::VoucherInsufficient(_) => super::vouchers::payment::hold_refused_message(language),
        other => other.to_string(),
    };
    let problem = crate::problem::ApiError::Refused {
        slug: refusal.slug(),
        detail: String::new(),
    }
    .to_problem();
    let status = axum::http::StatusCode::from_u16(problem.status)
        .unwrap_or(axum::http::StatusCode::CONFLICT);
    (message, status)
}
