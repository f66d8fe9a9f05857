//! The analytics facts the dashboards and `/api/v1/analytics/*` compute from: derived data,
//! built from the store in the background after start-up and rebuilt every
//! [`REFRESH_INTERVAL`], so the figures are at most that old (each answer says as of when).
//!
//! Why a periodic rebuild rather than following every change: a rebuild reads about a million
//! bookings in a few seconds of one core, while bookings change many times a second; planners
//! look at periods of months, for which a few minutes of lag change nothing.

use std::sync::Arc;
use std::time::Duration;

use corridor_domain::analytics::AnalyticsFacts;
use corridor_store::Store;
use jiff::Timestamp;
use tokio::sync::watch;

use crate::error::AppError;

pub const REFRESH_INTERVAL: Duration = Duration::from_secs(300);

/// One build of the facts and when its snapshot was read.
pub struct AnalyticsBuild {
    pub facts: AnalyticsFacts,
    pub as_of: Timestamp,
}

/// `None` until the first build ends; then the latest good build, or why no build succeeded
/// yet. A failed rebuild keeps serving the previous build (its `as_of` tells its age).
type CurrentBuild = Option<Result<Arc<AnalyticsBuild>, String>>;

pub struct AnalyticsService {
    current: watch::Sender<CurrentBuild>,
}

impl Default for AnalyticsService {
    fn default() -> AnalyticsService {
        AnalyticsService {
            current: watch::Sender::new(None),
        }
    }
}

impl AnalyticsService {
    /// Reads the snapshot and builds the facts; on success they replace the current ones.
    pub async fn refresh(&self, store: &dyn Store) -> Result<Arc<AnalyticsBuild>, String> {
        let built = Self::build(store).await;
        self.current
            .send_modify(|current| match (&built, current.as_ref()) {
                (Ok(build), _) => *current = Some(Ok(build.clone())),
                // Keep serving the last good build.
                (Err(_), Some(Ok(_))) => {}
                (Err(error), _) => *current = Some(Err(error.clone())),
            });
        built
    }

    async fn build(store: &dyn Store) -> Result<Arc<AnalyticsBuild>, String> {
        let as_of = corridor_store::now();
        let snapshot = store
            .analytics_snapshot()
            .await
            .map_err(|error| error.to_string())?;
        let facts = tokio::task::spawn_blocking(move || {
            AnalyticsFacts::build(
                snapshot.instruments,
                snapshot.institutions,
                snapshot.bookings,
            )
        })
        .await
        .map_err(|error| error.to_string())?
        .map_err(|error| error.to_string())?;
        Ok(Arc::new(AnalyticsBuild { facts, as_of }))
    }

    /// The current facts, waiting for the first build if it has not finished yet; an
    /// internal error when no build has succeeded (the next attempt comes with the refresh).
    pub async fn facts(&self) -> Result<Arc<AnalyticsBuild>, AppError> {
        let mut receiver = self.current.subscribe();
        loop {
            match receiver.borrow_and_update().clone() {
                Some(Ok(build)) => return Ok(build),
                Some(Err(error)) => {
                    return Err(AppError::internal(format!(
                        "the analytics could not be built: {error}"
                    )))
                }
                None => {}
            }
            if receiver.changed().await.is_err() {
                return Err(AppError::internal("the analytics service stopped"));
            }
        }
    }

    /// Builds now and then every [`REFRESH_INTERVAL`]; failures are logged and retried.
    pub fn spawn_refresher(self: &Arc<Self>, store: Arc<dyn Store>) -> tokio::task::JoinHandle<()> {
        let service = Arc::clone(self);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(REFRESH_INTERVAL);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let started = std::time::Instant::now();
                match service.refresh(store.as_ref()).await {
                    Ok(build) => tracing::info!(
                        bookings = build.facts.booking_count(),
                        ms = started.elapsed().as_millis() as u64,
                        "built the analytics facts"
                    ),
                    Err(error) => {
                        tracing::warn!(%error, "building the analytics facts failed; retrying")
                    }
                }
            }
        })
    }
}
