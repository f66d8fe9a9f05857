//! Joining through the API: sign up, confirm an address, a new link, password reset, my
//! account's standing and change of address, and the institution admins' membership
//! decisions. The same operations as the pages (`corridor_app::enrolment`); a step that
//! mails answers 202 alike whether or not the address has an account.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use corridor_app::enrolment::SignUpRequest;
use corridor_domain::{InstitutionId, Language, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Requester;
use crate::extract::{Json, Path};
use crate::problem::responses::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized};
use crate::problem::{ApiError, Problem};
use crate::AppState;

/// A sign-up: the account waits for its address to be confirmed, and its membership of the
/// institution for the institution's admins.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpBody {
    pub email: String,
    /// 1 to 100 characters.
    pub display_name: String,
    /// At least 10 characters.
    pub password: String,
    /// The institution the person belongs to (`GET /institutions`).
    pub institution_id: i64,
    /// The language of the mails: `en` or `zh`; `en` when absent.
    #[serde(default)]
    pub language: Option<String>,
}

/// What a step that mails answers, whatever the address.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailQueuedDto {
    /// Always `queued`: whether the address has an account is never said.
    pub status: &'static str,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailBody {
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    /// The secret from the mailed link (its `token` parameter).
    pub token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPasswordBody {
    pub token: String,
    /// At least 10 characters.
    pub password: String,
}

/// The account a link changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkRedeemedDto {
    pub email: String,
}

/// The signed-in user's standing.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyAccountDto {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub email_verified: bool,
    pub home_institution_id: i64,
    /// `requested`, `admitted` or `refused`: only an admitted member gets the institution's
    /// own rates.
    pub membership: String,
    pub preferred_language: String,
}

/// A person waiting for (or refused) membership.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipRequestDto {
    pub user_id: i64,
    pub display_name: String,
    pub email: String,
    pub membership: String,
    pub email_verified: bool,
    pub signed_up_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MembershipDecisionBody {
    /// `admit` or `refuse`.
    pub decision: String,
}

fn queued() -> (StatusCode, Json<MailQueuedDto>) {
    (
        StatusCode::ACCEPTED,
        Json(MailQueuedDto { status: "queued" }),
    )
}

/// Signs up. Answers 202 whether or not the address already has an account (its owner is
/// mailed instead); the confirmation link is mailed to the address.
#[utoipa::path(post, path = "/accounts", tag = "accounts", request_body = SignUpBody,
    responses((status = 202, body = MailQueuedDto), BadRequest,
        (status = 429, body = Problem, content_type = "application/problem+json", description = "too many requests for this address or from this client; see Retry-After")))]
pub async fn sign_up(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Json(body): Json<SignUpBody>,
) -> Result<(StatusCode, Json<MailQueuedDto>), ApiError> {
    let language = match body.language.as_deref() {
        None => Language::English,
        Some(code) => {
            Language::parse(code).map_err(|_| ApiError::invalid("language", "must be en or zh"))?
        }
    };
    state
        .app
        .enrolment()
        .sign_up(
            &requester,
            SignUpRequest {
                email: body.email,
                display_name: body.display_name,
                password: body.password,
                institution: InstitutionId(body.institution_id),
                language,
            },
        )
        .await?;
    Ok(queued())
}

/// Confirms an address with the secret of its mailed link (single use, 48 hours).
#[utoipa::path(post, path = "/accounts/verification", tag = "accounts", request_body = TokenBody,
    responses((status = 200, body = LinkRedeemedDto), BadRequest))]
pub async fn verify_email(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Json(body): Json<TokenBody>,
) -> Result<Json<LinkRedeemedDto>, ApiError> {
    let email = state
        .app
        .enrolment()
        .verify_email(&requester, &body.token)
        .await?;
    Ok(Json(LinkRedeemedDto {
        email: email.as_str().to_owned(),
    }))
}

/// Mails a new confirmation link to an account that still waits for one; 202 for any address.
#[utoipa::path(post, path = "/accounts/verification/resend", tag = "accounts", request_body = EmailBody,
    responses((status = 202, body = MailQueuedDto), BadRequest,
        (status = 429, body = Problem, content_type = "application/problem+json", description = "too many requests; see Retry-After")))]
pub async fn resend_verification(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Json(body): Json<EmailBody>,
) -> Result<(StatusCode, Json<MailQueuedDto>), ApiError> {
    state
        .app
        .enrolment()
        .resend_verification(&requester, &body.email)
        .await?;
    Ok(queued())
}

/// Mails a password-reset link (single use, one hour) to the address's account; 202 for any
/// address.
#[utoipa::path(post, path = "/accounts/password-reset", tag = "accounts", request_body = EmailBody,
    responses((status = 202, body = MailQueuedDto), BadRequest,
        (status = 429, body = Problem, content_type = "application/problem+json", description = "too many requests; see Retry-After")))]
pub async fn request_password_reset(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Json(body): Json<EmailBody>,
) -> Result<(StatusCode, Json<MailQueuedDto>), ApiError> {
    state
        .app
        .enrolment()
        .request_password_reset(&requester, &body.email)
        .await?;
    Ok(queued())
}

/// Sets a new password with a reset link's secret; every session of the account ends.
#[utoipa::path(post, path = "/accounts/password-reset/confirm", tag = "accounts", request_body = NewPasswordBody,
    responses((status = 200, body = LinkRedeemedDto), BadRequest,
        (status = 429, body = Problem, content_type = "application/problem+json", description = "the server's password workers are busy; see Retry-After")))]
pub async fn reset_password(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Json(body): Json<NewPasswordBody>,
) -> Result<Json<LinkRedeemedDto>, ApiError> {
    let email = state
        .app
        .enrolment()
        .reset_password(&requester, &body.token, body.password)
        .await?;
    Ok(Json(LinkRedeemedDto {
        email: email.as_str().to_owned(),
    }))
}

/// Moves the account to a new address once the link mailed there is followed
/// (`/accounts/email-change/confirm`); 202 whether or not the new address has an account.
#[utoipa::path(post, path = "/me/email", tag = "accounts", request_body = EmailBody, security(("bearer" = [])),
    responses((status = 202, body = MailQueuedDto), BadRequest, Unauthorized,
        (status = 429, body = Problem, content_type = "application/problem+json", description = "too many requests; see Retry-After")))]
pub async fn request_email_change(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Json(body): Json<EmailBody>,
) -> Result<(StatusCode, Json<MailQueuedDto>), ApiError> {
    state
        .app
        .enrolment()
        .request_email_change(&requester, &body.email)
        .await?;
    Ok(queued())
}

/// Confirms a change of address with the secret of the link mailed to the new address.
#[utoipa::path(post, path = "/accounts/email-change/confirm", tag = "accounts", request_body = TokenBody,
    responses((status = 200, body = LinkRedeemedDto), BadRequest, Conflict))]
pub async fn confirm_email_change(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Json(body): Json<TokenBody>,
) -> Result<Json<LinkRedeemedDto>, ApiError> {
    let email = state
        .app
        .enrolment()
        .confirm_email_change(&requester, &body.token)
        .await?;
    Ok(Json(LinkRedeemedDto {
        email: email.as_str().to_owned(),
    }))
}

/// The signed-in user's account: verified, and the membership that prices their bookings.
#[utoipa::path(get, path = "/me/account", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = MyAccountDto), Unauthorized))]
pub async fn my_account(
    State(state): State<Arc<AppState>>,
    requester: Requester,
) -> Result<Json<MyAccountDto>, ApiError> {
    let user = requester.require_user()?.clone();
    let (email_verified, membership) = state.app.enrolment().my_standing(&requester).await?;
    Ok(Json(MyAccountDto {
        id: user.id.0,
        email: user.email.as_str().to_owned(),
        display_name: user.display_name,
        email_verified,
        home_institution_id: user.home_institution.0,
        membership: membership.as_code().to_owned(),
        preferred_language: user.preferred_language.as_code().to_owned(),
    }))
}

/// The people who signed up naming the institution and wait for (or were refused)
/// membership: its institution admins and platform admins only.
#[utoipa::path(get, path = "/institutions/{id}/membership-requests", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The institution")),
    responses((status = 200, body = Vec<MembershipRequestDto>), Unauthorized, Forbidden))]
pub async fn membership_requests(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<Vec<MembershipRequestDto>>, ApiError> {
    let requests = state
        .app
        .enrolment()
        .membership_requests(&requester, InstitutionId(id))
        .await?;
    Ok(Json(
        requests
            .into_iter()
            .map(|request| MembershipRequestDto {
                user_id: request.user.0,
                display_name: request.display_name,
                email: request.email.as_str().to_owned(),
                membership: request.membership.as_code().to_owned(),
                email_verified: request.email_verified,
                signed_up_at: request.signed_up_at.to_string(),
            })
            .collect(),
    ))
}

/// Admits a person to the institution (their bookings are then priced as its own) or
/// refuses them; they are told by mail. 409 when the decision was already taken.
#[utoipa::path(post, path = "/institutions/{id}/members/{user_id}/decision", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The institution"), ("user_id" = i64, Path, description = "The person")),
    request_body = MembershipDecisionBody,
    responses((status = 204, description = "decided"), BadRequest, Unauthorized, Forbidden, NotFound, Conflict))]
pub async fn decide_membership(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path((id, user_id)): Path<(i64, i64)>,
    Json(body): Json<MembershipDecisionBody>,
) -> Result<StatusCode, ApiError> {
    let admit = match body.decision.as_str() {
        "admit" => true,
        "refuse" => false,
        _ => return Err(ApiError::invalid("decision", "must be admit or refuse")),
    };
    state
        .app
        .enrolment()
        .decide_membership(&requester, InstitutionId(id), UserId(user_id), admit)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
