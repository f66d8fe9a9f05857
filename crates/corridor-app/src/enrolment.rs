//! Joining Corridor without an operator: self sign-up with a verified address, a new
//! verification link, password reset by mail and a change of address that is verified before
//! it replaces the old one.
//!
//! Each step that mails someone answers the same whether or not the address has an account,
//! so that nobody learns from Corridor who uses it: a sign-up with a known address mails that
//! address's owner instead ("someone tried to sign up with your address"), and a reset for an
//! unknown address mails nobody. The steps that mail are paced per address and per client
//! (`AttemptLimits` of [`MAIL_REQUESTS_PER_ADDRESS`] and [`MAIL_REQUESTS_PER_CLIENT`] an
//! hour), before anything is looked up, so the answer time and the limit do not tell either.
//!
//! Links are single-use secrets (see `corridor_store::accounts`): the mail carries the secret,
//! the store keeps its hash.

use std::time::{Duration, Instant};

use corridor_domain::{
    bounded_text, EmailAddress, InstitutionId, Language, Membership, PlaintextPassword, Role,
    RoleGrant, RoleScope, UserId,
};
use corridor_store::{
    AccountLinkPurpose, AccountMail, AccountStore, AuditContext, CatalogueStore, LinkEffect,
    NewAccountLink, NewUser, StoreError,
};

use crate::accounts::{hash_password, new_secret, secret_hash};
use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::sign_in_limit::{AttemptLimits, SignInLimiter};

/// Mails one address may be sent on request (sign-up, new link, reset) within an hour.
pub const MAIL_REQUESTS_PER_ADDRESS: usize = 5;
/// Mail requests one client may make within an hour (an institution's NAT carries many).
pub const MAIL_REQUESTS_PER_CLIENT: usize = 30;
/// A verification link works this long.
pub const VERIFICATION_LINK_HOURS: i64 = 48;
/// A password-reset link works this long: it is as good as the password.
pub const RESET_LINK_HOURS: i64 = 1;
/// A change-of-address link works this long.
pub const CHANGE_EMAIL_LINK_HOURS: i64 = 24;
/// The longest display name.
pub const LONGEST_DISPLAY_NAME_CHARS: usize = 100;

/// What the enrolment steps keep between requests: the pace of mail requests.
pub(crate) struct EnrolmentState {
    mail_requests: SignInLimiter,
}

impl EnrolmentState {
    pub(crate) fn new() -> EnrolmentState {
        EnrolmentState {
            mail_requests: SignInLimiter::with_limits(AttemptLimits {
                per_address: MAIL_REQUESTS_PER_ADDRESS,
                per_client: MAIL_REQUESTS_PER_CLIENT,
                window: Duration::from_secs(3600),
            }),
        }
    }
}

/// A sign-up as a person types it.
#[derive(Debug, Clone)]
pub struct SignUpRequest {
    pub email: String,
    pub display_name: String,
    pub password: String,
    /// The institution the person belongs to; its admins admit them.
    pub institution: InstitutionId,
    pub language: Language,
}

/// The enrolment service (see the module's documentation).
pub struct Enrolment<'a> {
    pub(crate) accounts: &'a dyn AccountStore,
    /// The node's password workers, shared with sign-in (see `accounts::PasswordWorkers`).
    pub(crate) password_workers: &'a crate::accounts::PasswordWorkers,
    pub(crate) catalogue: &'a dyn CatalogueStore,
    pub(crate) state: &'a EnrolmentState,
    /// Where the links in the mails point: the site's address as people reach it, without a
    /// trailing slash (`https://corridor.example`).
    pub(crate) public_base_url: &'a str,
}

impl Enrolment<'_> {
    /// Counts a request that will mail `address`, or refuses it while the address or the
    /// client has asked too often.
    fn pace_mail_request(&self, actor: &Actor, address: &str) -> AppResult<()> {
        let attempt = self
            .state
            .mail_requests
            .begin(address, actor.client_address.as_deref(), Instant::now())
            .map_err(|wait| AppError::TooManyAccountRequests { retry_after: wait })?;
        // Every request counts: dropping the attempt leaves it counted.
        drop(attempt);
        Ok(())
    }

    fn new_link(
        &self,
        purpose: AccountLinkPurpose,
        new_email: Option<EmailAddress>,
        hours: i64,
    ) -> (String, NewAccountLink) {
        let (secret, token_hash) = new_secret("");
        let expires_at = corridor_store::now() + jiff::SignedDuration::from_hours(hours);
        (
            secret,
            NewAccountLink {
                token_hash,
                purpose,
                new_email,
                expires_at,
            },
        )
    }

    fn link_url(&self, path: &str, secret: &str) -> String {
        format!("{}{path}?token={secret}", self.public_base_url)
    }

    /// Signs a person up: an account whose address is unverified and whose membership of the
    /// named institution is requested, and a mail with the verification link. The answer is
    /// the same when the address already has an account (its owner is mailed instead).
    #[tracing::instrument(skip_all, fields(client = actor.client_address.as_deref()))]
    pub async fn sign_up(&self, actor: &Actor, request: SignUpRequest) -> AppResult<()> {
        let email = EmailAddress::parse(&request.email)?;
        let password = PlaintextPassword::new_choice(request.password)?;
        let display_name = bounded_text(
            "display_name",
            &request.display_name,
            LONGEST_DISPLAY_NAME_CHARS,
        )?;
        if self
            .catalogue
            .institution(request.institution)
            .await?
            .is_none()
        {
            return Err(AppError::invalid(
                "institution",
                format!("there is no institution {}", request.institution.0),
            ));
        }
        self.pace_mail_request(actor, email.as_str())?;
        let context = actor.audit_context();
        if let Some(existing) = self.accounts.account_standing(&email).await? {
            return self
                .mail_existing_owner(
                    &existing.user.id,
                    existing.user.preferred_language,
                    &context,
                )
                .await;
        }
        let password_hash = self
            .password_workers
            .run(move || hash_password(&password))
            .await?;
        let (secret, link) = self.new_link(
            AccountLinkPurpose::VerifyEmail,
            None,
            VERIFICATION_LINK_HOURS,
        );
        let mail = verification_mail(
            request.language,
            &display_name,
            &self.link_url("/verify-email", &secret),
        );
        let account = NewUser {
            email: email.clone(),
            display_name,
            home_institution: request.institution,
            preferred_language: request.language,
            password_hash: Some(password_hash),
            roles: vec![RoleGrant {
                role: Role::Researcher,
                scope: RoleScope::Global,
            }],
        };
        match self
            .accounts
            .sign_up(&account, &link, &mail, corridor_store::now(), &context)
            .await
        {
            Ok(_) => Ok(()),
            // Another sign-up with the address won the race: answer as for a known address.
            Err(StoreError::Conflict(_)) => match self.accounts.account_standing(&email).await? {
                Some(existing) => {
                    self.mail_existing_owner(
                        &existing.user.id,
                        existing.user.preferred_language,
                        &context,
                    )
                    .await
                }
                None => Ok(()),
            },
            Err(error) => Err(error.into()),
        }
    }

    async fn mail_existing_owner(
        &self,
        user: &UserId,
        language: Language,
        context: &AuditContext,
    ) -> AppResult<()> {
        let mail = already_registered_mail(
            language,
            &format!("{}/reset-password", self.public_base_url),
        );
        self.accounts
            .queue_account_mail(*user, &mail, corridor_store::now(), context)
            .await?;
        Ok(())
    }

    /// Parses the address a mail request names, counts the request against its pace, and finds
    /// its account (`None` for an address without one: the caller answers alike).
    async fn paced_account(
        &self,
        actor: &Actor,
        email: &str,
    ) -> AppResult<Option<corridor_store::AccountStanding>> {
        let Ok(email) = EmailAddress::parse(email) else {
            return Err(AppError::invalid("email", "is not an e-mail address"));
        };
        self.pace_mail_request(actor, email.as_str())?;
        Ok(self.accounts.account_standing(&email).await?)
    }

    /// Mails a new verification link to an account whose address is not verified yet; the
    /// answer is the same for any address.
    pub async fn resend_verification(&self, actor: &Actor, email: &str) -> AppResult<()> {
        let Some(standing) = self.paced_account(actor, email).await? else {
            return Ok(());
        };
        if standing.email_verified {
            return Ok(());
        }
        let (secret, link) = self.new_link(
            AccountLinkPurpose::VerifyEmail,
            None,
            VERIFICATION_LINK_HOURS,
        );
        let mail = verification_mail(
            standing.user.preferred_language,
            &standing.user.display_name,
            &self.link_url("/verify-email", &secret),
        );
        self.accounts
            .issue_account_link(
                standing.user.id,
                &link,
                &mail,
                corridor_store::now(),
                &actor.audit_context(),
            )
            .await?;
        Ok(())
    }

    /// Follows a verification link. Refused as `Invalid` on `token` when the link is
    /// unknown, used or expired.
    pub async fn verify_email(&self, actor: &Actor, token: &str) -> AppResult<EmailAddress> {
        self.redeem(actor, token, &LinkEffect::VerifyEmail).await
    }

    /// Mails a password-reset link to the address's account, if there is one; the answer is
    /// the same either way.
    pub async fn request_password_reset(&self, actor: &Actor, email: &str) -> AppResult<()> {
        let Some(standing) = self.paced_account(actor, email).await? else {
            return Ok(());
        };
        let (secret, link) =
            self.new_link(AccountLinkPurpose::ResetPassword, None, RESET_LINK_HOURS);
        let mail = reset_mail(
            standing.user.preferred_language,
            &standing.user.display_name,
            &self.link_url("/reset-password/new", &secret),
        );
        self.accounts
            .issue_account_link(
                standing.user.id,
                &link,
                &mail,
                corridor_store::now(),
                &actor.audit_context(),
            )
            .await?;
        Ok(())
    }

    /// Sets a new password with a reset link; every session of the account ends and the
    /// address counts as verified.
    pub async fn reset_password(
        &self,
        actor: &Actor,
        token: &str,
        new_password: String,
    ) -> AppResult<EmailAddress> {
        let password = PlaintextPassword::new_choice(new_password)?;
        let password_hash = self
            .password_workers
            .run(move || hash_password(&password))
            .await?;
        self.redeem(actor, token, &LinkEffect::ResetPassword { password_hash })
            .await
    }

    /// Asks to move the signed-in user's account to `new_email`: a link goes to the new
    /// address, and the account keeps its old one until the link is followed. When the new
    /// address already has an account, its owner is told instead, and the answer is the same.
    pub async fn request_email_change(&self, actor: &Actor, new_email: &str) -> AppResult<()> {
        let user = actor.require_user()?.clone();
        let new_email = EmailAddress::parse(new_email)?;
        if new_email == user.email {
            return Err(AppError::invalid(
                "email",
                "is already this account's address",
            ));
        }
        self.pace_mail_request(actor, new_email.as_str())?;
        let (secret, link) = self.new_link(
            AccountLinkPurpose::ChangeEmail,
            Some(new_email.clone()),
            CHANGE_EMAIL_LINK_HOURS,
        );
        let mail = change_email_mail(
            user.preferred_language,
            &user.display_name,
            &self.link_url("/account/email/confirm", &secret),
        );
        match self
            .accounts
            .issue_account_link(
                user.id,
                &link,
                &mail,
                corridor_store::now(),
                &actor.audit_context(),
            )
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict(_)) => {
                if let Some(owner) = self.accounts.account_standing(&new_email).await? {
                    self.mail_existing_owner(
                        &owner.user.id,
                        owner.user.preferred_language,
                        &actor.audit_context(),
                    )
                    .await?;
                }
                Ok(())
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Follows a change-of-address link: the account's address becomes the new one.
    pub async fn confirm_email_change(
        &self,
        actor: &Actor,
        token: &str,
    ) -> AppResult<EmailAddress> {
        self.redeem(actor, token, &LinkEffect::ChangeEmail).await
    }

    async fn redeem(
        &self,
        actor: &Actor,
        token: &str,
        effect: &LinkEffect,
    ) -> AppResult<EmailAddress> {
        let token = token.trim();
        if token.is_empty() || token.len() > 200 {
            return Err(expired_link());
        }
        let redeemed = self
            .accounts
            .redeem_account_link(
                &secret_hash(token),
                effect,
                corridor_store::now(),
                &actor.audit_context(),
            )
            .await
            .map_err(|error| match error {
                StoreError::Conflict(_) => AppError::Conflict(
                    "another account has taken this address since the link was sent".into(),
                ),
                other => other.into(),
            })?;
        redeemed.map(|link| link.email).ok_or_else(expired_link)
    }

    /// The institutions whose English or Chinese name contains `text` (any case), those whose
    /// name equals it first, at most `limit`: how a person finds their institution at
    /// sign-up without a list of every institution of the region.
    pub async fn find_institutions(
        &self,
        text: &str,
        limit: usize,
    ) -> AppResult<Vec<corridor_domain::Institution>> {
        let wanted = text.trim().to_lowercase();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let mut exact = Vec::new();
        let mut partial = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .catalogue
                .institutions(
                    &corridor_store::InstitutionFilter::default(),
                    corridor_store::PageRequest {
                        limit: corridor_domain::PageLimit::new(corridor_domain::MAX_PAGE_LIMIT)?,
                        after,
                    },
                )
                .await?;
            for item in page.items {
                let institution = item.institution;
                let english = institution.name_en.to_lowercase();
                if english == wanted || institution.name_zh == text.trim() {
                    exact.push(institution);
                } else if english.contains(&wanted) || institution.name_zh.contains(text.trim()) {
                    partial.push(institution);
                }
            }
            match page.next_cursor {
                Some(cursor) => after = Some(cursor),
                None => break,
            }
        }
        exact.extend(partial);
        exact.truncate(limit);
        Ok(exact)
    }

    /// The people waiting to be admitted to (or refused by) `institution`: its institution
    /// admins and platform admins only.
    pub async fn membership_requests(
        &self,
        actor: &Actor,
        institution: InstitutionId,
    ) -> AppResult<Vec<corridor_store::MembershipRequest>> {
        let user = actor.require_user()?;
        if !user.admits_members_of(institution) {
            return Err(AppError::Forbidden(
                "only the institution's admins decide its members".into(),
            ));
        }
        Ok(self.accounts.membership_requests(institution, 500).await?)
    }

    /// Admits `member` to `institution` (or refuses them), mailing them the decision in
    /// their language. Their bookings are priced as the institution's own from then on.
    /// `NotFound` for a person who is not of that institution; `Conflict` when the decision
    /// was already taken.
    pub async fn decide_membership(
        &self,
        actor: &Actor,
        institution: InstitutionId,
        member: UserId,
        admit: bool,
    ) -> AppResult<()> {
        let user = actor.require_user()?;
        if !user.admits_members_of(institution) {
            return Err(AppError::Forbidden(
                "only the institution's admins decide its members".into(),
            ));
        }
        let standing = self
            .accounts
            .account_standing_of(member)
            .await?
            .filter(|standing| standing.user.home_institution == institution)
            .ok_or_else(|| {
                AppError::NotFound(format!("no member {} of this institution", member.0))
            })?;
        let decision = if admit {
            Membership::Admitted
        } else {
            Membership::Refused
        };
        let institution_record = self.catalogue.institution(institution).await?;
        let (name_en, name_zh) = institution_record
            .map(|found| (found.institution.name_en, found.institution.name_zh))
            .unwrap_or_default();
        let mail = membership_mail(
            standing.user.preferred_language,
            &standing.user.display_name,
            &name_en,
            &name_zh,
            admit,
        );
        let changed = self
            .accounts
            .decide_membership(
                member,
                institution,
                decision,
                &mail,
                corridor_store::now(),
                &actor.audit_context(),
            )
            .await?;
        if !changed {
            return Err(AppError::Conflict(format!(
                "the membership is already {}",
                decision.as_code()
            )));
        }
        Ok(())
    }

    /// The signed-in user's standing (verified, membership), for "my account".
    pub async fn my_standing(&self, actor: &Actor) -> AppResult<(bool, Membership)> {
        let user = actor.require_user()?;
        let standing = self
            .accounts
            .account_standing_of(user.id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Ok((standing.email_verified, standing.membership))
    }

    /// The latest messages of the outbox: platform admins only (the demo's mail viewer lets a
    /// newcomer follow a verification link with no mail server installed).
    pub async fn recent_mail(
        &self,
        actor: &Actor,
        limit: u32,
    ) -> AppResult<Vec<corridor_store::OutboxMessage>> {
        let user = actor.require_user()?;
        if !user.has_role(Role::PlatformAdmin) {
            return Err(AppError::Forbidden(
                "the outbox is visible to platform admins only".into(),
            ));
        }
        Ok(self
            .accounts
            .recent_outbox_messages(limit.clamp(1, 500))
            .await?)
    }
}

fn expired_link() -> AppError {
    AppError::invalid(
        "token",
        "this link is unknown, was already used or has expired; ask for a new one",
    )
}

fn verification_mail(language: Language, name: &str, url: &str) -> AccountMail {
    let (subject, body) = match language {
        Language::English => (
            "Confirm your e-mail address for Corridor".to_owned(),
            format!(
                "Hello {name},\n\nplease confirm that this is your address by opening this link within {VERIFICATION_LINK_HOURS} hours:\n\n{url}\n\nUntil then you cannot sign in. If you did not sign up for Corridor, ignore this mail.\n"
            ),
        ),
        Language::Chinese => (
            "请确认您在 Corridor 的电子邮箱".to_owned(),
            format!(
                "{name}，您好：\n\n请在 {VERIFICATION_LINK_HOURS} 小时内打开以下链接，确认这是您的邮箱：\n\n{url}\n\n确认之前无法登录。如果您没有注册 Corridor，请忽略本邮件。\n"
            ),
        ),
    };
    AccountMail {
        kind: "account.verify_email".into(),
        subject,
        body,
    }
}

fn reset_mail(language: Language, name: &str, url: &str) -> AccountMail {
    let (subject, body) = match language {
        Language::English => (
            "Reset your Corridor password".to_owned(),
            format!(
                "Hello {name},\n\nsomeone (we hope you) asked to reset the password of your Corridor account. Choose a new one within {RESET_LINK_HOURS} hour at:\n\n{url}\n\nThe link works once. If you did not ask, ignore this mail: your password stays as it is.\n"
            ),
        ),
        Language::Chinese => (
            "重置您的 Corridor 密码".to_owned(),
            format!(
                "{name}，您好：\n\n有人（希望是您本人）申请重置您 Corridor 账户的密码。请在 {RESET_LINK_HOURS} 小时内打开以下链接设置新密码：\n\n{url}\n\n该链接只能使用一次。如果不是您申请的，请忽略本邮件，您的密码不会改变。\n"
            ),
        ),
    };
    AccountMail {
        kind: "account.reset_password".into(),
        subject,
        body,
    }
}

fn change_email_mail(language: Language, name: &str, url: &str) -> AccountMail {
    let (subject, body) = match language {
        Language::English => (
            "Confirm your new e-mail address for Corridor".to_owned(),
            format!(
                "Hello {name},\n\nto make this the address of your Corridor account, open this link within {CHANGE_EMAIL_LINK_HOURS} hours:\n\n{url}\n\nUntil then your account keeps its old address.\n"
            ),
        ),
        Language::Chinese => (
            "请确认您在 Corridor 的新邮箱".to_owned(),
            format!(
                "{name}，您好：\n\n请在 {CHANGE_EMAIL_LINK_HOURS} 小时内打开以下链接，把本邮箱设为您 Corridor 账户的邮箱：\n\n{url}\n\n确认之前，账户仍使用原来的邮箱。\n"
            ),
        ),
    };
    AccountMail {
        kind: "account.change_email".into(),
        subject,
        body,
    }
}

fn membership_mail(
    language: Language,
    name: &str,
    institution_en: &str,
    institution_zh: &str,
    admitted: bool,
) -> AccountMail {
    let (subject, body) = match (language, admitted) {
        (Language::English, true) => (
            format!("You are a member of {institution_en} on Corridor"),
            format!("Hello {name},\n\nthe admins of {institution_en} admitted you as a member. Your bookings are priced at the institution's rates from now on.\n"),
        ),
        (Language::English, false) => (
            format!("Your membership of {institution_en} on Corridor"),
            format!("Hello {name},\n\nthe admins of {institution_en} did not confirm you as a member. You can still book as an outside user; if this is a mistake, please contact them.\n"),
        ),
        (Language::Chinese, true) => (
            format!("您已成为 {institution_zh} 在 Corridor 的成员"),
            format!("{name}，您好：\n\n{institution_zh} 的管理员已确认您的成员身份。此后您的预约按本机构价格计费。\n"),
        ),
        (Language::Chinese, false) => (
            format!("关于您在 {institution_zh} 的成员身份"),
            format!("{name}，您好：\n\n{institution_zh} 的管理员未确认您的成员身份。您仍可作为校外用户预约；如有误，请与其联系。\n"),
        ),
    };
    AccountMail {
        kind: if admitted {
            "membership.admitted"
        } else {
            "membership.refused"
        }
        .into(),
        subject,
        body,
    }
}

fn already_registered_mail(language: Language, reset_url: &str) -> AccountMail {
    let (subject, body) = match language {
        Language::English => (
            "Someone tried to sign up with your address".to_owned(),
            format!(
                "Hello,\n\nsomeone tried to make a new Corridor account with this address, which already has one. If it was you, sign in, or choose a new password at:\n\n{reset_url}\n\nIf it was not you, nothing changed and you need not do anything.\n"
            ),
        ),
        Language::Chinese => (
            "有人尝试用您的邮箱注册".to_owned(),
            format!(
                "您好：\n\n有人尝试用本邮箱注册新的 Corridor 账户，但本邮箱已有账户。如果是您本人，请直接登录，或在以下页面重设密码：\n\n{reset_url}\n\n如果不是您，账户没有任何变化，您无需处理。\n"
            ),
        ),
    };
    AccountMail {
        kind: "account.already_registered".into(),
        subject,
        body,
    }
}
