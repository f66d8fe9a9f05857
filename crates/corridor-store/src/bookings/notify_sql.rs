//! Booking mails written into the notification outbox in the transaction that changes the
//! booking, and the 24-hour reminders. The wording and the attached calendar are the domain's
//! (`corridor_domain::booking_mail`); this file only gathers the facts and writes the rows.
//! Expanded next to `shared_booking_impl!` (same module, same imports).

use corridor_domain::booking_mail::{
    render_booking_mail, BookingMail, BookingMailFacts, BookingMailKind,
};
use corridor_domain::{BookingStatus, Language, TimeZoneName, UserId};

use crate::bookings::BookingRecord;
use crate::StoreError;

/// How far ahead the reminder job looks: a confirmed booking starting within this is reminded.
pub const REMINDER_LEAD: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// Reminders queued per statement; the job loops until none is left.
pub(crate) const REMINDER_CHUNK_ROWS: usize = 256;

/// A mail ready for its outbox row.
pub(crate) struct BookingMailRow {
    pub user: UserId,
    pub booking: i64,
    pub mail: BookingMail,
}

/// The facts of `booking` a mail states.
pub(crate) fn mail_facts(booking: &BookingRecord) -> Result<BookingMailFacts, StoreError> {
    Ok(BookingMailFacts {
        booking: booking.id.0,
        instrument_name_en: booking.instrument_name_en.clone(),
        instrument_name_zh: booking.instrument_name_zh.clone(),
        time_zone: crate::catalogue::sql::stored(TimeZoneName::parse(&booking.time_zone))?,
        starts_at: booking.range.start,
        ends_at: booking.range.end,
        price: booking.price,
        confirmed: matches!(
            booking.status,
            BookingStatus::Confirmed | BookingStatus::Completed
        ),
        decision_note: booking.decision_note.clone(),
        usage_minutes: booking.usage_minutes,
        charged: booking.charged,
        updated_at: booking.updated_at,
    })
}

/// The mail about a booking just made: confirmed, or waiting for approval. A new booking has
/// no earlier event mail, so its event's sequence is 0.
pub(crate) fn new_booking_mail(
    booking: &BookingRecord,
    language: Language,
    promoted: bool,
) -> Result<BookingMailRow, StoreError> {
    let kind = if promoted {
        BookingMailKind::Promoted
    } else if booking.status == BookingStatus::Pending {
        BookingMailKind::Requested
    } else {
        BookingMailKind::Confirmed
    };
    Ok(BookingMailRow {
        user: booking.user,
        booking: booking.id.0,
        mail: render_booking_mail(kind, language, &mail_facts(booking)?, 0),
    })
}

macro_rules! shared_booking_notify_impl {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Writes `rows` into the outbox with one multi-row insert, padded to a power of two
            /// like the group-commit writer's other statements (padding rows name no user and
            /// are not inserted). `on_conflict` ends the statement (the reminders' guard).
            pub(crate) async fn insert_booking_mails_in(
                transaction: &mut WriteTransaction<'_>,
                rows: &[crate::bookings::notify_sql::BookingMailRow],
                now: jiff::Timestamp,
                on_conflict: &str,
            ) -> Result<u64, StoreError> {
                if rows.is_empty() {
                    return Ok(0);
                }
                const MAIL_COLUMNS: &str = "user_id, booking_id, kind, subject, body, ics, created_at";
                let mut insert = QueryBuilder::<$db>::new(format!("WITH v ({MAIL_COLUMNS}) AS ("));
                insert.push_values(0..crate::bookings::batch::padded_len(rows.len()), |mut row, index| match rows.get(index) {
                    Some(mail) => {
                        row.push_bind(Some(mail.user.0))
                            .push_bind(Some(mail.booking))
                            .push_bind(Some(mail.mail.kind))
                            .push_bind(Some(mail.mail.subject.clone()))
                            .push_bind(Some(mail.mail.body.clone()))
                            .push_bind(mail.mail.ics.clone())
                            .push_bind(Some(StoredInstant(now)));
                    }
                    None => {
                        row.push_bind(None::<i64>)
                            .push_bind(None::<i64>)
                            .push_bind(None::<&str>)
                            .push_bind(None::<String>)
                            .push_bind(None::<String>)
                            .push_bind(None::<String>)
                            .push_bind(None::<StoredInstant>);
                    }
                });
                // The WHERE also keeps SQLite from reading ON CONFLICT as a join's ON.
                insert.push(format!(") INSERT INTO notifications ({MAIL_COLUMNS}) SELECT {MAIL_COLUMNS} FROM v WHERE v.user_id IS NOT NULL{on_conflict}"));
                let written = insert.build().execute(&mut **transaction).await?.rows_affected();
                Ok(written)
            }

            /// Queues the mail about a booking that changed (approved, refused, cancelled, usage
            /// recorded) for its user, in their language, inside the transaction of the
            /// change. One statement reads the language and how many event mails the booking
            /// had (the attached event's sequence), one writes the row.
            pub(crate) async fn notify_booking_in(
                transaction: &mut WriteTransaction<'_>,
                booking: &BookingRecord,
                kind: corridor_domain::booking_mail::BookingMailKind,
                now: jiff::Timestamp,
            ) -> Result<(), StoreError> {
                let row = sqlx::query(
                    "SELECT u.preferred_language, \
                       (SELECT COUNT(*) FROM notifications n WHERE n.booking_id = $2 AND n.ics IS NOT NULL) AS events \
                     FROM users u WHERE u.id = $1",
                )
                .bind(booking.user.0)
                .bind(booking.id.0)
                .fetch_one(&mut **transaction)
                .await?;
                let language = stored(corridor_domain::Language::parse(row.try_get("preferred_language")?))?;
                let sequence = u32::try_from(row.try_get::<i64, _>("events")?).unwrap_or(u32::MAX);
                let mail = corridor_domain::booking_mail::render_booking_mail(kind, language, &crate::bookings::notify_sql::mail_facts(booking)?, sequence);
                let row = crate::bookings::notify_sql::BookingMailRow { user: booking.user, booking: booking.id.0, mail };
                Self::insert_booking_mails_in(transaction, std::slice::from_ref(&row), now, "").await?;
                Ok(())
            }

            /// Queues the mail about a booking just made (confirmed, requested or promoted
            /// from the waitlist), in `language`, the user's as the facts query read it.
            pub(crate) async fn notify_new_booking_in(
                transaction: &mut WriteTransaction<'_>,
                booking: &BookingRecord,
                language: corridor_domain::Language,
                promoted: bool,
                now: jiff::Timestamp,
            ) -> Result<(), StoreError> {
                let row = crate::bookings::notify_sql::new_booking_mail(booking, language, promoted)?;
                Self::insert_booking_mails_in(transaction, std::slice::from_ref(&row), now, "").await?;
                Ok(())
            }

            /// Queues the reminder of every confirmed booking that starts after `now` and
            /// within `REMINDER_LEAD`, and has none yet; answers how many were queued. The
            /// unique index `notifications_one_reminder` is the guard: a reminder another node
            /// (or an earlier run) queued meanwhile makes the insert skip that row.
            pub(crate) async fn queue_booking_reminders_impl(&self, now: jiff::Timestamp) -> Result<u64, StoreError> {
                use crate::bookings::notify_sql::{BookingMailRow, REMINDER_CHUNK_ROWS, REMINDER_LEAD};
                let until = now.checked_add(REMINDER_LEAD).map_err(|error| StoreError::InvalidReference { field: "now", reason: error.to_string() })?;
                let mut queued = 0;
                loop {
                    let mut transaction = self.begin_write().await?;
                    let rows = sqlx::query(&format!(
                        "{BOOKING_SELECT_WITH_LANGUAGE} WHERE b.status = 'confirmed' AND b.starts_at > $1 AND b.starts_at <= $2 \
                         AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.booking_id = b.id AND n.kind = 'booking_reminder') \
                         ORDER BY b.starts_at, b.id LIMIT $3"
                    ))
                    .bind(StoredInstant(now))
                    .bind(StoredInstant(until))
                    .bind(REMINDER_CHUNK_ROWS as i64)
                    .fetch_all(&mut *transaction)
                    .await?;
                    let mut mails = Vec::with_capacity(rows.len());
                    for row in &rows {
                        let booking = booking_from_row(row)?;
                        let language = stored(corridor_domain::Language::parse(row.try_get("preferred_language")?))?;
                        let facts = crate::bookings::notify_sql::mail_facts(&booking)?;
                        let mail = corridor_domain::booking_mail::render_booking_mail(corridor_domain::booking_mail::BookingMailKind::Reminder, language, &facts, 0);
                        mails.push(BookingMailRow { user: booking.user, booking: booking.id.0, mail });
                    }
                    queued += Self::insert_booking_mails_in(
                        &mut transaction,
                        &mails,
                        now,
                        " ON CONFLICT (booking_id) WHERE kind = 'booking_reminder' DO NOTHING",
                    )
                    .await?;
                    transaction.commit().await?;
                    if rows.len() < REMINDER_CHUNK_ROWS {
                        return Ok(queued);
                    }
                }
            }
        }

        /// `BOOKING_SELECT` with the booking user's preferred language.
        const BOOKING_SELECT_WITH_LANGUAGE: &str = "\
            SELECT b.id, b.instrument_id, i.name_en AS instrument_name_en, i.name_zh AS instrument_name_zh, \
            i.institution_id, i.time_zone, b.user_id, u.display_name AS user_display_name, b.starts_at, \
            b.ends_at, b.status, b.user_class, b.hourly_rate_fen, b.price_fen, b.purpose, b.created_at, \
            b.updated_at, b.decided_by, b.decision_note, b.usage_minutes, b.charged_fen, u.preferred_language \
            FROM bookings b JOIN instruments i ON i.id = b.instrument_id JOIN users u ON u.id = b.user_id";
    };
}
pub(crate) use shared_booking_notify_impl;
