//! The manager console (`/manage`): the approvals queue at the top, with approve and reject
//! buttons and an optional note to the user, then the instruments the manager looks after,
//! each linking to its calendar tools (closures, qualifications, booking rules).
//!
//! Only instrument managers and institution admins (for their institutions) and platform
//! admins (for every institution) get a console; others get a 403 page, as the API's
//! approvals queue answers them.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use corridor_domain::{BookingId, BookingMode, InstitutionId, PageLimit, User};
use corridor_store::{BookingChange, InstrumentFilter, PageRequest};
use serde::Deserialize;

use super::booking::refresh_availability;
use super::booking_text::{
    denial_message, duration_text, local_instant_text, local_range_text, user_class_label,
    wrong_status_message, zone_named,
};
use super::forms::{field_text, read_signed_in_form, see_page, to_sign_in};
use super::manage_usage::{usage_notice, usage_queue, usage_text, UsageQueue, UsageText};
use super::{PageContext, PageError};
use crate::auth::Requester;
use crate::extract::{Path, Query};
use crate::problem::ApiError;
use crate::AppState;

/// How many pending bookings the console lists at once; the count above says how many wait
/// in all, and the next page link shows the rest.
const PENDING_PER_PAGE: u32 = 200;
/// How many instruments of one institution the console lists; the rest are opened by id.
const INSTRUMENTS_LISTED_PER_INSTITUTION: u32 = 200;

/// Whether the user manages the instruments of at least one institution (platform admins
/// manage all of them).
pub fn manages_some_institution(user: &User) -> bool {
    user.managed_institutions()
        .is_none_or(|institutions| !institutions.is_empty())
}

pub struct PendingRow {
    pub id: i64,
    pub instrument_id: i64,
    pub instrument_name: String,
    pub user_name: String,
    pub when: String,
    pub time_zone: String,
    pub duration: String,
    pub price: String,
    pub user_class: &'static str,
    pub purpose: String,
    pub requested_at: String,
}

pub struct ManagedInstrumentRow {
    pub id: i64,
    pub name: String,
    pub needs_approval: bool,
    pub training_required: bool,
}

pub struct ManagedInstitution {
    pub name: String,
    pub total: u64,
    pub instruments: Vec<ManagedInstrumentRow>,
}

#[derive(Template)]
#[template(path = "manage.html")]
struct ConsoleTemplate {
    ctx: PageContext,
    notice: Option<String>,
    error: Option<String>,
    ut: &'static UsageText,
    usage: UsageQueue,
    pending_total: u64,
    pending: Vec<PendingRow>,
    pending_next_link: Option<String>,
    institutions: Vec<ManagedInstitution>,
    manages_everything: bool,
    instrument_query: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ConsoleParams {
    /// `approved` or `rejected`: what the decision before did.
    notice: Option<String>,
    /// The cursor of the approvals queue's next page.
    after: Option<String>,
    /// The booking whose usage was just recorded (with `notice=usage`).
    booking: Option<i64>,
    /// `voucher`: the usage queue shows only bookings a voucher holds money for.
    usage: Option<String>,
    /// The cursor of the usage queue's next page.
    usage_after: Option<String>,
    /// The "open an instrument by id" form.
    instrument: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

/// The signed-in user, if they have a console; the page to show otherwise (the sign-in page
/// for visitors, 403 for users who manage nothing).
pub fn require_console_user<'a>(
    requester: &'a Requester,
    ctx: &PageContext,
) -> Result<&'a User, ApiError> {
    let user = requester.require_user()?;
    if manages_some_institution(user) {
        Ok(user)
    } else {
        Err(ApiError::Forbidden(ctx.t.manage_forbidden.to_owned()))
    }
}

async fn console_content(
    state: &AppState,
    user: &User,
    ctx: &PageContext,
    params: &ConsoleParams,
) -> Result<
    (
        u64,
        Vec<PendingRow>,
        Option<String>,
        Vec<ManagedInstitution>,
    ),
    ApiError,
> {
    let (t, language) = (ctx.t, ctx.language);
    let after = match params
        .after
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
    {
        None => None,
        Some(text) => Some(
            text.parse::<i64>()
                .map_err(|_| ApiError::invalid("after", t.error_cursor))?,
        ),
    };
    let managed = user.managed_institutions();
    let page = state
        .store
        .pending_bookings(
            managed.as_deref(),
            PageRequest {
                limit: PageLimit::new(PENDING_PER_PAGE)?,
                after,
            },
        )
        .await?;
    let pending = page
        .items
        .iter()
        .map(|booking| {
            let zone = zone_named(&booking.time_zone);
            PendingRow {
                id: booking.id.0,
                instrument_id: booking.instrument.0,
                instrument_name: ctx
                    .name(&booking.instrument_name_en, &booking.instrument_name_zh)
                    .to_owned(),
                user_name: booking.user_display_name.clone(),
                when: local_range_text(booking.range, &zone, t, language),
                time_zone: booking.time_zone.clone(),
                duration: duration_text(booking.range.minutes(), language),
                price: booking.price.to_string(),
                user_class: user_class_label(booking.user_class, t),
                purpose: booking.purpose.clone(),
                requested_at: local_instant_text(booking.created_at, &zone, t, language),
            }
        })
        .collect();
    let pending_next_link = page
        .next_cursor
        .map(|cursor| format!("/manage?after={cursor}"));

    let mut institutions = Vec::new();
    for institution in managed.unwrap_or_default() {
        institutions.push(managed_institution(state, ctx, institution).await?);
    }
    Ok((page.total, pending, pending_next_link, institutions))
}

async fn managed_institution(
    state: &AppState,
    ctx: &PageContext,
    institution: InstitutionId,
) -> Result<ManagedInstitution, ApiError> {
    let name = state.store.institution(institution).await?.map_or_else(
        || format!("#{}", institution.0),
        |found| {
            ctx.name(&found.institution.name_en, &found.institution.name_zh)
                .to_owned()
        },
    );
    let page = state
        .store
        .instruments(
            &InstrumentFilter {
                institution: Some(institution),
                ..InstrumentFilter::default()
            },
            PageRequest {
                limit: PageLimit::new(INSTRUMENTS_LISTED_PER_INSTITUTION)?,
                after: None,
            },
        )
        .await?;
    Ok(ManagedInstitution {
        name,
        total: page.total,
        instruments: page
            .items
            .iter()
            .map(|item| ManagedInstrumentRow {
                id: item.instrument.id.0,
                name: ctx
                    .name(&item.instrument.name_en, &item.instrument.name_zh)
                    .to_owned(),
                needs_approval: item.instrument.booking_mode == BookingMode::NeedsApproval,
                training_required: item.instrument.training_required,
            })
            .collect(),
    })
}

pub async fn render_console(
    state: &AppState,
    user: &User,
    ctx: PageContext,
    params: &ConsoleParams,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let (pending_total, pending, pending_next_link, institutions) =
        match console_content(state, user, &ctx, params).await {
            Ok(content) => content,
            Err(error) => {
                return PageError {
                    error,
                    context: ctx,
                }
                .into_response()
            }
        };
    let voucher_only = params.usage.as_deref() == Some("voucher");
    let usage = match usage_queue(
        state,
        user,
        &ctx,
        voucher_only,
        params.usage_after.as_deref(),
    )
    .await
    {
        Ok(usage) => usage,
        Err(error) => {
            return PageError {
                error,
                context: ctx,
            }
            .into_response()
        }
    };
    let notice = match (params.notice.as_deref(), params.booking) {
        (Some("approved"), _) => Some(ctx.t.notice_approved.to_owned()),
        (Some("rejected"), _) => Some(ctx.t.notice_rejected.to_owned()),
        (Some("usage"), Some(booking)) => {
            match usage_notice(state, user, ctx.language, booking).await {
                Ok(notice) => notice,
                Err(error) => {
                    return PageError {
                        error,
                        context: ctx,
                    }
                    .into_response()
                }
            }
        }
        _ => None,
    };
    let page = ConsoleTemplate {
        notice,
        error,
        ut: usage_text(ctx.language),
        usage,
        pending_total,
        pending,
        pending_next_link,
        institutions,
        manages_everything: user.managed_institutions().is_none(),
        instrument_query: params.instrument.clone().unwrap_or_default(),
        ctx,
    };
    super::respond_with_page(status, page, |page| page.ctx)
}

/// `GET /manage`.
pub async fn console_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<ConsoleParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/manage");
    if requester.user.is_none() {
        return to_sign_in();
    }
    let user = match require_console_user(&requester, &ctx) {
        Ok(user) => user,
        Err(error) => {
            return PageError {
                error,
                context: ctx,
            }
            .into_response()
        }
    };
    // The "open an instrument" form sends its id here; a valid one goes to its tools.
    if let Some(text) = params
        .instrument
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
    {
        return match text.trim_start_matches('#').parse::<i64>() {
            Ok(id) if id > 0 => see_page(&format!("/manage/instruments/{id}")),
            _ => {
                let error = Some(ctx.t.error_instrument_id.to_owned());
                render_console(&state, user, ctx, &params, error, StatusCode::BAD_REQUEST).await
            }
        };
    }
    render_console(&state, user, ctx, &params, None, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub struct DecisionFields {
    /// `approve` or `reject`: which of the row's two buttons was pressed.
    decision: Option<String>,
    note: Option<String>,
}

/// The longest note a manager attaches to a decision, as in the API.
const LONGEST_NOTE_CHARS: usize = 1_000;

/// `POST /manage/bookings/{id}/decision`: approves or rejects a pending booking.
pub async fn decision_submit(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    request: Request,
) -> Response {
    let form =
        match read_signed_in_form::<DecisionFields>(&state, requester, request, "/manage").await {
            Ok(form) => form,
            Err(error) => return error.into_response(),
        };
    let (ctx, requester, user, fields) = (form.ctx, form.requester, form.user, form.fields);
    let fail = |ctx: PageContext, error: ApiError| {
        PageError {
            error,
            context: ctx,
        }
        .into_response()
    };
    if !manages_some_institution(&user) {
        let error = ApiError::Forbidden(ctx.t.manage_forbidden.to_owned());
        return fail(ctx, error);
    }
    let approve = match field_text(&fields.decision) {
        "approve" => true,
        "reject" => false,
        _ => {
            let error = Some(ctx.t.error_decision.to_owned());
            return render_console(
                &state,
                &user,
                ctx,
                &ConsoleParams::default(),
                error,
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    let note = match corridor_domain::optional_bounded_text(
        "note",
        fields.note.as_deref(),
        LONGEST_NOTE_CHARS,
    ) {
        Ok(note) => note,
        Err(_) => {
            let error = Some(ctx.t.error_note.to_owned());
            return render_console(
                &state,
                &user,
                ctx,
                &ConsoleParams::default(),
                error,
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    let booking = match managed_booking(&state, &user, id).await {
        Ok(booking) => booking,
        Err(error) => return fail(ctx, error),
    };
    let change = state
        .store
        .decide_booking(
            booking.id,
            approve,
            note.as_deref(),
            corridor_store::now(),
            &requester.audit_context(),
        )
        .await;
    let change = match change {
        Ok(change) => change,
        Err(error) => return fail(ctx, error.into()),
    };
    if let Some(message) = refused_change_message(&change, &booking, &ctx) {
        let error = format!("{} {message}", ctx.t.decision_failed);
        return render_console_refusal(&state, &user, ctx, error).await;
    }
    // A rejection frees the time, which waitlisted requests may have taken.
    refresh_availability(&state, booking.instrument).await;
    let notice = if approve { "approved" } else { "rejected" };
    see_page(&format!("/manage?notice={notice}"))
}

/// The booking `id` when the user manages its instrument's institution; any other booking is
/// answered as not found, as in the API, so ids reveal nothing.
pub(super) async fn managed_booking(
    state: &AppState,
    user: &User,
    id: i64,
) -> Result<corridor_store::BookingRecord, ApiError> {
    match state.store.booking(BookingId(id)).await? {
        Some(booking) if user.may_manage_instruments_of(booking.institution) => Ok(booking),
        _ => Err(ApiError::NotFound(format!("no booking with id {id}"))),
    }
}

/// Why a manager's change to `booking` was refused, in the page's language; `None` when it
/// was done.
pub(super) fn refused_change_message(
    change: &BookingChange,
    booking: &corridor_store::BookingRecord,
    ctx: &PageContext,
) -> Option<String> {
    let zone = zone_named(&booking.time_zone);
    match change {
        BookingChange::Done { .. } => None,
        BookingChange::WrongStatus { status, action } => {
            Some(wrong_status_message(*status, action, ctx.t, ctx.language))
        }
        BookingChange::Denied(denial) => Some(denial_message(denial, &zone, ctx.t, ctx.language)),
        BookingChange::SlotTaken => Some(ctx.t.slot_taken_message.to_owned()),
    }
}

/// The console again, with a refusal at the top (409).
pub(super) async fn render_console_refusal(
    state: &AppState,
    user: &User,
    ctx: PageContext,
    error: String,
) -> Response {
    render_console(
        state,
        user,
        ctx,
        &ConsoleParams::default(),
        Some(error),
        StatusCode::CONFLICT,
    )
    .await
}
