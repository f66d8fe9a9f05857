//! A started application over a small generated region in a SQLite file of its own: what
//! each test of the application layer runs against (the store's contract suite covers the
//! engines; these tests cover the rules above them).

use std::sync::Arc;

use corridor_app::{Actor, App};
use corridor_demo::DemoScale;
use corridor_domain::{Role, RoleScope, User};
use corridor_store::{RegionData, RegionUser, SqliteStore, Store};

pub const SEED: u64 = 42;

pub struct TestApp {
    pub app: App,
    pub store: Arc<dyn Store>,
    pub users: Vec<User>,
    _directory: tempfile::TempDir,
}

impl TestApp {
    /// The first user holding `role` (scoped to an institution where the role is).
    pub fn user_with_role(&self, role: Role) -> &User {
        self.users
            .iter()
            .find(|user| user.roles.iter().any(|grant| grant.role == role))
            .unwrap_or_else(|| panic!("the test region has no user with role {role:?}"))
    }

    /// A researcher who holds no other role.
    pub fn plain_user(&self) -> &User {
        self.plain_users()
            .next()
            .expect("the test region has plain researchers")
    }

    /// Every researcher who holds no other role.
    pub fn plain_users(&self) -> impl Iterator<Item = &User> {
        self.users.iter().filter(|user| {
            user.roles
                .iter()
                .all(|grant| grant.role == Role::Researcher)
        })
    }

    /// An instrument manager and the institution they manage.
    pub fn manager(&self) -> (&User, corridor_domain::InstitutionId) {
        self.users
            .iter()
            .find_map(|user| {
                user.roles
                    .iter()
                    .find_map(|grant| match (grant.role, grant.scope) {
                        (Role::InstrumentManager, RoleScope::Institution(institution)) => {
                            Some((user, institution))
                        }
                        _ => None,
                    })
            })
            .expect("the test region has an instrument manager")
    }
}

pub fn actor(user: &User) -> Actor {
    Actor::user(user.clone(), Some("192.0.2.1".to_owned()))
}

pub fn region() -> RegionData {
    let region = corridor_demo::generate(
        SEED,
        DemoScale {
            instruments: 300,
            users: 150,
            corporations: 20,
        },
        &mut |_, _, _| {},
    );
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

pub async fn test_app() -> TestApp {
    test_app_with_rail(corridor_app::RailSource::Demo).await
}

/// A test application routing on `rail`.
pub async fn test_app_with_rail(rail: corridor_app::RailSource) -> TestApp {
    let directory = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", directory.path().join("app.sqlite").display());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&url).await.unwrap());
    store.migrate().await.unwrap();
    let region = region();
    let users = region.users.iter().map(|user| user.user.clone()).collect();
    store.import_region(&region).await.unwrap();
    let app = App::start_with_rail(store.clone(), rail).await.unwrap();
    TestApp {
        app,
        store,
        users,
        _directory: directory,
    }
}

/// A copy of one of `institution`'s instruments made predictable: open to everyone, booked
/// without approval, no training, open every day 08:00-20:00, the standard rules.
pub async fn predictable_instrument(
    test: &TestApp,
    institution: corridor_domain::InstitutionId,
    booking_mode: corridor_domain::BookingMode,
) -> corridor_domain::InstrumentId {
    let mut instrument = test
        .store
        .all_instruments()
        .await
        .unwrap()
        .into_iter()
        .find(|item| item.instrument.institution == institution)
        .expect("the institution has an instrument")
        .instrument;
    instrument.id = corridor_domain::InstrumentId(0);
    instrument.name_en = "Predictable test instrument".into();
    instrument.access_policy = corridor_domain::AccessPolicy::Open;
    instrument.booking_mode = booking_mode;
    instrument.training_required = false;
    instrument.opening_hours =
        corridor_domain::WeeklyOpeningHours::parse("Mon-Sun 08:00-20:00").unwrap();
    instrument.time_zone = corridor_domain::TimeZoneName::asia_shanghai();
    test.store
        .create_instrument(&instrument, &corridor_store::AuditContext::default())
        .await
        .unwrap()
}

/// `hour`:00 to `hour + hours`:00 Shanghai time, `days` days from now.
pub fn shanghai_slot(days: i64, hour: i8, hours: i8) -> corridor_domain::TimeRange {
    let zone = jiff::tz::db().get("Asia/Shanghai").unwrap();
    let date = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * days))
        .to_zoned(zone.clone())
        .date();
    let at = |hour: i8| {
        date.at(hour, 0, 0, 0)
            .to_zoned(zone.clone())
            .unwrap()
            .timestamp()
    };
    corridor_domain::TimeRange::new(at(hour), at(hour + hours)).unwrap()
}
