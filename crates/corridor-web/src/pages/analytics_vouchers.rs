//! The vouchers dashboard (`/analytics/vouchers`): every programme's money (issued, held,
//! redeemed, returned, budget left) and the settlement between provinces for a period, as a
//! heat map. The figures are those of `/api/v1/analytics/vouchers`.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::response::Response;
use corridor_domain::{Fen, Language, ProvinceCode};
use serde::Deserialize;

use super::{page_or_error, province_name, PageContext};
use crate::api::voucher_analytics::voucher_analytics_dto;
use crate::auth::Requester;
use crate::charts::{bar_chart, heat_map, Bar, HeatMap};
use crate::extract::Query;
use crate::problem::ApiError;
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct VoucherDashboardParams {
    from: Option<String>,
    to: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

pub struct ProgrammeRow {
    pub id: i64,
    pub name: String,
    pub province: &'static str,
    pub budget: String,
    pub vouchers: u64,
    pub issued: String,
    pub held: String,
    pub redeemed: String,
    pub returned: String,
    pub left: String,
    pub redeemed_in_period: String,
}

#[derive(Template)]
#[template(path = "analytics_vouchers.html")]
struct VoucherDashboardTemplate {
    ctx: PageContext,
    english: bool,
    from: String,
    to: String,
    query: String,
    issued: String,
    issued_fen: i64,
    redeemed_in_period_fen: i64,
    held: String,
    redeemed: String,
    redeemed_in_period: String,
    crossing_share: String,
    programmes_svg: String,
    settlement_svg: String,
    rows: Vec<ProgrammeRow>,
}

/// `GET /analytics/vouchers`.
pub async fn voucher_dashboard_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<VoucherDashboardParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/analytics/vouchers");
    let built = voucher_dashboard(&state, &ctx, &params).await;
    page_or_error(built, ctx)
}

async fn voucher_dashboard(
    state: &AppState,
    ctx: &PageContext,
    params: &VoucherDashboardParams,
) -> Result<VoucherDashboardTemplate, ApiError> {
    let language = ctx.language;
    let english = language == Language::English;
    let figures =
        voucher_analytics_dto(state, params.from.as_deref(), params.to.as_deref()).await?;
    let zone = state.app.region_time_zone();
    let date = |text: &str| -> Result<String, ApiError> {
        let instant: jiff::Timestamp = text
            .parse()
            .map_err(|error: jiff::Error| ApiError::internal(error.to_string()))?;
        Ok(instant.to_zoned(zone.clone()).date().to_string())
    };
    let from = date(&figures.period.from)?;
    let to = date(&figures.period.to)?;
    let province_of = |code: &str| ProvinceCode::parse(code).unwrap_or(ProvinceCode::Outside);

    let bars: Vec<Bar> = figures
        .programmes
        .iter()
        .filter(|row| row.issued_fen > 0)
        .map(|row| {
            let redeemed_share = row.redeemed_fen as f64 / row.issued_fen as f64;
            Bar {
                key: row.id.to_string(),
                label: short_label(ctx.name(&row.name_en, &row.name_zh)),
                value: redeemed_share,
                text: if english {
                    format!("{:.1}% of {}", redeemed_share * 100.0, Fen(row.issued_fen))
                } else {
                    format!("{} 的 {:.1}%", Fen(row.issued_fen), redeemed_share * 100.0)
                },
            }
        })
        .collect();
    let programmes_svg = bar_chart(
        &bars,
        if english {
            "Share of the issued value redeemed, by programme"
        } else {
            "各计划已兑付占发放额的比例"
        },
        "voucher-programmes-chart",
    );

    // Programmes belong to the region's provinces, and so do the providers that redeem.
    let provinces: Vec<ProvinceCode> = ProvinceCode::ALL
        .into_iter()
        .filter(|province| province.is_in_region())
        .collect();
    let keys: Vec<String> = provinces.iter().map(|p| p.as_code().to_owned()).collect();
    let labels: Vec<String> = provinces
        .iter()
        .map(|p| province_name(*p, language).to_owned())
        .collect();
    let mut values = vec![vec![0.0; provinces.len()]; provinces.len()];
    for cell in &figures.settlement {
        let row = keys.iter().position(|key| *key == cell.payer_province);
        let column = keys.iter().position(|key| *key == cell.provider_province);
        if let (Some(row), Some(column)) = (row, column) {
            values[row][column] = cell.amount_fen as f64 / 100.0;
        }
    }
    let yuan = |value: f64| Fen((value * 100.0).round() as i64).to_string();
    let settlement_svg = heat_map(
        &HeatMap {
            keys: &keys,
            labels: &labels,
            values: &values,
            format: &yuan,
            row_caption: if english {
                "Paid by ↓"
            } else {
                "付款方 ↓"
            },
            column_caption: if english {
                "Providers in →"
            } else {
                "服务方所在 →"
            },
        },
        if english {
            "Vouchers redeemed in the period, by the paying programme's province and the provider's"
        } else {
            "统计期内兑付的创新券：按付款计划所在省与服务方所在省"
        },
        "settlement-heatmap",
    );
    let rows = figures
        .programmes
        .iter()
        .map(|row| ProgrammeRow {
            id: row.id,
            name: ctx.name(&row.name_en, &row.name_zh).to_owned(),
            province: province_name(province_of(&row.province), language),
            budget: Fen(row.budget_fen).to_string(),
            vouchers: row.vouchers,
            issued: Fen(row.issued_fen).to_string(),
            held: Fen(row.held_fen).to_string(),
            redeemed: Fen(row.redeemed_fen).to_string(),
            returned: Fen(row.returned_fen).to_string(),
            left: Fen(row.budget_available_fen).to_string(),
            redeemed_in_period: Fen(row.redeemed_in_period_fen).to_string(),
        })
        .collect();
    let query = format!("from={from}&to={to}");
    let mut ctx = ctx.clone();
    ctx.path = format!("/analytics/vouchers?{query}");
    Ok(VoucherDashboardTemplate {
        ctx,
        english,
        from,
        to,
        query,
        issued: Fen(figures.issued_fen).to_string(),
        issued_fen: figures.issued_fen,
        redeemed_in_period_fen: figures.redeemed_in_period_fen,
        held: Fen(figures.held_fen).to_string(),
        redeemed: Fen(figures.redeemed_fen).to_string(),
        redeemed_in_period: Fen(figures.redeemed_in_period_fen).to_string(),
        crossing_share: format!("{:.1}%", figures.cross_province_share * 100.0),
        programmes_svg,
        settlement_svg,
        rows,
    })
}

/// A programme's name cut to what fits beside a bar.
fn short_label(name: &str) -> String {
    const FITS: usize = 34;
    if name.chars().count() <= FITS {
        name.to_owned()
    } else {
        let mut cut: String = name.chars().take(FITS - 1).collect();
        cut.push('…');
        cut
    }
}
