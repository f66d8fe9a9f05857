//! Corridor's application layer: one service per area, each operation taking the acting
//! user and doing, once, what a use case needs: who may do what to which object, the input
//! limits, the store transaction, the refresh of the node's derived indexes, and the audit and
//! notification side effects.
//!
//! Front ends (the web crate's JSON API and pages, the binary's commands, a future gRPC or
//! mobile API) parse their input, call one operation and render its answer; they hold no
//! rule of their own.
//!
//! Architecture Invariant: this crate never depends on axum, askama, utoipa or any HTTP type.
//! Its errors are [`AppError`] with typed refusals; a front end maps them to its own shape in
//! one place.

pub mod accounts;
pub mod actor;
pub mod analytics;
pub mod beamtime;
pub mod bookings;
pub mod catalogue;
pub mod catalogue_export;
mod catalogue_export_xlsx;
pub mod catalogue_import;
pub mod cluster_reach;
pub mod dates;
pub mod enrolment;
pub mod error;
pub mod indexes;
pub mod jobs;
pub mod mail;
pub mod reach;
pub mod roster;
pub mod sign_in_limit;
pub mod sso;
pub mod vouchers;

use std::sync::Arc;

use corridor_domain::TimeZoneName;
use corridor_store::Store;
use jiff::tz::TimeZone;

pub use actor::Actor;
pub use error::{AppError, AppResult, Refusal};

use crate::indexes::analytics::AnalyticsService;
use crate::indexes::availability::AvailabilityService;
use crate::indexes::rail::RailService;
use crate::indexes::search::{SearchService, SearchServiceError};

/// Why a node could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("building the search index failed")]
    Search(#[source] SearchServiceError),
    #[error("building the availability index failed")]
    Availability(#[source] corridor_store::StoreError),
    #[error("reading the region failed")]
    Region(#[source] corridor_store::StoreError),
    #[error("building the rail routing index failed")]
    Rail(#[source] tokio::task::JoinError),
    #[error("reading the region's cities for the timetable failed")]
    RailCities(#[source] error::AppError),
    #[error("setting up the mailer failed")]
    Mail(#[source] mail::MailError),
    #[error("the single sign-on configuration was refused")]
    SingleSignOn(#[source] sso::config::SsoConfigError),
    #[error(
        "the single sign-on configuration names institution {0}, which the database does not hold"
    )]
    SingleSignOnInstitution(i64),
}

/// What a serving node runs besides answering requests.
#[derive(Debug, Clone, Default)]
pub struct NodeOptions {
    /// Deliver the notification outbox over SMTP; without it, notifications stay in the
    /// outbox.
    pub mail: Option<mail::MailerSettings>,
    /// The site's address as people reach it (`https://corridor.example`), for the links in
    /// mails; `http://127.0.0.1:8080` when not said.
    pub public_base_url: Option<String>,
    /// The identity providers people may sign in with; none when not said.
    pub sso: Option<sso::config::SsoConfig>,
}

/// Where mailed links point when a node is not told its public address.
pub const DEFAULT_PUBLIC_BASE_URL: &str = "http://127.0.0.1:8080";

/// The rail timetable a node routes on: the demo region's generated network, or an imported
/// one (a GTFS feed, a diagram, the station-level national network) whose stations are given
/// the region's city codes by their city's Chinese name.
pub enum RailSource {
    Demo,
    Timetable(corridor_rail::Timetable),
}

/// The application: the store and the node's derived indexes, and a service per area.
pub struct App {
    store: Arc<dyn Store>,
    search: Arc<SearchService>,
    availability: Arc<AvailabilityService>,
    analytics: Arc<AnalyticsService>,
    rail: Arc<RailService>,
    accounts: accounts::AccountsState,
    enrolment: enrolment::EnrolmentState,
    sso: sso::SsoState,
    public_base_url: String,
    mail_delivery_configured: bool,
    region_time_zone_name: TimeZoneName,
    region_time_zone: TimeZone,
    overview_cache: catalogue::OverviewCache,
    export_clock: catalogue_export::ExportClock,
    statistics_cache: beamtime::StatisticsCache,
    dashboard_cache: analytics::DashboardCache,
}

impl App {
    /// Builds the node's indexes from the store and starts what keeps them fresh (the
    /// change-log followers, the analytics rebuild) and the background jobs.
    pub async fn start(store: Arc<dyn Store>) -> Result<App, StartError> {
        App::start_with_rail(store, RailSource::Demo).await
    }

    /// As [`App::start`], routing on `rail`.
    pub async fn start_with_rail(
        store: Arc<dyn Store>,
        rail: RailSource,
    ) -> Result<App, StartError> {
        App::start_with_options(store, rail, NodeOptions::default()).await
    }

    /// As [`App::start_with_rail`], with the node's background jobs chosen by `options`.
    pub async fn start_with_options(
        store: Arc<dyn Store>,
        rail: RailSource,
        options: NodeOptions,
    ) -> Result<App, StartError> {
        let started = std::time::Instant::now();
        let search = Arc::new(
            SearchService::build(store.as_ref())
                .await
                .map_err(StartError::Search)?,
        );
        tracing::info!(
            instruments = search.index.len(),
            ms = started.elapsed().as_millis() as u64,
            "built the search index"
        );
        search.spawn_refresher(store.clone());
        let started = std::time::Instant::now();
        let availability = Arc::new(
            AvailabilityService::build(store.as_ref())
                .await
                .map_err(StartError::Availability)?,
        );
        tracing::info!(
            ms = started.elapsed().as_millis() as u64,
            "built the availability index"
        );
        availability.spawn_refresher(store.clone());
        // Built in the background: the server answers at once, and analytics requests wait
        // for the first build (a few seconds on the demo region).
        let analytics = Arc::new(AnalyticsService::default());
        analytics.spawn_refresher(store.clone());
        let rail = match rail {
            RailSource::Demo => tokio::task::spawn_blocking(RailService::demo).await,
            RailSource::Timetable(timetable) => {
                let cities = catalogue::all_cities(store.as_ref())
                    .await
                    .map_err(StartError::RailCities)?;
                let codes: Vec<(String, u32)> = cities
                    .iter()
                    .map(|city| {
                        (
                            city.city.name_zh.trim_end_matches('市').to_string(),
                            city.city.code.get(),
                        )
                    })
                    .collect();
                tokio::task::spawn_blocking(move || {
                    RailService::with_region_cities(timetable, &codes)
                })
                .await
            }
        };
        let rail = Arc::new(rail.map_err(StartError::Rail)?);
        let region_time_zone_name = region_time_zone(store.as_ref())
            .await
            .map_err(StartError::Region)?;
        let region_time_zone = region_time_zone_name.zone();
        jobs::spawn_voucher_expiry(store.clone(), region_time_zone.clone());
        jobs::spawn_booking_reminders(store.clone());
        let public_base_url = options
            .public_base_url
            .as_deref()
            .unwrap_or(DEFAULT_PUBLIC_BASE_URL)
            .trim_end_matches('/')
            .to_owned();
        let sso = match options.sso {
            Some(config) => sso_state(store.as_ref(), config, &public_base_url).await?,
            None => sso::SsoState::default(),
        };
        let mail_delivery_configured = options.mail.is_some();
        match options.mail {
            Some(settings) => {
                mail::spawn_mail_delivery(store.clone(), settings).map_err(StartError::Mail)?;
            }
            None => tracing::info!("no SMTP server configured: notifications stay in the outbox"),
        }
        Ok(App {
            store,
            search,
            availability,
            analytics,
            rail,
            accounts: accounts::AccountsState::new(),
            enrolment: enrolment::EnrolmentState::new(),
            sso,
            public_base_url,
            mail_delivery_configured,
            region_time_zone_name,
            region_time_zone,
            overview_cache: catalogue::OverviewCache::default(),
            export_clock: catalogue_export::ExportClock::default(),
            statistics_cache: beamtime::StatisticsCache::default(),
            dashboard_cache: analytics::DashboardCache::default(),
        })
    }

    /// The node's derived indexes, for tests and benchmarks that look inside them (front
    /// ends go through the services).
    pub fn search_index(&self) -> &Arc<SearchService> {
        &self.search
    }

    pub fn availability_index(&self) -> &Arc<AvailabilityService> {
        &self.availability
    }

    pub fn analytics_facts(&self) -> &Arc<AnalyticsService> {
        &self.analytics
    }

    pub fn rail_index(&self) -> &Arc<RailService> {
        &self.rail
    }

    /// The region's own time zone (from the stored region; UTC while none is stored).
    pub fn region_time_zone(&self) -> &TimeZone {
        &self.region_time_zone
    }

    /// The name of the region's time zone, for what must name it (calendar feeds).
    pub fn region_time_zone_name(&self) -> &TimeZoneName {
        &self.region_time_zone_name
    }

    pub fn accounts(&self) -> accounts::Accounts<'_> {
        accounts::Accounts {
            store: self.store.as_ref(),
            state: &self.accounts,
        }
    }

    pub fn roster(&self) -> roster::Roster<'_> {
        roster::Roster {
            store: self.store.as_ref(),
        }
    }

    pub fn enrolment(&self) -> enrolment::Enrolment<'_> {
        enrolment::Enrolment {
            accounts: self.store.as_ref(),
            password_workers: &self.accounts.password_workers,
            catalogue: self.store.as_ref(),
            state: &self.enrolment,
            public_base_url: &self.public_base_url,
        }
    }

    /// Whether this node delivers the outbox over SMTP (without it, mail waits in the outbox
    /// and the platform admin reads it in the mail viewer).
    pub fn mail_delivery_configured(&self) -> bool {
        self.mail_delivery_configured
    }

    /// The site's address as mailed links name it.
    pub fn public_base_url(&self) -> &str {
        &self.public_base_url
    }

    pub fn sso(&self) -> sso::Sso<'_> {
        sso::Sso {
            store: self.store.as_ref(),
            state: &self.sso,
        }
    }

    pub fn bookings(&self) -> bookings::Bookings<'_> {
        let store = self.store.as_ref();
        bookings::Bookings {
            bookings: store,
            catalogue: store,
            vouchers: store,
            identity: store,
            store,
            availability: &self.availability,
        }
    }

    pub fn catalogue(&self) -> catalogue::Catalogue<'_> {
        catalogue::Catalogue {
            store: self.store.as_ref(),
            overview_cache: &self.overview_cache,
            export_clock: &self.export_clock,
            search: &self.search,
            availability: &self.availability,
            rail: &self.rail,
            region_time_zone: &self.region_time_zone,
        }
    }

    pub fn vouchers(&self) -> vouchers::Vouchers<'_> {
        vouchers::Vouchers {
            store: self.store.as_ref(),
            region_time_zone: &self.region_time_zone,
        }
    }

    pub fn beamtime(&self) -> beamtime::Beamtime<'_> {
        beamtime::Beamtime {
            store: self.store.as_ref(),
            region_time_zone: &self.region_time_zone,
            statistics_cache: &self.statistics_cache,
        }
    }

    pub fn analytics(&self) -> analytics::Analytics<'_> {
        analytics::Analytics {
            store: self.store.as_ref(),
            facts: &self.analytics,
            dashboard_cache: &self.dashboard_cache,
            rail: &self.rail,
            region_time_zone: &self.region_time_zone,
        }
    }

    pub fn reach(&self) -> reach::Reach<'_> {
        reach::Reach { rail: &self.rail }
    }

    /// Liveness and readiness: whether the database answers and holds a region.
    pub async fn health(&self) -> Health {
        let backend = self.store.backend().as_str();
        match (self.store.ping().await, self.store.region().await) {
            (Ok(()), Ok(region)) => Health {
                backend,
                database_answers: true,
                region_loaded: region.is_some(),
            },
            (Err(error), _) | (_, Err(error)) => {
                tracing::error!(error = %indexes::error_chain(&error), "health check failed");
                Health {
                    backend,
                    database_answers: false,
                    region_loaded: false,
                }
            }
        }
    }
}

/// What the health check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Health {
    pub backend: &'static str,
    pub database_answers: bool,
    pub region_loaded: bool,
}

/// The stored region's time zone; UTC while no region is stored.
pub async fn region_time_zone(
    store: &dyn Store,
) -> Result<TimeZoneName, corridor_store::StoreError> {
    Ok(match store.region().await? {
        Some(region) => region.time_zone,
        None => TimeZoneName::utc(),
    })
}

/// The node's identity providers, once every institution their configuration names is found
/// in the database: a mapping to nothing would refuse every person it was meant to admit.
async fn sso_state(
    store: &dyn Store,
    config: sso::config::SsoConfig,
    public_base_url: &str,
) -> Result<sso::SsoState, StartError> {
    let config = config.checked().map_err(StartError::SingleSignOn)?;
    for provider in &config.providers {
        for institution in provider.mapped_institutions() {
            let found = store
                .institution(institution)
                .await
                .map_err(StartError::Region)?;
            if found.is_none() {
                return Err(StartError::SingleSignOnInstitution(institution.0));
            }
        }
    }
    tracing::info!(
        providers = config.providers.len(),
        "single sign-on configured"
    );
    sso::SsoState::new(config, public_base_url).map_err(StartError::SingleSignOn)
}
