//! One instrument's calendar tools for its managers (`/manage/instruments/{id}`): the
//! booking rules, closures for maintenance and holidays, and the qualifications that admit
//! users to an instrument that requires training.
//!
//! Every form here is posted to its own route and, when it worked, redirects back to the
//! page with a notice; when it did not, the page is shown again with the values as they were
//! entered and a message that says what to fix. Only the managers of the instrument's
//! institution (and platform admins) reach the page, as in the API.

use std::sync::Arc;

use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use corridor_app::AppError;
use corridor_domain::instant::RepeatedHour;
use corridor_domain::{
    CalendarRules, ClosureId, ClosureKind, DomainError, InstrumentId, TimeRange, UserId,
};
use corridor_store::InstrumentWithPlace;
use jiff::civil::Time;
use jiff::ToSpan;
use serde::Deserialize;

use super::booking_text::{
    closure_kind_label, invalid_date_message, local_instant_text, local_range_text,
    local_to_instant, not_whole_minutes_message, parse_form_date, parse_form_time, zone_named,
};
use super::forms::{field_text, see_page, to_sign_in, FormPage, PageForm, SignedInForm};
use super::PageContext;
use crate::auth::Requester;
use crate::extract::{Path, Query};
use crate::i18n::Text;
use crate::pages::page_error;
use crate::problem::ApiError;
use crate::AppState;

/// The rules form as shown: the stored rules, or what was just entered.
pub struct RulesFormView {
    pub slot_minutes: String,
    pub min_booking_minutes: String,
    pub max_booking_minutes: String,
    pub lead_time_minutes: String,
    pub cancellation_deadline_minutes: String,
    pub weekly_quota_minutes: String,
    pub booking_horizon_days: String,
}

impl RulesFormView {
    fn of(rules: &CalendarRules) -> RulesFormView {
        RulesFormView {
            slot_minutes: rules.slot_minutes.to_string(),
            min_booking_minutes: rules.min_booking_minutes.to_string(),
            max_booking_minutes: rules.max_booking_minutes.to_string(),
            lead_time_minutes: rules.lead_time_minutes.to_string(),
            cancellation_deadline_minutes: rules.cancellation_deadline_minutes.to_string(),
            weekly_quota_minutes: rules
                .weekly_quota_minutes
                .map_or_else(String::new, |quota| quota.to_string()),
            booking_horizon_days: rules.booking_horizon_days.to_string(),
        }
    }
}

/// The closure form as shown: empty, or what was just entered.
#[derive(Default)]
pub struct ClosureFormView {
    pub kind: String,
    pub start_date: String,
    pub start_time: String,
    pub end_date: String,
    pub end_time: String,
    pub reason: String,
}

pub struct ClosureRow {
    pub id: i64,
    pub kind: &'static str,
    pub when: String,
    pub reason: String,
    /// Holding bookings inside the closure, which the manager settles with their users.
    pub bookings_inside: usize,
}

pub struct QualificationRow {
    pub user_id: i64,
    pub user_name: String,
    pub granted_at: String,
}

#[derive(Template)]
#[template(path = "manage_instrument.html")]
struct InstrumentToolsTemplate {
    ctx: PageContext,
    instrument_id: i64,
    instrument_name: String,
    institution_name: String,
    time_zone: String,
    training_required: bool,
    notice: Option<&'static str>,
    error: Option<String>,
    rules: RulesFormView,
    closures: Vec<ClosureRow>,
    closure_form: ClosureFormView,
    qualifications: Vec<QualificationRow>,
    qualification_input: String,
}

/// What a failed form sends back to the page: the message and the values entered.
#[derive(Default)]
struct FailedForm {
    error: Option<String>,
    rules: Option<RulesFormView>,
    closure: Option<ClosureFormView>,
    qualification_input: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ToolsParams {
    notice: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

fn notice_text(code: Option<&str>, t: &'static Text) -> Option<&'static str> {
    match code? {
        "rules_saved" => Some(t.notice_rules_saved),
        "closure_added" => Some(t.notice_closure_added),
        "closure_removed" => Some(t.notice_closure_removed),
        "granted" => Some(t.notice_granted),
        "revoked" => Some(t.notice_revoked),
        _ => None,
    }
}

/// The instrument, if the user may manage it: 404 for an unknown id, 403 (in the page's
/// language) for an instrument of an institution the user does not manage.
async fn managed_instrument(
    state: &AppState,
    requester: &Requester,
    ctx: &PageContext,
    id: i64,
) -> Result<InstrumentWithPlace, ApiError> {
    match state
        .app
        .bookings()
        .instrument_to_manage(requester, InstrumentId(id))
        .await
    {
        Ok(item) => Ok(item),
        Err(AppError::Forbidden(_)) => Err(ApiError::Forbidden(
            ctx.t.manage_instrument_forbidden.to_owned(),
        )),
        Err(error) => Err(error.into()),
    }
}

async fn tools_template(
    state: &AppState,
    requester: &Requester,
    ctx: PageContext,
    item: InstrumentWithPlace,
    notice: Option<&'static str>,
    failed: FailedForm,
) -> Result<InstrumentToolsTemplate, (ApiError, PageContext)> {
    let id = item.instrument.id;
    let zone = zone_named(item.instrument.time_zone.as_str());
    let tools = match state.app.bookings().instrument_tools(requester, id).await {
        Ok(tools) => tools,
        Err(error) => return Err((error.into(), ctx)),
    };
    let (view, qualifications) = (tools.calendar, tools.qualifications);
    let (t, language) = (ctx.t, ctx.language);
    let closures = view
        .calendar
        .closures
        .iter()
        .map(|closure| ClosureRow {
            id: closure.id.0,
            kind: closure_kind_label(closure.kind, t),
            when: local_range_text(closure.range, &zone, t, language),
            reason: closure.reason.clone(),
            bookings_inside: view
                .bookings
                .iter()
                .filter(|booking| booking.range.overlaps(&closure.range))
                .count(),
        })
        .collect();
    Ok(InstrumentToolsTemplate {
        instrument_id: id.0,
        instrument_name: ctx
            .name(&item.instrument.name_en, &item.instrument.name_zh)
            .to_owned(),
        institution_name: ctx
            .name(&item.institution_name_en, &item.institution_name_zh)
            .to_owned(),
        time_zone: item.instrument.time_zone.as_str().to_owned(),
        training_required: item.instrument.training_required,
        notice,
        error: failed.error,
        rules: failed
            .rules
            .unwrap_or_else(|| RulesFormView::of(&view.calendar.rules)),
        closures,
        closure_form: failed.closure.unwrap_or_default(),
        qualifications: qualifications
            .into_iter()
            .map(|qualification| QualificationRow {
                user_id: qualification.user.0,
                user_name: qualification.user_display_name,
                granted_at: local_instant_text(qualification.granted_at, &zone, t, language),
            })
            .collect(),
        qualification_input: failed.qualification_input.unwrap_or_default(),
        ctx,
    })
}

async fn render_tools(
    state: &AppState,
    requester: &Requester,
    ctx: PageContext,
    item: InstrumentWithPlace,
    notice: Option<&'static str>,
    failed: FailedForm,
    status: StatusCode,
) -> Response {
    let page = match tools_template(state, requester, ctx, item, notice, failed).await {
        Ok(page) => page,
        Err((error, context)) => return page_error(error, context),
    };
    super::respond_with_page(status, page, |page| page.ctx)
}

/// `GET /manage/instruments/{id}`.
pub async fn instrument_tools_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Query(params): Query<ToolsParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(
        &requester,
        request.extensions(),
        &format!("/manage/instruments/{id}"),
    );
    if requester.user.is_none() {
        return to_sign_in();
    }
    let item = match managed_instrument(&state, &requester, &ctx, id).await {
        Ok(item) => item,
        Err(error) => return page_error(error, ctx),
    };
    let notice = notice_text(params.notice.as_deref(), ctx.t);
    render_tools(
        &state,
        &requester,
        ctx,
        item,
        notice,
        FailedForm::default(),
        StatusCode::OK,
    )
    .await
}

/// A form posted from this page, read as the handler's last argument: signed in, CSRF
/// checked, and for an instrument the user manages; otherwise the error page.
pub struct ToolsForm<T> {
    form: SignedInForm<T>,
    item: InstrumentWithPlace,
}

/// The instrument's id in the tools' routes (`/manage/instruments/{id}/…`).
#[derive(Deserialize)]
struct InstrumentInPath {
    id: i64,
}

impl<T: PageForm> FromRequest<Arc<AppState>> for ToolsForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &Arc<AppState>) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let Path(InstrumentInPath { id }) = Path::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let form = SignedInForm::<T>::from_request(Request::from_parts(parts, body), state).await?;
        match managed_instrument(state, &form.requester, &form.ctx, id).await {
            Ok(item) => Ok(ToolsForm { form, item }),
            Err(error) => Err(page_error(error, form.ctx)),
        }
    }
}

/// The buttons of this page that post nothing but their CSRF token.
#[derive(Debug, Deserialize)]
pub struct ToolsButton {}

#[derive(Debug, Deserialize)]
pub struct RulesFields {
    slot_minutes: Option<String>,
    min_booking_minutes: Option<String>,
    max_booking_minutes: Option<String>,
    lead_time_minutes: Option<String>,
    cancellation_deadline_minutes: Option<String>,
    weekly_quota_minutes: Option<String>,
    booking_horizon_days: Option<String>,
}

impl PageForm for ToolsButton {
    const PAGE: FormPage = FormPage::FirstSegments(3);
}

impl PageForm for RulesFields {
    const PAGE: FormPage = FormPage::FirstSegments(3);
}

/// What a rule the domain refused must satisfy, by the field it names.
fn rules_error_text(error: &DomainError, t: &Text) -> String {
    let (label, requirement) = match error.field {
        "slot_minutes" => (t.rules_slot, t.rules_error_slot),
        "min_booking_minutes" => (t.rules_min, t.rules_error_min),
        "max_booking_minutes" => (t.rules_max, t.rules_error_max),
        "lead_time_minutes" => (t.rules_lead, t.rules_error_notice),
        "cancellation_deadline_minutes" => (t.rules_cancel, t.rules_error_notice),
        "booking_horizon_days" => (t.rules_horizon, t.rules_error_horizon),
        _ => (t.rules_quota, t.rules_error_quota),
    };
    format!("{label}: {requirement}")
}

/// `POST /manage/instruments/{id}/rules`.
pub async fn rules_submit(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
    ToolsForm { form, item }: ToolsForm<RulesFields>,
) -> Response {
    let (ctx, fields) = (form.ctx, form.fields);
    let entered = RulesFormView {
        slot_minutes: field_text(&fields.slot_minutes).to_owned(),
        min_booking_minutes: field_text(&fields.min_booking_minutes).to_owned(),
        max_booking_minutes: field_text(&fields.max_booking_minutes).to_owned(),
        lead_time_minutes: field_text(&fields.lead_time_minutes).to_owned(),
        cancellation_deadline_minutes: field_text(&fields.cancellation_deadline_minutes).to_owned(),
        weekly_quota_minutes: field_text(&fields.weekly_quota_minutes).to_owned(),
        booking_horizon_days: field_text(&fields.booking_horizon_days).to_owned(),
    };
    let t = ctx.t;
    let mut problems = Vec::new();
    let mut minutes = |label: &str, text: &str| -> u32 {
        text.parse::<u32>().unwrap_or_else(|_| {
            problems.push(not_whole_minutes_message(label, text, ctx.language));
            0
        })
    };
    let slot = minutes(t.rules_slot, &entered.slot_minutes);
    let min = minutes(t.rules_min, &entered.min_booking_minutes);
    let max = minutes(t.rules_max, &entered.max_booking_minutes);
    let lead = minutes(t.rules_lead, &entered.lead_time_minutes);
    let cancel = minutes(t.rules_cancel, &entered.cancellation_deadline_minutes);
    let quota = match entered.weekly_quota_minutes.as_str() {
        "" => None,
        text => Some(minutes(t.rules_quota, text)),
    };
    let horizon = match entered.booking_horizon_days.as_str() {
        "" => corridor_domain::DEFAULT_BOOKING_HORIZON_DAYS,
        text => minutes(t.rules_horizon, text),
    };
    let rules = if problems.is_empty() {
        CalendarRules::new(slot, min, max, lead, cancel, quota)
            .and_then(|rules| rules.with_booking_horizon_days(horizon))
            .map_err(|error| problems.push(rules_error_text(&error, t)))
            .ok()
    } else {
        None
    };
    let Some(rules) = rules else {
        let failed = FailedForm {
            error: Some(problems.join(" ")),
            rules: Some(entered),
            ..FailedForm::default()
        };
        return render_tools(
            &state,
            &form.requester,
            ctx,
            item,
            None,
            failed,
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    match state
        .app
        .bookings()
        .update_rules(&form.requester, item.instrument.id, rules)
        .await
    {
        Ok(_) => see_page(&format!(
            "/manage/instruments/{id}?notice=rules_saved#rules"
        )),
        Err(error) => page_error(error, ctx),
    }
}

#[derive(Debug, Deserialize)]
pub struct ClosureFields {
    kind: Option<String>,
    start_date: Option<String>,
    start_time: Option<String>,
    end_date: Option<String>,
    end_time: Option<String>,
    reason: Option<String>,
}

impl PageForm for ClosureFields {
    const PAGE: FormPage = FormPage::FirstSegments(3);
}

/// Reads the closure form. Empty times stand for whole days: from the start date's midnight
/// to the midnight after the end date, which is how holidays are announced.
fn parse_closure(
    fields: &ClosureFields,
    entered: &ClosureFormView,
    zone: &jiff::tz::TimeZone,
    ctx: &PageContext,
) -> Result<(ClosureKind, TimeRange, String), Vec<String>> {
    let (t, language) = (ctx.t, ctx.language);
    let mut problems = Vec::new();
    let kind = ClosureKind::parse(&entered.kind)
        .map_err(|_| problems.push(t.error_closure_kind.to_owned()))
        .ok();
    let start_date = parse_form_date(&entered.start_date, t, language)
        .map_err(|error| problems.push(error))
        .ok();
    let end_date = match entered.end_date.as_str() {
        "" => start_date,
        text => parse_form_date(text, t, language)
            .map_err(|error| problems.push(error))
            .ok(),
    };
    let start_time = match entered.start_time.as_str() {
        "" => Some(Time::midnight()),
        text => parse_form_time(text, t, language)
            .map_err(|error| problems.push(error))
            .ok(),
    };
    let end = match (end_date, entered.end_time.as_str()) {
        // A whole last day ends at the next midnight, which the last representable date
        // does not have.
        (Some(date), "") => date
            .checked_add(1.day())
            .map_err(|_| problems.push(invalid_date_message(&date.to_string(), language)))
            .ok()
            .map(|next| (next, Time::midnight())),
        (Some(date), text) => parse_form_time(text, t, language)
            .map_err(|error| problems.push(error))
            .ok()
            .map(|time| (date, time)),
        (None, _) => None,
    };
    let reason = fields.reason.clone().unwrap_or_default();
    let (Some(kind), Some(start_date), Some(start_time), Some((end_date, end_time))) =
        (kind, start_date, start_time, end)
    else {
        return Err(problems);
    };
    // A closure covers the whole of an hour the clocks show twice: from its first showing to
    // its second.
    let range = match (
        local_to_instant(
            start_date,
            start_time,
            zone,
            Some(RepeatedHour::Earlier),
            language,
        ),
        local_to_instant(
            end_date,
            end_time,
            zone,
            Some(RepeatedHour::Later),
            language,
        ),
    ) {
        (Ok(start), Ok(end)) => {
            TimeRange::new(start, end).map_err(|_| vec![t.error_end_before_start.to_owned()])?
        }
        (Err(error), _) | (_, Err(error)) => return Err(vec![error.message().to_owned()]),
    };
    Ok((kind, range, reason))
}

/// `POST /manage/instruments/{id}/closures`.
pub async fn closure_add_submit(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
    ToolsForm { form, item }: ToolsForm<ClosureFields>,
) -> Response {
    let (ctx, fields) = (form.ctx, form.fields);
    let entered = ClosureFormView {
        kind: field_text(&fields.kind).to_owned(),
        start_date: field_text(&fields.start_date).to_owned(),
        start_time: field_text(&fields.start_time).to_owned(),
        end_date: field_text(&fields.end_date).to_owned(),
        end_time: field_text(&fields.end_time).to_owned(),
        reason: fields.reason.clone().unwrap_or_default(),
    };
    let zone = zone_named(item.instrument.time_zone.as_str());
    let parsed = parse_closure(&fields, &entered, &zone, &ctx);
    let added = match parsed {
        Ok((kind, range, reason)) => state
            .app
            .bookings()
            .add_closure(&form.requester, item.instrument.id, kind, range, &reason)
            .await
            .map_err(|error| match error {
                AppError::Invalid { field, .. } if field == "reason" => {
                    Ok(vec![ctx.t.error_closure_reason.to_owned()])
                }
                AppError::Invalid { field, .. } if field == "ends_at" => {
                    Ok(vec![ctx.t.error_closure_too_long.to_owned()])
                }
                other => Err(other),
            }),
        Err(problems) => Err(Ok(problems)),
    };
    match added {
        Ok(_) => see_page(&format!(
            "/manage/instruments/{id}?notice=closure_added#closures"
        )),
        Err(Ok(problems)) => {
            let failed = FailedForm {
                error: Some(problems.join(" ")),
                closure: Some(entered),
                ..FailedForm::default()
            };
            render_tools(
                &state,
                &form.requester,
                ctx,
                item,
                None,
                failed,
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(Err(error)) => page_error(error, ctx),
    }
}

/// `POST /manage/instruments/{id}/closures/{closure_id}/remove`.
pub async fn closure_remove_submit(
    State(state): State<Arc<AppState>>,
    Path((id, closure_id)): Path<(i64, i64)>,
    ToolsForm { form, item }: ToolsForm<ToolsButton>,
) -> Response {
    match state
        .app
        .bookings()
        .remove_closure(&form.requester, item.instrument.id, ClosureId(closure_id))
        .await
    {
        Ok(()) => see_page(&format!(
            "/manage/instruments/{id}?notice=closure_removed#closures"
        )),
        Err(error) => page_error(error, form.ctx),
    }
}

#[derive(Debug, Deserialize)]
pub struct QualificationFields {
    /// A user id or an e-mail address.
    user: Option<String>,
}

impl PageForm for QualificationFields {
    const PAGE: FormPage = FormPage::FirstSegments(3);
}

/// `POST /manage/instruments/{id}/qualifications`.
pub async fn qualification_grant_submit(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
    ToolsForm { form, item }: ToolsForm<QualificationFields>,
) -> Response {
    let (ctx, entered) = (form.ctx, field_text(&form.fields.user).to_owned());
    let t = ctx.t;
    let bookings = state.app.bookings();
    let granted = if entered.contains('@') {
        bookings
            .grant_qualification_by_email(&form.requester, item.instrument.id, &entered)
            .await
            .map(drop)
    } else {
        match entered.trim_start_matches('#').parse::<i64>() {
            Ok(user) => {
                bookings
                    .grant_qualification(&form.requester, item.instrument.id, UserId(user))
                    .await
            }
            Err(_) => Err(AppError::invalid("user", "not a user id or e-mail address")),
        }
    };
    let refused = match granted {
        Ok(()) => {
            return see_page(&format!(
                "/manage/instruments/{id}?notice=granted#qualifications"
            ))
        }
        Err(AppError::Conflict(_)) => (t.error_already_qualified, StatusCode::CONFLICT),
        Err(AppError::Invalid { field, .. }) if field == "user_id" => {
            (t.error_no_such_user_id, StatusCode::BAD_REQUEST)
        }
        Err(AppError::Invalid { field, reason })
            if field == "user" && reason.starts_with("no user") =>
        {
            (t.error_user_not_found, StatusCode::BAD_REQUEST)
        }
        Err(AppError::Invalid { .. }) => (t.error_user_input, StatusCode::BAD_REQUEST),
        Err(error) => return page_error(error, ctx),
    };
    let (message, status) = refused;
    let failed = FailedForm {
        error: Some(message.to_owned()),
        qualification_input: Some(entered),
        ..FailedForm::default()
    };
    render_tools(&state, &form.requester, ctx, item, None, failed, status).await
}

/// `POST /manage/instruments/{id}/qualifications/{user_id}/revoke`.
pub async fn qualification_revoke_submit(
    State(state): State<Arc<AppState>>,
    Path((id, user_id)): Path<(i64, i64)>,
    ToolsForm { form, item }: ToolsForm<ToolsButton>,
) -> Response {
    match state
        .app
        .bookings()
        .revoke_qualification(&form.requester, item.instrument.id, UserId(user_id))
        .await
    {
        Ok(()) => see_page(&format!(
            "/manage/instruments/{id}?notice=revoked#qualifications"
        )),
        Err(error) => page_error(error, form.ctx),
    }
}
