//! Writes the upgrade fixtures: a small database at the current schema, with a row in every
//! table a migration is likely to touch (a region, instruments with calendars, bookings
//! pending, confirmed, used and cancelled, a voucher programme, a voucher paying for a held and
//! for a redeemed booking, a session, an API token), dumped as SQL for SQLite and for
//! PostgreSQL into `tests/it/fixtures/`.
//!
//! The store's upgrade test loads these dumps and runs the migrations added since, then checks
//! that every row is kept and that the new schema serves the old rows. Run it before adding a
//! migration, so that the fixture is the release the migration upgrades from:
//!
//! ```sh
//! cargo run -p corridor-store --example upgrade_fixture
//! ```
//!
//! (PostgreSQL at `CORRIDOR_TEST_POSTGRES_URL`, `postgres://postgres@127.0.0.1:5432/test` by
//! default; `pg_dump` and `python3` on the PATH.)

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use corridor_demo::DemoScale;
use corridor_domain::voucher::{
    ProviderScope, RedemptionMode, VoucherProgramme, VoucherProgrammeId,
};
use corridor_domain::{
    AccessPolicy, BookingMode, Fen, HourlyRates, InstitutionKind, TimeRange, WeeklyOpeningHours,
};
use corridor_store::{
    AuditContext, BookingActor, BookingRequest, NewVoucherApplication, PostgresStore, RegionData,
    RegionUser, SessionRecord, SqliteStore, Store, VoucherBookingAttempt, VoucherDecision,
};
use jiff::{SignedDuration, Timestamp};

/// The fixture's clock: its rows are as of this instant.
const NOW: &str = "2030-01-07T00:00:00Z";

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

fn at(day: i64, hour: i64) -> Timestamp {
    now() + SignedDuration::from_hours(24 * day + hour - 8)
}

/// A generated region cut down to what the fixture needs: one provider university and its
/// first two instruments, an academic and an enterprise user elsewhere, and the cities and
/// categories they name. Small enough to read as a dump.
fn small_region() -> RegionData {
    let region = corridor_demo::generate(
        7,
        DemoScale {
            instruments: 200,
            users: 120,
            corporations: 12,
        },
        &mut |_, _, _| {},
    );
    let kind_of = |id| {
        region
            .institutions
            .iter()
            .find(|institution| institution.id == id)
            .unwrap()
            .kind
    };
    let provider = region
        .instruments
        .iter()
        .find(|instrument| kind_of(instrument.institution) == InstitutionKind::University)
        .unwrap()
        .institution;
    let instruments: Vec<_> = region
        .instruments
        .iter()
        .filter(|instrument| instrument.institution == provider)
        .take(2)
        .cloned()
        .collect();
    let academic = region
        .users
        .iter()
        .find(|user| {
            user.home_institution != provider && kind_of(user.home_institution).is_academic()
        })
        .unwrap()
        .clone();
    let enterprise = region
        .users
        .iter()
        .find(|user| kind_of(user.home_institution) == InstitutionKind::Corporation)
        .unwrap()
        .clone();
    let institutions: BTreeSet<_> = [
        provider,
        academic.home_institution,
        enterprise.home_institution,
    ]
    .into();
    let sites: Vec<_> = region
        .sites
        .iter()
        .filter(|site| {
            instruments
                .iter()
                .any(|instrument| instrument.site == site.id)
        })
        .cloned()
        .collect();
    let institutions: Vec<_> = region
        .institutions
        .iter()
        .filter(|institution| institutions.contains(&institution.id))
        .cloned()
        .collect();
    let cities: BTreeSet<_> = institutions
        .iter()
        .map(|institution| institution.city)
        .chain(sites.iter().map(|site| site.city))
        .collect();
    let categories: BTreeSet<_> = instruments
        .iter()
        .flat_map(|instrument| [instrument.category.clone(), instrument.category.top_level()])
        .collect();
    RegionData {
        name: region.name,
        seed: region.seed,
        generator_version: region.generator_version,
        time_zone: region.time_zone,
        cities: region
            .cities
            .into_iter()
            .filter(|city| cities.contains(&city.code))
            .collect(),
        categories: region
            .categories
            .into_iter()
            .filter(|category| categories.contains(&category.code))
            .collect(),
        institutions,
        sites,
        instruments,
        beamlines: Vec::new(),
        users: [academic, enterprise]
            .into_iter()
            .map(|user| RegionUser {
                user,
                password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$fixture$fixture".into()),
            })
            .collect(),
    }
}

/// Writes the fixture's rows through the store, as the product writes them.
async fn write_rows(store: &dyn Store) {
    let region = small_region();
    store.migrate().await.unwrap();
    store.import_region(&region).await.unwrap();
    let context = AuditContext::default();
    let mut instrument = region.instruments[0].clone();
    instrument.opening_hours = WeeklyOpeningHours::parse("Mon-Sun 08:00-20:00").unwrap();
    instrument.booking_mode = BookingMode::Instant;
    instrument.training_required = false;
    instrument.access_policy = AccessPolicy::Open;
    instrument.rates = HourlyRates::new(Fen(1_000), Fen(20_000), Fen(50_000)).unwrap();
    store
        .update_instrument(&instrument, &context)
        .await
        .unwrap();
    let (academic, enterprise_user) = (region.users[0].user.clone(), region.users[1].user.clone());
    let request = |user: &corridor_domain::User, day: i64| BookingRequest {
        instrument: instrument.id,
        user: user.id,
        range: TimeRange::new(at(day, 10), at(day, 12)).unwrap(),
        purpose: "upgrade fixture".into(),
        idempotency_key: Some(format!("fixture-{}-{day}", user.id.0)),
        join_waitlist_if_taken: false,
    };
    // Bookings: confirmed, then one used and one cancelled.
    let mut booked = Vec::new();
    for day in [7, 8, 9] {
        match store
            .create_booking(&request(&academic, day), now(), &context)
            .await
            .unwrap()
        {
            corridor_store::BookingAttempt::Booked { booking, .. } => booked.push(booking.id),
            other => panic!("{other:?}"),
        }
    }
    store
        .record_usage(booked[0], 90, at(7, 13), &context)
        .await
        .unwrap();
    store
        .cancel_booking(booked[1], BookingActor::Owner(academic.id), now(), &context)
        .await
        .unwrap();
    // A programme of the enterprise's province, a voucher, a held and a redeemed booking.
    let province = store
        .institution(enterprise_user.home_institution)
        .await
        .unwrap()
        .unwrap()
        .province;
    let programme = store
        .create_voucher_programme(
            &VoucherProgramme {
                id: VoucherProgrammeId(0),
                province,
                name_en: "Fixture vouchers 2030".into(),
                name_zh: "2030年测试创新券".into(),
                budget: Fen(1_000_000),
                co_funding_percent: 60,
                annual_cap_per_enterprise: Fen(500_000),
                valid_from: jiff::civil::date(2030, 1, 1),
                valid_until: jiff::civil::date(2030, 12, 31),
                eligible_categories: Vec::new(),
                provider_scope: ProviderScope::WholeRegion,
                redemption_mode: RedemptionMode::ProviderRedeems,
            },
            &context,
        )
        .await
        .unwrap();
    let application = store
        .apply_for_voucher(
            &NewVoucherApplication {
                programme,
                enterprise: enterprise_user.home_institution,
                applicant: enterprise_user.id,
                requested: Fen(300_000),
                purpose: "fixture".into(),
            },
            now(),
            &context,
        )
        .await
        .unwrap()
        .unwrap();
    let VoucherDecision::Issued { voucher, .. } = store
        .decide_voucher_application(application.id, true, None, None, now(), &context)
        .await
        .unwrap()
    else {
        panic!("the fixture's voucher is issued")
    };
    for day in [10, 11] {
        let VoucherBookingAttempt::Booked { booking, .. } = store
            .create_booking_with_voucher(
                &request(&enterprise_user, day),
                voucher.id,
                now(),
                &context,
            )
            .await
            .unwrap()
        else {
            panic!("the fixture's voucher pays")
        };
        if day == 10 {
            store
                .record_usage(booking.id, 60, at(10, 13), &context)
                .await
                .unwrap();
        }
    }
    // A web session and an API token.
    store
        .create_session(
            &SessionRecord {
                token_hash: "f".repeat(64),
                user: academic.id,
                created_at: now(),
                expires_at: now() + SignedDuration::from_hours(12),
                client_address: Some("192.0.2.1".into()),
            },
            &context,
        )
        .await
        .unwrap();
    create_token(store, academic.id, &context).await;
}

/// The fixture's API token (the call the store offers at this schema).
async fn create_token(store: &dyn Store, user: corridor_domain::UserId, context: &AuditContext) {
    store
        .create_api_token(
            user,
            "fixture",
            &"e".repeat(64),
            now() + SignedDuration::from_hours(24 * 90),
            context,
        )
        .await
        .unwrap();
}

fn run(command: &mut std::process::Command) -> String {
    let output = command.output().expect("the command runs");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("a UTF-8 dump")
}

#[tokio::main]
async fn main() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures");
    std::fs::create_dir_all(&fixtures).unwrap();

    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("fixture.sqlite");
    let sqlite = Arc::new(
        SqliteStore::open(&format!("sqlite://{}", path.display()))
            .await
            .unwrap(),
    );
    write_rows(sqlite.as_ref()).await;
    sqlite.checkpoint().await.unwrap();
    sqlite.close().await;
    let dump = run(std::process::Command::new("python3").args([
        "-c",
        "import sqlite3, sys; print('\\n'.join(sqlite3.connect(sys.argv[1]).iterdump()))",
        path.to_str().unwrap(),
    ]));
    std::fs::write(fixtures.join("upgrade.sqlite.sql"), dump).unwrap();

    let url = std::env::var("CORRIDOR_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = "corridor_upgrade_fixture";
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query("CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public")
        .execute(&admin)
        .await
        .unwrap();
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&admin)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .unwrap();
    let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
    let postgres = PostgresStore::connect_with(options.options([("search_path", schema)]))
        .await
        .unwrap();
    write_rows(&postgres).await;
    let dump = run(std::process::Command::new("pg_dump").args([
        "--dbname",
        &url,
        "--schema",
        schema,
        "--inserts",
        "--no-owner",
        "--no-privileges",
        "--no-comments",
    ]));
    // The schema's name stands for the one each test makes; psql's own meta-commands (newer
    // pg_dump versions write `\restrict`) are not SQL and are left out.
    let dump: String = dump
        .lines()
        .filter(|line| !line.starts_with('\\'))
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(
        fixtures.join("upgrade.postgres.sql"),
        dump.replace(schema, "__SCHEMA__"),
    )
    .unwrap();
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&admin)
        .await
        .unwrap();
    println!("wrote {}", fixtures.display());
}
