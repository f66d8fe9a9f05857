//! Stage two of beamtime allocation: placing each grant's shifts on its beamline's calendar.
//!
//! A beamline's cycle is a row of shifts (three a day); some are not for users (machine
//! development, maintenance). A grant wants its shifts in one contiguous block (one setup),
//! outside the days its team cannot come. Beamlines are independent, so each is placed on its
//! own: grants longest first (the hardest to fit), each in the earliest window that fits whole;
//! one that fits nowhere whole is split into the fewest blocks that fit. The bound it is
//! measured against is what no schedule can beat: every granted shift placed, one block per
//! grant. [`validate_schedule`] checks a schedule without trusting the placer, and
//! [`replan_without_day`] moves only the shifts a lost beam day takes.

use std::collections::BTreeSet;

use serde::Serialize;

use super::review::ProposalId;

pub const SHIFTS_PER_DAY: u32 = 3;

/// One beamline's cycle: which shifts are open to users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeamlineCalendar {
    pub open: Vec<bool>,
}

/// A grant to place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub proposal: ProposalId,
    pub beamline: usize,
    pub shifts: u32,
    /// Days of the cycle (0-based) the team cannot be there.
    pub unavailable_days: BTreeSet<u32>,
}

/// Shifts `start .. start + length` of a beamline, for one grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Block {
    pub beamline: usize,
    pub start: u32,
    pub length: u32,
    /// Index of the grant in the list given.
    pub grant: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schedule {
    pub blocks: Vec<Block>,
    /// Shifts of each grant that found no place.
    pub unplaced: Vec<(usize, u32)>,
}

impl Schedule {
    pub fn placed_shifts(&self) -> u64 {
        self.blocks
            .iter()
            .map(|block| u64::from(block.length))
            .sum()
    }

    /// Setups beyond one per grant: the blocks a split grant added.
    pub fn extra_setups(&self, grants: usize) -> u64 {
        let mut per_grant = vec![0u64; grants];
        for block in &self.blocks {
            per_grant[block.grant] += 1;
        }
        per_grant
            .iter()
            .map(|blocks| blocks.saturating_sub(1))
            .sum()
    }
}

/// What no schedule can beat: every granted shift placed (within the open shifts), one block
/// per grant. The score is placed shifts minus a tenth of a shift per extra setup.
pub fn schedule_bound(grants: &[Grant], calendars: &[BeamlineCalendar]) -> f64 {
    let mut per_beamline = vec![0u64; calendars.len()];
    for grant in grants {
        per_beamline[grant.beamline] += u64::from(grant.shifts);
    }
    per_beamline
        .iter()
        .zip(calendars)
        .map(|(wanted, calendar)| {
            (*wanted).min(calendar.open.iter().filter(|open| **open).count() as u64) as f64
        })
        .sum()
}

pub fn schedule_score(schedule: &Schedule, grants: usize) -> f64 {
    schedule.placed_shifts() as f64 - 0.1 * schedule.extra_setups(grants) as f64
}

fn usable(calendar: &BeamlineCalendar, taken: &[bool], grant: &Grant, shift: u32) -> bool {
    let index = shift as usize;
    index < calendar.open.len()
        && calendar.open[index]
        && !taken[index]
        && !grant.unavailable_days.contains(&(shift / SHIFTS_PER_DAY))
}

/// Places `grant` on its beamline's free shifts; answers its blocks and what did not fit.
fn place(
    grant_index: usize,
    grant: &Grant,
    mut wanted: u32,
    calendar: &BeamlineCalendar,
    taken: &mut [bool],
) -> (Vec<Block>, u32) {
    let total = calendar.open.len() as u32;
    let mut blocks = Vec::new();
    // Windows of usable shifts, as (start, length).
    let windows = |taken: &[bool]| {
        let mut windows = Vec::new();
        let mut start = None;
        for shift in 0..=total {
            let ok = shift < total && usable(calendar, taken, grant, shift);
            match (ok, start) {
                (true, None) => start = Some(shift),
                (false, Some(first)) => {
                    windows.push((first, shift - first));
                    start = None;
                }
                _ => {}
            }
        }
        windows
    };
    while wanted > 0 {
        let available = windows(taken);
        if available.is_empty() {
            break;
        }
        // The earliest window that holds what is left whole; else the largest, filled.
        let (start, length) = available
            .iter()
            .find(|(_, length)| *length >= wanted)
            .copied()
            .unwrap_or_else(|| {
                *available
                    .iter()
                    .max_by_key(|(start, length)| (*length, std::cmp::Reverse(*start)))
                    .expect("not empty")
            });
        let used = length.min(wanted);
        for shift in start..start + used {
            taken[shift as usize] = true;
        }
        blocks.push(Block {
            beamline: grant.beamline,
            start,
            length: used,
            grant: grant_index,
        });
        wanted -= used;
    }
    (blocks, wanted)
}

/// Places every grant (see the module comment).
pub fn schedule_grants(grants: &[Grant], calendars: &[BeamlineCalendar]) -> Schedule {
    let mut taken: Vec<Vec<bool>> = calendars
        .iter()
        .map(|calendar| vec![false; calendar.open.len()])
        .collect();
    let mut order: Vec<usize> = (0..grants.len())
        .filter(|index| grants[*index].beamline < calendars.len())
        .collect();
    order.sort_by(|a, b| grants[*b].shifts.cmp(&grants[*a].shifts).then(a.cmp(b)));
    let mut schedule = Schedule {
        blocks: Vec::new(),
        unplaced: Vec::new(),
    };
    for index in order {
        let grant = &grants[index];
        let (blocks, left) = place(
            index,
            grant,
            grant.shifts,
            &calendars[grant.beamline],
            &mut taken[grant.beamline],
        );
        schedule.blocks.extend(blocks);
        if left > 0 {
            schedule.unplaced.push((index, left));
        }
    }
    schedule.blocks.sort();
    schedule
}

/// A hard rule a schedule breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ScheduleViolation {
    Overlap { beamline: usize, shift: u32 },
    ClosedShift { beamline: usize, shift: u32 },
    TeamUnavailable { grant: usize, day: u32 },
    WrongBeamline { grant: usize },
    TooManyShifts { grant: usize, placed: u32 },
    EmptyBlock { grant: usize },
}

/// Checks a schedule against the calendars and the grants, without trusting the placer.
pub fn validate_schedule(
    grants: &[Grant],
    calendars: &[BeamlineCalendar],
    schedule: &Schedule,
) -> Vec<ScheduleViolation> {
    let mut violations = Vec::new();
    let mut used: Vec<Vec<bool>> = calendars
        .iter()
        .map(|calendar| vec![false; calendar.open.len()])
        .collect();
    let mut placed = vec![0u32; grants.len()];
    for block in &schedule.blocks {
        let Some(grant) = grants.get(block.grant) else {
            violations.push(ScheduleViolation::WrongBeamline { grant: block.grant });
            continue;
        };
        if block.beamline != grant.beamline || block.beamline >= calendars.len() {
            violations.push(ScheduleViolation::WrongBeamline { grant: block.grant });
            continue;
        }
        if block.length == 0 {
            violations.push(ScheduleViolation::EmptyBlock { grant: block.grant });
        }
        for shift in block.start..block.start + block.length {
            let index = shift as usize;
            if index >= calendars[block.beamline].open.len()
                || !calendars[block.beamline].open[index]
            {
                violations.push(ScheduleViolation::ClosedShift {
                    beamline: block.beamline,
                    shift,
                });
                continue;
            }
            if used[block.beamline][index] {
                violations.push(ScheduleViolation::Overlap {
                    beamline: block.beamline,
                    shift,
                });
            }
            used[block.beamline][index] = true;
            let day = shift / SHIFTS_PER_DAY;
            if grant.unavailable_days.contains(&day) {
                violations.push(ScheduleViolation::TeamUnavailable {
                    grant: block.grant,
                    day,
                });
            }
        }
        placed[block.grant] += block.length;
    }
    for (index, grant) in grants.iter().enumerate() {
        if placed[index] > grant.shifts {
            violations.push(ScheduleViolation::TooManyShifts {
                grant: index,
                placed: placed[index],
            });
        }
    }
    violations
}

/// After a lost beam day on every beamline: the day's shifts close; a block that touched
/// them keeps its shifts before and after the day, and only the shifts lost are placed again
/// in what is free. Every other block stays. Answers the new schedule and how many shifts
/// moved.
pub fn replan_without_day(
    grants: &[Grant],
    calendars: &mut [BeamlineCalendar],
    schedule: &Schedule,
    day: u32,
) -> (Schedule, u64) {
    let lost = day * SHIFTS_PER_DAY..(day + 1) * SHIFTS_PER_DAY;
    for calendar in calendars.iter_mut() {
        for shift in lost.clone() {
            if let Some(open) = calendar.open.get_mut(shift as usize) {
                *open = false;
            }
        }
    }
    let mut taken: Vec<Vec<bool>> = calendars
        .iter()
        .map(|calendar| vec![false; calendar.open.len()])
        .collect();
    let mut kept = Vec::new();
    // Per grant, the shifts the day took from it.
    let mut to_place: std::collections::BTreeMap<usize, u32> = Default::default();
    for block in &schedule.blocks {
        let end = block.start + block.length;
        let overlap_start = block.start.max(lost.start);
        let overlap_end = end.min(lost.end);
        let pieces = if overlap_start < overlap_end {
            *to_place.entry(block.grant).or_default() += overlap_end - overlap_start;
            vec![(block.start, overlap_start), (overlap_end, end)]
        } else {
            vec![(block.start, end)]
        };
        for (from, to) in pieces {
            if from < to {
                for shift in from..to {
                    taken[block.beamline][shift as usize] = true;
                }
                kept.push(Block {
                    beamline: block.beamline,
                    start: from,
                    length: to - from,
                    grant: block.grant,
                });
            }
        }
    }
    let moved: u64 = to_place.values().map(|shifts| u64::from(*shifts)).sum();
    let mut unplaced = schedule.unplaced.clone();
    let mut order: Vec<(usize, u32)> = to_place.into_iter().collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (index, shifts) in order {
        let grant = &grants[index];
        let (blocks, left) = place(
            index,
            grant,
            shifts,
            &calendars[grant.beamline],
            &mut taken[grant.beamline],
        );
        kept.extend(blocks);
        if left > 0 {
            unplaced.push((index, left));
        }
    }
    kept.sort();
    (
        Schedule {
            blocks: kept,
            unplaced,
        },
        moved,
    )
}

#[cfg(test)]
mod tests;
