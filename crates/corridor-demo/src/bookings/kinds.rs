//! Kinds of instruments: the calendar rules and demand each kind of instrument gets.

use super::*;

/// How a kind of instrument is booked: its slot grid, the lengths users book in office
/// hours and on round-the-clock instruments, and how much it is in demand (a fraction of
/// open time before [`DEMAND_SCALE`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct Kind {
    pub(super) slot: u32,
    pub(super) min: u32,
    pub(super) day_lengths: (u32, u32),
    pub(super) day_max: u32,
    pub(super) run_lengths: (u32, u32),
    pub(super) run_max: u32,
    pub(super) demand: f64,
}

pub(super) const H: u32 = 60;
pub(super) const DAY: u32 = 1440;

#[allow(clippy::too_many_arguments)]
pub(super) const fn k(
    slot: u32,
    min: u32,
    day_lengths: (u32, u32),
    day_max: u32,
    run_lengths: (u32, u32),
    run_max: u32,
    demand: f64,
) -> Kind {
    Kind {
        slot,
        min,
        day_lengths,
        day_max,
        run_lengths,
        run_max,
        demand,
    }
}

pub(super) const DEFAULT_KIND: Kind = k(30, 30, (H, 4 * H), 8 * H, (H, 12 * H), DAY, 0.15);
/// Quick measurements: a spectrum, a plate, a particle size.
pub(super) const QUICK: Kind = k(15, 15, (15, 2 * H), 4 * H, (15, 4 * H), 8 * H, 0.11);
/// Routine separations and analyses that run a sample sequence, overnight if allowed.
pub(super) const ROUTINE_RUNS: Kind = k(30, 30, (H, 8 * H), 8 * H, (4 * H, DAY), 2 * DAY, 0.10);
/// Field and long-exposure instruments, deployed for days.
pub(super) const DEPLOYED: Kind = k(
    60,
    4 * H,
    (8 * H, 8 * H),
    8 * H,
    (DAY, 7 * DAY),
    14 * DAY,
    0.04,
);

/// The booking profile of a template, from its subclass and name.
#[rustfmt::skip]
pub(super) fn kind_of(category: &str, name: &str) -> Kind {
    let has = |text: &str| name.contains(text);
    match category {
        "0101" if has("cryo") => k(60, 4 * H, (4 * H, 8 * H), 8 * H, (8 * H, 2 * DAY), 2 * DAY, 0.7),
        "0101" if has("Aberration") => k(60, 2 * H, (3 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.6),
        "0101" if has("Biological") => k(60, H, (2 * H, 6 * H), 8 * H, (2 * H, 12 * H), DAY, 0.4),
        "0101" if has("transmission") => k(60, H, (2 * H, 8 * H), 8 * H, (2 * H, 12 * H), DAY, 0.5),
        "0101" if has("ion beam") => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, 16 * H), DAY, 0.5),
        "0101" if has("Field-emission") => k(30, 30, (H, 4 * H), 8 * H, (H, 8 * H), 12 * H, 0.5),
        "0101" if has("probe") => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, 12 * H), DAY, 0.35),
        "0101" => k(30, 30, (30, 3 * H), 8 * H, (H, 6 * H), 12 * H, 0.35),
        "0102" if has("liquid chromatography") => k(30, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), 2 * DAY, 0.55),
        "0102" if has("Gas chromatography") => k(30, H, (H, 6 * H), 8 * H, (4 * H, DAY), 2 * DAY, 0.45),
        "0102" if has("plasma") => k(30, 30, (H, 5 * H), 8 * H, (2 * H, 12 * H), DAY, 0.45),
        "0102" if has("MALDI") => k(30, 30, (30, 3 * H), 4 * H, (30, 6 * H), 8 * H, 0.4),
        "0102" => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.45),
        "0103" if has("Powder") => k(30, 30, (30, 3 * H), 8 * H, (H, 12 * H), DAY, 0.3),
        "0103" if has("Single-crystal") => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), 2 * DAY, 0.35),
        "0103" if has("photoelectron") => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.4),
        "0103" if has("fluorescence") => k(15, 15, (30, 2 * H), 4 * H, (30, 4 * H), 8 * H, 0.2),
        "0103" if has("micro-CT") => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), 2 * DAY, 0.35),
        "0103" => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.3),
        "0104" if has("Raman") => k(30, 30, (H, 4 * H), 8 * H, (H, 8 * H), 12 * H, 0.25),
        "0104" if has("Femtosecond") => k(60, H, (4 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.3),
        "0104" if has("optical emission") => k(30, 30, (H, 4 * H), 8 * H, (H, 8 * H), DAY, 0.18),
        "0104" if has("Steady-state") => k(30, 30, (30, 3 * H), 8 * H, (30, 6 * H), 12 * H, 0.12),
        "0104" if has("Atomic absorption") => Kind { demand: 0.09, ..QUICK },
        "0104" => QUICK,
        "0105" if has("Ultra-high") => Kind { demand: 0.12, ..ROUTINE_RUNS },
        "0105" => ROUTINE_RUNS,
        "0106" if has("400 MHz") => k(60, H, (H, 4 * H), 8 * H, (H, 12 * H), DAY, 0.5),
        "0106" if has("500 MHz") => k(60, H, (H, 6 * H), 8 * H, (2 * H, DAY), DAY, 0.55),
        "0106" if has("600 MHz") => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, 2 * DAY), 2 * DAY, 0.6),
        "0106" if has("800 MHz") => k(60, 2 * H, (4 * H, 8 * H), 8 * H, (12 * H, 3 * DAY), 3 * DAY, 0.7),
        "0106" => k(30, 30, (H, 4 * H), 8 * H, (2 * H, 12 * H), DAY, 0.3),
        "0107" => k(30, 30, (H, 8 * H), 8 * H, (4 * H, 2 * DAY), 3 * DAY, 0.08),
        "0108" if has("Confocal") => k(30, 30, (H, 4 * H), 8 * H, (H, 8 * H), 12 * H, 0.35),
        "0108" if has("Super-resolution") || has("Multiphoton") => k(60, H, (2 * H, 8 * H), 8 * H, (2 * H, 12 * H), DAY, 0.38),
        "0108" if has("Atomic force") => k(30, 30, (H, 4 * H), 8 * H, (H, 12 * H), DAY, 0.3),
        "0108" => k(15, 15, (30, 3 * H), 4 * H, (30, 4 * H), 8 * H, 0.1),
        "0109" if has("Simultaneous") => k(30, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.15),
        "0109" => k(30, 30, (H, 6 * H), 8 * H, (2 * H, DAY), DAY, 0.1),
        "0110" if has("Flow cytometer") => k(30, 30, (30, 3 * H), 4 * H, (30, 4 * H), 8 * H, 0.35),
        "0110" if has("cell sorter") => k(60, H, (2 * H, 6 * H), 8 * H, (2 * H, 8 * H), 12 * H, 0.4),
        "0110" if has("Mass cytometer") => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.45),
        "0110" if has("Production-scale") => k(60, 4 * H, (4 * H, 8 * H), 8 * H, (DAY, 2 * DAY), 3 * DAY, 0.65),
        "0110" if has("sequencer") => k(60, 2 * H, (4 * H, 8 * H), 8 * H, (8 * H, 2 * DAY), 2 * DAY, 0.5),
        "0110" if has("Single-cell") => k(30, H, (2 * H, 6 * H), 8 * H, (2 * H, 8 * H), 12 * H, 0.35),
        "0110" if has("plasmon") => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), 2 * DAY, 0.3),
        "0110" if has("ultracentrifuge") => k(30, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.1),
        "0110" if has("protein liquid") => k(30, 30, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.12),
        "0110" if has("PCR") => k(30, 30, (H, 3 * H), 4 * H, (H, 4 * H), 8 * H, 0.1),
        "0110" => Kind { demand: 0.1, ..QUICK },
        "0111" => k(30, 30, (H, 4 * H), 8 * H, (2 * H, 12 * H), DAY, 0.08),
        "0112" if has("Freeze") => k(60, H, (4 * H, 8 * H), 8 * H, (12 * H, 2 * DAY), 3 * DAY, 0.12),
        "0112" => k(30, 30, (H, 3 * H), 4 * H, (H, 6 * H), 8 * H, 0.08),
        "0201" if has("fatigue") => k(60, H, (4 * H, 8 * H), 8 * H, (DAY, 3 * DAY), 7 * DAY, 0.2),
        "0201" if has("Nanoindenter") => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.25),
        "0201" if has("rheometer") => k(30, 30, (H, 4 * H), 8 * H, (H, 12 * H), DAY, 0.15),
        "0201" => k(30, 30, (H, 4 * H), 8 * H, (H, 8 * H), DAY, 0.12),
        "0205" if has("porosity") => k(60, H, (4 * H, 8 * H), 8 * H, (12 * H, 2 * DAY), 2 * DAY, 0.15),
        "0205" => Kind { demand: 0.12, ..QUICK },
        "0206" => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.2),
        "0207" => k(60, H, (4 * H, 8 * H), 8 * H, (DAY, 4 * DAY), 7 * DAY, 0.45),
        "0301" if has("Coordinate") => k(30, 30, (H, 4 * H), 8 * H, (H, 8 * H), DAY, 0.1),
        "0301" => Kind { demand: 0.08, ..QUICK },
        "0401" | "0402" => k(30, 30, (H, 4 * H), 8 * H, (2 * H, DAY), DAY, 0.065),
        "0405" if has("wafer") || has("test system") => k(60, H, (4 * H, 8 * H), 8 * H, (8 * H, 2 * DAY), 2 * DAY, 0.32),
        "0405" => k(30, 30, (H, 4 * H), 8 * H, (2 * H, DAY), DAY, 0.12),
        "0605" => k(30, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.4),
        "0603" => k(60, 4 * H, (8 * H, 8 * H), 8 * H, (3 * DAY, 14 * DAY), 14 * DAY, 0.04),
        "0801" if has("climatic") => k(60, H, (4 * H, 8 * H), 8 * H, (DAY, 5 * DAY), 7 * DAY, 0.15),
        "0801" => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.15),
        "0802" => k(60, H, (4 * H, 8 * H), 8 * H, (8 * H, 2 * DAY), 2 * DAY, 0.2),
        "0803" if has("vacuum") => k(60, 4 * H, (8 * H, 8 * H), 8 * H, (DAY, 5 * DAY), 7 * DAY, 0.15),
        "0803" => k(60, H, (4 * H, 8 * H), 8 * H, (8 * H, DAY), DAY, 0.15),
        "0901" => k(60, H, (2 * H, 8 * H), 8 * H, (8 * H, DAY), DAY, 0.2),
        "1002" if has("MRI") || has("PET") => k(60, H, (H, 4 * H), 8 * H, (H, 8 * H), 12 * H, 0.3),
        "1002" if has("optical") => k(30, 30, (30, 2 * H), 4 * H, (30, 4 * H), 8 * H, 0.25),
        "1002" => k(30, 30, (H, 3 * H), 4 * H, (H, 4 * H), 8 * H, 0.2),
        "1003" => k(60, H, (4 * H, 8 * H), 8 * H, (4 * H, 12 * H), DAY, 0.3),
        "1101" => k(60, H, (4 * H, 8 * H), 8 * H, (DAY, 3 * DAY), 7 * DAY, 0.15),
        "1102" => k(60, 2 * H, (4 * H, 8 * H), 8 * H, (8 * H, DAY), 2 * DAY, 0.35),
        "1201" if has("Electron-beam") => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.4),
        "1201" if has("mask aligner") => k(30, 30, (H, 3 * H), 4 * H, (H, 4 * H), 8 * H, 0.25),
        "1201" if has("Maskless") => k(60, H, (2 * H, 6 * H), 8 * H, (2 * H, 12 * H), DAY, 0.3),
        "1201" => k(30, 30, (H, 4 * H), 8 * H, (H, 8 * H), DAY, 0.3),
        "1202" if has("Molecular beam") => k(60, 4 * H, (8 * H, 8 * H), 8 * H, (DAY, 5 * DAY), 7 * DAY, 0.45),
        "1202" if has("Magnetron") => k(60, H, (2 * H, 6 * H), 8 * H, (2 * H, 12 * H), DAY, 0.25),
        "1202" => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.3),
        "1203" => k(60, H, (2 * H, 8 * H), 8 * H, (8 * H, 2 * DAY), 3 * DAY, 0.1),
        "1204" => k(60, H, (4 * H, 8 * H), 8 * H, (12 * H, 2 * DAY), 3 * DAY, 0.25),
        "1205" => k(60, 4 * H, (8 * H, 8 * H), 8 * H, (DAY, 7 * DAY), 14 * DAY, 0.15),
        "1301" if has("GPU") => k(60, H, (4 * H, 8 * H), 8 * H, (4 * H, 3 * DAY), 7 * DAY, 0.5),
        "1301" => k(60, H, (4 * H, 8 * H), 8 * H, (4 * H, 3 * DAY), 7 * DAY, 0.4),
        "1401" => k(30, 30, (H, 4 * H), 8 * H, (H, 8 * H), DAY, 0.15),
        "1402" => k(60, H, (4 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.3),
        "9902" => k(60, 4 * H, (8 * H, 8 * H), 8 * H, (2 * DAY, 10 * DAY), 14 * DAY, 0.5),
        _ if category.starts_with("05") || category.starts_with("07") => DEPLOYED,
        _ => DEFAULT_KIND,
    }
}

/// How much busier an institution's instruments are than the kind alone says.
pub(super) fn institution_factor(institution: &Institution) -> f64 {
    match institution.kind {
        InstitutionKind::University => match institution.university_tier {
            Some(UniversityTier::Project985) => 1.6,
            Some(UniversityTier::Project211) => 1.15,
            _ => 0.7,
        },
        InstitutionKind::ResearchInstitute => 1.35,
        InstitutionKind::FacilityOperator => 1.3,
        InstitutionKind::Hospital => 0.9,
        InstitutionKind::Corporation => 0.65,
    }
}

pub(super) fn draw_rules(
    rng: &mut ChaCha8Rng,
    kind: Kind,
    round_the_clock: bool,
    popularity: f64,
) -> CalendarRules {
    let max = if round_the_clock {
        kind.run_max
    } else {
        kind.day_max
    }
    .min(LONGEST_BOOKING_MINUTES);
    // Big instruments want more notice; bench instruments can be booked on the spot.
    let (lead, cancellation) = if kind.slot >= 60 {
        (
            [60, 120, 240, 720, 1440][rng.gen_range(0..5)],
            [720, 1440, 1440, 2880][rng.gen_range(0..4)],
        )
    } else {
        (
            [0, 0, 30, 60, 60, 120, 240][rng.gen_range(0..7)],
            [120, 240, 720, 1440, 1440][rng.gen_range(0..5)],
        )
    };
    // Popular instruments get a weekly quota so that one group cannot take them over.
    let quota = if rng.gen_bool((popularity * 0.85).clamp(0.01, 0.8)) {
        let wanted = if round_the_clock {
            [DAY, 2 * DAY, 3 * DAY][rng.gen_range(0..3)]
        } else {
            [8 * H, 12 * H, 16 * H, 20 * H][rng.gen_range(0..4)]
        };
        Some(wanted.max(max))
    } else {
        None
    };
    CalendarRules::new(kind.slot, kind.min, max, lead, cancellation, quota)
        .expect("kind tables give valid rules")
}
