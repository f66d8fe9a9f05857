//! The wire types of the analytics API (`api/analytics.rs`) and their CSV forms. Money is in
//! fen (`_fen`), hours are decimal hours, shares are fractions from 0 to 1.

use corridor_domain::analytics::{
    FlowCell, FlowMatrix, IdleInstrument, OriginUsage, UsageRow, UsageTotals, UtilisationRow,
};
use corridor_store::vouchers::csv_field;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The period every answer covers and the age of the facts behind it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalyticsPeriodDto {
    /// Start of the period (inclusive), RFC 3339.
    pub from: String,
    /// End of the period (exclusive), RFC 3339.
    pub to: String,
    /// When the bookings behind the figures were read.
    pub as_of: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageTotalsDto {
    /// Distinct users.
    pub users: u64,
    pub bookings: u64,
    pub hours: f64,
    pub fees_fen: i64,
}

impl From<UsageTotals> for UsageTotalsDto {
    fn from(totals: UsageTotals) -> Self {
        UsageTotalsDto {
            users: totals.users,
            bookings: totals.bookings,
            hours: totals.hours,
            fees_fen: totals.fees.0,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageRowDto {
    /// A province code, an institution kind or a sector.
    pub key: String,
    pub users: u64,
    pub bookings: u64,
    pub hours: f64,
    pub fees_fen: i64,
}

impl From<UsageRow> for UsageRowDto {
    fn from(row: UsageRow) -> Self {
        UsageRowDto {
            key: row.key,
            users: row.totals.users,
            bookings: row.totals.bookings,
            hours: row.totals.hours,
            fees_fen: row.totals.fees.0,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OriginUsageDto {
    pub period: AnalyticsPeriodDto,
    pub total: UsageTotalsDto,
    /// Per home province of the users (SH, JS, ZJ, AH, OUT), every province listed.
    pub by_province: Vec<UsageRowDto>,
    pub by_institution_kind: Vec<UsageRowDto>,
    pub by_sector: Vec<UsageRowDto>,
    /// The share of distinct users whose home institution is in the region.
    pub region_user_share: f64,
    /// The share of hours booked by users from the region.
    pub region_hour_share: f64,
}

impl OriginUsageDto {
    pub fn new(period: AnalyticsPeriodDto, usage: OriginUsage) -> OriginUsageDto {
        let rows = |rows: Vec<UsageRow>| rows.into_iter().map(UsageRowDto::from).collect();
        OriginUsageDto {
            period,
            total: usage.total.into(),
            by_province: rows(usage.by_province),
            by_institution_kind: rows(usage.by_institution_kind),
            by_sector: rows(usage.by_sector),
            region_user_share: usage.region_user_share,
            region_hour_share: usage.region_hour_share,
        }
    }

    pub fn csv(&self) -> String {
        let mut out = String::from("breakdown,key,users,bookings,hours,fees_fen\n");
        for (breakdown, rows) in [
            ("province", &self.by_province),
            ("institution_kind", &self.by_institution_kind),
            ("sector", &self.by_sector),
        ] {
            for row in rows {
                out.push_str(&format!(
                    "{breakdown},{},{},{},{:.2},{}\n",
                    csv_field(&row.key),
                    row.users,
                    row.bookings,
                    row.hours,
                    row.fees_fen
                ));
            }
        }
        out
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FlowCellDto {
    /// The users' home province code or city code.
    pub origin: String,
    /// The providers' province code or city code.
    pub provider: String,
    pub bookings: u64,
    pub hours: f64,
    pub fees_fen: i64,
}

impl From<FlowCell> for FlowCellDto {
    fn from(cell: FlowCell) -> Self {
        FlowCellDto {
            origin: cell.origin,
            provider: cell.provider,
            bookings: cell.bookings,
            hours: cell.hours,
            fees_fen: cell.fees.0,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FlowMatrixDto {
    pub period: AnalyticsPeriodDto,
    /// province or city.
    pub level: String,
    /// Non-empty cells only.
    pub cells: Vec<FlowCellDto>,
    /// The share of hours booked across a border of the level.
    pub crossing_hour_share: f64,
}

impl FlowMatrixDto {
    pub fn new(period: AnalyticsPeriodDto, level: &str, matrix: FlowMatrix) -> FlowMatrixDto {
        FlowMatrixDto {
            period,
            level: level.to_owned(),
            cells: matrix.cells.into_iter().map(Into::into).collect(),
            crossing_hour_share: matrix.crossing_hour_share,
        }
    }

    pub fn csv(&self) -> String {
        let mut out = String::from("origin,provider,bookings,hours,fees_fen\n");
        for cell in &self.cells {
            out.push_str(&format!(
                "{},{},{},{:.2},{}\n",
                csv_field(&cell.origin),
                csv_field(&cell.provider),
                cell.bookings,
                cell.hours,
                cell.fees_fen
            ));
        }
        out
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UtilisationRowDto {
    /// A top-level category code, an institution id or a city code.
    pub key: String,
    pub instruments: u64,
    pub booked_hours: f64,
    /// Weekly opening hours over the period (holidays and maintenance not subtracted).
    pub open_hours: f64,
    pub utilisation: f64,
}

impl From<UtilisationRow> for UtilisationRowDto {
    fn from(row: UtilisationRow) -> Self {
        UtilisationRowDto {
            key: row.key,
            instruments: row.instruments,
            booked_hours: row.booked_hours,
            open_hours: row.open_hours,
            utilisation: row.utilisation,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UtilisationDto {
    pub period: AnalyticsPeriodDto,
    /// category, institution or city.
    pub by: String,
    pub rows: Vec<UtilisationRowDto>,
}

impl UtilisationDto {
    pub fn csv(&self) -> String {
        let mut out = String::from("key,instruments,booked_hours,open_hours,utilisation\n");
        for row in &self.rows {
            out.push_str(&format!(
                "{},{},{:.2},{:.2},{:.6}\n",
                csv_field(&row.key),
                row.instruments,
                row.booked_hours,
                row.open_hours,
                row.utilisation
            ));
        }
        out
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IdleInstrumentDto {
    pub instrument_id: i64,
    pub institution_id: i64,
    pub category: String,
    pub province: String,
    pub purchase_value_fen: i64,
    pub booked_hours: f64,
    pub open_hours: f64,
    pub utilisation: f64,
}

impl From<IdleInstrument> for IdleInstrumentDto {
    fn from(item: IdleInstrument) -> Self {
        IdleInstrumentDto {
            instrument_id: item.instrument.0,
            institution_id: item.institution.0,
            category: item.category.as_str().to_owned(),
            province: item.province.as_code().to_owned(),
            purchase_value_fen: item.purchase_value.0,
            booked_hours: item.booked_hours,
            open_hours: item.open_hours,
            utilisation: item.utilisation,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IdleInstrumentsDto {
    pub period: AnalyticsPeriodDto,
    pub min_value_fen: i64,
    pub max_utilisation: f64,
    /// How many instruments qualify; `items` holds the first `limit`, most valuable first.
    pub total: u64,
    pub items: Vec<IdleInstrumentDto>,
}

impl IdleInstrumentsDto {
    pub fn csv(&self) -> String {
        let mut out = String::from(
            "instrument_id,institution_id,category,province,purchase_value_fen,booked_hours,open_hours,utilisation\n",
        );
        for item in &self.items {
            out.push_str(&format!(
                "{},{},{},{},{},{:.2},{:.2},{:.6}\n",
                item.instrument_id,
                item.institution_id,
                csv_field(&item.category),
                item.province,
                item.purchase_value_fen,
                item.booked_hours,
                item.open_hours,
                item.utilisation
            ));
        }
        out
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsageParams {
    /// Start date (region time) or instant; a year before `to` when absent.
    pub from: Option<String>,
    /// End date (exclusive) or instant; the start of tomorrow when absent.
    pub to: Option<String>,
    /// Only instruments in this province (SH, JS, ZJ, AH, OUT).
    pub province: Option<String>,
    /// Only the instruments of this institution.
    pub institution: Option<i64>,
    /// Only instruments of this category (two or four digits).
    pub category: Option<String>,
    /// json (default) or csv.
    pub format: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FlowParams {
    pub from: Option<String>,
    pub to: Option<String>,
    /// province (default) or city.
    pub level: Option<String>,
    pub format: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UtilisationParams {
    pub from: Option<String>,
    pub to: Option<String>,
    /// category (default), institution or city.
    pub by: Option<String>,
    pub format: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IdleParams {
    pub from: Option<String>,
    pub to: Option<String>,
    /// Only instruments bought for at least this many yuan; 1,000,000 when absent.
    pub min_value_yuan: Option<i64>,
    /// Only instruments booked for at most this share of their open hours; 0.01 when absent.
    pub max_utilisation: Option<f64>,
    /// Items listed, 1 to 500; 100 when absent.
    pub limit: Option<u32>,
    pub format: Option<String>,
}
