//! Accounts that join by themselves: an unverified sign-up with its link and mail in one
//! transaction, links redeemed once and only before they expire, a newer link voiding the
//! older, a reset ending sessions, a change of address mailed to the new address, and
//! membership decisions; the same on both engines.

use corridor_domain::{EmailAddress, Language, Membership, Role, RoleGrant, RoleScope};
use corridor_store::{
    AccountLinkPurpose, AccountMail, AuditContext, LinkEffect, NewAccountLink, NewUser,
    NotificationClaim, SessionRecord, Store, StoreError,
};
use jiff::SignedDuration;

fn link(
    hash: &str,
    purpose: AccountLinkPurpose,
    new_email: Option<&str>,
    hours: i64,
) -> NewAccountLink {
    NewAccountLink {
        token_hash: hash.to_owned(),
        purpose,
        new_email: new_email.map(|address| EmailAddress::parse(address).unwrap()),
        expires_at: corridor_store::now() + SignedDuration::from_hours(hours),
    }
}

fn mail(kind: &str) -> AccountMail {
    AccountMail {
        kind: kind.to_owned(),
        subject: format!("subject of {kind}"),
        body: format!("body of {kind}"),
    }
}

pub async fn self_sign_ups_verify_reset_and_move_through_single_use_links(store: &dyn Store) {
    let region = crate::support::tiny_region(31);
    store.import_region(&region).await.unwrap();
    let institution = region.institutions[0].id;
    let context = AuditContext::default();
    let now = corridor_store::now();
    let address = EmailAddress::parse("joiner@example.org").unwrap();
    let account = NewUser {
        email: address.clone(),
        display_name: "Joiner".into(),
        home_institution: institution,
        preferred_language: Language::English,
        password_hash: Some("hash-one".into()),
        roles: vec![RoleGrant::new(Role::Researcher, RoleScope::Global).unwrap()],
    };
    let user = store
        .sign_up(
            &account,
            &link("verify-1", AccountLinkPurpose::VerifyEmail, None, 48),
            &mail("account.verify_email"),
            now,
            &context,
        )
        .await
        .unwrap();
    let standing = store.account_standing(&address).await.unwrap().unwrap();
    assert_eq!(standing.user.id, user);
    assert!(!standing.email_verified);
    assert_eq!(standing.membership, Membership::Requested);
    assert!(standing.has_password);
    let candidate = store.sign_in_candidate(&address).await.unwrap().unwrap();
    assert!(!candidate.email_verified);
    // A second sign-up with the address is a conflict that writes nothing, not even its mail.
    let outbox_before = store.recent_outbox_messages(100).await.unwrap().len();
    let again = store
        .sign_up(
            &account,
            &link("verify-2", AccountLinkPurpose::VerifyEmail, None, 48),
            &mail("account.verify_email"),
            now,
            &context,
        )
        .await
        .unwrap_err();
    assert!(matches!(again, StoreError::Conflict(_)), "{again:?}");
    assert_eq!(
        store.recent_outbox_messages(100).await.unwrap().len(),
        outbox_before
    );

    // The wrong purpose redeems nothing; the right one once.
    let wrong = store
        .redeem_account_link(
            "verify-1",
            &LinkEffect::ResetPassword {
                password_hash: "x".into(),
            },
            now,
            &context,
        )
        .await
        .unwrap();
    assert_eq!(wrong, None);
    let redeemed = store
        .redeem_account_link("verify-1", &LinkEffect::VerifyEmail, now, &context)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(redeemed.user, user);
    assert!(
        store
            .account_standing(&address)
            .await
            .unwrap()
            .unwrap()
            .email_verified
    );
    assert_eq!(
        store
            .redeem_account_link("verify-1", &LinkEffect::VerifyEmail, now, &context)
            .await
            .unwrap(),
        None
    );

    // A newer reset link voids the older; the reset ends the account's sessions.
    let session_now = corridor_store::now();
    store
        .create_session(
            &SessionRecord {
                token_hash: "session-of-joiner".into(),
                user,
                created_at: session_now,
                expires_at: session_now + SignedDuration::from_hours(1),
                client_address: None,
            },
            &context,
        )
        .await
        .unwrap();
    store
        .issue_account_link(
            user,
            &link("reset-1", AccountLinkPurpose::ResetPassword, None, 1),
            &mail("account.reset_password"),
            now,
            &context,
        )
        .await
        .unwrap();
    store
        .issue_account_link(
            user,
            &link("reset-2", AccountLinkPurpose::ResetPassword, None, 1),
            &mail("account.reset_password"),
            now,
            &context,
        )
        .await
        .unwrap();
    let effect = LinkEffect::ResetPassword {
        password_hash: "hash-two".into(),
    };
    assert_eq!(
        store
            .redeem_account_link("reset-1", &effect, now, &context)
            .await
            .unwrap(),
        None
    );
    assert!(store
        .redeem_account_link("reset-2", &effect, now, &context)
        .await
        .unwrap()
        .is_some());
    assert!(store
        .session_user("session-of-joiner")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store
            .sign_in_candidate(&address)
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .as_deref(),
        Some("hash-two")
    );

    // An expired link does nothing.
    store
        .issue_account_link(
            user,
            &link("reset-3", AccountLinkPurpose::ResetPassword, None, -1),
            &mail("account.reset_password"),
            now - SignedDuration::from_hours(2),
            &context,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .redeem_account_link("reset-3", &effect, now, &context)
            .await
            .unwrap(),
        None
    );

    // A change of address is mailed to the new address, and applies when redeemed.
    store
        .issue_account_link(
            user,
            &link(
                "move-1",
                AccountLinkPurpose::ChangeEmail,
                Some("moved@example.org"),
                24,
            ),
            &mail("account.change_email"),
            now,
            &context,
        )
        .await
        .unwrap();
    let claimed = store
        .claim_due_notifications(
            &NotificationClaim {
                claimer: "contract".into(),
                limit: 1000,
                lease: SignedDuration::from_mins(5),
                message_id_host: "example.org".into(),
            },
            corridor_store::now(),
        )
        .await
        .unwrap();
    let moving = claimed
        .iter()
        .find(|message| message.kind == "account.change_email")
        .expect("the change mail is claimable");
    assert_eq!(moving.recipient_email, "moved@example.org");
    assert!(claimed
        .iter()
        .filter(|message| message.kind == "account.verify_email")
        .all(|message| message.recipient_email == "joiner@example.org"));
    let moved = store
        .redeem_account_link("move-1", &LinkEffect::ChangeEmail, now, &context)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.email.as_str(), "moved@example.org");
    assert!(store.account_standing(&address).await.unwrap().is_none());
    // A change to an address another account holds is refused when the link is issued.
    let taken = region.users[0].user.email.as_str().to_owned();
    let refused = store
        .issue_account_link(
            user,
            &link("move-2", AccountLinkPurpose::ChangeEmail, Some(&taken), 24),
            &mail("account.change_email"),
            now,
            &context,
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, StoreError::Conflict(_)), "{refused:?}");

    // Membership: listed while requested, decided once, and only at the home institution.
    let requests = store.membership_requests(institution, 100).await.unwrap();
    assert!(requests
        .iter()
        .any(|request| request.user == user && request.membership == Membership::Requested));
    let elsewhere = region.institutions[1].id;
    assert!(!store
        .decide_membership(
            user,
            elsewhere,
            Membership::Admitted,
            &mail("membership.admitted"),
            now,
            &context
        )
        .await
        .unwrap());
    assert!(store
        .decide_membership(
            user,
            institution,
            Membership::Admitted,
            &mail("membership.admitted"),
            now,
            &context
        )
        .await
        .unwrap());
    assert!(!store
        .decide_membership(
            user,
            institution,
            Membership::Admitted,
            &mail("membership.admitted"),
            now,
            &context
        )
        .await
        .unwrap());
    assert!(store
        .membership_requests(institution, 100)
        .await
        .unwrap()
        .iter()
        .all(|request| request.user != user));
    let standing = store.account_standing_of(user).await.unwrap().unwrap();
    assert_eq!(standing.membership, Membership::Admitted);
    // Imported accounts are verified members from the start.
    let imported = store
        .account_standing_of(region.users[0].user.id)
        .await
        .unwrap()
        .unwrap();
    assert!(imported.email_verified);
    assert_eq!(imported.membership, Membership::Admitted);
}
