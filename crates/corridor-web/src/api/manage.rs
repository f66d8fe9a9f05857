//! Adding, changing and removing instruments: for the instrument managers and admins of the
//! providing institution, and platform admins (decided by the catalogue service, with the
//! limits of an instrument's text and numbers). Every change is searchable at once on this
//! node and within a second on every other.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use corridor_app::catalogue::InstrumentChange;
use corridor_domain::{
    AccessPolicy, BookingMode, CategoryCode, Fen, InstitutionId, InstrumentId, SiteId,
    TimeZoneName, WeeklyOpeningHours,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::InstrumentDto;
use crate::auth::Requester;
use crate::extract::{Json, Path};
use crate::problem::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::problem::{ApiError, Problem};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HourlyRatesInput {
    pub own_institution_fen: i64,
    pub other_academic_fen: i64,
    pub industry_fen: i64,
}

/// An instrument as a manager writes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstrumentInput {
    pub institution_id: i64,
    /// A site of that institution.
    pub site_id: i64,
    /// A subclass code of the taxonomy, e.g. `0102`.
    pub category: String,
    pub name_en: String,
    pub name_zh: String,
    #[serde(default)]
    pub techniques: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    pub manufacturer: String,
    pub model: String,
    pub year_of_manufacture: i32,
    pub purchase_value_fen: i64,
    #[serde(default)]
    pub description_en: String,
    #[serde(default)]
    pub description_zh: String,
    /// open, region or own_institution.
    pub access_policy: String,
    /// instant or needs_approval.
    pub booking_mode: String,
    pub training_required: bool,
    pub hourly_rates: HourlyRatesInput,
    /// e.g. `Mon-Fri 08:30-17:30; Sat 09:00-12:00`.
    pub opening_hours: String,
    /// IANA name; `Asia/Shanghai` when absent.
    pub time_zone: Option<String>,
}

impl InstrumentInput {
    /// The change as the catalogue takes it: codes, opening hours and time zone read here;
    /// the limits on text and numbers, and who may make the change, are the catalogue's.
    fn into_change(self) -> Result<InstrumentChange, ApiError> {
        Ok(InstrumentChange {
            institution: InstitutionId(self.institution_id),
            site: SiteId(self.site_id),
            category: CategoryCode::parse(&self.category)?,
            name_en: self.name_en,
            name_zh: self.name_zh,
            techniques: self.techniques,
            keywords: self.keywords,
            manufacturer: self.manufacturer,
            model: self.model,
            year_of_manufacture: self.year_of_manufacture,
            purchase_value: Fen(self.purchase_value_fen),
            description_en: self.description_en,
            description_zh: self.description_zh,
            access_policy: AccessPolicy::parse(&self.access_policy)?,
            booking_mode: BookingMode::parse(&self.booking_mode)?,
            training_required: self.training_required,
            own_institution_rate: Fen(self.hourly_rates.own_institution_fen),
            other_academic_rate: Fen(self.hourly_rates.other_academic_fen),
            industry_rate: Fen(self.hourly_rates.industry_fen),
            opening_hours: WeeklyOpeningHours::parse(&self.opening_hours)?,
            time_zone: self
                .time_zone
                .as_deref()
                .map(TimeZoneName::parse)
                .transpose()?,
        })
    }
}

/// Adds an instrument to an institution's list.
#[utoipa::path(post, path = "/instruments", tag = "instruments", request_body = InstrumentInput, security(("bearer" = [])),
    responses((status = 201, body = InstrumentDto), BadRequest, Unauthorized, Forbidden))]
pub async fn create_instrument(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Json(input): Json<InstrumentInput>,
) -> Result<(StatusCode, Json<InstrumentDto>), ApiError> {
    let created = state
        .app
        .catalogue()
        .create_instrument(&requester, input.into_change()?)
        .await?;
    Ok((StatusCode::CREATED, Json(InstrumentDto::from(created))))
}

/// Replaces an instrument's description, rates, rules and opening hours.
#[utoipa::path(put, path = "/instruments/{id}", tag = "instruments", request_body = InstrumentInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Instrument id")),
    responses((status = 200, body = InstrumentDto), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn update_instrument(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<InstrumentInput>,
) -> Result<Json<InstrumentDto>, ApiError> {
    let updated = state
        .app
        .catalogue()
        .update_instrument(&requester, InstrumentId(id), input.into_change()?)
        .await?;
    Ok(Json(InstrumentDto::from(updated)))
}

/// Removes an instrument. It disappears from search at once.
#[utoipa::path(delete, path = "/instruments/{id}", tag = "instruments", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Instrument id")),
    responses((status = 204), Unauthorized, Forbidden, NotFound,
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the instrument has bookings and is kept")))]
pub async fn delete_instrument(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .catalogue()
        .delete_instrument(&requester, InstrumentId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
