//! Adding, changing and removing instruments: for the instrument managers and admins of the
//! providing institution, and platform admins. Every change is searchable at once on this
//! node and within a second on every other.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use corridor_domain::{
    bounded_text, AccessPolicy, BookingMode, CategoryCode, Fen, HourlyRates, InstitutionId,
    Instrument, InstrumentId, SiteId, TimeZoneName, WeeklyOpeningHours,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::InstrumentDto;
use crate::auth::Requester;
use crate::extract::{Json, Path};
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

fn short_list(field: &'static str, values: &[String]) -> Result<Vec<String>, ApiError> {
    if values.len() > 50 {
        return Err(ApiError::invalid(field, "at most 50 entries"));
    }
    values
        .iter()
        .map(|value| Ok(bounded_text(field, value, 100)?))
        .collect()
}

impl InstrumentInput {
    fn into_instrument(self, id: InstrumentId) -> Result<Instrument, ApiError> {
        if !(1950..=2100).contains(&self.year_of_manufacture) {
            return Err(ApiError::invalid(
                "year_of_manufacture",
                "must be between 1950 and 2100",
            ));
        }
        if self.purchase_value_fen < 0 {
            return Err(ApiError::invalid(
                "purchase_value_fen",
                "must not be negative",
            ));
        }
        let optional_text = |field: &'static str, value: &str| -> Result<String, ApiError> {
            Ok(
                corridor_domain::optional_bounded_text(field, Some(value), 4_000)?
                    .unwrap_or_default(),
            )
        };
        Ok(Instrument {
            id,
            institution: InstitutionId(self.institution_id),
            site: SiteId(self.site_id),
            category: CategoryCode::parse(&self.category)?,
            name_en: bounded_text("name_en", &self.name_en, 200)?,
            name_zh: bounded_text("name_zh", &self.name_zh, 200)?,
            techniques: short_list("techniques", &self.techniques)?,
            keywords: short_list("keywords", &self.keywords)?,
            manufacturer: bounded_text("manufacturer", &self.manufacturer, 200)?,
            model: bounded_text("model", &self.model, 200)?,
            year_of_manufacture: self.year_of_manufacture,
            purchase_value: Fen(self.purchase_value_fen),
            description_en: optional_text("description_en", &self.description_en)?,
            description_zh: optional_text("description_zh", &self.description_zh)?,
            access_policy: AccessPolicy::parse(&self.access_policy)?,
            rates: HourlyRates::new(
                Fen(self.hourly_rates.own_institution_fen),
                Fen(self.hourly_rates.other_academic_fen),
                Fen(self.hourly_rates.industry_fen),
            )?,
            booking_mode: BookingMode::parse(&self.booking_mode)?,
            training_required: self.training_required,
            opening_hours: WeeklyOpeningHours::parse(&self.opening_hours)?,
            time_zone: match self.time_zone.as_deref() {
                Some(name) => TimeZoneName::parse(name)?,
                None => TimeZoneName::asia_shanghai(),
            },
        })
    }
}

fn require_manager(requester: &Requester, institution: InstitutionId) -> Result<(), ApiError> {
    let user = requester.require_user()?;
    if user.may_manage_instruments_of(institution) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "only the instrument managers of institution {} may change its instruments",
            institution.0
        )))
    }
}

async fn instrument_dto(state: &AppState, id: InstrumentId) -> Result<InstrumentDto, ApiError> {
    let item = state
        .store
        .instrument(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no instrument with id {}", id.0)))?;
    Ok(InstrumentDto::from(item))
}

async fn reindex(state: &AppState, id: InstrumentId) -> Result<(), ApiError> {
    state
        .search
        .apply(state.store.as_ref(), id)
        .await
        .map_err(|error| ApiError::internal(error.to_string()))
}

/// Adds an instrument to an institution's list.
#[utoipa::path(post, path = "/instruments", tag = "instruments", request_body = InstrumentInput, security(("bearer" = [])),
    responses((status = 201, body = InstrumentDto), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn create_instrument(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Json(input): Json<InstrumentInput>,
) -> Result<(StatusCode, Json<InstrumentDto>), ApiError> {
    requester.require_user()?;
    let instrument = input.into_instrument(InstrumentId(0))?;
    require_manager(&requester, instrument.institution)?;
    let id = state
        .store
        .create_instrument(&instrument, &requester.audit_context())
        .await?;
    reindex(&state, id).await?;
    Ok((StatusCode::CREATED, Json(instrument_dto(&state, id).await?)))
}

/// Replaces an instrument's description, rates, rules and opening hours.
#[utoipa::path(put, path = "/instruments/{id}", tag = "instruments", request_body = InstrumentInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Instrument id")),
    responses((status = 200, body = InstrumentDto), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn update_instrument(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<InstrumentInput>,
) -> Result<Json<InstrumentDto>, ApiError> {
    requester.require_user()?;
    let existing = state
        .store
        .instrument(InstrumentId(id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no instrument with id {id}")))?;
    // A manager must manage both the instrument's institution and the one it would move to.
    require_manager(&requester, existing.instrument.institution)?;
    let instrument = input.into_instrument(InstrumentId(id))?;
    require_manager(&requester, instrument.institution)?;
    state
        .store
        .update_instrument(&instrument, &requester.audit_context())
        .await?;
    reindex(&state, instrument.id).await?;
    Ok(Json(instrument_dto(&state, instrument.id).await?))
}

/// Removes an instrument. It disappears from search at once.
#[utoipa::path(delete, path = "/instruments/{id}", tag = "instruments", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Instrument id")),
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the instrument has bookings and is kept")))]
pub async fn delete_instrument(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    requester.require_user()?;
    let existing = state
        .store
        .instrument(InstrumentId(id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no instrument with id {id}")))?;
    require_manager(&requester, existing.instrument.institution)?;
    state
        .store
        .delete_instrument(InstrumentId(id), &requester.audit_context())
        .await?;
    reindex(&state, InstrumentId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
