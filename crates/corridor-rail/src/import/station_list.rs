//! The national station list (the 12306 `StationInfo.json` form: `name`, `telecode`,
//! `pinyin`, `province`, `city`, `lon`, `lat` in GCJ-02), which gives diagram stations that
//! carry only a name their coordinates, telegraph code and city.

use super::{json_error, read_to_string, ImportError};
use crate::model::Wgs84;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

/// One station of the list, coordinates converted to WGS-84.
#[derive(Clone, Debug, PartialEq)]
pub struct ListedStation {
    pub telegraph_code: Option<String>,
    /// The prefecture-level city without its `市` suffix (`南京`).
    pub city: Option<String>,
    pub coordinates: Option<Wgs84>,
}

/// Stations by name.
#[derive(Clone, Debug, Default)]
pub struct StationList {
    by_name: HashMap<String, ListedStation>,
}

/// Fields other than the name are read leniently: the list writes an unknown city as `[]`.
#[derive(Deserialize)]
struct RawStation {
    name: String,
    #[serde(default)]
    telecode: serde_json::Value,
    #[serde(default)]
    city: serde_json::Value,
    #[serde(default)]
    lon: serde_json::Value,
    #[serde(default)]
    lat: serde_json::Value,
}

/// A text field's text, or none when it is absent, empty or not text.
fn text_field(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_string()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

impl StationList {
    /// Reads a `StationInfo.json` file.
    pub fn read(path: &Path) -> Result<StationList, ImportError> {
        let text = read_to_string(path)?;
        let raw: Vec<RawStation> =
            serde_json::from_str(&text).map_err(|error| json_error(path, error))?;
        let mut by_name = HashMap::new();
        for (position, station) in raw.into_iter().enumerate() {
            let number = |value: &serde_json::Value,
                          field: &str|
             -> Result<Option<f64>, ImportError> {
                match text_field(value).as_deref() {
                    None => Ok(None),
                    Some(value) => value
                        .parse::<f64>()
                        .map(Some)
                        .map_err(|_| ImportError::Field {
                            path: path.to_path_buf(),
                            line: super::line_of(&text, &format!("\"{}\"", station.name)),
                            field: format!("[{position}].{field}"),
                            message: format!("`{value}` is not a number"),
                        }),
                }
            };
            let longitude = number(&station.lon, "lon")?;
            let latitude = number(&station.lat, "lat")?;
            let coordinates = latitude
                .zip(longitude)
                .filter(|(latitude, longitude)| latitude.abs() <= 90.0 && longitude.abs() <= 180.0)
                .map(|(latitude, longitude)| gcj02_to_wgs84(latitude, longitude));
            let city = text_field(&station.city)
                .map(|city| city.trim_end_matches('市').to_string())
                .filter(|city| !city.is_empty());
            let telegraph_code = text_field(&station.telecode)
                .map(|code| code.trim_start_matches('-').to_string())
                .filter(|code| !code.is_empty());
            by_name.insert(
                station.name.trim().to_string(),
                ListedStation {
                    telegraph_code,
                    city,
                    coordinates,
                },
            );
        }
        Ok(StationList { by_name })
    }

    pub fn get(&self, name: &str) -> Option<&ListedStation> {
        self.by_name.get(name)
    }

    /// Where a city is, as the mean position of its listed stations (the city-level
    /// timetable's "stations" are cities); a county-level town the list files under its
    /// prefecture is placed at the station of its own name.
    pub fn city_position(&self, city: &str) -> Option<Wgs84> {
        self.prefecture_position(city.trim_end_matches('市'))
            .or_else(|| self.get(city).and_then(|station| station.coordinates))
    }

    fn prefecture_position(&self, city: &str) -> Option<Wgs84> {
        let (mut latitude, mut longitude, mut count) = (0.0, 0.0, 0usize);
        for station in self.by_name.values() {
            if station.city.as_deref() == Some(city) {
                if let Some(position) = station.coordinates {
                    latitude += position.latitude;
                    longitude += position.longitude;
                    count += 1;
                }
            }
        }
        (count > 0).then(|| Wgs84 {
            latitude: latitude / count as f64,
            longitude: longitude / count as f64,
        })
    }

    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

/// GCJ-02 (the datum of Chinese maps) to WGS-84, by one fixed-point step of the published
/// forward transform, which is accurate to about a metre inside China.
pub fn gcj02_to_wgs84(latitude: f64, longitude: f64) -> Wgs84 {
    let (shifted_latitude, shifted_longitude) = wgs84_to_gcj02(latitude, longitude);
    Wgs84 {
        latitude: latitude - (shifted_latitude - latitude),
        longitude: longitude - (shifted_longitude - longitude),
    }
}

fn wgs84_to_gcj02(latitude: f64, longitude: f64) -> (f64, f64) {
    use std::f64::consts::PI;
    const SEMI_MAJOR_AXIS: f64 = 6_378_245.0;
    const ECCENTRICITY_SQUARED: f64 = 0.006_693_421_622_965_943;
    let (x, y) = (longitude - 105.0, latitude - 35.0);
    let mut delta_latitude =
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    delta_latitude += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    delta_latitude += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    delta_latitude += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let mut delta_longitude =
        300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    delta_longitude += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    delta_longitude += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    delta_longitude += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let radians = latitude / 180.0 * PI;
    let magic = 1.0 - ECCENTRICITY_SQUARED * radians.sin() * radians.sin();
    let sqrt_magic = magic.sqrt();
    delta_latitude = (delta_latitude * 180.0)
        / ((SEMI_MAJOR_AXIS * (1.0 - ECCENTRICITY_SQUARED)) / (magic * sqrt_magic) * PI);
    delta_longitude =
        (delta_longitude * 180.0) / (SEMI_MAJOR_AXIS / sqrt_magic * radians.cos() * PI);
    (latitude + delta_latitude, longitude + delta_longitude)
}
