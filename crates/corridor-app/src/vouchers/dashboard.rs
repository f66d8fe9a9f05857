//! The vouchers dashboard's figures: every programme's money (issued, held by open holds,
//! redeemed, returned at expiry, and what the budget has left) and the settlement between
//! provinces for a period. Public like the region's other statistics: the figures are sums
//! per programme and per pair of provinces; who was paid is in the offices' settlement
//! statement (`Vouchers::settlement`), which only they may read.

use std::collections::BTreeMap;

use corridor_domain::analytics::Period;
use corridor_domain::{Fen, ProvinceCode};
use corridor_store::ProgrammeRecord;
use jiff::Timestamp;

use super::Vouchers;
use crate::error::AppResult;

/// One programme's money.
#[derive(Debug, Clone)]
pub struct ProgrammeFigures {
    pub programme: ProgrammeRecord,
    pub vouchers: u64,
    /// Face value of the vouchers issued, to date.
    pub issued: Fen,
    /// Reserved now by holds on bookings not yet used.
    pub held: Fen,
    /// Paid to providers for recorded usage, to date.
    pub redeemed: Fen,
    /// Given back to the budget by expired vouchers, to date.
    pub returned: Fen,
    /// Redemptions posted in the period.
    pub redemptions_in_period: u64,
    pub redeemed_in_period: Fen,
    /// Of that, paid to providers in other provinces than the programme's.
    pub cross_province_in_period: Fen,
}

/// What the programmes of one province paid providers of one province in the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettlementCell {
    pub payer_province: ProvinceCode,
    pub provider_province: ProvinceCode,
    pub redemptions: u64,
    pub amount: Fen,
}

/// The dashboard's figures for a period.
#[derive(Debug, Clone)]
pub struct VoucherDashboard {
    pub period: Period,
    /// When the figures were read.
    pub as_of: Timestamp,
    pub programmes: Vec<ProgrammeFigures>,
    /// Province pairs with redemptions in the period, by the pair's codes.
    pub settlement: Vec<SettlementCell>,
    pub issued: Fen,
    pub held: Fen,
    pub redeemed: Fen,
    pub redeemed_in_period: Fen,
    /// Share of the period's redemptions paid across a provincial border (0 without any).
    pub cross_province_share: f64,
}

/// What a programme's redemptions in the period came to.
#[derive(Debug, Clone, Copy, Default)]
struct InPeriod {
    redemptions: u64,
    amount: i64,
    crossing: i64,
}

impl Vouchers<'_> {
    /// Every programme's money, and the settlement between provinces for `period`.
    pub async fn dashboard(&self, period: Period) -> AppResult<VoucherDashboard> {
        let as_of = corridor_store::now();
        let records = self.store.voucher_programmes(None).await?;
        let totals = self.store.voucher_programme_totals().await?;
        let statement = self
            .store
            .settlement_statement(period.from, period.to)
            .await?;
        let mut in_period: BTreeMap<i64, InPeriod> = BTreeMap::new();
        let mut cells: BTreeMap<(&'static str, &'static str), SettlementCell> = BTreeMap::new();
        for row in &statement {
            let programme = in_period.entry(row.programme.0).or_default();
            programme.redemptions += row.redemptions;
            programme.amount += row.amount.0;
            if row.payer_province != row.provider_province {
                programme.crossing += row.amount.0;
            }
            let cell = cells
                .entry((
                    row.payer_province.as_code(),
                    row.provider_province.as_code(),
                ))
                .or_insert(SettlementCell {
                    payer_province: row.payer_province,
                    provider_province: row.provider_province,
                    redemptions: 0,
                    amount: Fen::ZERO,
                });
            cell.redemptions += row.redemptions;
            cell.amount = Fen(cell.amount.0 + row.amount.0);
        }
        let programmes: Vec<ProgrammeFigures> = records
            .into_iter()
            .map(|record| {
                let id = record.programme.id;
                let total = totals.iter().find(|totals| totals.programme == id);
                let period = in_period.get(&id.0).copied().unwrap_or_default();
                ProgrammeFigures {
                    programme: record,
                    vouchers: total.map_or(0, |totals| totals.vouchers),
                    issued: total.map_or(Fen::ZERO, |totals| totals.issued),
                    held: total.map_or(Fen::ZERO, |totals| totals.held),
                    redeemed: total.map_or(Fen::ZERO, |totals| totals.redeemed),
                    returned: total.map_or(Fen::ZERO, |totals| totals.returned),
                    redemptions_in_period: period.redemptions,
                    redeemed_in_period: Fen(period.amount),
                    cross_province_in_period: Fen(period.crossing),
                }
            })
            .collect();
        let sum = |figure: fn(&ProgrammeFigures) -> Fen| {
            Fen(programmes.iter().map(|row| figure(row).0).sum())
        };
        let redeemed_in_period = sum(|row| row.redeemed_in_period);
        let crossing = sum(|row| row.cross_province_in_period);
        Ok(VoucherDashboard {
            period,
            as_of,
            issued: sum(|row| row.issued),
            held: sum(|row| row.held),
            redeemed: sum(|row| row.redeemed),
            redeemed_in_period,
            cross_province_share: if redeemed_in_period.0 == 0 {
                0.0
            } else {
                crossing.0 as f64 / redeemed_in_period.0 as f64
            },
            programmes,
            settlement: cells.into_values().collect(),
        })
    }
}
