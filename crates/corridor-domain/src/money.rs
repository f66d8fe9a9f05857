use serde::{Deserialize, Serialize};

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

    pub fn from_yuan(yuan: i64) -> Fen {
        Fen(yuan * 100)
    }

    /// Whole yuan, rounded towards zero; for display and price bands only.
    pub fn whole_yuan(self) -> i64 {
        self.0 / 100
    }
}

impl std::fmt::Display for Fen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let absolute = self.0.unsigned_abs();
        write!(f, "{sign}¥{}.{:02}", absolute / 100, absolute % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fen_displays_as_yuan_with_two_decimals() {
        assert_eq!(Fen(35_050).to_string(), "¥350.50");
        assert_eq!(Fen(-5).to_string(), "-¥0.05");
        assert_eq!(Fen::from_yuan(12).whole_yuan(), 12);
    }
}
