//! Fresh stores for each test: a SQLite file in a temporary directory, or a PostgreSQL
//! schema of its own. The PostgreSQL server must be reachable: when it is not, the tests
//! fail loudly, they never skip.

use std::sync::atomic::{AtomicU32, Ordering};

use corridor_demo::{DemoRegion, DemoScale};
use corridor_store::{PostgresStore, RegionData, RegionUser, SqliteStore, Store};
use sqlx::postgres::PgConnectOptions;

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub fn postgres_url() -> String {
    std::env::var("CORRIDOR_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

pub struct SqliteTestStore {
    pub store: SqliteStore,
    pub url: String,
    _directory: tempfile::TempDir,
}

/// A SQLite store holding what `dump` (an `iterdump` of an older release's database, see
/// `examples/upgrade_fixture.rs`) describes, not migrated further.
pub async fn sqlite_from_dump(dump: &str) -> SqliteTestStore {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let url = format!(
        "sqlite://{}",
        directory.path().join("test.sqlite").display()
    );
    let options: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
    // The dump lists tables by name, so a row may come before the row it refers to: the
    // references are checked by the store once it opens, not while the dump loads.
    let mut connection =
        sqlx::ConnectOptions::connect(&options.create_if_missing(true).foreign_keys(false))
            .await
            .expect("create the SQLite file");
    sqlx::raw_sql(dump)
        .execute(&mut connection)
        .await
        .expect("the SQLite dump loads");
    sqlx::Connection::close(connection).await.unwrap();
    let store = SqliteStore::open(&url).await.expect("open SQLite");
    SqliteTestStore {
        store,
        url,
        _directory: directory,
    }
}

pub async fn sqlite() -> SqliteTestStore {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let url = format!(
        "sqlite://{}",
        directory.path().join("test.sqlite").display()
    );
    let store = SqliteStore::open(&url).await.expect("open SQLite");
    store.migrate().await.expect("migrate SQLite");
    SqliteTestStore {
        store,
        url,
        _directory: directory,
    }
}

pub struct PostgresTestStore {
    pub store: PostgresStore,
    pub schema: String,
}

static SCHEMA_COUNTER: AtomicU32 = AtomicU32::new(0);
static EXTENSIONS: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();

pub async fn postgres() -> PostgresTestStore {
    let store = postgres_unmigrated().await;
    store.store.migrate().await.expect("migrate PostgreSQL");
    store
}

/// A PostgreSQL store in a schema of its own holding what `dump` (a `pg_dump` of an older
/// release's schema named `__SCHEMA__`, see `examples/upgrade_fixture.rs`) describes, not
/// migrated further.
pub async fn postgres_from_dump(dump: &str) -> PostgresTestStore {
    let url = postgres_url();
    let schema = fresh_schema_name();
    let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap_or_else(|error| panic!("PostgreSQL at {url} is unreachable: {error}"));
    ensure_extensions(&mut connection).await;
    // The dump creates its schema and names every object with it; it also clears the
    // session's search path, which is why it runs on a connection of its own.
    sqlx::raw_sql(&dump.replace("__SCHEMA__", &schema))
        .execute(&mut connection)
        .await
        .expect("the PostgreSQL dump loads");
    sqlx::Connection::close(connection).await.unwrap();
    store_on_schema(&url, schema).await
}

fn fresh_schema_name() -> String {
    format!(
        "corridor_test_{}_{}_{}",
        std::process::id(),
        SCHEMA_COUNTER.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    )
}

/// The exclusion constraint needs btree_gist, which lives in the public schema once per
/// database; creating it once per process keeps parallel tests from racing to create it.
async fn ensure_extensions(connection: &mut sqlx::PgConnection) {
    EXTENSIONS
        .get_or_init(|| async move {
            sqlx::query("CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public")
                .execute(connection)
                .await
                .expect("create the btree_gist extension");
        })
        .await;
}

async fn store_on_schema(url: &str, schema: String) -> PostgresTestStore {
    let options: PgConnectOptions = url.parse().expect("a PostgreSQL URL");
    // Named after the schema, so that a test can tell its store's connections apart.
    let store = PostgresStore::connect_with(
        options
            .application_name(&schema)
            .options([("search_path", schema.as_str())]),
    )
    .await
    .expect("connect to PostgreSQL");
    PostgresTestStore { store, schema }
}

async fn postgres_unmigrated() -> PostgresTestStore {
    let url = postgres_url();
    let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap_or_else(|error| {
            panic!("PostgreSQL at {url} is required for the contract tests and is unreachable: {error}")
        });
    let schema = fresh_schema_name();
    ensure_extensions(&mut connection).await;
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut connection)
        .await
        .expect("create the test schema");
    sqlx::Connection::close(connection).await.unwrap();
    store_on_schema(&url, schema).await
}
impl PostgresTestStore {
    /// A second store on the same schema, as another server node would have.
    pub async fn another_node(&self) -> PostgresStore {
        store_on_schema(&postgres_url(), self.schema.clone())
            .await
            .store
    }

    pub async fn raw_pool(&self) -> sqlx::PgPool {
        let options: PgConnectOptions = postgres_url().parse().unwrap();
        sqlx::PgPool::connect_with(options.options([("search_path", self.schema.as_str())]))
            .await
            .unwrap()
    }

    pub async fn drop_schema(self) {
        self.store.close().await;
        let admin = sqlx::PgPool::connect(&postgres_url())
            .await
            .expect("reconnect to drop the schema");
        sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.schema))
            .execute(&admin)
            .await
            .expect("drop the test schema");
        admin.close().await;
    }
}

/// A region small enough to import in a fraction of a second, with every kind of thing.
pub fn tiny_region(seed: u64) -> RegionData {
    let scale = DemoScale {
        instruments: 600,
        users: 300,
        corporations: 40,
    };
    region_data(corridor_demo::generate(seed, scale, &mut |_, _, _| {}))
}

pub fn region_data(region: DemoRegion) -> RegionData {
    RegionData {
        name: region.name,
        seed: region.seed,
        generator_version: region.generator_version,
        time_zone: region.time_zone,
        cities: region.cities,
        categories: region.categories,
        institutions: region.institutions,
        sites: region.sites,
        instruments: region.instruments,
        beamlines: region.beamlines,
        users: region
            .users
            .into_iter()
            .map(|user| RegionUser {
                user,
                password_hash: None,
            })
            .collect(),
    }
}

/// Writes two overlapping confirmed bookings with plain SQL, skipping the store, and expects
/// PostgreSQL's exclusion constraint to refuse the second.
pub async fn insert_two_raw_bookings_postgres(store: &PostgresTestStore) {
    store.store.import_region(&tiny_region(3)).await.unwrap();
    let pool = store.raw_pool().await;
    let insert = "INSERT INTO bookings (instrument_id, user_id, starts_at, ends_at, status, user_class, hourly_rate_fen, price_fen, purpose, created_at, updated_at) \
        SELECT (SELECT MIN(id) FROM instruments), (SELECT MIN(id) FROM users), $1::timestamptz, $2::timestamptz, 'confirmed', 'industry', 0, 0, '', now(), now()";
    sqlx::query(insert)
        .bind("2030-01-01T10:00:00Z")
        .bind("2030-01-01T12:00:00Z")
        .execute(&pool)
        .await
        .unwrap();
    let error = sqlx::query(insert)
        .bind("2030-01-01T11:00:00Z")
        .bind("2030-01-01T13:00:00Z")
        .execute(&pool)
        .await
        .unwrap_err();
    let code = error
        .as_database_error()
        .and_then(|error| error.code())
        .map(|code| code.into_owned());
    assert_eq!(code.as_deref(), Some("23P01"), "{error}");
    pool.close().await;
}
