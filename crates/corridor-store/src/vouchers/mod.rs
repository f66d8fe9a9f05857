//! The voucher half of the store: programmes, applications, vouchers, paying bookings with
//! them, and the settlement statement between provinces.
//!
//! Every movement of voucher value is a ledger transfer written in the same transaction as the
//! voucher state it belongs to: funding a programme's budget from its province's treasury,
//! issuing a voucher from the budget, holding part of a voucher for a booking (a pending
//! transfer to the claimant's account), and posting or voiding that hold when usage is recorded
//! or the booking is cancelled or rejected. Transfer keys are derived from what they belong to
//! (`booking:42:voucher-hold`), so no retry can move value twice.
//!
//! Ledger accounts per programme: `programme_budget` (may not be overdrawn), one `voucher`
//! account per voucher (may not be overdrawn), and one `redemption_claim` account per claimant
//! (the provider when providers redeem, the enterprise when enterprises are reimbursed).

pub(crate) mod expiry;
pub(crate) mod history;
pub(crate) mod sql;

use async_trait::async_trait;
use corridor_domain::ledger::{AccountBalances, LedgerAccountId, TransferRefusal};
use corridor_domain::voucher::{
    ApplicationStatus, PriceSplit, VoucherApplicationId, VoucherId, VoucherProgramme,
    VoucherProgrammeId, VoucherRefusal,
};
use corridor_domain::{Fen, InstitutionId, ProvinceCode, UserId};
use jiff::Timestamp;

use crate::bookings::{BookingAttempt, BookingRecord, BookingRequest};
use crate::{AuditContext, Page, PageRequest, StoreError};

/// A programme with where its budget stands, read from the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgrammeRecord {
    pub programme: VoucherProgramme,
    pub budget_account: LedgerAccountId,
    /// What is left to issue.
    pub budget_available: Fen,
    /// Issued to vouchers so far.
    pub issued: Fen,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherApplication {
    pub id: VoucherApplicationId,
    pub programme: VoucherProgrammeId,
    pub enterprise: InstitutionId,
    pub enterprise_name_en: String,
    pub applicant: UserId,
    pub requested: Fen,
    pub purpose: String,
    pub status: ApplicationStatus,
    pub created_at: Timestamp,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<Timestamp>,
    pub decision_note: Option<String>,
    pub voucher: Option<VoucherId>,
}

/// A voucher with its programme's rules and its balances in the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherRecord {
    pub id: VoucherId,
    pub programme: VoucherProgramme,
    pub enterprise: InstitutionId,
    pub amount: Fen,
    pub account: LedgerAccountId,
    pub balances: AccountBalances,
    pub issued_at: Timestamp,
}

impl VoucherRecord {
    /// What can still be held or spent.
    pub fn available(&self) -> Fen {
        Fen(self.balances.available_credit())
    }
}

/// An enterprise's application as filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVoucherApplication {
    pub programme: VoucherProgrammeId,
    pub enterprise: InstitutionId,
    pub applicant: UserId,
    pub requested: Fen,
    pub purpose: String,
}

/// A voucher issued in the past, for importing a demo region's history: issued to
/// `enterprise` at `issued_at` and used on the completed bookings named by instrument, user
/// and start, each held at its creation and redeemed for its charge at its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoricalVoucherGrant {
    pub programme: VoucherProgrammeId,
    pub enterprise: InstitutionId,
    pub applicant: UserId,
    pub amount: Fen,
    pub issued_at: Timestamp,
    pub bookings: Vec<(corridor_domain::InstrumentId, UserId, Timestamp)>,
}

/// What one run of [`VoucherStore::expire_vouchers`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VoucherExpiry {
    pub vouchers: u64,
    pub holds_released: u64,
    /// What went back to the programmes' budgets.
    pub returned: Fen,
}

/// A booking whose voucher payment breaks the invariant the store keeps: what the voucher has
/// paid for it equals nothing while it holds its time (the share held), nothing once it was
/// cancelled or rejected (the hold released), and the programme's share of its current charge
/// once usage was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherPaymentMismatch {
    pub booking: corridor_domain::BookingId,
    pub status: corridor_domain::BookingStatus,
    pub expected_paid: Fen,
    pub paid: Fen,
    pub hold_open: bool,
}

/// A programme's vouchers summed from their ledger accounts: what the vouchers dashboard shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgrammeTotals {
    pub programme: VoucherProgrammeId,
    pub vouchers: u64,
    /// Face value of every voucher issued.
    pub issued: Fen,
    /// Reserved now by open holds on bookings not yet used.
    pub held: Fen,
    /// Paid to providers for recorded usage, to date: redemptions with the corrections that
    /// followed a usage recorded again.
    pub redeemed: Fen,
    /// Given back to the budget when vouchers expired.
    pub returned: Fen,
}

/// What a voucher office's decision on an application came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoucherDecision {
    Issued {
        application: VoucherApplication,
        voucher: VoucherRecord,
    },
    Rejected(VoucherApplication),
    /// A programme rule refuses the issuance; nothing changed.
    Refused(VoucherRefusal),
    /// The programme's budget cannot cover the amount; nothing changed.
    BudgetExhausted {
        available: Fen,
    },
    /// The application was decided before.
    AlreadyDecided(ApplicationStatus),
}

/// How a booking paid with a voucher stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoucherPaymentState {
    /// The voucher's share is held until usage is recorded.
    Held,
    /// Usage was recorded and the share of the actual charge was redeemed.
    Redeemed { amount: Fen },
    /// The booking was cancelled or rejected (or used for nothing) and the hold released.
    Released,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherPayment {
    pub voucher: VoucherId,
    pub split: PriceSplit,
    pub state: VoucherPaymentState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoucherBookingAttempt {
    Booked {
        booking: BookingRecord,
        payment: VoucherPayment,
        replayed: bool,
    },
    /// The booking itself was not made (slot taken, a rule, a denial); nothing was held.
    NotBooked(BookingAttempt),
    /// The voucher may not pay for this booking; nothing was booked.
    Refused(VoucherRefusal),
    /// The ledger refused the hold (the voucher lacks the funds); nothing was booked.
    HoldRefused(TransferRefusal),
}

/// One cell of the settlement matrix of a period: what a programme of `payer_province` owes
/// claimants for redemptions at providers in `provider_province`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementRow {
    pub payer_province: ProvinceCode,
    pub programme: VoucherProgrammeId,
    pub provider_province: ProvinceCode,
    pub claimant: InstitutionId,
    pub claimant_name_en: String,
    pub redemptions: u64,
    pub amount: Fen,
}

#[async_trait]
pub trait VoucherStore: Send + Sync {
    /// Creates a programme (its `id` is ignored) and funds its budget from its province's
    /// treasury in the same transaction.
    async fn create_voucher_programme(
        &self,
        programme: &VoucherProgramme,
        context: &AuditContext,
    ) -> Result<VoucherProgrammeId, StoreError>;

    async fn voucher_programmes(
        &self,
        province: Option<ProvinceCode>,
    ) -> Result<Vec<ProgrammeRecord>, StoreError>;

    async fn voucher_programme(
        &self,
        id: VoucherProgrammeId,
    ) -> Result<Option<ProgrammeRecord>, StoreError>;

    /// Files an enterprise's application. The programme's eligibility rules are checked at
    /// once (kind, province, validity, the annual cap so far), so a hopeless application is
    /// refused before anyone reviews it.
    async fn apply_for_voucher(
        &self,
        application: &NewVoucherApplication,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<Result<VoucherApplication, VoucherRefusal>, StoreError>;

    async fn voucher_application(
        &self,
        id: VoucherApplicationId,
    ) -> Result<Option<VoucherApplication>, StoreError>;

    async fn voucher_applications(
        &self,
        programme: Option<VoucherProgrammeId>,
        status: Option<ApplicationStatus>,
        page: PageRequest,
    ) -> Result<Page<VoucherApplication>, StoreError>;

    /// Every application an enterprise filed, with any programme, newest first.
    async fn voucher_applications_of_enterprise(
        &self,
        enterprise: InstitutionId,
    ) -> Result<Vec<VoucherApplication>, StoreError>;

    /// Approves (issuing a voucher of `amount`, or of the requested amount) or rejects.
    async fn decide_voucher_application(
        &self,
        id: VoucherApplicationId,
        approve: bool,
        amount: Option<Fen>,
        note: Option<&str>,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<VoucherDecision, StoreError>;

    async fn voucher(&self, id: VoucherId) -> Result<Option<VoucherRecord>, StoreError>;

    async fn vouchers_of_enterprise(
        &self,
        enterprise: InstitutionId,
    ) -> Result<Vec<VoucherRecord>, StoreError>;

    /// How a booking of `price` at `instrument` would be split by the voucher, now.
    /// How `price` splits with the voucher for a service at `service_at`: the programme is
    /// asked whether it is valid on the day of the service (in the region's zone).
    async fn quote_voucher_split(
        &self,
        voucher: VoucherId,
        instrument: corridor_domain::InstrumentId,
        price: Fen,
        service_at: Timestamp,
    ) -> Result<Result<PriceSplit, VoucherRefusal>, StoreError>;

    /// Books and holds the voucher's share in one transaction: either both happen or neither.
    /// The user must belong to the voucher's enterprise.
    async fn create_booking_with_voucher(
        &self,
        request: &BookingRequest,
        voucher: VoucherId,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<VoucherBookingAttempt, StoreError>;

    async fn voucher_payment_of_booking(
        &self,
        booking: corridor_domain::BookingId,
    ) -> Result<Option<VoucherPayment>, StoreError>;

    /// Expires the vouchers of every programme whose claim grace has passed by `today`
    /// (`VoucherProgramme::has_expired_by`): releases the holds still open on their bookings
    /// (the enterprise then pays those in full) and returns what each voucher has left to its
    /// programme's budget, all in one transaction with an audit event per voucher. Running it
    /// again changes nothing.
    async fn expire_vouchers(
        &self,
        today: jiff::civil::Date,
        now: Timestamp,
        context: &crate::AuditContext,
    ) -> Result<VoucherExpiry, StoreError>;

    /// Imports vouchers issued and spent in the past (the demo region's year), through the same
    /// ledger rules as live ones: a grant the budget cannot cover, or a payment the voucher
    /// can no longer cover, is skipped. Answers the number of bookings paid.
    async fn import_voucher_history(
        &self,
        grants: &[HistoricalVoucherGrant],
    ) -> Result<u64, StoreError>;

    /// Every programme's vouchers summed from their ledger accounts and transfers, by
    /// programme id; programmes without vouchers are left out.
    async fn voucher_programme_totals(&self) -> Result<Vec<ProgrammeTotals>, StoreError>;

    /// Every booking whose voucher payment breaks the invariant (see
    /// [`VoucherPaymentMismatch`]), computed from the bookings and the ledger's transfers
    /// alone: the independent check `corridor ledger reconcile` and the tests run.
    async fn voucher_payment_mismatches(&self) -> Result<Vec<VoucherPaymentMismatch>, StoreError>;

    /// The redemptions posted in `[from, to)`, summed per payer programme, provider province
    /// and claimant.
    async fn settlement_statement(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<SettlementRow>, StoreError>;
}

/// The header of a settlement statement in CSV.
pub const SETTLEMENT_CSV_HEADER: &str = "payer_province,programme_id,provider_province,claimant_institution_id,claimant_name_en,redemptions,amount_fen";

/// A settlement statement as CSV (RFC 4180), one row per payer programme, provider province
/// and claimant: what the CLI, the API and the office console all hand out.
pub fn settlement_csv(rows: &[SettlementRow]) -> String {
    let mut csv = format!("{SETTLEMENT_CSV_HEADER}\n");
    for row in rows {
        csv.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            row.payer_province.as_code(),
            row.programme.0,
            row.provider_province.as_code(),
            row.claimant.0,
            csv_field(&row.claimant_name_en),
            row.redemptions,
            row.amount.0
        ));
    }
    csv
}

/// A CSV field: quoted when it holds a separator, a quote or a line break, and with a leading
/// apostrophe when a spreadsheet would take it for a formula.
pub fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("Fudan University"), "Fudan University");
        assert_eq!(csv_field("Acme, Ltd."), "\"Acme, Ltd.\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
    }
}
