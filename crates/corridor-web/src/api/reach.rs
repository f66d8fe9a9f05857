//! `GET /api/v1/reach`: where the rail network takes you from a city, and how fast.

use std::sync::Arc;

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::extract::{Json, Query};
use crate::problem::{ApiError, Problem};
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReachParams {
    /// Six-digit code of the origin city, e.g. 310000 for Shanghai.
    pub from: u32,
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
    pub from: u32,
    pub depart: String,
    pub window: u16,
    pub max_minutes: u16,
    /// Nearest first.
    pub stations: Vec<ReachedStationDto>,
    /// Nearest first; the origin city is 0.
    pub cities: Vec<ReachedCityDto>,
}

/// A departure window, checked: start and end minutes after midnight.
pub fn parse_window(
    depart: Option<&str>,
    window: Option<u16>,
    field: &'static str,
) -> Result<(u16, u16), ApiError> {
    let start = match depart {
        None => 8 * 60,
        Some(text) => corridor_rail::parse_hours_minutes(text)
            .filter(|minute| *minute < 24 * 60)
            .ok_or_else(|| ApiError::invalid(field, format!("{text:?} is not a time like 08:00")))?
            as u16,
    };
    let window = window.unwrap_or(120);
    if window > 720 {
        return Err(ApiError::invalid("window", "must be at most 720 minutes"));
    }
    Ok((start, start + window))
}

/// Shortest rail travel times from a city to every station and city, for departures in a window.
#[utoipa::path(get, path = "/reach", tag = "region", params(ReachParams),
    responses((status = 200, body = ReachDto), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn get_reach(
    State(state): State<Arc<AppState>>,
    Query(params): Query<ReachParams>,
) -> Result<Json<ReachDto>, ApiError> {
    let (start, end) = parse_window(params.depart.as_deref(), params.window, "depart")?;
    let max_minutes = params.max_minutes.unwrap_or(240);
    if !(1..=720).contains(&max_minutes) {
        return Err(ApiError::invalid(
            "max_minutes",
            "must be between 1 and 720",
        ));
    }
    if !state.rail.has_stations(params.from) {
        return Err(ApiError::invalid(
            "from",
            format!("no railway station serves the city {}", params.from),
        ));
    }
    let reach = state.rail.reach(params.from, start, end, max_minutes);
    let mut cities: Vec<ReachedCityDto> = reach
        .cities
        .iter()
        .map(|(city, minutes)| ReachedCityDto {
            city: *city,
            minutes: *minutes,
        })
        .collect();
    cities.sort_by_key(|city| (city.minutes, city.city));
    let stations = reach
        .stations
        .iter()
        .map(|(id, minutes)| {
            let station = state.rail.timetable.station(*id);
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
    Ok(Json(ReachDto {
        from: params.from,
        depart: corridor_rail::format_minute(u32::from(start)),
        window: end - start,
        max_minutes,
        stations,
        cities,
    }))
}
