//! `GET /api/v1/reach`: where the rail network takes you from a city, and how fast.

use std::sync::Arc;

use axum::extract::State;
use corridor_app::reach::PlaceReachQuery;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::extract::{Json, Query};
use crate::problem::responses::BadRequest;
use crate::problem::ApiError;
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReachParams {
    /// Where to start: a six-digit city code (310000 for Shanghai), a city's name, or one
    /// station by its code, its name in Chinese or English (any case), its pinyin
    /// (`shanghaihongqiao`) or a prefix only it has. A city starts from all its stations.
    pub from: String,
    /// Earliest departure, `HH:MM`; 08:00 when absent.
    pub depart: Option<String>,
    /// Length of the departure window in minutes (0 to 720); 120 when absent.
    pub window: Option<u16>,
    /// Longest travel time of interest in minutes (1 to 720); 240 when absent.
    pub max_minutes: Option<u16>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReachedStationDto {
    pub name: String,
    pub english_name: Option<String>,
    pub city: Option<u32>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// Shortest travel time for a departure in the window, in minutes.
    pub minutes: u16,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReachedCityDto {
    pub city: u32,
    pub minutes: u16,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReachDto {
    /// The origin's city code.
    pub from: u32,
    /// The stations the journeys start from (Chinese names): every station of the city, or
    /// the one station asked for.
    pub origin_stations: Vec<String>,
    pub depart: String,
    pub window: u16,
    pub max_minutes: u16,
    /// Nearest first.
    pub stations: Vec<ReachedStationDto>,
    /// Nearest first; the origin city is 0.
    pub cities: Vec<ReachedCityDto>,
}

/// Reads a time of day like `08:00` into minutes after midnight (the application layer
/// decides the default and the window around it).
pub fn parse_departure(field: &'static str, text: Option<&str>) -> Result<Option<u16>, ApiError> {
    text.map(|text| {
        corridor_rail::parse_hours_minutes(text)
            .filter(|minute| *minute < 24 * 60)
            .map(|minute| minute as u16)
            .ok_or_else(|| ApiError::invalid(field, format!("{text:?} is not a time like 08:00")))
    })
    .transpose()
}

/// Shortest rail travel times from a city to every station and city, for departures in a window.
#[utoipa::path(get, path = "/reach", tag = "region", params(ReachParams),
    responses((status = 200, body = ReachDto), BadRequest))]
pub async fn get_reach(
    State(state): State<Arc<AppState>>,
    Query(params): Query<ReachParams>,
) -> Result<Json<ReachDto>, ApiError> {
    let reach = state.app.reach();
    let found = reach.from_place(PlaceReachQuery {
        from: params.from,
        departure: parse_departure("depart", params.depart.as_deref())?,
        window: params.window,
        max_minutes: params.max_minutes,
    })?;
    let mut cities: Vec<ReachedCityDto> = found
        .reach
        .cities
        .iter()
        .map(|(city, minutes)| ReachedCityDto {
            city: *city,
            minutes: *minutes,
        })
        .collect();
    cities.sort_by_key(|city| (city.minutes, city.city));
    let stations = found
        .reach
        .stations
        .iter()
        .map(|(id, minutes)| {
            let station = reach.station(*id);
            ReachedStationDto {
                name: station.name.clone(),
                english_name: station.english_name.clone(),
                city: station.city_admin_code,
                lon: station.coordinates.map(|point| point.longitude),
                lat: station.coordinates.map(|point| point.latitude),
                minutes: *minutes,
            }
        })
        .collect();
    let origin_stations = found
        .origins
        .iter()
        .map(|id| reach.station(*id).name.clone())
        .collect();
    Ok(Json(ReachDto {
        from: found.from_city,
        origin_stations,
        depart: corridor_rail::format_minute(u32::from(found.window.start)),
        window: found.window.minutes(),
        max_minutes: found.max_minutes,
        stations,
        cities,
    }))
}
