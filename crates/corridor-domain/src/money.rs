use serde::{Deserialize, Serialize};

use crate::DomainError;

/// An amount of Chinese yuan in fen (1/100 yuan).
///
/// Money is an integer everywhere in Corridor: floating point cannot represent 0.10 yuan and
/// sums of prices, rates and voucher shares must balance to the fen. The API speaks fen too
/// (fields end in `_fen`), so no client ever has to round.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    /// The largest amount Corridor accepts anywhere: ¥100 billion (10^13 fen), beyond any
    /// programme budget or instrument's price, and far enough below `i64::MAX` (about
    /// 9.2 × 10^18) that sums of a year of bookings or a province's vouchers cannot overflow.
    /// Every amount that comes in from outside is checked against this or a tighter bound.
    pub const MAX: Fen = Fen(10_000_000_000_000);

    /// The largest hourly rate an instrument may ask: ¥1,000,000 per hour (a synchrotron's
    /// proprietary beamtime is about ¥3,000 per hour). A two-week booking at this rate is
    /// 3.36 × 10^10 fen, well inside [`Fen::MAX`].
    pub const MAX_HOURLY_RATE: Fen = Fen(100_000_000);

    pub fn from_yuan(yuan: i64) -> Fen {
        Fen(yuan.saturating_mul(100))
    }

    /// An amount that came in from outside: between 0 and `max` (inclusive), or an error
    /// that names the field and the bound.
    pub fn bounded(field: &'static str, fen: i64, max: Fen) -> Result<Fen, DomainError> {
        if fen < 0 {
            return Err(DomainError::invalid(field, "cannot be negative"));
        }
        if fen > max.0 {
            return Err(DomainError::invalid(
                field,
                format!("at most {} fen ({max})", max.0),
            ));
        }
        Ok(Fen(fen))
    }

    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    pub fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }

    /// `self × numerator / denominator`, rounded half up, in 128-bit arithmetic; `None` when
    /// the result does not fit or the denominator is not positive.
    pub fn checked_ratio(self, numerator: i64, denominator: i64) -> Option<Fen> {
        if denominator <= 0 {
            return None;
        }
        let product = i128::from(self.0).checked_mul(i128::from(numerator))?;
        let half = i128::from(denominator) / 2;
        let rounded = if product >= 0 {
            (product + half) / i128::from(denominator)
        } else {
            (product - half) / i128::from(denominator)
        };
        i64::try_from(rounded).ok().map(Fen)
    }

    /// `self × numerator / denominator`, rounded towards zero (a share never exceeds its
    /// part); `None` when it does not fit or the denominator is not positive.
    pub fn checked_share(self, numerator: i64, denominator: i64) -> Option<Fen> {
        if denominator <= 0 {
            return None;
        }
        let product = i128::from(self.0).checked_mul(i128::from(numerator))?;
        i64::try_from(product / i128::from(denominator))
            .ok()
            .map(Fen)
    }

    /// Whole yuan, rounded towards zero; for display and price bands only.
    pub fn whole_yuan(self) -> i64 {
        self.0 / 100
    }
}

impl std::fmt::Display for Fen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Grouped by three as money is written in both languages: ¥488,682,653.47.
        let sign = if self.0 < 0 { "-" } else { "" };
        let absolute = self.0.unsigned_abs();
        let whole = (absolute / 100).to_string();
        write!(f, "{sign}¥")?;
        for (index, digit) in whole.chars().enumerate() {
            if index > 0 && (whole.len() - index) % 3 == 0 {
                f.write_str(",")?;
            }
            write!(f, "{digit}")?;
        }
        write!(f, ".{:02}", absolute % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_amounts_refuse_what_lies_outside() {
        assert_eq!(Fen::bounded("x", 0, Fen::MAX), Ok(Fen(0)));
        assert_eq!(Fen::bounded("x", Fen::MAX.0, Fen::MAX), Ok(Fen::MAX));
        assert!(Fen::bounded("x", Fen::MAX.0 + 1, Fen::MAX).is_err());
        assert!(Fen::bounded("x", -1, Fen::MAX).is_err());
        assert!(Fen::bounded("x", i64::MAX, Fen::MAX).is_err());
    }

    #[test]
    fn checked_arithmetic_never_wraps() {
        assert_eq!(Fen(i64::MAX).checked_add(Fen(1)), None);
        assert_eq!(Fen(i64::MIN).checked_sub(Fen(1)), None);
        assert_eq!(Fen(i64::MAX).checked_ratio(8, 1), None);
        assert_eq!(Fen(6_000).checked_ratio(45, 60), Some(Fen(4_500)));
        assert_eq!(Fen(100).checked_ratio(1, 3), Some(Fen(33)));
        assert_eq!(Fen(200).checked_ratio(1, 3), Some(Fen(67)));
        assert_eq!(Fen(200).checked_share(1, 3), Some(Fen(66)));
        assert_eq!(Fen(1).checked_share(1, 0), None);
    }

    #[test]
    fn fen_displays_as_yuan_with_two_decimals() {
        assert_eq!(Fen(35_050).to_string(), "¥350.50");
        assert_eq!(Fen(-5).to_string(), "-¥0.05");
        assert_eq!(Fen(48_868_265_347).to_string(), "¥488,682,653.47");
        assert_eq!(Fen(-100_000).to_string(), "-¥1,000.00");
        assert_eq!(Fen::from_yuan(12).whole_yuan(), 12);
    }
}
