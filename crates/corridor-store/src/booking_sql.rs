//! The booking queries both engines share, expanded next to `shared_store_impl!` (same
//! module, same imports). Only `create_booking` differs per engine: SQLite batches attempts
//! into group commits, PostgreSQL runs each in its own transaction; both call
//! `attempt_booking_in` here.

pub(crate) const BOOKING_SELECT: &str = "\
    SELECT b.id, b.instrument_id, i.name_en AS instrument_name_en, i.name_zh AS instrument_name_zh, \
    i.institution_id, i.time_zone, b.user_id, u.display_name AS user_display_name, b.starts_at, \
    b.ends_at, b.status, b.user_class, b.hourly_rate_fen, b.price_fen, b.purpose, b.created_at, \
    b.updated_at, b.decided_by, b.decision_note, b.usage_minutes, b.charged_fen \
    FROM bookings b JOIN instruments i ON i.id = b.instrument_id JOIN users u ON u.id = b.user_id";

pub(crate) const HOLDING_STATUSES_SQL: &str = "('pending', 'confirmed', 'completed')";

/// What the store knows of a request once it has read the instrument, the user and the
/// calendar: the price, and the first reason to refuse it, if any.
pub(crate) struct RequestEvaluation {
    pub calendar: corridor_domain::InstrumentCalendar,
    pub booking_mode: corridor_domain::BookingMode,
    pub user_class: corridor_domain::UserClass,
    pub hourly_rate: corridor_domain::Fen,
    pub price: corridor_domain::Fen,
    pub denial: Option<crate::booking::BookingDenial>,
    /// Whether a holding booking (other than the one being moved) overlaps the request.
    pub slot_taken: bool,
    /// The booking an earlier request with the same idempotency key made.
    pub replayed: Option<corridor_domain::BookingId>,
    pub institution: corridor_domain::InstitutionId,
    pub instrument_name_en: String,
    pub instrument_name_zh: String,
    pub user_display_name: String,
}

impl RequestEvaluation {
    pub fn status(&self) -> corridor_domain::BookingStatus {
        match self.booking_mode {
            corridor_domain::BookingMode::Instant => corridor_domain::BookingStatus::Confirmed,
            corridor_domain::BookingMode::NeedsApproval => corridor_domain::BookingStatus::Pending,
        }
    }

    /// The record of the booking this evaluation writes, once it has an id; built from what
    /// was read rather than read back, which saves the hot path a round trip.
    pub fn new_record(
        &self,
        request: &crate::booking::BookingRequest,
        id: corridor_domain::BookingId,
        now: jiff::Timestamp,
    ) -> crate::booking::BookingRecord {
        crate::booking::BookingRecord {
            id,
            instrument: request.instrument,
            instrument_name_en: self.instrument_name_en.clone(),
            instrument_name_zh: self.instrument_name_zh.clone(),
            institution: self.institution,
            time_zone: self.calendar.time_zone.as_str().to_owned(),
            user: request.user,
            user_display_name: self.user_display_name.clone(),
            range: request.range,
            status: self.status(),
            user_class: self.user_class,
            hourly_rate: self.hourly_rate,
            price: self.price,
            purpose: request.purpose.clone(),
            created_at: now,
            updated_at: now,
            decided_by: None,
            decision_note: None,
            usage_minutes: None,
            charged: None,
        }
    }
}

/// The outcome of deciding an attempt: finished (replayed, denied, taken), or to be written.
pub(crate) enum AttemptDecision {
    Finished(crate::booking::BookingAttempt),
    Book(RequestEvaluation),
}

macro_rules! shared_booking_impl {
    ($store:ty, $db:ty) => {
        use corridor_domain::{
            check_user_may_cancel, price_for_minutes, BookingId, BookingStatus, CalendarRules,
            Closure, ClosureId, ClosureKind, InstrumentCalendar, TimeRange, UserClass,
            WaitlistEntryId, WaitlistStatus,
        };

        use crate::booking::{
            AvailabilityFacts, BookingActor, BookingAttempt, BookingChange, BookingDenial,
            BookingQuote, BookingRecord, BookingRequest, CalendarView, HistoricalBooking,
            Qualification, WaitlistEntry,
        };
        use crate::booking_sql::{AttemptDecision, RequestEvaluation, BOOKING_SELECT, HOLDING_STATUSES_SQL};

        fn booking_from_row(row: &DbRow) -> Result<BookingRecord, StoreError> {
            let starts_at: StoredInstant = row.try_get("starts_at")?;
            let ends_at: StoredInstant = row.try_get("ends_at")?;
            Ok(BookingRecord {
                id: BookingId(row.try_get("id")?),
                instrument: InstrumentId(row.try_get("instrument_id")?),
                instrument_name_en: row.try_get("instrument_name_en")?,
                instrument_name_zh: row.try_get("instrument_name_zh")?,
                institution: InstitutionId(row.try_get("institution_id")?),
                time_zone: row.try_get("time_zone")?,
                user: UserId(row.try_get("user_id")?),
                user_display_name: row.try_get("user_display_name")?,
                range: stored(TimeRange::new(starts_at.0, ends_at.0))?,
                status: stored(BookingStatus::parse(row.try_get("status")?))?,
                user_class: stored(UserClass::parse(row.try_get("user_class")?))?,
                hourly_rate: Fen(row.try_get("hourly_rate_fen")?),
                price: Fen(row.try_get("price_fen")?),
                purpose: row.try_get("purpose")?,
                created_at: row.try_get::<StoredInstant, _>("created_at")?.0,
                updated_at: row.try_get::<StoredInstant, _>("updated_at")?.0,
                decided_by: row.try_get::<Option<i64>, _>("decided_by")?.map(UserId),
                decision_note: row.try_get("decision_note")?,
                usage_minutes: row.try_get("usage_minutes")?,
                charged: row.try_get::<Option<i64>, _>("charged_fen")?.map(Fen),
            })
        }

        fn waitlist_entry_from_row(row: &DbRow) -> Result<WaitlistEntry, StoreError> {
            let starts_at: StoredInstant = row.try_get("starts_at")?;
            let ends_at: StoredInstant = row.try_get("ends_at")?;
            Ok(WaitlistEntry {
                id: WaitlistEntryId(row.try_get("id")?),
                instrument: InstrumentId(row.try_get("instrument_id")?),
                user: UserId(row.try_get("user_id")?),
                range: stored(TimeRange::new(starts_at.0, ends_at.0))?,
                purpose: row.try_get("purpose")?,
                status: stored(WaitlistStatus::parse(row.try_get("status")?))?,
                created_at: row.try_get::<StoredInstant, _>("created_at")?.0,
                promoted_booking: row.try_get::<Option<i64>, _>("promoted_booking_id")?.map(BookingId),
            })
        }

        fn rules_from_row(row: &DbRow) -> Result<CalendarRules, StoreError> {
            let minutes = |column: &str| -> Result<u32, StoreError> {
                u32::try_from(row.try_get::<i64, _>(column)?).map_err(|_| StoreError::corrupt(format!("{column} out of range")))
            };
            let quota: Option<i64> = row.try_get("weekly_quota_minutes")?;
            stored(CalendarRules::new(
                minutes("slot_minutes")?,
                minutes("min_booking_minutes")?,
                minutes("max_booking_minutes")?,
                minutes("lead_time_minutes")?,
                minutes("cancellation_deadline_minutes")?,
                quota.map(|quota| quota as u32),
            ))
        }

        pub(crate) fn booking_created_detail(request: &BookingRequest, evaluation: &RequestEvaluation) -> serde_json::Value {
            serde_json::json!({
                "instrument": request.instrument.0,
                "starts_at": request.range.start.to_string(),
                "ends_at": request.range.end.to_string(),
                "price_fen": evaluation.price.0,
            })
        }

        const RULE_COLUMNS: &str = "slot_minutes, min_booking_minutes, max_booking_minutes, lead_time_minutes, cancellation_deadline_minutes, weekly_quota_minutes";

        impl $store {
            /// Takes the instrument's booking lock for the rest of the transaction and reads
            /// its rules. `None` when there is no such instrument.
            async fn lock_calendar_in(transaction: &mut WriteTransaction<'_>, instrument: InstrumentId) -> Result<Option<CalendarRules>, StoreError> {
                let row = sqlx::query(&format!("UPDATE instrument_calendars SET booking_sequence = booking_sequence + 1 WHERE instrument_id = $1 RETURNING {RULE_COLUMNS}"))
                    .bind(instrument.0)
                    .fetch_optional(&mut **transaction)
                    .await?;
                row.as_ref().map(rules_from_row).transpose()
            }

            async fn rules_in(transaction: &mut WriteTransaction<'_>, instrument: InstrumentId) -> Result<Option<CalendarRules>, StoreError> {
                let row = sqlx::query(&format!("SELECT {RULE_COLUMNS} FROM instrument_calendars WHERE instrument_id = $1"))
                    .bind(instrument.0)
                    .fetch_optional(&mut **transaction)
                    .await?;
                row.as_ref().map(rules_from_row).transpose()
            }

            async fn closures_in(transaction: &mut WriteTransaction<'_>, instrument: InstrumentId, window: TimeRange) -> Result<Vec<Closure>, StoreError> {
                let rows = sqlx::query("SELECT id, kind, starts_at, ends_at, reason FROM calendar_closures WHERE instrument_id = $1 AND starts_at < $3 AND ends_at > $2 ORDER BY starts_at, id")
                    .bind(instrument.0)
                    .bind(StoredInstant(window.start))
                    .bind(StoredInstant(window.end))
                    .fetch_all(&mut **transaction)
                    .await?;
                rows.iter()
                    .map(|row| {
                        Ok(Closure {
                            id: ClosureId(row.try_get("id")?),
                            kind: stored(ClosureKind::parse(row.try_get("kind")?))?,
                            range: stored(TimeRange::new(row.try_get::<StoredInstant, _>("starts_at")?.0, row.try_get::<StoredInstant, _>("ends_at")?.0))?,
                            reason: row.try_get("reason")?,
                        })
                    })
                    .collect()
            }

            /// Reads everything the rules need about `request` in one query (the instrument,
            /// its rules, the user, their qualification, whether a holding booking overlaps,
            /// whether the idempotency key was used) and decides. Closures and the quota cost a
            /// second query only when the instrument has any. `rules` come from the lock when
            /// booking on PostgreSQL; otherwise they are read here.
            async fn evaluate_request_in(
                transaction: &mut WriteTransaction<'_>,
                request: &BookingRequest,
                rules: Option<CalendarRules>,
                now: jiff::Timestamp,
                except: Option<BookingId>,
            ) -> Result<RequestEvaluation, StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {RULE_COLUMNS}, i.institution_id, i.access_policy, i.booking_mode, i.training_required, i.opening_hours, i.time_zone, \
                     i.rate_own_institution_fen, i.rate_other_academic_fen, i.rate_industry_fen, i.name_en, i.name_zh, \
                     u.home_institution_id, u.display_name, hi.kind AS home_kind, hc.province_code AS home_province, \
                     (SELECT COUNT(*) FROM qualifications q WHERE q.instrument_id = i.id AND q.user_id = u.id AND q.revoked_at IS NULL) AS qualifications, \
                     (SELECT COUNT(*) FROM calendar_closures cc WHERE cc.instrument_id = i.id AND cc.starts_at < $4 AND cc.ends_at > $3) AS closures, \
                     (SELECT b.id FROM bookings b WHERE b.instrument_id = i.id AND b.ends_at > $3 AND b.starts_at < $4 AND b.status IN {HOLDING_STATUSES_SQL} AND b.id <> $5 LIMIT 1) AS overlapping, \
                     (SELECT r.id FROM bookings r WHERE r.user_id = u.id AND r.idempotency_key = $6) AS replayed \
                     FROM instrument_calendars c JOIN instruments i ON i.id = c.instrument_id, \
                     users u JOIN institutions hi ON hi.id = u.home_institution_id JOIN cities hc ON hc.code = hi.city_code \
                     WHERE c.instrument_id = $1 AND u.id = $2"
                ))
                .bind(request.instrument.0)
                .bind(request.user.0)
                .bind(StoredInstant(request.range.start))
                .bind(StoredInstant(request.range.end))
                .bind(except.map_or(0, |id| id.0))
                .bind(request.idempotency_key.as_deref())
                .fetch_optional(&mut **transaction)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("no instrument {} or no user {}", request.instrument.0, request.user.0)))?;
                let rules = match rules {
                    Some(rules) => rules,
                    None => rules_from_row(&row)?,
                };
                let provider = InstitutionId(row.try_get("institution_id")?);
                let home = InstitutionId(row.try_get("home_institution_id")?);
                let home_kind = stored(InstitutionKind::parse(row.try_get("home_kind")?))?;
                let home_province = stored(ProvinceCode::parse(row.try_get("home_province")?))?;
                let policy = stored(AccessPolicy::parse(row.try_get("access_policy")?))?;
                let rates = stored(HourlyRates::new(
                    Fen(row.try_get("rate_own_institution_fen")?),
                    Fen(row.try_get("rate_other_academic_fen")?),
                    Fen(row.try_get("rate_industry_fen")?),
                ))?;
                let user_class = if home == provider {
                    UserClass::OwnInstitution
                } else if home_kind.is_academic() {
                    UserClass::OtherAcademic
                } else {
                    UserClass::Industry
                };
                let hourly_rate = rates.for_class(user_class);
                let price = price_for_minutes(hourly_rate, request.range.minutes());
                let mut calendar = InstrumentCalendar {
                    time_zone: stored(TimeZoneName::parse(row.try_get("time_zone")?))?,
                    opening_hours: stored(WeeklyOpeningHours::parse(row.try_get("opening_hours")?))?,
                    rules,
                    closures: Vec::new(),
                };
                let booking_mode = stored(BookingMode::parse(row.try_get("booking_mode")?))?;
                let mut evaluation = RequestEvaluation {
                    calendar: calendar.clone(),
                    booking_mode,
                    user_class,
                    hourly_rate,
                    price,
                    denial: None,
                    slot_taken: row.try_get::<Option<i64>, _>("overlapping")?.is_some(),
                    replayed: row.try_get::<Option<i64>, _>("replayed")?.map(BookingId),
                    institution: provider,
                    instrument_name_en: row.try_get("name_en")?,
                    instrument_name_zh: row.try_get("name_zh")?,
                    user_display_name: row.try_get("display_name")?,
                };
                if !policy.admits(home, home_province, provider) {
                    evaluation.denial = Some(BookingDenial::NotAdmitted { policy });
                    return Ok(evaluation);
                }
                let training_required: bool = row.try_get("training_required")?;
                if training_required && row.try_get::<i64, _>("qualifications")? == 0 {
                    evaluation.denial = Some(BookingDenial::NotQualified);
                    return Ok(evaluation);
                }
                if row.try_get::<i64, _>("closures")? > 0 {
                    calendar.closures = Self::closures_in(transaction, request.instrument, request.range).await?;
                }
                if let Err(refusal) = calendar.check_request(request.range, now) {
                    evaluation.denial = Some(BookingDenial::Rule(refusal));
                    return Ok(evaluation);
                }
                if rules.weekly_quota_minutes.is_some() {
                    let week = calendar.quota_week_of(request.range.start);
                    let rows = sqlx::query(&format!(
                        "SELECT starts_at, ends_at FROM bookings WHERE instrument_id = $1 AND user_id = $2 AND starts_at >= $3 AND starts_at < $4 AND status IN {HOLDING_STATUSES_SQL} AND id <> $5"
                    ))
                    .bind(request.instrument.0)
                    .bind(request.user.0)
                    .bind(StoredInstant(week.start))
                    .bind(StoredInstant(week.end))
                    .bind(except.map_or(0, |id| id.0))
                    .fetch_all(&mut **transaction)
                    .await?;
                    let mut already = 0i64;
                    for row in &rows {
                        let start: StoredInstant = row.try_get("starts_at")?;
                        let end: StoredInstant = row.try_get("ends_at")?;
                        already += end.0.duration_since(start.0).as_secs() / 60;
                    }
                    if let Err(refusal) = calendar.check_quota(request.range, already) {
                        evaluation.denial = Some(BookingDenial::Rule(refusal));
                        return Ok(evaluation);
                    }
                }
                evaluation.calendar = calendar;
                Ok(evaluation)
            }

            async fn booking_in(transaction: &mut WriteTransaction<'_>, id: BookingId) -> Result<BookingRecord, StoreError> {
                let row = sqlx::query(&format!("{BOOKING_SELECT} WHERE b.id = $1"))
                    .bind(id.0)
                    .fetch_one(&mut **transaction)
                    .await?;
                booking_from_row(&row)
            }

            async fn record_calendar_change(transaction: &mut WriteTransaction<'_>, instrument: InstrumentId) -> Result<(), StoreError> {
                sqlx::query("INSERT INTO change_log (entity, entity_id, operation, occurred_at) VALUES ('calendar', $1, 'upsert', $2)")
                    .bind(instrument.0)
                    .bind(StoredInstant(crate::now()))
                    .execute(&mut **transaction)
                    .await?;
                Ok(())
            }

            /// Inserts the booking row alone; the caller appends its change-log entry and
            /// audit event in the same transaction.
            pub(crate) async fn insert_booking_row_in(
                transaction: &mut WriteTransaction<'_>,
                request: &BookingRequest,
                evaluation: &RequestEvaluation,
                now: jiff::Timestamp,
            ) -> Result<BookingId, StoreError> {
                let status = evaluation.status();
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO bookings (instrument_id, user_id, starts_at, ends_at, status, user_class, hourly_rate_fen, price_fen, purpose, idempotency_key, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
                )
                .bind(request.instrument.0)
                .bind(request.user.0)
                .bind(StoredInstant(request.range.start))
                .bind(StoredInstant(request.range.end))
                .bind(status.as_code())
                .bind(evaluation.user_class.as_code())
                .bind(evaluation.hourly_rate.0)
                .bind(evaluation.price.0)
                .bind(&request.purpose)
                .bind(request.idempotency_key.as_deref())
                .bind(StoredInstant(now))
                .fetch_one(&mut **transaction)
                .await
                .map_err(|error| StoreError::from_write(error, "a booking with this idempotency key"))?;
                Ok(BookingId(id))
            }

            async fn insert_booking_in(
                transaction: &mut WriteTransaction<'_>,
                request: &BookingRequest,
                evaluation: &RequestEvaluation,
                now: jiff::Timestamp,
            ) -> Result<BookingId, StoreError> {
                let id = Self::insert_booking_row_in(transaction, request, evaluation, now).await?;
                Self::record_calendar_change(transaction, request.instrument).await?;
                Ok(id)
            }

            /// One booking attempt inside a write transaction the caller commits. Nothing is
            /// written unless the attempt books or joins the waitlist.
            #[allow(dead_code)] // PostgreSQL books through its own single-statement write.
            pub(crate) async fn attempt_booking_in(
                transaction: &mut WriteTransaction<'_>,
                request: &BookingRequest,
                now: jiff::Timestamp,
                context: &AuditContext,
            ) -> Result<BookingAttempt, StoreError> {
                Self::attempt_booking_with_lock_choice_in(transaction, request, now, context, true).await
            }

            /// The same attempt without the instrument lock; only safe under SERIALIZABLE
            /// isolation with retries, and only used to measure that approach.
            #[allow(dead_code)]
            pub(crate) async fn attempt_booking_unlocked_in(
                transaction: &mut WriteTransaction<'_>,
                request: &BookingRequest,
                now: jiff::Timestamp,
                context: &AuditContext,
            ) -> Result<BookingAttempt, StoreError> {
                Self::attempt_booking_with_lock_choice_in(transaction, request, now, context, false).await
            }

            /// Decides an attempt inside a write transaction: replayed, denied, slot taken
            /// (joining the waitlist when asked), or to be booked. Writes nothing else.
            pub(crate) async fn decide_attempt_in(
                transaction: &mut WriteTransaction<'_>,
                request: &BookingRequest,
                now: jiff::Timestamp,
                context: &AuditContext,
                lock: bool,
            ) -> Result<AttemptDecision, StoreError> {
                let rules = if lock {
                    Some(Self::lock_calendar_in(transaction, request.instrument).await?.ok_or_else(|| StoreError::NotFound(format!("no instrument with id {}", request.instrument.0)))?)
                } else {
                    None
                };
                let evaluation = Self::evaluate_request_in(transaction, request, rules, now, None).await?;
                if let Some(id) = evaluation.replayed {
                    let booking = Self::booking_in(transaction, id).await?;
                    return Ok(AttemptDecision::Finished(BookingAttempt::Booked { booking, replayed: true }));
                }
                if let Some(denial) = evaluation.denial {
                    return Ok(AttemptDecision::Finished(BookingAttempt::Denied(denial)));
                }
                if evaluation.slot_taken {
                    let waitlisted = if request.join_waitlist_if_taken {
                        Some(Self::join_waitlist_in(transaction, request, now, context).await?)
                    } else {
                        None
                    };
                    return Ok(AttemptDecision::Finished(BookingAttempt::SlotTaken { waitlisted }));
                }
                Ok(AttemptDecision::Book(evaluation))
            }

            async fn attempt_booking_with_lock_choice_in(
                transaction: &mut WriteTransaction<'_>,
                request: &BookingRequest,
                now: jiff::Timestamp,
                context: &AuditContext,
                lock: bool,
            ) -> Result<BookingAttempt, StoreError> {
                let evaluation = match Self::decide_attempt_in(transaction, request, now, context, lock).await? {
                    AttemptDecision::Finished(attempt) => return Ok(attempt),
                    AttemptDecision::Book(evaluation) => evaluation,
                };
                let id = Self::insert_booking_in(transaction, request, &evaluation, now).await?;
                Self::record_audit_event(transaction, context, "booking.created", &format!("booking:{}", id.0), booking_created_detail(request, &evaluation)).await?;
                Ok(BookingAttempt::Booked { booking: evaluation.new_record(request, id, now), replayed: false })
            }

            async fn join_waitlist_in(transaction: &mut WriteTransaction<'_>, request: &BookingRequest, now: jiff::Timestamp, context: &AuditContext) -> Result<WaitlistEntry, StoreError> {
                let row = sqlx::query(
                    "INSERT INTO waitlist_entries (instrument_id, user_id, starts_at, ends_at, purpose, status, created_at) VALUES ($1, $2, $3, $4, $5, 'waiting', $6) \
                     RETURNING id, instrument_id, user_id, starts_at, ends_at, purpose, status, created_at, promoted_booking_id",
                )
                .bind(request.instrument.0)
                .bind(request.user.0)
                .bind(StoredInstant(request.range.start))
                .bind(StoredInstant(request.range.end))
                .bind(&request.purpose)
                .bind(StoredInstant(now))
                .fetch_one(&mut **transaction)
                .await?;
                let entry = waitlist_entry_from_row(&row)?;
                Self::record_audit_event(transaction, context, "waitlist.joined", &format!("waitlist:{}", entry.id.0), serde_json::json!({
                    "instrument": request.instrument.0,
                    "starts_at": request.range.start.to_string(),
                    "ends_at": request.range.end.to_string(),
                })).await?;
                Ok(entry)
            }

            /// After `freed` was given back, turns waiting requests that overlap it into
            /// bookings, first come first served, as long as they pass every rule and fit.
            async fn promote_waitlist_in(transaction: &mut WriteTransaction<'_>, instrument: InstrumentId, freed: TimeRange, rules: CalendarRules, now: jiff::Timestamp, context: &AuditContext) -> Result<Vec<BookingRecord>, StoreError> {
                let rows = sqlx::query("SELECT id, instrument_id, user_id, starts_at, ends_at, purpose, status, created_at, promoted_booking_id FROM waitlist_entries WHERE instrument_id = $1 AND status = 'waiting' AND starts_at < $3 AND ends_at > $2 ORDER BY id")
                    .bind(instrument.0)
                    .bind(StoredInstant(freed.start))
                    .bind(StoredInstant(freed.end))
                    .fetch_all(&mut **transaction)
                    .await?;
                let mut promoted = Vec::new();
                for row in &rows {
                    let entry = waitlist_entry_from_row(row)?;
                    let request = BookingRequest {
                        instrument,
                        user: entry.user,
                        range: entry.range,
                        purpose: entry.purpose.clone(),
                        idempotency_key: None,
                        join_waitlist_if_taken: false,
                    };
                    let evaluation = Self::evaluate_request_in(transaction, &request, Some(rules), now, None).await?;
                    if evaluation.denial.is_some() || evaluation.slot_taken {
                        continue;
                    }
                    let id = Self::insert_booking_in(transaction, &request, &evaluation, now).await?;
                    sqlx::query("UPDATE waitlist_entries SET status = 'promoted', promoted_booking_id = $1 WHERE id = $2")
                        .bind(id.0)
                        .bind(entry.id.0)
                        .execute(&mut **transaction)
                        .await?;
                    Self::record_audit_event(transaction, context, "waitlist.promoted", &format!("booking:{}", id.0), serde_json::json!({ "waitlist_entry": entry.id.0, "user": entry.user.0 })).await?;
                    promoted.push(Self::booking_in(transaction, id).await?);
                }
                Ok(promoted)
            }

            /// Reads a booking for a change and takes its instrument's lock; checks that an
            /// owner acts on their own booking.
            async fn booking_for_change_in(transaction: &mut WriteTransaction<'_>, id: BookingId, actor: Option<BookingActor>) -> Result<(BookingRecord, CalendarRules), StoreError> {
                let instrument: Option<i64> = sqlx::query_scalar("SELECT instrument_id FROM bookings WHERE id = $1")
                    .bind(id.0)
                    .fetch_optional(&mut **transaction)
                    .await?;
                let instrument = InstrumentId(instrument.ok_or_else(|| StoreError::NotFound(format!("no booking with id {}", id.0)))?);
                let rules = Self::lock_calendar_in(transaction, instrument)
                    .await?
                    .ok_or_else(|| StoreError::corrupt(format!("instrument {} has no calendar", instrument.0)))?;
                // Read after the lock, so that the status seen is the latest committed one.
                let booking = Self::booking_in(transaction, id).await?;
                if let Some(BookingActor::Owner(user)) = actor {
                    if booking.user != user {
                        return Err(StoreError::NotFound(format!("no booking with id {} of this user", id.0)));
                    }
                }
                Ok((booking, rules))
            }

            async fn set_booking_status_in(transaction: &mut WriteTransaction<'_>, booking: &BookingRecord, status: BookingStatus, now: jiff::Timestamp) -> Result<(), StoreError> {
                sqlx::query("UPDATE bookings SET status = $1, updated_at = $2 WHERE id = $3")
                    .bind(status.as_code())
                    .bind(StoredInstant(now))
                    .bind(booking.id.0)
                    .execute(&mut **transaction)
                    .await?;
                Self::record_calendar_change(transaction, booking.instrument).await
            }
        }

        #[async_trait::async_trait]
        impl crate::booking::BookingStore for $store {
            fn set_booking_strategy(&self, strategy: crate::booking::BookingStrategy) {
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
                     cancellation_deadline_minutes = $5, weekly_quota_minutes = $6, booking_sequence = booking_sequence + 1 WHERE instrument_id = $7",
                )
                .bind(i64::from(rules.slot_minutes))
                .bind(i64::from(rules.min_booking_minutes))
                .bind(i64::from(rules.max_booking_minutes))
                .bind(i64::from(rules.lead_time_minutes))
                .bind(i64::from(rules.cancellation_deadline_minutes))
                .bind(rules.weekly_quota_minutes.map(i64::from))
                .bind(instrument.0)
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
                let scope = match institutions {
                    None => String::new(),
                    Some([]) => " AND 1 = 0".to_owned(),
                    Some(list) => format!(" AND i.institution_id IN ({})", list.iter().map(|id| id.0.to_string()).collect::<Vec<_>>().join(", ")),
                };
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

            async fn availability_facts(&self, horizon: TimeRange, instrument: Option<InstrumentId>) -> Result<Vec<AvailabilityFacts>, StoreError> {
                let only = instrument.map_or(String::new(), |id| format!(" AND instrument_id = {}", id.0));
                let only_instrument = instrument.map_or(String::new(), |id| format!(" WHERE id = {}", id.0));
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
                            .push_bind(rules.weekly_quota_minutes.map(i64::from));
                    });
                    insert.build().execute(&mut *transaction).await?;
                }
                for chunk in bookings.chunks(IMPORT_CHUNK_ROWS) {
                    let mut insert = QueryBuilder::<$db>::new("INSERT INTO bookings (instrument_id, user_id, starts_at, ends_at, status, user_class, hourly_rate_fen, price_fen, purpose, created_at, updated_at, usage_minutes, charged_fen) ");
                    insert.push_values(chunk, |mut row, booking| {
                        row.push_bind(booking.instrument.0)
                            .push_bind(booking.user.0)
                            .push_bind(StoredInstant(booking.range.start))
                            .push_bind(StoredInstant(booking.range.end))
                            .push_bind(booking.status.as_code())
                            .push_bind(booking.user_class.as_code())
                            .push_bind(booking.hourly_rate.0)
                            .push_bind(booking.price.0)
                            .push_bind("")
                            .push_bind(StoredInstant(booking.created_at))
                            .push_bind(created_at)
                            .push_bind(booking.usage_minutes)
                            .push_bind(booking.charged.map(|fen| fen.0));
                    });
                    insert.build().execute(&mut *transaction).await?;
                }
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
pub(crate) use shared_booking_impl;
