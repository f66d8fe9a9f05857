//! Single sign-on: a sign-in's state is taken once and only before it expires, a first
//! sign-in's account is made with its identity in one transaction (and refused whole when the
//! address or the identity is taken), an identity links to an existing account once, and each
//! of these leaves its audit event; the same on both engines.

use corridor_domain::{EmailAddress, Language, Membership, Role, RoleGrant, RoleScope};
use corridor_store::{
    AuditContext, NewSsoAccount, NewSsoSignIn, NewUser, PageRequest, SsoIdentity, Store, StoreError,
};
use jiff::SignedDuration;

fn sign_in(state_hash: &str, seconds: i64) -> NewSsoSignIn {
    NewSsoSignIn {
        state_hash: state_hash.to_owned(),
        provider: "campus".to_owned(),
        pkce_verifier: format!("verifier of {state_hash}"),
        nonce: format!("nonce of {state_hash}"),
        return_path: Some("/bookings".to_owned()),
        expires_at: corridor_store::now() + SignedDuration::from_secs(seconds),
    }
}

fn identity(subject: &str) -> SsoIdentity {
    SsoIdentity {
        issuer: "https://idp.example".to_owned(),
        subject: subject.to_owned(),
        provider: "campus".to_owned(),
    }
}

pub async fn sso_sign_ins_are_taken_once_and_accounts_are_linked_by_identity(store: &dyn Store) {
    let region = crate::support::tiny_region(37);
    store.import_region(&region).await.unwrap();
    let institution = region.institutions[0].id;
    let context = AuditContext::default();
    let now = corridor_store::now();

    // A state works once, and not after it expired.
    store
        .begin_sso_sign_in(&sign_in("state-1", 600), now)
        .await
        .unwrap();
    store
        .begin_sso_sign_in(&sign_in("state-old", 1), now)
        .await
        .unwrap();
    assert!(store
        .take_sso_sign_in("unknown", now)
        .await
        .unwrap()
        .is_none());
    let taken = store
        .take_sso_sign_in("state-1", now)
        .await
        .unwrap()
        .expect("the sign-in");
    assert_eq!(taken.provider, "campus");
    assert_eq!(taken.pkce_verifier, "verifier of state-1");
    assert_eq!(taken.nonce, "nonce of state-1");
    assert_eq!(taken.return_path.as_deref(), Some("/bookings"));
    assert!(
        store
            .take_sso_sign_in("state-1", now)
            .await
            .unwrap()
            .is_none(),
        "a replayed state finds nothing"
    );
    let later = now + SignedDuration::from_secs(5);
    assert!(
        store
            .take_sso_sign_in("state-old", later)
            .await
            .unwrap()
            .is_none(),
        "an expired state finds nothing"
    );
    // Beginning another sign-in clears away the expired ones.
    store
        .begin_sso_sign_in(&sign_in("state-stale", 1), now)
        .await
        .unwrap();
    store
        .begin_sso_sign_in(&sign_in("state-2", 600), later)
        .await
        .unwrap();
    assert!(store
        .take_sso_sign_in("state-stale", now)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .take_sso_sign_in("state-2", later)
        .await
        .unwrap()
        .is_some());
    let duplicate = sign_in("state-3", 600);
    store.begin_sso_sign_in(&duplicate, now).await.unwrap();
    let again = store.begin_sso_sign_in(&duplicate, now).await.unwrap_err();
    assert!(matches!(again, StoreError::Conflict(_)), "{again:?}");

    // A first sign-in makes the account with its identity; a later one finds it by identity.
    let address = EmailAddress::parse("alice@campus.example").unwrap();
    let account = NewSsoAccount {
        user: NewUser {
            email: address.clone(),
            display_name: "Alice".into(),
            home_institution: institution,
            preferred_language: Language::Chinese,
            password_hash: None,
            roles: vec![RoleGrant::new(Role::Researcher, RoleScope::Global).unwrap()],
        },
        email_verified: true,
        membership: Membership::Admitted,
    };
    assert!(store
        .sso_identity_user("https://idp.example", "alice")
        .await
        .unwrap()
        .is_none());
    let alice = store
        .create_sso_account(&account, &identity("alice"), now, &context)
        .await
        .unwrap();
    assert_eq!(alice.email, address);
    assert_eq!(alice.home_institution, institution);
    let found = store
        .sso_identity_user("https://idp.example", "alice")
        .await
        .unwrap()
        .expect("found by identity");
    assert_eq!(found, alice);
    assert!(
        store
            .sso_identity_user("https://other.example", "alice")
            .await
            .unwrap()
            .is_none(),
        "a subject counts only with its issuer"
    );
    let standing = store.account_standing_of(alice.id).await.unwrap().unwrap();
    assert!(standing.email_verified);
    assert_eq!(standing.membership, Membership::Admitted);
    assert!(!standing.has_password);

    // The same identity again, or the same address with another identity: refused whole.
    let mut other = account.clone();
    other.user.email = EmailAddress::parse("alice-2@campus.example").unwrap();
    let taken_identity = store
        .create_sso_account(&other, &identity("alice"), now, &context)
        .await
        .unwrap_err();
    assert!(
        matches!(taken_identity, StoreError::Conflict(_)),
        "{taken_identity:?}"
    );
    let taken_address = store
        .create_sso_account(&account, &identity("alice-elsewhere"), now, &context)
        .await
        .unwrap_err();
    assert!(
        matches!(taken_address, StoreError::Conflict(_)),
        "{taken_address:?}"
    );
    assert!(store
        .sso_identity_user("https://idp.example", "alice-elsewhere")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .account_standing(&other.user.email)
        .await
        .unwrap()
        .is_none());

    // An unvouched address with a requested membership is kept as the provider said.
    let mut unvouched = account.clone();
    unvouched.user.email = EmailAddress::parse("carol@campus.example").unwrap();
    unvouched.email_verified = false;
    unvouched.membership = Membership::Requested;
    let carol = store
        .create_sso_account(&unvouched, &identity("carol"), now, &context)
        .await
        .unwrap();
    let standing = store.account_standing_of(carol.id).await.unwrap().unwrap();
    assert!(!standing.email_verified);
    assert_eq!(standing.membership, Membership::Requested);

    // An identity links to an existing account once.
    let existing = region.users[0].user.id;
    store
        .link_sso_identity(existing, &identity("existing"), now, &context)
        .await
        .unwrap();
    assert_eq!(
        store
            .sso_identity_user("https://idp.example", "existing")
            .await
            .unwrap()
            .unwrap()
            .id,
        existing
    );
    let twice = store
        .link_sso_identity(carol.id, &identity("existing"), now, &context)
        .await
        .unwrap_err();
    assert!(matches!(twice, StoreError::Conflict(_)), "{twice:?}");
    assert_eq!(
        store.sso_identities_of(existing).await.unwrap(),
        vec![identity("existing")]
    );

    // Every account made and every link is an audit event (newest first), and the refused
    // attempts left none.
    let events = store
        .audit_events(PageRequest::default())
        .await
        .unwrap()
        .items;
    let actions: Vec<&str> = events
        .iter()
        .map(|event| event.action.as_str())
        .filter(|action| action.starts_with("sso."))
        .collect();
    assert_eq!(
        actions,
        vec![
            "sso.identity_linked",
            "sso.account_created",
            "sso.account_created"
        ]
    );
}
