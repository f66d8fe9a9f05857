//! `FacilityStore` for both engines: the same SQL, expanded per engine.

macro_rules! shared_facility_impl {
    ($store:ty, $db:ty) => {
        impl $store {
            const PROPOSAL_COLUMNS: &'static str = "id, cycle_id, principal_user_id, proposal_type, title, summary, techniques, unavailable_days, status, created_at, updated_at, submitted_at";

            /// A proposal from its row and its requests (beamline, shifts).
            fn proposal_from_row(
                row: &<$db as sqlx::Database>::Row,
                requests: Vec<(i64, i32)>,
            ) -> Result<crate::facility::ProposalRecord, StoreError> {
                use corridor_domain::facility::allocation::ProposalType;
                use corridor_domain::facility::proposal::{CycleId, ProposalDraft, ProposalStatus};
                use sqlx::Row;
                let days: Vec<String> = crate::common::parse_json_list(&row.try_get::<String, _>("unavailable_days")?, "unavailable_days")?;
                let unavailable_days = days
                    .iter()
                    .map(|day| day.parse::<jiff::civil::Date>().map_err(StoreError::corrupt))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(crate::facility::ProposalRecord {
                    id: corridor_domain::facility::ProposalId(row.try_get("id")?),
                    cycle: CycleId(row.try_get("cycle_id")?),
                    principal: corridor_domain::UserId(row.try_get("principal_user_id")?),
                    draft: ProposalDraft {
                        proposal_type: crate::common::stored(ProposalType::parse(&row.try_get::<String, _>("proposal_type")?))?,
                        title: row.try_get("title")?,
                        summary: row.try_get("summary")?,
                        techniques: crate::common::parse_json_list(&row.try_get::<String, _>("techniques")?, "techniques")?,
                        requests: requests
                            .into_iter()
                            .map(|(beamline, shifts)| (corridor_domain::BeamlineId(beamline), shifts as u32))
                            .collect(),
                        unavailable_days,
                    },
                    status: crate::common::stored(ProposalStatus::parse(&row.try_get::<String, _>("status")?))?,
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
            ) -> Result<Option<crate::facility::ProposalRecord>, StoreError> {
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
                Self::proposal_from_row(&row, requests).map(Some)
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
                Ok(Some(corridor_domain::facility::proposal::Cycle {
                    id,
                    facility: corridor_domain::InstitutionId(row.try_get("facility_institution_id")?),
                    name: row.try_get("name")?,
                    call_opens: row.try_get::<crate::timestamp::StoredInstant, _>("call_opens_at")?.0,
                    call_closes: row.try_get::<crate::timestamp::StoredInstant, _>("call_closes_at")?.0,
                    starts_on: date(row.try_get("starts_on")?)?,
                    ends_on: date(row.try_get("ends_on")?)?,
                }))
            }

            /// The proposal, checked to be `by`'s to change.
            async fn own_proposal_in(
                connection: &mut <$db as sqlx::Database>::Connection,
                id: corridor_domain::facility::ProposalId,
                by: corridor_domain::UserId,
            ) -> Result<crate::facility::ProposalRecord, StoreError> {
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
        impl crate::facility::FacilityStore for $store {
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
            ) -> Result<crate::facility::ProposalRecord, StoreError> {
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
                let days: Vec<String> = draft.unavailable_days.iter().map(ToString::to_string).collect();
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO proposals (cycle_id, principal_user_id, proposal_type, title, summary, techniques, unavailable_days, status, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', $8, $8) RETURNING id",
                )
                .bind(cycle.0)
                .bind(principal.0)
                .bind(draft.proposal_type.as_code())
                .bind(draft.title.trim())
                .bind(draft.summary.trim())
                .bind(crate::common::json_list(&draft.techniques))
                .bind(crate::common::json_list(&days))
                .bind(crate::timestamp::StoredInstant(now))
                .fetch_one(&mut *transaction)
                .await?;
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
                let record = Self::proposal_in(&mut transaction, corridor_domain::facility::ProposalId(id))
                    .await?
                    .ok_or_else(|| StoreError::corrupt("the proposal just written is gone"))?;
                transaction.commit().await?;
                Ok(record)
            }

            async fn proposal(&self, id: corridor_domain::facility::ProposalId) -> Result<Option<crate::facility::ProposalRecord>, StoreError> {
                let mut connection = self.read_pool().acquire().await?;
                Self::proposal_in(&mut connection, id).await
            }

            async fn submit_proposal(
                &self,
                id: corridor_domain::facility::ProposalId,
                by: corridor_domain::UserId,
                now: jiff::Timestamp,
                context: &crate::AuditContext,
            ) -> Result<Result<crate::facility::ProposalRecord, corridor_domain::facility::proposal::SubmissionRefusal>, StoreError> {
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
            ) -> Result<crate::facility::ProposalRecord, StoreError> {
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

            async fn proposals_of_cycle(
                &self,
                cycle: corridor_domain::facility::proposal::CycleId,
                status: Option<corridor_domain::facility::proposal::ProposalStatus>,
            ) -> Result<Vec<crate::facility::ProposalRecord>, StoreError> {
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
                let mut records = Vec::with_capacity(rows.len());
                for row in &rows {
                    let id: i64 = sqlx::Row::try_get(row, "id")?;
                    records.push(Self::proposal_from_row(row, by_proposal.remove(&id).unwrap_or_default())?);
                }
                Ok(records)
            }
        }
    };
}
pub(crate) use shared_facility_impl;
