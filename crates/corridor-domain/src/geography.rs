use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A province of the region, or everything outside it.
///
/// The demo region is the Yangtze River Delta, but nothing else in the code depends on which
/// four provinces these are: other regions would bring other codes through the same type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ProvinceCode {
    #[serde(rename = "SH")]
    Shanghai,
    #[serde(rename = "JS")]
    Jiangsu,
    #[serde(rename = "ZJ")]
    Zhejiang,
    #[serde(rename = "AH")]
    Anhui,
    #[serde(rename = "OUT")]
    Outside,
}

impl ProvinceCode {
    pub const ALL: [ProvinceCode; 5] = [
        ProvinceCode::Shanghai,
        ProvinceCode::Jiangsu,
        ProvinceCode::Zhejiang,
        ProvinceCode::Anhui,
        ProvinceCode::Outside,
    ];

    pub fn as_code(self) -> &'static str {
        match self {
            ProvinceCode::Shanghai => "SH",
            ProvinceCode::Jiangsu => "JS",
            ProvinceCode::Zhejiang => "ZJ",
            ProvinceCode::Anhui => "AH",
            ProvinceCode::Outside => "OUT",
        }
    }

    pub fn parse(code: &str) -> Result<ProvinceCode, DomainError> {
        ProvinceCode::ALL
            .into_iter()
            .find(|province| province.as_code().eq_ignore_ascii_case(code.trim()))
            .ok_or_else(|| {
                DomainError::invalid(
                    "province",
                    format!("unknown province code {code:?}; expected one of SH, JS, ZJ, AH, OUT"),
                )
            })
    }

    pub fn is_in_region(self) -> bool {
        self != ProvinceCode::Outside
    }

    pub fn name_en(self) -> &'static str {
        match self {
            ProvinceCode::Shanghai => "Shanghai",
            ProvinceCode::Jiangsu => "Jiangsu",
            ProvinceCode::Zhejiang => "Zhejiang",
            ProvinceCode::Anhui => "Anhui",
            ProvinceCode::Outside => "Outside the region",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            ProvinceCode::Shanghai => "上海市",
            ProvinceCode::Jiangsu => "江苏省",
            ProvinceCode::Zhejiang => "浙江省",
            ProvinceCode::Anhui => "安徽省",
            ProvinceCode::Outside => "区域外",
        }
    }
}

/// A prefecture-level city, identified by its six-digit administrative division code
/// (e.g. 320100 for Nanjing), the code the National Bureau of Statistics publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CityCode(u32);

impl CityCode {
    pub fn new(code: u32) -> Result<CityCode, DomainError> {
        if (110_000..=829_999).contains(&code) {
            Ok(CityCode(code))
        } else {
            Err(DomainError::invalid(
                "city",
                format!("{code} is not a six-digit administrative division code"),
            ))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// A WGS-84 position. Sources in GCJ-02 must be converted before they become a `GeoPoint`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub lon: f64,
    pub lat: f64,
}

impl GeoPoint {
    pub fn new(lon: f64, lat: f64) -> Result<GeoPoint, DomainError> {
        if !(-180.0..=180.0).contains(&lon) || lon.is_nan() {
            return Err(DomainError::invalid(
                "lon",
                format!("longitude {lon} is outside -180..180"),
            ));
        }
        if !(-90.0..=90.0).contains(&lat) || lat.is_nan() {
            return Err(DomainError::invalid(
                "lat",
                format!("latitude {lat} is outside -90..90"),
            ));
        }
        Ok(GeoPoint { lon, lat })
    }

    /// Great-circle distance in kilometres (haversine on a sphere of the Earth's mean radius),
    /// which is within 0.5% of the ellipsoidal distance: good enough for "within 100 km".
    pub fn great_circle_km(self, other: GeoPoint) -> f64 {
        const EARTH_MEAN_RADIUS_KM: f64 = 6_371.008_8;
        let (lat1, lat2) = (self.lat.to_radians(), other.lat.to_radians());
        let half_dlat = (lat2 - lat1) / 2.0;
        let half_dlon = (other.lon - self.lon).to_radians() / 2.0;
        let a = half_dlat.sin().powi(2) + lat1.cos() * lat2.cos() * half_dlon.sin().powi(2);
        2.0 * EARTH_MEAN_RADIUS_KM * a.sqrt().min(1.0).asin()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct City {
    pub code: CityCode,
    pub province: ProvinceCode,
    pub name_en: String,
    pub name_zh: String,
    pub location: GeoPoint,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn province_codes_round_trip_and_unknown_codes_are_refused() {
        for province in ProvinceCode::ALL {
            assert_eq!(ProvinceCode::parse(province.as_code()).unwrap(), province);
        }
        assert_eq!(ProvinceCode::parse("js").unwrap(), ProvinceCode::Jiangsu);
        assert!(ProvinceCode::parse("BJ").is_err());
        assert!(!ProvinceCode::Outside.is_in_region());
    }

    #[test]
    fn great_circle_distance_matches_known_city_pairs() {
        let shanghai = GeoPoint::new(121.4737, 31.2304).unwrap();
        let nanjing = GeoPoint::new(118.7969, 32.0603).unwrap();
        let distance = shanghai.great_circle_km(nanjing);
        // Shanghai to Nanjing is about 270 km as the crow flies.
        assert!((260.0..280.0).contains(&distance), "{distance}");
        assert_eq!(shanghai.great_circle_km(shanghai), 0.0);
    }

    #[test]
    fn coordinates_and_city_codes_are_range_checked() {
        assert!(GeoPoint::new(181.0, 0.0).is_err());
        assert!(GeoPoint::new(0.0, f64::NAN).is_err());
        assert!(CityCode::new(3201).is_err());
        assert_eq!(CityCode::new(320100).unwrap().get(), 320100);
    }
}
