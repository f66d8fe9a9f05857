//! `FacilityReviewStore` for both engines: checks, reviewers, reviews, the cycle's allocation and
//! the notifications it queues. The same SQL, expanded per engine.

/// Rows per multi-row INSERT (a few columns each, far below either engine's parameter limit).
pub(crate) const PROGRAMME_CHUNK_ROWS: usize = 500;

macro_rules! shared_facility_review_impl {
    ($store:ty, $db:ty) => {
        impl $store {
            const REVIEW_COLUMNS: &'static str = "proposal_id, reviewer_user_id, cycle_id, affinity, grade, comment, assigned_at, graded_at";

            fn review_from_row(row: &<$db as sqlx::Database>::Row) -> Result<crate::beamtime::ReviewRecord, StoreError> {
                use sqlx::Row;
                Ok(crate::beamtime::ReviewRecord {
                    proposal: corridor_domain::facility::ProposalId(row.try_get("proposal_id")?),
                    reviewer: corridor_domain::UserId(row.try_get("reviewer_user_id")?),
                    cycle: corridor_domain::facility::proposal::CycleId(row.try_get("cycle_id")?),
                    affinity: row.try_get::<i32, _>("affinity")?.max(0) as u32,
                    grade: row.try_get("grade")?,
                    comment: row.try_get("comment")?,
                    assigned_at: row.try_get::<crate::timestamp::StoredInstant, _>("assigned_at")?.0,
                    graded_at: row.try_get::<Option<crate::timestamp::StoredInstant>, _>("graded_at")?.map(|instant| instant.0),
                })
            }

            fn decision_from_row(row: &<$db as sqlx::Database>::Row) -> Result<crate::beamtime::StoredDecision, StoreError> {
                use sqlx::Row;
                Ok(crate::beamtime::StoredDecision {
                    proposal: corridor_domain::facility::ProposalId(row.try_get("proposal_id")?),
                    beamline: corridor_domain::BeamlineId(row.try_get("beamline_id")?),
                    requested: row.try_get::<i32, _>("requested")?.max(0) as u32,
                    granted: row.try_get::<i32, _>("granted")?.max(0) as u32,
                    effective_score: row.try_get("effective_score")?,
                    cycles_waiting: row.try_get::<i32, _>("cycles_waiting")?.max(0) as u32,
                    fee_fen: row.try_get("fee_fen")?,
                    reason: row.try_get("reason")?,
                    explanation: row.try_get("explanation")?,
                })
            }

            /// Writes a cycle's placed blocks (the caller has removed the old ones).
            async fn insert_blocks_in(
                transaction: &mut sqlx::Transaction<'static, $db>,
                cycle: corridor_domain::facility::proposal::CycleId,
                blocks: &[crate::beamtime::StoredBlock],
            ) -> Result<(), StoreError> {
                for chunk in blocks.chunks(crate::beamtime::review_sql::PROGRAMME_CHUNK_ROWS) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new("INSERT INTO schedule_blocks (cycle_id, beamline_id, proposal_id, first_shift, shifts) ");
                    insert.push_values(chunk, |mut row, block| {
                        row.push_bind(cycle.0)
                            .push_bind(block.beamline.0)
                            .push_bind(block.proposal.0)
                            .push_bind(block.first_shift as i32)
                            .push_bind(block.shifts as i32);
                    });
                    insert.build().execute(&mut **transaction).await?;
                }
                Ok(())
            }

            /// Queues notifications in the outbox, in the caller's transaction.
            async fn insert_notifications_in(
                transaction: &mut sqlx::Transaction<'static, $db>,
                notifications: &[crate::beamtime::NewNotification],
                now: jiff::Timestamp,
            ) -> Result<(), StoreError> {
                for chunk in notifications.chunks(crate::beamtime::review_sql::PROGRAMME_CHUNK_ROWS) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new("INSERT INTO notifications (user_id, kind, subject, body, created_at) ");
                    insert.push_values(chunk, |mut row, notification| {
                        row.push_bind(notification.user.0)
                            .push_bind(notification.kind.clone())
                            .push_bind(notification.subject.clone())
                            .push_bind(notification.body.clone())
                            .push_bind(crate::timestamp::StoredInstant(now));
                    });
                    insert.build().execute(&mut **transaction).await?;
                }
                Ok(())
            }

            async fn reviewer_profiles_where(
                connection: &mut <$db as sqlx::Database>::Connection,
                user: Option<corridor_domain::UserId>,
            ) -> Result<Vec<crate::beamtime::ReviewerRecord>, StoreError> {
                let rows: Vec<(i64, String, i64, String, String, i32)> = sqlx::query_as(
                    "SELECT r.user_id, u.display_name, u.home_institution_id, r.discipline, r.expertise, r.max_load \
                     FROM reviewer_profiles r JOIN users u ON u.id = r.user_id \
                     WHERE ($1 IS NULL OR r.user_id = $1) ORDER BY r.user_id",
                )
                .bind(user.map(|user| user.0))
                .fetch_all(&mut *connection)
                .await?;
                rows.into_iter()
                    .map(|(user, display_name, institution, discipline, expertise, max_load)| {
                        Ok(crate::beamtime::ReviewerRecord {
                            user: corridor_domain::UserId(user),
                            display_name,
                            institution: corridor_domain::InstitutionId(institution),
                            discipline: crate::catalogue::sql::stored(corridor_domain::facility::proposal::Discipline::parse(&discipline))?,
                            expertise: crate::catalogue::sql::parse_json_list(&expertise, "expertise")?,
                            max_load: max_load.max(0) as u32,
                        })
                    })
                    .collect()
            }
        }

        #[async_trait::async_trait]
        impl crate::beamtime::FacilityReviewStore for $store {
            async fn record_check(&self, check: &crate::beamtime::CheckRecord, context: &crate::AuditContext) -> Result<crate::beamtime::CheckRecord, StoreError> {
                if check.note.chars().count() > 2_000 {
                    return Err(StoreError::InvalidReference { field: "note", reason: "at most 2,000 characters".into() });
                }
                let mut transaction = self.begin_write().await?;
                let status: Option<(String,)> = sqlx::query_as("SELECT status FROM proposals WHERE id = $1")
                    .bind(check.proposal.0)
                    .fetch_optional(&mut *transaction)
                    .await?;
                match status {
                    None => return Err(StoreError::NotFound(format!("proposal {}", check.proposal.0))),
                    Some((status,)) if status != "submitted" => {
                        return Err(StoreError::Conflict(format!("proposal {} is {status}; only submitted proposals are checked", check.proposal.0)));
                    }
                    Some(_) => {}
                }
                sqlx::query("DELETE FROM proposal_checks WHERE proposal_id = $1 AND kind = $2")
                    .bind(check.proposal.0)
                    .bind(check.kind.as_code())
                    .execute(&mut *transaction)
                    .await?;
                sqlx::query(
                    "INSERT INTO proposal_checks (proposal_id, kind, verdict, note, checked_by_user_id, checked_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(check.proposal.0)
                .bind(check.kind.as_code())
                .bind(if check.approved { "approved" } else { "refused" })
                .bind(check.note.trim())
                .bind(check.checked_by.0)
                .bind(crate::timestamp::StoredInstant(check.checked_at))
                .execute(&mut *transaction)
                .await?;
                Self::record_audit_event(
                    &mut transaction,
                    context,
                    "facility.proposal_checked",
                    &format!("proposal:{}", check.proposal.0),
                    serde_json::json!({"kind": check.kind.as_code(), "approved": check.approved}),
                )
                .await?;
                transaction.commit().await?;
                // Instants keep microseconds: answer what a read would.
                let mut stored = check.clone();
                stored.note = check.note.trim().to_owned();
                stored.checked_at = crate::timestamp::truncate_to_micros(check.checked_at);
                Ok(stored)
            }

            async fn checks_of_cycle(&self, cycle: corridor_domain::facility::proposal::CycleId) -> Result<Vec<crate::beamtime::CheckRecord>, StoreError> {
                let mut connection = self.read_pool().acquire().await?;
                let rows: Vec<(i64, String, String, String, i64, crate::timestamp::StoredInstant)> = sqlx::query_as(
                    "SELECT c.proposal_id, c.kind, c.verdict, c.note, c.checked_by_user_id, c.checked_at FROM proposal_checks c \
                     JOIN proposals p ON p.id = c.proposal_id WHERE p.cycle_id = $1 ORDER BY c.proposal_id, c.kind",
                )
                .bind(cycle.0)
                .fetch_all(&mut *connection)
                .await?;
                rows.into_iter()
                    .map(|(proposal, kind, verdict, note, by, at)| {
                        Ok(crate::beamtime::CheckRecord {
                            proposal: corridor_domain::facility::ProposalId(proposal),
                            kind: crate::catalogue::sql::stored(crate::beamtime::CheckKind::parse(&kind))?,
                            approved: verdict == "approved",
                            note,
                            checked_by: corridor_domain::UserId(by),
                            checked_at: at.0,
                        })
                    })
                    .collect()
            }

            async fn set_reviewer_profile(
                &self,
                user: corridor_domain::UserId,
                discipline: corridor_domain::facility::proposal::Discipline,
                expertise: &[String],
                max_load: u32,
                context: &crate::AuditContext,
            ) -> Result<crate::beamtime::ReviewerRecord, StoreError> {
                if !(1..=100).contains(&max_load) {
                    return Err(StoreError::InvalidReference { field: "max_load", reason: "a reviewer takes 1 to 100 proposals a cycle".into() });
                }
                if expertise.len() > 40 || expertise.iter().any(|term| term.trim().is_empty() || term.chars().count() > 60) {
                    return Err(StoreError::InvalidReference { field: "expertise", reason: "at most 40 terms of 1 to 60 characters".into() });
                }
                let expertise: Vec<String> = expertise.iter().map(|term| term.trim().to_lowercase()).collect();
                let mut transaction = self.begin_write().await?;
                let reviewer: Option<(i64,)> = sqlx::query_as("SELECT user_id FROM role_grants WHERE user_id = $1 AND role = 'reviewer'")
                    .bind(user.0)
                    .fetch_optional(&mut *transaction)
                    .await?;
                if reviewer.is_none() {
                    return Err(StoreError::InvalidReference { field: "user", reason: format!("user {} is not a reviewer", user.0) });
                }
                sqlx::query("DELETE FROM reviewer_profiles WHERE user_id = $1").bind(user.0).execute(&mut *transaction).await?;
                sqlx::query("INSERT INTO reviewer_profiles (user_id, discipline, expertise, max_load) VALUES ($1, $2, $3, $4)")
                    .bind(user.0)
                    .bind(discipline.as_code())
                    .bind(crate::catalogue::sql::json_list(&expertise))
                    .bind(max_load as i32)
                    .execute(&mut *transaction)
                    .await?;
                Self::record_audit_event(
                    &mut transaction,
                    context,
                    "facility.reviewer_profile_set",
                    &format!("user:{}", user.0),
                    serde_json::json!({"discipline": discipline.as_code(), "max_load": max_load}),
                )
                .await?;
                let stored = Self::reviewer_profiles_where(&mut transaction, Some(user))
                    .await?
                    .pop()
                    .ok_or_else(|| StoreError::corrupt("the reviewer profile just written is gone"))?;
                transaction.commit().await?;
                Ok(stored)
            }

            async fn reviewer_profiles(&self) -> Result<Vec<crate::beamtime::ReviewerRecord>, StoreError> {
                let mut connection = self.read_pool().acquire().await?;
                Self::reviewer_profiles_where(&mut connection, None).await
            }

            async fn replace_review_assignment(
                &self,
                cycle: corridor_domain::facility::proposal::CycleId,
                pairs: &[(corridor_domain::facility::ProposalId, corridor_domain::UserId, u32)],
                now: jiff::Timestamp,
                context: &crate::AuditContext,
            ) -> Result<(), StoreError> {
                let mut transaction = self.begin_write().await?;
                let graded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM proposal_reviews WHERE cycle_id = $1 AND grade IS NOT NULL")
                    .bind(cycle.0)
                    .fetch_one(&mut *transaction)
                    .await?;
                if graded > 0 {
                    return Err(StoreError::Conflict(format!("{graded} reviews of this cycle are graded; the assignment can no longer be replaced")));
                }
                let in_cycle: std::collections::HashSet<i64> = sqlx::query_scalar::<_, i64>("SELECT id FROM proposals WHERE cycle_id = $1 AND status = 'submitted'")
                    .bind(cycle.0)
                    .fetch_all(&mut *transaction)
                    .await?
                    .into_iter()
                    .collect();
                if let Some((proposal, _, _)) = pairs.iter().find(|(proposal, _, _)| !in_cycle.contains(&proposal.0)) {
                    return Err(StoreError::InvalidReference { field: "pairs", reason: format!("proposal {} is not a submitted proposal of this cycle", proposal.0) });
                }
                sqlx::query("DELETE FROM proposal_reviews WHERE cycle_id = $1").bind(cycle.0).execute(&mut *transaction).await?;
                for chunk in pairs.chunks(crate::beamtime::review_sql::PROGRAMME_CHUNK_ROWS) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new("INSERT INTO proposal_reviews (proposal_id, reviewer_user_id, cycle_id, affinity, comment, assigned_at) ");
                    insert.push_values(chunk, |mut row, (proposal, reviewer, affinity)| {
                        row.push_bind(proposal.0)
                            .push_bind(reviewer.0)
                            .push_bind(cycle.0)
                            .push_bind(*affinity as i32)
                            .push_bind("")
                            .push_bind(crate::timestamp::StoredInstant(now));
                    });
                    insert
                        .build()
                        .execute(&mut *transaction)
                        .await
                        .map_err(|error| StoreError::from_write(error, "a review of that proposal by that reviewer"))?;
                }
                Self::record_audit_event(
                    &mut transaction,
                    context,
                    "facility.reviewers_assigned",
                    &format!("cycle:{}", cycle.0),
                    serde_json::json!({"reviews": pairs.len()}),
                )
                .await?;
                transaction.commit().await?;
                Ok(())
            }

            async fn reviews_of_cycle(&self, cycle: corridor_domain::facility::proposal::CycleId) -> Result<Vec<crate::beamtime::ReviewRecord>, StoreError> {
                let mut connection = self.read_pool().acquire().await?;
                let rows = sqlx::query(&format!("SELECT {} FROM proposal_reviews WHERE cycle_id = $1 ORDER BY proposal_id, reviewer_user_id", Self::REVIEW_COLUMNS))
                    .bind(cycle.0)
                    .fetch_all(&mut *connection)
                    .await?;
                rows.iter().map(Self::review_from_row).collect()
            }

            async fn reviews_of_reviewer(&self, reviewer: corridor_domain::UserId) -> Result<Vec<crate::beamtime::ReviewRecord>, StoreError> {
                let mut connection = self.read_pool().acquire().await?;
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM proposal_reviews WHERE reviewer_user_id = $1 ORDER BY cycle_id DESC, proposal_id LIMIT 500",
                    Self::REVIEW_COLUMNS
                ))
                .bind(reviewer.0)
                .fetch_all(&mut *connection)
                .await?;
                rows.iter().map(Self::review_from_row).collect()
            }

            async fn grade_review(
                &self,
                proposal: corridor_domain::facility::ProposalId,
                reviewer: corridor_domain::UserId,
                grade: f64,
                comment: &str,
                now: jiff::Timestamp,
                context: &crate::AuditContext,
            ) -> Result<crate::beamtime::ReviewRecord, StoreError> {
                if !corridor_domain::facility::plan::grade_is_valid(grade) {
                    return Err(StoreError::InvalidReference { field: "grade", reason: "a grade is 1.0 (outstanding) to 5.0 (not fundable), in tenths".into() });
                }
                if comment.chars().count() > 5_000 {
                    return Err(StoreError::InvalidReference { field: "comment", reason: "at most 5,000 characters".into() });
                }
                let mut transaction = self.begin_write().await?;
                let updated = sqlx::query("UPDATE proposal_reviews SET grade = $1, comment = $2, graded_at = $3 WHERE proposal_id = $4 AND reviewer_user_id = $5")
                    .bind(grade)
                    .bind(comment.trim())
                    .bind(crate::timestamp::StoredInstant(now))
                    .bind(proposal.0)
                    .bind(reviewer.0)
                    .execute(&mut *transaction)
                    .await?
                    .rows_affected();
                if updated == 0 {
                    return Err(StoreError::NotFound(format!("no review of proposal {} assigned to you", proposal.0)));
                }
                Self::record_audit_event(&mut transaction, context, "facility.proposal_graded", &format!("proposal:{}", proposal.0), serde_json::json!({"grade": grade})).await?;
                let row = sqlx::query(&format!("SELECT {} FROM proposal_reviews WHERE proposal_id = $1 AND reviewer_user_id = $2", Self::REVIEW_COLUMNS))
                    .bind(proposal.0)
                    .bind(reviewer.0)
                    .fetch_one(&mut *transaction)
                    .await?;
                let record = Self::review_from_row(&row)?;
                transaction.commit().await?;
                Ok(record)
            }

            async fn replace_allocation(
                &self,
                cycle: corridor_domain::facility::proposal::CycleId,
                decisions: &[crate::beamtime::StoredDecision],
                blocks: &[crate::beamtime::StoredBlock],
                notifications: &[crate::beamtime::NewNotification],
                now: jiff::Timestamp,
                context: &crate::AuditContext,
            ) -> Result<(), StoreError> {
                let mut transaction = self.begin_write().await?;
                let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM proposal_cycles WHERE id = $1").bind(cycle.0).fetch_optional(&mut *transaction).await?;
                if exists.is_none() {
                    return Err(StoreError::NotFound(format!("cycle {}", cycle.0)));
                }
                let in_cycle: std::collections::HashSet<i64> = sqlx::query_scalar::<_, i64>("SELECT id FROM proposals WHERE cycle_id = $1")
                    .bind(cycle.0)
                    .fetch_all(&mut *transaction)
                    .await?
                    .into_iter()
                    .collect();
                let outside = decisions
                    .iter()
                    .map(|decision| decision.proposal)
                    .chain(blocks.iter().map(|block| block.proposal))
                    .find(|proposal| !in_cycle.contains(&proposal.0));
                if let Some(proposal) = outside {
                    return Err(StoreError::InvalidReference { field: "proposal", reason: format!("proposal {} is not of this cycle", proposal.0) });
                }
                sqlx::query("DELETE FROM schedule_blocks WHERE cycle_id = $1").bind(cycle.0).execute(&mut *transaction).await?;
                sqlx::query("DELETE FROM allocation_decisions WHERE cycle_id = $1").bind(cycle.0).execute(&mut *transaction).await?;
                for chunk in decisions.chunks(crate::beamtime::review_sql::PROGRAMME_CHUNK_ROWS) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO allocation_decisions (cycle_id, proposal_id, beamline_id, requested, granted, effective_score, cycles_waiting, fee_fen, reason, explanation) ",
                    );
                    insert.push_values(chunk, |mut row, decision| {
                        row.push_bind(cycle.0)
                            .push_bind(decision.proposal.0)
                            .push_bind(decision.beamline.0)
                            .push_bind(decision.requested as i32)
                            .push_bind(decision.granted as i32)
                            .push_bind(decision.effective_score)
                            .push_bind(decision.cycles_waiting as i32)
                            .push_bind(decision.fee_fen)
                            .push_bind(decision.reason.clone())
                            .push_bind(decision.explanation.clone());
                    });
                    insert.build().execute(&mut *transaction).await.map_err(|error| StoreError::from_write(error, "a decision for that proposal and beamline"))?;
                }
                Self::insert_blocks_in(&mut transaction, cycle, blocks).await?;
                Self::insert_notifications_in(&mut transaction, notifications, now).await?;
                Self::record_audit_event(
                    &mut transaction,
                    context,
                    "facility.allocation_run",
                    &format!("cycle:{}", cycle.0),
                    serde_json::json!({
                        "decisions": decisions.len(),
                        "granted_shifts": decisions.iter().map(|decision| u64::from(decision.granted)).sum::<u64>(),
                        "blocks": blocks.len(),
                        "notifications": notifications.len(),
                    }),
                )
                .await?;
                transaction.commit().await?;
                Ok(())
            }

            async fn record_lost_day(
                &self,
                cycle: corridor_domain::facility::proposal::CycleId,
                day: corridor_domain::facility::proposal::ClosedDay,
                blocks: &[crate::beamtime::StoredBlock],
                notifications: &[crate::beamtime::NewNotification],
                context: &crate::AuditContext,
            ) -> Result<(), StoreError> {
                let mut transaction = self.begin_write().await?;
                let stored = Self::cycle_in(&mut transaction, cycle)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("cycle {}", cycle.0)))?;
                if stored.day_index(day.day).is_none() {
                    return Err(StoreError::InvalidReference { field: "day", reason: format!("{} is outside the cycle", day.day) });
                }
                if stored.closed_days.iter().any(|closed| closed.day == day.day) {
                    return Err(StoreError::Conflict(format!("{} is already closed", day.day)));
                }
                let decisions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM allocation_decisions WHERE cycle_id = $1")
                    .bind(cycle.0)
                    .fetch_one(&mut *transaction)
                    .await?;
                if decisions == 0 {
                    return Err(StoreError::Conflict("the cycle has no allocation to re-plan".into()));
                }
                sqlx::query("INSERT INTO cycle_closed_days (cycle_id, day, reason) VALUES ($1, $2, $3)")
                    .bind(cycle.0)
                    .bind(day.day.to_string())
                    .bind(day.reason.as_code())
                    .execute(&mut *transaction)
                    .await?;
                sqlx::query("DELETE FROM schedule_blocks WHERE cycle_id = $1").bind(cycle.0).execute(&mut *transaction).await?;
                Self::insert_blocks_in(&mut transaction, cycle, blocks).await?;
                let now = crate::now();
                Self::insert_notifications_in(&mut transaction, notifications, now).await?;
                Self::record_audit_event(
                    &mut transaction,
                    context,
                    "facility.beam_day_lost",
                    &format!("cycle:{}", cycle.0),
                    serde_json::json!({"day": day.day.to_string(), "blocks": blocks.len(), "notifications": notifications.len()}),
                )
                .await?;
                transaction.commit().await?;
                Ok(())
            }

            async fn decisions_of_cycle(&self, cycle: corridor_domain::facility::proposal::CycleId) -> Result<Vec<crate::beamtime::StoredDecision>, StoreError> {
                let mut connection = self.read_pool().acquire().await?;
                let rows = sqlx::query(
                    "SELECT proposal_id, beamline_id, requested, granted, effective_score, cycles_waiting, fee_fen, reason, explanation \
                     FROM allocation_decisions WHERE cycle_id = $1 ORDER BY proposal_id, beamline_id",
                )
                .bind(cycle.0)
                .fetch_all(&mut *connection)
                .await?;
                rows.iter().map(Self::decision_from_row).collect()
            }

            async fn schedule_of_cycle(&self, cycle: corridor_domain::facility::proposal::CycleId) -> Result<Vec<crate::beamtime::StoredBlock>, StoreError> {
                let mut connection = self.read_pool().acquire().await?;
                let rows: Vec<(i64, i64, i32, i32)> = sqlx::query_as(
                    "SELECT beamline_id, proposal_id, first_shift, shifts FROM schedule_blocks WHERE cycle_id = $1 ORDER BY beamline_id, first_shift",
                )
                .bind(cycle.0)
                .fetch_all(&mut *connection)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(beamline, proposal, first_shift, shifts)| crate::beamtime::StoredBlock {
                        beamline: corridor_domain::BeamlineId(beamline),
                        proposal: corridor_domain::facility::ProposalId(proposal),
                        first_shift: first_shift.max(0) as u32,
                        shifts: shifts.max(0) as u32,
                    })
                    .collect())
            }

            async fn predecessor_outcomes(&self, proposals: &[corridor_domain::facility::ProposalId]) -> Result<Vec<crate::beamtime::PredecessorOutcome>, StoreError> {
                let mut connection = self.read_pool().acquire().await?;
                let mut outcomes = Vec::new();
                for chunk in proposals.chunks(crate::beamtime::review_sql::PROGRAMME_CHUNK_ROWS) {
                    let mut query = sqlx::QueryBuilder::<$db>::new(
                        "SELECT proposal_id, MIN(effective_score) AS best_score, SUM(granted) AS granted, MAX(cycles_waiting) AS waiting \
                         FROM allocation_decisions WHERE proposal_id IN (",
                    );
                    let mut separated = query.separated(", ");
                    for proposal in chunk {
                        separated.push_bind(proposal.0);
                    }
                    query.push(") GROUP BY proposal_id");
                    let rows: Vec<(i64, Option<f64>, i64, i32)> = query.build_query_as().fetch_all(&mut *connection).await?;
                    outcomes.extend(rows.into_iter().map(|(proposal, best_score, granted, waiting)| crate::beamtime::PredecessorOutcome {
                        proposal: corridor_domain::facility::ProposalId(proposal),
                        best_score,
                        granted: granted.max(0) as u32,
                        cycles_waiting: waiting.max(0) as u32,
                    }));
                }
                Ok(outcomes)
            }

            async fn people_of_cycle(&self, cycle: corridor_domain::facility::proposal::CycleId) -> Result<Vec<crate::beamtime::ProposalPersonOrigin>, StoreError> {
                let mut connection = self.read_pool().acquire().await?;
                let rows: Vec<(i64, i64, i64, String, String, i64)> = sqlx::query_as(
                    "SELECT people.proposal_id, people.user_id, i.id, i.kind, c.province_code, people.principal FROM ( \
                         SELECT id AS proposal_id, principal_user_id AS user_id, CAST(1 AS BIGINT) AS principal FROM proposals WHERE cycle_id = $1 AND status = 'submitted' \
                         UNION ALL SELECT m.proposal_id, m.user_id, CAST(0 AS BIGINT) FROM proposal_members m JOIN proposals p ON p.id = m.proposal_id \
                         WHERE p.cycle_id = $1 AND p.status = 'submitted' \
                     ) people JOIN users u ON u.id = people.user_id JOIN institutions i ON i.id = u.home_institution_id \
                     JOIN cities c ON c.code = i.city_code ORDER BY people.proposal_id, people.user_id",
                )
                .bind(cycle.0)
                .fetch_all(&mut *connection)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(proposal, user, institution, institution_kind, province, principal)| crate::beamtime::ProposalPersonOrigin {
                        proposal: corridor_domain::facility::ProposalId(proposal),
                        user: corridor_domain::UserId(user),
                        institution: corridor_domain::InstitutionId(institution),
                        institution_kind,
                        province,
                        principal: principal == 1,
                    })
                    .collect())
            }

            async fn notifications_of_user(&self, user: corridor_domain::UserId, limit: u32) -> Result<Vec<crate::beamtime::NotificationRecord>, StoreError> {
                let mut connection = self.read_pool().acquire().await?;
                type NotificationRow = (i64, i64, String, String, String, crate::timestamp::StoredInstant, Option<crate::timestamp::StoredInstant>, Option<i64>, Option<String>);
                let rows: Vec<NotificationRow> = sqlx::query_as(
                    "SELECT id, user_id, kind, subject, body, created_at, sent_at, booking_id, ics FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
                )
                .bind(user.0)
                .bind(i64::from(limit.min(500)))
                .fetch_all(&mut *connection)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, user, kind, subject, body, created_at, sent_at, booking, ics)| crate::beamtime::NotificationRecord {
                        id,
                        user: corridor_domain::UserId(user),
                        kind,
                        subject,
                        body,
                        created_at: created_at.0,
                        sent_at: sent_at.map(|instant| instant.0),
                        booking: booking.map(corridor_domain::BookingId),
                        ics,
                    })
                    .collect())
            }
        }
    };
}
pub(crate) use shared_facility_review_impl;
