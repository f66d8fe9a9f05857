use std::collections::{BTreeMap, HashSet};

use corridor_demo::{generate, DemoRegion, DemoScale};
use corridor_domain::{InstitutionKind, ProvinceCode, Sector};
use sha2::{Digest, Sha256};

fn fingerprint(region: &DemoRegion) -> String {
    let digest = Sha256::digest(format!("{region:?}").as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[test]
fn the_same_seed_gives_the_same_region_and_another_seed_another() {
    let scale = DemoScale::small();
    let first = generate(99, scale, &mut |_, _, _| {});
    let second = generate(99, scale, &mut |_, _, _| {});
    assert_eq!(first, second);
    assert_eq!(fingerprint(&first), fingerprint(&second));
    let other = generate(100, scale, &mut |_, _, _| {});
    assert_ne!(fingerprint(&first), fingerprint(&other));
    // The real facts do not depend on the seed; the synthetic ones do.
    assert_eq!(first.cities, other.cities);
    assert_ne!(first.instruments, other.instruments);
}

#[test]
fn the_full_region_has_the_scale_and_mix_of_the_brief() {
    let mut stages = BTreeMap::new();
    let region = generate(
        corridor_demo::DEFAULT_SEED,
        DemoScale::full(),
        &mut |stage, done, total| {
            assert!(done <= total, "{stage}: {done} of {total}");
            stages.insert(stage, total);
        },
    );
    assert!(
        stages.contains_key("instruments") && stages.contains_key("users"),
        "progress is reported: {stages:?}"
    );
    assert_eq!(region.instruments.len(), 56_000);
    assert_eq!(region.users.len(), 50_000);
    let in_region_cities = region
        .cities
        .iter()
        .filter(|city| city.province.is_in_region())
        .count();
    assert_eq!(in_region_cities, 41);
    let kind_count = |kind| {
        region
            .institutions
            .iter()
            .filter(|institution| institution.kind == kind)
            .count()
    };
    let in_region = |institution: &&corridor_domain::Institution| {
        region
            .cities
            .iter()
            .any(|city| city.code == institution.city && city.province.is_in_region())
    };
    let universities_in_region = region
        .institutions
        .iter()
        .filter(|institution| institution.kind == InstitutionKind::University)
        .filter(in_region)
        .count();
    assert!(universities_in_region >= 200, "{universities_in_region}");
    assert!(kind_count(InstitutionKind::Corporation) >= 600);
    assert!(
        (1_400..=1_700).contains(&region.institutions.len()),
        "about 1,500 institutions: {}",
        region.institutions.len()
    );
    assert_eq!(kind_count(InstitutionKind::FacilityOperator), 1);
    assert_eq!(region.beamlines.len(), 34);

    // Every province of the region holds instruments, Shanghai and Jiangsu the most.
    let province_of_site: BTreeMap<_, _> = region
        .sites
        .iter()
        .map(|site| {
            (
                site.id,
                region
                    .cities
                    .iter()
                    .find(|city| city.code == site.city)
                    .unwrap()
                    .province,
            )
        })
        .collect();
    let mut per_province: BTreeMap<ProvinceCode, usize> = BTreeMap::new();
    for instrument in &region.instruments {
        *per_province
            .entry(province_of_site[&instrument.site])
            .or_default() += 1;
    }
    for province in [
        ProvinceCode::Shanghai,
        ProvinceCode::Jiangsu,
        ProvinceCode::Zhejiang,
        ProvinceCode::Anhui,
    ] {
        assert!(
            per_province.get(&province).copied().unwrap_or(0) > 3_000,
            "{province:?}: {per_province:?}"
        );
    }
    assert_eq!(
        per_province.get(&ProvinceCode::Outside),
        None,
        "instruments are shared inside the region"
    );

    // A realistic mix: many classes, prices from tens of thousands to tens of millions.
    let classes: HashSet<_> = region
        .instruments
        .iter()
        .map(|instrument| instrument.category.top_level())
        .collect();
    assert!(classes.len() >= 12, "{}", classes.len());
    let mut prices: Vec<i64> = region
        .instruments
        .iter()
        .map(|instrument| instrument.purchase_value.whole_yuan())
        .collect();
    prices.sort_unstable();
    assert!(
        prices[prices.len() / 2] > 300_000 && prices[prices.len() / 2] < 5_000_000,
        "median {}",
        prices[prices.len() / 2]
    );
    assert!(*prices.last().unwrap() > 10_000_000);
    for instrument in &region.instruments {
        let rates = instrument.rates;
        assert!(
            rates.own_institution_fen <= rates.other_academic_fen
                && rates.other_academic_fen <= rates.industry_fen,
            "{instrument:?}"
        );
        assert!(instrument.opening_hours.open_minutes_per_week() > 0);
    }

    // The aerospace cluster is around Shanghai: most aerospace firms are in Shanghai or the
    // cities next to it.
    let near_shanghai = [310000, 320500, 320600, 330400, 320100, 321100];
    let aerospace: Vec<_> = region
        .institutions
        .iter()
        .filter(|institution| institution.sector == Sector::Aerospace)
        .collect();
    let clustered = aerospace
        .iter()
        .filter(|institution| near_shanghai.contains(&institution.city.get()))
        .count();
    assert!(
        clustered * 2 > aerospace.len(),
        "{clustered} of {}",
        aerospace.len()
    );

    // Every user has a unique address, and every role of the brief has at least one holder.
    let addresses: HashSet<_> = region
        .users
        .iter()
        .map(|user| user.email.as_str())
        .collect();
    assert_eq!(addresses.len(), region.users.len());
    for role in corridor_domain::Role::ALL {
        assert!(
            region.users.iter().any(|user| user.has_role(*role)),
            "{role:?}"
        );
    }
    assert_eq!(
        region.demo_accounts.len(),
        corridor_demo::DEMO_ACCOUNT_EMAILS.len()
    );
}
