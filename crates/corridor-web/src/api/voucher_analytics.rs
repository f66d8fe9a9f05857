//! `GET /api/v1/analytics/vouchers`: every voucher programme's money (issued, held by open
//! holds, redeemed, returned at expiry, and what the budget has left) and the settlement
//! between provinces for a period: what each province's programmes paid providers of each
//! province. Public like the other analytics: it sums per programme and province pair; who
//! was paid is in the offices' settlement statement, which only they may read.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::analytics::{analytics_period, period_dto, respond};
use super::analytics_dto::AnalyticsPeriodDto;
use crate::extract::Query;
use crate::problem::{ApiError, Problem};
use crate::AppState;
use corridor_store::voucher::csv_field;

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
    let period = analytics_period(from, to)?;
    let as_of = corridor_store::now();
    let programmes = state.store.voucher_programmes(None).await?;
    let totals = state.store.voucher_programme_totals().await?;
    let statement = state
        .store
        .settlement_statement(period.from, period.to)
        .await?;
    let mut in_period: BTreeMap<i64, (u64, i64, i64)> = BTreeMap::new();
    let mut cells: BTreeMap<(String, String), (u64, i64)> = BTreeMap::new();
    for row in &statement {
        let entry = in_period.entry(row.programme.0).or_default();
        entry.0 += row.redemptions;
        entry.1 += row.amount.0;
        if row.payer_province != row.provider_province {
            entry.2 += row.amount.0;
        }
        let cell = cells
            .entry((
                row.payer_province.as_code().to_owned(),
                row.provider_province.as_code().to_owned(),
            ))
            .or_default();
        cell.0 += row.redemptions;
        cell.1 += row.amount.0;
    }
    let rows: Vec<ProgrammeFiguresDto> = programmes
        .iter()
        .map(|record| {
            let id = record.programme.id.0;
            let total = totals.iter().find(|totals| totals.programme.0 == id);
            let period = in_period.get(&id).copied().unwrap_or_default();
            ProgrammeFiguresDto {
                id,
                province: record.programme.province.as_code().to_owned(),
                name_en: record.programme.name_en.clone(),
                name_zh: record.programme.name_zh.clone(),
                budget_fen: record.programme.budget.0,
                budget_available_fen: record.budget_available.0,
                vouchers: total.map_or(0, |totals| totals.vouchers),
                issued_fen: total.map_or(0, |totals| totals.issued.0),
                held_fen: total.map_or(0, |totals| totals.held.0),
                redeemed_fen: total.map_or(0, |totals| totals.redeemed.0),
                returned_fen: total.map_or(0, |totals| totals.returned.0),
                redemptions_in_period: period.0,
                redeemed_in_period_fen: period.1,
                cross_province_in_period_fen: period.2,
            }
        })
        .collect();
    let redeemed_in_period: i64 = rows.iter().map(|row| row.redeemed_in_period_fen).sum();
    let crossing: i64 = rows
        .iter()
        .map(|row| row.cross_province_in_period_fen)
        .sum();
    Ok(VoucherAnalyticsDto {
        period: period_dto(period, as_of),
        issued_fen: rows.iter().map(|row| row.issued_fen).sum(),
        held_fen: rows.iter().map(|row| row.held_fen).sum(),
        redeemed_fen: rows.iter().map(|row| row.redeemed_fen).sum(),
        redeemed_in_period_fen: redeemed_in_period,
        cross_province_share: if redeemed_in_period == 0 {
            0.0
        } else {
            crossing as f64 / redeemed_in_period as f64
        },
        programmes: rows,
        settlement: cells
            .into_iter()
            .map(
                |((payer, provider), (redemptions, amount))| SettlementCellDto {
                    payer_province: payer,
                    provider_province: provider,
                    redemptions,
                    amount_fen: amount,
                },
            )
            .collect(),
    })
}

/// Every voucher programme's money and the settlement between provinces for a period.
#[utoipa::path(get, path = "/analytics/vouchers", tag = "analytics", params(VoucherAnalyticsParams),
    responses((status = 200, body = VoucherAnalyticsDto, description = "JSON, or text/csv with format=csv"),
        (status = 400, body = Problem, content_type = "application/problem+json")))]
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
