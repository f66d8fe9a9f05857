//! An institution's admins steer its people: appointments only of admitted members, no
//! removing one's own admin role, bulk qualifications all or nothing and only on instruments
//! one manages, one's own sessions only, and institutions created by platform admins only.

use corridor_app::roster::InstitutionFields;
use corridor_app::AppError;
use corridor_domain::{Role, RoleScope, User};

use crate::support::{actor, test_app, TestApp};

/// An institution admin of the test region and their institution.
fn institution_admin(test: &TestApp) -> (User, corridor_domain::InstitutionId) {
    test.users
        .iter()
        .find_map(|user| {
            user.roles
                .iter()
                .find_map(|grant| match (grant.role, grant.scope) {
                    (Role::InstitutionAdmin, RoleScope::Institution(institution)) => {
                        Some((user.clone(), institution))
                    }
                    _ => None,
                })
        })
        .expect("the test region has an institution admin")
}

#[tokio::test]
async fn admins_appoint_admitted_members_and_bulk_qualify_only_what_they_manage() {
    let test = test_app().await;
    let roster = test.app.roster();
    let (admin, institution) = institution_admin(&test);
    let member = test
        .plain_users()
        .find(|user| user.home_institution == institution && user.id != admin.id)
        .expect("the admin's institution has a plain researcher")
        .clone();
    let stranger = test
        .plain_users()
        .find(|user| user.home_institution != institution)
        .unwrap()
        .clone();

    // A plain researcher steers nothing.
    let refused = roster
        .institution_roster(&actor(&member), institution)
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Forbidden(_)), "{refused:?}");

    // The admin appoints a member; the roster shows it and the member now manages.
    assert!(roster
        .set_role(
            &actor(&admin),
            institution,
            member.id,
            Role::InstrumentManager,
            true
        )
        .await
        .unwrap());
    let people = roster
        .institution_roster(&actor(&admin), institution)
        .await
        .unwrap();
    let entry = people.iter().find(|entry| entry.user == member.id).unwrap();
    assert_eq!(entry.roles, vec![Role::InstrumentManager]);
    let appointed = test.store.user(member.id).await.unwrap().unwrap();
    assert!(appointed.may_manage_instruments_of(institution));

    // Someone of another institution is not appointed; nor is a role outside the two.
    let refused = roster
        .set_role(
            &actor(&admin),
            institution,
            stranger.id,
            Role::InstrumentManager,
            true,
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Conflict(_)), "{refused:?}");
    let refused = roster
        .set_role(
            &actor(&admin),
            institution,
            member.id,
            Role::PlatformAdmin,
            true,
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Invalid { .. }), "{refused:?}");
    // Nor does an admin remove their own admin role.
    let refused = roster
        .set_role(
            &actor(&admin),
            institution,
            admin.id,
            Role::InstitutionAdmin,
            false,
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Conflict(_)), "{refused:?}");

    // Bulk qualifications on the institution's instruments, by address.
    let instruments: Vec<corridor_domain::InstrumentId> = test
        .store
        .all_instruments()
        .await
        .unwrap()
        .into_iter()
        .filter(|found| found.instrument.institution == institution)
        .take(3)
        .map(|found| found.instrument.id)
        .collect();
    let addresses = format!("{}, {}", member.email.as_str(), stranger.email.as_str());
    let outcome = roster
        .set_qualifications_in_bulk(&actor(&admin), &instruments, &addresses, true)
        .await
        .unwrap();
    assert_eq!((outcome.changed, outcome.people), (6, 2));
    for instrument in &instruments {
        let holders = test.store.qualifications(*instrument).await.unwrap();
        assert!(holders.iter().any(|held| held.user == stranger.id));
    }
    // An unknown address refuses the whole change, and names the address.
    let refused = roster
        .set_qualifications_in_bulk(
            &actor(&admin),
            &instruments,
            "nobody-at-all@example.org",
            false,
        )
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("nobody-at-all@example.org"));
    assert_eq!(
        test.store
            .qualifications(instruments[0])
            .await
            .unwrap()
            .len(),
        2,
        "nothing was revoked"
    );
    // An instrument of another institution is refused to this admin.
    let elsewhere = test
        .store
        .all_instruments()
        .await
        .unwrap()
        .into_iter()
        .find(|found| !admin.may_manage_instruments_of(found.instrument.institution))
        .unwrap()
        .instrument
        .id;
    let refused = roster
        .set_qualifications_in_bulk(&actor(&admin), &[elsewhere], &addresses, true)
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Forbidden(_)), "{refused:?}");
}

#[tokio::test]
async fn people_see_and_end_only_their_own_sessions_and_only_platform_admins_create_institutions() {
    let test = test_app().await;
    let roster = test.app.roster();
    let accounts = test.app.accounts();
    let (admin, _) = institution_admin(&test);
    let platform = test.user_with_role(Role::PlatformAdmin).clone();
    let other = test.plain_user().clone();

    let none = roster.my_sessions(&actor(&other), None).await.unwrap();
    assert!(none.is_empty());
    let now = corridor_store::now();
    let hashes: Vec<String> = ["phone", "laptop"]
        .iter()
        .map(|secret| corridor_app::accounts::secret_hash(secret))
        .collect();
    for hash in &hashes {
        test.store
            .create_session(
                &corridor_store::SessionRecord {
                    token_hash: hash.clone(),
                    user: other.id,
                    created_at: now,
                    expires_at: now + jiff::SignedDuration::from_hours(8),
                    client_address: Some("192.0.2.9".into()),
                },
                &corridor_store::AuditContext::default(),
            )
            .await
            .unwrap();
    }
    let sessions = roster
        .my_sessions(&actor(&other), Some(&hashes[1]))
        .await
        .unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(
        sessions
            .iter()
            .filter(|own| own.current)
            .map(|own| own.session.token_hash.as_str())
            .collect::<Vec<_>>(),
        vec![hashes[1].as_str()]
    );
    // Another person cannot end it; the owner can, and the session no longer signs in.
    let refused = roster
        .end_my_session(&actor(&admin), &hashes[0])
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::NotFound(_)));
    assert!(accounts.session_user("phone").await.unwrap().is_some());
    roster
        .end_my_session(&actor(&other), &hashes[0])
        .await
        .unwrap();
    assert!(accounts.session_user("phone").await.unwrap().is_none());
    assert!(accounts.session_user("laptop").await.unwrap().is_some());
    let refused = roster
        .end_my_session(&actor(&other), "not-a-hash")
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Invalid { .. }), "{refused:?}");

    let city = test
        .store
        .institution(admin.home_institution)
        .await
        .unwrap()
        .unwrap()
        .institution
        .city;
    let fields = InstitutionFields {
        kind: "research_institute".into(),
        name_en: "Institute of Roster Tests".into(),
        name_zh: "名册测试研究所".into(),
        city_code: city.get().to_string(),
        sector: "public_research".into(),
    };
    let refused = roster
        .create_institution(&actor(&admin), &fields)
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Forbidden(_)));
    let mut wrong = fields.clone();
    wrong.city_code = "12".into();
    let refused = roster
        .create_institution(&actor(&platform), &wrong)
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Invalid { .. }), "{refused:?}");
    let created = roster
        .create_institution(&actor(&platform), &fields)
        .await
        .unwrap();
    let found = test.store.institution(created).await.unwrap().unwrap();
    assert_eq!(found.institution.name_en, "Institute of Roster Tests");
    // Its first admin must be a member of it: a person of another institution is refused.
    let refused = roster
        .set_role_by_email(
            &actor(&platform),
            created,
            other.email.as_str(),
            Role::InstitutionAdmin,
            true,
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Conflict(_)), "{refused:?}");
    let refused = roster
        .set_role_by_email(
            &actor(&platform),
            created,
            "no-such-person@example.org",
            Role::InstitutionAdmin,
            true,
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::NotFound(_)), "{refused:?}");
}
