//! Cluster reach: how much of an industrial cluster (the firms of one sector) or of one
//! category of instruments lies within a travel time of a place.
//!
//! The facts know where every firm and instrument is, by city; the rail engine knows how long
//! it takes to get to each city. This module holds the first half and the tally, so that the
//! figure is a pure function of "minutes to each city": whichever engine answers that (one
//! origin's profile, or the many-origin matrices for every city at once), the counting is the
//! same code.

use serde::Serialize;

use super::AnalyticsFacts;
use crate::{CategoryCode, CityCode, InstitutionId, InstitutionKind, ProvinceCode, Sector};

/// What a cluster consists of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterTarget {
    /// The corporations of a sector, e.g. the aerospace component suppliers.
    SectorFirms(Sector),
    /// The instruments of a category (a top-level code takes in its subcategories).
    InstrumentCategory(CategoryCode),
}

/// The members of a cluster in one city: institution ids for firms, instrument ids for
/// instruments, ascending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterCity {
    pub city: CityCode,
    pub province: ProvinceCode,
    pub members: Vec<i64>,
}

/// One city of a tally: its members and the travel time to it, if within reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterReachCity {
    pub city: CityCode,
    pub province: ProvinceCode,
    pub members: u64,
    pub minutes: Option<u16>,
}

/// The share of a cluster's members within reach.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterReach {
    pub members: u64,
    pub reached: u64,
    /// `reached / members`, 0 for an empty cluster.
    pub share: f64,
    /// Every city with members, reached ones first (nearest first), then by city code.
    pub cities: Vec<ClusterReachCity>,
}

impl AnalyticsFacts {
    /// The cluster's members grouped by city, by city code. `excluded_institution` leaves out
    /// the asking firm itself (a manufacturer does not count itself among its suppliers) and,
    /// for instruments, that institution's own instruments.
    pub fn cluster_members(
        &self,
        target: &ClusterTarget,
        excluded_institution: Option<InstitutionId>,
    ) -> Vec<ClusterCity> {
        let mut by_city: std::collections::BTreeMap<u32, ClusterCity> = Default::default();
        let mut add = |city: CityCode, province: ProvinceCode, member: i64| {
            by_city
                .entry(city.get())
                .or_insert_with(|| ClusterCity {
                    city,
                    province,
                    members: Vec::new(),
                })
                .members
                .push(member);
        };
        match target {
            ClusterTarget::SectorFirms(sector) => {
                for institution in &self.institutions {
                    if institution.kind == InstitutionKind::Corporation
                        && institution.sector == *sector
                        && Some(institution.id) != excluded_institution
                    {
                        add(institution.city, institution.province, institution.id.0);
                    }
                }
            }
            ClusterTarget::InstrumentCategory(category) => {
                for instrument in &self.instruments {
                    if (instrument.category == *category
                        || instrument.category.top_level() == *category)
                        && Some(instrument.institution) != excluded_institution
                    {
                        add(instrument.city, instrument.province, instrument.id.0);
                    }
                }
            }
        }
        by_city
            .into_values()
            .map(|mut city| {
                city.members.sort_unstable();
                city
            })
            .collect()
    }
}

/// Counts the members whose city `minutes_to` reaches (`Some` travel minutes).
pub fn tally_cluster_reach(
    members: &[ClusterCity],
    minutes_to: impl Fn(CityCode) -> Option<u16>,
) -> ClusterReach {
    let mut cities: Vec<ClusterReachCity> = members
        .iter()
        .map(|city| ClusterReachCity {
            city: city.city,
            province: city.province,
            members: city.members.len() as u64,
            minutes: minutes_to(city.city),
        })
        .collect();
    cities.sort_by_key(|city| (city.minutes.is_none(), city.minutes, city.city.get()));
    let total: u64 = cities.iter().map(|city| city.members).sum();
    let reached: u64 = cities
        .iter()
        .filter(|city| city.minutes.is_some())
        .map(|city| city.members)
        .sum();
    ClusterReach {
        members: total,
        reached,
        share: if total == 0 {
            0.0
        } else {
            reached as f64 / total as f64
        },
        cities,
    }
}
