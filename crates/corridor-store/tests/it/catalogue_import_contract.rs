//! The catalogue-import writes on both engines: creates, updates and withdrawals in one
//! transaction with their change-log entries and audit events, the catalogue fields read
//! back, the public catalogue without withdrawn instruments, bookings refused on them, and a
//! failing import that leaves nothing behind.

use corridor_domain::{InstitutionId, InstrumentId};
use corridor_store::{
    AuditContext, BookingAttempt, BookingRequest, CatalogueFields, CatalogueImportWrites, Store,
    StoreError,
};

use crate::support::tiny_region;

fn fields(asset_number: &str) -> CatalogueFields {
    CatalogueFields {
        asset_number: Some(asset_number.to_owned()),
        country_of_origin: "日本".into(),
        purchase_date: Some(jiff::civil::date(2019, 3, 15)),
        location: "化学楼 301".into(),
        specifications: "分辨率 0.8 nm".into(),
        services: "形貌观察".into(),
        rates_text: "200元/样".into(),
        contact_name: "王老师".into(),
        contact_phone: "021-5555 0000".into(),
        contact_email: "wang@example.edu.cn".into(),
        operating_status: "under_repair".into(),
    }
}

pub async fn catalogue_imports_upsert_withdraw_and_log_every_change(store: &dyn Store) {
    let region = tiny_region(24);
    store.import_region(&region).await.unwrap();
    let institution: InstitutionId = region.instruments[0].institution;
    let mine: Vec<InstrumentId> = region
        .instruments
        .iter()
        .filter(|instrument| instrument.institution == institution)
        .map(|instrument| instrument.id)
        .collect();
    assert!(
        mine.len() >= 2,
        "the institution has instruments to change and withdraw"
    );
    let context = AuditContext::default();
    let log_before = store.latest_change_number().await.unwrap();

    let mut created = region.instruments[0].clone();
    created.name_zh = "导入的电镜".into();
    let mut updated = region.instruments[0].clone();
    updated.name_en = "Renamed by import".into();
    let withdrawn = mine[1];
    let writes = CatalogueImportWrites {
        creates: vec![(created, fields("NEW-1"))],
        updates: vec![(updated.clone(), fields("OLD-1"))],
        withdrawals: vec![withdrawn],
        summary: serde_json::json!({ "file": "contract.csv" }),
    };
    let ids = store
        .apply_catalogue_import(institution, &writes, &context)
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);

    let entries = store.catalogue_entries_of(institution).await.unwrap();
    assert_eq!(entries.len(), mine.len() + 1);
    let new = entries
        .iter()
        .find(|entry| entry.instrument.id == ids[0])
        .unwrap();
    assert_eq!(new.fields, fields("NEW-1"));
    assert_eq!(new.instrument.name_zh, "导入的电镜");
    assert!(!new.withdrawn);
    let old = entries
        .iter()
        .find(|entry| entry.instrument.id == updated.id)
        .unwrap();
    assert_eq!(old.instrument.name_en, "Renamed by import");
    assert_eq!(old.fields.asset_number.as_deref(), Some("OLD-1"));
    let gone = entries
        .iter()
        .find(|entry| entry.instrument.id == withdrawn)
        .unwrap();
    assert!(gone.withdrawn);
    assert!(
        store
            .instrument(withdrawn)
            .await
            .unwrap()
            .unwrap()
            .withdrawn
    );

    // One change-log entry per instrument, so every node's indexes follow.
    let changes = store.changes_since(log_before, 100).await.unwrap();
    let mut logged: Vec<i64> = changes
        .iter()
        .filter(|c| c.entity == "instrument")
        .map(|c| c.entity_id)
        .collect();
    logged.sort_unstable();
    let mut expected = vec![ids[0].0, updated.id.0, withdrawn.0];
    expected.sort_unstable();
    assert_eq!(logged, expected);
    let audit = store
        .audit_events(corridor_store::PageRequest {
            limit: corridor_domain::PageLimit::new(10).unwrap(),
            after: None,
        })
        .await
        .unwrap();
    let actions: Vec<&str> = audit
        .items
        .iter()
        .map(|event| event.action.as_str())
        .collect();
    for action in [
        "catalogue.imported",
        "instrument.withdrawn",
        "instrument.import_updated",
        "instrument.imported",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }

    // The public catalogue leaves the withdrawn instrument out, page after page.
    let mut public = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .public_catalogue_page(Some(institution), after, 2)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = Some((last.instrument.institution, last.instrument.id));
        public.extend(page.into_iter().map(|entry| entry.instrument.id));
    }
    assert_eq!(public.len(), mine.len());
    assert!(!public.contains(&withdrawn));
    assert!(public.windows(2).all(|pair| pair[0] < pair[1]));

    // A withdrawn instrument takes no bookings.
    let user = region.users[0].user.id;
    let start = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 7);
    let request = BookingRequest {
        instrument: withdrawn,
        user,
        range: corridor_domain::TimeRange::new(start, start + jiff::SignedDuration::from_hours(1))
            .unwrap(),
        purpose: String::new(),
        idempotency_key: None,
        join_waitlist_if_taken: false,
    };
    let attempt = store
        .create_booking(&request, jiff::Timestamp::now(), &context)
        .await;
    assert!(
        matches!(attempt, Err(StoreError::NotFound(_))),
        "{:?}",
        attempt
            .as_ref()
            .map(|a| matches!(a, BookingAttempt::Booked { .. }))
    );

    // A failing import writes nothing: the second create repeats an asset number.
    let counts = store.table_counts().await.unwrap();
    let mut again = region.instruments[0].clone();
    again.name_zh = "重复".into();
    let failing = CatalogueImportWrites {
        creates: vec![(again.clone(), fields("DUP-1")), (again, fields("DUP-1"))],
        updates: Vec::new(),
        withdrawals: vec![mine[0]],
        summary: serde_json::json!({}),
    };
    let refused = store
        .apply_catalogue_import(institution, &failing, &context)
        .await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    assert_eq!(store.table_counts().await.unwrap(), counts);
    // Another institution's instrument cannot be written through this one's import.
    let other = region
        .instruments
        .iter()
        .find(|instrument| instrument.institution != institution)
        .unwrap()
        .clone();
    let foreign = CatalogueImportWrites {
        updates: vec![(other, fields("X"))],
        ..CatalogueImportWrites::default()
    };
    assert!(store
        .apply_catalogue_import(institution, &foreign, &context)
        .await
        .is_err());
    assert_eq!(store.table_counts().await.unwrap(), counts);
}
