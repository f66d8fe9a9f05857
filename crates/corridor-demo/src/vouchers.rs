//! The demo region's innovation-voucher programmes: one per province of the region, open for
//! the whole calendar year the demo is generated in.
//!
//! The rules follow what the region's provinces publish in outline: the voucher pays half to
//! 60% of a service, an enterprise receives at most a few hundred thousand yuan a year, and
//! since the region's agreement the vouchers are spendable with providers in every province.
//! Shanghai and Zhejiang let providers redeem; Jiangsu and Anhui reimburse enterprises.

use std::collections::BTreeMap;

use corridor_domain::voucher::{
    ProviderScope, RedemptionMode, VoucherProgramme, VoucherProgrammeId,
};
use corridor_domain::{
    BookingStatus, Fen, InstitutionId, InstitutionKind, ProvinceCode, UserClass, UserId,
};
use jiff::civil::{date, Date};
use jiff::{SignedDuration, Timestamp};

use crate::{DemoBooking, DemoRegion};

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

/// A voucher the demo says was issued earlier this year, and the bookings it paid for (or,
/// where usage waits to be recorded, holds money for), oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoVoucherGrant {
    /// Index into [`voucher_programmes`]' answer.
    pub programme: usize,
    pub enterprise: InstitutionId,
    pub applicant: UserId,
    pub amount: Fen,
    pub issued_at: Timestamp,
    /// Indexes into the booking history.
    pub bookings: Vec<usize>,
}

/// How many completed bookings one demo voucher pays for at most; it keeps the history's
/// import within the generation budget.
pub const BOOKINGS_PER_VOUCHER: usize = 12;
/// How many bookings whose slot is over but whose usage is not yet recorded one demo voucher
/// holds money for at most: the holds a manager's usage recording then redeems.
pub const HELD_BOOKINGS_PER_VOUCHER: usize = 3;

/// One in five of the region's enterprises that used instruments this year did so with a
/// voucher from their province's programme: issued a day before their first booking of the
/// year, for their share of what they booked this year (rounded up to a thousand yuan, at most
/// the programme's cap), and used on their first completed bookings of the year
/// (at most [`BOOKINGS_PER_VOUCHER`]) until it ran out, and on their bookings whose usage
/// waits to be recorded (at most [`HELD_BOOKINGS_PER_VOUCHER`]), which keep a hold.
pub fn voucher_history(
    region: &DemoRegion,
    bookings: &[DemoBooking],
    programmes: &[VoucherProgramme],
    now: Timestamp,
) -> Vec<DemoVoucherGrant> {
    let province_of_city: BTreeMap<_, _> = region
        .cities
        .iter()
        .map(|city| (city.code, city.province))
        .collect();
    let enterprise_province: BTreeMap<InstitutionId, ProvinceCode> = region
        .institutions
        .iter()
        .filter(|institution| institution.kind == InstitutionKind::Corporation)
        .filter_map(|institution| {
            province_of_city
                .get(&institution.city)
                .map(|province| (institution.id, *province))
        })
        .collect();
    let home_of: BTreeMap<UserId, InstitutionId> = region
        .users
        .iter()
        .map(|user| (user.id, user.home_institution))
        .collect();
    // Per enterprise: its programme, its completed bookings this year and those whose usage
    // waits to be recorded, each in time order.
    let mut per_enterprise: BTreeMap<InstitutionId, (usize, Vec<usize>, Vec<usize>)> =
        BTreeMap::new();
    let mut order: Vec<usize> = (0..bookings.len()).collect();
    order.sort_by_key(|index| bookings[*index].range.start);
    for index in order {
        let booking = &bookings[index];
        let usage_due = booking.status == BookingStatus::Confirmed;
        if !(usage_due || booking.status == BookingStatus::Completed)
            || booking.user_class != UserClass::Industry
            || booking.range.end > now
        {
            continue;
        }
        let Some(enterprise) = home_of.get(&booking.user) else {
            continue;
        };
        if enterprise.0 % 5 != 0 {
            continue;
        }
        let Some(province) = enterprise_province.get(enterprise) else {
            continue;
        };
        let Some(programme) = programmes.iter().position(|programme| {
            programme.province == *province
                && programme.is_valid_on(
                    booking
                        .created_at
                        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").expect("bundled"))
                        .date(),
                )
        }) else {
            continue;
        };
        let (_, completed, held) =
            per_enterprise
                .entry(*enterprise)
                .or_insert((programme, Vec::new(), Vec::new()));
        if usage_due && held.len() < HELD_BOOKINGS_PER_VOUCHER {
            held.push(index);
        } else if !usage_due && completed.len() < BOOKINGS_PER_VOUCHER {
            completed.push(index);
        }
    }
    per_enterprise
        .into_iter()
        .map(|(enterprise, (programme, mut indexes, held))| {
            // The held bookings come last, after the settled history.
            indexes.extend(held);
            let rules = &programmes[programme];
            let share: i64 = indexes
                .iter()
                .map(|index| bookings[*index].price.0 * i64::from(rules.co_funding_percent) / 100)
                .sum();
            let thousand_yuan = Fen::from_yuan(1_000).0;
            let amount = Fen(
                ((share + thousand_yuan - 1) / thousand_yuan * thousand_yuan)
                    .clamp(thousand_yuan, rules.annual_cap_per_enterprise.0),
            );
            let first = &bookings[indexes[0]];
            let programme_opens = rules
                .valid_from
                .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").expect("bundled"))
                .map(|zoned| zoned.timestamp())
                .unwrap_or(first.created_at);
            DemoVoucherGrant {
                programme,
                enterprise,
                applicant: first.user,
                amount,
                issued_at: (first.created_at - SignedDuration::from_hours(24)).max(programme_opens),
                bookings: indexes,
            }
        })
        .collect()
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
