//! `FacilityStore` for both engines: the same SQL, expanded per engine.

/// A proposal's people besides its principal, as stored beside it.
#[derive(Debug, Default)]
pub(crate) struct ProposalPeople {
    pub(crate) team: Vec<corridor_domain::UserId>,
    pub(crate) declared_conflicts: Vec<corridor_domain::UserId>,
}

macro_rules! shared_facility_impl {
    ($store:ty, $db:ty) => {
        impl $store {
            const PROPOSAL_COLUMNS: &'static str = "id, cycle_id, principal_user_id, proposal_type, discipline, title, summary, techniques, samples, resubmission_of, unavailable_days, status, created_at, updated_at, submitted_at";

            /// A proposal from its row and its requests (beamline, shifts).
            fn proposal_from_row(
                row: &<$db as sqlx::Database>::Row,
                requests: Vec<(i64, i32)>,
                people: crate::beamtime::proposals_sql::ProposalPeople,
            ) -> Result<crate::beamtime::ProposalRecord, StoreError> {
                use corridor_domain::facility::allocation::ProposalType;
                use corridor_domain::facility::proposal::{CycleId, Discipline, ProposalDraft, ProposalStatus};
                use sqlx::Row;
                let days: Vec<String> = crate::catalogue::sql::parse_json_list(&row.try_get::<String, _>("unavailable_days")?, "unavailable_days")?;
                let unavailable_days = days
                    .iter()
                    .map(|day| day.parse::<jiff::civil::Date>().map_err(StoreError::corrupt))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(crate::beamtime::ProposalRecord {
                    id: corridor_domain::facility::ProposalId(row.try_get("id")?),
                    cycle: CycleId(row.try_get("cycle_id")?),
                    principal: corridor_domain::UserId(row.try_get("principal_user_id")?),
                    draft: ProposalDraft {
                        proposal_type: crate::catalogue::sql::stored(ProposalType::parse(&row.try_get::<String, _>("proposal_type")?))?,
                        discipline: crate::catalogue::sql::stored(Discipline::parse(&row.try_get::<String, _>("discipline")?))?,
                        title: row.try_get("title")?,
                        summary: row.try_get("summary")?,
                        techniques: crate::catalogue::sql::parse_json_list(&row.try_get::<String, _>("techniques")?, "techniques")?,
                        team: people.team,
                        samples: row.try_get("samples")?,
                        resubmission_of: row.try_get::<Option<i64>, _>("resubmission_of")?.map(corridor_domain::facility::ProposalId),
                        declared_conflicts: people.declared_conflicts,
                        requests: requests
                            .into_iter()
                            .map(|(beamline, shifts)| (corridor_domain::BeamlineId(beamline), shifts as u32))
                            .collect(),
                        unavailable_days,
                    },
                    status: crate::catalogue::sql::stored(ProposalStatus::parse(&row.try_get::<String, _>("status")?))?,
                    created_at: row.try_get::<crate::timestamp::StoredInstant, _>("created_at")?.0,
                    updated_at: row.try_get::<crate::timestamp::StoredInstant, _>("updated_at")?.0,
                    submitted_at: row
                        .try_get::<Option<crate::timestamp::StoredInstant>, _>("submitted_at")?
                        .map(|instant| instant.0),
                })
            }

            async fn proposal_in(
                connection: &mut <$db as sqlx::Database>::Connection,
                id: corridor_domain::facility::ProposalId,
            ) -> Result<Option<crate::beamtime::ProposalRecord>, StoreError> {
                let Some(row) = sqlx::query(&format!("SELECT {} FROM proposals WHERE id = $1", Self::PROPOSAL_COLUMNS))
                    .bind(id.0)
                    .fetch_optional(&mut *connection)
                    .await?
                else {
                    return Ok(None);
                };
                let requests: Vec<(i64, i32)> = sqlx::query_as(
                    "SELECT beamline_id, shifts FROM proposal_requests WHERE proposal_id = $1 ORDER BY beamline_id",
                )
                .bind(id.0)
                .fetch_all(&mut *connection)
                .await?;
                let mut people = Self::people_of_proposals(&mut *connection, "proposal_id = $1", id.0).await?;
                Self::proposal_from_row(&row, requests, people.remove(&id.0).unwrap_or_default()).map(Some)
            }

            /// Team members and declared conflicts of the proposals `filter` selects (a
            /// condition on `proposal_id` with one parameter).
            async fn people_of_proposals(
                connection: &mut <$db as sqlx::Database>::Connection,
                filter: &str,
                parameter: i64,
            ) -> Result<std::collections::HashMap<i64, crate::beamtime::proposals_sql::ProposalPeople>, StoreError> {
                let mut people: std::collections::HashMap<i64, crate::beamtime::proposals_sql::ProposalPeople> = std::collections::HashMap::new();
                let members: Vec<(i64, i64)> = sqlx::query_as(&format!(
                    "SELECT proposal_id, user_id FROM proposal_members WHERE {filter} ORDER BY proposal_id, user_id"
                ))
                .bind(parameter)
                .fetch_all(&mut *connection)
                .await?;
                for (proposal, user) in members {
                    people.entry(proposal).or_default().team.push(corridor_domain::UserId(user));
                }
                let conflicts: Vec<(i64, i64)> = sqlx::query_as(&format!(
                    "SELECT proposal_id, reviewer_user_id FROM proposal_declared_conflicts WHERE {filter} ORDER BY proposal_id, reviewer_user_id"
                ))
                .bind(parameter)
                .fetch_all(&mut *connection)
                .await?;
                for (proposal, reviewer) in conflicts {
                    people.entry(proposal).or_default().declared_conflicts.push(corridor_domain::UserId(reviewer));
                }
                Ok(people)
            }

            async fn cycle_in(
                connection: &mut <$db as sqlx::Database>::Connection,
                id: corridor_domain::facility::proposal::CycleId,
            ) -> Result<Option<corridor_domain::facility::proposal::Cycle>, StoreError> {
                use sqlx::Row;
                let Some(row) = sqlx::query(
                    "SELECT facility_institution_id, name, call_opens_at, call_closes_at, starts_on, ends_on FROM proposal_cycles WHERE id = $1",
                )
                .bind(id.0)
                .fetch_optional(&mut *connection)
                .await?
                else {
                    return Ok(None);
                };
                let date = |text: String| text.parse::<jiff::civil::Date>().map_err(StoreError::corrupt);
                let closed: Vec<(String, String)> = sqlx::query_as("SELECT day, reason FROM cycle_closed_days WHERE cycle_id = $1 ORDER BY day")
                    .bind(id.0)
                    .fetch_all(&mut *connection)
                    .await?;
                let closed_days = closed
                    .into_iter()
                    .map(|(day, reason)| {
                        Ok(corridor_domain::facility::proposal::ClosedDay {
                            day: date(day)?,
                            reason: crate::catalogue::sql::stored(corridor_domain::facility::proposal::ClosedReason::parse(&reason))?,
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                Ok(Some(corridor_domain::facility::proposal::Cycle {
                    id,
                    facility: corridor_domain::InstitutionId(row.try_get("facility_institution_id")?),
                    name: row.try_get("name")?,
                    call_opens: row.try_get::<crate::timestamp::StoredInstant, _>("call_opens_at")?.0,
                    call_closes: row.try_get::<crate::timestamp::StoredInstant, _>("call_closes_at")?.0,
                    starts_on: date(row.try_get("starts_on")?)?,
                    ends_on: date(row.try_get("ends_on")?)?,
                    closed_days,
                }))
            }

            /// Drafts a proposal, or with `submit` drafts and submits it in one transaction (so
            /// a refused or interrupted submission leaves no stray draft).
            async fn create_proposal_with(
                &self,
                cycle: corridor_domain::facility::proposal::CycleId,
                principal: corridor_domain::UserId,
                draft: &corridor_domain::facility::proposal::ProposalDraft,
                now: jiff::Timestamp,
                submit: bool,
                context: &crate::AuditContext,
            ) -> Result<Result<crate::beamtime::ProposalRecord, corridor_domain::facility::proposal::SubmissionRefusal>, StoreError> {
                corridor_domain::bounded_text("title", &draft.title, 300).map_err(|error| StoreError::InvalidReference { field: error.field, reason: error.reason })?;
                if draft.summary.chars().count() > 5_000 {
                    return Err(StoreError::InvalidReference { field: "summary", reason: "at most 5,000 characters".into() });
                }
                let mut transaction = self.begin_write().await?;
                let stored_cycle = Self::cycle_in(&mut transaction, cycle)
                    .await?
                    .ok_or_else(|| StoreError::InvalidReference { field: "cycle", reason: format!("there is no cycle {}", cycle.0) })?;
                for (beamline, shifts) in &draft.requests {
                    let facility: Option<(i64,)> = sqlx::query_as("SELECT facility_institution_id FROM beamlines WHERE id = $1")
                        .bind(beamline.0)
                        .fetch_optional(&mut *transaction)
                        .await?;
                    if facility.map(|(facility,)| facility) != Some(stored_cycle.facility.0) {
                        return Err(StoreError::InvalidReference { field: "requests", reason: format!("beamline {} is not one of this facility's", beamline.0) });
                    }
                    if !(1..=corridor_domain::facility::proposal::MAX_SHIFTS_PER_REQUEST).contains(shifts) {
                        return Err(StoreError::InvalidReference { field: "requests", reason: format!("shifts per beamline must be 1 to {}", corridor_domain::facility::proposal::MAX_SHIFTS_PER_REQUEST) });
                    }
                }
                if draft.team.len() > corridor_domain::facility::proposal::MAX_TEAM_MEMBERS || draft.declared_conflicts.len() > 50 {
                    return Err(StoreError::InvalidReference { field: "team", reason: "too many people named".into() });
                }
                if draft.samples.chars().count() > 5_000 {
                    return Err(StoreError::InvalidReference { field: "samples", reason: "at most 5,000 characters".into() });
                }
                for (field, user) in draft.team.iter().map(|user| ("team", user)).chain(draft.declared_conflicts.iter().map(|user| ("declared_conflicts", user))) {
                    let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE id = $1").bind(user.0).fetch_optional(&mut *transaction).await?;
                    if exists.is_none() {
                        return Err(StoreError::InvalidReference { field, reason: format!("there is no user {}", user.0) });
                    }
                }
                if let Some(earlier) = draft.resubmission_of {
                    let earlier_principal: Option<(i64, i64)> = sqlx::query_as("SELECT principal_user_id, cycle_id FROM proposals WHERE id = $1")
                        .bind(earlier.0)
                        .fetch_optional(&mut *transaction)
                        .await?;
                    match earlier_principal {
                        Some((owner, earlier_cycle)) if owner == principal.0 && earlier_cycle != cycle.0 => {}
                        _ => return Err(StoreError::InvalidReference { field: "resubmission_of", reason: format!("proposal {} is not one of yours from an earlier cycle", earlier.0) }),
                    }
                }
                if submit {
                    if let Err(refusal) = corridor_domain::facility::proposal::check_submission(&stored_cycle, draft, now) {
                        return Ok(Err(refusal));
                    }
                }
                let days: Vec<String> = draft.unavailable_days.iter().map(ToString::to_string).collect();
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO proposals (cycle_id, principal_user_id, proposal_type, discipline, title, summary, techniques, samples, resubmission_of, unavailable_days, status, created_at, updated_at, submitted_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $12, $11, $11, $13) RETURNING id",
                )
                .bind(cycle.0)
                .bind(principal.0)
                .bind(draft.proposal_type.as_code())
                .bind(draft.discipline.as_code())
                .bind(draft.title.trim())
                .bind(draft.summary.trim())
                .bind(crate::catalogue::sql::json_list(&draft.techniques))
                .bind(draft.samples.trim())
                .bind(draft.resubmission_of.map(|earlier| earlier.0))
                .bind(crate::catalogue::sql::json_list(&days))
                .bind(crate::timestamp::StoredInstant(now))
                .bind(if submit { "submitted" } else { "draft" })
                .bind(submit.then_some(crate::timestamp::StoredInstant(now)))
                .fetch_one(&mut *transaction)
                .await?;
                let mut team: Vec<i64> = draft.team.iter().map(|user| user.0).filter(|user| *user != principal.0).collect();
                team.sort_unstable();
                team.dedup();
                for user in team {
                    sqlx::query("INSERT INTO proposal_members (proposal_id, user_id) VALUES ($1, $2)")
                        .bind(id)
                        .bind(user)
                        .execute(&mut *transaction)
                        .await?;
                }
                let mut conflicts: Vec<i64> = draft.declared_conflicts.iter().map(|user| user.0).collect();
                conflicts.sort_unstable();
                conflicts.dedup();
                for reviewer in conflicts {
                    sqlx::query("INSERT INTO proposal_declared_conflicts (proposal_id, reviewer_user_id) VALUES ($1, $2)")
                        .bind(id)
                        .bind(reviewer)
                        .execute(&mut *transaction)
                        .await?;
                }
                for (beamline, shifts) in &draft.requests {
                    sqlx::query("INSERT INTO proposal_requests (proposal_id, beamline_id, shifts) VALUES ($1, $2, $3)")
                        .bind(id)
                        .bind(beamline.0)
                        .bind(*shifts as i32)
                        .execute(&mut *transaction)
                        .await
                        .map_err(|error| StoreError::from_write(error, "a request for that beamline"))?;
                }
                Self::record_audit_event(&mut transaction, context, "facility.proposal_drafted", &format!("proposal:{id}"), serde_json::json!({"cycle": cycle.0})).await?;
                if submit {
                    Self::record_audit_event(&mut transaction, context, "facility.proposal_submitted", &format!("proposal:{id}"), serde_json::json!({"cycle": cycle.0})).await?;
                }
                let record = Self::proposal_in(&mut transaction, corridor_domain::facility::ProposalId(id))
                    .await?
                    .ok_or_else(|| StoreError::corrupt("the proposal just written is gone"))?;
                transaction.commit().await?;
                Ok(Ok(record))
            }

            /// The proposal, checked to be `by`'s to change.
            async fn own_proposal_in(
                connection: &mut <$db as sqlx::Database>::Connection,
                id: corridor_domain::facility::ProposalId,
                by: corridor_domain::UserId,
            ) -> Result<crate::beamtime::ProposalRecord, StoreError> {
                let record = Self::proposal_in(&mut *connection, id)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("proposal {}", id.0)))?;
                if record.principal != by {
                    // Others' proposals are not visible to them: as if it did not exist.
                    return Err(StoreError::NotFound(format!("proposal {}", id.0)));
                }
                Ok(record)
            }
        }

        #[async_trait::async_trait]
        impl crate::beamtime::FacilityStore for $store {
            async fn create_cycle(&self, cycle: &corridor_domain::facility::proposal::Cycle, context: &crate::AuditContext) -> Result<corridor_domain::facility::proposal::Cycle, StoreError> {
                cycle.check().map_err(|error| StoreError::InvalidReference { field: error.field, reason: error.reason })?;
                let mut transaction = self.begin_write().await?;
                let facility: Option<(String,)> = sqlx::query_as("SELECT kind FROM institutions WHERE id = $1")
                    .bind(cycle.facility.0)
                    .fetch_optional(&mut *transaction)
                    .await?;
                if facility.as_ref().map(|(kind,)| kind.as_str()) != Some("facility_operator") {
                    return Err(StoreError::InvalidReference { field: "facility", reason: format!("institution {} runs no large facility", cycle.facility.0) });
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO proposal_cycles (facility_institution_id, name, call_opens_at, call_closes_at, starts_on, ends_on, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(cycle.facility.0)
                .bind(cycle.name.trim())
                .bind(crate::timestamp::StoredInstant(cycle.call_opens))
                .bind(crate::timestamp::StoredInstant(cycle.call_closes))
                .bind(cycle.starts_on.to_string())
                .bind(cycle.ends_on.to_string())
                .bind(crate::timestamp::StoredInstant(crate::now()))
                .fetch_one(&mut *transaction)
                .await
                .map_err(|error| StoreError::from_write(error, "a cycle of that name"))?;
                for closed in &cycle.closed_days {
                    sqlx::query("INSERT INTO cycle_closed_days (cycle_id, day, reason) VALUES ($1, $2, $3)")
                        .bind(id)
                        .bind(closed.day.to_string())
                        .bind(closed.reason.as_code())
                        .execute(&mut *transaction)
                        .await?;
                }
                Self::record_audit_event(&mut transaction, context, "facility.cycle_created", &format!("cycle:{id}"), serde_json::to_value(cycle).unwrap_or_default()).await?;
                // Read back: instants are kept to the microsecond.
                let stored = Self::cycle_in(&mut transaction, corridor_domain::facility::proposal::CycleId(id))
                    .await?
                    .ok_or_else(|| StoreError::corrupt("the cycle just written is gone"))?;
                transaction.commit().await?;
                Ok(stored)
            }

            async fn cycle(&self, id: corridor_domain::facility::proposal::CycleId) -> Result<Option<corridor_domain::facility::proposal::Cycle>, StoreError> {
                let mut connection = self.read_pool().acquire().await?;
                Self::cycle_in(&mut connection, id).await
            }

            async fn create_proposal(
                &self,
                cycle: corridor_domain::facility::proposal::CycleId,
                principal: corridor_domain::UserId,
                draft: &corridor_domain::facility::proposal::ProposalDraft,
                now: jiff::Timestamp,
                context: &crate::AuditContext,
            ) -> Result<crate::beamtime::ProposalRecord, StoreError> {
                self.create_proposal_with(cycle, principal, draft, now, false, context)
                    .await?
                    .map_err(|refusal| StoreError::corrupt(format!("a draft was refused: {refusal}")))
            }

            async fn create_submitted_proposal(
                &self,
                cycle: corridor_domain::facility::proposal::CycleId,
                principal: corridor_domain::UserId,
                draft: &corridor_domain::facility::proposal::ProposalDraft,
                now: jiff::Timestamp,
                context: &crate::AuditContext,
            ) -> Result<Result<crate::beamtime::ProposalRecord, corridor_domain::facility::proposal::SubmissionRefusal>, StoreError> {
                self.create_proposal_with(cycle, principal, draft, now, true, context).await
            }

            async fn proposal(&self, id: corridor_domain::facility::ProposalId) -> Result<Option<crate::beamtime::ProposalRecord>, StoreError> {
                let mut connection = self.read_pool().acquire().await?;
                Self::proposal_in(&mut connection, id).await
            }

            async fn submit_proposal(
                &self,
                id: corridor_domain::facility::ProposalId,
                by: corridor_domain::UserId,
                now: jiff::Timestamp,
                context: &crate::AuditContext,
            ) -> Result<Result<crate::beamtime::ProposalRecord, corridor_domain::facility::proposal::SubmissionRefusal>, StoreError> {
                use corridor_domain::facility::proposal::{check_submission, ProposalStatus, SubmissionRefusal};
                let mut transaction = self.begin_write().await?;
                let record = Self::own_proposal_in(&mut transaction, id, by).await?;
                if record.status != ProposalStatus::Draft {
                    return Ok(Err(SubmissionRefusal::NotADraft(record.status.as_code())));
                }
                let cycle = Self::cycle_in(&mut transaction, record.cycle)
                    .await?
                    .ok_or_else(|| StoreError::corrupt("a proposal's cycle is gone"))?;
                if let Err(refusal) = check_submission(&cycle, &record.draft, now) {
                    return Ok(Err(refusal));
                }
                sqlx::query("UPDATE proposals SET status = 'submitted', submitted_at = $1, updated_at = $1 WHERE id = $2")
                    .bind(crate::timestamp::StoredInstant(now))
                    .bind(id.0)
                    .execute(&mut *transaction)
                    .await?;
                Self::record_audit_event(&mut transaction, context, "facility.proposal_submitted", &format!("proposal:{}", id.0), serde_json::json!({"cycle": record.cycle.0})).await?;
                let record = Self::proposal_in(&mut transaction, id)
                    .await?
                    .ok_or_else(|| StoreError::corrupt("the proposal just submitted is gone"))?;
                transaction.commit().await?;
                Ok(Ok(record))
            }

            async fn withdraw_proposal(
                &self,
                id: corridor_domain::facility::ProposalId,
                by: corridor_domain::UserId,
                now: jiff::Timestamp,
                context: &crate::AuditContext,
            ) -> Result<crate::beamtime::ProposalRecord, StoreError> {
                use corridor_domain::facility::proposal::ProposalStatus;
                let mut transaction = self.begin_write().await?;
                let record = Self::own_proposal_in(&mut transaction, id, by).await?;
                if record.status == ProposalStatus::Withdrawn {
                    return Err(StoreError::Conflict(format!("proposal {} is already withdrawn", id.0)));
                }
                sqlx::query("UPDATE proposals SET status = 'withdrawn', updated_at = $1 WHERE id = $2")
                    .bind(crate::timestamp::StoredInstant(now))
                    .bind(id.0)
                    .execute(&mut *transaction)
                    .await?;
                Self::record_audit_event(&mut transaction, context, "facility.proposal_withdrawn", &format!("proposal:{}", id.0), serde_json::json!({"was": record.status.as_code()})).await?;
                let record = Self::proposal_in(&mut transaction, id)
                    .await?
                    .ok_or_else(|| StoreError::corrupt("the proposal just withdrawn is gone"))?;
                transaction.commit().await?;
                Ok(record)
            }

            async fn cycles(&self, facility: Option<corridor_domain::InstitutionId>) -> Result<Vec<corridor_domain::facility::proposal::Cycle>, StoreError> {
                let mut connection = self.read_pool().acquire().await?;
                let ids: Vec<(i64,)> = sqlx::query_as(
                    "SELECT id FROM proposal_cycles WHERE ($1 IS NULL OR facility_institution_id = $1) ORDER BY starts_on DESC, id DESC",
                )
                .bind(facility.map(|facility| facility.0))
                .fetch_all(&mut *connection)
                .await?;
                let mut cycles = Vec::with_capacity(ids.len());
                for (id,) in ids {
                    if let Some(cycle) = Self::cycle_in(&mut connection, corridor_domain::facility::proposal::CycleId(id)).await? {
                        cycles.push(cycle);
                    }
                }
                Ok(cycles)
            }

            async fn proposals_of_user(&self, user: corridor_domain::UserId) -> Result<Vec<crate::beamtime::ProposalRecord>, StoreError> {
                let mut connection = self.read_pool().acquire().await?;
                let ids: Vec<(i64,)> = sqlx::query_as(
                    "SELECT id FROM proposals WHERE principal_user_id = $1 \
                     UNION SELECT proposal_id FROM proposal_members WHERE user_id = $1 ORDER BY 1 DESC LIMIT 500",
                )
                .bind(user.0)
                .fetch_all(&mut *connection)
                .await?;
                let mut records = Vec::with_capacity(ids.len());
                for (id,) in ids {
                    if let Some(record) = Self::proposal_in(&mut connection, corridor_domain::facility::ProposalId(id)).await? {
                        records.push(record);
                    }
                }
                Ok(records)
            }

            async fn proposals_of_cycle(
                &self,
                cycle: corridor_domain::facility::proposal::CycleId,
                status: Option<corridor_domain::facility::proposal::ProposalStatus>,
            ) -> Result<Vec<crate::beamtime::ProposalRecord>, StoreError> {
                // Two statements for the whole cycle (a cycle holds a thousand proposals or two).
                let mut connection = self.read_pool().acquire().await?;
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM proposals WHERE cycle_id = $1 AND ($2 IS NULL OR status = $2) ORDER BY id",
                    Self::PROPOSAL_COLUMNS
                ))
                .bind(cycle.0)
                .bind(status.map(|status| status.as_code()))
                .fetch_all(&mut *connection)
                .await?;
                let requests: Vec<(i64, i64, i32)> = sqlx::query_as(
                    "SELECT r.proposal_id, r.beamline_id, r.shifts FROM proposal_requests r JOIN proposals p ON p.id = r.proposal_id \
                     WHERE p.cycle_id = $1 ORDER BY r.proposal_id, r.beamline_id",
                )
                .bind(cycle.0)
                .fetch_all(&mut *connection)
                .await?;
                let mut by_proposal: std::collections::HashMap<i64, Vec<(i64, i32)>> = std::collections::HashMap::new();
                for (proposal, beamline, shifts) in requests {
                    by_proposal.entry(proposal).or_default().push((beamline, shifts));
                }
                let mut people = Self::people_of_proposals(
                    &mut *connection,
                    "proposal_id IN (SELECT id FROM proposals WHERE cycle_id = $1)",
                    cycle.0,
                )
                .await?;
                let mut records = Vec::with_capacity(rows.len());
                for row in &rows {
                    let id: i64 = sqlx::Row::try_get(row, "id")?;
                    records.push(Self::proposal_from_row(row, by_proposal.remove(&id).unwrap_or_default(), people.remove(&id).unwrap_or_default())?);
                }
                Ok(records)
            }
        }
    };
}
pub(crate) use shared_facility_impl;
