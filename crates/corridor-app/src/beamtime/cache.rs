//! The node's kept figures of each cycle, so that the cycle's public page, its analytics
//! dashboard and the statistics API do not recompute them from every proposal, decision and
//! person of the cycle on each request.
//!
//! Two rules keep them from going stale:
//! - every operation of this service that writes to a cycle forgets that cycle's figures once
//!   its transaction has ended, so this node answers its own writes at once;
//! - figures are kept for at most [`CYCLE_FIGURES_MAX_AGE`], because other nodes serving the
//!   same PostgreSQL database, and the binary's commands (demo generation, which runs the
//!   allocation directly on the store), write to cycles without this node hearing of it. The
//!   programme's tables do not append to the change log the search and calendar followers
//!   read, and a cycle changes a handful of times a day, so a short bound on the age is
//!   simpler than a second follower and wrong for at most that long on another node.
//!
//! A reader that computed its figures while a write was under way must not keep them, or the
//! cache would hold the figures from before the write until they age out: every forget
//! bumps a generation, a reader notes the generation before it reads anything of the cycle,
//! and figures are kept only if no forget happened in between.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use corridor_domain::facility::proposal::CycleId;

/// How old kept cycle figures may be before they are computed again, for the writes this
/// node does not hear of (see the module's documentation).
pub const CYCLE_FIGURES_MAX_AGE: Duration = Duration::from_secs(10);

/// The generation a reader noted before reading a cycle; see [`CycleCache::keep`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Generation {
    number: u64,
    /// When it was noted: the age of what is read after it.
    noted_at: Instant,
}

struct Kept<T> {
    computed_at: Instant,
    value: Arc<T>,
}

struct State<T> {
    generation: u64,
    kept: HashMap<CycleId, Kept<T>>,
}

/// Values computed from a cycle's records, kept per cycle on the node.
pub(crate) struct CycleCache<T> {
    state: Mutex<State<T>>,
}

impl<T> Default for CycleCache<T> {
    fn default() -> CycleCache<T> {
        CycleCache {
            state: Mutex::new(State {
                generation: 0,
                kept: HashMap::new(),
            }),
        }
    }
}

impl<T> CycleCache<T> {
    fn state(&self) -> std::sync::MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cycle's kept value, if it is younger than [`CYCLE_FIGURES_MAX_AGE`].
    pub(crate) fn fresh(&self, cycle: CycleId) -> Option<Arc<T>> {
        self.state()
            .kept
            .get(&cycle)
            .filter(|kept| kept.computed_at.elapsed() < CYCLE_FIGURES_MAX_AGE)
            .map(|kept| Arc::clone(&kept.value))
    }

    /// To be noted before reading anything the value is computed from.
    pub(crate) fn generation(&self) -> Generation {
        Generation {
            number: self.state().generation,
            noted_at: Instant::now(),
        }
    }

    /// Keeps `value` unless a cycle was forgotten since `seen` was noted: the reads behind it
    /// may then predate that write.
    pub(crate) fn keep(&self, cycle: CycleId, seen: Generation, value: Arc<T>) {
        let mut state = self.state();
        if state.generation != seen.number {
            return;
        }
        // Ages out what nobody asked for again, so that the map stays as small as the set of
        // cycles read within the age bound.
        state
            .kept
            .retain(|_, kept| kept.computed_at.elapsed() < CYCLE_FIGURES_MAX_AGE);
        state.kept.insert(
            cycle,
            Kept {
                computed_at: seen.noted_at,
                value,
            },
        );
    }

    /// Forgets the cycle's value after a write to the cycle.
    pub(crate) fn forget(&self, cycle: CycleId) {
        let mut state = self.state();
        state.generation += 1;
        state.kept.remove(&cycle);
    }
}
