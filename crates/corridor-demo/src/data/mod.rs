//! Static, hand-typed fact tables for the deterministic demo-region generator.
//!
//! Everything here is public knowledge typed in by hand (city codes and coordinates,
//! university and institute names, synchrotron beamlines, instrument makes and models,
//! common Chinese names). Nothing is generated from a third-party dataset. The tables
//! carry no logic; the generator composes them into institutions, instruments, companies
//! and people.
//!
//! Conventions:
//! - Province codes are `"SH"` Shanghai, `"JS"` Jiangsu, `"ZJ"` Zhejiang, `"AH"` Anhui and
//!   `"OUT"` for anything outside the region.
//! - Cities are referred to everywhere by their National Bureau of Statistics 6-digit
//!   administrative code (`adcode`); every adcode used in these tables appears in
//!   [`cities::CITIES`] or [`cities::OUTSIDE_CITIES`].
//! - Coordinates are WGS-84 decimal degrees.
//! - Discipline "strength"/"field" words come from one fixed vocabulary:
//!   `"physics"`, `"chemistry"`, `"materials"`, `"biology"`, `"medicine"`, `"engineering"`,
//!   `"electronics"`, `"computing"`, `"earth"`, `"environment"`, `"agriculture"`,
//!   `"pharmacy"`, `"mechanical"`, `"aerospace"`, `"marine"`, `"textiles"`, `"energy"`,
//!   `"mathematics"` (see [`taxonomy::FIELDS`]).

pub mod beamlines;
pub mod cities;
pub mod corporations;
pub mod hospitals;
pub mod institutes;
pub mod instrument_templates;
pub mod people_names;
pub mod taxonomy;
pub mod universities;

/// A prefecture-level city (or a province-level municipality).
///
/// Province codes: "SH" Shanghai, "JS" Jiangsu, "ZJ" Zhejiang, "AH" Anhui, "OUT" outside the region.
#[derive(Debug, Clone, Copy)]
pub struct CityRecord {
    /// National Bureau of Statistics 6-digit administrative division code.
    pub adcode: u32,
    pub name_en: &'static str,
    pub name_zh: &'static str,
    /// "SH", "JS", "ZJ", "AH" or "OUT".
    pub province: &'static str,
    /// WGS-84 longitude of the city centre, degrees east.
    pub lon: f64,
    /// WGS-84 latitude of the city centre, degrees north.
    pub lat: f64,
    /// relative weight of research/industry activity, 1..=100 (Shanghai 100, Nanjing/Hangzhou/Hefei/Suzhou high, small cities low)
    pub activity_weight: u32,
}

/// Tier of a university in the former national key-university programmes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniversityTier {
    /// Member of Project 985 (and therefore also of Project 211).
    Double985,
    /// Member of Project 211 but not of Project 985.
    Project211,
    /// Any other regular higher-education institution.
    Regular,
}

/// A regular higher-education institution (普通高等学校).
#[derive(Debug, Clone, Copy)]
pub struct UniversityRecord {
    /// Official Chinese name as listed by the Ministry of Education.
    pub name_zh: &'static str,
    /// Official English name.
    pub name_en: &'static str,
    /// City where the institution is registered (see [`cities`]).
    pub city_adcode: u32,
    pub tier: UniversityTier,
    /// 2-5 discipline strengths from: "physics","chemistry","materials","biology","medicine","engineering","electronics","computing","earth","environment","agriculture","pharmacy","mechanical","aerospace","marine","textiles","energy","mathematics"
    pub strengths: &'static [&'static str],
}

/// A research institute or national/provincial laboratory.
#[derive(Debug, Clone, Copy)]
pub struct InstituteRecord {
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub city_adcode: u32,
    /// Discipline strengths, same vocabulary as [`UniversityRecord::strengths`].
    pub strengths: &'static [&'static str],
}

/// A large research hospital.
#[derive(Debug, Clone, Copy)]
pub struct HospitalRecord {
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub city_adcode: u32,
}

/// Kind of insertion device or magnet a synchrotron beamline takes its light from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeamlineSource {
    Undulator,
    Wiggler,
    BendingMagnet,
}

/// A beamline (with its end station(s)) of a synchrotron light source.
#[derive(Debug, Clone, Copy)]
pub struct BeamlineRecord {
    /// Facility beamline code, e.g. "BL14W1".
    pub code: &'static str,
    pub name_en: &'static str,
    pub name_zh: &'static str,
    /// Experimental techniques offered (e.g. "XAFS", "SAXS").
    pub techniques: &'static [&'static str],
    pub source: BeamlineSource,
    /// Lowest usable photon energy in keV (infrared and soft X-ray lines are well below 1).
    pub energy_kev_min: f64,
    /// Highest usable photon energy in keV.
    pub energy_kev_max: f64,
}

/// A node of the two-level instrument taxonomy.
#[derive(Debug, Clone, Copy)]
pub struct CategoryRecord {
    /// "01" for a top-level class, "0101" for a subclass.
    pub code: &'static str,
    pub name_en: &'static str,
    pub name_zh: &'static str,
    /// None for a top-level class
    pub parent: Option<&'static str>,
}

/// A kind of instrument from which concrete demo instruments are drawn.
#[derive(Debug, Clone, Copy)]
pub struct InstrumentTemplate {
    /// Subclass code from [`taxonomy::CATEGORIES`].
    pub category_code: &'static str,
    pub name_en: &'static str,
    pub name_zh: &'static str,
    pub techniques: &'static [&'static str],
    pub keywords_en: &'static [&'static str],
    pub keywords_zh: &'static [&'static str],
    /// (manufacturer, model) real pairs
    pub makes: &'static [(&'static str, &'static str)],
    /// Purchase price range in CNY.
    pub price_cny_min: u64,
    pub price_cny_max: u64,
    /// Academic hourly rate range in CNY.
    pub hourly_rate_cny_min: u32,
    pub hourly_rate_cny_max: u32,
    /// relative frequency among the region's 56,000 shared instruments
    pub frequency: u32,
    /// Share (0..=100) of such instruments that require user training before booking.
    pub training_required_percent: u8,
    /// Share (0..=100) of such instruments whose bookings need manager approval.
    pub approval_required_percent: u8,
    /// which institution strengths make this instrument likely there (same vocabulary as UniversityRecord::strengths)
    pub fields: &'static [&'static str],
    pub description_en: &'static str,
    pub description_zh: &'static str,
}

/// An industrial sector whose synthetic companies use the region's instruments.
#[derive(Debug, Clone, Copy)]
pub struct SectorRecord {
    /// "integrated_circuits","biomedicine","artificial_intelligence","aerospace","new_materials","automotive"
    pub code: &'static str,
    pub name_en: &'static str,
    pub name_zh: &'static str,
    /// (city adcode, weight): where this sector's firms cluster.
    pub city_weights: &'static [(u32, u32)],
    /// English and Chinese word stems for synthetic company names (pairs, same meaning), 15-30 each
    pub name_stems: &'static [(&'static str, &'static str)],
    /// suffixes like ("Semiconductor","半导体"), ("Microelectronics","微电子") 5-10
    pub name_suffixes: &'static [(&'static str, &'static str)],
    /// which instrument template fields this sector uses (strength vocabulary above)
    pub uses_fields: &'static [&'static str],
}

/// A Chinese family name with a relative population weight.
#[derive(Debug, Clone, Copy)]
pub struct SurnameRecord {
    pub zh: &'static str,
    /// Pinyin without tone marks, capitalised (e.g. "Wang").
    pub pinyin: &'static str,
    /// Relative weight, roughly the share of the population in units of 0.01 %.
    pub weight: u32,
}

/// A character commonly used in Chinese given names.
#[derive(Debug, Clone, Copy)]
pub struct GivenNameRecord {
    pub zh: &'static str,
    /// Pinyin without tone marks, lower case (e.g. "wei").
    pub pinyin: &'static str,
}
