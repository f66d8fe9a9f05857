//! Joining without an operator: sign-up with a verified address, password reset, a change
//! of address, the pace of mail requests, and what a requested membership is priced as.

use corridor_app::enrolment::{SignUpRequest, MAIL_REQUESTS_PER_ADDRESS};
use corridor_app::{Actor, AppError};
use corridor_domain::{BookingMode, EmailAddress, InstitutionId, Language, Membership, UserClass};
use corridor_store::{AuditContext, LinkEffect, NewAccountLink};

use crate::support::{predictable_instrument, shanghai_slot, test_app, TestApp};

const PASSWORD: &str = "a long enough password";

fn visitor(client: &str) -> Actor {
    Actor::anonymous(Some(client.to_owned()))
}

fn sign_up_request(email: &str, institution: InstitutionId) -> SignUpRequest {
    SignUpRequest {
        email: email.to_owned(),
        display_name: "Lin Xiaoyu".to_owned(),
        password: PASSWORD.to_owned(),
        institution,
        language: Language::Chinese,
    }
}

/// Some institution of the test region.
fn an_institution(test: &TestApp) -> InstitutionId {
    test.plain_user().home_institution
}

/// The secret of the latest link mailed to `recipient` (the outbox is the mailbox).
async fn latest_link_secret(test: &TestApp, recipient: &str) -> String {
    let messages = test.store.recent_outbox_messages(100).await.unwrap();
    let message = messages
        .iter()
        .find(|message| message.recipient_email == recipient && message.body.contains("token="))
        .unwrap_or_else(|| panic!("no link was mailed to {recipient}: {messages:#?}"));
    let start = message.body.find("token=").unwrap() + "token=".len();
    message.body[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

async fn mails_to(test: &TestApp, recipient: &str) -> Vec<corridor_store::OutboxMessage> {
    test.store
        .recent_outbox_messages(500)
        .await
        .unwrap()
        .into_iter()
        .filter(|message| message.recipient_email == recipient)
        .collect()
}

#[tokio::test]
async fn a_new_account_signs_in_only_after_its_address_is_verified_and_each_link_works_once() {
    let test = test_app().await;
    let enrolment = test.app.enrolment();
    let accounts = test.app.accounts();
    let address = "new.person@example.edu.cn";
    enrolment
        .sign_up(
            &visitor("203.0.113.1"),
            sign_up_request(address, an_institution(&test)),
        )
        .await
        .unwrap();
    let refused = accounts
        .start_session(&visitor("203.0.113.1"), address, PASSWORD.into())
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::EmailNotVerified), "{refused:?}");
    // A wrong password is still only a wrong password: "not verified" is said to the
    // person who knows the password alone.
    let wrong = accounts
        .start_session(&visitor("203.0.113.1"), address, "not the password".into())
        .await
        .unwrap_err();
    assert!(matches!(wrong, AppError::BadCredentials), "{wrong:?}");

    let mails = mails_to(&test, address).await;
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert!(
        mails[0].subject.contains("确认"),
        "mailed in the chosen language: {:?}",
        mails[0].subject
    );
    let secret = latest_link_secret(&test, address).await;
    let verified = enrolment
        .verify_email(&visitor("203.0.113.9"), &secret)
        .await
        .unwrap();
    assert_eq!(verified.as_str(), address);
    let session = accounts
        .start_session(&visitor("203.0.113.1"), address, PASSWORD.into())
        .await
        .unwrap();
    assert_eq!(session.user.email.as_str(), address);
    let standing = test
        .store
        .account_standing_of(session.user.id)
        .await
        .unwrap()
        .unwrap();
    assert!(standing.email_verified);
    assert_eq!(standing.membership, Membership::Requested);

    let again = enrolment
        .verify_email(&visitor("203.0.113.9"), &secret)
        .await
        .unwrap_err();
    assert!(
        matches!(&again, AppError::Invalid { field, .. } if field == "token"),
        "{again:?}"
    );
    let made_up = enrolment
        .verify_email(&visitor("203.0.113.9"), "not-a-secret-we-issued")
        .await
        .unwrap_err();
    assert!(
        matches!(&made_up, AppError::Invalid { field, .. } if field == "token"),
        "{made_up:?}"
    );
}

#[tokio::test]
async fn signing_up_with_a_known_address_answers_alike_and_tells_only_the_owner() {
    let test = test_app().await;
    let owner = test.plain_user().clone();
    let before = test
        .store
        .account_standing(&owner.email)
        .await
        .unwrap()
        .unwrap();
    test.app
        .enrolment()
        .sign_up(
            &visitor("203.0.113.2"),
            sign_up_request(owner.email.as_str(), an_institution(&test)),
        )
        .await
        .expect("the same answer as for a new address");
    let after = test
        .store
        .account_standing(&owner.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before, after, "the existing account is untouched");
    let mails = mails_to(&test, owner.email.as_str()).await;
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert_eq!(mails[0].kind, "account.already_registered");
    assert!(
        !mails[0].body.contains("token="),
        "no link that could take the account over"
    );

    // A reset for an address without an account also answers alike, and mails nobody.
    let outbox_before = test.store.recent_outbox_messages(500).await.unwrap().len();
    test.app
        .enrolment()
        .request_password_reset(&visitor("203.0.113.2"), "nobody.here@example.org")
        .await
        .unwrap();
    assert_eq!(
        test.store.recent_outbox_messages(500).await.unwrap().len(),
        outbox_before
    );
}

#[tokio::test]
async fn a_password_reset_sets_the_new_password_ends_sessions_and_voids_older_links() {
    let test = test_app().await;
    let enrolment = test.app.enrolment();
    let accounts = test.app.accounts();
    let address = "forgetful@example.com";
    let client = visitor("203.0.113.3");
    enrolment
        .sign_up(&client, sign_up_request(address, an_institution(&test)))
        .await
        .unwrap();
    let secret = latest_link_secret(&test, address).await;
    enrolment.verify_email(&client, &secret).await.unwrap();
    let session = accounts
        .start_session(&client, address, PASSWORD.into())
        .await
        .unwrap();
    assert!(accounts
        .session_user(&session.token)
        .await
        .unwrap()
        .is_some());

    enrolment
        .request_password_reset(&client, address)
        .await
        .unwrap();
    let first = latest_link_secret(&test, address).await;
    enrolment
        .request_password_reset(&client, address)
        .await
        .unwrap();
    let second = latest_link_secret(&test, address).await;
    assert_ne!(first, second);
    let voided = enrolment
        .reset_password(&client, &first, "another long password".into())
        .await
        .unwrap_err();
    assert!(
        matches!(&voided, AppError::Invalid { field, .. } if field == "token"),
        "only the latest link works: {voided:?}"
    );
    let too_short = enrolment
        .reset_password(&client, &second, "short".into())
        .await
        .unwrap_err();
    assert!(
        matches!(&too_short, AppError::Invalid { field, .. } if field == "password"),
        "{too_short:?}"
    );
    enrolment
        .reset_password(&client, &second, "another long password".into())
        .await
        .unwrap();
    assert!(
        accounts
            .session_user(&session.token)
            .await
            .unwrap()
            .is_none(),
        "the session made with the old password ended"
    );
    let old = accounts
        .start_session(&client, address, PASSWORD.into())
        .await
        .unwrap_err();
    assert!(matches!(old, AppError::BadCredentials), "{old:?}");
    accounts
        .start_session(&client, address, "another long password".into())
        .await
        .unwrap();
    let reused = enrolment
        .reset_password(&client, &second, "a third long password".into())
        .await
        .unwrap_err();
    assert!(
        matches!(&reused, AppError::Invalid { field, .. } if field == "token"),
        "{reused:?}"
    );
}

#[tokio::test]
async fn an_expired_link_does_nothing() {
    let test = test_app().await;
    let user = test.plain_user().clone();
    let (secret, token_hash) = corridor_app::accounts::new_secret("");
    let now = corridor_store::now();
    let link = NewAccountLink {
        token_hash,
        purpose: corridor_store::AccountLinkPurpose::ResetPassword,
        new_email: None,
        expires_at: now - jiff::SignedDuration::from_secs(1),
    };
    let mail = corridor_store::AccountMail {
        kind: "account.reset_password".into(),
        subject: "reset".into(),
        body: "a link".into(),
    };
    test.store
        .issue_account_link(
            user.id,
            &link,
            &mail,
            now - jiff::SignedDuration::from_hours(2),
            &AuditContext::default(),
        )
        .await
        .unwrap();
    let redeemed = test
        .store
        .redeem_account_link(
            &corridor_app::accounts::secret_hash(&secret),
            &LinkEffect::ResetPassword {
                password_hash: "x".into(),
            },
            now,
            &AuditContext::default(),
        )
        .await
        .unwrap();
    assert_eq!(redeemed, None);
    let error = test
        .app
        .enrolment()
        .reset_password(
            &visitor("203.0.113.4"),
            &secret,
            "a long new password".into(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&error, AppError::Invalid { field, .. } if field == "token"),
        "{error:?}"
    );
}

#[tokio::test]
async fn mail_requests_are_paced_per_address_before_anything_is_looked_up() {
    let test = test_app().await;
    let enrolment = test.app.enrolment();
    for attempt in 0..MAIL_REQUESTS_PER_ADDRESS {
        // From several clients, as a botnet would: the address's own limit holds.
        let client = visitor(&format!("198.51.100.{attempt}"));
        enrolment
            .request_password_reset(&client, "target@example.org")
            .await
            .unwrap();
    }
    let refused = enrolment
        .request_password_reset(&visitor("198.51.100.200"), "target@example.org")
        .await
        .unwrap_err();
    assert!(
        matches!(refused, AppError::TooManyAccountRequests { .. }),
        "{refused:?}"
    );
    // Sign-up and a new verification link share the pace: they all send mail.
    let refused = enrolment
        .resend_verification(&visitor("198.51.100.201"), "target@example.org")
        .await
        .unwrap_err();
    assert!(
        matches!(refused, AppError::TooManyAccountRequests { .. }),
        "{refused:?}"
    );
    enrolment
        .request_password_reset(&visitor("198.51.100.200"), "someone.else@example.org")
        .await
        .expect("another address is not held back");
}

#[tokio::test]
async fn a_member_not_yet_admitted_is_priced_and_admitted_as_an_outside_user() {
    let test = test_app().await;
    let (_, institution) = test.manager();
    let instrument = predictable_instrument(&test, institution, BookingMode::Instant).await;
    let member = test
        .users
        .iter()
        .find(|user| user.home_institution == institution)
        .expect("the institution has a member")
        .clone();
    let slot = shanghai_slot(3, 9, 2);
    let admitted = test
        .app
        .bookings()
        .quote(&crate::support::actor(&member), instrument, slot)
        .await
        .unwrap();
    assert_eq!(admitted.user_class, UserClass::OwnInstitution);

    let address = "newcomer@example.com";
    let client = visitor("203.0.113.5");
    test.app
        .enrolment()
        .sign_up(&client, sign_up_request(address, institution))
        .await
        .unwrap();
    let secret = latest_link_secret(&test, address).await;
    test.app
        .enrolment()
        .verify_email(&client, &secret)
        .await
        .unwrap();
    let newcomer = test
        .store
        .account_standing(&EmailAddress::parse(address).unwrap())
        .await
        .unwrap()
        .unwrap()
        .user;
    assert_eq!(newcomer.home_institution, institution);
    let requested = test
        .app
        .bookings()
        .quote(&crate::support::actor(&newcomer), instrument, slot)
        .await
        .unwrap();
    assert_eq!(requested.user_class, UserClass::Industry);

    // Nor does the institution they only named let them pass a region-only rule.
    let mut region_only = test
        .store
        .instrument(instrument)
        .await
        .unwrap()
        .unwrap()
        .instrument;
    region_only.id = corridor_domain::InstrumentId(0);
    region_only.access_policy = corridor_domain::AccessPolicy::Region;
    let region_only = test
        .store
        .create_instrument(&region_only, &AuditContext::default())
        .await
        .unwrap();
    let member_quote = test
        .app
        .bookings()
        .quote(&crate::support::actor(&member), region_only, slot)
        .await
        .unwrap();
    assert_eq!(
        member_quote.denial, None,
        "an admitted member of a region institution passes the region rule"
    );
    let newcomer_quote = test
        .app
        .bookings()
        .quote(&crate::support::actor(&newcomer), region_only, slot)
        .await
        .unwrap();
    assert!(
        matches!(
            newcomer_quote.denial,
            Some(corridor_store::BookingDenial::NotAdmitted { .. })
        ),
        "{newcomer_quote:?}"
    );
}

#[tokio::test]
async fn a_change_of_address_is_mailed_to_the_new_address_and_applies_only_when_followed() {
    let test = test_app().await;
    let enrolment = test.app.enrolment();
    let address = "moving@example.com";
    let client = visitor("203.0.113.6");
    enrolment
        .sign_up(&client, sign_up_request(address, an_institution(&test)))
        .await
        .unwrap();
    let secret = latest_link_secret(&test, address).await;
    enrolment.verify_email(&client, &secret).await.unwrap();
    let session = test
        .app
        .accounts()
        .start_session(&client, address, PASSWORD.into())
        .await
        .unwrap();
    let signed_in = Actor::user(session.user.clone(), Some("203.0.113.6".into()));

    enrolment
        .request_email_change(&signed_in, "moved@example.com")
        .await
        .unwrap();
    let standing = test
        .store
        .account_standing_of(session.user.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        standing.user.email.as_str(),
        address,
        "not before the link is followed"
    );
    let change_secret = latest_link_secret(&test, "moved@example.com").await;
    let changed = enrolment
        .confirm_email_change(&visitor("203.0.113.7"), &change_secret)
        .await
        .unwrap();
    assert_eq!(changed.as_str(), "moved@example.com");
    test.app
        .accounts()
        .start_session(&client, "moved@example.com", PASSWORD.into())
        .await
        .unwrap();

    // Moving to an address that has an account answers alike and tells that account's owner.
    let owner = test.plain_user().clone();
    let signed_in = Actor::user(
        test.store
            .account_standing_of(session.user.id)
            .await
            .unwrap()
            .unwrap()
            .user,
        Some("203.0.113.6".into()),
    );
    enrolment
        .request_email_change(&signed_in, owner.email.as_str())
        .await
        .unwrap();
    let mails = mails_to(&test, owner.email.as_str()).await;
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert_eq!(mails[0].kind, "account.already_registered");
}

#[tokio::test]
async fn the_mail_viewer_is_for_platform_admins_only() {
    let test = test_app().await;
    let refused = test
        .app
        .enrolment()
        .recent_mail(&crate::support::actor(test.plain_user()), 10)
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Forbidden(_)), "{refused:?}");
    let admin = test.user_with_role(corridor_domain::Role::PlatformAdmin);
    test.app
        .enrolment()
        .recent_mail(&crate::support::actor(admin), 10)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_institution_admin_admits_a_newcomer_who_is_then_priced_as_a_member() {
    let test = test_app().await;
    let admin = test
        .user_with_role(corridor_domain::Role::InstitutionAdmin)
        .clone();
    let institution = admin
        .member_admitting_institutions()
        .and_then(|institutions| institutions.first().copied())
        .expect("the institution admin admits members of an institution");
    let instrument = predictable_instrument(&test, institution, BookingMode::Instant).await;
    let address = "joining@example.edu.cn";
    let client = visitor("203.0.113.8");
    test.app
        .enrolment()
        .sign_up(&client, sign_up_request(address, institution))
        .await
        .unwrap();
    let newcomer = test
        .store
        .account_standing(&EmailAddress::parse(address).unwrap())
        .await
        .unwrap()
        .unwrap()
        .user;

    let waiting = test
        .app
        .enrolment()
        .membership_requests(&crate::support::actor(&admin), institution)
        .await
        .unwrap();
    assert!(waiting
        .iter()
        .any(|request| request.user == newcomer.id && request.membership == Membership::Requested));
    // Someone who is not the institution's admin neither sees nor decides.
    let outsider = test.plain_user().clone();
    let refused = test
        .app
        .enrolment()
        .decide_membership(
            &crate::support::actor(&outsider),
            institution,
            newcomer.id,
            true,
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Forbidden(_)), "{refused:?}");

    test.app
        .enrolment()
        .decide_membership(
            &crate::support::actor(&admin),
            institution,
            newcomer.id,
            true,
        )
        .await
        .unwrap();
    let standing = test
        .store
        .account_standing_of(newcomer.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(standing.membership, Membership::Admitted);
    let quote = test
        .app
        .bookings()
        .quote(
            &crate::support::actor(&newcomer),
            instrument,
            shanghai_slot(3, 9, 2),
        )
        .await
        .unwrap();
    assert_eq!(quote.user_class, UserClass::OwnInstitution);
    let mails = mails_to(&test, address).await;
    assert!(
        mails.iter().any(|mail| mail.kind == "membership.admitted"),
        "{mails:#?}"
    );
    // Deciding again is a conflict, not a second mail.
    let again = test
        .app
        .enrolment()
        .decide_membership(
            &crate::support::actor(&admin),
            institution,
            newcomer.id,
            true,
        )
        .await
        .unwrap_err();
    assert!(matches!(again, AppError::Conflict(_)), "{again:?}");
    assert!(test
        .app
        .enrolment()
        .membership_requests(&crate::support::actor(&admin), institution)
        .await
        .unwrap()
        .iter()
        .all(|request| request.user != newcomer.id));
}
