use proptest::prelude::*;

use super::*;

fn calendar(days: u32, closed_days: &[u32]) -> BeamlineCalendar {
    BeamlineCalendar {
        open: (0..days * SHIFTS_PER_DAY)
            .map(|shift| !closed_days.contains(&(shift / SHIFTS_PER_DAY)))
            .collect(),
    }
}

fn grant(id: i64, beamline: usize, shifts: u32, unavailable: &[u32]) -> Grant {
    Grant {
        proposal: ProposalId(id),
        beamline,
        shifts,
        unavailable_days: unavailable.iter().copied().collect(),
    }
}

#[test]
fn grants_go_whole_around_closed_days_and_absent_teams() {
    // Ten days, day 2 is machine development.
    let calendars = vec![calendar(10, &[2])];
    let grants = vec![
        grant(1, 0, 9, &[0, 1]),
        grant(2, 0, 6, &[]),
        grant(3, 0, 3, &[]),
    ];
    let schedule = schedule_grants(&grants, &calendars);
    assert!(validate_schedule(&grants, &calendars, &schedule).is_empty());
    assert!(schedule.unplaced.is_empty());
    assert_eq!(schedule.extra_setups(grants.len()), 0);
    let first = schedule
        .blocks
        .iter()
        .find(|block| block.grant == 0)
        .unwrap();
    // Days 0-1 absent, day 2 closed: from day 3.
    assert_eq!((first.start, first.length), (9, 9));
    assert_eq!(
        schedule_score(&schedule, grants.len()),
        schedule_bound(&grants, &calendars)
    );
}

#[test]
fn a_grant_too_long_for_any_window_is_split_and_counted() {
    let calendars = vec![calendar(5, &[2])];
    let grants = vec![grant(1, 0, 12, &[])];
    let schedule = schedule_grants(&grants, &calendars);
    assert!(validate_schedule(&grants, &calendars, &schedule).is_empty());
    assert_eq!(schedule.placed_shifts(), 12);
    assert_eq!(schedule.extra_setups(1), 1);
    // Overbooked: what does not fit is reported.
    let too_much = vec![grant(1, 0, 20, &[])];
    let schedule = schedule_grants(&too_much, &calendars);
    assert_eq!(schedule.unplaced, vec![(0, 8)]);
}

#[test]
fn the_validator_finds_every_kind_of_violation() {
    let calendars = vec![calendar(3, &[1])];
    let grants = vec![grant(1, 0, 3, &[0]), grant(2, 0, 1, &[])];
    let bad = Schedule {
        blocks: vec![
            Block {
                beamline: 0,
                start: 0,
                length: 3,
                grant: 0,
            },
            Block {
                beamline: 0,
                start: 2,
                length: 2,
                grant: 1,
            },
            Block {
                beamline: 1,
                start: 0,
                length: 1,
                grant: 1,
            },
            Block {
                beamline: 0,
                start: 8,
                length: 0,
                grant: 0,
            },
        ],
        unplaced: Vec::new(),
    };
    let violations = validate_schedule(&grants, &calendars, &bad);
    let has = |check: fn(&ScheduleViolation) -> bool| violations.iter().any(check);
    assert!(
        has(|v| matches!(v, ScheduleViolation::Overlap { .. })),
        "{violations:?}"
    );
    assert!(has(|v| matches!(v, ScheduleViolation::ClosedShift { .. })));
    assert!(has(|v| matches!(
        v,
        ScheduleViolation::TeamUnavailable { .. }
    )));
    assert!(has(|v| matches!(
        v,
        ScheduleViolation::WrongBeamline { .. }
    )));
    assert!(has(|v| matches!(
        v,
        ScheduleViolation::TooManyShifts { .. }
    )));
    assert!(has(|v| matches!(v, ScheduleViolation::EmptyBlock { .. })));
}

#[test]
fn a_lost_day_moves_only_the_shifts_it_takes() {
    let mut calendars = vec![calendar(10, &[]), calendar(10, &[])];
    let grants = vec![
        grant(1, 0, 6, &[]),
        grant(2, 0, 6, &[]),
        grant(3, 1, 3, &[]),
        grant(4, 1, 9, &[]),
    ];
    let before = schedule_grants(&grants, &calendars);
    let (after, moved) = replan_without_day(&grants, &mut calendars, &before, 1);
    assert!(validate_schedule(&grants, &calendars, &after).is_empty());
    assert!(after.unplaced.is_empty());
    // Day 1 held three shifts on each beamline.
    assert_eq!(moved, 6);
    assert_eq!(after.placed_shifts(), before.placed_shifts());
    let lost = 3..6;
    for block in &after.blocks {
        assert!(
            block.start + block.length <= lost.start || block.start >= lost.end,
            "{block:?}"
        );
    }
    // Every shift outside the lost day stays with its grant.
    for block in &before.blocks {
        for shift in block.start..block.start + block.length {
            if !lost.contains(&shift) {
                assert!(after.blocks.iter().any(|kept| kept.grant == block.grant
                    && kept.beamline == block.beamline
                    && (kept.start..kept.start + kept.length).contains(&shift)));
            }
        }
    }
}

proptest! {
    /// Any calendars and grants: the schedule breaks no rule, never beats the bound, and
    /// accounts for every granted shift as placed or unplaced.
    #[test]
    fn schedules_are_valid_and_account_for_every_shift(
        closed in prop::collection::vec(prop::collection::btree_set(0u32..20, 0..4), 1..4),
        raw in prop::collection::vec((0usize..4, 1u32..15, prop::collection::btree_set(0u32..20, 0..3)), 0..25),
    ) {
        let calendars: Vec<BeamlineCalendar> = closed
            .iter()
            .map(|days| calendar(20, &days.iter().copied().collect::<Vec<_>>()))
            .collect();
        let grants: Vec<Grant> = raw
            .into_iter()
            .enumerate()
            .map(|(index, (beamline, shifts, unavailable))| Grant {
                proposal: ProposalId(index as i64),
                beamline: beamline % calendars.len(),
                shifts,
                unavailable_days: unavailable,
            })
            .collect();
        let schedule = schedule_grants(&grants, &calendars);
        prop_assert!(validate_schedule(&grants, &calendars, &schedule).is_empty());
        prop_assert!(schedule_score(&schedule, grants.len()) <= schedule_bound(&grants, &calendars) + 1e-9);
        let unplaced: u64 = schedule.unplaced.iter().map(|(_, left)| u64::from(*left)).sum();
        let wanted: u64 = grants.iter().map(|grant| u64::from(grant.shifts)).sum();
        prop_assert_eq!(schedule.placed_shifts() + unplaced, wanted);
    }
}
