//! Users: who books which instrument, near and far.

use super::*;

/// The region's researchers, grouped the ways bookers are drawn: by institution, city and
/// province, academic and industry apart.
pub(super) struct Population {
    pub(super) institution_index: HashMap<InstitutionId, usize>,
    pub(super) city_province: HashMap<CityCode, ProvinceCode>,
    /// Per user (index into `region.users`): home institution index and province.
    pub(super) user_home: Vec<u32>,
    pub(super) user_province: Vec<ProvinceCode>,
    pub(super) by_institution: Vec<Vec<u32>>,
    /// Researchers by city, academic `[0]` and industry `[1]`.
    pub(super) by_city: HashMap<CityCode, [Vec<u32>; 2]>,
    pub(super) by_province: [[Vec<u32>; 2]; 5],
    /// Every researcher inside the region, academic and industry.
    pub(super) in_region: [Vec<u32>; 2],
    pub(super) outside: Vec<u32>,
    pub(super) institution_kind: Vec<InstitutionKind>,
    pub(super) institution_id: Vec<InstitutionId>,
}

pub(super) fn province_slot(province: ProvinceCode) -> usize {
    match province {
        ProvinceCode::Shanghai => 0,
        ProvinceCode::Jiangsu => 1,
        ProvinceCode::Zhejiang => 2,
        ProvinceCode::Anhui => 3,
        ProvinceCode::Outside => 4,
    }
}

impl Population {
    pub(super) fn new(region: &DemoRegion) -> Population {
        let institution_index: HashMap<_, _> = region
            .institutions
            .iter()
            .enumerate()
            .map(|(index, institution)| (institution.id, index))
            .collect();
        let city_province: HashMap<_, _> = region
            .cities
            .iter()
            .map(|city| (city.code, city.province))
            .collect();
        let mut population = Population {
            institution_index,
            city_province,
            user_home: vec![u32::MAX; region.users.len()],
            user_province: vec![ProvinceCode::Outside; region.users.len()],
            by_institution: vec![Vec::new(); region.institutions.len()],
            by_city: HashMap::new(),
            by_province: Default::default(),
            in_region: Default::default(),
            outside: Vec::new(),
            institution_kind: region
                .institutions
                .iter()
                .map(|institution| institution.kind)
                .collect(),
            institution_id: region
                .institutions
                .iter()
                .map(|institution| institution.id)
                .collect(),
        };
        for (index, user) in region.users.iter().enumerate() {
            if !user.has_role(Role::Researcher) {
                continue;
            }
            let Some(&home) = population.institution_index.get(&user.home_institution) else {
                continue;
            };
            let institution = &region.institutions[home];
            let province = population
                .city_province
                .get(&institution.city)
                .copied()
                .unwrap_or(ProvinceCode::Outside);
            let index = index as u32;
            let sector = usize::from(!institution.kind.is_academic());
            population.user_home[index as usize] = home as u32;
            population.user_province[index as usize] = province;
            population.by_institution[home].push(index);
            population.by_city.entry(institution.city).or_default()[sector].push(index);
            population.by_province[province_slot(province)][sector].push(index);
            if province.is_in_region() {
                population.in_region[sector].push(index);
            } else {
                population.outside.push(index);
            }
        }
        population
    }

    pub(super) fn institution_index(&self, id: InstitutionId) -> Option<usize> {
        self.institution_index.get(&id).copied()
    }

    pub(super) fn province_of_city(&self, city: CityCode) -> Option<ProvinceCode> {
        self.city_province.get(&city).copied()
    }

    /// Draws a new booker for an instrument: mostly its own institution's and its city's
    /// researchers, some from elsewhere in the province and the region, a few from outside.
    pub(super) fn draw(
        &self,
        rng: &mut ChaCha8Rng,
        plan: &Plan,
        policy: AccessPolicy,
    ) -> Option<u32> {
        let provider = plan.provider?;
        let own = &self.by_institution[provider];
        if policy == AccessPolicy::OwnInstitution {
            return pick(rng, own);
        }
        let corporate = self.institution_kind[provider] == InstitutionKind::Corporation;
        let (p_own, p_city, p_province, p_region) = if corporate {
            (0.50, 0.24, 0.11, 0.11)
        } else {
            (0.40, 0.27, 0.15, 0.12)
        };
        let industry_share = if corporate { 0.5 } else { 0.32 };
        let sector = usize::from(rng.gen_bool(industry_share));
        let roll: f64 = rng.gen();
        let province = plan.province.unwrap_or(ProvinceCode::Outside);
        let mut origin = if roll < p_own {
            0
        } else if roll < p_own + p_city {
            1
        } else if roll < p_own + p_city + p_province {
            2
        } else if roll < p_own + p_city + p_province + p_region {
            3
        } else {
            4
        };
        if origin == 4 && policy == AccessPolicy::Region {
            origin = 3;
        }
        // Falls back to wider circles when a narrower one has nobody (small regions).
        for origin in origin..=5 {
            let found = match origin {
                0 => pick(rng, own),
                1 => plan.city.and_then(|city| {
                    self.by_city
                        .get(&city)
                        .and_then(|lists| self.pick_other(rng, lists, sector, provider))
                }),
                2 => self.pick_other(
                    rng,
                    &self.by_province[province_slot(province)],
                    sector,
                    provider,
                ),
                3 => (0..6).find_map(|_| {
                    pick(rng, &self.in_region[sector])
                        .or_else(|| pick(rng, &self.in_region[1 - sector]))
                        .filter(|&user| self.user_province[user as usize] != province)
                }),
                4 => pick(rng, &self.outside),
                _ => pick(rng, own).or_else(|| pick(rng, &self.in_region[0])),
            };
            if let Some(user) = found {
                if self.admits(policy, user, provider) {
                    return Some(user);
                }
            }
        }
        None
    }

    pub(super) fn admits(&self, policy: AccessPolicy, user: u32, provider: usize) -> bool {
        policy.admits(
            self.institution_id[self.user_home[user as usize] as usize],
            self.user_province[user as usize],
            self.institution_id[provider],
        )
    }

    /// A user of the lists, preferring `sector`, who is not at the provider.
    pub(super) fn pick_other(
        &self,
        rng: &mut ChaCha8Rng,
        lists: &[Vec<u32>; 2],
        sector: usize,
        provider: usize,
    ) -> Option<u32> {
        for list in [&lists[sector], &lists[1 - sector]] {
            for _ in 0..4 {
                match pick(rng, list) {
                    Some(user) if self.user_home[user as usize] as usize != provider => {
                        return Some(user)
                    }
                    Some(_) => continue,
                    None => break,
                }
            }
        }
        None
    }
}

pub(super) fn pick(rng: &mut ChaCha8Rng, list: &[u32]) -> Option<u32> {
    (!list.is_empty()).then(|| list[rng.gen_range(0..list.len())])
}

/// The demo accounts that book (researchers) become regulars of a few instruments near
/// them, so that signing in as one shows a history.
pub(super) fn seed_demo_accounts(
    region: &DemoRegion,
    seed: u64,
    population: &Population,
    plans: &mut [Plan],
) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x00DE_30AC_C047);
    for account in &region.demo_accounts {
        let Some(index) = region.users.iter().position(|user| user.id == account.user) else {
            continue;
        };
        if population.user_home[index] == u32::MAX {
            continue; // not a researcher
        }
        let home = population.user_home[index] as usize;
        let home_city = region.institutions[home].city;
        let province = population.user_province[index];
        let mut candidates: Vec<usize> = plans
            .iter()
            .enumerate()
            .filter(|(_, plan)| plan.first_user.is_none() && plan.city == Some(home_city))
            .filter(|(_, plan)| {
                let instrument = &region.instruments[plan.index];
                instrument.access_policy.admits(
                    region.institutions[home].id,
                    province,
                    instrument.institution,
                )
            })
            .map(|(position, _)| position)
            .collect();
        // Own institution's instruments first, then the city's.
        candidates.sort_by_key(|&position| plans[position].provider != Some(home));
        let own = candidates
            .iter()
            .filter(|&&position| plans[position].provider == Some(home))
            .count();
        for _ in 0..24.min(candidates.len()) {
            let range = if own > 0 && rng.gen_bool(0.6) {
                0..own
            } else {
                0..candidates.len()
            };
            let chosen = candidates[rng.gen_range(range)];
            plans[chosen].first_user = Some(index as u32);
        }
    }
}
