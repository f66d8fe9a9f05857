//! Innovation vouchers: a province's programme, the vouchers it issues to enterprises, and
//! the rule that splits the price of a service between a voucher and the enterprise.
//!
//! The value itself lives in the ledger (`ledger.rs`): a programme's budget, each voucher's
//! balance and each provider's receivable are ledger accounts, and issuing, holding, redeeming
//! and settling are transfers between them. This module decides what those transfers may be.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::institution::coded_enum;
use crate::{CategoryCode, DomainError, Fen, InstitutionKind, ProvinceCode};

/// How many days after a programme's last day holds on its bookings stay open for late usage
/// records; see [`VoucherProgramme::has_expired_by`].
pub const VOUCHER_CLAIM_GRACE_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VoucherProgrammeId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VoucherApplicationId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VoucherId(pub i64);

coded_enum!(
    /// Who turns the voucher into money. With `enterprise_redeems` the enterprise pays the
    /// provider in full and the programme reimburses the enterprise; with `provider_redeems`
    /// the enterprise pays only its share and the provider claims the rest from the programme.
    RedemptionMode, "redemption_mode" {
        EnterpriseRedeems => "enterprise_redeems",
        ProviderRedeems => "provider_redeems",
    }
);

coded_enum!(
    /// Where a voucher may be spent: with providers of the issuing province only, or with
    /// providers anywhere in the region (the barrier the region removed).
    ProviderScope, "provider_scope" {
        OwnProvince => "own_province",
        WholeRegion => "whole_region",
    }
);

coded_enum!(
    /// Where an enterprise's application stands.
    ApplicationStatus, "status" {
        Submitted => "submitted",
        Approved => "approved",
        Rejected => "rejected",
    }
);

/// A province's voucher programme: its budget and rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherProgramme {
    pub id: VoucherProgrammeId,
    pub province: ProvinceCode,
    pub name_en: String,
    pub name_zh: String,
    pub budget: Fen,
    /// The voucher pays at most this share of a service's price, in percent.
    pub co_funding_percent: u8,
    /// What one enterprise may be issued per calendar year, over all its vouchers.
    pub annual_cap_per_enterprise: Fen,
    pub valid_from: Date,
    pub valid_until: Date,
    /// The instrument categories a voucher pays for (a top-level code covers its
    /// subcategories); empty means every category.
    pub eligible_categories: Vec<CategoryCode>,
    pub provider_scope: ProviderScope,
    pub redemption_mode: RedemptionMode,
}

impl VoucherProgramme {
    /// Checks the rules a programme must satisfy on its own.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.name_en.trim().is_empty() || self.name_zh.trim().is_empty() {
            return Err(DomainError::invalid(
                "name",
                "a programme needs an English and a Chinese name",
            ));
        }
        if self.budget.0 <= 0 {
            return Err(DomainError::invalid("budget_fen", "must be positive"));
        }
        Fen::bounded("budget_fen", self.budget.0, Fen::MAX)?;
        if !(1..=100).contains(&self.co_funding_percent) {
            return Err(DomainError::invalid(
                "co_funding_percent",
                "must be 1 to 100",
            ));
        }
        if self.annual_cap_per_enterprise.0 <= 0 {
            return Err(DomainError::invalid(
                "annual_cap_per_enterprise_fen",
                "must be positive",
            ));
        }
        Fen::bounded(
            "annual_cap_per_enterprise_fen",
            self.annual_cap_per_enterprise.0,
            Fen::MAX,
        )?;
        if self.valid_until < self.valid_from {
            return Err(DomainError::invalid(
                "valid_until",
                "must not be before valid_from",
            ));
        }
        Ok(())
    }

    pub fn is_valid_on(&self, day: Date) -> bool {
        self.valid_from <= day && day <= self.valid_until
    }

    /// Whether the programme's vouchers have expired by `today`: its last day is more than
    /// [`VOUCHER_CLAIM_GRACE_DAYS`] behind, so usage recorded late for a booking made while it
    /// ran can still redeem, and after that the holds are released and what is unspent goes
    /// back to the budget.
    pub fn has_expired_by(&self, today: Date) -> bool {
        self.valid_until
            .checked_add(jiff::Span::new().days(VOUCHER_CLAIM_GRACE_DAYS))
            .is_ok_and(|last_claim| today > last_claim)
    }

    pub fn covers_category(&self, category: &CategoryCode) -> bool {
        self.eligible_categories.is_empty()
            || self
                .eligible_categories
                .iter()
                .any(|eligible| eligible == category || *eligible == category.top_level())
    }

    pub fn admits_provider_in(&self, province: &ProvinceCode) -> bool {
        match self.provider_scope {
            ProviderScope::WholeRegion => true,
            ProviderScope::OwnProvince => *province == self.province,
        }
    }
}

/// Why a voucher may not be issued or may not pay for a service.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "refusal")]
pub enum VoucherRefusal {
    #[error("vouchers are issued to enterprises only")]
    NotAnEnterprise,
    #[error("the enterprise must be in the programme's province")]
    EnterpriseOutsideProvince,
    #[error("the programme is not valid on {0}")]
    ProgrammeNotValid(Date),
    #[error("the enterprise would exceed its annual cap: {issued_this_year} issued, cap {cap}")]
    AnnualCapExceeded { issued_this_year: Fen, cap: Fen },
    #[error("the programme does not pay for this category of instrument")]
    CategoryNotEligible,
    #[error("the programme does not pay providers in that province")]
    ProviderNotEligible,
    #[error("the voucher belongs to another enterprise")]
    NotYourVoucher,
    #[error("the voucher has no value left")]
    NothingLeft,
    #[error("the service costs nothing, so there is nothing for a voucher to pay")]
    NothingToPay,
}

impl VoucherRefusal {
    pub fn slug(&self) -> &'static str {
        match self {
            VoucherRefusal::NotAnEnterprise => "not-an-enterprise",
            VoucherRefusal::EnterpriseOutsideProvince => "enterprise-outside-province",
            VoucherRefusal::ProgrammeNotValid(_) => "programme-not-valid",
            VoucherRefusal::AnnualCapExceeded { .. } => "annual-cap-exceeded",
            VoucherRefusal::CategoryNotEligible => "category-not-eligible",
            VoucherRefusal::ProviderNotEligible => "provider-not-eligible",
            VoucherRefusal::NotYourVoucher => "not-your-voucher",
            VoucherRefusal::NothingLeft => "voucher-empty",
            VoucherRefusal::NothingToPay => "nothing-to-pay",
        }
    }
}

/// Whether `amount` may be issued to an enterprise of `kind` in `province` on `today`, given
/// what it was issued by this programme earlier in the same calendar year. The budget itself
/// is the ledger's limit, checked when the issuing transfer is applied.
pub fn check_issuance(
    programme: &VoucherProgramme,
    enterprise_kind: InstitutionKind,
    enterprise_province: &ProvinceCode,
    issued_this_year: Fen,
    amount: Fen,
    today: Date,
) -> Result<(), VoucherRefusal> {
    if enterprise_kind != InstitutionKind::Corporation {
        return Err(VoucherRefusal::NotAnEnterprise);
    }
    if *enterprise_province != programme.province {
        return Err(VoucherRefusal::EnterpriseOutsideProvince);
    }
    if !programme.is_valid_on(today) {
        return Err(VoucherRefusal::ProgrammeNotValid(today));
    }
    if issued_this_year.0.saturating_add(amount.0) > programme.annual_cap_per_enterprise.0 {
        return Err(VoucherRefusal::AnnualCapExceeded {
            issued_this_year,
            cap: programme.annual_cap_per_enterprise,
        });
    }
    Ok(())
}

/// How the price of a service divides between the voucher and the enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceSplit {
    pub price: Fen,
    pub voucher_pays: Fen,
    pub enterprise_pays: Fen,
}

/// The share a voucher pays for a service: the programme's co-funding share of the price,
/// rounded down to the fen (the programme never pays a fen more than its ratio), and never more
/// than the voucher still holds.
pub fn split_price(
    programme: &VoucherProgramme,
    price: Fen,
    voucher_available: Fen,
    category: &CategoryCode,
    provider_province: &ProvinceCode,
    day: Date,
) -> Result<PriceSplit, VoucherRefusal> {
    if !programme.is_valid_on(day) {
        return Err(VoucherRefusal::ProgrammeNotValid(day));
    }
    if !programme.covers_category(category) {
        return Err(VoucherRefusal::CategoryNotEligible);
    }
    if !programme.admits_provider_in(provider_province) {
        return Err(VoucherRefusal::ProviderNotEligible);
    }
    if voucher_available.0 <= 0 {
        return Err(VoucherRefusal::NothingLeft);
    }
    // Prices are bounded (see `Fen::MAX`), so the share always fits; a price that does not
    // is refused rather than wrapped.
    let share = Fen(price.0.max(0))
        .checked_share(i64::from(programme.co_funding_percent), 100)
        .ok_or(VoucherRefusal::NothingToPay)?;
    let voucher_pays = share.min(voucher_available);
    Ok(PriceSplit {
        price,
        voucher_pays,
        enterprise_pays: price
            .checked_sub(voucher_pays)
            .ok_or(VoucherRefusal::NothingToPay)?,
    })
}

/// When usage is recorded for less than was booked, the voucher pays the same share of the
/// actual charge, never more than it held.
pub fn settle_share(held: Fen, booked_price: Fen, charged: Fen) -> Fen {
    if booked_price.0 <= 0 {
        return Fen::ZERO;
    }
    held.checked_share(charged.0.max(0), booked_price.0)
        .unwrap_or(held)
        .min(held)
}

#[cfg(test)]
mod tests;
