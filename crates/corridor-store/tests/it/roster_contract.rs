//! An institution's roster: roles granted and taken away once each with their audit events,
//! qualifications in bulk all or nothing, a person's own sessions listed and ended (never
//! another's), and new institutions; the same on both engines.

use corridor_domain::{
    CityCode, EmailAddress, InstitutionKind, InstrumentId, Role, Sector, UserId,
};
use corridor_store::{AuditContext, NewInstitution, PageRequest, SessionRecord, Store, StoreError};
use jiff::SignedDuration;

pub async fn rosters_roles_bulk_qualifications_and_own_sessions(store: &dyn Store) {
    let region = crate::support::tiny_region(47);
    store.import_region(&region).await.unwrap();
    let institution = region.institutions[0].id;
    let members: Vec<UserId> = region
        .users
        .iter()
        .filter(|user| user.user.home_institution == institution)
        .map(|user| user.user.id)
        .collect();
    assert!(
        !members.is_empty(),
        "the tiny region gives its first institution people"
    );
    let outsider = region
        .users
        .iter()
        .find(|user| user.user.home_institution != institution)
        .unwrap()
        .user
        .id;
    let admin = AuditContext {
        actor: Some(members[0]),
        client_address: Some("192.0.2.7".into()),
    };

    // The roster holds every member, and an outsider once they hold a role here.
    let roster = store.institution_roster(institution, 5000).await.unwrap();
    for member in &members {
        assert!(roster
            .iter()
            .any(|entry| entry.user == *member && entry.home_here));
    }
    assert!(!roster.iter().any(|entry| entry.user == outsider));
    assert!(store
        .set_institution_role(outsider, institution, Role::InstrumentManager, true, &admin)
        .await
        .unwrap());
    assert!(
        !store
            .set_institution_role(outsider, institution, Role::InstrumentManager, true, &admin)
            .await
            .unwrap(),
        "granting a held role changes nothing"
    );
    let roster = store.institution_roster(institution, 5000).await.unwrap();
    let entry = roster.iter().find(|entry| entry.user == outsider).unwrap();
    assert!(!entry.home_here);
    assert!(entry.roles.contains(&Role::InstrumentManager));
    let user = store.user(outsider).await.unwrap().unwrap();
    assert!(user.may_manage_instruments_of(institution));
    assert!(store
        .set_institution_role(
            outsider,
            institution,
            Role::InstrumentManager,
            false,
            &admin
        )
        .await
        .unwrap());
    assert!(!store
        .set_institution_role(
            outsider,
            institution,
            Role::InstrumentManager,
            false,
            &admin
        )
        .await
        .unwrap());
    let user = store.user(outsider).await.unwrap().unwrap();
    assert!(!user.may_manage_instruments_of(institution));
    let events = store
        .audit_events(PageRequest {
            limit: corridor_domain::PageLimit::new(10).unwrap(),
            after: None,
        })
        .await
        .unwrap()
        .items;
    let role_events: Vec<&str> = events
        .iter()
        .filter(|event| event.action.starts_with("role."))
        .map(|event| event.action.as_str())
        .collect();
    assert_eq!(
        role_events,
        vec!["role.revoked", "role.granted"],
        "one event per change"
    );
    assert!(matches!(
        store
            .set_institution_role(
                UserId(999_999),
                institution,
                Role::InstitutionAdmin,
                true,
                &admin
            )
            .await,
        Err(StoreError::InvalidReference { .. })
    ));

    // Qualifications in bulk: every pair once; an unknown instrument writes nothing.
    let instruments: Vec<InstrumentId> = region
        .instruments
        .iter()
        .filter(|instrument| instrument.institution == institution)
        .take(2)
        .map(|instrument| instrument.id)
        .collect();
    assert_eq!(instruments.len(), 2);
    let people = [members[0], outsider];
    let now = corridor_store::now();
    assert_eq!(
        store
            .set_qualifications(&instruments, &people, true, now, &admin)
            .await
            .unwrap(),
        4
    );
    assert_eq!(
        store
            .set_qualifications(&instruments, &people, true, now, &admin)
            .await
            .unwrap(),
        0,
        "granting again changes nothing"
    );
    for instrument in &instruments {
        let holders: Vec<UserId> = store
            .qualifications(*instrument)
            .await
            .unwrap()
            .iter()
            .map(|qualification| qualification.user)
            .collect();
        assert!(holders.contains(&outsider) && holders.contains(&members[0]));
    }
    let third = region
        .users
        .iter()
        .map(|user| user.user.id)
        .find(|user| !people.contains(user))
        .unwrap();
    let with_unknown = [instruments[0], InstrumentId(999_999)];
    assert!(matches!(
        store
            .set_qualifications(&with_unknown, &[third], true, now, &admin)
            .await,
        Err(StoreError::InvalidReference { .. })
    ));
    assert!(
        !store
            .qualifications(instruments[0])
            .await
            .unwrap()
            .iter()
            .any(|qualification| qualification.user == third),
        "a refused bulk writes nothing"
    );
    assert_eq!(
        store
            .set_qualifications(&instruments[..1], &people, false, now, &admin)
            .await
            .unwrap(),
        2
    );
    assert!(store
        .qualifications(instruments[0])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.qualifications(instruments[1]).await.unwrap().len(), 2);

    // Addresses to people, in the order asked.
    let known = store.user(outsider).await.unwrap().unwrap().email;
    let unknown = EmailAddress::parse("nobody-here@example.org").unwrap();
    assert_eq!(
        store.users_by_email(&[unknown, known]).await.unwrap(),
        vec![None, Some(outsider)]
    );

    // Sessions: the owner lists the live ones and ends one; another person ends none.
    let context = AuditContext::default();
    for (hash, hours) in [("live-a", 5), ("live-b", 6), ("expired", -1)] {
        store
            .create_session(
                &SessionRecord {
                    token_hash: hash.into(),
                    user: outsider,
                    created_at: now - SignedDuration::from_hours(2),
                    expires_at: now + SignedDuration::from_hours(hours),
                    client_address: Some("198.51.100.4".into()),
                },
                &context,
            )
            .await
            .unwrap();
    }
    let sessions = store.sessions_of_user(outsider, now).await.unwrap();
    let mut hashes: Vec<&str> = sessions
        .iter()
        .map(|session| session.token_hash.as_str())
        .collect();
    hashes.sort();
    assert_eq!(hashes, vec!["live-a", "live-b"]);
    assert!(!store
        .end_session_of_user(members[0], "live-a", &context)
        .await
        .unwrap());
    assert!(store.session_user("live-a").await.unwrap().is_some());
    assert!(store
        .end_session_of_user(outsider, "live-a", &context)
        .await
        .unwrap());
    assert!(store.session_user("live-a").await.unwrap().is_none());
    assert!(store.session_user("live-b").await.unwrap().is_some());

    // A new institution, and a refusal for an unknown city.
    let city = region.cities[0].code;
    let created = store
        .create_institution(
            &NewInstitution {
                kind: InstitutionKind::ALL[0],
                name_en: "Institute of Testing".into(),
                name_zh: "测试研究所".into(),
                city_code: city,
                sector: Sector::ALL[0],
            },
            &admin,
        )
        .await
        .unwrap();
    assert!(!region.institutions.iter().any(|known| known.id == created));
    let found = store.institution(created).await.unwrap().unwrap();
    assert_eq!(found.institution.name_zh, "测试研究所");
    assert!(matches!(
        store
            .create_institution(
                &NewInstitution {
                    kind: InstitutionKind::ALL[0],
                    name_en: "Nowhere".into(),
                    name_zh: "无处".into(),
                    city_code: CityCode::new(829_999).unwrap(),
                    sector: Sector::ALL[0],
                },
                &admin,
            )
            .await,
        Err(StoreError::InvalidReference { .. })
    ));
}
