//! Numbers, money and durations as a reader of the page's language writes them.
//!
//! Every figure a page shows goes through one of these functions, so that `1017000 bookings`
//! never reaches a reader: counts get grouped digits (`1,017,000`), sums of money are exact
//! with grouped digits in English (`¥488,682,653.47`) and in 万元 / 亿元 for a Chinese reader
//! when they are large, and durations read `2 h 03 min` or `2小时3分`.

use corridor_domain::Fen;

use corridor_domain::Language;

/// A whole number with its digits grouped by three: `1,017,000`, `-4,200`.
pub fn grouped(value: impl TryInto<i128>) -> String {
    // Every integer type Corridor counts with (u64, usize, i64) fits in an i128.
    let value: i128 = value.try_into().unwrap_or(i128::MAX);
    let digits = value.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if value < 0 {
        out.push('-');
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A decimal figure (hours, shares) with grouped whole digits and `decimals` places:
/// `12,345.5`.
pub fn grouped_decimal(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return "–".to_owned();
    }
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let whole: i128 = whole.parse().unwrap_or(0);
    let sign = if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{sign}{}", grouped(whole))
    } else {
        format!("{sign}{}.{fraction}", grouped(whole))
    }
}

/// A sum of money as a reader of `language` expects it on a report: exact with grouped digits
/// (`¥488,682,653.47`) in English; in Chinese, 亿元 from a hundred million yuan (`4.89 亿元`),
/// 万元 from a hundred thousand (`48.87 万元`), exact below.
pub fn money_sum(amount: Fen, language: Language) -> String {
    let yuan = amount.0 as f64 / 100.0;
    match language {
        Language::Chinese if yuan.abs() >= 1e8 => format!("{:.2} 亿元", yuan / 1e8),
        Language::Chinese if yuan.abs() >= 1e5 => format!("{:.2} 万元", yuan / 1e4),
        _ => amount.to_string(),
    }
}

/// A length of time: `45 min`, `2 h`, `2 h 03 min`; `45分钟`, `2小时`, `2小时3分`.
pub fn duration(minutes: i64, language: Language) -> String {
    let sign = if minutes < 0 { "-" } else { "" };
    let minutes = minutes.unsigned_abs();
    let (hours, rest) = (minutes / 60, minutes % 60);
    let hours_text = grouped(hours);
    match (language, hours, rest) {
        (Language::English, 0, _) => format!("{sign}{rest} min"),
        (Language::English, _, 0) => format!("{sign}{hours_text} h"),
        (Language::English, _, _) => format!("{sign}{hours_text} h {rest:02} min"),
        (Language::Chinese, 0, _) => format!("{sign}{rest}分钟"),
        (Language::Chinese, _, 0) => format!("{sign}{hours_text}小时"),
        (Language::Chinese, _, _) => format!("{sign}{hours_text}小时{rest}分"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn counts_are_grouped_by_three() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(1_017_000), "1,017,000");
        assert_eq!(grouped(-4_200), "-4,200");
        assert_eq!(grouped_decimal(12_345.54, 1), "12,345.5");
        assert_eq!(grouped_decimal(0.04, 1), "0.0");
        assert_eq!(grouped_decimal(-0.04, 1), "0.0");
    }

    #[test]
    fn sums_of_money_read_as_each_language_expects() {
        let fees = Fen(48_868_265_347);
        assert_eq!(money_sum(fees, Language::English), "¥488,682,653.47");
        assert_eq!(money_sum(fees, Language::Chinese), "4.89 亿元");
        assert_eq!(money_sum(Fen(48_868_200), Language::Chinese), "48.87 万元");
        assert_eq!(money_sum(Fen(35_050), Language::Chinese), "¥350.50");
    }

    #[test]
    fn durations_read_in_hours_and_minutes() {
        assert_eq!(duration(123, Language::English), "2 h 03 min");
        assert_eq!(duration(123, Language::Chinese), "2小时3分");
        assert_eq!(duration(45, Language::English), "45 min");
        assert_eq!(duration(45, Language::Chinese), "45分钟");
        assert_eq!(duration(120, Language::English), "2 h");
        assert_eq!(duration(120, Language::Chinese), "2小时");
    }

    proptest! {
        /// Removing the separators gives the number back, and no group but the first is
        /// shorter than three digits.
        #[test]
        fn grouping_keeps_the_number(value in any::<i64>()) {
            let text = grouped(value);
            prop_assert_eq!(text.replace(',', "").parse::<i64>().unwrap(), value);
            for group in text.trim_start_matches('-').split(',').skip(1) {
                prop_assert_eq!(group.len(), 3);
            }
        }

        /// A duration's text gives back its minutes.
        #[test]
        fn durations_keep_their_minutes(minutes in 0i64..1_000_000) {
            let text = duration(minutes, Language::English).replace(',', "");
            let mut total = 0i64;
            let words: Vec<&str> = text.split(' ').collect();
            for pair in words.chunks(2) {
                let number: i64 = pair[0].parse().unwrap();
                total += if pair[1] == "h" { number * 60 } else { number };
            }
            prop_assert_eq!(total, minutes);
        }
    }
}
