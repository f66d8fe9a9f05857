//! The roster through the API: an institution's people and their roles, appointments and
//! removals, qualifications in bulk, new institutions, and the caller's own web sessions.
//! The rules are `corridor_app::roster`'s.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use corridor_app::roster::InstitutionFields;
use corridor_domain::{InstitutionId, InstrumentId, Role, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Requester;
use crate::extract::{Json, Path};
use crate::problem::responses::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized};
use crate::problem::ApiError;
use crate::AppState;

/// A person of an institution's roster.
#[derive(Debug, Serialize, ToSchema)]
pub struct RosterPersonDto {
    pub user_id: i64,
    pub display_name: String,
    pub email: String,
    /// Whether the person's home institution is this one.
    pub home_here: bool,
    /// `requested`, `admitted` or `refused`.
    pub membership: String,
    /// The roles held at this institution (`instrument_manager`, `institution_admin`, …).
    pub roles: Vec<String>,
}

/// Grants or revokes qualifications: every address on every instrument, all or nothing.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkQualificationBody {
    pub instrument_ids: Vec<i64>,
    pub emails: Vec<String>,
    /// `grant` or `revoke`.
    pub action: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkQualificationDto {
    /// Qualifications granted or revoked; pairs already so are not counted.
    pub changed: u64,
    pub instruments: usize,
    pub people: usize,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInstitutionBody {
    /// `university`, `research_institute`, `corporation`, `hospital` or `facility_operator`.
    pub kind: String,
    pub name_en: String,
    pub name_zh: String,
    /// The six-digit code of the institution's city.
    pub city_code: String,
    /// One of the sectors (`higher_education`, `public_research`, `biomedicine`, …).
    pub sector: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedInstitutionDto {
    pub id: i64,
}

/// A web session of the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDto {
    /// Names the session (a hash of its secret, never the secret).
    pub id: String,
    pub started_at: String,
    pub expires_at: String,
    pub client_address: Option<String>,
}

fn appointable(role: &str) -> Result<Role, ApiError> {
    Role::parse(role).map_err(|error| ApiError::invalid("role", error.reason))
}

/// The institution's members and whoever holds a role there, with their roles: its
/// institution admins and platform admins only.
#[utoipa::path(get, path = "/institutions/{id}/people", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The institution")),
    responses((status = 200, body = Vec<RosterPersonDto>), Unauthorized, Forbidden))]
pub async fn institution_people(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<Vec<RosterPersonDto>>, ApiError> {
    let roster = state
        .app
        .roster()
        .institution_roster(&requester, InstitutionId(id))
        .await?;
    Ok(Json(
        roster
            .into_iter()
            .map(|entry| RosterPersonDto {
                user_id: entry.user.0,
                display_name: entry.display_name,
                email: entry.email.as_str().to_owned(),
                home_here: entry.home_here,
                membership: entry.membership.as_code().to_owned(),
                roles: entry
                    .roles
                    .iter()
                    .map(|role| role.as_code().to_owned())
                    .collect(),
            })
            .collect(),
    ))
}

/// Appoints an admitted member as instrument manager or institution admin (204 also when
/// they already were). 409 for someone who is not an admitted member.
#[utoipa::path(put, path = "/institutions/{id}/people/{user_id}/roles/{role}", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The institution"), ("user_id" = i64, Path, description = "The person"),
           ("role" = String, Path, description = "`instrument_manager` or `institution_admin`")),
    responses((status = 204, description = "appointed"), BadRequest, Unauthorized, Forbidden, Conflict))]
pub async fn appoint(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path((id, user_id, role)): Path<(i64, i64, String)>,
) -> Result<StatusCode, ApiError> {
    let role = appointable(&role)?;
    state
        .app
        .roster()
        .set_role(&requester, InstitutionId(id), UserId(user_id), role, true)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a person from a role at the institution (204 also when they did not hold it).
/// 409 for an admin removing their own admin role.
#[utoipa::path(delete, path = "/institutions/{id}/people/{user_id}/roles/{role}", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The institution"), ("user_id" = i64, Path, description = "The person"),
           ("role" = String, Path, description = "`instrument_manager` or `institution_admin`")),
    responses((status = 204, description = "removed"), BadRequest, Unauthorized, Forbidden, Conflict))]
pub async fn remove(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path((id, user_id, role)): Path<(i64, i64, String)>,
) -> Result<StatusCode, ApiError> {
    let role = appointable(&role)?;
    state
        .app
        .roster()
        .set_role(&requester, InstitutionId(id), UserId(user_id), role, false)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Grants or revokes the qualifications of the people with these addresses on these
/// instruments, all or nothing: every instrument one the caller manages, every address an
/// account's.
#[utoipa::path(post, path = "/qualifications/bulk", tag = "bookings", security(("bearer" = [])),
    request_body = BulkQualificationBody,
    responses((status = 200, body = BulkQualificationDto), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn bulk_qualifications(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Json(body): Json<BulkQualificationBody>,
) -> Result<Json<BulkQualificationDto>, ApiError> {
    let granted = match body.action.as_str() {
        "grant" => true,
        "revoke" => false,
        _ => return Err(ApiError::invalid("action", "must be grant or revoke")),
    };
    let instruments: Vec<InstrumentId> = body
        .instrument_ids
        .iter()
        .copied()
        .map(InstrumentId)
        .collect();
    let outcome = state
        .app
        .roster()
        .set_qualifications_in_bulk(&requester, &instruments, &body.emails.join("\n"), granted)
        .await?;
    Ok(Json(BulkQualificationDto {
        changed: outcome.changed,
        instruments: outcome.instruments,
        people: outcome.people,
    }))
}

/// Creates an institution: platform admins only.
#[utoipa::path(post, path = "/institutions", tag = "accounts", security(("bearer" = [])),
    request_body = NewInstitutionBody,
    responses((status = 201, body = CreatedInstitutionDto), BadRequest, Unauthorized, Forbidden))]
pub async fn create_institution(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Json(body): Json<NewInstitutionBody>,
) -> Result<(StatusCode, Json<CreatedInstitutionDto>), ApiError> {
    let created = state
        .app
        .roster()
        .create_institution(
            &requester,
            &InstitutionFields {
                kind: body.kind,
                name_en: body.name_en,
                name_zh: body.name_zh,
                city_code: body.city_code,
                sector: body.sector,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedInstitutionDto { id: created.0 }),
    ))
}

/// The caller's live web sessions, newest first.
#[utoipa::path(get, path = "/me/sessions", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Vec<SessionDto>), Unauthorized))]
pub async fn my_sessions(
    State(state): State<Arc<AppState>>,
    requester: Requester,
) -> Result<Json<Vec<SessionDto>>, ApiError> {
    let sessions = state.app.roster().my_sessions(&requester, None).await?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|own| SessionDto {
                id: own.session.token_hash,
                started_at: own.session.created_at.to_string(),
                expires_at: own.session.expires_at.to_string(),
                client_address: own.session.client_address,
            })
            .collect(),
    ))
}

/// Ends one of the caller's web sessions (it is signed out at once). 404 for one that is not
/// the caller's or has ended.
#[utoipa::path(delete, path = "/me/sessions/{session_id}", tag = "accounts", security(("bearer" = [])),
    params(("session_id" = String, Path, description = "The session's id from GET /me/sessions")),
    responses((status = 204, description = "ended"), BadRequest, Unauthorized, NotFound))]
pub async fn end_my_session(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(session_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .roster()
        .end_my_session(&requester, &session_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
