//! The contract: what every [`Store`] does, whatever engine is underneath.

use std::collections::BTreeSet;

use corridor_domain::{
    CategoryCode, EmailAddress, InstitutionId, InstitutionKind, InstrumentId, Language, PageLimit,
    ProvinceCode, Role, RoleGrant, RoleScope, UserId,
};
use corridor_store::{
    AuditContext, InstitutionFilter, InstrumentFilter, NewUser, PageRequest, SessionRecord, Store,
    StoreError,
};

use crate::support::tiny_region;

fn page(limit: u32, after: Option<i64>) -> PageRequest {
    PageRequest {
        limit: PageLimit::new(limit).unwrap(),
        after,
    }
}

async fn all_instrument_ids(store: &dyn Store, filter: &InstrumentFilter, limit: u32) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let result = store.instruments(filter, page(limit, after)).await.unwrap();
        assert!(result.items.len() <= limit as usize);
        ids.extend(result.items.iter().map(|item| item.instrument.id.0));
        match result.next_cursor {
            Some(cursor) => after = Some(cursor),
            None => return ids,
        }
    }
}

pub async fn migrations_are_idempotent(store: &dyn Store) {
    store
        .migrate()
        .await
        .expect("a second migration run is a no-op");
    store.ping().await.unwrap();
}

pub async fn an_empty_store_has_no_region(store: &dyn Store) {
    assert!(store.region().await.unwrap().is_none());
    let instruments = store
        .instruments(&InstrumentFilter::default(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(instruments.total, 0);
    assert!(instruments.items.is_empty() && instruments.next_cursor.is_none());
    assert_eq!(store.region_summary().await.unwrap().instruments, 0);
}

pub async fn an_imported_region_reads_back_unchanged(store: &dyn Store) {
    let region = tiny_region(11);
    let report = store.import_region(&region).await.unwrap();
    assert_eq!(
        report.rows_by_table["instruments"],
        region.instruments.len() as u64
    );

    let info = store.region().await.unwrap().expect("a region");
    assert_eq!((info.name.as_str(), info.seed), (region.name.as_str(), 11));
    assert_eq!(info.time_zone, region.time_zone);

    for original in region.instruments.iter().step_by(37) {
        let stored = store
            .instrument(original.id)
            .await
            .unwrap()
            .expect("imported instrument");
        assert_eq!(
            &stored.instrument, original,
            "instrument {} changed on the way through the store",
            original.id.0
        );
        let site = region
            .sites
            .iter()
            .find(|site| site.id == original.site)
            .unwrap();
        assert_eq!(stored.city, site.city);
        assert_eq!(stored.location, site.location);
    }
    let categories = store.categories().await.unwrap();
    assert_eq!(categories.len(), region.categories.len());
    for category in &region.categories {
        assert!(categories.contains(category), "{category:?}");
    }
    for original in region.institutions.iter().step_by(13) {
        let stored = store
            .institution(original.id)
            .await
            .unwrap()
            .expect("imported institution");
        assert_eq!(&stored.institution, original);
        let expected = region
            .instruments
            .iter()
            .filter(|instrument| instrument.institution == original.id)
            .count() as u64;
        assert_eq!(stored.instruments, expected);
    }
    for original in region.users.iter().step_by(29) {
        let stored = store
            .user(original.user.id)
            .await
            .unwrap()
            .expect("imported user");
        let mut expected = original.user.clone();
        expected.roles.sort();
        let mut got = stored.clone();
        got.roles.sort();
        assert_eq!(got, expected);
    }
    let beamlines = store.beamlines(None).await.unwrap();
    assert_eq!(beamlines.len(), region.beamlines.len());
    let mut expected_beamlines = region.beamlines.clone();
    expected_beamlines.sort_by(|a, b| a.code.cmp(&b.code));
    assert_eq!(beamlines, expected_beamlines);
    assert!(store
        .instrument(InstrumentId(10_000_000))
        .await
        .unwrap()
        .is_none());
}

pub async fn a_region_keeps_its_own_time_zone(store: &dyn Store) {
    let mut region = tiny_region(12);
    region.time_zone = corridor_domain::TimeZoneName::parse("Europe/Berlin").unwrap();
    store.import_region(&region).await.unwrap();
    let info = store.region().await.unwrap().expect("a region");
    assert_eq!(info.time_zone.as_str(), "Europe/Berlin");
}

pub async fn a_second_import_is_refused_and_changes_nothing(store: &dyn Store) {
    store.import_region(&tiny_region(1)).await.unwrap();
    let before = store.table_counts().await.unwrap();
    let error = store.import_region(&tiny_region(2)).await.unwrap_err();
    assert!(matches!(error, StoreError::Conflict(_)), "{error}");
    assert_eq!(store.table_counts().await.unwrap(), before);
    assert_eq!(store.region().await.unwrap().unwrap().seed, 1);
}

pub async fn pages_cover_every_instrument_once_in_order(store: &dyn Store) {
    let region = tiny_region(3);
    store.import_region(&region).await.unwrap();
    let expected: Vec<i64> = region
        .instruments
        .iter()
        .map(|instrument| instrument.id.0)
        .collect();
    for limit in [1, 7, 50, 500] {
        if limit == 1 {
            // One item per page over 600 instruments is slow and proves nothing more than 7.
            let first = store
                .instruments(&InstrumentFilter::default(), page(1, None))
                .await
                .unwrap();
            assert_eq!(first.items.len(), 1);
            assert_eq!(first.total, expected.len() as u64);
            assert_eq!(first.next_cursor, Some(expected[0]));
            continue;
        }
        let ids = all_instrument_ids(store, &InstrumentFilter::default(), limit).await;
        assert_eq!(ids, expected, "limit {limit}");
    }
}

pub async fn filters_agree_with_the_places_they_filter_on(store: &dyn Store) {
    let region = tiny_region(4);
    store.import_region(&region).await.unwrap();
    for province in [
        ProvinceCode::Shanghai,
        ProvinceCode::Anhui,
        ProvinceCode::Outside,
    ] {
        let filter = InstrumentFilter {
            province: Some(province),
            ..Default::default()
        };
        let result = store.instruments(&filter, page(500, None)).await.unwrap();
        assert!(result.items.iter().all(|item| item.province == province));
        let expected = region
            .instruments
            .iter()
            .filter(|instrument| {
                let site = region
                    .sites
                    .iter()
                    .find(|site| site.id == instrument.site)
                    .unwrap();
                region
                    .cities
                    .iter()
                    .find(|city| city.code == site.city)
                    .unwrap()
                    .province
                    == province
            })
            .count() as u64;
        assert_eq!(result.total, expected, "{province:?}");
    }
    let class = CategoryCode::parse("01").unwrap();
    let filter = InstrumentFilter {
        category: Some(class.clone()),
        ..Default::default()
    };
    let ids: BTreeSet<i64> = all_instrument_ids(store, &filter, 500)
        .await
        .into_iter()
        .collect();
    let expected: BTreeSet<i64> = region
        .instruments
        .iter()
        .filter(|instrument| instrument.category.top_level() == class)
        .map(|instrument| instrument.id.0)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(ids, expected, "a class matches all its subclasses");

    let holder = region.instruments[0].institution;
    let filter = InstrumentFilter {
        institution: Some(holder),
        training_required: Some(false),
        ..Default::default()
    };
    let result = store.instruments(&filter, page(500, None)).await.unwrap();
    assert!(result
        .items
        .iter()
        .all(|item| item.instrument.institution == holder && !item.instrument.training_required));

    let universities = store
        .institutions(
            &InstitutionFilter {
                kind: Some(InstitutionKind::University),
                ..Default::default()
            },
            page(500, None),
        )
        .await
        .unwrap();
    let expected = region
        .institutions
        .iter()
        .filter(|institution| institution.kind == InstitutionKind::University)
        .count() as u64;
    assert_eq!(universities.total, expected);
    assert!(universities
        .items
        .iter()
        .all(|item| item.institution.kind == InstitutionKind::University));
}

pub async fn the_summary_agrees_with_the_lists(store: &dyn Store) {
    let region = tiny_region(5);
    store.import_region(&region).await.unwrap();
    let summary = store.region_summary().await.unwrap();
    assert_eq!(summary.instruments, region.instruments.len() as u64);
    assert_eq!(summary.institutions, region.institutions.len() as u64);
    assert_eq!(summary.users, region.users.len() as u64);
    assert_eq!(
        summary.instruments_by_province.values().sum::<u64>(),
        summary.instruments
    );
    assert_eq!(
        summary.instruments_by_city.values().sum::<u64>(),
        summary.instruments
    );
    assert_eq!(
        summary.instruments_by_category.values().sum::<u64>(),
        summary.instruments
    );
    assert_eq!(
        summary.institutions_by_kind.values().sum::<u64>(),
        summary.institutions
    );
    let purchase: i64 = region
        .instruments
        .iter()
        .map(|instrument| instrument.purchase_value.0)
        .sum();
    assert_eq!(summary.purchase_value_fen, purchase);
    let provinces = store.provinces().await.unwrap();
    assert_eq!(provinces.len(), 5);
    for province in provinces {
        assert_eq!(
            province.instruments,
            summary
                .instruments_by_province
                .get(&province.code)
                .copied()
                .unwrap_or(0)
        );
    }
}

fn session(token_hash: &str, user: UserId, expires_in_hours: i64) -> SessionRecord {
    let now = corridor_store::now();
    SessionRecord {
        token_hash: token_hash.to_owned(),
        user,
        created_at: now,
        expires_at: now
            .checked_add(jiff::SignedDuration::from_hours(expires_in_hours))
            .unwrap(),
        client_address: Some("127.0.0.1".into()),
    }
}

pub async fn sessions_last_until_they_expire_or_are_deleted(store: &dyn Store) {
    let region = tiny_region(6);
    store.import_region(&region).await.unwrap();
    let user = region.users[3].user.id;
    let context = AuditContext {
        actor: Some(user),
        client_address: None,
    };
    store
        .create_session(&session("live", user, 12), &context)
        .await
        .unwrap();
    store
        .create_session(&session("expired", user, -1), &context)
        .await
        .unwrap();
    assert_eq!(
        store
            .session_user("live")
            .await
            .unwrap()
            .map(|user| user.id),
        Some(user)
    );
    assert!(store.session_user("expired").await.unwrap().is_none());
    assert!(store.session_user("never issued").await.unwrap().is_none());
    let duplicate = store
        .create_session(&session("live", user, 12), &context)
        .await
        .unwrap_err();
    assert!(matches!(duplicate, StoreError::Conflict(_)), "{duplicate}");
    store.delete_session("live", &context).await.unwrap();
    assert!(store.session_user("live").await.unwrap().is_none());
}

pub async fn api_tokens_identify_their_user_until_revoked_or_expired(store: &dyn Store) {
    let region = tiny_region(7);
    store.import_region(&region).await.unwrap();
    let user = region.users[5].user.id;
    let other_user = region.users[6].user.id;
    let now = jiff::Timestamp::now();
    let in_a_day = now + jiff::SignedDuration::from_hours(24);
    let info = store
        .create_api_token(
            user,
            "laptop",
            "token-hash",
            in_a_day,
            &AuditContext::default(),
        )
        .await
        .unwrap();
    assert_eq!((info.user, info.name.as_str()), (user, "laptop"));
    assert_eq!(
        store
            .api_token_user("token-hash")
            .await
            .unwrap()
            .map(|user| user.id),
        Some(user)
    );
    assert_eq!(
        store
            .live_api_token_holder("token-hash", now)
            .await
            .unwrap(),
        Some(user)
    );
    // The same token, asked about after its expiry, is no longer live.
    let after_expiry = in_a_day + jiff::SignedDuration::from_secs(1);
    assert_eq!(
        store
            .live_api_token_holder("token-hash", after_expiry)
            .await
            .unwrap(),
        None
    );
    assert!(store.api_token_user("other").await.unwrap().is_none());
    assert!(store
        .live_api_token_holder("other", now)
        .await
        .unwrap()
        .is_none());

    // A token that expired an hour ago identifies nobody.
    store
        .create_api_token(
            user,
            "old",
            "expired-hash",
            now - jiff::SignedDuration::from_hours(1),
            &AuditContext::default(),
        )
        .await
        .unwrap();
    assert!(store
        .api_token_user("expired-hash")
        .await
        .unwrap()
        .is_none());
    let listed = store.api_tokens_of_user(user).await.unwrap();
    assert_eq!(listed.len(), 2, "expired tokens are listed too");

    // Another user cannot revoke it; its holder can, and then it identifies nobody.
    let refused = store
        .revoke_api_token(other_user, info.id, &AuditContext::default())
        .await
        .unwrap_err();
    assert!(matches!(refused, StoreError::NotFound(_)), "{refused}");
    assert!(store
        .live_api_token_holder("token-hash", now)
        .await
        .unwrap()
        .is_some());
    store
        .revoke_api_token(user, info.id, &AuditContext::default())
        .await
        .unwrap();
    assert!(store
        .live_api_token_holder("token-hash", now)
        .await
        .unwrap()
        .is_none());
    assert!(store.api_token_user("token-hash").await.unwrap().is_none());
    // Revoking twice changes nothing.
    store
        .revoke_api_token(user, info.id, &AuditContext::default())
        .await
        .unwrap();
}

pub async fn users_get_fresh_ids_and_unique_addresses(store: &dyn Store) {
    let region = tiny_region(8);
    store.import_region(&region).await.unwrap();
    let largest = region
        .users
        .iter()
        .map(|user| user.user.id.0)
        .max()
        .unwrap();
    let new_user = NewUser {
        email: EmailAddress::parse("new.person@example.org").unwrap(),
        display_name: "New Person".into(),
        home_institution: InstitutionId(1),
        preferred_language: Language::Chinese,
        password_hash: Some("$argon2id$placeholder".into()),
        roles: vec![
            RoleGrant::new(Role::Researcher, RoleScope::Global).unwrap(),
            RoleGrant::new(
                Role::InstrumentManager,
                RoleScope::Institution(InstitutionId(1)),
            )
            .unwrap(),
        ],
    };
    let created = store
        .create_user(&new_user, &AuditContext::default())
        .await
        .unwrap();
    assert!(
        created.id.0 > largest,
        "ids continue after the imported ones"
    );
    let candidate = store
        .sign_in_candidate(&new_user.email)
        .await
        .unwrap()
        .expect("created user");
    assert_eq!(
        candidate.password_hash.as_deref(),
        Some("$argon2id$placeholder")
    );
    assert_eq!(candidate.user.roles.len(), 2);
    let again = store
        .create_user(&new_user, &AuditContext::default())
        .await
        .unwrap_err();
    assert!(matches!(again, StoreError::Conflict(_)), "{again}");
    let taken = NewUser {
        email: region.users[0].user.email.clone(),
        ..new_user
    };
    assert!(matches!(
        store
            .create_user(&taken, &AuditContext::default())
            .await
            .unwrap_err(),
        StoreError::Conflict(_)
    ));
}

pub async fn every_change_leaves_an_audit_event(store: &dyn Store) {
    let region = tiny_region(9);
    store.import_region(&region).await.unwrap();
    let user = region.users[1].user.id;
    let context = AuditContext {
        actor: Some(user),
        client_address: Some("192.0.2.7".into()),
    };
    store
        .create_session(&session("s", user, 1), &context)
        .await
        .unwrap();
    store
        .create_api_token(
            user,
            "ci",
            "t",
            jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1),
            &context,
        )
        .await
        .unwrap();
    store.delete_session("s", &context).await.unwrap();
    let events = store.audit_events(page(10, None)).await.unwrap();
    let actions: Vec<&str> = events
        .items
        .iter()
        .map(|event| event.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "session.deleted",
            "api_token.created",
            "session.created",
            "region.imported"
        ]
    );
    assert!(events.items[..3]
        .iter()
        .all(|event| event.actor == Some(user)
            && event.client_address.as_deref() == Some("192.0.2.7")));
    let older = store.audit_events(page(2, None)).await.unwrap();
    let rest = store
        .audit_events(page(10, older.next_cursor))
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 2, "the cursor continues to older events");
}

pub async fn instruments_are_created_changed_and_deleted_with_a_change_log(store: &dyn Store) {
    let region = tiny_region(10);
    store.import_region(&region).await.unwrap();
    let context = AuditContext::default();
    let start = store.changes_since(0, 100).await.unwrap();
    assert!(
        start.is_empty(),
        "an import is not a change: the index is built from it whole"
    );

    let mut instrument = region.instruments[0].clone();
    instrument.name_en = "Quantum gravimeter".into();
    let id = store
        .create_instrument(&instrument, &context)
        .await
        .unwrap();
    assert!(id.0 > region.instruments.len() as i64);
    let stored = store.instrument(id).await.unwrap().expect("created");
    assert_eq!(stored.instrument.name_en, "Quantum gravimeter");
    assert_eq!(
        InstrumentWithId {
            id,
            ..InstrumentWithId::from(&instrument)
        },
        InstrumentWithId::from(&stored.instrument)
    );

    instrument.id = id;
    instrument.name_zh = "量子重力仪".into();
    instrument.training_required = !instrument.training_required;
    store
        .update_instrument(&instrument, &context)
        .await
        .unwrap();
    assert_eq!(
        store.instrument(id).await.unwrap().unwrap().instrument,
        instrument
    );

    store.delete_instrument(id, &context).await.unwrap();
    assert!(store.instrument(id).await.unwrap().is_none());
    assert!(matches!(
        store.delete_instrument(id, &context).await.unwrap_err(),
        StoreError::NotFound(_)
    ));
    assert!(matches!(
        store
            .update_instrument(&instrument, &context)
            .await
            .unwrap_err(),
        StoreError::NotFound(_)
    ));

    let changes = store.changes_since(0, 100).await.unwrap();
    let operations: Vec<(i64, bool)> = changes
        .iter()
        .map(|change| (change.entity_id, change.deleted))
        .collect();
    assert_eq!(operations, [(id.0, false), (id.0, false), (id.0, true)]);
    assert!(changes.windows(2).all(|pair| pair[0].seq < pair[1].seq));
    assert_eq!(
        store
            .changes_since(changes[1].seq, 100)
            .await
            .unwrap()
            .len(),
        1
    );

    // References are checked: a site of another institution, a category that does not exist.
    let mut wrong_site = region.instruments[0].clone();
    wrong_site.site = region
        .sites
        .iter()
        .find(|site| site.institution != wrong_site.institution)
        .unwrap()
        .id;
    let error = store
        .create_instrument(&wrong_site, &context)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::InvalidReference {
                field: "site_id",
                ..
            }
        ),
        "{error}"
    );
    let mut wrong_category = region.instruments[0].clone();
    wrong_category.category = CategoryCode::parse("5555").unwrap();
    let error = store
        .create_instrument(&wrong_category, &context)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::InvalidReference {
                field: "category",
                ..
            }
        ),
        "{error}"
    );
    let audit = store.audit_events(page(10, None)).await.unwrap();
    assert_eq!(audit.items[0].action, "instrument.deleted");
}

/// An instrument's fields without its id, to compare a created instrument with its draft.
#[derive(Debug, PartialEq)]
struct InstrumentWithId {
    id: InstrumentId,
    rest: String,
}

impl From<&corridor_domain::Instrument> for InstrumentWithId {
    fn from(instrument: &corridor_domain::Instrument) -> Self {
        let mut copy = instrument.clone();
        copy.id = InstrumentId(0);
        InstrumentWithId {
            id: instrument.id,
            rest: format!("{copy:?}"),
        }
    }
}

pub async fn all_instruments_is_every_page_together(store: &dyn Store) {
    let region = tiny_region(12);
    store.import_region(&region).await.unwrap();
    let all = store.all_instruments().await.unwrap();
    let paged = store
        .instruments(&InstrumentFilter::default(), page(500, None))
        .await
        .unwrap();
    let rest = store
        .instruments(&InstrumentFilter::default(), page(500, paged.next_cursor))
        .await
        .unwrap();
    let together: Vec<_> = paged.items.into_iter().chain(rest.items).collect();
    assert_eq!(all, together);
    assert_eq!(all.len(), region.instruments.len());
}
