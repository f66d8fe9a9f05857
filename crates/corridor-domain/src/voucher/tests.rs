use jiff::civil::date;
use proptest::prelude::*;

use super::*;

fn programme() -> VoucherProgramme {
    VoucherProgramme {
        id: VoucherProgrammeId(1),
        province: ProvinceCode::parse("AH").unwrap(),
        name_en: "Anhui innovation vouchers".into(),
        name_zh: "安徽创新券".into(),
        budget: Fen::from_yuan(10_000_000),
        co_funding_percent: 60,
        annual_cap_per_enterprise: Fen::from_yuan(500_000),
        valid_from: date(2026, 1, 1),
        valid_until: date(2026, 12, 31),
        eligible_categories: vec![CategoryCode::parse("01").unwrap()],
        provider_scope: ProviderScope::WholeRegion,
        redemption_mode: RedemptionMode::ProviderRedeems,
    }
}

fn anhui() -> ProvinceCode {
    ProvinceCode::parse("AH").unwrap()
}

fn shanghai() -> ProvinceCode {
    ProvinceCode::parse("SH").unwrap()
}

/// Covered through its top-level class "01", which the programme lists.
fn mass_spectrometry() -> CategoryCode {
    CategoryCode::parse("0103").unwrap()
}

#[test]
fn issuance_respects_kind_province_validity_and_the_annual_cap() {
    let programme = programme();
    let day = date(2026, 6, 1);
    let check = |kind, province: &ProvinceCode, issued: i64, amount: i64, day| {
        check_issuance(&programme, kind, province, Fen(issued), Fen(amount), day)
    };
    assert_eq!(
        check(InstitutionKind::Corporation, &anhui(), 0, 50_000_000, day),
        Ok(())
    );
    assert_eq!(
        check(InstitutionKind::University, &anhui(), 0, 100, day),
        Err(VoucherRefusal::NotAnEnterprise)
    );
    assert_eq!(
        check(InstitutionKind::Corporation, &shanghai(), 0, 100, day),
        Err(VoucherRefusal::EnterpriseOutsideProvince)
    );
    assert_eq!(
        check(
            InstitutionKind::Corporation,
            &anhui(),
            0,
            100,
            date(2027, 1, 1)
        ),
        Err(VoucherRefusal::ProgrammeNotValid(date(2027, 1, 1)))
    );
    assert!(matches!(
        check(
            InstitutionKind::Corporation,
            &anhui(),
            40_000_000,
            10_000_001,
            day
        ),
        Err(VoucherRefusal::AnnualCapExceeded { .. })
    ));
}

#[test]
fn the_split_follows_ratio_balance_category_and_provider_scope() {
    let mut programme = programme();
    let day = date(2026, 6, 1);
    let split = split_price(
        &programme,
        Fen(10_001),
        Fen(1_000_000),
        &mass_spectrometry(),
        &shanghai(),
        day,
    )
    .unwrap();
    assert_eq!(
        (split.voucher_pays, split.enterprise_pays),
        (Fen(6_000), Fen(4_001))
    );
    let limited = split_price(
        &programme,
        Fen(10_000),
        Fen(2_500),
        &mass_spectrometry(),
        &shanghai(),
        day,
    )
    .unwrap();
    assert_eq!(
        (limited.voucher_pays, limited.enterprise_pays),
        (Fen(2_500), Fen(7_500))
    );
    assert_eq!(
        split_price(
            &programme,
            Fen(10_000),
            Fen(2_500),
            &CategoryCode::parse("0201").unwrap(),
            &shanghai(),
            day
        ),
        Err(VoucherRefusal::CategoryNotEligible)
    );
    programme.provider_scope = ProviderScope::OwnProvince;
    assert_eq!(
        split_price(
            &programme,
            Fen(10_000),
            Fen(2_500),
            &mass_spectrometry(),
            &shanghai(),
            day
        ),
        Err(VoucherRefusal::ProviderNotEligible)
    );
    assert_eq!(
        split_price(
            &programme,
            Fen(10_000),
            Fen(0),
            &mass_spectrometry(),
            &anhui(),
            day
        ),
        Err(VoucherRefusal::NothingLeft)
    );
}

#[test]
fn a_programme_with_impossible_rules_is_refused() {
    let mut programme = programme();
    assert!(programme.validate().is_ok());
    programme.co_funding_percent = 0;
    assert_eq!(
        programme.validate().unwrap_err().field,
        "co_funding_percent"
    );
    programme.co_funding_percent = 50;
    programme.valid_until = date(2025, 1, 1);
    assert_eq!(programme.validate().unwrap_err().field, "valid_until");
}

proptest! {
    /// The voucher and the enterprise together pay exactly the price; the voucher never pays
    /// more than its ratio or its balance, and at usage never more than it held.
    #[test]
    fn splits_always_add_up(price in 0i64..100_000_000, available in 1i64..100_000_000, percent in 1u8..=100, charged_share in 0i64..=100) {
        let mut programme = programme();
        programme.co_funding_percent = percent;
        let split = split_price(&programme, Fen(price), Fen(available), &mass_spectrometry(), &anhui(), date(2026, 3, 3)).unwrap();
        prop_assert_eq!(split.voucher_pays.0 + split.enterprise_pays.0, price);
        prop_assert!(split.voucher_pays.0 <= available);
        prop_assert!(i128::from(split.voucher_pays.0) * 100 <= i128::from(price) * i128::from(percent));
        prop_assert!(split.voucher_pays.0 >= 0 && split.enterprise_pays.0 >= 0);
        let charged = Fen(price * charged_share / 100);
        let settled = settle_share(split.voucher_pays, Fen(price), charged);
        prop_assert!(settled.0 <= split.voucher_pays.0);
        prop_assert!(settled.0 <= charged.0);
    }
}

#[test]
fn vouchers_expire_after_the_claim_grace_days() {
    let programme = programme();
    // The last day is 2026-12-31; thirty days of grace end on 2027-01-30.
    assert!(!programme.has_expired_by(date(2026, 12, 31)));
    assert!(!programme.has_expired_by(date(2027, 1, 30)));
    assert!(programme.has_expired_by(date(2027, 1, 31)));
}
