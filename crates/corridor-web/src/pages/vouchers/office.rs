//! The voucher office's console (`/vouchers/office`): the programmes of the office's province
//! with their budgets, the applications waiting for a decision with approve (optionally for a
//! smaller amount) and reject buttons, and the settlement between provinces for a period, as a
//! payer × provider province matrix, the detail rows and a CSV download.
//!
//! Who sees and decides what is the application layer's (`corridor_app::vouchers`): a voucher
//! office (the role granted for one province) sees and decides only its own province's
//! programmes and their applications; the settlement it sees is what its province pays or is
//! paid. Platform admins see every province. Everyone else gets a 403 page. This module reads
//! the forms, and words and lays out what the service answers.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use corridor_app::vouchers::{ApplicationDecision, OfficeConsole};
use corridor_app::{AppError, Refusal};
use corridor_domain::voucher::{ApplicationStatus, VoucherApplicationId, VoucherProgrammeId};
use corridor_domain::{Fen, Language, ProvinceCode};
use corridor_store::SettlementRow;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::text::{
    budget_exhausted_message, co_funding_text, mode_label, programme_name, province_name,
    refusal_message, status_label, voucher_text, VoucherText,
};
use super::{parse_yuan, time_text_in};
use crate::auth::Requester;
use crate::extract::{Path, Query};
use crate::pages::forms::{field_text, see_page, to_sign_in, FormPage, PageForm, SignedInForm};
use crate::pages::page_error;
use crate::pages::{PageContext, PageError};
use crate::problem::ApiError;
use crate::AppState;

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

/// The days the period asks for, as typed; an end left empty is the service's default.
fn read_period(
    params: &OfficeParams,
    vt: &VoucherText,
) -> Result<(Option<Date>, Option<Date>), ApiError> {
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
    Ok((read(&params.from, "from")?, read(&params.to, "to")?))
}

/// What the service refused, as the console says it: in the page's language where the
/// console has its own sentence.
fn console_error(error: AppError, vt: &VoucherText) -> ApiError {
    match error {
        AppError::Forbidden(_) => ApiError::Forbidden(vt.office_forbidden.to_owned()),
        AppError::Invalid { field, .. } if field == "from" || field == "to" => {
            ApiError::invalid(field, vt.error_period)
        }
        other => other.into(),
    }
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

struct OfficeContent {
    programmes: Vec<ProgrammeSummary>,
    pending: Vec<PendingApplication>,
    settlement: SettlementView,
}

/// The console's rows, in the page's language, from what the service read.
fn office_content(console: &OfficeConsole, zone: &TimeZone, language: Language) -> OfficeContent {
    let vt = voucher_text(language);
    let mut names: HashMap<VoucherProgrammeId, String> = console
        .programmes
        .iter()
        .map(|record| {
            (
                record.programme.id,
                programme_name(&record.programme, language).to_owned(),
            )
        })
        .collect();
    let pending = console
        .pending
        .iter()
        .map(|application| PendingApplication {
            id: application.id.0,
            programme: names
                .get(&application.programme)
                .cloned()
                .unwrap_or_else(|| format!("#{}", application.programme.0)),
            enterprise: application.enterprise_name_en.clone(),
            enterprise_id: application.enterprise.0,
            requested: application.requested.to_string(),
            purpose: application.purpose.clone(),
            submitted: time_text_in(application.created_at, zone),
        })
        .collect();
    let programmes = console
        .programmes
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
    // Settlement rows name programmes of other provinces too (what they owe this province's
    // providers).
    for programme in &console.other_programmes {
        names
            .entry(programme.id)
            .or_insert_with(|| programme_name(programme, language).to_owned());
    }
    let settlement = settlement_view(
        &console.settlement.rows,
        &names,
        console.period.from,
        console.period.to,
        language,
    );
    OfficeContent {
        programmes,
        pending,
        settlement,
    }
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

/// The console for the period `from`..`to` (the service's defaults for an end left out), or
/// the error page when the user may not see it.
async fn render_office(
    state: &AppState,
    requester: &Requester,
    ctx: PageContext,
    (from, to): (Option<Date>, Option<Date>),
    notice: Option<&'static str>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let vt = voucher_text(ctx.language);
    let console = match state
        .app
        .vouchers()
        .office_console(requester, from, to)
        .await
    {
        Ok(console) => console,
        Err(error) => {
            return PageError {
                error: console_error(error, vt),
                context: ctx,
            }
            .into_response()
        }
    };
    let content = office_content(&console, state.app.region_time_zone(), ctx.language);
    let page = OfficeTemplate {
        vt,
        notice,
        error,
        all_provinces: console.provinces.is_none(),
        provinces: provinces_text(&console.provinces, ctx.language),
        programmes: content.programmes,
        pending_total: console.pending_total,
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
    let period = match read_period(&params, vt) {
        Ok(period) => period,
        Err(error) => return page_error(error, ctx),
    };
    let notice = match params.notice.as_deref() {
        Some("issued") => Some(vt.notice_issued),
        Some("rejected") => Some(vt.notice_rejected),
        _ => None,
    };
    render_office(
        &state,
        &requester,
        ctx,
        period,
        notice,
        None,
        StatusCode::OK,
    )
    .await
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
        let (from, to) = read_period(&params, vt)?;
        state
            .app
            .vouchers()
            .settlement_of_days(&requester, from, to)
            .await
            .map_err(|error| console_error(error, vt))
    }
    .await;
    match result {
        Ok((period, statement)) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"voucher-settlement-{}-{}.csv\"",
                        period.from, period.to
                    ),
                ),
            ],
            corridor_store::settlement_csv(&statement.rows),
        )
            .into_response(),
        Err(error) => page_error(error, ctx),
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

impl PageForm for DecisionFields {
    const PAGE: FormPage = FormPage::Fixed("/vouchers/office");
}

/// `POST /vouchers/office/applications/{id}/decision`: approves (issuing a voucher) or
/// rejects an application of one of the office's programmes.
pub async fn decision_submit(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
    form: SignedInForm<DecisionFields>,
) -> Response {
    let (ctx, requester, fields) = (form.ctx, form.requester, form.fields);
    let vt = voucher_text(ctx.language);
    let decision_failed = |message: &str| Some(format!("{} {message}", vt.decision_failed));
    // The form's own mistakes are shown on the console (the current month's) for the user to
    // correct; the service decides who may decide and what may be issued.
    let approve = match field_text(&fields.decision) {
        "approve" => true,
        "reject" => false,
        _ => {
            let error = decision_failed(vt.error_decision);
            let period = (None, None);
            return render_office(
                &state,
                &requester,
                ctx,
                period,
                None,
                error,
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    let amount_text = field_text(&fields.amount);
    let amount = if !approve || amount_text.is_empty() {
        None
    } else {
        match parse_yuan(amount_text) {
            Some(amount) => Some(amount),
            None => {
                let error = decision_failed(vt.error_approve_amount);
                let period = (None, None);
                return render_office(
                    &state,
                    &requester,
                    ctx,
                    period,
                    None,
                    error,
                    StatusCode::BAD_REQUEST,
                )
                .await;
            }
        }
    };
    let decision = ApplicationDecision {
        approve,
        amount,
        note: fields.note,
    };
    let decided = state
        .app
        .vouchers()
        .decide(&requester, VoucherApplicationId(id), decision)
        .await;
    let (message, status) = match decided {
        Ok(application) if application.status == ApplicationStatus::Approved => {
            return see_page(&format!("/vouchers/office?notice=issued&application={id}"))
        }
        Ok(_) => {
            return see_page(&format!(
                "/vouchers/office?notice=rejected&application={id}"
            ))
        }
        Err(AppError::Invalid { field, .. }) if field == "note" => {
            (vt.error_note.to_owned(), StatusCode::BAD_REQUEST)
        }
        Err(AppError::Invalid { field, .. }) if field == "amount_fen" => {
            (vt.error_approve_amount.to_owned(), StatusCode::BAD_REQUEST)
        }
        Err(AppError::Refused(Refusal::Voucher(refusal))) => (
            refusal_message(&refusal, ctx.language),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(AppError::Refused(Refusal::BudgetExhausted { available })) => (
            budget_exhausted_message(available, ctx.language),
            StatusCode::CONFLICT,
        ),
        Err(AppError::Refused(Refusal::ApplicationAlreadyDecided(status))) => (
            format!("{} {}.", vt.already_decided, status_label(status, vt)),
            StatusCode::CONFLICT,
        ),
        Err(error) => {
            return PageError {
                error: console_error(error, vt),
                context: ctx,
            }
            .into_response()
        }
    };
    let error = decision_failed(&message);
    render_office(&state, &requester, ctx, (None, None), None, error, status).await
}
