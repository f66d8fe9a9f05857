//! Adding, changing and removing instruments: for the instrument managers and admins of the
//! providing institution, and platform admins. Every change is searchable at once on this
//! node (its search and availability indexes are refreshed before the operation returns) and
//! within a second on every other (their followers read the change log).

use corridor_domain::{
    bounded_text, optional_bounded_text, AccessPolicy, BookingMode, CategoryCode, Fen, HourlyRates,
    InstitutionId, Instrument, InstrumentId, SiteId, TimeZoneName, User, WeeklyOpeningHours,
};
use corridor_store::InstrumentWithPlace;

use super::Catalogue;
use crate::actor::Actor;
use crate::error::{AppError, AppResult};

/// The longest name, manufacturer or model an instrument may have.
pub const LONGEST_INSTRUMENT_NAME_CHARS: usize = 200;
/// The longest technique or keyword.
pub const LONGEST_TERM_CHARS: usize = 100;
/// How many techniques, and how many keywords, an instrument may list.
pub const MOST_TERMS: usize = 50;
/// The longest description, in each language.
pub const LONGEST_DESCRIPTION_CHARS: usize = 4_000;
/// The range of plausible years of manufacture.
pub const EARLIEST_YEAR_OF_MANUFACTURE: i32 = 1950;
pub const LATEST_YEAR_OF_MANUFACTURE: i32 = 2100;

/// An instrument as its manager wrote it, with its codes read by the front end; the limits
/// are checked by the operations.
#[derive(Debug, Clone)]
pub struct InstrumentChange {
    pub institution: InstitutionId,
    /// A site of that institution (the store checks that it is).
    pub site: SiteId,
    pub category: CategoryCode,
    pub name_en: String,
    pub name_zh: String,
    pub techniques: Vec<String>,
    pub keywords: Vec<String>,
    pub manufacturer: String,
    pub model: String,
    pub year_of_manufacture: i32,
    pub purchase_value: Fen,
    /// Empty when there is none.
    pub description_en: String,
    pub description_zh: String,
    pub access_policy: AccessPolicy,
    pub booking_mode: BookingMode,
    pub training_required: bool,
    pub own_institution_rate: Fen,
    pub other_academic_rate: Fen,
    pub industry_rate: Fen,
    pub opening_hours: WeeklyOpeningHours,
    /// `Asia/Shanghai` when not given, as the API documents.
    pub time_zone: Option<TimeZoneName>,
}

/// At most [`MOST_TERMS`] entries of at most [`LONGEST_TERM_CHARS`] each, trimmed.
fn short_list(field: &'static str, values: &[String]) -> AppResult<Vec<String>> {
    if values.len() > MOST_TERMS {
        return Err(AppError::invalid(
            field,
            format!("at most {MOST_TERMS} entries"),
        ));
    }
    values
        .iter()
        .map(|value| Ok(bounded_text(field, value, LONGEST_TERM_CHARS)?))
        .collect()
}

fn optional_text(field: &'static str, value: &str) -> AppResult<String> {
    Ok(optional_bounded_text(field, Some(value), LONGEST_DESCRIPTION_CHARS)?.unwrap_or_default())
}

impl InstrumentChange {
    /// The instrument with id `id`, once every limit is met.
    pub fn into_instrument(self, id: InstrumentId) -> AppResult<Instrument> {
        if !(EARLIEST_YEAR_OF_MANUFACTURE..=LATEST_YEAR_OF_MANUFACTURE)
            .contains(&self.year_of_manufacture)
        {
            return Err(AppError::invalid(
                "year_of_manufacture",
                format!(
                    "must be between {EARLIEST_YEAR_OF_MANUFACTURE} and {LATEST_YEAR_OF_MANUFACTURE}"
                ),
            ));
        }
        if self.purchase_value.0 < 0 {
            return Err(AppError::invalid(
                "purchase_value_fen",
                "must not be negative",
            ));
        }
        let name = |field: &'static str, value: &str| {
            bounded_text(field, value, LONGEST_INSTRUMENT_NAME_CHARS)
        };
        Ok(Instrument {
            id,
            institution: self.institution,
            site: self.site,
            category: self.category,
            name_en: name("name_en", &self.name_en)?,
            name_zh: name("name_zh", &self.name_zh)?,
            techniques: short_list("techniques", &self.techniques)?,
            keywords: short_list("keywords", &self.keywords)?,
            manufacturer: name("manufacturer", &self.manufacturer)?,
            model: name("model", &self.model)?,
            year_of_manufacture: self.year_of_manufacture,
            purchase_value: self.purchase_value,
            description_en: optional_text("description_en", &self.description_en)?,
            description_zh: optional_text("description_zh", &self.description_zh)?,
            access_policy: self.access_policy,
            rates: HourlyRates::new(
                self.own_institution_rate,
                self.other_academic_rate,
                self.industry_rate,
            )?,
            booking_mode: self.booking_mode,
            training_required: self.training_required,
            opening_hours: self.opening_hours,
            time_zone: self.time_zone.unwrap_or_else(TimeZoneName::asia_shanghai),
        })
    }
}

/// `Forbidden` unless the user manages the instruments of `institution`.
fn require_instrument_manager(user: &User, institution: InstitutionId) -> AppResult<()> {
    if user.may_manage_instruments_of(institution) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "only the instrument managers of institution {} may change its instruments",
            institution.0
        )))
    }
}

impl Catalogue<'_> {
    /// Brings this node's indexes up to date with one instrument after a change. The search
    /// index must take it (a change that is not searchable here is a failure the caller
    /// hears of); the availability index is only logged on failure, because its follower
    /// catches up on its own.
    async fn refresh_indexes(&self, id: InstrumentId) -> AppResult<()> {
        self.search
            .apply(self.store, id)
            .await
            .map_err(|error| AppError::internal_because("refreshing the search index", error))?;
        if let Err(error) = self.availability.apply(self.store, id).await {
            tracing::warn!(%error, instrument = id.0, "could not refresh availability; the refresher will");
        }
        Ok(())
    }

    /// Adds an instrument to an institution's list; answers it as stored.
    #[tracing::instrument(skip_all, fields(institution = change.institution.0))]
    pub async fn create_instrument(
        &self,
        actor: &Actor,
        change: InstrumentChange,
    ) -> AppResult<InstrumentWithPlace> {
        let user = actor.require_user()?;
        let instrument = change.into_instrument(InstrumentId(0))?;
        require_instrument_manager(user, instrument.institution)?;
        let id = self
            .store
            .create_instrument(&instrument, &actor.audit_context())
            .await?;
        self.refresh_indexes(id).await?;
        self.instrument(id).await
    }

    /// Replaces an instrument's description, rates, rules and opening hours. A manager must
    /// manage both the instrument's institution and the one it would move to.
    #[tracing::instrument(skip_all, fields(instrument = id.0))]
    pub async fn update_instrument(
        &self,
        actor: &Actor,
        id: InstrumentId,
        change: InstrumentChange,
    ) -> AppResult<InstrumentWithPlace> {
        let user = actor.require_user()?;
        let existing = self.instrument(id).await?;
        require_instrument_manager(user, existing.instrument.institution)?;
        let instrument = change.into_instrument(id)?;
        require_instrument_manager(user, instrument.institution)?;
        self.store
            .update_instrument(&instrument, &actor.audit_context())
            .await?;
        self.refresh_indexes(id).await?;
        self.instrument(id).await
    }

    /// Removes an instrument (the store keeps one that has bookings: `Conflict`). It leaves
    /// this node's search at once.
    #[tracing::instrument(skip_all, fields(instrument = id.0))]
    pub async fn delete_instrument(&self, actor: &Actor, id: InstrumentId) -> AppResult<()> {
        let user = actor.require_user()?;
        let existing = self.instrument(id).await?;
        require_instrument_manager(user, existing.instrument.institution)?;
        self.store
            .delete_instrument(id, &actor.audit_context())
            .await?;
        self.refresh_indexes(id).await
    }
}
