//! The voucher office's console (`/vouchers/office`): the programmes of the office's province
//! with their budgets, the applications waiting for a decision with approve (optionally for a
//! smaller amount) and reject buttons, and the settlement between provinces for a period, as a
//! payer × provider province matrix, the detail rows and a CSV download.
//!
//! A voucher office (the role granted for one province) sees and decides only its own
//! province's programmes and their applications; the settlement it sees is what its province
//! pays or is paid. Platform admins see every province. Everyone else gets a 403 page.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use corridor_domain::voucher::{ApplicationStatus, VoucherApplicationId, VoucherProgrammeId};
use corridor_domain::{Fen, Language, PageLimit, ProvinceCode, User};
use corridor_store::{PageRequest, ProgrammeRecord, SettlementRow, VoucherDecision};
use jiff::civil::Date;
use jiff::Timestamp;
use serde::Deserialize;

use super::text::{
    budget_exhausted_message, co_funding_text, mode_label, programme_name, province_name,
    refusal_message, status_label, voucher_text, VoucherText,
};
use super::{parse_yuan, region_time_text, region_zone};
use crate::auth::Requester;
use crate::extract::{Path, Query};
use crate::pages::forms::{field_text, read_signed_in_form, see_page, to_sign_in};
use crate::pages::{PageContext, PageError};
use crate::problem::ApiError;
use crate::AppState;

/// How many waiting applications of one programme (or, for platform admins, of all) the
/// console lists; the count says how many wait in all.
const PENDING_PER_PAGE: u32 = 200;
/// The longest note an office attaches to a decision.
const LONGEST_NOTE_CHARS: usize = 1_000;

pub struct ProgrammeSummary {
    pub id: i64,
    pub name: String,
    pub province: &'static str,
    pub budget: String,
    pub available: String,
    pub issued: String,
    pub valid: String,
    pub co_funding: String,
    pub mode: &'static str,
}

pub struct PendingApplication {
    pub id: i64,
    pub programme: String,
    pub enterprise: String,
    pub enterprise_id: i64,
    pub requested: String,
    pub purpose: String,
    pub submitted: String,
}

pub struct MatrixRow {
    pub code: &'static str,
    pub name: &'static str,
    pub cells: Vec<MatrixCell>,
    pub total: String,
}

pub struct MatrixCell {
    pub provider: &'static str,
    pub amount: String,
}

pub struct SettlementLine {
    pub payer: &'static str,
    pub programme: String,
    pub provider: &'static str,
    pub claimant: String,
    pub claimant_id: i64,
    pub redemptions: u64,
    pub amount: String,
}

/// The settlement part of the console for one period.
pub struct SettlementView {
    pub from: String,
    pub to: String,
    pub csv_link: String,
    pub columns: Vec<(&'static str, &'static str)>,
    pub rows: Vec<MatrixRow>,
    pub column_totals: Vec<String>,
    pub grand_total: String,
    pub lines: Vec<SettlementLine>,
}

#[derive(Template)]
#[template(path = "vouchers_office.html")]
struct OfficeTemplate {
    ctx: PageContext,
    vt: &'static VoucherText,
    notice: Option<&'static str>,
    error: Option<String>,
    all_provinces: bool,
    provinces: String,
    programmes: Vec<ProgrammeSummary>,
    pending_total: u64,
    pending: Vec<PendingApplication>,
    settlement: SettlementView,
}

#[derive(Debug, Default, Deserialize)]
pub struct OfficeParams {
    /// `issued` or `rejected`: what the decision before did.
    notice: Option<String>,
    from: Option<String>,
    to: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

/// The signed-in user if they are a voucher office or a platform admin, with their provinces
/// (`None`: all); a 403 otherwise.
fn require_office_user<'a>(
    requester: &'a Requester,
    vt: &VoucherText,
) -> Result<(&'a User, Option<Vec<ProvinceCode>>), ApiError> {
    let user = requester.require_user()?;
    match user.voucher_office_provinces() {
        Some(provinces) if provinces.is_empty() => {
            Err(ApiError::Forbidden(vt.office_forbidden.to_owned()))
        }
        provinces => Ok((user, provinces)),
    }
}

fn sees(provinces: &Option<Vec<ProvinceCode>>, province: ProvinceCode) -> bool {
    provinces
        .as_ref()
        .is_none_or(|provinces| provinces.contains(&province))
}

/// The period asked for, `[from, to)` as dates in the region's zone; the current month by
/// default, and the month after `from` when only `from` is given.
fn read_period(params: &OfficeParams, vt: &VoucherText) -> Result<(Date, Date), ApiError> {
    let read = |value: &Option<String>, parameter: &'static str| match value
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
    {
        None => Ok(None),
        Some(text) => text
            .parse::<Date>()
            .map(Some)
            .map_err(|_| ApiError::invalid(parameter, vt.error_period)),
    };
    let from = match read(&params.from, "from")? {
        Some(from) => from,
        None => corridor_store::now()
            .to_zoned(region_zone())
            .date()
            .first_of_month(),
    };
    let to = match read(&params.to, "to")? {
        Some(to) => to,
        None => from
            .first_of_month()
            .checked_add(jiff::Span::new().months(1))
            .map_err(|_| ApiError::invalid("from", vt.error_period))?,
    };
    if from >= to {
        return Err(ApiError::invalid("to", vt.error_period));
    }
    Ok((from, to))
}

fn start_of(day: Date) -> Result<Timestamp, ApiError> {
    day.to_zoned(region_zone())
        .map(|zoned| zoned.timestamp())
        .map_err(|error| ApiError::invalid("from", error.to_string()))
}

/// The settlement rows of the period that concern the user's provinces (as payer or as the
/// provider's province).
async fn settlement_rows(
    state: &AppState,
    provinces: &Option<Vec<ProvinceCode>>,
    from: Date,
    to: Date,
) -> Result<Vec<SettlementRow>, ApiError> {
    let rows = state
        .store
        .settlement_statement(start_of(from)?, start_of(to)?)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|row| sees(provinces, row.payer_province) || sees(provinces, row.provider_province))
        .collect())
}

fn settlement_view(
    rows: &[SettlementRow],
    programme_names: &HashMap<VoucherProgrammeId, String>,
    from: Date,
    to: Date,
    language: Language,
) -> SettlementView {
    let mut columns: Vec<ProvinceCode> = ProvinceCode::ALL
        .into_iter()
        .filter(|province| province.is_in_region())
        .collect();
    if rows.iter().any(|row| !row.provider_province.is_in_region()) {
        columns.push(ProvinceCode::Outside);
    }
    let payers: Vec<ProvinceCode> = ProvinceCode::ALL
        .into_iter()
        .filter(|province| {
            province.is_in_region() || rows.iter().any(|row| row.payer_province == *province)
        })
        .collect();
    let sum = |payer: Option<ProvinceCode>, provider: Option<ProvinceCode>| {
        Fen(rows
            .iter()
            .filter(|row| payer.is_none_or(|payer| row.payer_province == payer))
            .filter(|row| provider.is_none_or(|provider| row.provider_province == provider))
            .map(|row| row.amount.0)
            .sum())
    };
    let rows_view = payers
        .iter()
        .map(|payer| MatrixRow {
            code: payer.as_code(),
            name: province_name(*payer, language),
            cells: columns
                .iter()
                .map(|provider| MatrixCell {
                    provider: provider.as_code(),
                    amount: sum(Some(*payer), Some(*provider)).to_string(),
                })
                .collect(),
            total: sum(Some(*payer), None).to_string(),
        })
        .collect();
    let column_totals = columns
        .iter()
        .map(|provider| sum(None, Some(*provider)).to_string())
        .collect();
    SettlementView {
        from: from.to_string(),
        to: to.to_string(),
        csv_link: format!("/vouchers/office/settlement.csv?from={from}&to={to}"),
        columns: columns
            .iter()
            .map(|province| (province.as_code(), province_name(*province, language)))
            .collect(),
        rows: rows_view,
        column_totals,
        grand_total: sum(None, None).to_string(),
        lines: rows
            .iter()
            .map(|row| SettlementLine {
                payer: row.payer_province.as_code(),
                programme: programme_names
                    .get(&row.programme)
                    .cloned()
                    .unwrap_or_else(|| format!("#{}", row.programme.0)),
                provider: row.provider_province.as_code(),
                claimant: row.claimant_name_en.clone(),
                claimant_id: row.claimant.0,
                redemptions: row.redemptions,
                amount: row.amount.to_string(),
            })
            .collect(),
    }
}

/// The programmes the user administers.
async fn programmes_of(
    state: &AppState,
    provinces: &Option<Vec<ProvinceCode>>,
) -> Result<Vec<ProgrammeRecord>, ApiError> {
    match provinces {
        None => Ok(state.store.voucher_programmes(None).await?),
        Some(provinces) => {
            let mut programmes = Vec::new();
            for province in provinces {
                programmes.extend(state.store.voucher_programmes(Some(*province)).await?);
            }
            Ok(programmes)
        }
    }
}

struct OfficeContent {
    programmes: Vec<ProgrammeSummary>,
    pending_total: u64,
    pending: Vec<PendingApplication>,
    settlement: SettlementView,
}

async fn office_content(
    state: &AppState,
    provinces: &Option<Vec<ProvinceCode>>,
    ctx: &PageContext,
    period: (Date, Date),
) -> Result<OfficeContent, ApiError> {
    let (vt, language) = (voucher_text(ctx.language), ctx.language);
    let records = programmes_of(state, provinces).await?;
    let names: HashMap<VoucherProgrammeId, String> = records
        .iter()
        .map(|record| {
            (
                record.programme.id,
                programme_name(&record.programme, language).to_owned(),
            )
        })
        .collect();
    let first_page = PageRequest {
        limit: PageLimit::new(PENDING_PER_PAGE)?,
        after: None,
    };
    let mut pending_total = 0;
    let mut waiting = Vec::new();
    let programme_filters: Vec<Option<VoucherProgrammeId>> = match provinces {
        None => vec![None],
        Some(_) => records
            .iter()
            .map(|record| Some(record.programme.id))
            .collect(),
    };
    for programme in programme_filters {
        let page = state
            .store
            .voucher_applications(programme, Some(ApplicationStatus::Submitted), first_page)
            .await?;
        pending_total += page.total;
        waiting.extend(page.items);
    }
    let pending = waiting
        .into_iter()
        .map(|application| PendingApplication {
            id: application.id.0,
            programme: names
                .get(&application.programme)
                .cloned()
                .unwrap_or_else(|| format!("#{}", application.programme.0)),
            enterprise: application.enterprise_name_en,
            enterprise_id: application.enterprise.0,
            requested: application.requested.to_string(),
            purpose: application.purpose,
            submitted: region_time_text(application.created_at),
        })
        .collect();
    let programmes = records
        .iter()
        .map(|record| {
            let programme = &record.programme;
            ProgrammeSummary {
                id: programme.id.0,
                name: programme_name(programme, language).to_owned(),
                province: province_name(programme.province, language),
                budget: programme.budget.to_string(),
                available: record.budget_available.to_string(),
                issued: record.issued.to_string(),
                valid: format!("{} – {}", programme.valid_from, programme.valid_until),
                co_funding: co_funding_text(programme.co_funding_percent, language),
                mode: mode_label(programme.redemption_mode, vt),
            }
        })
        .collect();
    let (from, to) = period;
    // Settlement rows name programmes of other provinces too (what they owe this province's
    // providers), so every programme's name is looked up.
    let rows = settlement_rows(state, provinces, from, to).await?;
    let mut all_names = names;
    if rows
        .iter()
        .any(|row| !all_names.contains_key(&row.programme))
    {
        for record in state.store.voucher_programmes(None).await? {
            all_names
                .entry(record.programme.id)
                .or_insert_with(|| programme_name(&record.programme, language).to_owned());
        }
    }
    let settlement = settlement_view(&rows, &all_names, from, to, language);
    Ok(OfficeContent {
        programmes,
        pending_total,
        pending,
        settlement,
    })
}

fn provinces_text(provinces: &Option<Vec<ProvinceCode>>, language: Language) -> String {
    provinces
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|province| province_name(*province, language))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn render_office(
    state: &AppState,
    provinces: Option<Vec<ProvinceCode>>,
    ctx: PageContext,
    period: (Date, Date),
    notice: Option<&'static str>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let content = match office_content(state, &provinces, &ctx, period).await {
        Ok(content) => content,
        Err(error) => {
            return PageError {
                error,
                context: ctx,
            }
            .into_response()
        }
    };
    let page = OfficeTemplate {
        vt: voucher_text(ctx.language),
        notice,
        error,
        all_provinces: provinces.is_none(),
        provinces: provinces_text(&provinces, ctx.language),
        programmes: content.programmes,
        pending_total: content.pending_total,
        pending: content.pending,
        settlement: content.settlement,
        ctx,
    };
    crate::pages::respond_with_page(status, page, |page| page.ctx)
}

/// `GET /vouchers/office`.
pub async fn office_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<OfficeParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/vouchers/office");
    if requester.user.is_none() {
        return to_sign_in();
    }
    let vt = voucher_text(ctx.language);
    let checked = require_office_user(&requester, vt)
        .and_then(|(_, provinces)| read_period(&params, vt).map(|period| (provinces, period)));
    let (provinces, period) = match checked {
        Ok(checked) => checked,
        Err(error) => {
            return PageError {
                error,
                context: ctx,
            }
            .into_response()
        }
    };
    let notice = match params.notice.as_deref() {
        Some("issued") => Some(vt.notice_issued),
        Some("rejected") => Some(vt.notice_rejected),
        _ => None,
    };
    render_office(&state, provinces, ctx, period, notice, None, StatusCode::OK).await
}

/// `GET /vouchers/office/settlement.csv?from=&to=`: the detail rows of the console's
/// settlement, as CSV.
pub async fn settlement_csv_download(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<OfficeParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/vouchers/office");
    if requester.user.is_none() {
        return to_sign_in();
    }
    let vt = voucher_text(ctx.language);
    let result = async {
        let (_, provinces) = require_office_user(&requester, vt)?;
        let (from, to) = read_period(&params, vt)?;
        let rows = settlement_rows(&state, &provinces, from, to).await?;
        Ok::<_, ApiError>((from, to, rows))
    }
    .await;
    match result {
        Ok((from, to, rows)) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"voucher-settlement-{from}-{to}.csv\""),
                ),
            ],
            corridor_store::settlement_csv(&rows),
        )
            .into_response(),
        Err(error) => PageError {
            error,
            context: ctx,
        }
        .into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct DecisionFields {
    /// `approve` or `reject`: which of the row's two buttons was pressed.
    decision: Option<String>,
    /// When approving, the amount to issue in yuan; empty: the amount requested.
    amount: Option<String>,
    note: Option<String>,
}

/// `POST /vouchers/office/applications/{id}/decision`: approves (issuing a voucher) or
/// rejects an application of one of the office's programmes.
pub async fn decision_submit(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    request: Request,
) -> Response {
    let form =
        match read_signed_in_form::<DecisionFields>(&state, requester, request, "/vouchers/office")
            .await
        {
            Ok(form) => form,
            Err(error) => return error.into_response(),
        };
    let (ctx, requester, fields) = (form.ctx, form.requester, form.fields);
    let vt = voucher_text(ctx.language);
    let fail = |ctx: PageContext, error: ApiError| {
        PageError {
            error,
            context: ctx,
        }
        .into_response()
    };
    let provinces = match require_office_user(&requester, vt) {
        Ok((_, provinces)) => provinces,
        Err(error) => return fail(ctx, error),
    };
    let application = match state
        .store
        .voucher_application(VoucherApplicationId(id))
        .await
    {
        Ok(Some(application)) => application,
        Ok(None) => {
            return fail(
                ctx,
                ApiError::NotFound(format!("no voucher application with id {id}")),
            )
        }
        Err(error) => return fail(ctx, error.into()),
    };
    let programme = match state.store.voucher_programme(application.programme).await {
        Ok(Some(record)) => record.programme,
        Ok(None) => {
            return fail(
                ctx,
                ApiError::internal(format!("application {id} has no programme")),
            )
        }
        Err(error) => return fail(ctx, error.into()),
    };
    if !sees(&provinces, programme.province) {
        return fail(ctx, ApiError::Forbidden(vt.office_forbidden.to_owned()));
    }
    let period = match read_period(&OfficeParams::default(), vt) {
        Ok(period) => period,
        Err(error) => return fail(ctx, error),
    };
    let refuse = |message: String| Some(format!("{} {message}", vt.decision_failed));
    let approve = match field_text(&fields.decision) {
        "approve" => true,
        "reject" => false,
        _ => {
            let error = refuse(vt.error_decision.to_owned());
            return render_office(
                &state,
                provinces,
                ctx,
                period,
                None,
                error,
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    let note =
        corridor_domain::optional_bounded_text("note", fields.note.as_deref(), LONGEST_NOTE_CHARS);
    let amount_text = field_text(&fields.amount);
    let amount = if !approve || amount_text.is_empty() {
        Ok(None)
    } else {
        parse_yuan(amount_text)
            .filter(|amount| amount.0 <= application.requested.0)
            .map(Some)
            .ok_or(())
    };
    let (note, amount) = match (note, amount) {
        (Ok(note), Ok(amount)) => (note, amount),
        (Err(_), _) => {
            let error = refuse(vt.error_note.to_owned());
            return render_office(
                &state,
                provinces,
                ctx,
                period,
                None,
                error,
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
        (_, Err(())) => {
            let error = refuse(vt.error_approve_amount.to_owned());
            return render_office(
                &state,
                provinces,
                ctx,
                period,
                None,
                error,
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    let decision = state
        .store
        .decide_voucher_application(
            application.id,
            approve,
            amount,
            note.as_deref(),
            corridor_store::now(),
            &requester.audit_context(),
        )
        .await;
    let (message, status) = match decision {
        Ok(VoucherDecision::Issued { .. }) => {
            return see_page(&format!("/vouchers/office?notice=issued&application={id}"))
        }
        Ok(VoucherDecision::Rejected(_)) => {
            return see_page(&format!(
                "/vouchers/office?notice=rejected&application={id}"
            ))
        }
        Ok(VoucherDecision::Refused(refusal)) => (
            refusal_message(&refusal, ctx.language),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Ok(VoucherDecision::BudgetExhausted { available }) => (
            budget_exhausted_message(available, ctx.language),
            StatusCode::CONFLICT,
        ),
        Ok(VoucherDecision::AlreadyDecided(status)) => (
            format!("{} {}.", vt.already_decided, status_label(status, vt)),
            StatusCode::CONFLICT,
        ),
        Err(error) => return fail(ctx, error.into()),
    };
    render_office(
        &state,
        provinces,
        ctx,
        period,
        None,
        refuse(message),
        status,
    )
    .await
}
