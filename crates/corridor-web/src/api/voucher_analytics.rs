//! `GET /api/v1/analytics/vouchers`: every voucher programme's money (issued, held by open
//! holds, redeemed, returned at expiry, and what the budget has left) and the settlement
//! between provinces for a period: what each province's programmes paid providers of each
//! province. Public like the other analytics: it sums per programme and province pair; who
//! was paid is in the offices' settlement statement, which only they may read.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::analytics::{period_dto, period_query, respond};
use super::analytics_dto::AnalyticsPeriodDto;
use crate::extract::Query;
use crate::problem::responses::BadRequest;
use crate::problem::ApiError;
use crate::AppState;
use corridor_app::vouchers::{ProgrammeFigures, VoucherDashboard};
use corridor_store::vouchers::csv_field;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VoucherAnalyticsParams {
    /// First day (region time) of the period for redemptions; a year back when absent.
    pub from: Option<String>,
    /// Day after the period; the end of today when absent.
    pub to: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// With `format=csv`: `programmes` (default) or `settlement`.
    pub table: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgrammeFiguresDto {
    pub id: i64,
    pub province: String,
    pub name_en: String,
    pub name_zh: String,
    pub budget_fen: i64,
    /// What the budget has left to issue.
    pub budget_available_fen: i64,
    pub vouchers: u64,
    /// Face value of the vouchers issued, to date.
    pub issued_fen: i64,
    /// Reserved now by holds on bookings not yet used.
    pub held_fen: i64,
    /// Paid to providers for recorded usage, to date.
    pub redeemed_fen: i64,
    /// Given back to the budget by expired vouchers, to date.
    pub returned_fen: i64,
    /// Redemptions posted in the period.
    pub redemptions_in_period: u64,
    pub redeemed_in_period_fen: i64,
    /// Of that, paid to providers in other provinces than the programme's.
    pub cross_province_in_period_fen: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SettlementCellDto {
    /// The province whose programmes paid.
    pub payer_province: String,
    /// The province of the instruments' institutions.
    pub provider_province: String,
    pub redemptions: u64,
    pub amount_fen: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VoucherAnalyticsDto {
    pub period: AnalyticsPeriodDto,
    pub issued_fen: i64,
    pub held_fen: i64,
    pub redeemed_fen: i64,
    pub redeemed_in_period_fen: i64,
    /// Share of the period's redemptions paid across a provincial border.
    pub cross_province_share: f64,
    pub programmes: Vec<ProgrammeFiguresDto>,
    /// Province pairs with redemptions in the period.
    pub settlement: Vec<SettlementCellDto>,
}

impl VoucherAnalyticsDto {
    pub fn programmes_csv(&self) -> String {
        let mut out = String::from(
            "programme_id,province,name_en,name_zh,budget_fen,budget_available_fen,vouchers,issued_fen,held_fen,redeemed_fen,returned_fen,redemptions_in_period,redeemed_in_period_fen,cross_province_in_period_fen\n",
        );
        for row in &self.programmes {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                row.id,
                row.province,
                csv_field(&row.name_en),
                csv_field(&row.name_zh),
                row.budget_fen,
                row.budget_available_fen,
                row.vouchers,
                row.issued_fen,
                row.held_fen,
                row.redeemed_fen,
                row.returned_fen,
                row.redemptions_in_period,
                row.redeemed_in_period_fen,
                row.cross_province_in_period_fen
            ));
        }
        out
    }

    pub fn settlement_csv(&self) -> String {
        let mut out = String::from("payer_province,provider_province,redemptions,amount_fen\n");
        for cell in &self.settlement {
            out.push_str(&format!(
                "{},{},{},{}\n",
                cell.payer_province, cell.provider_province, cell.redemptions, cell.amount_fen
            ));
        }
        out
    }
}

/// The figures for the period given as dates, as the API and the dashboard show them.
pub async fn voucher_analytics_dto(
    state: &AppState,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<VoucherAnalyticsDto, ApiError> {
    let period = state.app.analytics().period(period_query(from, to)?)?;
    let dashboard = state.app.vouchers().dashboard(period).await?;
    Ok(VoucherAnalyticsDto::from(dashboard))
}

impl From<VoucherDashboard> for VoucherAnalyticsDto {
    fn from(dashboard: VoucherDashboard) -> Self {
        VoucherAnalyticsDto {
            period: period_dto(dashboard.period, dashboard.as_of),
            issued_fen: dashboard.issued.0,
            held_fen: dashboard.held.0,
            redeemed_fen: dashboard.redeemed.0,
            redeemed_in_period_fen: dashboard.redeemed_in_period.0,
            cross_province_share: dashboard.cross_province_share,
            programmes: dashboard
                .programmes
                .into_iter()
                .map(ProgrammeFiguresDto::from)
                .collect(),
            settlement: dashboard
                .settlement
                .into_iter()
                .map(|cell| SettlementCellDto {
                    payer_province: cell.payer_province.as_code().to_owned(),
                    provider_province: cell.provider_province.as_code().to_owned(),
                    redemptions: cell.redemptions,
                    amount_fen: cell.amount.0,
                })
                .collect(),
        }
    }
}

impl From<ProgrammeFigures> for ProgrammeFiguresDto {
    fn from(figures: ProgrammeFigures) -> Self {
        let programme = figures.programme.programme;
        ProgrammeFiguresDto {
            id: programme.id.0,
            province: programme.province.as_code().to_owned(),
            name_en: programme.name_en,
            name_zh: programme.name_zh,
            budget_fen: programme.budget.0,
            budget_available_fen: figures.programme.budget_available.0,
            vouchers: figures.vouchers,
            issued_fen: figures.issued.0,
            held_fen: figures.held.0,
            redeemed_fen: figures.redeemed.0,
            returned_fen: figures.returned.0,
            redemptions_in_period: figures.redemptions_in_period,
            redeemed_in_period_fen: figures.redeemed_in_period.0,
            cross_province_in_period_fen: figures.cross_province_in_period.0,
        }
    }
}

/// Every voucher programme's money and the settlement between provinces for a period.
#[utoipa::path(get, path = "/analytics/vouchers", tag = "analytics", params(VoucherAnalyticsParams),
    responses((status = 200, body = VoucherAnalyticsDto, description = "JSON, or text/csv with format=csv"), BadRequest))]
pub async fn voucher_analytics(
    State(state): State<Arc<AppState>>,
    Query(params): Query<VoucherAnalyticsParams>,
) -> Result<Response, ApiError> {
    let settlement_table = match params.table.as_deref().map(str::trim) {
        None | Some("") | Some("programmes") => false,
        Some("settlement") => true,
        Some(other) => {
            return Err(ApiError::invalid(
                "table",
                format!("{other:?}: expected programmes or settlement"),
            ))
        }
    };
    let dto = voucher_analytics_dto(&state, params.from.as_deref(), params.to.as_deref()).await?;
    if settlement_table {
        respond(
            params.format.as_deref(),
            dto,
            VoucherAnalyticsDto::settlement_csv,
        )
    } else {
        respond(
            params.format.as_deref(),
            dto,
            VoucherAnalyticsDto::programmes_csv,
        )
    }
}
