//! The accounts service's rules: sign-in is limited per address, a malformed credential is a
//! wrong one, and the audit trail is the platform admins' alone.

use corridor_app::sign_in_limit::FAILURES_PER_ADDRESS;
use corridor_app::{Actor, AppError};
use corridor_domain::Role;

use crate::support::{actor, test_app};

#[tokio::test]
async fn sign_in_is_refused_for_a_while_after_too_many_wrong_passwords() {
    let test = test_app().await;
    let user = test.plain_user();
    let accounts = test.app.accounts();
    let visitor = Actor::anonymous(Some("198.51.100.7".into()));
    for _ in 0..FAILURES_PER_ADDRESS {
        let error = accounts
            .start_session(&visitor, user.email.as_str(), "wrong password".into())
            .await
            .unwrap_err();
        assert!(matches!(error, AppError::BadCredentials), "{error:?}");
    }
    let error = accounts
        .start_session(&visitor, user.email.as_str(), "wrong password".into())
        .await
        .unwrap_err();
    assert!(
        matches!(error, AppError::TooManySignInAttempts { .. }),
        "{error:?}"
    );
    // A malformed address is a wrong credential, not a different answer.
    let error = accounts
        .start_session(&visitor, "not an address", "whatever".into())
        .await
        .unwrap_err();
    assert!(matches!(error, AppError::BadCredentials), "{error:?}");
}

#[tokio::test]
async fn the_audit_trail_is_for_platform_admins_only() {
    let test = test_app().await;
    let page = corridor_store::PageRequest {
        limit: corridor_domain::PageLimit::new(5).unwrap(),
        after: None,
    };
    let refused = test
        .app
        .accounts()
        .audit_events(&actor(test.plain_user()), page)
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Forbidden(_)), "{refused:?}");
    let admin = test.user_with_role(Role::PlatformAdmin);
    test.app
        .accounts()
        .audit_events(&actor(admin), page)
        .await
        .unwrap();
}
