//! Reading one cell's value as real files write it: amounts with thousands separators,
//! full-width digits, a currency sign or a 万 unit; dates as Excel serials or text in the
//! usual Chinese and ISO forms; the codes of access, booking and status in either language.

use corridor_domain::{AccessPolicy, BookingMode, Fen, HourlyRates};
use jiff::civil::Date;

use super::read::{number_text, Cell};
use super::record::OperatingStatus;

/// The largest purchase value taken (a hundred billion yuan: above any single instrument).
const LARGEST_VALUE_FEN: i64 = 10_000_000_000_000;

/// Folds full-width digits, letters and punctuation to their ASCII forms.
pub fn fold_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            c if ('\u{FF01}'..='\u{FF5E}').contains(&c) => {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            c => c,
        })
        .collect()
}

/// An amount read: in fen, and whether it had to be rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount {
    pub fen: Fen,
    pub rounded: bool,
}

/// An amount in yuan, or in 万元 when `wan` (either the header's unit, or 万 written in the
/// cell), exact to the fen: decimal text is read digit by digit, never through a float.
pub fn parse_money(cell: &Cell, wan: bool) -> Option<Amount> {
    let text = match cell {
        Cell::Number(number) => number_text(*number),
        other => other.as_text()?,
    };
    let folded = fold_width(&text);
    let mut text: String = folded
        .trim()
        .trim_start_matches(['¥', '￥'])
        .trim_start_matches("RMB")
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | ' ' | '_' | '\''))
        .collect();
    let mut wan = wan;
    if let Some(stripped) = text
        .strip_suffix("万元")
        .or_else(|| text.strip_suffix('万'))
    {
        text = stripped.to_owned();
        wan = true;
    } else if let Some(stripped) = text.strip_suffix('元') {
        text = stripped.to_owned();
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Fen per unit: 100 for yuan, 1,000,000 for 万元.
    let scale_digits = if wan { 6 } else { 2 };
    let mut fen: i64 = 0;
    for digit in whole.bytes().chain(fraction.bytes().take(scale_digits)) {
        fen = fen.checked_mul(10)?.checked_add(i64::from(digit - b'0'))?;
    }
    for _ in fraction.len().min(scale_digits)..scale_digits {
        fen = fen.checked_mul(10)?;
    }
    let rest = fraction.get(scale_digits..).unwrap_or("");
    let rounded = rest.bytes().any(|b| b != b'0');
    if rest.as_bytes().first().is_some_and(|b| *b >= b'5') {
        fen = fen.checked_add(1)?;
    }
    (fen <= LARGEST_VALUE_FEN).then_some(Amount {
        fen: Fen(fen),
        rounded,
    })
}

/// Excel's day 0 in the 1900 date system, as Excel counts (its phantom 29 February 1900
/// included, so serials from March 1900 on land right).
fn excel_epoch() -> Date {
    jiff::civil::date(1899, 12, 30)
}

/// A date from an Excel serial, or from text: 2019-03-15, 2019/3/15, 2019.3.15,
/// 2019年3月15日, 20190315, a month (2019-03, 2019年3月: its first day) or a year (2019: 1
/// January). Times after the date are ignored.
pub fn parse_date(cell: &Cell) -> Option<Date> {
    match cell {
        Cell::Date(serial) | Cell::Number(serial) if (1.0..2_958_466.0).contains(serial) => {
            // A plain number is a year when it looks like one, else a serial.
            if matches!(cell, Cell::Number(_)) && (1950.0..=2100.0).contains(serial) {
                return jiff::civil::Date::new(*serial as i16, 1, 1).ok();
            }
            excel_epoch()
                .checked_add(jiff::Span::new().days(serial.floor() as i64))
                .ok()
        }
        Cell::Text(text) => parse_date_text(text),
        _ => None,
    }
}

fn parse_date_text(text: &str) -> Option<Date> {
    let folded = fold_width(text);
    let text = folded.trim();
    let date_part = text.split([' ', 'T']).next().unwrap_or(text);
    if date_part.len() == 8 && date_part.bytes().all(|b| b.is_ascii_digit()) {
        let (year, rest) = date_part.split_at(4);
        let (month, day) = rest.split_at(2);
        return Date::new(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?).ok();
    }
    let parts: Vec<&str> = date_part
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|part| !part.is_empty())
        .collect();
    let number = |part: &str| -> Option<i16> {
        (part.bytes().all(|b| b.is_ascii_digit()) && part.len() <= 4)
            .then(|| part.parse().ok())
            .flatten()
    };
    let (year, month, day) = match parts.as_slice() {
        [year] => (number(year)?, 1, 1),
        [year, month] => (number(year)?, number(month)?, 1),
        [year, month, day] => (number(year)?, number(month)?, number(day)?),
        _ => return None,
    };
    if !(1900..=2100).contains(&year) {
        return None;
    }
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

/// Lower case, without spaces, underscores or hyphens.
fn squash(text: &str) -> String {
    fold_width(text)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

pub fn access_policy_label(policy: AccessPolicy) -> &'static str {
    match policy {
        AccessPolicy::Open => "对外开放",
        AccessPolicy::Region => "区域内开放",
        AccessPolicy::OwnInstitution => "校内共享",
    }
}

pub fn parse_access_policy(text: &str) -> Option<AccessPolicy> {
    let text = squash(text);
    Some(match text.as_str() {
        "对外开放" | "开放" | "完全开放" | "社会开放" | "open" | "public" => {
            AccessPolicy::Open
        }
        "区域内开放" | "区域开放" | "长三角开放" | "region" | "regional" => {
            AccessPolicy::Region
        }
        "校内共享" | "校内开放" | "本单位" | "内部共享" | "单位内部" | "不对外开放"
        | "owninstitution" | "internal" => AccessPolicy::OwnInstitution,
        _ => return None,
    })
}

pub fn booking_mode_label(mode: BookingMode) -> &'static str {
    match mode {
        BookingMode::Instant => "直接预约",
        BookingMode::NeedsApproval => "需审核",
    }
}

pub fn parse_booking_mode(text: &str) -> Option<BookingMode> {
    let text = squash(text);
    Some(match text.as_str() {
        "直接预约" | "在线预约" | "即时预约" | "instant" => BookingMode::Instant,
        "需审核" | "审核后预约" | "预约审核" | "审核" | "电话预约" | "needsapproval"
        | "approval" => BookingMode::NeedsApproval,
        _ => return None,
    })
}

pub fn status_label(status: OperatingStatus) -> &'static str {
    match status {
        OperatingStatus::Normal => "正常",
        OperatingStatus::UnderRepair => "维修中",
        OperatingStatus::OutOfService => "停用",
    }
}

pub fn parse_status(text: &str) -> Option<OperatingStatus> {
    let text = squash(text);
    Some(match text.as_str() {
        "正常" | "运行正常" | "在用" | "良好" | "完好" | "normal" | "inuse" | "ok" => {
            OperatingStatus::Normal
        }
        "维修中" | "维修" | "故障" | "待修" | "underrepair" | "repair" => {
            OperatingStatus::UnderRepair
        }
        "停用" | "报废" | "闲置" | "outofservice" | "retired" => {
            OperatingStatus::OutOfService
        }
        _ => return None,
    })
}

fn yuan_text(fen: Fen) -> String {
    format!("{}.{:02}", fen.0 / 100, fen.0 % 100)
}

/// The rates as the export writes them when the institution wrote none of its own:
/// `本单位 80.00 元/小时；校外 120.00 元/小时；企业 200.00 元/小时`.
pub fn rates_text(rates: &HourlyRates) -> String {
    format!(
        "本单位 {} 元/小时；校外 {} 元/小时；企业 {} 元/小时",
        yuan_text(rates.own_institution_fen),
        yuan_text(rates.other_academic_fen),
        yuan_text(rates.industry_fen)
    )
}

/// Hourly rates from a rates text: the three labelled rates the export writes, or one rate
/// per hour for everyone (`200元/小时`). Anything else (per sample, per item, ranges) gives
/// none.
pub fn parse_rates(text: &str) -> Option<HourlyRates> {
    let folded = fold_width(text).replace(['，', ';', '；'], ";");
    let per_hour = |part: &str| -> Option<Fen> {
        let part = part.trim();
        let amount = part
            .strip_suffix("元/小时")
            .or_else(|| part.strip_suffix("元/h"))
            .or_else(|| part.strip_suffix("元/时"))?;
        let amount = amount
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .trim();
        parse_money(&Cell::Text(amount.to_owned()), false).map(|amount| amount.fen)
    };
    let parts: Vec<&str> = folded
        .split(';')
        .filter(|part| !part.trim().is_empty())
        .collect();
    match parts.as_slice() {
        [one] => {
            let rate = per_hour(one)?;
            HourlyRates::new(rate, rate, rate).ok()
        }
        [own, academic, industry]
            if own.contains("本单位") && academic.contains("校外") && industry.contains("企业") =>
        {
            HourlyRates::new(per_hour(own)?, per_hour(academic)?, per_hour(industry)?).ok()
        }
        _ => None,
    }
}
