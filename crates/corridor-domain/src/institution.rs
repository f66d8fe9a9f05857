use serde::{Deserialize, Serialize};

use crate::{CityCode, DomainError, GeoPoint};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InstitutionId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SiteId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BeamlineId(pub i64);

/// Declares a fieldless enum whose variants have one stable snake_case code each, used in the
/// database, the API and URLs alike, with `as_code`, `parse` and `ALL`.
macro_rules! coded_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal { $($variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn parse(code: &str) -> Result<$name, DomainError> {
                match code.trim() {
                    $($code => Ok($name::$variant),)+
                    other => Err(DomainError::invalid(
                        $field,
                        format!("unknown value {other:?}; expected one of {}", [$($code),+].join(", ")),
                    )),
                }
            }
        }
    };
}
pub(crate) use coded_enum;

coded_enum!(
    /// What an institution is; it decides, among other things, which user class its members
    /// book at (a corporation's staff pay industry rates).
    InstitutionKind, "kind" {
        University => "university",
        ResearchInstitute => "research_institute",
        Corporation => "corporation",
        Hospital => "hospital",
        FacilityOperator => "facility_operator",
    }
);

coded_enum!(
    /// The sector an institution works in. Corporations carry one of the region's industrial
    /// clusters; the others carry the public sector they belong to.
    Sector, "sector" {
        IntegratedCircuits => "integrated_circuits",
        Biomedicine => "biomedicine",
        ArtificialIntelligence => "artificial_intelligence",
        Aerospace => "aerospace",
        NewMaterials => "new_materials",
        Automotive => "automotive",
        HigherEducation => "higher_education",
        PublicResearch => "public_research",
        Healthcare => "healthcare",
    }
);

coded_enum!(
    /// The national programme a university belongs to (Project 985 implies Project 211).
    UniversityTier, "university_tier" {
        Project985 => "project_985",
        Project211 => "project_211",
        Regular => "regular",
    }
);

coded_enum!(
    /// The magnet a beamline takes its light from.
    BeamlineSource, "source" {
        Undulator => "undulator",
        Wiggler => "wiggler",
        BendingMagnet => "bending_magnet",
    }
);

impl InstitutionKind {
    pub fn is_academic(self) -> bool {
        self != InstitutionKind::Corporation
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Institution {
    pub id: InstitutionId,
    pub kind: InstitutionKind,
    pub name_en: String,
    pub name_zh: String,
    pub city: CityCode,
    pub sector: Sector,
    pub university_tier: Option<UniversityTier>,
}

/// A place where an institution keeps instruments: a campus, a building, a park.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    pub id: SiteId,
    pub institution: InstitutionId,
    pub name_en: String,
    pub name_zh: String,
    pub city: CityCode,
    pub location: GeoPoint,
}

/// An end station of a large facility. Its time is allocated in shifts through proposal
/// cycles, not booked by the hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Beamline {
    pub id: BeamlineId,
    pub facility: InstitutionId,
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
    pub techniques: Vec<String>,
    pub source: BeamlineSource,
    pub energy_kev_min: f64,
    pub energy_kev_max: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coded_enums_round_trip_through_their_codes() {
        for kind in InstitutionKind::ALL {
            assert_eq!(InstitutionKind::parse(kind.as_code()).unwrap(), *kind);
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_code());
        }
        for sector in Sector::ALL {
            assert_eq!(Sector::parse(sector.as_code()).unwrap(), *sector);
        }
        let error = InstitutionKind::parse("castle").unwrap_err();
        assert_eq!(error.field, "kind");
        assert!(error.reason.contains("university"), "{}", error.reason);
    }
}
