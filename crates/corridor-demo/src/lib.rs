//! The demo region: a deterministic generator of the Yangtze River Delta as Corridor sees it.
//!
//! Real facts (the 41 prefecture-level cities and their coordinates, real universities,
//! institutes, hospitals, the synchrotron's beamlines, the instrument taxonomy and real
//! manufacturer/model pairs) are typed in under `data/`. Everything else (corporations,
//! people, which instrument stands where, prices, opening hours) is drawn from a seeded
//! ChaCha stream, so the same seed always gives the same region, byte for byte.
//!
//! Architecture Invariant: the generator is pure. It returns values; writing them is the
//! store's job and hashing the demo accounts' passwords is the binary's.

pub mod beamtime;
pub mod bookings;
pub mod data;
mod names;
mod people;
mod vouchers;

use std::collections::HashSet;

use corridor_domain::{
    AccessPolicy, Beamline, BeamlineId, BeamlineSource, BookingMode, CategoryCode, City, CityCode,
    EmailAddress, Fen, GeoPoint, HourlyRates, Institution, InstitutionId, InstitutionKind,
    Instrument, InstrumentCategory, InstrumentId, Language, ProvinceCode, Role, RoleGrant,
    RoleScope, Sector, Site, SiteId, TimeZoneName, UniversityTier, User, UserId,
    WeeklyOpeningHours,
};
use rand::distributions::{Distribution, WeightedIndex};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::data::{InstrumentTemplate, SectorRecord};

pub use bookings::{generate_booking_history, BookingHistory, DemoBooking};
pub use vouchers::{voucher_history, voucher_programmes, DemoVoucherGrant};

/// Bumped whenever the same seed would produce a different region.
pub const GENERATOR_VERSION: &str = "corridor-demo/2";
pub const DEFAULT_SEED: u64 = 2026;
pub const REGION_NAME: &str = "Yangtze River Delta";

/// The sign-in addresses of the demo accounts, one per role.
pub const DEMO_ACCOUNT_EMAILS: [&str; 8] = [
    "researcher@corridor.demo",
    "company@corridor.demo",
    "manager@corridor.demo",
    "institution-admin@corridor.demo",
    "user-office@corridor.demo",
    "reviewer@corridor.demo",
    "vouchers-sh@corridor.demo",
    "admin@corridor.demo",
];

/// How big a region to generate. [`DemoScale::full`] is the product's demo region;
/// [`DemoScale::small`] keeps every kind of thing but fewer of the numerous ones, for tests
/// that start a server many times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoScale {
    pub instruments: usize,
    pub users: usize,
    pub corporations: usize,
}

impl DemoScale {
    pub fn full() -> DemoScale {
        DemoScale {
            instruments: 56_000,
            users: 50_000,
            corporations: 1_189,
        }
    }

    pub fn small() -> DemoScale {
        DemoScale {
            instruments: 2_000,
            users: 1_500,
            corporations: 620,
        }
    }
}

/// A sign-in account the demo prints, one per role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    pub user: UserId,
    pub email: EmailAddress,
    /// What the account is for, e.g. "instrument manager at Fudan University".
    pub description: String,
}

/// Everything the generator makes, in the order a store writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoRegion {
    pub name: String,
    pub seed: u64,
    pub generator_version: String,
    /// The region's own time zone (the Delta runs on Asia/Shanghai).
    pub time_zone: TimeZoneName,
    pub cities: Vec<City>,
    pub categories: Vec<InstrumentCategory>,
    pub institutions: Vec<Institution>,
    pub sites: Vec<Site>,
    pub instruments: Vec<Instrument>,
    pub beamlines: Vec<Beamline>,
    pub users: Vec<User>,
    pub demo_accounts: Vec<DemoAccount>,
}

/// Reports progress: the stage's name, items done, items in the stage.
pub type Progress<'a> = &'a mut dyn FnMut(&'static str, u64, u64);

/// Generates the region for `seed` at `scale`.
pub fn generate(seed: u64, scale: DemoScale, progress: Progress<'_>) -> DemoRegion {
    let mut generator = Generator::new(seed);
    progress("places", 0, 1);
    let cities = generator.cities();
    let categories = categories();
    progress("places", 1, 1);
    progress("institutions", 0, 1);
    generator.institutions(scale);
    progress("institutions", 1, 1);
    let instruments = generator.instruments(scale.instruments, progress);
    let beamlines = generator.beamlines();
    let (users, demo_accounts) = generator.users(scale.users, &instruments, progress);
    DemoRegion {
        name: REGION_NAME.to_owned(),
        seed,
        generator_version: GENERATOR_VERSION.to_owned(),
        time_zone: TimeZoneName::asia_shanghai(),
        cities,
        categories,
        institutions: generator
            .institutions
            .into_iter()
            .map(|generated| generated.institution)
            .collect(),
        sites: generator.sites,
        instruments,
        beamlines,
        users,
        demo_accounts,
    }
}

fn categories() -> Vec<InstrumentCategory> {
    data::taxonomy::CATEGORIES
        .iter()
        .map(|record| InstrumentCategory {
            code: CategoryCode::parse(record.code).expect("taxonomy codes are valid"),
            parent: record
                .parent
                .map(|parent| CategoryCode::parse(parent).expect("taxonomy codes are valid")),
            name_en: record.name_en.to_owned(),
            name_zh: record.name_zh.to_owned(),
        })
        .collect()
}

/// An institution as the generator sees it: with what it is strong in (which decides which
/// instruments it holds) and how much weight it carries in the region.
struct GeneratedInstitution {
    institution: Institution,
    strengths: Vec<&'static str>,
    instrument_weight: f64,
    user_weight: f64,
    email_domain: String,
    sites: Vec<SiteId>,
}

struct Generator {
    rng: ChaCha8Rng,
    city_weights: std::collections::HashMap<u32, u32>,
    city_points: std::collections::HashMap<u32, GeoPoint>,
    institutions: Vec<GeneratedInstitution>,
    sites: Vec<Site>,
    facility: Option<InstitutionId>,
    used_domains: HashSet<String>,
}

fn province_of(code: &str) -> ProvinceCode {
    ProvinceCode::parse(code).expect("typed-in province codes are valid")
}

impl Generator {
    fn new(seed: u64) -> Generator {
        Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            city_weights: Default::default(),
            city_points: Default::default(),
            institutions: Vec::new(),
            sites: Vec::new(),
            facility: None,
            used_domains: HashSet::new(),
        }
    }

    fn cities(&mut self) -> Vec<City> {
        data::cities::CITIES
            .iter()
            .chain(data::cities::OUTSIDE_CITIES)
            .map(|record| {
                let location =
                    GeoPoint::new(record.lon, record.lat).expect("typed-in coordinates are valid");
                self.city_weights
                    .insert(record.adcode, record.activity_weight);
                self.city_points.insert(record.adcode, location);
                City {
                    code: CityCode::new(record.adcode).expect("typed-in city codes are valid"),
                    province: province_of(record.province),
                    name_en: record.name_en.to_owned(),
                    name_zh: record.name_zh.to_owned(),
                    location,
                }
            })
            .collect()
    }

    fn unique_domain(&mut self, stem: &str, tld: &str) -> String {
        let stem: String = stem
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let stem = if stem.is_empty() {
            "org".to_owned()
        } else {
            stem
        };
        let mut candidate = format!("{stem}.{tld}");
        let mut counter = 2;
        while !self.used_domains.insert(candidate.clone()) {
            candidate = format!("{stem}{counter}.{tld}");
            counter += 1;
        }
        candidate
    }

    #[allow(clippy::too_many_arguments)]
    fn add_institution(
        &mut self,
        kind: InstitutionKind,
        name_en: &str,
        name_zh: &str,
        city: u32,
        sector: Sector,
        tier: Option<UniversityTier>,
        strengths: Vec<&'static str>,
        instrument_weight: f64,
        user_weight: f64,
        email_domain: String,
        site_count: usize,
    ) -> InstitutionId {
        let id = InstitutionId(self.institutions.len() as i64 + 1);
        let centre = self.city_points[&city];
        let mut sites = Vec::new();
        for index in 0..site_count {
            let site_id = SiteId(self.sites.len() as i64 + 1);
            // Campuses and plants lie within about 15 km of the city centre.
            let location = GeoPoint::new(
                centre.lon + self.rng.gen_range(-0.15..0.15),
                centre.lat + self.rng.gen_range(-0.12..0.12),
            )
            .expect("jitter stays on Earth");
            let (site_en, site_zh) = names::site_name(kind, index);
            self.sites.push(Site {
                id: site_id,
                institution: id,
                name_en: site_en,
                name_zh: site_zh,
                city: CityCode::new(city).expect("valid"),
                location,
            });
            sites.push(site_id);
        }
        self.institutions.push(GeneratedInstitution {
            institution: Institution {
                id,
                kind,
                name_en: name_en.to_owned(),
                name_zh: name_zh.to_owned(),
                city: CityCode::new(city).expect("valid"),
                sector,
                university_tier: tier,
            },
            strengths,
            instrument_weight,
            user_weight,
            email_domain,
            sites,
        });
        id
    }

    fn institutions(&mut self, scale: DemoScale) {
        let in_region: HashSet<u32> = data::cities::CITIES
            .iter()
            .map(|city| city.adcode)
            .collect();
        for university in data::universities::UNIVERSITIES
            .iter()
            .chain(data::universities::OUTSIDE_UNIVERSITIES)
        {
            let tier = match university.tier {
                data::UniversityTier::Double985 => UniversityTier::Project985,
                data::UniversityTier::Project211 => UniversityTier::Project211,
                data::UniversityTier::Regular => UniversityTier::Regular,
            };
            let tier_weight = match tier {
                UniversityTier::Project985 => 12.0,
                UniversityTier::Project211 => 5.0,
                UniversityTier::Regular => 1.0,
            };
            let city_weight = f64::from(self.city_weights[&university.city_adcode]).sqrt();
            // Only institutions inside the region share instruments through Corridor; those
            // outside bring users.
            let instrument_weight = if in_region.contains(&university.city_adcode) {
                tier_weight * (0.6 + city_weight / 10.0) * self.rng.gen_range(0.6..1.4)
            } else {
                0.0
            };
            let domain = self.unique_domain(&names::initials(university.name_en), "edu.cn");
            let sites = match tier {
                UniversityTier::Project985 => 3,
                UniversityTier::Project211 => 2,
                UniversityTier::Regular => 1 + usize::from(self.rng.gen_bool(0.3)),
            };
            self.add_institution(
                InstitutionKind::University,
                university.name_en,
                university.name_zh,
                university.city_adcode,
                Sector::HigherEducation,
                Some(tier),
                university.strengths.to_vec(),
                instrument_weight,
                tier_weight * 3.0,
                domain,
                sites,
            );
        }
        for institute in data::institutes::INSTITUTES {
            let weight = 6.0 * self.rng.gen_range(0.6..1.4);
            let domain = self.unique_domain(&names::initials(institute.name_en), "ac.cn");
            self.add_institution(
                InstitutionKind::ResearchInstitute,
                institute.name_en,
                institute.name_zh,
                institute.city_adcode,
                Sector::PublicResearch,
                None,
                institute.strengths.to_vec(),
                weight,
                6.0,
                domain,
                1,
            );
        }
        for hospital in data::hospitals::HOSPITALS {
            let weight = 1.5 * self.rng.gen_range(0.6..1.4);
            let domain = self.unique_domain(&names::initials(hospital.name_en), "org.cn");
            self.add_institution(
                InstitutionKind::Hospital,
                hospital.name_en,
                hospital.name_zh,
                hospital.city_adcode,
                Sector::Healthcare,
                None,
                vec!["medicine", "biology", "pharmacy"],
                weight,
                4.0,
                domain,
                1,
            );
        }
        let facility_domain = self.unique_domain("ssrf", "ac.cn");
        let facility = self.add_institution(
            InstitutionKind::FacilityOperator,
            "Shanghai Synchrotron Radiation Facility",
            "上海同步辐射光源",
            310000,
            Sector::PublicResearch,
            None,
            vec!["physics", "materials", "chemistry", "biology"],
            2.0,
            3.0,
            facility_domain,
            1,
        );
        self.facility = Some(facility);
        self.corporations(scale.corporations);
    }

    fn corporations(&mut self, count: usize) {
        let sectors: &[SectorRecord] = data::corporations::SECTORS;
        // Sector shares of the region's innovative firms: many in ICs and biomedicine.
        let sector_weights: Vec<u32> = sectors
            .iter()
            .map(|sector| names::sector_weight(sector.code))
            .collect();
        let sector_pick = WeightedIndex::new(&sector_weights).expect("positive weights");
        let mut used_names = HashSet::new();
        for _ in 0..count {
            let sector = &sectors[sector_pick.sample(&mut self.rng)];
            let city_pick =
                WeightedIndex::new(sector.city_weights.iter().map(|(_, weight)| *weight))
                    .expect("positive weights");
            let city = sector.city_weights[city_pick.sample(&mut self.rng)].0;
            let city_record = data::cities::CITIES
                .iter()
                .find(|record| record.adcode == city)
                .expect("sector cities are in the region");
            let (name_en, name_zh, stem) = loop {
                let (stem_en, stem_zh) =
                    sector.name_stems[self.rng.gen_range(0..sector.name_stems.len())];
                let (suffix_en, suffix_zh) =
                    sector.name_suffixes[self.rng.gen_range(0..sector.name_suffixes.len())];
                let name_en = format!("{} {stem_en} {suffix_en} Co., Ltd.", city_record.name_en);
                let name_zh = format!(
                    "{}{stem_zh}{suffix_zh}有限公司",
                    city_record.name_zh.trim_end_matches('市')
                );
                if used_names.insert(name_en.clone()) {
                    break (name_en, name_zh, stem_en);
                }
                // Every combination in this city is taken: try again with another stem or
                // suffix. Sector tables hold hundreds of combinations per city.
            };
            let domain = self.unique_domain(stem, "com.cn");
            let weight = 0.35 * self.rng.gen_range(0.3..1.7);
            let sector_code = Sector::parse(sector.code).expect("sector codes match the domain's");
            self.add_institution(
                InstitutionKind::Corporation,
                &name_en,
                &name_zh,
                city,
                sector_code,
                None,
                sector.uses_fields.to_vec(),
                weight,
                0.6,
                domain,
                1,
            );
        }
    }

    fn instruments(&mut self, count: usize, progress: Progress<'_>) -> Vec<Instrument> {
        let templates: &[InstrumentTemplate] = data::instrument_templates::TEMPLATES;
        let holders: Vec<usize> = (0..self.institutions.len())
            .filter(|&index| self.institutions[index].instrument_weight > 0.0)
            .collect();
        let holder_pick = WeightedIndex::new(
            holders
                .iter()
                .map(|&index| self.institutions[index].instrument_weight),
        )
        .expect("positive weights");
        // Which templates an institution holds depends on what it is strong in: a template
        // whose fields meet the institution's strengths is four times as likely.
        let mut template_picks: std::collections::HashMap<Vec<&'static str>, WeightedIndex<f64>> =
            Default::default();
        let time_zone = TimeZoneName::asia_shanghai();
        let mut instruments = Vec::with_capacity(count);
        for index in 0..count {
            if index % 4_000 == 0 {
                progress("instruments", index as u64, count as u64);
            }
            let holder = &self.institutions[holders[holder_pick.sample(&mut self.rng)]];
            let pick = template_picks
                .entry(holder.strengths.clone())
                .or_insert_with(|| {
                    WeightedIndex::new(templates.iter().map(|template| {
                        let affinity = if template
                            .fields
                            .iter()
                            .any(|field| holder.strengths.contains(field))
                        {
                            4.0
                        } else {
                            1.0
                        };
                        f64::from(template.frequency) * affinity
                    }))
                    .expect("positive weights")
                });
            let template = &templates[pick.sample(&mut self.rng)];
            let site = holder.sites[self.rng.gen_range(0..holder.sites.len())];
            let (manufacturer, model) = template.makes[self.rng.gen_range(0..template.makes.len())];
            // Prices are spread log-uniformly: a range of 1–10 M yields as many instruments
            // near 1 M as near 3 M, as purchase records show.
            let (low, high) = (
                template.price_cny_min.max(1) as f64,
                template.price_cny_max.max(template.price_cny_min + 1) as f64,
            );
            let price_yuan = (low.ln() + self.rng.gen::<f64>() * (high.ln() - low.ln())).exp();
            let purchase_value = Fen::from_yuan(((price_yuan / 1_000.0).round() * 1_000.0) as i64);
            let academic_yuan = self.rng.gen_range(
                template.hourly_rate_cny_min
                    ..=template
                        .hourly_rate_cny_max
                        .max(template.hourly_rate_cny_min),
            );
            let academic = Fen::from_yuan(i64::from(academic_yuan.div_ceil(10) * 10));
            let industry = Fen(
                (academic.0 as f64 * self.rng.gen_range(1.5..2.0) / 1_000.0).round() as i64 * 1_000,
            );
            let own = Fen(
                (academic.0 as f64 * self.rng.gen_range(0.5..0.8) / 1_000.0).round() as i64 * 1_000,
            );
            let access_policy = match self.rng.gen_range(0..100) {
                0..=69 => AccessPolicy::Open,
                70..=91 => AccessPolicy::Region,
                _ => AccessPolicy::OwnInstitution,
            };
            let booking_mode = if self.rng.gen_range(0..100) < template.approval_required_percent {
                BookingMode::NeedsApproval
            } else {
                BookingMode::Instant
            };
            let training_required = self.rng.gen_range(0..100) < template.training_required_percent;
            let opening_hours =
                WeeklyOpeningHours::parse(names::opening_hours_pattern(&mut self.rng))
                    .expect("patterns are valid");
            let year = 2025 - (self.rng.gen::<f64>().powi(2) * 20.0) as i32;
            let mut keywords: Vec<String> = template
                .keywords_en
                .iter()
                .chain(template.keywords_zh)
                .map(|keyword| (*keyword).to_owned())
                .collect();
            keywords.dedup();
            instruments.push(Instrument {
                id: InstrumentId(index as i64 + 1),
                institution: holder.institution.id,
                site,
                category: CategoryCode::parse(template.category_code)
                    .expect("template categories are valid"),
                name_en: template.name_en.to_owned(),
                name_zh: template.name_zh.to_owned(),
                techniques: template
                    .techniques
                    .iter()
                    .map(|technique| (*technique).to_owned())
                    .collect(),
                keywords,
                manufacturer: manufacturer.to_owned(),
                model: model.to_owned(),
                year_of_manufacture: year,
                purchase_value,
                description_en: format!(
                    "{} {} {} at {}.",
                    template.description_en, manufacturer, model, holder.institution.name_en
                ),
                description_zh: format!(
                    "{}{}{}，位于{}。",
                    template.description_zh, manufacturer, model, holder.institution.name_zh
                ),
                access_policy,
                rates: HourlyRates::new(own, academic, industry)
                    .expect("generated rates are non-negative"),
                booking_mode,
                training_required,
                opening_hours,
                time_zone: time_zone.clone(),
            });
        }
        progress("instruments", count as u64, count as u64);
        instruments
    }

    fn beamlines(&mut self) -> Vec<Beamline> {
        let facility = self
            .facility
            .expect("the facility is generated with the institutions");
        data::beamlines::BEAMLINES
            .iter()
            .enumerate()
            .map(|(index, record)| Beamline {
                id: BeamlineId(index as i64 + 1),
                facility,
                code: record.code.to_owned(),
                name_en: record.name_en.to_owned(),
                name_zh: record.name_zh.to_owned(),
                techniques: record
                    .techniques
                    .iter()
                    .map(|technique| (*technique).to_owned())
                    .collect(),
                source: match record.source {
                    data::BeamlineSource::Undulator => BeamlineSource::Undulator,
                    data::BeamlineSource::Wiggler => BeamlineSource::Wiggler,
                    data::BeamlineSource::BendingMagnet => BeamlineSource::BendingMagnet,
                },
                energy_kev_min: record.energy_kev_min,
                energy_kev_max: record.energy_kev_max,
            })
            .collect()
    }

    fn users(
        &mut self,
        count: usize,
        instruments: &[Instrument],
        progress: Progress<'_>,
    ) -> (Vec<User>, Vec<DemoAccount>) {
        let mut people = people::PeopleGenerator::new();
        let user_pick = WeightedIndex::new(
            self.institutions
                .iter()
                .map(|institution| institution.user_weight),
        )
        .expect("positive weights");
        let mut instruments_per_institution = vec![0usize; self.institutions.len() + 1];
        for instrument in instruments {
            instruments_per_institution[instrument.institution.0 as usize] += 1;
        }
        let mut users: Vec<User> = Vec::with_capacity(count);
        let global = |role| RoleGrant::new(role, RoleScope::Global).expect("global roles");
        let at = |role, institution| {
            RoleGrant::new(role, RoleScope::Institution(institution)).expect("institution roles")
        };

        // The accounts the demo prints come first, so that their ids are small and stable.
        let biggest_provider = (1..instruments_per_institution.len())
            .max_by_key(|&id| (instruments_per_institution[id], std::cmp::Reverse(id)))
            .map(|id| InstitutionId(id as i64))
            .expect("institutions exist");
        let facility = self.facility.expect("generated");
        let first_corporation = self
            .institutions
            .iter()
            .find(|institution| institution.institution.kind == InstitutionKind::Corporation)
            .map(|institution| institution.institution.id)
            .expect("corporations are generated");
        let provincial_office_home =
            |province: ProvinceCode, institutions: &[GeneratedInstitution]| {
                institutions
                    .iter()
                    .find(|institution| {
                        institution.institution.kind == InstitutionKind::ResearchInstitute
                            && province_of_city(institution.institution.city) == Some(province)
                    })
                    .or_else(|| {
                        institutions.iter().find(|institution| {
                            province_of_city(institution.institution.city) == Some(province)
                        })
                    })
                    .map(|institution| institution.institution.id)
                    .expect("every province has institutions")
            };
        let name_of = |id: InstitutionId, institutions: &[GeneratedInstitution]| {
            institutions[(id.0 - 1) as usize]
                .institution
                .name_en
                .clone()
        };
        let demo_specs: Vec<(&str, &str, InstitutionId, Vec<RoleGrant>, String)> = vec![
            (
                DEMO_ACCOUNT_EMAILS[0],
                "Li Na 李娜",
                biggest_provider,
                vec![global(Role::Researcher)],
                format!(
                    "researcher at {}",
                    name_of(biggest_provider, &self.institutions)
                ),
            ),
            (
                DEMO_ACCOUNT_EMAILS[1],
                "Zhou Qiang 周强",
                first_corporation,
                vec![global(Role::Researcher)],
                format!(
                    "engineer at the company {}",
                    name_of(first_corporation, &self.institutions)
                ),
            ),
            (
                DEMO_ACCOUNT_EMAILS[2],
                "Chen Jing 陈静",
                biggest_provider,
                vec![
                    global(Role::Researcher),
                    at(Role::InstrumentManager, biggest_provider),
                ],
                format!(
                    "instrument manager at {}",
                    name_of(biggest_provider, &self.institutions)
                ),
            ),
            (
                DEMO_ACCOUNT_EMAILS[3],
                "Wang Jun 王军",
                biggest_provider,
                vec![
                    global(Role::Researcher),
                    at(Role::InstitutionAdmin, biggest_provider),
                ],
                format!(
                    "institution admin of {}",
                    name_of(biggest_provider, &self.institutions)
                ),
            ),
            (
                DEMO_ACCOUNT_EMAILS[4],
                "Zhang Min 张敏",
                facility,
                vec![
                    global(Role::Researcher),
                    at(Role::FacilityUserOffice, facility),
                ],
                "user office of the Shanghai Synchrotron Radiation Facility".to_owned(),
            ),
            (
                DEMO_ACCOUNT_EMAILS[5],
                "Liu Yang 刘洋",
                biggest_provider,
                vec![global(Role::Researcher), global(Role::Reviewer)],
                "proposal reviewer".to_owned(),
            ),
            (
                DEMO_ACCOUNT_EMAILS[6],
                "Yang Li 杨丽",
                provincial_office_home(ProvinceCode::Shanghai, &self.institutions),
                vec![RoleGrant::new(
                    Role::VoucherOffice,
                    RoleScope::Province(ProvinceCode::Shanghai),
                )
                .expect("province role")],
                "voucher office of Shanghai".to_owned(),
            ),
            (
                DEMO_ACCOUNT_EMAILS[7],
                "Huang Wei 黄伟",
                biggest_provider,
                vec![global(Role::PlatformAdmin)],
                "platform admin".to_owned(),
            ),
        ];
        let mut demo_accounts = Vec::new();
        for (email, display_name, home, roles, description) in demo_specs {
            let id = UserId(users.len() as i64 + 1);
            let email = EmailAddress::parse(email).expect("demo addresses are valid");
            people.reserve(email.as_str());
            demo_accounts.push(DemoAccount {
                user: id,
                email: email.clone(),
                description,
            });
            users.push(User {
                id,
                email,
                display_name: display_name.to_owned(),
                home_institution: home,
                preferred_language: Language::English,
                roles,
            });
        }

        // Each province's voucher office has two more staff.
        let mut office_staff: Vec<(InstitutionId, RoleGrant)> = Vec::new();
        for province in [
            ProvinceCode::Shanghai,
            ProvinceCode::Jiangsu,
            ProvinceCode::Zhejiang,
            ProvinceCode::Anhui,
        ] {
            let home = provincial_office_home(province, &self.institutions);
            for _ in 0..2 {
                office_staff.push((
                    home,
                    RoleGrant::new(Role::VoucherOffice, RoleScope::Province(province))
                        .expect("province role"),
                ));
            }
        }
        let mut managers_needed: Vec<usize> = instruments_per_institution
            .iter()
            .map(|count| count.div_ceil(25))
            .collect();
        let mut user_office_needed = 4usize;

        while users.len() < count {
            if users.len() % 5_000 == 0 {
                progress("users", users.len() as u64, count as u64);
            }
            let id = UserId(users.len() as i64 + 1);
            let (home, mut roles) = match office_staff.pop() {
                Some((home, grant)) => (home, vec![grant]),
                None => {
                    let home = &self.institutions[user_pick.sample(&mut self.rng)];
                    (home.institution.id, vec![global(Role::Researcher)])
                }
            };
            let home_index = (home.0 - 1) as usize;
            let generated = &self.institutions[home_index];
            if managers_needed[home.0 as usize] > 0 && roles[0].role == Role::Researcher {
                managers_needed[home.0 as usize] -= 1;
                roles.push(at(Role::InstrumentManager, home));
                if managers_needed[home.0 as usize] == 0 {
                    roles.push(at(Role::InstitutionAdmin, home));
                }
            } else if home == facility && user_office_needed > 0 {
                user_office_needed -= 1;
                roles.push(at(Role::FacilityUserOffice, home));
            } else if generated.institution.kind != InstitutionKind::Corporation
                && self.rng.gen_range(0..100) < 2
            {
                roles.push(global(Role::Reviewer));
            }
            let person = people.person(&mut self.rng, &generated.email_domain);
            let preferred_language = if self.rng.gen_range(0..100) < 70 {
                Language::Chinese
            } else {
                Language::English
            };
            users.push(User {
                id,
                email: person.email,
                display_name: person.display_name,
                home_institution: home,
                preferred_language,
                roles,
            });
        }
        progress("users", count as u64, count as u64);
        (users, demo_accounts)
    }
}

fn province_of_city(city: CityCode) -> Option<ProvinceCode> {
    data::cities::CITIES
        .iter()
        .chain(data::cities::OUTSIDE_CITIES)
        .find(|record| record.adcode == city.get())
        .map(|record| province_of(record.province))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_region_has_every_kind_of_thing() {
        let region = generate(7, DemoScale::small(), &mut |_, _, _| {});
        assert_eq!(region.instruments.len(), DemoScale::small().instruments);
        assert_eq!(region.users.len(), DemoScale::small().users);
        for kind in InstitutionKind::ALL {
            assert!(
                region
                    .institutions
                    .iter()
                    .any(|institution| institution.kind == *kind),
                "{kind:?}"
            );
        }
        assert_eq!(region.demo_accounts.len(), 8);
    }
}
