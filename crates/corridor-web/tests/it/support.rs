//! A real Corridor server for a test: a store holding a small generated region, served on
//! an ephemeral loopback port, stopped when the test's `TestServer` is dropped.

use std::sync::Arc;

use corridor_demo::DemoScale;
use corridor_domain::PlaintextPassword;
use corridor_store::{PostgresStore, RegionData, RegionUser, SqliteStore, Store};
use sqlx::postgres::PgConnectOptions;

pub const DEMO_PASSWORD: &str = "test-password-123";
pub const SEED: u64 = 42;

pub struct TestServer {
    pub base: String,
    _store: Arc<dyn Store>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _directory: Option<tempfile::TempDir>,
    postgres_schema: Option<String>,
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The SQLite file of a `sqlite_server`, for tests that must write behind the store's back.
    pub fn sqlite_url(&self) -> Option<String> {
        self._directory
            .as_ref()
            .map(|directory| format!("sqlite://{}", directory.path().join("web.sqlite").display()))
    }

    /// The store this server serves, for tests that set up or check what pages cannot.
    pub fn store(&self) -> Arc<dyn Store> {
        self._store.clone()
    }

    /// Drops the PostgreSQL schema, if this server had one. Call at the end of a test.
    pub async fn finish(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(schema) = self.postgres_schema.take() {
            let admin = sqlx::PgPool::connect(&postgres_url())
                .await
                .expect("reconnect");
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&admin)
                .await
                .expect("drop schema");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

pub fn postgres_url() -> String {
    std::env::var("CORRIDOR_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// The users of the region every test server holds (generated again: it is deterministic).
pub fn region_users() -> Vec<corridor_domain::User> {
    region().users.into_iter().map(|user| user.user).collect()
}

/// The region every test server holds.
pub fn region() -> RegionData {
    let region = corridor_demo::generate(
        SEED,
        DemoScale {
            instruments: 400,
            users: 200,
            corporations: 30,
        },
        &mut |_, _, _| {},
    );
    let hash = corridor_app::accounts::hash_password(
        &PlaintextPassword::new_choice(DEMO_PASSWORD.into()).unwrap(),
    );
    let demo: Vec<_> = region
        .demo_accounts
        .iter()
        .map(|account| account.user)
        .collect();
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
            .map(|user| {
                let password_hash = demo.contains(&user.id).then(|| hash.clone());
                RegionUser {
                    user,
                    password_hash,
                }
            })
            .collect(),
    }
}

async fn start(
    store: Arc<dyn Store>,
    directory: Option<tempfile::TempDir>,
    postgres_schema: Option<String>,
) -> TestServer {
    start_with_options(store, directory, postgres_schema, |_| {
        corridor_app::NodeOptions::default()
    })
    .await
}

/// As [`start`], the node started with the options `options` gives for the server's address.
async fn start_with_options(
    store: Arc<dyn Store>,
    directory: Option<tempfile::TempDir>,
    postgres_schema: Option<String>,
    options: impl FnOnce(&str) -> corridor_app::NodeOptions,
) -> TestServer {
    store.migrate().await.unwrap();
    store.import_region(&region()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    let node = corridor_app::App::start_with_options(
        store.clone(),
        corridor_app::RailSource::Demo,
        options(&base),
    )
    .await
    .unwrap();
    let app = corridor_web::router(Arc::new(node), corridor_web::WebConfig::default());
    tokio::spawn(corridor_web::serve(listener, app, async move {
        let _ = stopped.await;
    }));
    TestServer {
        base,
        _store: store,
        shutdown: Some(shutdown),
        _directory: directory,
        postgres_schema,
    }
}

/// A second node serving the same database, with its own search index: what a change made
/// through one node looks like from another.
pub async fn second_node(first: &TestServer) -> TestServer {
    let store = first._store.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = corridor_web::app(store.clone(), corridor_web::WebConfig::default())
        .await
        .unwrap();
    tokio::spawn(corridor_web::serve(listener, app, async move {
        let _ = stopped.await;
    }));
    TestServer {
        base,
        _store: store,
        shutdown: Some(shutdown),
        _directory: None,
        postgres_schema: None,
    }
}

pub async fn sqlite_server() -> TestServer {
    let directory = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", directory.path().join("web.sqlite").display());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&url).await.unwrap());
    start(store, Some(directory), None).await
}

/// A SQLite server whose node is started with the options `options` gives for its address
/// (`http://127.0.0.1:PORT`).
pub async fn sqlite_server_with(
    options: impl FnOnce(&str) -> corridor_app::NodeOptions,
) -> TestServer {
    let directory = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", directory.path().join("web.sqlite").display());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&url).await.unwrap());
    start_with_options(store, Some(directory), None, options).await
}

static EXTENSIONS: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();

pub async fn postgres_server() -> TestServer {
    let url = postgres_url();
    let admin = sqlx::PgPool::connect(&url)
        .await
        .unwrap_or_else(|error| panic!("PostgreSQL at {url} is required and unreachable: {error}"));
    let schema = format!(
        "corridor_web_test_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    // The bookings' exclusion constraint needs btree_gist, once per database, in public.
    EXTENSIONS
        .get_or_init(|| async {
            sqlx::query("CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public")
                .execute(&admin)
                .await
                .expect("create the btree_gist extension");
        })
        .await;
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .unwrap();
    let options: PgConnectOptions = url.parse().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        PostgresStore::connect_with(options.options([("search_path", schema.as_str())]))
            .await
            .unwrap(),
    );
    start(store, None, Some(schema)).await
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Asserts that `response` is an RFC 9457 problem with the given status, and returns it.
pub async fn expect_problem(
    response: reqwest::Response,
    status: u16,
    context: &str,
) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "{context}: status");
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert_eq!(
        content_type, "application/problem+json",
        "{context}: content type"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], status, "{context}: status in body");
    let problem_type = body["type"].as_str().unwrap_or_default();
    assert!(
        problem_type.starts_with("/problems/"),
        "{context}: type {problem_type}"
    );
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{context}: {body}"
    );
    body
}
