//! The `BookingStore` implementation both engines share, expanded next to
//! `shared_booking_impl!` (same module: it uses that macro's row helpers and inherent
//! methods). Split from `booking_sql.rs` only to keep each file readable.

macro_rules! shared_booking_store_impl {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl crate::bookings::BookingStore for $store {
            #[cfg(feature = "bench-baselines")]
            fn set_booking_strategy(&self, strategy: crate::bookings::BookingStrategy) {
                self.booking_strategy.store(strategy as u8, std::sync::atomic::Ordering::Relaxed);
            }

            async fn calendar_rules(&self, instrument: InstrumentId) -> Result<Option<CalendarRules>, StoreError> {
                let mut transaction = self.read_pool().begin().await?;
                Self::rules_in(&mut transaction, instrument).await
            }

            async fn update_calendar_rules(&self, instrument: InstrumentId, rules: &CalendarRules, context: &AuditContext) -> Result<(), StoreError> {
                let mut transaction = self.begin_write().await?;
                let updated = sqlx::query(
                    "UPDATE instrument_calendars SET slot_minutes = $1, min_booking_minutes = $2, max_booking_minutes = $3, lead_time_minutes = $4, \
                     cancellation_deadline_minutes = $5, weekly_quota_minutes = $6, booking_horizon_days = $8, booking_sequence = booking_sequence + 1 WHERE instrument_id = $7",
                )
                .bind(i64::from(rules.slot_minutes))
                .bind(i64::from(rules.min_booking_minutes))
                .bind(i64::from(rules.max_booking_minutes))
                .bind(i64::from(rules.lead_time_minutes))
                .bind(i64::from(rules.cancellation_deadline_minutes))
                .bind(rules.weekly_quota_minutes.map(i64::from))
                .bind(instrument.0)
                .bind(i64::from(rules.booking_horizon_days))
                .execute(&mut *transaction)
                .await?;
                if updated.rows_affected() == 0 {
                    return Err(StoreError::NotFound(format!("no instrument with id {}", instrument.0)));
                }
                Self::record_audit_event(&mut transaction, context, "calendar.rules_updated", &format!("instrument:{}", instrument.0), serde_json::to_value(rules).unwrap_or_default()).await?;
                transaction.commit().await?;
                Ok(())
            }

            async fn calendar_view(&self, instrument: InstrumentId, window: TimeRange) -> Result<Option<CalendarView>, StoreError> {
                let mut transaction = self.read_pool().begin().await?;
                let Some(rules) = Self::rules_in(&mut transaction, instrument).await? else { return Ok(None) };
                let row = sqlx::query("SELECT institution_id, opening_hours, time_zone FROM instruments WHERE id = $1")
                    .bind(instrument.0)
                    .fetch_one(&mut *transaction)
                    .await?;
                let closures = Self::closures_in(&mut transaction, instrument, window).await?;
                let rows = sqlx::query(&format!("{BOOKING_SELECT} WHERE b.instrument_id = $1 AND b.ends_at > $2 AND b.starts_at < $3 AND b.status IN {HOLDING_STATUSES_SQL} ORDER BY b.starts_at"))
                    .bind(instrument.0)
                    .bind(StoredInstant(window.start))
                    .bind(StoredInstant(window.end))
                    .fetch_all(&mut *transaction)
                    .await?;
                Ok(Some(CalendarView {
                    instrument,
                    institution: InstitutionId(row.try_get("institution_id")?),
                    calendar: InstrumentCalendar {
                        time_zone: stored(TimeZoneName::parse(row.try_get("time_zone")?))?,
                        opening_hours: stored(WeeklyOpeningHours::parse(row.try_get("opening_hours")?))?,
                        rules,
                        closures,
                    },
                    bookings: rows.iter().map(booking_from_row).collect::<Result<_, _>>()?,
                }))
            }

            async fn add_closure(&self, instrument: InstrumentId, kind: ClosureKind, range: TimeRange, reason: &str, context: &AuditContext) -> Result<Closure, StoreError> {
                let mut transaction = self.begin_write().await?;
                if Self::lock_calendar_in(&mut transaction, instrument).await?.is_none() {
                    return Err(StoreError::NotFound(format!("no instrument with id {}", instrument.0)));
                }
                let id: i64 = sqlx::query_scalar("INSERT INTO calendar_closures (instrument_id, kind, starts_at, ends_at, reason, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
                    .bind(instrument.0)
                    .bind(kind.as_code())
                    .bind(StoredInstant(range.start))
                    .bind(StoredInstant(range.end))
                    .bind(reason)
                    .bind(context.actor.map(|user| user.0))
                    .bind(StoredInstant(crate::now()))
                    .fetch_one(&mut *transaction)
                    .await?;
                Self::record_calendar_change(&mut transaction, instrument).await?;
                Self::record_audit_event(&mut transaction, context, "calendar.closure_added", &format!("instrument:{}", instrument.0), serde_json::json!({
                    "closure": id, "kind": kind.as_code(), "starts_at": range.start.to_string(), "ends_at": range.end.to_string(), "reason": reason,
                })).await?;
                transaction.commit().await?;
                Ok(Closure { id: ClosureId(id), kind, range, reason: reason.to_owned() })
            }

            async fn remove_closure(&self, instrument: InstrumentId, closure: ClosureId, context: &AuditContext) -> Result<(), StoreError> {
                let mut transaction = self.begin_write().await?;
                if Self::lock_calendar_in(&mut transaction, instrument).await?.is_none() {
                    return Err(StoreError::NotFound(format!("no instrument with id {}", instrument.0)));
                }
                let deleted = sqlx::query("DELETE FROM calendar_closures WHERE id = $1 AND instrument_id = $2")
                    .bind(closure.0)
                    .bind(instrument.0)
                    .execute(&mut *transaction)
                    .await?;
                if deleted.rows_affected() == 0 {
                    return Err(StoreError::NotFound(format!("no closure {} of instrument {}", closure.0, instrument.0)));
                }
                Self::record_calendar_change(&mut transaction, instrument).await?;
                Self::record_audit_event(&mut transaction, context, "calendar.closure_removed", &format!("instrument:{}", instrument.0), serde_json::json!({ "closure": closure.0 })).await?;
                transaction.commit().await?;
                Ok(())
            }

            async fn quote_booking(&self, request: &BookingRequest, now: jiff::Timestamp) -> Result<BookingQuote, StoreError> {
                let mut transaction = self.read_pool().begin().await?;
                let rules = Self::rules_in(&mut transaction, request.instrument)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("no instrument with id {}", request.instrument.0)))?;
                let evaluation = Self::evaluate_request_in(&mut transaction, request, Some(rules), now, None).await?;
                let slot_free = !evaluation.slot_taken;
                Ok(BookingQuote {
                    user_class: evaluation.user_class,
                    hourly_rate: evaluation.hourly_rate,
                    minutes: request.range.minutes(),
                    price: evaluation.price,
                    slot_free,
                    denial: evaluation.denial,
                })
            }

            async fn create_booking(&self, request: &BookingRequest, now: jiff::Timestamp, context: &AuditContext) -> Result<BookingAttempt, StoreError> {
                self.create_booking_for_engine(request, now, context).await
            }

            async fn booking(&self, id: BookingId) -> Result<Option<BookingRecord>, StoreError> {
                let row = sqlx::query(&format!("{BOOKING_SELECT} WHERE b.id = $1"))
                    .bind(id.0)
                    .fetch_optional(self.read_pool())
                    .await?;
                row.as_ref().map(booking_from_row).transpose()
            }

            async fn bookings_of_user(&self, user: UserId, page: PageRequest) -> Result<Page<BookingRecord>, StoreError> {
                let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bookings WHERE user_id = $1").bind(user.0).fetch_one(self.read_pool()).await?;
                // Newest first: the id order is the order the bookings were made in.
                let rows = sqlx::query(&format!("{BOOKING_SELECT} WHERE b.user_id = $1 AND b.id < $2 ORDER BY b.id DESC LIMIT $3"))
                    .bind(user.0)
                    .bind(page.after.unwrap_or(i64::MAX))
                    .bind(i64::from(page.limit.get()))
                    .fetch_all(self.read_pool())
                    .await?;
                let items = rows.iter().map(booking_from_row).collect::<Result<Vec<_>, _>>()?;
                Ok(Page::from_items(count(total), items, page.limit, |booking| booking.id.0))
            }

            async fn pending_bookings(&self, institutions: Option<&[InstitutionId]>, page: PageRequest) -> Result<Page<BookingRecord>, StoreError> {
                let scope = crate::bookings::sql::institution_scope(institutions);
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM bookings b JOIN instruments i ON i.id = b.instrument_id WHERE b.status = 'pending'{scope}"))
                    .fetch_one(self.read_pool())
                    .await?;
                let rows = sqlx::query(&format!("{BOOKING_SELECT} WHERE b.status = 'pending'{scope} AND b.id > $1 ORDER BY b.id LIMIT $2"))
                    .bind(page.after.unwrap_or(0))
                    .bind(i64::from(page.limit.get()))
                    .fetch_all(self.read_pool())
                    .await?;
                let items = rows.iter().map(booking_from_row).collect::<Result<Vec<_>, _>>()?;
                Ok(Page::from_items(count(total), items, page.limit, |booking| booking.id.0))
            }

            async fn bookings_awaiting_usage(&self, institutions: Option<&[InstitutionId]>, ended_by: jiff::Timestamp, voucher_held_only: bool, page: PageRequest) -> Result<Page<BookingRecord>, StoreError> {
                let mut scope = crate::bookings::sql::institution_scope(institutions);
                if voucher_held_only {
                    // A confirmed booking's voucher payment is still a hold: holds end with
                    // the booking's completion, cancellation or rejection.
                    scope.push_str(" AND EXISTS (SELECT 1 FROM booking_voucher_payments p WHERE p.booking_id = b.id)");
                }
                // The partial index `bookings_confirmed_by_end` keeps both queries to the few
                // confirmed bookings whose slot is over.
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM bookings b JOIN instruments i ON i.id = b.instrument_id WHERE b.status = 'confirmed' AND b.ends_at <= $1{scope}"))
                    .bind(StoredInstant(ended_by))
                    .fetch_one(self.read_pool())
                    .await?;
                let rows = sqlx::query(&format!("{BOOKING_SELECT} WHERE b.status = 'confirmed' AND b.ends_at <= $1{scope} AND b.id > $2 ORDER BY b.id LIMIT $3"))
                    .bind(StoredInstant(ended_by))
                    .bind(page.after.unwrap_or(0))
                    .bind(i64::from(page.limit.get()))
                    .fetch_all(self.read_pool())
                    .await?;
                let items = rows.iter().map(booking_from_row).collect::<Result<Vec<_>, _>>()?;
                Ok(Page::from_items(count(total), items, page.limit, |booking| booking.id.0))
            }

            async fn cancel_booking(&self, id: BookingId, actor: BookingActor, now: jiff::Timestamp, context: &AuditContext) -> Result<BookingChange, StoreError> {
                let mut transaction = self.begin_write().await?;
                let (booking, rules) = Self::booking_for_change_in(&mut transaction, id, Some(actor)).await?;
                if !matches!(booking.status, BookingStatus::Pending | BookingStatus::Confirmed) {
                    return Ok(BookingChange::WrongStatus { status: booking.status, action: "cancelled" });
                }
                if let BookingActor::Owner(_) = actor {
                    if let Err(refusal) = check_user_may_cancel(&rules, booking.range, now) {
                        return Ok(BookingChange::Denied(BookingDenial::Rule(refusal)));
                    }
                }
                Self::set_booking_status_in(&mut transaction, &booking, BookingStatus::Cancelled, now).await?;
                Self::record_audit_event(&mut transaction, context, "booking.cancelled", &format!("booking:{}", id.0), serde_json::json!({ "by_manager": matches!(actor, BookingActor::Manager(_)) })).await?;
                let promoted = Self::promote_waitlist_in(&mut transaction, booking.instrument, booking.range, rules, now, context).await?;
                let booking = Self::booking_in(&mut transaction, id).await?;
                let by_manager = matches!(actor, BookingActor::Manager(_));
                Self::notify_booking_in(&mut transaction, &booking, corridor_domain::booking_mail::BookingMailKind::Cancelled { by_manager }, now).await?;
                // A voucher's hold ends with the booking: released, or redeemed for the usage.
                Self::settle_voucher_payment_in(&mut transaction, &booking, now, context)
                    .await?
                    .map_err(|refusal| StoreError::corrupt(format!("the voucher payment of booking {} could not be settled: {refusal}", booking.id.0)))?;
                transaction.commit().await?;
                Ok(BookingChange::Done { booking, promoted })
            }

            async fn reschedule_booking(&self, id: BookingId, range: TimeRange, actor: BookingActor, now: jiff::Timestamp, context: &AuditContext) -> Result<BookingChange, StoreError> {
                let mut transaction = self.begin_write().await?;
                let (booking, rules) = Self::booking_for_change_in(&mut transaction, id, Some(actor)).await?;
                if !matches!(booking.status, BookingStatus::Pending | BookingStatus::Confirmed) {
                    return Ok(BookingChange::WrongStatus { status: booking.status, action: "rescheduled" });
                }
                if let BookingActor::Owner(_) = actor {
                    if let Err(refusal) = check_user_may_cancel(&rules, booking.range, now) {
                        return Ok(BookingChange::Denied(BookingDenial::Rule(refusal)));
                    }
                }
                let request = BookingRequest {
                    instrument: booking.instrument,
                    user: booking.user,
                    range,
                    purpose: booking.purpose.clone(),
                    idempotency_key: None,
                    join_waitlist_if_taken: false,
                };
                let evaluation = Self::evaluate_request_in(&mut transaction, &request, Some(rules), now, Some(id)).await?;
                if let Some(denial) = evaluation.denial {
                    return Ok(BookingChange::Denied(denial));
                }
                if evaluation.slot_taken {
                    return Ok(BookingChange::SlotTaken);
                }
                let status = match evaluation.booking_mode {
                    BookingMode::Instant => BookingStatus::Confirmed,
                    BookingMode::NeedsApproval => BookingStatus::Pending,
                };
                sqlx::query("UPDATE bookings SET starts_at = $1, ends_at = $2, status = $3, hourly_rate_fen = $4, price_fen = $5, updated_at = $6, decided_by = NULL, decision_note = NULL WHERE id = $7")
                    .bind(StoredInstant(range.start))
                    .bind(StoredInstant(range.end))
                    .bind(status.as_code())
                    .bind(evaluation.hourly_rate.0)
                    .bind(evaluation.price.0)
                    .bind(StoredInstant(now))
                    .bind(id.0)
                    .execute(&mut *transaction)
                    .await?;
                Self::record_calendar_change(&mut transaction, booking.instrument).await?;
                Self::record_audit_event(&mut transaction, context, "booking.rescheduled", &format!("booking:{}", id.0), serde_json::json!({
                    "from": { "starts_at": booking.range.start.to_string(), "ends_at": booking.range.end.to_string() },
                    "to": { "starts_at": range.start.to_string(), "ends_at": range.end.to_string() },
                })).await?;
                let promoted = Self::promote_waitlist_in(&mut transaction, booking.instrument, booking.range, rules, now, context).await?;
                let booking = Self::booking_in(&mut transaction, id).await?;
                transaction.commit().await?;
                Ok(BookingChange::Done { booking, promoted })
            }

            async fn decide_booking(&self, id: BookingId, approve: bool, note: Option<&str>, now: jiff::Timestamp, context: &AuditContext) -> Result<BookingChange, StoreError> {
                let mut transaction = self.begin_write().await?;
                let (booking, rules) = Self::booking_for_change_in(&mut transaction, id, None).await?;
                let action = if approve { "approved" } else { "rejected" };
                if booking.status != BookingStatus::Pending {
                    return Ok(BookingChange::WrongStatus { status: booking.status, action });
                }
                let status = if approve { BookingStatus::Confirmed } else { BookingStatus::Rejected };
                sqlx::query("UPDATE bookings SET status = $1, decided_by = $2, decision_note = $3, updated_at = $4 WHERE id = $5")
                    .bind(status.as_code())
                    .bind(context.actor.map(|user| user.0))
                    .bind(note)
                    .bind(StoredInstant(now))
                    .bind(id.0)
                    .execute(&mut *transaction)
                    .await?;
                Self::record_calendar_change(&mut transaction, booking.instrument).await?;
                Self::record_audit_event(&mut transaction, context, if approve { "booking.approved" } else { "booking.rejected" }, &format!("booking:{}", id.0), serde_json::json!({ "note": note })).await?;
                let promoted = if approve {
                    Vec::new()
                } else {
                    Self::promote_waitlist_in(&mut transaction, booking.instrument, booking.range, rules, now, context).await?
                };
                let booking = Self::booking_in(&mut transaction, id).await?;
                let kind = if approve { corridor_domain::booking_mail::BookingMailKind::Approved } else { corridor_domain::booking_mail::BookingMailKind::Refused };
                Self::notify_booking_in(&mut transaction, &booking, kind, now).await?;
                // A voucher's hold ends with the booking: released, or redeemed for the usage.
                Self::settle_voucher_payment_in(&mut transaction, &booking, now, context)
                    .await?
                    .map_err(|refusal| StoreError::corrupt(format!("the voucher payment of booking {} could not be settled: {refusal}", booking.id.0)))?;
                transaction.commit().await?;
                Ok(BookingChange::Done { booking, promoted })
            }

            async fn record_usage(&self, id: BookingId, usage_minutes: i64, now: jiff::Timestamp, context: &AuditContext) -> Result<BookingChange, StoreError> {
                let mut transaction = self.begin_write().await?;
                let (booking, _rules) = Self::booking_for_change_in(&mut transaction, id, None).await?;
                if !matches!(booking.status, BookingStatus::Confirmed | BookingStatus::Completed) {
                    return Ok(BookingChange::WrongStatus { status: booking.status, action: "given usage" });
                }
                if now < booking.range.start {
                    return Ok(BookingChange::Denied(BookingDenial::Rule(corridor_domain::BookingRefusal::UsageBeforeStart { starts_at: booking.range.start })));
                }
                let charged = price_for_minutes(booking.hourly_rate, usage_minutes);
                sqlx::query("UPDATE bookings SET status = 'completed', usage_minutes = $1, charged_fen = $2, updated_at = $3 WHERE id = $4")
                    .bind(usage_minutes)
                    .bind(charged.0)
                    .bind(StoredInstant(now))
                    .bind(id.0)
                    .execute(&mut *transaction)
                    .await?;
                Self::record_audit_event(&mut transaction, context, "booking.usage_recorded", &format!("booking:{}", id.0), serde_json::json!({ "usage_minutes": usage_minutes, "charged_fen": charged.0 })).await?;
                let booking = Self::booking_in(&mut transaction, id).await?;
                Self::notify_booking_in(&mut transaction, &booking, corridor_domain::booking_mail::BookingMailKind::UsageRecorded, now).await?;
                // A voucher's hold ends with the booking: redeemed for the usage; usage recorded
                // again moves the voucher's payment to its share of the new charge.
                if let Err(refusal) = Self::settle_voucher_payment_in(&mut transaction, &booking, now, context).await? {
                    transaction.rollback().await?;
                    return Ok(BookingChange::VoucherCannotCover(refusal.to_string()));
                }
                transaction.commit().await?;
                Ok(BookingChange::Done { booking, promoted: Vec::new() })
            }

            async fn waitlist_of_user(&self, user: UserId) -> Result<Vec<WaitlistEntry>, StoreError> {
                let rows = sqlx::query("SELECT id, instrument_id, user_id, starts_at, ends_at, purpose, status, created_at, promoted_booking_id FROM waitlist_entries WHERE user_id = $1 ORDER BY id DESC LIMIT 200")
                    .bind(user.0)
                    .fetch_all(self.read_pool())
                    .await?;
                rows.iter().map(waitlist_entry_from_row).collect()
            }

            async fn withdraw_waitlist_entry(&self, id: WaitlistEntryId, user: UserId, context: &AuditContext) -> Result<(), StoreError> {
                let mut transaction = self.begin_write().await?;
                let updated = sqlx::query("UPDATE waitlist_entries SET status = 'withdrawn' WHERE id = $1 AND user_id = $2 AND status = 'waiting'")
                    .bind(id.0)
                    .bind(user.0)
                    .execute(&mut *transaction)
                    .await?;
                if updated.rows_affected() == 0 {
                    return Err(StoreError::NotFound(format!("no waiting entry {} of this user", id.0)));
                }
                Self::record_audit_event(&mut transaction, context, "waitlist.withdrawn", &format!("waitlist:{}", id.0), serde_json::json!({})).await?;
                transaction.commit().await?;
                Ok(())
            }

            async fn grant_qualification(&self, instrument: InstrumentId, user: UserId, context: &AuditContext) -> Result<(), StoreError> {
                let mut transaction = self.begin_write().await?;
                let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1").bind(user.0).fetch_optional(&mut *transaction).await?;
                if exists.is_none() {
                    return Err(StoreError::InvalidReference { field: "user_id", reason: format!("there is no user {}", user.0) });
                }
                sqlx::query("INSERT INTO qualifications (instrument_id, user_id, granted_by, granted_at) VALUES ($1, $2, $3, $4)")
                    .bind(instrument.0)
                    .bind(user.0)
                    .bind(context.actor.map(|actor| actor.0))
                    .bind(StoredInstant(crate::now()))
                    .execute(&mut *transaction)
                    .await
                    .map_err(|error| StoreError::from_write(error, "a qualification of this user for this instrument"))?;
                Self::record_audit_event(&mut transaction, context, "qualification.granted", &format!("instrument:{}", instrument.0), serde_json::json!({ "user": user.0 })).await?;
                transaction.commit().await?;
                Ok(())
            }

            async fn revoke_qualification(&self, instrument: InstrumentId, user: UserId, context: &AuditContext) -> Result<(), StoreError> {
                let mut transaction = self.begin_write().await?;
                let updated = sqlx::query("UPDATE qualifications SET revoked_at = $1, revoked_by = $2 WHERE instrument_id = $3 AND user_id = $4 AND revoked_at IS NULL")
                    .bind(StoredInstant(crate::now()))
                    .bind(context.actor.map(|actor| actor.0))
                    .bind(instrument.0)
                    .bind(user.0)
                    .execute(&mut *transaction)
                    .await?;
                if updated.rows_affected() == 0 {
                    return Err(StoreError::NotFound(format!("user {} holds no qualification for instrument {}", user.0, instrument.0)));
                }
                Self::record_audit_event(&mut transaction, context, "qualification.revoked", &format!("instrument:{}", instrument.0), serde_json::json!({ "user": user.0 })).await?;
                transaction.commit().await?;
                Ok(())
            }

            async fn qualifications(&self, instrument: InstrumentId) -> Result<Vec<Qualification>, StoreError> {
                let rows = sqlx::query("SELECT q.instrument_id, q.user_id, u.display_name, q.granted_by, q.granted_at FROM qualifications q JOIN users u ON u.id = q.user_id WHERE q.instrument_id = $1 AND q.revoked_at IS NULL ORDER BY q.id")
                    .bind(instrument.0)
                    .fetch_all(self.read_pool())
                    .await?;
                rows.iter()
                    .map(|row| {
                        Ok(Qualification {
                            instrument: InstrumentId(row.try_get("instrument_id")?),
                            user: UserId(row.try_get("user_id")?),
                            user_display_name: row.try_get("display_name")?,
                            granted_by: row.try_get::<Option<i64>, _>("granted_by")?.map(UserId),
                            granted_at: row.try_get::<StoredInstant, _>("granted_at")?.0,
                        })
                    })
                    .collect()
            }

            async fn availability_facts(&self, horizon: TimeRange, instruments: Option<&[InstrumentId]>) -> Result<Vec<AvailabilityFacts>, StoreError> {
                // Ids are integers, so formatting them in is safe.
                let listed = instruments.map(|ids| {
                    if ids.is_empty() {
                        "NULL".to_owned()
                    } else {
                        ids.iter().map(|id| id.0.to_string()).collect::<Vec<_>>().join(", ")
                    }
                });
                let only = listed.as_ref().map_or(String::new(), |ids| format!(" AND instrument_id IN ({ids})"));
                let only_instrument = listed.as_ref().map_or(String::new(), |ids| format!(" WHERE id IN ({ids})"));
                let mut transaction = self.read_pool().begin().await?;
                let mut facts: BTreeMap<i64, AvailabilityFacts> = BTreeMap::new();
                let rows = sqlx::query(&format!("SELECT id, time_zone, opening_hours FROM instruments{only_instrument}"))
                    .fetch_all(&mut *transaction)
                    .await?;
                for row in &rows {
                    let id: i64 = row.try_get("id")?;
                    facts.insert(id, AvailabilityFacts {
                        instrument: InstrumentId(id),
                        time_zone: row.try_get("time_zone")?,
                        opening_hours: stored(WeeklyOpeningHours::parse(row.try_get("opening_hours")?))?,
                        closures: Vec::new(),
                        busy: Vec::new(),
                    });
                }
                for (table, status_filter, closures) in [
                    ("calendar_closures", String::new(), true),
                    ("bookings", format!(" AND status IN {HOLDING_STATUSES_SQL}"), false),
                ] {
                    let rows = sqlx::query(&format!("SELECT instrument_id, starts_at, ends_at FROM {table} WHERE ends_at > $1 AND starts_at < $2{status_filter}{only} ORDER BY instrument_id, starts_at"))
                        .bind(StoredInstant(horizon.start))
                        .bind(StoredInstant(horizon.end))
                        .fetch_all(&mut *transaction)
                        .await?;
                    for row in &rows {
                        let id: i64 = row.try_get("instrument_id")?;
                        let range = stored(TimeRange::new(row.try_get::<StoredInstant, _>("starts_at")?.0, row.try_get::<StoredInstant, _>("ends_at")?.0))?;
                        if let Some(entry) = facts.get_mut(&id) {
                            if closures { entry.closures.push(range) } else { entry.busy.push(range) }
                        }
                    }
                }
                Ok(facts.into_values().collect())
            }

            async fn booking_spans(&self, bookings: &[BookingId]) -> Result<Vec<crate::BookingSpan>, StoreError> {
                let mut spans = Vec::with_capacity(bookings.len());
                for chunk in bookings.chunks(IMPORT_CHUNK_ROWS) {
                    // Ids are integers, so formatting them in is safe.
                    let ids = chunk.iter().map(|id| id.0.to_string()).collect::<Vec<_>>().join(", ");
                    let rows = sqlx::query(&format!(
                        "SELECT id, instrument_id, starts_at, ends_at, status IN {HOLDING_STATUSES_SQL} AS holding FROM bookings WHERE id IN ({ids}) ORDER BY id"
                    ))
                    .fetch_all(self.read_pool())
                    .await?;
                    for row in &rows {
                        spans.push(crate::BookingSpan {
                            booking: BookingId(row.try_get("id")?),
                            instrument: InstrumentId(row.try_get("instrument_id")?),
                            range: stored(TimeRange::new(row.try_get::<StoredInstant, _>("starts_at")?.0, row.try_get::<StoredInstant, _>("ends_at")?.0))?,
                            holding: row.try_get("holding")?,
                        });
                    }
                }
                Ok(spans)
            }

            async fn queue_booking_reminders(&self, now: jiff::Timestamp) -> Result<u64, StoreError> {
                self.queue_booking_reminders_impl(now).await
            }

            async fn count_overlapping_bookings(&self) -> Result<u64, StoreError> {
                let overlaps: i64 = sqlx::query_scalar(&format!(
                    "SELECT COUNT(*) FROM bookings a JOIN bookings b ON a.instrument_id = b.instrument_id AND a.id < b.id \
                     AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at \
                     WHERE a.status IN {HOLDING_STATUSES_SQL} AND b.status IN {HOLDING_STATUSES_SQL}"
                ))
                .fetch_one(self.read_pool())
                .await?;
                Ok(count(overlaps))
            }

            async fn import_booking_history(&self, rules: &[(InstrumentId, CalendarRules)], bookings: &[HistoricalBooking], qualifications: &[(InstrumentId, UserId)]) -> Result<u64, StoreError> {
                let mut transaction = self.begin_write().await?;
                let created_at = StoredInstant(crate::now());
                for chunk in rules.chunks(IMPORT_CHUNK_ROWS) {
                    let ids = chunk.iter().map(|(id, _)| id.0.to_string()).collect::<Vec<_>>().join(", ");
                    sqlx::query(&format!("DELETE FROM instrument_calendars WHERE instrument_id IN ({ids})")).execute(&mut *transaction).await?;
                    let mut insert = QueryBuilder::<$db>::new(&format!("INSERT INTO instrument_calendars (instrument_id, {RULE_COLUMNS}) "));
                    insert.push_values(chunk, |mut row, (id, rules)| {
                        row.push_bind(id.0)
                            .push_bind(i64::from(rules.slot_minutes))
                            .push_bind(i64::from(rules.min_booking_minutes))
                            .push_bind(i64::from(rules.max_booking_minutes))
                            .push_bind(i64::from(rules.lead_time_minutes))
                            .push_bind(i64::from(rules.cancellation_deadline_minutes))
                            .push_bind(rules.weekly_quota_minutes.map(i64::from))
                            .push_bind(i64::from(rules.booking_horizon_days));
                    });
                    insert.build().execute(&mut *transaction).await?;
                }
                Self::insert_historical_bookings_in(&mut transaction, bookings, created_at).await?;
                for chunk in qualifications.chunks(IMPORT_CHUNK_ROWS) {
                    let mut insert = QueryBuilder::<$db>::new("INSERT INTO qualifications (instrument_id, user_id, granted_at) ");
                    insert.push_values(chunk, |mut row, (instrument, user)| {
                        row.push_bind(instrument.0).push_bind(user.0).push_bind(created_at);
                    });
                    insert.build().execute(&mut *transaction).await?;
                }
                transaction.commit().await?;
                Ok(bookings.len() as u64)
            }
        }
    };
}
pub(crate) use shared_booking_store_impl;
