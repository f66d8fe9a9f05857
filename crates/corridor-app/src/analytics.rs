//! Analytics for planners and the public: usage by origin, flows between provinces,
//! utilisation, idle instruments, cluster reach (`cluster_reach.rs`), the vouchers' money and
//! the light source's users, computed from the analytics facts (or, for money, from the
//! store).
//!
//! Public, like the region's published statistics: the operations take no actor. Each asks
//! for a period ([`PeriodQuery`]): dates are read in the region's time zone, a year up to
//! the end of today when not given, at most [`LONGEST_PERIOD_DAYS`]. Each answer says as of
//! when its facts were read.

use std::collections::HashMap;
use std::sync::Arc;

use corridor_domain::analytics::{
    AnalyticsError, FlowLevel, FlowMatrix, IdleInstrument, OriginUsage, Period, ProviderScope,
    UtilisationGroup, UtilisationRow,
};
use corridor_domain::{City, Fen, InstrumentCategory};
use corridor_store::{InstrumentWithPlace, Store};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::dates::InstantOrDate;
use crate::error::{AppError, AppResult};
use crate::indexes::analytics::{AnalyticsBuild, AnalyticsService};
use crate::indexes::rail::RailService;

/// The longest period one question may cover.
pub const LONGEST_PERIOD_DAYS: i64 = 3_660;
/// The period when none is given: this many days up to the end of today.
pub const DEFAULT_PERIOD_DAYS: i64 = 365;
/// Idle instruments: those bought for at least this much (yuan) when not asked otherwise…
pub const DEFAULT_IDLE_MIN_VALUE_YUAN: i64 = 1_000_000;
/// …the most a question may ask for…
pub const LARGEST_IDLE_MIN_VALUE_YUAN: i64 = 100_000_000_000;
/// …and booked for at most this share of their open hours when not asked otherwise.
pub const DEFAULT_IDLE_MAX_UTILISATION: f64 = 0.01;
/// How many idle instruments one answer lists (and lists when not asked).
pub const MOST_IDLE_LISTED: u32 = 500;
pub const DEFAULT_IDLE_LISTED: u32 = 100;

/// A period as a front end read it; [`resolve_period`] applies the defaults and limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeriodQuery {
    pub from: Option<InstantOrDate>,
    pub to: Option<InstantOrDate>,
}

/// The period asked for, with dates read in `zone`: from midnight of `from` to midnight of
/// `to`; a year up to the end of today when absent; at most [`LONGEST_PERIOD_DAYS`].
pub fn resolve_period(query: PeriodQuery, zone: &TimeZone) -> AppResult<Period> {
    let to = match query.to {
        Some(to) => to.start_in(zone, "to")?,
        None => corridor_store::now()
            .to_zoned(zone.clone())
            .date()
            .tomorrow()
            .and_then(|tomorrow| tomorrow.to_zoned(zone.clone()))
            .map_err(|error| AppError::internal_because("finding the end of today", error))?
            .timestamp(),
    };
    let from = match query.from {
        Some(from) => from.start_in(zone, "from")?,
        None => to - SignedDuration::from_hours(24 * DEFAULT_PERIOD_DAYS),
    };
    if to <= from {
        return Err(AppError::invalid("to", "must be after from"));
    }
    if to.duration_since(from) > SignedDuration::from_hours(24 * LONGEST_PERIOD_DAYS) {
        return Err(AppError::invalid(
            "to",
            format!("a period covers at most {LONGEST_PERIOD_DAYS} days"),
        ));
    }
    Ok(Period { from, to })
}

/// Figures for a period, as of when the facts were read.
#[derive(Debug, Clone)]
pub struct Figures<T> {
    pub period: Period,
    pub as_of: Timestamp,
    pub figures: T,
}

/// The idle-instrument question as a front end read it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct IdleQuery {
    pub min_value_yuan: Option<i64>,
    pub max_utilisation: Option<f64>,
    pub limit: Option<u32>,
}

/// Expensive instruments standing idle: the thresholds used, how many there are, and the
/// first of them (most expensive first).
#[derive(Debug, Clone)]
pub struct IdleInstruments {
    pub min_value: Fen,
    pub max_utilisation: f64,
    pub total: u64,
    pub items: Vec<IdleInstrument>,
}

/// An idle instrument with the instrument itself, to name it (`None` if it is gone since).
#[derive(Debug, Clone)]
pub struct NamedIdleInstrument {
    pub idle: IdleInstrument,
    pub instrument: Option<InstrumentWithPlace>,
}

/// Everything the analytics dashboard shows for a period.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub period: Period,
    pub as_of: Timestamp,
    /// The region's zone, in which the period's dates are shown.
    pub time_zone: TimeZone,
    pub usage: OriginUsage,
    pub province_flows: FlowMatrix,
    pub city_flows: FlowMatrix,
    pub utilisation_by_category: Vec<UtilisationRow>,
    /// How many instruments stand idle by the default thresholds…
    pub idle_total: usize,
    /// …and the first of them, named.
    pub idle_listed: Vec<NamedIdleInstrument>,
    pub categories: Vec<InstrumentCategory>,
    /// Every city of the region by code, to name the cities of the flows.
    pub cities: HashMap<u32, City>,
}

/// What the dashboard computes from one build of the facts for one period: five passes over
/// every booking of the period (most of a dashboard request's time on the demo region).
struct DashboardFacts {
    usage: OriginUsage,
    province_flows: FlowMatrix,
    city_flows: FlowMatrix,
    utilisation_by_category: Vec<UtilisationRow>,
    idle: Vec<IdleInstrument>,
}

/// Periods whose dashboard figures a node keeps per build of the facts; the default period
/// (the year up to today) is nearly every request, the rest are planners' own periods.
const MOST_KEPT_DASHBOARD_PERIODS: usize = 16;

/// The dashboard's figures for the periods asked for lately, computed from one build of the
/// facts. They are a function of the build and the period alone, so keeping them until the
/// next build (every few minutes, see `indexes/analytics.rs`) serves nothing older than the
/// facts themselves, on any number of nodes; what the dashboard reads from the store (the
/// idle instruments' records, categories, cities) is read on every request.
#[derive(Default)]
pub(crate) struct DashboardCache(std::sync::Mutex<Option<KeptDashboards>>);

struct KeptDashboards {
    /// The build they were computed from, compared by address: the weak reference keeps the
    /// build's allocation alive, so a later build cannot take the same address.
    build: std::sync::Weak<AnalyticsBuild>,
    periods: HashMap<(Timestamp, Timestamp), Arc<DashboardFacts>>,
}

impl DashboardCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<KeptDashboards>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn kept(&self, build: &Arc<AnalyticsBuild>, period: Period) -> Option<Arc<DashboardFacts>> {
        let kept = self.lock();
        let kept = kept.as_ref()?;
        if !std::ptr::eq(kept.build.as_ptr(), Arc::as_ptr(build)) {
            return None;
        }
        kept.periods.get(&(period.from, period.to)).cloned()
    }

    fn keep(&self, build: &Arc<AnalyticsBuild>, period: Period, facts: Arc<DashboardFacts>) {
        let mut kept = self.lock();
        let same_build = kept
            .as_ref()
            .is_some_and(|kept| std::ptr::eq(kept.build.as_ptr(), Arc::as_ptr(build)));
        if !same_build
            || kept
                .as_ref()
                .is_some_and(|kept| kept.periods.len() >= MOST_KEPT_DASHBOARD_PERIODS)
        {
            *kept = Some(KeptDashboards {
                build: Arc::downgrade(build),
                periods: HashMap::new(),
            });
        }
        if let Some(kept) = kept.as_mut() {
            kept.periods.insert((period.from, period.to), facts);
        }
    }
}

fn analytics_failed(error: AnalyticsError) -> AppError {
    AppError::internal_because("computing the analytics", error)
}

/// The analytics service (see the module's documentation).
pub struct Analytics<'a> {
    pub(crate) store: &'a dyn Store,
    pub(crate) facts: &'a AnalyticsService,
    pub(crate) dashboard_cache: &'a DashboardCache,
    pub(crate) rail: &'a Arc<RailService>,
    pub(crate) region_time_zone: &'a TimeZone,
}

impl Analytics<'_> {
    /// The period asked for, read in the region's time zone (see [`resolve_period`]).
    pub fn period(&self, query: PeriodQuery) -> AppResult<Period> {
        resolve_period(query, self.region_time_zone)
    }

    /// The region's time zone, in which periods are read and shown.
    pub fn time_zone(&self) -> &TimeZone {
        self.region_time_zone
    }

    /// The period and the current facts (waiting for the first build after start-up).
    async fn period_and_facts(
        &self,
        query: PeriodQuery,
    ) -> AppResult<(Period, Arc<AnalyticsBuild>)> {
        let period = self.period(query)?;
        Ok((period, self.facts.facts().await?))
    }

    /// Users, bookings, hours and fees of the instruments in scope, by the users' home
    /// province, institution kind and sector, and the share from the region.
    pub async fn usage_by_origin(
        &self,
        period: PeriodQuery,
        scope: &ProviderScope,
    ) -> AppResult<Figures<OriginUsage>> {
        let (period, build) = self.period_and_facts(period).await?;
        let usage = build
            .facts
            .usage_by_origin(period, scope)
            .map_err(analytics_failed)?;
        Ok(Figures {
            period,
            as_of: build.as_of,
            figures: usage,
        })
    }

    /// Bookings, hours and fees from users of each province (or city) at providers of each.
    pub async fn flows(
        &self,
        period: PeriodQuery,
        level: FlowLevel,
    ) -> AppResult<Figures<FlowMatrix>> {
        let (period, build) = self.period_and_facts(period).await?;
        let matrix = build.facts.flows(period, level).map_err(analytics_failed)?;
        Ok(Figures {
            period,
            as_of: build.as_of,
            figures: matrix,
        })
    }

    /// Booked against open hours, by top-level category, institution or city.
    pub async fn utilisation(
        &self,
        period: PeriodQuery,
        group: UtilisationGroup,
    ) -> AppResult<Figures<Vec<UtilisationRow>>> {
        let (period, build) = self.period_and_facts(period).await?;
        let rows = build
            .facts
            .utilisation(period, group)
            .map_err(analytics_failed)?;
        Ok(Figures {
            period,
            as_of: build.as_of,
            figures: rows,
        })
    }

    /// Instruments bought for at least the value and booked for at most the share of their
    /// open hours: the list a province's science office asks for.
    pub async fn idle_instruments(
        &self,
        period: PeriodQuery,
        query: IdleQuery,
    ) -> AppResult<Figures<IdleInstruments>> {
        let period = self.period(period)?;
        let min_value_yuan = query.min_value_yuan.unwrap_or(DEFAULT_IDLE_MIN_VALUE_YUAN);
        if !(0..=LARGEST_IDLE_MIN_VALUE_YUAN).contains(&min_value_yuan) {
            return Err(AppError::invalid(
                "min_value_yuan",
                "must be between 0 and 100,000,000,000",
            ));
        }
        let max_utilisation = query
            .max_utilisation
            .unwrap_or(DEFAULT_IDLE_MAX_UTILISATION);
        if !(0.0..=1.0).contains(&max_utilisation) {
            return Err(AppError::invalid(
                "max_utilisation",
                "must be a share between 0 and 1",
            ));
        }
        let limit = query.limit.unwrap_or(DEFAULT_IDLE_LISTED);
        if !(1..=MOST_IDLE_LISTED).contains(&limit) {
            return Err(AppError::invalid(
                "limit",
                format!("must be between 1 and {MOST_IDLE_LISTED}"),
            ));
        }
        let build = self.facts.facts().await?;
        let min_value = Fen::from_yuan(min_value_yuan);
        let mut idle = build
            .facts
            .idle_expensive(period, min_value, max_utilisation)
            .map_err(analytics_failed)?;
        let total = idle.len() as u64;
        idle.truncate(limit as usize);
        Ok(Figures {
            period,
            as_of: build.as_of,
            figures: IdleInstruments {
                min_value,
                max_utilisation,
                total,
                items: idle,
            },
        })
    }

    /// The dashboard's figures for a period: usage by origin, the province and city flows,
    /// utilisation by category, and the instruments idle by the default thresholds (the first
    /// `idle_named` of them named).
    pub async fn dashboard(&self, period: PeriodQuery, idle_named: usize) -> AppResult<Dashboard> {
        let (period, build) = self.period_and_facts(period).await?;
        let figures = match self.dashboard_cache.kept(&build, period) {
            Some(figures) => figures,
            None => {
                let figures = Arc::new(dashboard_facts(&build, period)?);
                self.dashboard_cache
                    .keep(&build, period, Arc::clone(&figures));
                figures
            }
        };
        let idle = &figures.idle;
        let categories = self.store.categories().await?;
        let cities = crate::catalogue::cities_by_code(self.store).await?;
        let mut idle_listed = Vec::new();
        for item in idle.iter().take(idle_named) {
            idle_listed.push(NamedIdleInstrument {
                idle: item.clone(),
                instrument: self.store.instrument(item.instrument).await?,
            });
        }
        Ok(Dashboard {
            period,
            as_of: build.as_of,
            time_zone: self.region_time_zone.clone(),
            usage: figures.usage.clone(),
            province_flows: figures.province_flows.clone(),
            city_flows: figures.city_flows.clone(),
            utilisation_by_category: figures.utilisation_by_category.clone(),
            idle_total: idle.len(),
            idle_listed,
            categories,
            cities,
        })
    }
}

/// The dashboard's figures computed from the facts (see [`DashboardCache`]).
fn dashboard_facts(build: &AnalyticsBuild, period: Period) -> AppResult<DashboardFacts> {
    let facts = &build.facts;
    Ok(DashboardFacts {
        usage: facts
            .usage_by_origin(period, &ProviderScope::default())
            .map_err(analytics_failed)?,
        province_flows: facts
            .flows(period, FlowLevel::Province)
            .map_err(analytics_failed)?,
        city_flows: facts
            .flows(period, FlowLevel::City)
            .map_err(analytics_failed)?,
        utilisation_by_category: facts
            .utilisation(period, UtilisationGroup::Category)
            .map_err(analytics_failed)?,
        idle: facts
            .idle_expensive(
                period,
                Fen::from_yuan(DEFAULT_IDLE_MIN_VALUE_YUAN),
                DEFAULT_IDLE_MAX_UTILISATION,
            )
            .map_err(analytics_failed)?,
    })
}
