//! One error shape for the whole HTTP edge: RFC 9457 problem details.
//!
//! Every failure a handler can meet becomes an [`ApiError`], and every `ApiError` becomes an
//! `application/problem+json` body whose `type` is a stable, documented URI reference
//! (`/problems/<slug>`, served as a page that explains it). Clients branch on `type` and
//! `status`; `detail` is for people. A server-side failure is logged with its cause and
//! answered without it, so internals never leak.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use corridor_app::AppError;
use corridor_domain::DomainError;
use corridor_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error answer (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference that identifies the kind of problem, e.g. `/problems/invalid-parameter`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For `invalid-parameter`: the parameter that was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
}

/// The refusals an operation documents, named once for the handlers' `#[utoipa::path]`
/// attributes (`responses((status = 200, body = X), Unauthorized, NotFound)`) instead of the
/// same tuple written on every handler. An operation whose refusal needs its own words keeps a
/// tuple with a `description`.
pub mod responses {
    use super::Problem;

    /// A parameter or the body was refused (`invalid-parameter`, `malformed-request`).
    #[derive(utoipa::IntoResponses)]
    #[response(status = 400, content_type = "application/problem+json")]
    pub struct BadRequest(pub Problem);

    /// No credentials, or ones the server does not know (`unauthenticated`).
    #[derive(utoipa::IntoResponses)]
    #[response(status = 401, content_type = "application/problem+json")]
    pub struct Unauthorized(pub Problem);

    /// The caller is known but may not do this (`forbidden`).
    #[derive(utoipa::IntoResponses)]
    #[response(status = 403, content_type = "application/problem+json")]
    pub struct Forbidden(pub Problem);

    /// No such object, or none the caller may see: someone else's object answers the same.
    #[derive(utoipa::IntoResponses)]
    #[response(status = 404, content_type = "application/problem+json")]
    pub struct NotFound(pub Problem);

    /// The object's state does not allow this now (its own problem type says why).
    #[derive(utoipa::IntoResponses)]
    #[response(status = 409, content_type = "application/problem+json")]
    pub struct Conflict(pub Problem);

    /// A rule refused the request (its own problem type says which); nothing was stored.
    #[derive(utoipa::IntoResponses)]
    #[response(status = 422, content_type = "application/problem+json")]
    pub struct Unprocessable(pub Problem);
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("{parameter}: {reason}")]
    InvalidParameter { parameter: String, reason: String },
    #[error("{0}")]
    MalformedRequest(String),
    #[error("authentication required")]
    Unauthenticated,
    #[error("the e-mail address or password is wrong")]
    BadCredentials,
    #[error("too many failed sign-ins; try again in {retry_after_seconds} seconds")]
    TooManyAttempts { retry_after_seconds: u64 },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A failure the client cannot fix; the cause is logged with its whole chain and never
    /// sent.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A booking request or change refused by a rule; `slug` is one of the booking kinds in
    /// [`PROBLEM_KINDS`].
    #[error("{detail}")]
    Refused { slug: &'static str, detail: String },
}

/// The kinds of problem Corridor answers with: slug, title, status and the explanation the
/// `/problems/<slug>` page shows.
pub const PROBLEM_KINDS: &[(&str, &str, u16, &str)] = &[
    ("not-found", "Not found", 404, "The resource or route does not exist. Ids come from list endpoints; routes are listed in /api/v1/openapi.json."),
    ("invalid-parameter", "Invalid parameter", 400, "A query, path or body parameter was refused. `parameter` names it and `detail` says why."),
    ("malformed-request", "Malformed request", 400, "The request could not be read: the body is not valid JSON for this endpoint, a header is wrong, or a required field is missing."),
    ("unauthenticated", "Authentication required", 401, "Send `Authorization: Bearer <token>` (create a token with POST /api/v1/tokens) or sign in on the web."),
    ("bad-credentials", "Wrong e-mail address or password", 401, "The e-mail address or password is wrong. The answer does not say which, on purpose."),
    ("too-many-sign-in-attempts", "Too many failed sign-ins", 429, "This e-mail address, or your network address, failed to sign in too often in the last 15 minutes. Wait for the time in `Retry-After` (and `detail`), then try again."),
    ("forbidden", "Forbidden", 403, "You are signed in but your roles do not allow this, or a form's CSRF token did not match."),
    ("conflict", "Conflict", 409, "The request contradicts what is stored, for example a duplicate."),
    ("method-not-allowed", "Method not allowed", 405, "The route exists but not with this HTTP method."),
    ("payload-too-large", "Payload too large", 413, "The request body is larger than the server accepts."),
    ("slot-taken", "The slot is taken", 409, "Another booking holds part of the requested time. Choose another time, or ask to join the waitlist (`join_waitlist: true`) and be booked when the slot frees."),
    ("wrong-booking-status", "Not possible in this booking's status", 409, "The booking is not in a status that allows this, e.g. approving a cancelled booking. `detail` names the status."),
    ("qualification-required", "Training required", 403, "The instrument may only be booked by users who hold a qualification for it. Its managers grant qualifications after training."),
    ("access-policy-refuses", "Not open to you", 403, "The instrument's access policy (open, region or own_institution) does not admit users of your institution."),
    ("booking-off-slot-grid", "Off the slot grid", 422, "Bookings start and end on the instrument's slot grid in its local time (e.g. every 30 minutes)."),
    ("booking-length-not-allowed", "Length not allowed", 422, "The booking is shorter than the instrument's minimum or longer than its maximum."),
    ("booking-too-soon", "Too soon", 422, "The instrument must be booked a lead time ahead of the start; `detail` says the earliest start."),
    ("booking-too-far-ahead", "Too far ahead", 422, "The instrument can be booked only so many days ahead (its calendar's booking horizon); `detail` says the latest start."),
    ("booking-outside-opening-hours", "Outside opening hours", 422, "Part of the requested time is outside the instrument's weekly opening hours in its local time."),
    ("instrument-closed", "Instrument closed", 422, "The instrument is closed for a holiday or maintenance during part of the requested time."),
    ("booking-quota-exceeded", "Weekly quota exceeded", 422, "The booking would take you past the instrument's weekly quota for one user."),
    ("cancellation-deadline-passed", "Cancellation deadline passed", 422, "It is too late to cancel or move this booking yourself; the instrument's managers still can."),
    ("booking-already-started", "Booking already started", 422, "The booking has started or ended and can no longer be cancelled or moved."),
    ("usage-before-start", "Usage before start", 422, "Actual usage can only be recorded once the booking has started."),
    ("not-an-enterprise", "Vouchers are for enterprises", 403, "Innovation vouchers are issued to enterprises (corporations) only; universities, institutes and hospitals cannot apply."),
    ("enterprise-outside-province", "Not this province's enterprise", 403, "A programme issues vouchers to enterprises of its own province; apply to your own province's programme."),
    ("programme-not-valid", "Programme not valid now", 422, "The programme is outside its validity period on this date."),
    ("annual-cap-exceeded", "Annual cap exceeded", 422, "The amount would take the enterprise past the programme's cap per enterprise and calendar year; `detail` says what was issued so far."),
    ("category-not-eligible", "Category not covered", 422, "The programme does not pay for this category of instrument."),
    ("provider-not-eligible", "Provider not covered", 422, "The programme pays only providers of its own province, and this instrument's provider is elsewhere."),
    ("not-your-voucher", "Not your voucher", 403, "The voucher belongs to another enterprise; only its own staff may spend it."),
    ("voucher-empty", "Voucher empty", 422, "The voucher has no value left to hold or spend."),
    ("nothing-to-pay", "Nothing to pay", 422, "The service costs nothing, so a voucher has nothing to pay."),
    ("grading-closed", "Grading closed", 409, "The cycle's allocation has been run on its grades; a grade can no longer be given or changed."),
    ("idempotency-key-reused", "Idempotency key used for another request", 422, "The Idempotency-Key was first used for a different request (another instrument, time or purpose). A retry must send the same request; a new request needs a new key."),
    ("voucher-insufficient", "Voucher cannot cover the hold", 409, "Between the quote and the booking the voucher's available value changed; quote again."),
    ("budget-exhausted", "Budget exhausted", 409, "The programme's budget cannot cover the amount; `detail` says what is left. Approve a smaller amount or reject."),
    ("application-already-decided", "Application already decided", 409, "The application was approved or rejected before; a decision is final."),
    ("proposal-not-submittable", "Proposal cannot be submitted", 422, "The cycle's call is not open now, or the proposal is incomplete; `detail` names the field. Nothing was submitted."),
    ("wrong-proposal-status", "Not possible in this proposal's status", 409, "The proposal is not a draft (it was submitted or withdrawn before)."),
    ("internal", "Internal error", 500, "The server failed. The failure was logged; retrying may help. Please report it if it persists."),
];

impl ApiError {
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> ApiError {
        ApiError::Internal(cause.into())
    }

    pub fn invalid(parameter: impl Into<String>, reason: impl Into<String>) -> ApiError {
        ApiError::InvalidParameter {
            parameter: parameter.into(),
            reason: reason.into(),
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            ApiError::NotFound(_) => "not-found",
            ApiError::InvalidParameter { .. } => "invalid-parameter",
            ApiError::MalformedRequest(_) => "malformed-request",
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::BadCredentials => "bad-credentials",
            ApiError::TooManyAttempts { .. } => "too-many-sign-in-attempts",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Conflict(_) => "conflict",
            ApiError::MethodNotAllowed => "method-not-allowed",
            ApiError::PayloadTooLarge(_) => "payload-too-large",
            ApiError::Internal(_) => "internal",
            ApiError::Refused { slug, .. } => slug,
        }
    }

    pub fn to_problem(&self) -> Problem {
        let slug = self.slug();
        let (_, title, status, _) = PROBLEM_KINDS
            .iter()
            .find(|(kind, ..)| *kind == slug)
            .expect("every slug has a kind");
        let detail = match self {
            ApiError::Internal(_) => {
                "The server failed to answer this request; the failure was logged.".to_owned()
            }
            other => other.to_string(),
        };
        Problem {
            problem_type: format!("/problems/{slug}"),
            title: (*title).to_owned(),
            status: *status,
            detail,
            parameter: match self {
                ApiError::InvalidParameter { parameter, .. } => Some(parameter.clone()),
                _ => None,
            },
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        ApiError::InvalidParameter {
            parameter: error.field.to_owned(),
            reason: error.reason,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => ApiError::NotFound(what),
            StoreError::Conflict(what) => ApiError::Conflict(what),
            StoreError::InvalidReference { field, reason } => ApiError::invalid(field, reason),
            other => ApiError::Internal(Box::new(other)),
        }
    }
}

/// The one place where the application layer's errors become HTTP problems.
impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Unauthenticated => ApiError::Unauthenticated,
            AppError::Forbidden(reason) => ApiError::Forbidden(reason),
            AppError::NotFound(what) => ApiError::NotFound(what),
            AppError::Invalid { field, reason } => ApiError::InvalidParameter {
                parameter: field,
                reason,
            },
            AppError::Conflict(what) => ApiError::Conflict(what),
            AppError::BadCredentials => ApiError::BadCredentials,
            AppError::EmailNotVerified => {
                ApiError::Forbidden(AppError::EmailNotVerified.to_string())
            }
            AppError::TooManySignInAttempts { retry_after }
            | AppError::TooManyAccountRequests { retry_after } => ApiError::TooManyAttempts {
                // Never "retry in 0 seconds": a client would hammer at once.
                retry_after_seconds: retry_after.as_secs().max(1),
            },
            AppError::SingleSignOn(failure) => match failure {
                corridor_app::sso::SsoFailure::UnknownProvider => {
                    ApiError::NotFound(failure.to_string())
                }
                corridor_app::sso::SsoFailure::AddressTaken => {
                    ApiError::Conflict(failure.to_string())
                }
                other => ApiError::Forbidden(other.to_string()),
            },
            AppError::Refused(refusal) => ApiError::Refused {
                slug: refusal.slug(),
                detail: refusal.to_string(),
            },
            internal @ (AppError::Store(_) | AppError::Internal { .. }) => {
                ApiError::Internal(Box::new(internal))
            }
        }
    }
}

/// An error and its causes in one line, for the log.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(cause = %error_chain(cause.as_ref()), "request failed");
        }
        let problem = self.to_problem();
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(problem)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if let ApiError::TooManyAttempts {
            retry_after_seconds,
        } = &self
        {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(*retry_after_seconds),
            );
        }
        if matches!(self, ApiError::Unauthenticated) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"corridor\""),
            );
        }
        response
    }
}
