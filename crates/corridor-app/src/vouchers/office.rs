//! What a voucher office reads: the console of its provinces (their programmes, the
//! applications waiting for a decision, the settlement of a period) and the settlement
//! statement between provinces.
//!
//! A voucher office sees its own provinces' programmes and applications, and the settlement
//! rows its provinces pay (as the programme's province) or are paid (as the provider's
//! province); platform admins see every province. Periods are `[from, to)`; a day given for
//! either end is midnight in the region's time zone.

use corridor_domain::voucher::{ApplicationStatus, VoucherProgramme, VoucherProgrammeId};
use corridor_domain::{PageLimit, ProvinceCode};
use corridor_store::{PageRequest, ProgrammeRecord, SettlementRow, VoucherApplication};
use jiff::civil::Date;
use jiff::Timestamp;

use super::{office_provinces, Vouchers};
use crate::actor::Actor;
use crate::error::{AppError, AppResult};

/// How many waiting applications of one programme (or, for platform admins, of all) the
/// console lists; its count says how many wait in all.
pub const PENDING_APPLICATIONS_SHOWN: u32 = 200;

/// One end of a period as a person gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodBound {
    /// Midnight at the start of this day in the region's time zone.
    Day(Date),
    Instant(Timestamp),
}

/// A period of whole days in the region's time zone: `from` up to, not including, `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayPeriod {
    pub from: Date,
    pub to: Date,
}

/// What the programmes owe claimants for the redemptions posted in `[from, to)`, one row per
/// payer programme, provider province and claimant, as far as the reader may see them.
#[derive(Debug, Clone)]
pub struct SettlementStatement {
    pub from: Timestamp,
    pub to: Timestamp,
    pub rows: Vec<SettlementRow>,
}

/// The voucher office's console.
#[derive(Debug, Clone)]
pub struct OfficeConsole {
    /// The provinces whose office the user runs; `None`: every province (platform admins).
    pub provinces: Option<Vec<ProvinceCode>>,
    pub period: DayPeriod,
    /// The programmes of those provinces.
    pub programmes: Vec<ProgrammeRecord>,
    /// How many applications to them wait for a decision.
    pub pending_total: u64,
    /// The first [`PENDING_APPLICATIONS_SHOWN`] waiting applications of each programme,
    /// oldest first.
    pub pending: Vec<VoucherApplication>,
    pub settlement: SettlementStatement,
    /// The programmes of other provinces that the settlement's rows name (what they owe the
    /// office's providers), so that the console can name them too.
    pub other_programmes: Vec<VoucherProgramme>,
}

fn sees(provinces: &Option<Vec<ProvinceCode>>, province: ProvinceCode) -> bool {
    provinces
        .as_ref()
        .is_none_or(|provinces| provinces.contains(&province))
}

impl Vouchers<'_> {
    fn instant(&self, field: &'static str, bound: PeriodBound) -> AppResult<Timestamp> {
        match bound {
            PeriodBound::Instant(instant) => Ok(instant),
            PeriodBound::Day(day) => day
                .to_zoned(self.region_time_zone.clone())
                .map(|zoned| zoned.timestamp())
                .map_err(|error| AppError::invalid(field, error.to_string())),
        }
    }

    /// The period of days asked for: the current month (in the region's time zone) when
    /// neither end is given, and the month from `from`'s first day when only `from` is.
    fn day_period(&self, from: Option<Date>, to: Option<Date>) -> AppResult<DayPeriod> {
        let from = match from {
            Some(from) => from,
            None => self.today().first_of_month(),
        };
        let to = match to {
            Some(to) => to,
            None => from
                .first_of_month()
                .checked_add(jiff::Span::new().months(1))
                .map_err(|error| AppError::invalid("from", error.to_string()))?,
        };
        if from >= to {
            return Err(AppError::invalid("to", "must be after from"));
        }
        Ok(DayPeriod { from, to })
    }

    /// The statement of `[from, to)` as far as an office of `provinces` may see it.
    async fn statement(
        &self,
        provinces: &Option<Vec<ProvinceCode>>,
        from: Timestamp,
        to: Timestamp,
    ) -> AppResult<SettlementStatement> {
        if to <= from {
            return Err(AppError::invalid("to", "must be after from"));
        }
        let rows = self
            .store
            .settlement_statement(from, to)
            .await?
            .into_iter()
            .filter(|row| {
                sees(provinces, row.payer_province) || sees(provinces, row.provider_province)
            })
            .collect();
        Ok(SettlementStatement { from, to, rows })
    }

    /// The settlement statement of `[from, to)`: what each province's programmes owe
    /// claimants, per provider province. Voucher offices only; each sees the rows its
    /// provinces pay or are paid.
    pub async fn settlement(
        &self,
        actor: &Actor,
        from: PeriodBound,
        to: PeriodBound,
    ) -> AppResult<SettlementStatement> {
        let user = actor.require_user()?;
        let provinces = office_provinces(user, "only voucher offices see settlement statements")?;
        let from = self.instant("from", from)?;
        let to = self.instant("to", to)?;
        self.statement(&provinces, from, to).await
    }

    /// The settlement statement of a period of days (the current month by default, see
    /// [`OfficeConsole`]), with the days it covers.
    pub async fn settlement_of_days(
        &self,
        actor: &Actor,
        from: Option<Date>,
        to: Option<Date>,
    ) -> AppResult<(DayPeriod, SettlementStatement)> {
        let user = actor.require_user()?;
        let provinces = office_provinces(user, "only voucher offices see settlement statements")?;
        let period = self.day_period(from, to)?;
        let statement = self
            .statement(
                &provinces,
                self.instant("from", PeriodBound::Day(period.from))?,
                self.instant("to", PeriodBound::Day(period.to))?,
            )
            .await?;
        Ok((period, statement))
    }

    /// The voucher office's console for a period of days: the current month when neither end
    /// is given, the month from `from`'s first day when only `from` is. Voucher offices and
    /// platform admins only.
    pub async fn office_console(
        &self,
        actor: &Actor,
        from: Option<Date>,
        to: Option<Date>,
    ) -> AppResult<OfficeConsole> {
        let user = actor.require_user()?;
        let provinces = office_provinces(
            user,
            "only a province's voucher office and platform admins have a voucher office console",
        )?;
        let period = self.day_period(from, to)?;
        let programmes = match &provinces {
            None => self.store.voucher_programmes(None).await?,
            Some(provinces) => {
                let mut programmes = Vec::new();
                for province in provinces {
                    programmes.extend(self.store.voucher_programmes(Some(*province)).await?);
                }
                programmes
            }
        };
        let first_page = PageRequest {
            limit: PageLimit::new(PENDING_APPLICATIONS_SHOWN)?,
            after: None,
        };
        // Platform admins read one queue over every programme; an office reads its own.
        let queues: Vec<Option<VoucherProgrammeId>> = match &provinces {
            None => vec![None],
            Some(_) => programmes
                .iter()
                .map(|record| Some(record.programme.id))
                .collect(),
        };
        let (mut pending_total, mut pending) = (0, Vec::new());
        for programme in queues {
            let page = self
                .store
                .voucher_applications(programme, Some(ApplicationStatus::Submitted), first_page)
                .await?;
            pending_total += page.total;
            pending.extend(page.items);
        }
        let settlement = self
            .statement(
                &provinces,
                self.instant("from", PeriodBound::Day(period.from))?,
                self.instant("to", PeriodBound::Day(period.to))?,
            )
            .await?;
        let is_own =
            |id: VoucherProgrammeId| programmes.iter().any(|record| record.programme.id == id);
        let other_programmes = if settlement.rows.iter().all(|row| is_own(row.programme)) {
            Vec::new()
        } else {
            self.store
                .voucher_programmes(None)
                .await?
                .into_iter()
                .filter(|record| !is_own(record.programme.id))
                .filter(|record| {
                    settlement
                        .rows
                        .iter()
                        .any(|row| row.programme == record.programme.id)
                })
                .map(|record| record.programme)
                .collect()
        };
        Ok(OfficeConsole {
            provinces,
            period,
            programmes,
            pending_total,
            pending,
            settlement,
            other_programmes,
        })
    }
}
