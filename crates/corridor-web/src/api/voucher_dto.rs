//! The wire types of the voucher API: what `api/vouchers.rs` reads and answers. Money is in
//! fen (`_fen`), dates are `YYYY-MM-DD`, instants RFC 3339.

use corridor_domain::voucher::PriceSplit;
use corridor_store::{
    ProgrammeRecord, SettlementRow, VoucherApplication, VoucherPayment, VoucherPaymentState,
    VoucherRecord,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct VoucherProgrammeDto {
    pub id: i64,
    /// SH, JS, ZJ or AH: the province that funds the programme.
    pub province: String,
    pub name_en: String,
    pub name_zh: String,
    pub budget_fen: i64,
    /// What is left to issue.
    pub budget_available_fen: i64,
    pub issued_fen: i64,
    /// The voucher pays at most this share of a service's price.
    pub co_funding_percent: u8,
    pub annual_cap_per_enterprise_fen: i64,
    pub valid_from: String,
    pub valid_until: String,
    /// Instrument category codes the programme pays for; empty means all.
    pub eligible_categories: Vec<String>,
    /// own_province or whole_region.
    pub provider_scope: String,
    /// enterprise_redeems or provider_redeems.
    pub redemption_mode: String,
}

impl From<ProgrammeRecord> for VoucherProgrammeDto {
    fn from(record: ProgrammeRecord) -> Self {
        let programme = record.programme;
        VoucherProgrammeDto {
            id: programme.id.0,
            province: programme.province.as_code().to_owned(),
            name_en: programme.name_en,
            name_zh: programme.name_zh,
            budget_fen: programme.budget.0,
            budget_available_fen: record.budget_available.0,
            issued_fen: record.issued.0,
            co_funding_percent: programme.co_funding_percent,
            annual_cap_per_enterprise_fen: programme.annual_cap_per_enterprise.0,
            valid_from: programme.valid_from.to_string(),
            valid_until: programme.valid_until.to_string(),
            eligible_categories: programme
                .eligible_categories
                .iter()
                .map(|code| code.as_str().to_owned())
                .collect(),
            provider_scope: programme.provider_scope.as_code().to_owned(),
            redemption_mode: programme.redemption_mode.as_code().to_owned(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoucherProgrammeInput {
    pub province: String,
    pub name_en: String,
    pub name_zh: String,
    pub budget_fen: i64,
    pub co_funding_percent: u8,
    pub annual_cap_per_enterprise_fen: i64,
    pub valid_from: String,
    pub valid_until: String,
    #[serde(default)]
    pub eligible_categories: Vec<String>,
    pub provider_scope: String,
    pub redemption_mode: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoucherApplicationInput {
    /// The amount the enterprise asks for.
    pub requested_fen: i64,
    pub purpose: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VoucherApplicationDto {
    pub id: i64,
    pub programme_id: i64,
    pub enterprise_id: i64,
    pub enterprise_name_en: String,
    pub applicant_user_id: i64,
    pub requested_fen: i64,
    pub purpose: String,
    /// submitted, approved or rejected.
    pub status: String,
    pub created_at: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    pub voucher_id: Option<i64>,
}

impl From<VoucherApplication> for VoucherApplicationDto {
    fn from(application: VoucherApplication) -> Self {
        VoucherApplicationDto {
            id: application.id.0,
            programme_id: application.programme.0,
            enterprise_id: application.enterprise.0,
            enterprise_name_en: application.enterprise_name_en,
            applicant_user_id: application.applicant.0,
            requested_fen: application.requested.0,
            purpose: application.purpose,
            status: application.status.as_code().to_owned(),
            created_at: application.created_at.to_string(),
            decided_by: application.decided_by.map(|user| user.0),
            decided_at: application.decided_at.map(|instant| instant.to_string()),
            decision_note: application.decision_note,
            voucher_id: application.voucher.map(|voucher| voucher.0),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApplicationListParams {
    pub programme: Option<i64>,
    /// submitted, approved or rejected.
    pub status: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoucherDecisionInput {
    pub approve: bool,
    /// When approving, the amount to issue (at most the amount requested); the requested
    /// amount when absent.
    pub amount_fen: Option<i64>,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VoucherDto {
    pub id: i64,
    pub programme_id: i64,
    pub programme_name_en: String,
    pub programme_name_zh: String,
    pub province: String,
    pub enterprise_id: i64,
    pub amount_fen: i64,
    /// What can still be held or spent.
    pub available_fen: i64,
    /// Held for bookings not yet used.
    pub held_fen: i64,
    /// Redeemed for recorded usage.
    pub spent_fen: i64,
    pub co_funding_percent: u8,
    pub redemption_mode: String,
    pub valid_until: String,
    pub issued_at: String,
}

impl From<VoucherRecord> for VoucherDto {
    fn from(voucher: VoucherRecord) -> Self {
        VoucherDto {
            id: voucher.id.0,
            programme_id: voucher.programme.id.0,
            available_fen: voucher.available().0,
            programme_name_en: voucher.programme.name_en,
            programme_name_zh: voucher.programme.name_zh,
            province: voucher.programme.province.as_code().to_owned(),
            enterprise_id: voucher.enterprise.0,
            amount_fen: voucher.amount.0,
            held_fen: voucher.balances.debits_pending,
            spent_fen: voucher.balances.debits_posted,
            co_funding_percent: voucher.programme.co_funding_percent,
            redemption_mode: voucher.programme.redemption_mode.as_code().to_owned(),
            valid_until: voucher.programme.valid_until.to_string(),
            issued_at: voucher.issued_at.to_string(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoucherQuoteInput {
    pub instrument_id: i64,
    pub starts_at: String,
    pub ends_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PriceSplitDto {
    pub price_fen: i64,
    pub voucher_pays_fen: i64,
    pub enterprise_pays_fen: i64,
}

impl From<PriceSplit> for PriceSplitDto {
    fn from(split: PriceSplit) -> Self {
        PriceSplitDto {
            price_fen: split.price.0,
            voucher_pays_fen: split.voucher_pays.0,
            enterprise_pays_fen: split.enterprise_pays.0,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VoucherPaymentDto {
    pub voucher_id: i64,
    pub split: PriceSplitDto,
    /// held, redeemed or released.
    pub state: String,
    /// For a redeemed payment, what the voucher paid for the actual usage.
    pub redeemed_fen: Option<i64>,
}

impl From<VoucherPayment> for VoucherPaymentDto {
    fn from(payment: VoucherPayment) -> Self {
        let (state, redeemed) = match payment.state {
            VoucherPaymentState::Held => ("held", None),
            VoucherPaymentState::Redeemed { amount } => ("redeemed", Some(amount.0)),
            VoucherPaymentState::Released => ("released", None),
        };
        VoucherPaymentDto {
            voucher_id: payment.voucher.0,
            split: payment.split.into(),
            state: state.to_owned(),
            redeemed_fen: redeemed,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SettlementRowDto {
    pub payer_province: String,
    pub programme_id: i64,
    pub provider_province: String,
    pub claimant_institution_id: i64,
    pub claimant_name_en: String,
    pub redemptions: u64,
    pub amount_fen: i64,
}

impl From<SettlementRow> for SettlementRowDto {
    fn from(row: SettlementRow) -> Self {
        SettlementRowDto {
            payer_province: row.payer_province.as_code().to_owned(),
            programme_id: row.programme.0,
            provider_province: row.provider_province.as_code().to_owned(),
            claimant_institution_id: row.claimant.0,
            claimant_name_en: row.claimant_name_en,
            redemptions: row.redemptions,
            amount_fen: row.amount.0,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SettlementParams {
    /// A date (midnight in Asia/Shanghai) or an RFC 3339 instant.
    pub from: String,
    pub to: String,
    /// json (default) or csv.
    pub format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SettlementDto {
    pub from: String,
    pub to: String,
    pub rows: Vec<SettlementRowDto>,
}
