//! The store's one integration-test binary: the contract every store implementation keeps,
//! run against SQLite and against the PostgreSQL server at 127.0.0.1:5432.

mod contract;
mod support;

/// Expands each contract test into a SQLite and a PostgreSQL test of the same name.
macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let store = crate::support::sqlite().await;
                    crate::contract::$name(&store.store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let store = crate::support::postgres().await;
                    crate::contract::$name(&store.store).await;
                    store.drop_schema().await;
                }
            )*
        }
    };
}

contract_tests!(
    migrations_are_idempotent,
    an_empty_store_has_no_region,
    an_imported_region_reads_back_unchanged,
    a_second_import_is_refused_and_changes_nothing,
    pages_cover_every_instrument_once_in_order,
    filters_agree_with_the_places_they_filter_on,
    the_summary_agrees_with_the_lists,
    sessions_last_until_they_expire_or_are_deleted,
    api_tokens_identify_their_user,
    users_get_fresh_ids_and_unique_addresses,
    every_change_leaves_an_audit_event,
    instruments_are_created_changed_and_deleted_with_a_change_log,
    all_instruments_is_every_page_together,
);

mod sqlite_only {
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
