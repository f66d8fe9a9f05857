//! The booking queries both engines share, expanded next to `shared_store_impl!` (same
//! module, same imports). Booking attempts go through the group-commit writer of
//! `booking_batch_sql`, which reads the facts of many attempts with `REQUEST_FACTS_COLUMNS`
//! at once; one attempt alone (a change, a waitlist promotion, an attempt the batch cannot
//! decide) goes through `attempt_booking_in` here.

pub(crate) const BOOKING_SELECT: &str = "\
    SELECT b.id, b.instrument_id, i.name_en AS instrument_name_en, i.name_zh AS instrument_name_zh, \
    i.institution_id, i.time_zone, b.user_id, u.display_name AS user_display_name, b.starts_at, \
    b.ends_at, b.status, b.user_class, b.hourly_rate_fen, b.price_fen, b.purpose, b.created_at, \
    b.updated_at, b.decided_by, b.decision_note, b.usage_minutes, b.charged_fen \
    FROM bookings b JOIN instruments i ON i.id = b.instrument_id JOIN users u ON u.id = b.user_id";

/// The `AND …` clause that keeps a booking query to these institutions' instruments (joined
/// as `i`); `None` is every institution. Ids are integers, so formatting them in is safe.
pub(crate) fn institution_scope(institutions: Option<&[corridor_domain::InstitutionId]>) -> String {
    match institutions {
        None => String::new(),
        Some([]) => " AND 1 = 0".to_owned(),
        Some(list) => format!(
            " AND i.institution_id IN ({})",
            list.iter()
                .map(|id| id.0.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

pub(crate) const HOLDING_STATUSES_SQL: &str = "('pending', 'confirmed', 'completed')";

/// What the store knows of a request once it has read the instrument, the user and the
/// calendar: the price, and the first reason to refuse it, if any.
pub(crate) struct RequestEvaluation {
    pub calendar: corridor_domain::InstrumentCalendar,
    pub booking_mode: corridor_domain::BookingMode,
    pub user_class: corridor_domain::UserClass,
    pub hourly_rate: corridor_domain::Fen,
    pub price: corridor_domain::Fen,
    pub denial: Option<crate::bookings::BookingDenial>,
    /// Whether a holding booking (other than the one being moved) overlaps the request.
    pub slot_taken: bool,
    /// The booking an earlier request with the same idempotency key made.
    pub replayed: Option<corridor_domain::BookingId>,
    pub institution: corridor_domain::InstitutionId,
    pub instrument_name_en: String,
    pub instrument_name_zh: String,
    pub user_display_name: String,
    /// The language the user's mails are written in.
    pub user_language: corridor_domain::Language,
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
        request: &crate::bookings::BookingRequest,
        id: corridor_domain::BookingId,
        now: jiff::Timestamp,
    ) -> crate::bookings::BookingRecord {
        crate::bookings::BookingRecord {
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
    Finished(crate::bookings::BookingAttempt),
    Book(RequestEvaluation),
}

macro_rules! shared_booking_impl {
    ($store:ty, $db:ty) => {
        use corridor_domain::{
            check_user_may_cancel, price_for_minutes, BookingId, BookingStatus, CalendarRules,
            Closure, ClosureId, ClosureKind, InstrumentCalendar, TimeRange, UserClass,
            WaitlistEntryId, WaitlistStatus,
        };

        use crate::bookings::{
            AvailabilityFacts, BookingActor, BookingAttempt, BookingChange, BookingDenial,
            BookingQuote, BookingRecord, BookingRequest, CalendarView, HistoricalBooking,
            Qualification, WaitlistEntry,
        };
        use crate::bookings::sql::{AttemptDecision, RequestEvaluation, BOOKING_SELECT, HOLDING_STATUSES_SQL};

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
            let quota = quota
                .map(|quota| u32::try_from(quota).map_err(|_| StoreError::corrupt("weekly_quota_minutes out of range")))
                .transpose()?;
            let horizon_days = minutes("booking_horizon_days")?;
            stored(
                CalendarRules::new(
                    minutes("slot_minutes")?,
                    minutes("min_booking_minutes")?,
                    minutes("max_booking_minutes")?,
                    minutes("lead_time_minutes")?,
                    minutes("cancellation_deadline_minutes")?,
                    quota,
                )
                .and_then(|rules| rules.with_booking_horizon_days(horizon_days)),
            )
        }

        pub(crate) fn booking_created_detail(request: &BookingRequest, evaluation: &RequestEvaluation) -> serde_json::Value {
            serde_json::json!({
                "instrument": request.instrument.0,
                "starts_at": request.range.start.to_string(),
                "ends_at": request.range.end.to_string(),
                "price_fen": evaluation.price.0,
            })
        }

        const RULE_COLUMNS: &str = "slot_minutes, min_booking_minutes, max_booking_minutes, lead_time_minutes, cancellation_deadline_minutes, weekly_quota_minutes, booking_horizon_days";

        /// The columns of a request's facts: `{starts}`, `{ends}`, `{except}` and `{key}` stand
        /// for the requested range, the booking a reschedule leaves out (0 for none) and the
        /// idempotency key, as parameters (one request) or as columns of the batch (many).
        ///
        /// `overlapping` looks at one booking only: the holding booking that ends first after
        /// the requested start. Holding bookings of one instrument never overlap each other
        /// (the invariant this check keeps), so ordered by their end they are also ordered by
        /// their start: if the first of them starts at or after the requested end, every later
        /// one does too. Asking for any holding booking that ends after the start and starts
        /// before the end instead walked all of the instrument's later bookings whenever the
        /// slot was free, a hot instrument's hundreds of future bookings for every attempt.
        const REQUEST_FACTS_COLUMNS: &str = "c.slot_minutes, c.min_booking_minutes, c.max_booking_minutes, c.lead_time_minutes, c.cancellation_deadline_minutes, c.weekly_quota_minutes, c.booking_horizon_days, \
             i.institution_id, i.access_policy, i.booking_mode, i.training_required, i.opening_hours, i.time_zone, \
             i.rate_own_institution_fen, i.rate_other_academic_fen, i.rate_industry_fen, i.name_en, i.name_zh, \
             u.home_institution_id, u.membership, u.display_name, u.preferred_language, hi.kind AS home_kind, hc.province_code AS home_province, \
             (SELECT COUNT(*) FROM qualifications q WHERE q.instrument_id = i.id AND q.user_id = u.id AND q.revoked_at IS NULL) AS qualifications, \
             (SELECT COUNT(*) FROM calendar_closures cc WHERE cc.instrument_id = i.id AND cc.starts_at < {ends} AND cc.ends_at > {starts}) AS closures, \
             (SELECT CASE WHEN b.starts_at < {ends} THEN b.id END FROM bookings b WHERE b.instrument_id = i.id AND b.ends_at > {starts} AND b.status IN {holding} AND b.id <> {except} ORDER BY b.ends_at LIMIT 1) AS overlapping, \
             (SELECT r.id FROM bookings r WHERE r.user_id = u.id AND r.idempotency_key = {key}) AS replayed";
        /// `SELECT` and the facts columns for a requested range `starts`..`ends`, leaving out
        /// booking `except`, with idempotency key `key` (each a parameter or a column).
        pub(crate) fn request_facts_columns(starts: &str, ends: &str, except: &str, key: &str) -> String {
            format!("SELECT {REQUEST_FACTS_COLUMNS}")
                .replace("{starts}", starts)
                .replace("{ends}", ends)
                .replace("{except}", except)
                .replace("{key}", key)
                .replace("{holding}", HOLDING_STATUSES_SQL)
        }
        const REQUEST_FACTS_FROM: &str = "FROM instrument_calendars c JOIN instruments i ON i.id = c.instrument_id, \
             users u JOIN institutions hi ON hi.id = u.home_institution_id JOIN cities hc ON hc.code = hi.city_code";

        /// What one facts row decides on its own.
        pub(crate) enum FactsVerdict {
            /// Refused, or passes every rule (the overlap and the replay are in the evaluation).
            Complete(RequestEvaluation),
            /// The instrument has closures in the range or a weekly quota: they must be read.
            NeedsClosuresOrQuota { evaluation: RequestEvaluation, has_closures: bool },
        }

        /// Turns a row of `REQUEST_FACTS_COLUMNS` into the request's price and the first
        /// reason to refuse it that the row alone shows.
        pub(crate) fn evaluation_from_facts_row(
            row: &DbRow,
            request: &BookingRequest,
            rules: Option<CalendarRules>,
            now: jiff::Timestamp,
        ) -> Result<FactsVerdict, StoreError> {
            let rules = match rules {
                Some(rules) => rules,
                None => rules_from_row(row)?,
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
            // Only an admitted member is priced, and admitted, as one of the home
            // institution: a person who signed up naming an institution that has not yet
            // admitted them is an outside user until it does.
            let admitted_member = row.try_get::<&str, _>("membership")? == "admitted";
            let (home, home_kind) = if admitted_member {
                (home, home_kind)
            } else {
                (InstitutionId(0), InstitutionKind::Corporation)
            };
            let user_class = if home == provider {
                UserClass::OwnInstitution
            } else if home_kind.is_academic() {
                UserClass::OtherAcademic
            } else {
                UserClass::Industry
            };
            let hourly_rate = rates.for_class(user_class);
            let price = price_for_minutes(hourly_rate, request.range.minutes());
            let calendar = InstrumentCalendar {
                time_zone: stored(TimeZoneName::parse(row.try_get("time_zone")?))?,
                opening_hours: stored(WeeklyOpeningHours::parse(row.try_get("opening_hours")?))?,
                rules,
                closures: Vec::new(),
            };
            let booking_mode = stored(BookingMode::parse(row.try_get("booking_mode")?))?;
            let mut evaluation = RequestEvaluation {
                calendar,
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
                user_language: stored(corridor_domain::Language::parse(row.try_get("preferred_language")?))?,
            };
            // The region rule reads the person's home province; a person not yet admitted
            // only claims that home, so until the institution admits them they pass only
            // instruments open to everyone, as an outside user would.
            let passes_policy = policy.admits(home, home_province, provider)
                && (admitted_member || policy == AccessPolicy::Open);
            if !passes_policy {
                evaluation.denial = Some(BookingDenial::NotAdmitted { policy });
                return Ok(FactsVerdict::Complete(evaluation));
            }
            let training_required: bool = row.try_get("training_required")?;
            if training_required && row.try_get::<i64, _>("qualifications")? == 0 {
                evaluation.denial = Some(BookingDenial::NotQualified);
                return Ok(FactsVerdict::Complete(evaluation));
            }
            let has_closures = row.try_get::<i64, _>("closures")? > 0;
            if has_closures || rules.weekly_quota_minutes.is_some() {
                return Ok(FactsVerdict::NeedsClosuresOrQuota { evaluation, has_closures });
            }
            if let Err(refusal) = evaluation.calendar.check_request(request.range, now) {
                evaluation.denial = Some(BookingDenial::Rule(refusal));
            }
            Ok(FactsVerdict::Complete(evaluation))
        }

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
                static ONE_REQUEST_FACTS_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
                    request_facts_columns("$3", "$4", "$5", "$6")
                        + &format!(" {REQUEST_FACTS_FROM} WHERE c.instrument_id = $1 AND u.id = $2 AND i.withdrawn_at IS NULL")
                });
                let row = sqlx::query(ONE_REQUEST_FACTS_SQL.as_str())
                .bind(request.instrument.0)
                .bind(request.user.0)
                .bind(StoredInstant(request.range.start))
                .bind(StoredInstant(request.range.end))
                .bind(except.map_or(0, |id| id.0))
                .bind(request.idempotency_key.as_deref())
                .fetch_optional(&mut **transaction)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("no instrument {} or no user {}", request.instrument.0, request.user.0)))?;
                match evaluation_from_facts_row(&row, request, rules, now)? {
                    FactsVerdict::Complete(evaluation) => Ok(evaluation),
                    FactsVerdict::NeedsClosuresOrQuota { evaluation, has_closures } => {
                        Self::finish_evaluation_in(transaction, request, evaluation, has_closures, now, except).await
                    }
                }
            }

            /// The rest of an evaluation for an instrument with closures in the requested
            /// range or a weekly quota: reads them and asks the calendar.
            async fn finish_evaluation_in(
                transaction: &mut WriteTransaction<'_>,
                request: &BookingRequest,
                mut evaluation: RequestEvaluation,
                has_closures: bool,
                now: jiff::Timestamp,
                except: Option<BookingId>,
            ) -> Result<RequestEvaluation, StoreError> {
                if has_closures {
                    evaluation.calendar.closures = Self::closures_in(transaction, request.instrument, request.range).await?;
                }
                if let Err(refusal) = evaluation.calendar.check_request(request.range, now) {
                    evaluation.denial = Some(BookingDenial::Rule(refusal));
                    return Ok(evaluation);
                }
                if evaluation.calendar.rules.weekly_quota_minutes.is_some() {
                    let week = evaluation.calendar.quota_week_of(request.range.start);
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
                    if let Err(refusal) = evaluation.calendar.check_quota(request.range, already) {
                        evaluation.denial = Some(BookingDenial::Rule(refusal));
                    }
                }
                Ok(evaluation)
            }

            async fn booking_in(transaction: &mut WriteTransaction<'_>, id: BookingId) -> Result<BookingRecord, StoreError> {
                let row = sqlx::query(&format!("{BOOKING_SELECT} WHERE b.id = $1"))
                    .bind(id.0)
                    .fetch_one(&mut **transaction)
                    .await?;
                booking_from_row(&row)
            }

            /// Something that can free time changed: a follower re-reads the calendar.
            async fn record_calendar_change(transaction: &mut WriteTransaction<'_>, instrument: InstrumentId) -> Result<(), StoreError> {
                Self::record_booking_change(transaction, "calendar", instrument.0).await
            }

            /// A new booking only takes time: its change-log entry names the booking, so that
            /// a follower marks its range busy instead of re-reading the whole calendar (which,
            /// for an instrument booked many times a second, it would do twice a second).
            async fn record_new_booking(transaction: &mut WriteTransaction<'_>, booking: BookingId) -> Result<(), StoreError> {
                Self::record_booking_change(transaction, "booking", booking.0).await
            }

            async fn record_booking_change(transaction: &mut WriteTransaction<'_>, entity: &str, entity_id: i64) -> Result<(), StoreError> {
                sqlx::query("INSERT INTO change_log (entity, entity_id, operation, occurred_at) VALUES ($1, $2, 'upsert', $3)")
                    .bind(entity)
                    .bind(entity_id)
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
                Self::record_new_booking(transaction, id).await?;
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
            #[cfg(feature = "bench-baselines")]
            #[allow(dead_code)] // SQLite's plain strategy keeps the lock (one writer anyway).
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
                let booking = evaluation.new_record(request, id, now);
                Self::notify_new_booking_in(transaction, &booking, evaluation.user_language, false, now).await?;
                Ok(BookingAttempt::Booked { booking, replayed: false })
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
                    let booking = Self::booking_in(transaction, id).await?;
                    Self::notify_new_booking_in(transaction, &booking, evaluation.user_language, true, now).await?;
                    promoted.push(booking);
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
    };
}
pub(crate) use shared_booking_impl;
