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
use corridor_app::{AppError, Refusal};
use corridor_domain::{BookingId, BookingMode, PageLimit};
use corridor_store::PageRequest;
use serde::Deserialize;

use super::booking_text::{
    local_instant_text, local_range_text, refusal_text, user_class_label, zone_named,
};
use super::forms::{
    field_text, page_cursor, see_page, to_sign_in, FormPage, PageForm, SignedInForm,
};
use super::manage_usage::{usage_notice, usage_queue, usage_text, UsageQueue, UsageText};
use super::{PageContext, PageError};
use crate::auth::Requester;
use crate::extract::{Path, Query};
use crate::pages::page_error;
use crate::problem::ApiError;
use crate::AppState;

/// How many pending bookings the console lists at once; the count above says how many wait
/// in all, and the next page link shows the rest.
const PENDING_PER_PAGE: u32 = 200;
/// How many instruments of one institution the console lists; the rest are opened by id.
const INSTRUMENTS_LISTED_PER_INSTITUTION: u32 = 200;

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

/// The console's 403 in the page's language, for a user who manages nothing; other errors
/// as they are.
pub fn console_error(error: AppError, ctx: &PageContext) -> ApiError {
    match error {
        AppError::Forbidden(_) => ApiError::Forbidden(ctx.t.manage_forbidden.to_owned()),
        other => other.into(),
    }
}

async fn console_content(
    state: &AppState,
    requester: &Requester,
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
    let after = page_cursor(params.after.as_deref(), "after", ctx)?;
    let bookings = state.app.bookings();
    let page = bookings
        .pending_approvals(
            requester,
            PageRequest {
                limit: PageLimit::new(PENDING_PER_PAGE)?,
                after,
            },
        )
        .await
        .map_err(|error| console_error(error, ctx))?;
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
                duration: super::readable::duration(booking.range.minutes(), language),
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

    let institutions = bookings
        .managed_institutions(requester, INSTRUMENTS_LISTED_PER_INSTITUTION)
        .await
        .map_err(|error| console_error(error, ctx))?
        .into_iter()
        .map(|managed| ManagedInstitution {
            name: managed.institution.as_ref().map_or_else(
                || format!("#{}", managed.id.0),
                |found| {
                    ctx.name(&found.institution.name_en, &found.institution.name_zh)
                        .to_owned()
                },
            ),
            total: managed.total_instruments,
            instruments: managed
                .instruments
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
        .collect();
    Ok((page.total, pending, pending_next_link, institutions))
}

pub async fn render_console(
    state: &AppState,
    requester: &Requester,
    ctx: PageContext,
    params: &ConsoleParams,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let (pending_total, pending, pending_next_link, institutions) =
        match console_content(state, requester, &ctx, params).await {
            Ok(content) => content,
            Err(error) => return page_error(error, ctx),
        };
    let voucher_only = params.usage.as_deref() == Some("voucher");
    let usage = match usage_queue(
        state,
        requester,
        &ctx,
        voucher_only,
        params.usage_after.as_deref(),
    )
    .await
    {
        Ok(usage) => usage,
        Err(error) => return page_error(error, ctx),
    };
    let notice = match (params.notice.as_deref(), params.booking) {
        (Some("approved"), _) => Some(ctx.t.notice_approved.to_owned()),
        (Some("rejected"), _) => Some(ctx.t.notice_rejected.to_owned()),
        (Some("usage"), Some(booking)) => {
            match usage_notice(state, requester, ctx.language, booking).await {
                Ok(notice) => notice,
                Err(error) => return page_error(error, ctx),
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
        manages_everything: requester
            .user
            .as_ref()
            .is_some_and(|user| user.managed_institutions().is_none()),
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
    if let Err(error) = state.app.bookings().require_console(&requester) {
        return PageError {
            error: console_error(error, &ctx),
            context: ctx,
        }
        .into_response();
    }
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
                render_console(
                    &state,
                    &requester,
                    ctx,
                    &params,
                    error,
                    StatusCode::BAD_REQUEST,
                )
                .await
            }
        };
    }
    render_console(&state, &requester, ctx, &params, None, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub struct DecisionFields {
    /// `approve` or `reject`: which of the row's two buttons was pressed.
    decision: Option<String>,
    note: Option<String>,
}

impl PageForm for DecisionFields {
    const PAGE: FormPage = FormPage::Fixed("/manage");
}

/// `POST /manage/bookings/{id}/decision`: approves or rejects a pending booking.
pub async fn decision_submit(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
    form: SignedInForm<DecisionFields>,
) -> Response {
    let (ctx, requester, fields) = (form.ctx, form.requester, form.fields);
    let approve = match field_text(&fields.decision) {
        "approve" => true,
        "reject" => false,
        _ => {
            let error = Some(ctx.t.error_decision.to_owned());
            return render_console(
                &state,
                &requester,
                ctx,
                &ConsoleParams::default(),
                error,
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    let decided = state
        .app
        .bookings()
        .decide(&requester, BookingId(id), approve, fields.note.as_deref())
        .await;
    match decided {
        Ok(_) => {
            let notice = if approve { "approved" } else { "rejected" };
            see_page(&format!("/manage?notice={notice}"))
        }
        Err(AppError::Invalid { field, .. }) if field == "note" => {
            let error = Some(ctx.t.error_note.to_owned());
            render_console(
                &state,
                &requester,
                ctx,
                &ConsoleParams::default(),
                error,
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(AppError::Refused(refusal)) => {
            let message = refused_change_message(&state, &requester, id, &refusal, &ctx).await;
            let error = format!("{} {message}", ctx.t.decision_failed);
            render_console_refusal(&state, &requester, ctx, error).await
        }
        Err(error) => PageError {
            error: console_error(error, &ctx),
            context: ctx,
        }
        .into_response(),
    }
}

/// Why a manager's change to booking `id` was refused, in the page's language (times in the
/// booking's own zone).
pub(super) async fn refused_change_message(
    state: &AppState,
    requester: &Requester,
    id: i64,
    refusal: &Refusal,
    ctx: &PageContext,
) -> String {
    let zone = match state.app.bookings().booking(requester, BookingId(id)).await {
        Ok(detail) => zone_named(&detail.booking.time_zone),
        Err(_) => zone_named("UTC"),
    };
    refusal_text(refusal, &zone, ctx).0
}

/// The console again, with a refusal at the top (409).
pub(super) async fn render_console_refusal(
    state: &AppState,
    requester: &Requester,
    ctx: PageContext,
    error: String,
) -> Response {
    render_console(
        state,
        requester,
        ctx,
        &ConsoleParams::default(),
        Some(error),
        StatusCode::CONFLICT,
    )
    .await
}
