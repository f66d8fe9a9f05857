//! The demo region's innovation-voucher programmes: one per province of the region, open for
//! the whole calendar year the demo is generated in.
//!
//! The rules follow what the region's provinces publish in outline: the voucher pays half to
//! 60% of a service, an enterprise receives at most a few hundred thousand yuan a year, and
//! since the region's agreement the vouchers are spendable with providers in every province.
//! Shanghai and Zhejiang let providers redeem; Jiangsu and Anhui reimburse enterprises.

use corridor_domain::voucher::{
    ProviderScope, RedemptionMode, VoucherProgramme, VoucherProgrammeId,
};
use corridor_domain::{Fen, ProvinceCode};
use jiff::civil::{date, Date};

/// The programmes of the year `today` falls in (ids are assigned by the store).
pub fn voucher_programmes(today: Date) -> Vec<VoucherProgramme> {
    let year = today.year();
    let programme =
        |province, name_en: &str, name_zh: &str, budget_yuan, percent, cap_yuan, mode| {
            VoucherProgramme {
                id: VoucherProgrammeId(0),
                province,
                name_en: format!("{name_en} {year}"),
                name_zh: format!("{year}年{name_zh}"),
                budget: Fen::from_yuan(budget_yuan),
                co_funding_percent: percent,
                annual_cap_per_enterprise: Fen::from_yuan(cap_yuan),
                valid_from: date(year, 1, 1),
                valid_until: date(year, 12, 31),
                eligible_categories: Vec::new(),
                provider_scope: ProviderScope::WholeRegion,
                redemption_mode: mode,
            }
        };
    vec![
        programme(
            ProvinceCode::Shanghai,
            "Shanghai science and technology innovation vouchers",
            "上海市科技创新券",
            100_000_000,
            50,
            500_000,
            RedemptionMode::ProviderRedeems,
        ),
        programme(
            ProvinceCode::Jiangsu,
            "Jiangsu innovation vouchers",
            "江苏省创新券",
            80_000_000,
            50,
            300_000,
            RedemptionMode::EnterpriseRedeems,
        ),
        programme(
            ProvinceCode::Zhejiang,
            "Zhejiang innovation vouchers",
            "浙江省创新券",
            80_000_000,
            60,
            300_000,
            RedemptionMode::ProviderRedeems,
        ),
        programme(
            ProvinceCode::Anhui,
            "Anhui innovation vouchers",
            "安徽省创新券",
            50_000_000,
            60,
            300_000,
            RedemptionMode::EnterpriseRedeems,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_region_province_has_a_valid_programme_for_the_whole_year() {
        let today = date(2026, 11, 28);
        let programmes = voucher_programmes(today);
        for province in [
            ProvinceCode::Shanghai,
            ProvinceCode::Jiangsu,
            ProvinceCode::Zhejiang,
            ProvinceCode::Anhui,
        ] {
            let programme = programmes
                .iter()
                .find(|programme| programme.province == province)
                .unwrap();
            assert!(programme.validate().is_ok());
            assert!(programme.is_valid_on(today) && programme.is_valid_on(date(2026, 1, 1)));
            assert!(!programme.is_valid_on(date(2027, 1, 1)));
        }
    }
}
