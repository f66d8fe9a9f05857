//! Proposal cycles and proposals: the call a facility opens, and what a team submits to it.
//! The rules a submission must keep live here, so that the store, the API and the pages refuse
//! the same things with the same words.

use jiff::civil::Date;
use jiff::Timestamp;
use serde::Serialize;

use super::allocation::ProposalType;
use super::review::ProposalId;
use crate::{BeamlineId, InstitutionId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CycleId(pub i64);

/// A proposal cycle: its call (when proposals may be submitted) and the beam period it
/// allocates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cycle {
    pub id: CycleId,
    pub facility: InstitutionId,
    pub name: String,
    pub call_opens: Timestamp,
    pub call_closes: Timestamp,
    pub starts_on: Date,
    pub ends_on: Date,
    /// Days of the cycle without user beam: maintenance and machine development.
    pub closed_days: Vec<ClosedDay>,
}

/// Why a day of a cycle has no user beam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum ClosedReason {
    Maintenance,
    MachineDevelopment,
    /// Planned as user beam, lost to a fault: the shifts on it are placed again.
    BeamLost,
}

impl ClosedReason {
    pub fn as_code(self) -> &'static str {
        match self {
            ClosedReason::Maintenance => "maintenance",
            ClosedReason::MachineDevelopment => "machine_development",
            ClosedReason::BeamLost => "beam_lost",
        }
    }

    pub fn parse(code: &str) -> Result<ClosedReason, crate::DomainError> {
        match code {
            "maintenance" => Ok(ClosedReason::Maintenance),
            "machine_development" => Ok(ClosedReason::MachineDevelopment),
            "beam_lost" => Ok(ClosedReason::BeamLost),
            other => Err(crate::DomainError::invalid(
                "closed_days",
                format!("{other:?}: expected maintenance, machine_development or beam_lost"),
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ClosedDay {
    pub day: Date,
    pub reason: ClosedReason,
}

/// The hour the first shift of a day starts, and a shift's length.
pub const FIRST_SHIFT_HOUR: i8 = 8;
pub const SHIFT_HOURS: i64 = 8;

/// The longest cycle a facility plans at once (a year of beam).
pub const MAX_CYCLE_DAYS: i32 = 366;

impl Cycle {
    /// Days in the beam period, first and last included.
    pub fn days(&self) -> u32 {
        (self
            .ends_on
            .since(self.starts_on)
            .map(|span| span.get_days())
            .unwrap_or(0)
            + 1)
        .max(0) as u32
    }

    /// When shift `shift` of the cycle (day × 3 + shift of the day) starts, in the facility's
    /// local time: the day's shifts start at 08:00, 16:00 and midnight.
    pub fn shift_starts_at(&self, shift: u32) -> jiff::civil::DateTime {
        let first = self.starts_on.at(FIRST_SHIFT_HOUR, 0, 0, 0);
        first
            .checked_add(jiff::SignedDuration::from_hours(
                i64::from(shift) * SHIFT_HOURS,
            ))
            .unwrap_or(first)
    }

    /// The day's place in the cycle (0-based), if it falls within it.
    pub fn day_index(&self, day: Date) -> Option<u32> {
        if day < self.starts_on || day > self.ends_on {
            return None;
        }
        day.since(self.starts_on)
            .ok()
            .map(|span| span.get_days() as u32)
    }

    /// Checks a cycle before it is stored.
    pub fn check(&self) -> Result<(), crate::DomainError> {
        crate::bounded_text("name", &self.name, 200)?;
        if self.call_closes <= self.call_opens {
            return Err(crate::DomainError::invalid(
                "call_closes",
                "the call must close after it opens",
            ));
        }
        if self.ends_on < self.starts_on {
            return Err(crate::DomainError::invalid(
                "ends_on",
                "the cycle must end on or after its first day",
            ));
        }
        if self.days() as i32 > MAX_CYCLE_DAYS {
            return Err(crate::DomainError::invalid(
                "ends_on",
                format!("a cycle lasts at most {MAX_CYCLE_DAYS} days"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for closed in &self.closed_days {
            if self.day_index(closed.day).is_none() {
                return Err(crate::DomainError::invalid(
                    "closed_days",
                    format!("{} is outside the cycle", closed.day),
                ));
            }
            if !seen.insert(closed.day) {
                return Err(crate::DomainError::invalid(
                    "closed_days",
                    format!("{} is listed twice", closed.day),
                ));
            }
        }
        Ok(())
    }

    pub fn call_is_open(&self, now: Timestamp) -> bool {
        self.call_opens <= now && now < self.call_closes
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ProposalStatus {
    Draft,
    Submitted,
    Withdrawn,
}

impl ProposalStatus {
    pub fn as_code(self) -> &'static str {
        match self {
            ProposalStatus::Draft => "draft",
            ProposalStatus::Submitted => "submitted",
            ProposalStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(code: &str) -> Result<ProposalStatus, crate::DomainError> {
        match code {
            "draft" => Ok(ProposalStatus::Draft),
            "submitted" => Ok(ProposalStatus::Submitted),
            "withdrawn" => Ok(ProposalStatus::Withdrawn),
            other => Err(crate::DomainError::invalid(
                "status",
                format!("unknown proposal status {other:?}"),
            )),
        }
    }
}

impl ProposalType {
    pub fn as_code(self) -> &'static str {
        match self {
            ProposalType::General => "general",
            ProposalType::RapidAccess => "rapid_access",
            ProposalType::LongTerm => "long_term",
            ProposalType::Proprietary => "proprietary",
        }
    }

    pub fn parse(code: &str) -> Result<ProposalType, crate::DomainError> {
        match code {
            "general" => Ok(ProposalType::General),
            "rapid_access" => Ok(ProposalType::RapidAccess),
            "long_term" => Ok(ProposalType::LongTerm),
            "proprietary" => Ok(ProposalType::Proprietary),
            other => Err(crate::DomainError::invalid(
                "proposal_type",
                format!("{other:?}: expected general, rapid_access, long_term or proprietary"),
            )),
        }
    }
}

/// What a team writes before submitting; a draft may be incomplete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProposalDraft {
    pub proposal_type: ProposalType,
    pub discipline: Discipline,
    pub title: String,
    pub summary: String,
    pub techniques: Vec<String>,
    /// Team members besides the principal investigator.
    pub team: Vec<UserId>,
    /// Samples and their hazards, for the safety check.
    pub samples: String,
    /// The proposal of an earlier cycle this one asks again for (for aging).
    pub resubmission_of: Option<ProposalId>,
    /// Reviewers the team declares a conflict of interest with.
    pub declared_conflicts: Vec<UserId>,
    /// Shifts asked for per beamline.
    pub requests: Vec<(BeamlineId, u32)>,
    /// Days in the cycle the team cannot come.
    pub unavailable_days: Vec<Date>,
}

/// The review panels: a proposal is reviewed by the panel of its discipline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Discipline {
    LifeSciences,
    Chemistry,
    Materials,
    Physics,
    EarthAndEnvironment,
    EngineeringAndHeritage,
}

impl Discipline {
    pub const ALL: [Discipline; 6] = [
        Discipline::LifeSciences,
        Discipline::Chemistry,
        Discipline::Materials,
        Discipline::Physics,
        Discipline::EarthAndEnvironment,
        Discipline::EngineeringAndHeritage,
    ];

    pub fn as_code(self) -> &'static str {
        match self {
            Discipline::LifeSciences => "life_sciences",
            Discipline::Chemistry => "chemistry",
            Discipline::Materials => "materials",
            Discipline::Physics => "physics",
            Discipline::EarthAndEnvironment => "earth_environment",
            Discipline::EngineeringAndHeritage => "engineering_heritage",
        }
    }

    pub fn parse(code: &str) -> Result<Discipline, crate::DomainError> {
        Discipline::ALL
            .into_iter()
            .find(|discipline| discipline.as_code() == code)
            .ok_or_else(|| {
                crate::DomainError::invalid(
                    "discipline",
                    format!("{code:?}: expected one of life_sciences, chemistry, materials, physics, earth_environment, engineering_heritage"),
                )
            })
    }
}

/// The most people on one proposal's team besides its principal investigator.
pub const MAX_TEAM_MEMBERS: usize = 20;

/// The most shifts one proposal may ask for on one beamline (a month of beam).
pub const MAX_SHIFTS_PER_REQUEST: u32 = 90;

/// Why a submission is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum SubmissionRefusal {
    #[error("the call of this cycle is not open now (it runs from {opens} to {closes})")]
    CallNotOpen { opens: String, closes: String },
    #[error("{field}: {reason}")]
    Incomplete { field: &'static str, reason: String },
    #[error("a proposal that is {0} cannot be submitted")]
    NotADraft(&'static str),
}

/// Whether `draft` may be submitted to `cycle` at `now`; beamlines are checked by the store
/// (it knows which belong to the facility).
pub fn check_submission(
    cycle: &Cycle,
    draft: &ProposalDraft,
    now: Timestamp,
) -> Result<(), SubmissionRefusal> {
    if !cycle.call_is_open(now) {
        return Err(SubmissionRefusal::CallNotOpen {
            opens: cycle.call_opens.to_string(),
            closes: cycle.call_closes.to_string(),
        });
    }
    let incomplete = |field: &'static str, reason: &str| SubmissionRefusal::Incomplete {
        field,
        reason: reason.to_owned(),
    };
    let title = draft.title.trim();
    if title.is_empty() || title.chars().count() > 300 {
        return Err(incomplete("title", "must be 1 to 300 characters"));
    }
    let summary = draft.summary.trim();
    if summary.chars().count() < 20 || summary.chars().count() > 5_000 {
        return Err(incomplete("summary", "must be 20 to 5,000 characters"));
    }
    if draft.team.len() > MAX_TEAM_MEMBERS {
        return Err(incomplete(
            "team",
            &format!("at most {MAX_TEAM_MEMBERS} members besides the principal investigator"),
        ));
    }
    let samples = draft.samples.trim();
    if samples.chars().count() < 10 || samples.chars().count() > 5_000 {
        return Err(incomplete(
            "samples",
            "describe the samples and their hazards in 10 to 5,000 characters",
        ));
    }
    if draft.requests.is_empty() {
        return Err(incomplete(
            "requests",
            "ask for shifts on at least one beamline",
        ));
    }
    let mut beamlines = std::collections::HashSet::new();
    for (beamline, shifts) in &draft.requests {
        if !(1..=MAX_SHIFTS_PER_REQUEST).contains(shifts) {
            return Err(incomplete(
                "requests",
                &format!("shifts per beamline must be 1 to {MAX_SHIFTS_PER_REQUEST}"),
            ));
        }
        if !beamlines.insert(*beamline) {
            return Err(incomplete("requests", "each beamline once"));
        }
    }
    if draft
        .unavailable_days
        .iter()
        .any(|day| *day < cycle.starts_on || *day > cycle.ends_on)
    {
        return Err(incomplete(
            "unavailable_days",
            "days must fall within the cycle",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cycle() -> Cycle {
        Cycle {
            id: CycleId(1),
            facility: InstitutionId(1),
            name: "2027-I".into(),
            call_opens: "2026-11-01T00:00:00Z".parse().unwrap(),
            call_closes: "2026-12-01T00:00:00Z".parse().unwrap(),
            starts_on: jiff::civil::date(2027, 3, 1),
            ends_on: jiff::civil::date(2027, 7, 31),
            closed_days: vec![ClosedDay {
                day: jiff::civil::date(2027, 3, 2),
                reason: ClosedReason::Maintenance,
            }],
        }
    }

    fn draft() -> ProposalDraft {
        ProposalDraft {
            proposal_type: ProposalType::General,
            discipline: Discipline::Chemistry,
            title: "Operando XAS of single-atom catalysts".into(),
            summary: "We follow the oxidation state of Pt single atoms under reaction.".into(),
            techniques: vec!["xas".into()],
            team: vec![UserId(7)],
            samples: "Pt on ceria powder, 50 mg, no hazards beyond fine dust.".into(),
            resubmission_of: None,
            declared_conflicts: vec![],
            requests: vec![(BeamlineId(3), 12)],
            unavailable_days: vec![jiff::civil::date(2027, 4, 5)],
        }
    }

    #[test]
    fn a_complete_draft_is_accepted_while_the_call_is_open() {
        let inside: Timestamp = "2026-11-15T00:00:00Z".parse().unwrap();
        assert_eq!(check_submission(&cycle(), &draft(), inside), Ok(()));
        let after: Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
        assert!(matches!(
            check_submission(&cycle(), &draft(), after),
            Err(SubmissionRefusal::CallNotOpen { .. })
        ));
        let field = |changed: ProposalDraft| match check_submission(&cycle(), &changed, inside) {
            Err(SubmissionRefusal::Incomplete { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(ProposalDraft {
                title: " ".into(),
                ..draft()
            }),
            "title"
        );
        assert_eq!(
            field(ProposalDraft {
                summary: "short".into(),
                ..draft()
            }),
            "summary"
        );
        assert_eq!(
            field(ProposalDraft {
                requests: vec![],
                ..draft()
            }),
            "requests"
        );
        assert_eq!(
            field(ProposalDraft {
                requests: vec![(BeamlineId(3), 0)],
                ..draft()
            }),
            "requests"
        );
        assert_eq!(
            field(ProposalDraft {
                requests: vec![(BeamlineId(3), 3), (BeamlineId(3), 6)],
                ..draft()
            }),
            "requests"
        );
        assert_eq!(
            field(ProposalDraft {
                unavailable_days: vec![jiff::civil::date(2027, 9, 1)],
                ..draft()
            }),
            "unavailable_days"
        );
        assert_eq!(
            field(ProposalDraft {
                samples: "none".into(),
                ..draft()
            }),
            "samples"
        );
        assert_eq!(
            field(ProposalDraft {
                team: vec![UserId(8); MAX_TEAM_MEMBERS + 1],
                ..draft()
            }),
            "team"
        );
        assert!(Cycle {
            call_closes: cycle().call_opens,
            ..cycle()
        }
        .check()
        .is_err());
        assert!(cycle().check().is_ok());
        assert_eq!(cycle().days(), 153);
        assert_eq!(cycle().day_index(jiff::civil::date(2027, 3, 2)), Some(1));
        assert_eq!(
            cycle().shift_starts_at(0),
            jiff::civil::date(2027, 3, 1).at(8, 0, 0, 0)
        );
        assert_eq!(
            cycle().shift_starts_at(5),
            jiff::civil::date(2027, 3, 3).at(0, 0, 0, 0)
        );
        let outside = ClosedDay {
            day: jiff::civil::date(2027, 8, 1),
            reason: ClosedReason::Maintenance,
        };
        assert!(Cycle {
            closed_days: vec![outside],
            ..cycle()
        }
        .check()
        .is_err());
        let twice = cycle().closed_days[0];
        assert!(Cycle {
            closed_days: vec![twice, twice],
            ..cycle()
        }
        .check()
        .is_err());
        assert_eq!(Discipline::parse("materials"), Ok(Discipline::Materials));
        assert!(Discipline::parse("art").is_err());
        assert_eq!(ProposalType::parse("long_term"), Ok(ProposalType::LongTerm));
        assert!(ProposalType::parse("free").is_err());
    }
}
