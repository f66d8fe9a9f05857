//! Innovation vouchers: programmes, applications and their decisions, enterprises' wallets,
//! the split of a price between a voucher and its enterprise, and the settlement between
//! provinces.
//!
//! Who may do what is decided here, once. Programmes are public (a company must find them). A
//! province's voucher office (platform admins run every office) creates the province's
//! programmes, sees and decides the applications to them, and reads the settlement rows its
//! province pays or is paid (see `office.rs`). Any signed-in user applies for, sees and
//! spends the vouchers of their own home institution, the enterprise; another enterprise's
//! voucher is answered as not found, so that ids reveal nothing. The programme rules
//! themselves (who may be issued how much, how a price splits) are the domain's and are
//! applied by the store in the same transaction as the ledger transfers; their refusals come
//! back as [`Refusal::Voucher`], [`Refusal::BudgetExhausted`] and
//! [`Refusal::ApplicationAlreadyDecided`].
//!
//! Days a person gives (a programme's validity, a settlement period) are days in the region's
//! time zone, read from the stored region.

mod dashboard;
mod office;

use corridor_domain::voucher::{
    ApplicationStatus, PriceSplit, ProviderScope, RedemptionMode, VoucherApplicationId, VoucherId,
    VoucherProgramme, VoucherProgrammeId, VoucherRefusal,
};
use corridor_domain::{
    bounded_text, optional_bounded_text, CategoryCode, Fen, InstitutionId, InstitutionKind,
    InstrumentId, ProvinceCode, Role, TimeRange, User,
};
use corridor_store::{
    BookingRequest, InstitutionWithPlace, NewVoucherApplication, Page, PageRequest,
    ProgrammeRecord, Store, VoucherApplication, VoucherDecision, VoucherRecord,
};
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::actor::Actor;
use crate::error::{AppError, AppResult, Refusal};

pub use dashboard::{ProgrammeFigures, SettlementCell, VoucherDashboard};
pub use office::{
    DayPeriod, OfficeConsole, PeriodBound, SettlementStatement, PENDING_APPLICATIONS_SHOWN,
};

/// The longest name, in either language, a programme may carry.
pub const LONGEST_PROGRAMME_NAME_CHARS: usize = 200;
/// The longest purpose an application may state.
pub const LONGEST_APPLICATION_PURPOSE_CHARS: usize = 2_000;
/// The longest note a voucher office may give with a decision.
pub const LONGEST_DECISION_NOTE_CHARS: usize = 1_000;

/// A programme as a front end read it; the service checks the rest.
#[derive(Debug, Clone)]
pub struct NewProgramme {
    pub province: ProvinceCode,
    /// At most [`LONGEST_PROGRAMME_NAME_CHARS`], like `name_zh`.
    pub name_en: String,
    pub name_zh: String,
    pub budget: Fen,
    pub co_funding_percent: u8,
    pub annual_cap_per_enterprise: Fen,
    /// Days in the region's time zone.
    pub valid_from: Date,
    pub valid_until: Date,
    pub eligible_categories: Vec<CategoryCode>,
    pub provider_scope: ProviderScope,
    pub redemption_mode: RedemptionMode,
}

/// A voucher office's decision on an application.
#[derive(Debug, Clone)]
pub struct ApplicationDecision {
    pub approve: bool,
    /// When approving, the amount to issue (positive, at most the amount requested); the
    /// requested amount when absent.
    pub amount: Option<Fen>,
    /// At most [`LONGEST_DECISION_NOTE_CHARS`].
    pub note: Option<String>,
}

/// The signed-in user's enterprise as its wallet shows it.
#[derive(Debug, Clone)]
pub struct Wallet {
    pub home_institution: InstitutionId,
    /// The user's home institution (absent only if it was removed).
    pub enterprise: Option<InstitutionWithPlace>,
    /// Its vouchers, oldest first.
    pub vouchers: Vec<VoucherRecord>,
    /// Its applications to any programme, newest first.
    pub applications: Vec<VoucherApplication>,
    /// Every programme of the enterprise's province (none outside the region).
    pub province_programmes: Vec<ProgrammeRecord>,
    /// Today in the region's time zone.
    pub today: Date,
    /// Whether the user runs a voucher office (and so has a console to go to).
    pub runs_a_voucher_office: bool,
}

impl Wallet {
    /// Whether the home institution is an enterprise (only enterprises are issued vouchers).
    pub fn is_enterprise(&self) -> bool {
        self.enterprise
            .as_ref()
            .is_some_and(|found| found.institution.kind == InstitutionKind::Corporation)
    }

    /// The programmes of the province that are valid today: those the enterprise may apply to.
    pub fn open_programmes(&self) -> impl Iterator<Item = &ProgrammeRecord> {
        self.province_programmes
            .iter()
            .filter(|record| record.programme.is_valid_on(self.today))
    }
}

/// How a booking's price would split with one of the enterprise's vouchers.
#[derive(Debug, Clone)]
pub struct VoucherSplit {
    pub voucher: VoucherRecord,
    pub split: PriceSplit,
}

/// Checks an application's purpose: 1 to [`LONGEST_APPLICATION_PURPOSE_CHARS`] characters of
/// text, trimmed.
pub fn application_purpose(purpose: &str) -> AppResult<String> {
    Ok(bounded_text(
        "purpose",
        purpose,
        LONGEST_APPLICATION_PURPOSE_CHARS,
    )?)
}

/// The provinces whose voucher office the user runs (`None`: every province, for platform
/// admins), or `Forbidden` with `refusal` for a user who runs none.
pub(crate) fn office_provinces(user: &User, refusal: &str) -> AppResult<Option<Vec<ProvinceCode>>> {
    match user.voucher_office_provinces() {
        Some(provinces) if provinces.is_empty() => Err(AppError::Forbidden(refusal.to_owned())),
        provinces => Ok(provinces),
    }
}

/// `Forbidden` unless the user runs the voucher office of `province`.
fn require_office_of(user: &User, province: ProvinceCode) -> AppResult<()> {
    if user.runs_voucher_office_of(province) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "only the voucher office of {} may do this",
            province.as_code()
        )))
    }
}

fn programme_not_found(id: VoucherProgrammeId) -> AppError {
    AppError::NotFound(format!("no voucher programme {}", id.0))
}

/// The voucher service (see the module's documentation).
pub struct Vouchers<'a> {
    pub(crate) store: &'a dyn Store,
    pub(crate) region_time_zone: &'a TimeZone,
}

impl Vouchers<'_> {
    /// Today in the region's time zone.
    fn today(&self) -> Date {
        corridor_store::now()
            .to_zoned(self.region_time_zone.clone())
            .date()
    }

    /// The programmes, of one province or of all, with what is left of their budgets.
    pub async fn programmes(
        &self,
        province: Option<ProvinceCode>,
    ) -> AppResult<Vec<ProgrammeRecord>> {
        Ok(self.store.voucher_programmes(province).await?)
    }

    /// One programme with what is left of its budget.
    pub async fn programme(&self, id: VoucherProgrammeId) -> AppResult<ProgrammeRecord> {
        self.store
            .voucher_programme(id)
            .await?
            .ok_or_else(|| programme_not_found(id))
    }

    /// Creates a programme and funds its budget from the province's treasury. The province's
    /// voucher office only, and only for the region's provinces.
    #[tracing::instrument(skip_all, fields(province = programme.province.as_code()))]
    pub async fn create_programme(
        &self,
        actor: &Actor,
        programme: NewProgramme,
    ) -> AppResult<ProgrammeRecord> {
        let user = actor.require_user()?;
        if !programme.province.is_in_region() {
            return Err(AppError::invalid(
                "province",
                "only the region's provinces run voucher programmes",
            ));
        }
        require_office_of(user, programme.province)?;
        let programme = VoucherProgramme {
            id: VoucherProgrammeId(0),
            province: programme.province,
            name_en: bounded_text("name_en", &programme.name_en, LONGEST_PROGRAMME_NAME_CHARS)?,
            name_zh: bounded_text("name_zh", &programme.name_zh, LONGEST_PROGRAMME_NAME_CHARS)?,
            budget: programme.budget,
            co_funding_percent: programme.co_funding_percent,
            annual_cap_per_enterprise: programme.annual_cap_per_enterprise,
            valid_from: programme.valid_from,
            valid_until: programme.valid_until,
            eligible_categories: programme.eligible_categories,
            provider_scope: programme.provider_scope,
            redemption_mode: programme.redemption_mode,
        };
        programme.validate()?;
        let id = self
            .store
            .create_voucher_programme(&programme, &actor.audit_context())
            .await?;
        self.programme(id).await
    }

    /// Files an application of the signed-in user's enterprise (their home institution). The
    /// programme's rules (an enterprise of its province, valid today, under the annual cap)
    /// are checked at once, so a hopeless application is refused before anyone reviews it.
    #[tracing::instrument(skip_all, fields(programme = programme.0))]
    pub async fn apply(
        &self,
        actor: &Actor,
        programme: VoucherProgrammeId,
        requested: Fen,
        purpose: &str,
    ) -> AppResult<VoucherApplication> {
        let user = actor.require_user()?;
        let purpose = application_purpose(purpose)?;
        if requested.0 <= 0 {
            return Err(AppError::invalid("requested_fen", "must be positive"));
        }
        Fen::bounded("requested_fen", requested.0, Fen::MAX)?;
        let application = NewVoucherApplication {
            programme,
            enterprise: user.home_institution,
            applicant: user.id,
            requested,
            purpose,
        };
        self.store
            .apply_for_voucher(&application, corridor_store::now(), &actor.audit_context())
            .await?
            .map_err(|refusal| Refusal::Voucher(refusal).into())
    }

    /// The applications to one programme (its province's voucher office), or to every
    /// programme (platform admins only), oldest first.
    pub async fn applications(
        &self,
        actor: &Actor,
        programme: Option<VoucherProgrammeId>,
        status: Option<ApplicationStatus>,
        page: PageRequest,
    ) -> AppResult<Page<VoucherApplication>> {
        let user = actor.require_user()?;
        let programme = match programme {
            Some(id) => {
                let record = self.programme(id).await?;
                require_office_of(user, record.programme.province)?;
                Some(record.programme.id)
            }
            None if user.has_role(Role::PlatformAdmin) => None,
            None => {
                return Err(AppError::invalid(
                    "programme",
                    "name the programme whose applications to list",
                ))
            }
        };
        Ok(self
            .store
            .voucher_applications(programme, status, page)
            .await?)
    }

    /// Approves (issuing the voucher from the programme's budget) or rejects an application;
    /// the voucher office of the programme's province only. A decision is final.
    #[tracing::instrument(skip_all, fields(application = id.0, approve = decision.approve))]
    pub async fn decide(
        &self,
        actor: &Actor,
        id: VoucherApplicationId,
        decision: ApplicationDecision,
    ) -> AppResult<VoucherApplication> {
        let user = actor.require_user()?;
        let application = self
            .store
            .voucher_application(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no voucher application {}", id.0)))?;
        let record = self.programme(application.programme).await?;
        require_office_of(user, record.programme.province)?;
        let note = optional_bounded_text(
            "note",
            decision.note.as_deref(),
            LONGEST_DECISION_NOTE_CHARS,
        )?;
        // Answered before the amount is judged, as the store answers it; the store checks
        // again inside its transaction, where two offices cannot both decide.
        if application.status != ApplicationStatus::Submitted {
            return Err(Refusal::ApplicationAlreadyDecided(application.status).into());
        }
        let amount = decision.amount.filter(|_| decision.approve);
        if amount.is_some_and(|amount| amount.0 <= 0 || amount.0 > application.requested.0) {
            return Err(AppError::invalid(
                "amount_fen",
                format!(
                    "must be positive and at most the requested {}",
                    application.requested
                ),
            ));
        }
        let decided = self
            .store
            .decide_voucher_application(
                id,
                decision.approve,
                amount,
                note.as_deref(),
                corridor_store::now(),
                &actor.audit_context(),
            )
            .await?;
        match decided {
            VoucherDecision::Issued { application, .. }
            | VoucherDecision::Rejected(application) => Ok(application),
            VoucherDecision::Refused(refusal) => Err(Refusal::Voucher(refusal).into()),
            VoucherDecision::BudgetExhausted { available } => {
                Err(Refusal::BudgetExhausted { available }.into())
            }
            VoucherDecision::AlreadyDecided(status) => {
                Err(Refusal::ApplicationAlreadyDecided(status).into())
            }
        }
    }

    /// The vouchers of the signed-in user's enterprise, oldest first.
    pub async fn my_vouchers(&self, actor: &Actor) -> AppResult<Vec<VoucherRecord>> {
        let user = actor.require_user()?;
        Ok(self
            .store
            .vouchers_of_enterprise(user.home_institution)
            .await?)
    }

    /// The signed-in user's enterprise: its vouchers, its applications and the programmes of
    /// its province.
    pub async fn wallet(&self, actor: &Actor) -> AppResult<Wallet> {
        let user = actor.require_user()?;
        let enterprise = self.store.institution(user.home_institution).await?;
        let vouchers = self
            .store
            .vouchers_of_enterprise(user.home_institution)
            .await?;
        let province_programmes = match &enterprise {
            Some(found) if found.province.is_in_region() => {
                self.store.voucher_programmes(Some(found.province)).await?
            }
            _ => Vec::new(),
        };
        let applications = self
            .store
            .voucher_applications_of_enterprise(user.home_institution)
            .await?;
        Ok(Wallet {
            home_institution: user.home_institution,
            enterprise,
            vouchers,
            applications,
            province_programmes,
            today: self.today(),
            runs_a_voucher_office: user
                .voucher_office_provinces()
                .is_none_or(|provinces| !provinces.is_empty()),
        })
    }

    /// A voucher of the user's own enterprise; others' are answered as not found.
    async fn own_voucher(&self, user: &User, id: VoucherId) -> AppResult<VoucherRecord> {
        match self.store.voucher(id).await? {
            Some(voucher) if voucher.enterprise == user.home_institution => Ok(voucher),
            _ => Err(AppError::NotFound(format!(
                "no voucher {} of your institution",
                id.0
            ))),
        }
    }

    /// How a price at an instrument splits with the voucher for a service at `service_at`
    /// (the programme must be valid on the day of the service, not the day of booking), or
    /// why it cannot pay.
    async fn split(
        &self,
        voucher: &VoucherRecord,
        instrument: InstrumentId,
        price: Fen,
        service_at: jiff::Timestamp,
    ) -> AppResult<PriceSplit> {
        self.store
            .quote_voucher_split(voucher.id, instrument, price, service_at)
            .await?
            .map_err(|refusal| Refusal::Voucher(refusal).into())
    }

    /// How the price of booking `range` at `instrument` would split between one of the
    /// enterprise's vouchers and the enterprise, now.
    pub async fn quote(
        &self,
        actor: &Actor,
        voucher: VoucherId,
        instrument: InstrumentId,
        range: TimeRange,
    ) -> AppResult<PriceSplit> {
        let user = actor.require_user()?;
        let voucher = self.own_voucher(user, voucher).await?;
        let request = BookingRequest {
            instrument,
            user: user.id,
            range,
            purpose: String::new(),
            idempotency_key: None,
            join_waitlist_if_taken: false,
        };
        let booking_quote = self
            .store
            .quote_booking(&request, corridor_store::now())
            .await?;
        self.split(&voucher, instrument, booking_quote.price, range.start)
            .await
    }

    /// How an already quoted `price` would split if the booking were paid with the voucher,
    /// refused as the booking would be: another enterprise's voucher is not found, and a
    /// voucher that would pay nothing is refused ([`VoucherRefusal::NothingToPay`]).
    pub async fn split_for_booking(
        &self,
        actor: &Actor,
        voucher: VoucherId,
        instrument: InstrumentId,
        price: Fen,
        service_at: jiff::Timestamp,
    ) -> AppResult<VoucherSplit> {
        let user = actor.require_user()?;
        let voucher = self.own_voucher(user, voucher).await?;
        let split = self.split(&voucher, instrument, price, service_at).await?;
        if split.voucher_pays.0 <= 0 {
            return Err(Refusal::Voucher(VoucherRefusal::NothingToPay).into());
        }
        Ok(VoucherSplit { voucher, split })
    }
}
