//! Innovation vouchers on the web: the enterprise's wallet (`/vouchers`) with its vouchers,
//! its applications and the programmes of its province it may apply to; the voucher office's
//! console (`/vouchers/office`, in [`office`]); and the voucher choice of the booking form
//! (in [`payment`]).
//!
//! An enterprise is a user's home institution: a user applies for, and pays with the vouchers
//! of, the institution they belong to. Who may do what, the input limits and the programme
//! rules (who may be issued how much, how a price splits) are the application layer's
//! (`corridor_app::vouchers`); the pages read the forms and word its answers. A refusal is
//! shown as a notice on the page, in the page's language, never as an error page.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use corridor_app::vouchers::Wallet;
use corridor_app::{AppError, Refusal};
use corridor_domain::voucher::{VoucherProgrammeId, VoucherRefusal};
use corridor_domain::Fen;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Deserialize;

use super::forms::{field_text, see_page, to_sign_in, FormPage, PageForm, SignedInForm};
use super::PageContext;
use crate::auth::Requester;
use crate::extract::Query;
use crate::AppState;

pub mod office;
pub mod payment;
mod text;

use crate::pages::page_error;
use text::{
    co_funding_text, mode_label, programme_name, province_name, refusal_message, scope_label,
    status_label, voucher_text, VoucherText,
};

/// A date and time in `zone`, e.g. "2026-11-28 14:05".
pub(crate) fn time_text_in(instant: Timestamp, zone: &TimeZone) -> String {
    instant
        .to_zoned(zone.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// Reads an amount of yuan as people type it: `5000`, `1,250.50`, `¥300`. At most two
/// decimals; the amount must be positive.
pub(crate) fn parse_yuan(text: &str) -> Option<Fen> {
    let cleaned: String = text
        .trim()
        .trim_start_matches('¥')
        .chars()
        .filter(|character| *character != ',' && !character.is_whitespace())
        .collect();
    let (whole, fraction) = match cleaned.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (cleaned.as_str(), ""),
    };
    let digits = |part: &str| part.chars().all(|character| character.is_ascii_digit());
    if whole.is_empty() || whole.len() > 12 || !digits(whole) {
        return None;
    }
    if fraction.len() > 2 || !digits(fraction) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<2}").parse().ok()?
    };
    let fen = whole.checked_mul(100)?.checked_add(fraction)?;
    (fen > 0).then_some(Fen(fen))
}

pub struct VoucherRow {
    pub id: i64,
    pub programme: String,
    pub province: &'static str,
    pub amount: String,
    pub available: String,
    pub held: String,
    pub spent: String,
    pub valid: String,
    pub co_funding: String,
    pub mode: &'static str,
    pub issued_at: String,
}

pub struct ApplicationRow {
    pub id: i64,
    pub programme: String,
    pub requested: String,
    pub purpose: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub submitted: String,
    pub decision_note: Option<String>,
    pub voucher: Option<i64>,
    pub highlighted: bool,
}

pub struct ProgrammeRow {
    pub id: i64,
    pub name: String,
    pub province: &'static str,
    pub co_funding: String,
    pub cap: String,
    pub valid: String,
    pub scope: &'static str,
    pub mode: &'static str,
    pub budget_left: String,
    /// What the apply form shows again after a refusal.
    pub amount: String,
    pub purpose: String,
}

#[derive(Template)]
#[template(path = "vouchers_wallet.html")]
struct WalletTemplate {
    ctx: PageContext,
    vt: &'static VoucherText,
    notice: Option<&'static str>,
    error: Option<String>,
    enterprise_name: String,
    is_enterprise: bool,
    vouchers: Vec<VoucherRow>,
    applications: Vec<ApplicationRow>,
    programmes: Vec<ProgrammeRow>,
    office_link: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct WalletParams {
    /// `applied`: what the form before did.
    notice: Option<String>,
    /// The application the notice is about.
    application: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

/// What the apply form of one programme sent, shown again when it is refused.
struct ApplyEcho {
    programme: i64,
    amount: String,
    purpose: String,
}

struct WalletContent {
    enterprise_name: String,
    is_enterprise: bool,
    vouchers: Vec<VoucherRow>,
    applications: Vec<ApplicationRow>,
    programmes: Vec<ProgrammeRow>,
    office_link: bool,
}

/// The wallet's rows, in the page's language, from what the service read.
fn wallet_content(
    wallet: Wallet,
    zone: &TimeZone,
    ctx: &PageContext,
    highlighted: Option<i64>,
    echo: Option<&ApplyEcho>,
) -> WalletContent {
    let (vt, language) = (voucher_text(ctx.language), ctx.language);
    let enterprise_name = match &wallet.enterprise {
        Some(found) => ctx
            .name(&found.institution.name_en, &found.institution.name_zh)
            .to_owned(),
        None => format!("#{}", wallet.home_institution.0),
    };
    let is_enterprise = wallet.is_enterprise();
    let vouchers = wallet
        .vouchers
        .iter()
        .rev()
        .map(|voucher| VoucherRow {
            id: voucher.id.0,
            programme: programme_name(&voucher.programme, language).to_owned(),
            province: province_name(voucher.programme.province, language),
            amount: voucher.amount.to_string(),
            available: voucher.available().to_string(),
            held: Fen(voucher.balances.debits_pending).to_string(),
            spent: Fen(voucher.balances.debits_posted).to_string(),
            valid: format!(
                "{} – {}",
                voucher.programme.valid_from, voucher.programme.valid_until
            ),
            co_funding: co_funding_text(voucher.programme.co_funding_percent, language),
            mode: mode_label(voucher.programme.redemption_mode, vt),
            issued_at: time_text_in(voucher.issued_at, zone),
        })
        .collect();
    let names: std::collections::HashMap<VoucherProgrammeId, String> = wallet
        .province_programmes
        .iter()
        .map(|record| {
            (
                record.programme.id,
                programme_name(&record.programme, language).to_owned(),
            )
        })
        .collect();
    let programmes = wallet
        .open_programmes()
        .map(|record| {
            let programme = &record.programme;
            let echoed = echo.filter(|echo| echo.programme == programme.id.0);
            ProgrammeRow {
                id: programme.id.0,
                name: programme_name(programme, language).to_owned(),
                province: province_name(programme.province, language),
                co_funding: co_funding_text(programme.co_funding_percent, language),
                cap: programme.annual_cap_per_enterprise.to_string(),
                valid: format!("{} – {}", programme.valid_from, programme.valid_until),
                scope: scope_label(programme.provider_scope, vt),
                mode: mode_label(programme.redemption_mode, vt),
                budget_left: record.budget_available.to_string(),
                amount: echoed.map(|echo| echo.amount.clone()).unwrap_or_default(),
                purpose: echoed.map(|echo| echo.purpose.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let applications = wallet
        .applications
        .into_iter()
        .map(|application| ApplicationRow {
            id: application.id.0,
            programme: names
                .get(&application.programme)
                .cloned()
                .unwrap_or_else(|| format!("#{}", application.programme.0)),
            requested: application.requested.to_string(),
            purpose: application.purpose,
            status: application.status.as_code(),
            status_label: status_label(application.status, vt),
            submitted: time_text_in(application.created_at, zone),
            decision_note: application.decision_note,
            voucher: application.voucher.map(|voucher| voucher.0),
            highlighted: highlighted == Some(application.id.0),
        })
        .collect();
    WalletContent {
        enterprise_name,
        is_enterprise,
        vouchers,
        applications,
        programmes,
        office_link: wallet.runs_a_voucher_office,
    }
}

/// What the wallet says beside its content: the notice or error of the form before.
#[derive(Default)]
struct WalletMessages<'a> {
    notice: Option<&'static str>,
    highlighted: Option<i64>,
    error: Option<String>,
    echo: Option<&'a ApplyEcho>,
}

async fn render_wallet(
    state: &AppState,
    requester: &Requester,
    ctx: PageContext,
    messages: WalletMessages<'_>,
    status: StatusCode,
) -> Response {
    let wallet = match state.app.vouchers().wallet(requester).await {
        Ok(wallet) => wallet,
        Err(error) => return page_error(error, ctx),
    };
    let zone = state.app.region_time_zone();
    let content = wallet_content(wallet, zone, &ctx, messages.highlighted, messages.echo);
    let page = WalletTemplate {
        vt: voucher_text(ctx.language),
        notice: messages.notice,
        error: messages.error,
        enterprise_name: content.enterprise_name,
        is_enterprise: content.is_enterprise,
        vouchers: content.vouchers,
        applications: content.applications,
        programmes: content.programmes,
        office_link: content.office_link,
        ctx,
    };
    super::respond_with_page(status, page, |page| page.ctx)
}

/// `GET /vouchers`: the wallet of the signed-in user's enterprise.
pub async fn wallet_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<WalletParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/vouchers");
    if requester.user.is_none() {
        return to_sign_in();
    }
    let vt = voucher_text(ctx.language);
    let notice = match params.notice.as_deref() {
        Some("applied") => Some(vt.notice_applied),
        _ => None,
    };
    let highlighted = params
        .application
        .as_deref()
        .and_then(|text| text.trim().parse().ok());
    let messages = WalletMessages {
        notice,
        highlighted,
        ..WalletMessages::default()
    };
    render_wallet(&state, &requester, ctx, messages, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub struct ApplyFields {
    programme: Option<String>,
    /// In yuan, as typed.
    amount: Option<String>,
    purpose: Option<String>,
}

impl PageForm for ApplyFields {
    const PAGE: FormPage = FormPage::Fixed("/vouchers");
}

/// `POST /vouchers/apply`: files an application of the user's enterprise.
pub async fn apply_submit(
    State(state): State<Arc<AppState>>,
    form: SignedInForm<ApplyFields>,
) -> Response {
    let (ctx, requester, fields) = (form.ctx, form.requester, form.fields);
    let vt = voucher_text(ctx.language);
    let echo = ApplyEcho {
        programme: field_text(&fields.programme).parse().unwrap_or(0),
        amount: field_text(&fields.amount).to_owned(),
        purpose: fields.purpose.clone().unwrap_or_default(),
    };
    let purpose = field_text(&fields.purpose);
    let Some(amount) = parse_yuan(field_text(&fields.amount)) else {
        // Both of the form's mistakes are named at once; the purpose's rule is the service's.
        let mut problems = vec![vt.error_amount];
        if corridor_app::vouchers::application_purpose(purpose).is_err() {
            problems.push(vt.error_purpose);
        }
        let message = problems.join(" ");
        return refuse_apply(
            &state,
            &requester,
            ctx,
            message,
            &echo,
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let applied = state
        .app
        .vouchers()
        .apply(
            &requester,
            VoucherProgrammeId(echo.programme),
            amount,
            purpose,
        )
        .await;
    let (message, status) = match applied {
        Ok(filed) => {
            return see_page(&format!(
                "/vouchers?notice=applied&application={}",
                filed.id.0
            ))
        }
        Err(AppError::NotFound(_)) => (vt.error_programme.to_owned(), StatusCode::BAD_REQUEST),
        Err(AppError::Invalid { field, .. }) if field == "purpose" => {
            (vt.error_purpose.to_owned(), StatusCode::BAD_REQUEST)
        }
        Err(AppError::Refused(Refusal::Voucher(refusal))) => (
            format!(
                "{} {}",
                vt.apply_refused,
                refusal_message(&refusal, ctx.language)
            ),
            refusal_status(&refusal),
        ),
        Err(error) => return page_error(error, ctx),
    };
    refuse_apply(&state, &requester, ctx, message, &echo, status).await
}

/// Shows the wallet again with what was wrong with the apply form, and the form as sent.
async fn refuse_apply(
    state: &AppState,
    requester: &Requester,
    ctx: PageContext,
    message: String,
    echo: &ApplyEcho,
    status: StatusCode,
) -> Response {
    let messages = WalletMessages {
        error: Some(message),
        echo: Some(echo),
        ..WalletMessages::default()
    };
    render_wallet(state, requester, ctx, messages, status).await
}

/// The status a refused application or voucher payment is answered with: 403 when the
/// voucher or programme is not the user's to use, 422 when a programme rule refuses.
pub(crate) fn refusal_status(refusal: &VoucherRefusal) -> StatusCode {
    match refusal {
        VoucherRefusal::NotAnEnterprise
        | VoucherRefusal::EnterpriseOutsideProvince
        | VoucherRefusal::NotYourVoucher => StatusCode::FORBIDDEN,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_are_read_as_people_type_them() {
        assert_eq!(parse_yuan("5000"), Some(Fen(500_000)));
        assert_eq!(parse_yuan(" 1,250.5 "), Some(Fen(125_050)));
        assert_eq!(parse_yuan("¥0.07"), Some(Fen(7)));
        for bad in [
            "",
            "0",
            "0.00",
            "-5",
            "1.234",
            "abc",
            "1e3",
            ".5",
            "1234567890123",
        ] {
            assert_eq!(parse_yuan(bad), None, "{bad}");
        }
    }
}
