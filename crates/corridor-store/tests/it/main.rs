//! The store's one integration-test binary: the contract every store implementation keeps,
//! run against SQLite and against the PostgreSQL server at 127.0.0.1:5432.

mod account_contract;
mod analytics_contract;
mod booking_batch_contract;
mod booking_contract;
mod booking_mail_contract;
mod catalogue_import_contract;
mod change_cursor_contract;
mod contract;
mod facility_contract;
mod ledger_contract;
mod mail_outbox_contract;
mod roster_contract;
mod sso_contract;
mod support;
mod upgrade;
mod voucher_contract;
mod voucher_correction_contract;
mod voucher_expiry_contract;

/// Expands each contract test into a SQLite and a PostgreSQL test of the same name.
macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let store = crate::support::sqlite().await;
                    crate::$name(&store.store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let store = crate::support::postgres().await;
                    crate::$name(&store.store).await;
                    store.drop_schema().await;
                }
            )*
        }
    };
}

use account_contract::*;
use analytics_contract::*;
use booking_batch_contract::*;
use booking_contract::*;
use booking_mail_contract::*;
use catalogue_import_contract::*;
use change_cursor_contract::*;
use contract::*;
use facility_contract::*;
use ledger_contract::*;
use mail_outbox_contract::*;
use roster_contract::*;
use sso_contract::*;
use voucher_contract::*;
use voucher_correction_contract::*;
use voucher_expiry_contract::*;

contract_tests!(
    rosters_roles_bulk_qualifications_and_own_sessions,
    sso_sign_ins_are_taken_once_and_accounts_are_linked_by_identity,
    booking_mails_are_written_with_the_change_in_the_recipients_language,
    approvals_refusals_and_usage_are_mailed,
    reminders_are_queued_once_per_booking,
    self_sign_ups_verify_reset_and_move_through_single_use_links,
    catalogue_imports_upsert_withdraw_and_log_every_change,
    the_outbox_is_claimed_sent_retried_and_given_up,
    concurrent_claimers_never_hold_the_same_row,
    proposals_are_drafted_submitted_and_withdrawn_by_their_principal,
    reviews_and_allocations_are_kept_whole,
    analytics_agree_with_plain_sql,
    voucher_history_imports_through_the_ledger_rules,
    historical_holds_wait_for_the_usage_record,
    expired_vouchers_release_their_holds_and_return_the_rest,
    programmes_fund_budgets_and_applications_are_checked,
    the_budget_is_never_overspent_by_approvals,
    a_voucher_pays_its_share_and_the_hold_ends_with_the_booking,
    a_hold_beyond_the_voucher_books_nothing,
    usage_recorded_again_settles_the_voucher_again,
    a_correction_the_voucher_cannot_cover_changes_nothing,
    voucher_payments_follow_every_correction,
    a_voucher_pays_only_for_services_on_its_programmes_days,
    transfers_move_value_and_retries_move_nothing,
    concurrent_spenders_never_overspend,
    ledger_inputs_are_checked,
    bookings_follow_the_rules_and_never_overlap,
    the_same_idempotency_key_books_once,
    concurrent_attempts_never_double_book,
    attempts_arriving_together_are_answered_as_if_alone,
    the_overlap_check_agrees_with_a_model,
    cancelling_frees_the_slot_for_the_waitlist,
    approvals_usage_and_reschedules,
    training_quota_and_closures_gate_bookings,
    history_imports_in_bulk,
    migrations_are_idempotent,
    an_empty_store_has_no_region,
    an_imported_region_reads_back_unchanged,
    a_second_import_is_refused_and_changes_nothing,
    a_region_keeps_its_own_time_zone,
    pages_cover_every_instrument_once_in_order,
    filters_agree_with_the_places_they_filter_on,
    the_summary_agrees_with_the_lists,
    sessions_last_until_they_expire_or_are_deleted,
    api_tokens_identify_their_user_until_revoked_or_expired,
    users_get_fresh_ids_and_unique_addresses,
    every_change_leaves_an_audit_event,
    instruments_are_created_changed_and_deleted_with_a_change_log,
    all_instruments_is_every_page_together,
    a_change_cursor_reads_every_entry_once,
);

mod sqlite_only {
    #[tokio::test]
    async fn ledger_tampering_is_refused_or_found() {
        let store = crate::support::sqlite().await;
        let pool = sqlx::SqlitePool::connect(&store.url).await.unwrap();
        crate::ledger_contract::tampering_is_refused_or_found(&store.store, |sql| {
            let pool = pool.clone();
            Box::pin(async move {
                sqlx::query(sql)
                    .execute(&pool)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err(|error| error.to_string())
            })
        })
        .await;
    }

    /// The overlap count is an independent check: rows written behind the store's back that
    /// overlap are counted.
    #[tokio::test]
    async fn the_overlap_count_sees_rows_written_behind_the_stores_back() {
        use corridor_store::{BookingStore, Store};
        let store = crate::support::sqlite().await;
        store
            .store
            .import_region(&crate::support::tiny_region(3))
            .await
            .unwrap();
        let pool = sqlx::SqlitePool::connect(&store.url).await.unwrap();
        for (start, end, status) in [
            (0i64, 7_200_000_000i64, "confirmed"),
            (3_600_000_000, 9_000_000_000, "pending"),
            (0, 9_000_000_000, "cancelled"),
        ] {
            sqlx::query("INSERT INTO bookings (instrument_id, user_id, starts_at, ends_at, status, user_class, hourly_rate_fen, price_fen, purpose, created_at, updated_at) SELECT (SELECT MIN(id) FROM instruments), (SELECT MIN(id) FROM users), $1, $2, $3, 'industry', 0, 0, '', 0, 0")
                .bind(start).bind(end).bind(status).execute(&pool).await.unwrap();
        }
        assert_eq!(store.store.count_overlapping_bookings().await.unwrap(), 1);
    }

    #[tokio::test]
    async fn the_audit_trail_refuses_updates_and_deletes() {
        let store = crate::support::sqlite().await;
        let pool = sqlx::SqlitePool::connect(&store.url).await.unwrap();
        sqlx::query("INSERT INTO audit_events (occurred_at, action, subject, detail) VALUES (0, 'test', 'x', '{}')").execute(&pool).await.unwrap();
        let update = sqlx::query("UPDATE audit_events SET action = 'forged'")
            .execute(&pool)
            .await;
        assert!(update.unwrap_err().to_string().contains("append-only"));
        let delete = sqlx::query("DELETE FROM audit_events").execute(&pool).await;
        assert!(delete.unwrap_err().to_string().contains("append-only"));
    }

    #[tokio::test]
    async fn the_database_runs_in_wal_mode_with_full_synchronous_commits() {
        let store = crate::support::sqlite().await;
        let pool = sqlx::SqlitePool::connect(&store.url).await.unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[tokio::test]
    async fn an_in_memory_url_is_refused_with_a_reason() {
        let error = corridor_store::connect("sqlite::memory:")
            .await
            .err()
            .expect("refused");
        assert!(error.to_string().contains("in-memory"), "{error}");
        let error = corridor_store::connect("mysql://x")
            .await
            .err()
            .expect("refused");
        assert!(error.to_string().contains("expected sqlite"), "{error}");
    }
}

mod postgres_only {
    use corridor_store::{AuditContext, IdentityStore, MailOutboxStore, Store};
    use jiff::{SignedDuration, Timestamp};

    /// Two server nodes, four claimers each, over one outbox: every row is claimed by exactly
    /// one of them (`FOR UPDATE SKIP LOCKED` and the lease).
    #[tokio::test]
    async fn claimers_on_two_nodes_never_hold_the_same_row() {
        let first = crate::support::postgres().await;
        let second = first.another_node().await;
        let region = crate::support::tiny_region(25);
        first.store.import_region(&region).await.unwrap();
        let rows: Vec<corridor_store::beamtime::NewNotification> = (0..1_000)
            .map(|number| corridor_store::beamtime::NewNotification {
                user: region.users[number % 50].user.id,
                kind: "test".to_owned(),
                subject: format!("Subject {number}"),
                body: String::new(),
            })
            .collect();
        let now = corridor_store::now();
        let ids = first
            .store
            .queue_notifications(&rows, now, &AuditContext::default())
            .await
            .unwrap();
        let nodes: [&dyn MailOutboxStore; 2] = [&first.store, &second];
        let claimers = (0..8).map(|claimer| {
            let node = nodes[claimer % 2];
            async move {
                let mut mine = Vec::new();
                loop {
                    let batch = node
                        .claim_due_notifications(
                            &corridor_store::NotificationClaim {
                                claimer: format!("node-{}-claimer-{claimer}", claimer % 2),
                                limit: 9,
                                lease: SignedDuration::from_mins(5),
                                message_id_host: "h".to_owned(),
                            },
                            now,
                        )
                        .await
                        .unwrap();
                    if batch.is_empty() {
                        return mine;
                    }
                    mine.extend(batch.into_iter().map(|row| row.id));
                }
            }
        });
        let claimed = futures_util::future::join_all(claimers).await;
        crate::mail_outbox_contract::assert_claimed_exactly_once(&ids, &claimed);
        second.close().await;
        first.drop_schema().await;
    }

    /// Nodes remember live API tokens (one query less per request) and forget one as soon
    /// as its revocation is announced: a token revoked on one node is refused on another
    /// within moments, while a change made behind the store's back is not heard (which shows
    /// the other node answered from memory).
    #[tokio::test]
    async fn a_token_revoked_on_one_node_is_refused_on_the_others_at_once() {
        let first = crate::support::postgres().await;
        let second = first.another_node().await;
        let region = crate::support::tiny_region(31);
        first.store.import_region(&region).await.unwrap();
        let user = region.users[3].user.id;
        let context = AuditContext::default();
        let expires = Timestamp::now() + SignedDuration::from_hours(24);
        let waited = std::time::Instant::now();
        while !second.hears_token_revocations() {
            assert!(
                waited.elapsed().as_secs() < 10,
                "the listener never connected"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let quiet = first
            .store
            .create_api_token(user, "quiet", "quiet-hash", expires, &context)
            .await
            .unwrap();
        let loud = first
            .store
            .create_api_token(user, "loud", "loud-hash", expires, &context)
            .await
            .unwrap();
        for hash in ["quiet-hash", "loud-hash"] {
            assert_eq!(
                second
                    .live_api_token_holder(hash, Timestamp::now())
                    .await
                    .unwrap(),
                Some(user)
            );
        }
        // Behind the store's back: nobody is told, so the second node still answers.
        let pool = first.raw_pool().await;
        sqlx::query("UPDATE api_tokens SET revoked_at = now() WHERE id = $1")
            .bind(quiet.id)
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(
            second
                .live_api_token_holder("quiet-hash", Timestamp::now())
                .await
                .unwrap(),
            Some(user),
            "the second node answers remembered tokens without asking the database"
        );
        // Through the store: the announcement reaches the second node.
        first
            .store
            .revoke_api_token(user, loud.id, &context)
            .await
            .unwrap();
        let revoked = std::time::Instant::now();
        while second
            .live_api_token_holder("loud-hash", Timestamp::now())
            .await
            .unwrap()
            .is_some()
        {
            assert!(
                revoked.elapsed().as_millis() < 2_000,
                "still accepted 2 s after its revocation"
            );
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        println!(
            "token revocation: refused on the other node {:?} after the revoking commit",
            revoked.elapsed()
        );
        pool.close().await;
        second.close().await;
        first.drop_schema().await;
    }

    #[tokio::test]
    async fn ledger_tampering_is_refused_or_found() {
        let store = crate::support::postgres().await;
        let pool = store.raw_pool().await;
        crate::ledger_contract::tampering_is_refused_or_found(&store.store, |sql| {
            let pool = pool.clone();
            Box::pin(async move {
                sqlx::query(sql)
                    .execute(&pool)
                    .await
                    .map(|done| done.rows_affected())
                    .map_err(|error| error.to_string())
            })
        })
        .await;
        pool.close().await;
        store.drop_schema().await;
    }

    /// The second line of defence: even a write that skips the store's lock cannot commit
    /// two overlapping holding bookings.
    #[tokio::test]
    async fn the_exclusion_constraint_refuses_overlapping_rows() {
        let store = crate::support::postgres().await;
        crate::support::insert_two_raw_bookings_postgres(&store).await;
        store.drop_schema().await;
    }

    #[tokio::test]
    async fn the_audit_trail_refuses_updates_and_deletes() {
        let store = crate::support::postgres().await;
        let pool = store.raw_pool().await;
        sqlx::query("INSERT INTO audit_events (occurred_at, action, subject, detail) VALUES (now(), 'test', 'x', '{}')").execute(&pool).await.unwrap();
        let update = sqlx::query("UPDATE audit_events SET action = 'forged'")
            .execute(&pool)
            .await;
        assert!(update.unwrap_err().to_string().contains("append-only"));
        let delete = sqlx::query("DELETE FROM audit_events").execute(&pool).await;
        assert!(delete.unwrap_err().to_string().contains("append-only"));
        pool.close().await;
        store.drop_schema().await;
    }
}
