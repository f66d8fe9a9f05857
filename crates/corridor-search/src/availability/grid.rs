//! The cells of the horizon: instants to cells, and weekly opening hours to open cells.

use corridor_domain::WeeklyOpeningHours;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::bits::set_range;
use super::{CELL_NANOS, CELL_SECONDS};

/// The cells of the horizon: where they start and how many there are.
#[derive(Debug, Clone, Copy)]
pub(super) struct Grid {
    /// The first cell's start, seconds since the Unix epoch; a multiple of 1,800.
    pub(super) start_second: i64,
    pub(super) cells: usize,
    /// 64-bit words per instrument.
    pub(super) words: usize,
}

/// The cells a run may start at, `first..=last`, and how many cells a run touches.
#[derive(Debug, Clone, Copy)]
pub(super) struct RunStarts {
    pub(super) first: usize,
    pub(super) last: usize,
    pub(super) run_cells: usize,
}

impl Grid {
    pub(super) fn cell_start(&self, cell: usize) -> Timestamp {
        Timestamp::from_second(self.start_second + cell as i64 * CELL_SECONDS)
            .expect("the horizon lies inside jiff's range")
    }

    /// Nanoseconds from the horizon start.
    pub(super) fn offset(&self, instant: Timestamp) -> i128 {
        instant.as_nanosecond() - i128::from(self.start_second) * 1_000_000_000
    }

    pub(super) fn span(&self) -> i128 {
        self.cells as i128 * CELL_NANOS
    }

    /// The cells `[first, end)` that `[start, end)` touches at all, clipped to the horizon.
    pub(super) fn cells_touched(&self, start: Timestamp, end: Timestamp) -> Option<(usize, usize)> {
        let (start, end) = (self.offset(start).max(0), self.offset(end).min(self.span()));
        (start < end).then(|| {
            (
                start.div_euclid(CELL_NANOS) as usize,
                ceil_div(end, CELL_NANOS) as usize,
            )
        })
    }

    /// The cells `[first, end)` lying wholly inside `[start, end)`, clipped to the horizon.
    pub(super) fn cells_inside(&self, start: Timestamp, end: Timestamp) -> Option<(usize, usize)> {
        self.cells_inside_offsets(self.offset(start), self.offset(end))
    }

    pub(super) fn cells_inside_offsets(&self, start: i128, end: i128) -> Option<(usize, usize)> {
        let (start, end) = (start.max(0), end.min(self.span()));
        if start >= end {
            return None;
        }
        let (first, end) = (ceil_div(start, CELL_NANOS), end.div_euclid(CELL_NANOS));
        (first < end).then_some((first as usize, end as usize))
    }

    pub(super) fn run_starts(
        &self,
        window_start: Timestamp,
        window_end: Timestamp,
        run: SignedDuration,
    ) -> Option<RunStarts> {
        let run = run.as_nanos();
        if run <= 0 {
            return None;
        }
        let start = self.offset(window_start).max(0);
        let end = self.offset(window_end).min(self.span());
        if end - start < run {
            return None;
        }
        let first = ceil_div(start, CELL_NANOS);
        // The last start s has s·cell + run ≤ end; then s + run_cells ≤ cells follows.
        let last = (end - run).div_euclid(CELL_NANOS);
        (first <= last).then(|| RunStarts {
            first: first as usize,
            last: last as usize,
            run_cells: ceil_div(run, CELL_NANOS) as usize,
        })
    }

    /// The cells wholly inside the opening hours, read in `time_zone`.
    pub(super) fn open_cells(&self, hours: &WeeklyOpeningHours, time_zone: &TimeZone) -> Vec<u64> {
        let mut words = vec![0; self.words];
        if self.cells == 0 || hours.intervals().is_empty() {
            return words;
        }
        // One local day either side, so that no local date touching the horizon is missed.
        let first_date = time_zone.to_datetime(self.cell_start(0)).date();
        let last_date = time_zone.to_datetime(self.cell_start(self.cells)).date();
        let mut date = first_date.yesterday().unwrap_or(first_date);
        let last_date = last_date.tomorrow().unwrap_or(last_date);
        let mut open: Vec<(i128, i128)> = Vec::new();
        loop {
            let weekday = date.weekday();
            for interval in hours.intervals() {
                if interval.weekday() != weekday {
                    continue;
                }
                let start = local_instant(time_zone, date, interval.start.get());
                let end = local_instant(time_zone, date, interval.end.get());
                if let (Some(start), Some(end)) = (start, end) {
                    // A stretch that starts in a spring-forward gap can end before it starts.
                    if start < end {
                        open.push((self.offset(start), self.offset(end)));
                    }
                }
            }
            if date >= last_date {
                break;
            }
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => break,
            }
        }
        open.sort_unstable();
        let mut merged: Vec<(i128, i128)> = Vec::with_capacity(open.len());
        for (start, end) in open {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        for (start, end) in merged {
            if let Some((first, end)) = self.cells_inside_offsets(start, end) {
                set_range(words.as_mut_slice(), first, end, true);
            }
        }
        words
    }
}

/// The instant of a local date and minute of day (1440 is the next midnight), with the
/// compatible disambiguation.
fn local_instant(time_zone: &TimeZone, date: Date, minute: u16) -> Option<Timestamp> {
    let (date, minute) = if minute >= 1440 {
        (date.tomorrow().ok()?, 0)
    } else {
        (date, minute)
    };
    let time = date.at((minute / 60) as i8, (minute % 60) as i8, 0, 0);
    time_zone.to_ambiguous_timestamp(time).compatible().ok()
}

fn ceil_div(value: i128, divisor: i128) -> i128 {
    -(-value).div_euclid(divisor)
}
