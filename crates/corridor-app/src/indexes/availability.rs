//! Keeps a serving node's availability index (free/busy bitmaps of every instrument for the
//! coming weeks) in step with the store, like `search.rs` does for the text index.
//!
//! The index is built from the store at start-up. Every booking change made through this
//! node is applied at once; a background task follows the store's change log twice a second
//! for changes made elsewhere (entity `calendar`: the instrument's calendar is re-read;
//! entity `booking`: a new booking, whose range is marked busy without reading the rest), and
//! rebuilds the whole index once a day so that the horizon rolls forward.

use std::sync::Arc;

use corridor_domain::{BookingId, InstrumentId, TimeRange, TimeZoneName};
use corridor_search::availability::{
    AvailabilityIndex, InstrumentCalendarInput, SharedAvailability, DEFAULT_HORIZON_DAYS,
};
use corridor_store::{AvailabilityFacts, ChangeCursor, Store, StoreError};
use jiff::{SignedDuration, Timestamp};

use super::search::REFRESH_INTERVAL;
use super::FollowerCursor;

pub struct AvailabilityService {
    pub shared: SharedAvailability,
    /// Where the follower has read the change log to; replaced once a read is applied.
    cursor: FollowerCursor,
    horizon_days: u32,
}

fn calendar_input(facts: AvailabilityFacts) -> InstrumentCalendarInput {
    let zone =
        TimeZoneName::parse(&facts.time_zone).unwrap_or_else(|_| TimeZoneName::asia_shanghai());
    let mut input = InstrumentCalendarInput::new(facts.instrument, &zone, facts.opening_hours);
    input.closures = facts
        .closures
        .iter()
        .map(|range| (range.start, range.end))
        .collect();
    input.busy = facts
        .busy
        .iter()
        .map(|range| (range.start, range.end))
        .collect();
    input
}

/// The horizon starts at the beginning of the current UTC day, so it only moves once a day.
fn horizon_start(now: Timestamp) -> Timestamp {
    let seconds = now.as_second().div_euclid(86_400) * 86_400;
    Timestamp::from_second(seconds).unwrap_or(now)
}

impl AvailabilityService {
    pub async fn build(store: &dyn Store) -> Result<AvailabilityService, StoreError> {
        let cursor = ChangeCursor::at_latest(store, std::time::Instant::now()).await?;
        let index = Self::build_index(store, DEFAULT_HORIZON_DAYS).await?;
        Ok(AvailabilityService {
            shared: SharedAvailability::new(index),
            cursor: FollowerCursor::new(cursor),
            horizon_days: DEFAULT_HORIZON_DAYS,
        })
    }

    async fn build_index(
        store: &dyn Store,
        horizon_days: u32,
    ) -> Result<AvailabilityIndex, StoreError> {
        let start = horizon_start(corridor_store::now());
        let horizon = TimeRange {
            start,
            end: start + SignedDuration::from_hours(24 * i64::from(horizon_days)),
        };
        let facts = store.availability_facts(horizon, None).await?;
        let index = tokio::task::spawn_blocking(move || {
            AvailabilityIndex::build(start, horizon_days, facts.into_iter().map(calendar_input))
        })
        .await
        .map_err(|error| {
            StoreError::Corrupt(format!("building the availability index failed: {error}"))
        })?;
        Ok(index)
    }

    /// Re-reads one instrument's calendar into the index.
    pub async fn apply(
        &self,
        store: &dyn Store,
        instrument: InstrumentId,
    ) -> Result<(), StoreError> {
        self.apply_all(store, &[instrument]).await
    }

    /// Re-reads these instruments' calendars into the index with one store read (a busy
    /// refresh touches a hundred instruments; one read transaction each cost the readers a
    /// tenth of the machine under the booking hammer). Instruments the store no longer has
    /// are removed.
    pub async fn apply_all(
        &self,
        store: &dyn Store,
        instruments: &[InstrumentId],
    ) -> Result<(), StoreError> {
        if instruments.is_empty() {
            return Ok(());
        }
        let (start, end) = self.shared.snapshot().horizon();
        let facts = store
            .availability_facts(TimeRange { start, end }, Some(instruments))
            .await?;
        self.shared.update(|index| {
            let mut found = std::collections::HashSet::with_capacity(facts.len());
            for facts in facts {
                found.insert(facts.instrument);
                index.replace(calendar_input(facts));
            }
            for instrument in instruments {
                if !found.contains(instrument) {
                    index.remove(*instrument);
                }
            }
        });
        Ok(())
    }

    pub async fn refresh(&self, store: &dyn Store) -> Result<usize, StoreError> {
        let (start, _) = self.shared.snapshot().horizon();
        if corridor_store::now().duration_since(start) > SignedDuration::from_hours(24) {
            let index = Self::build_index(store, self.horizon_days).await?;
            self.shared.install(index);
        }
        let (changes, moved) = self.cursor.read(store).await?;
        let mut touched: Vec<InstrumentId> = changes
            .iter()
            .filter(|change| change.entity == "calendar" || change.entity == "instrument")
            .map(|change| InstrumentId(change.entity_id))
            .collect();
        // A written booking is read alone: a new one only marks its range busy. One that no
        // longer holds its time (cancelled or rejected since) frees time, which only a re-read
        // of its calendar can tell.
        let written: Vec<BookingId> = changes
            .iter()
            .filter(|change| change.entity == "booking")
            .map(|change| BookingId(change.entity_id))
            .collect();
        if !written.is_empty() {
            let spans = store.booking_spans(&written).await?;
            // Marked before the calendars below are re-read: a re-read is the later look, so
            // a booking cancelled since its span was read cannot stay marked by it.
            self.shared.update(|index| {
                for span in spans.iter().filter(|span| span.holding) {
                    index.mark_busy(span.instrument, span.range.start, span.range.end);
                }
            });
            touched.extend(
                spans
                    .iter()
                    .filter(|span| !span.holding)
                    .map(|span| span.instrument),
            );
        }
        touched.sort_unstable();
        touched.dedup();
        self.apply_all(store, &touched).await?;
        self.cursor.keep(moved);
        Ok(touched.len())
    }

    pub fn spawn_refresher(self: &Arc<Self>, store: Arc<dyn Store>) -> tokio::task::JoinHandle<()> {
        let service = Arc::clone(self);
        super::spawn_every(
            REFRESH_INTERVAL,
            "refreshing the availability index",
            move || {
                let (service, store) = (service.clone(), store.clone());
                async move { service.refresh(store.as_ref()).await.map(drop) }
            },
        )
    }
}
