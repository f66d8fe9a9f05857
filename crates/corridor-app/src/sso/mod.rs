//! Single sign-on with OpenID Connect: a person signs in with their institution's identity.
//!
//! The flow is the authorization code flow with PKCE (S256), a state and a nonce
//! ([`Sso::begin`], [`Sso::finish`]). The state is bound to the browser (the front end keeps it
//! in a cookie and hands it back; it must equal the callback's), stored only as its SHA-256
//! with an expiry, and taken once; the nonce must come back inside the signed ID token; an
//! `iss` parameter on the callback (RFC 9207) must name the provider's issuer, so that an
//! answer from one provider cannot be passed off as another's.
//!
//! What a sign-in does with the person (docs/SSO.md says the same for operators):
//! - an identity seen before (issuer and subject) signs in to its account, whatever its
//!   address is now;
//! - a new identity whose address has no account gets one: its address is verified if the
//!   provider says `email_verified`, and its membership of the institution that the configured
//!   claim names is admitted (the provider vouches for the affiliation). An identity whose claim
//!   names no configured institution is refused with a page that says so and points to the
//!   sign-up form, because an account needs a home institution and nobody could vouch for one;
//! - a new identity whose address already has an account is linked to it only when the
//!   provider says `email_verified` (otherwise anyone who can set an address at some provider
//!   could take the account over); the account's membership stays as it was.
//!
//! Every account made and every identity linked is an audit event, and the session started is
//! the same kind the password sign-in starts.

pub mod config;
mod oidc;

use corridor_domain::{EmailAddress, Language, Membership, Role, RoleGrant, RoleScope};
use corridor_store::{NewSsoAccount, NewSsoSignIn, NewUser, SsoIdentity, Store, StoreError};
use jiff::SignedDuration;

use crate::accounts::{secret_hash, StartedSession};
use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use config::{SsoConfig, SsoConfigError, EMAIL_DOMAIN};
use oidc::{ProviderClaims, ProviderClient};

/// How long a person has at the provider before the sign-in they started expires.
pub const SIGN_IN_LIFETIME: SignedDuration = SignedDuration::from_mins(10);
/// The longest display name taken from a provider; longer ones are cut.
const LONGEST_NAME_CHARS: usize = 100;
/// The longest return path kept with a sign-in; a longer one is dropped.
const LONGEST_RETURN_PATH: usize = 500;

/// Why a single sign-on did not sign anyone in. Each is worded for the person by the front end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsoFailure {
    #[error("no identity provider of that name is configured")]
    UnknownProvider,
    #[error("the identity provider could not be reached")]
    ProviderUnavailable,
    #[error("the identity provider did not sign you in ({0})")]
    Denied(String),
    #[error("this sign-in was started in another browser or tab")]
    StateMismatch,
    #[error("this sign-in has expired or was used already")]
    Expired,
    #[error("the identity provider's answer did not check out")]
    Rejected,
    #[error("the identity provider did not give an e-mail address")]
    NoEmail,
    #[error("the identity provider names a home institution that Corridor does not know ({0})")]
    UnknownInstitution(String),
    #[error("an account with this e-mail address exists, and the identity provider does not vouch for the address")]
    AddressTaken,
}

impl SsoFailure {
    /// A stable name for the failure (a page's message key, the log).
    pub fn slug(&self) -> &'static str {
        match self {
            SsoFailure::UnknownProvider => "sso-unknown-provider",
            SsoFailure::ProviderUnavailable => "sso-provider-unavailable",
            SsoFailure::Denied(_) => "sso-denied",
            SsoFailure::StateMismatch => "sso-state-mismatch",
            SsoFailure::Expired => "sso-expired",
            SsoFailure::Rejected => "sso-rejected",
            SsoFailure::NoEmail => "sso-no-email",
            SsoFailure::UnknownInstitution(_) => "sso-unknown-institution",
            SsoFailure::AddressTaken => "sso-address-taken",
        }
    }
}

impl From<SsoFailure> for AppError {
    fn from(failure: SsoFailure) -> AppError {
        AppError::SingleSignOn(failure)
    }
}

/// A provider as the sign-in page offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderButton {
    pub id: String,
    pub name_en: String,
    pub name_zh: String,
}

/// A sign-in sent to the provider: where to send the browser, and the state the front end
/// binds to the browser (a cookie) and hands back to [`Sso::finish`].
#[derive(Debug, Clone)]
pub struct SsoStart {
    pub authorization_url: String,
    pub browser_state: String,
}

/// What the provider's redirect back carried.
#[derive(Debug, Clone, Default)]
pub struct SsoCallback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
}

/// How a sign-in found its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoOutcome {
    /// The identity was known.
    Found,
    /// A new account was made.
    Created,
    /// The identity was linked to the existing account with its address.
    Linked,
}

/// A finished sign-in: the session, and where the person wanted to go.
#[derive(Debug, Clone)]
pub struct SsoSignedIn {
    pub session: StartedSession,
    pub return_path: Option<String>,
    pub outcome: SsoOutcome,
}

/// The node's configured providers.
#[derive(Default)]
pub(crate) struct SsoState {
    providers: Vec<ProviderClient>,
}

impl SsoState {
    pub(crate) fn new(
        config: SsoConfig,
        public_base_url: &str,
    ) -> Result<SsoState, SsoConfigError> {
        let providers = config
            .providers
            .into_iter()
            .map(|provider| ProviderClient::new(provider, public_base_url))
            .collect::<Result<_, _>>()?;
        Ok(SsoState { providers })
    }

    pub(crate) fn configs(&self) -> impl Iterator<Item = &config::ProviderConfig> {
        self.providers.iter().map(|provider| &provider.config)
    }

    fn provider(&self, id: &str) -> Result<&ProviderClient, SsoFailure> {
        self.providers
            .iter()
            .find(|provider| provider.config.id == id)
            .ok_or(SsoFailure::UnknownProvider)
    }
}

/// The single sign-on service (see the module's documentation).
pub struct Sso<'a> {
    pub(crate) store: &'a dyn Store,
    pub(crate) state: &'a SsoState,
}

impl Sso<'_> {
    /// The configured providers, in the configuration's order.
    pub fn providers(&self) -> Vec<ProviderButton> {
        self.state
            .configs()
            .map(|config| ProviderButton {
                id: config.id.clone(),
                name_en: config.name_en.clone(),
                name_zh: config
                    .name_zh
                    .clone()
                    .unwrap_or_else(|| config.name_en.clone()),
            })
            .collect()
    }

    /// Starts a sign-in at `provider`: stores the sign-in (state hashed, PKCE verifier, nonce,
    /// return path) and answers where to send the browser. `return_path` must be a path of this
    /// site; anything else is dropped.
    #[tracing::instrument(skip_all, fields(provider))]
    pub async fn begin(&self, provider: &str, return_path: Option<&str>) -> AppResult<SsoStart> {
        let client = self.state.provider(provider)?;
        let authorization = client.authorization().await?;
        let return_path = return_path
            .filter(|path| {
                path.starts_with('/')
                    && !path.starts_with("//")
                    && !path.contains('\\')
                    && path.len() <= LONGEST_RETURN_PATH
            })
            .map(str::to_owned);
        let now = corridor_store::now();
        self.store
            .begin_sso_sign_in(
                &NewSsoSignIn {
                    state_hash: secret_hash(&authorization.state),
                    provider: provider.to_owned(),
                    pkce_verifier: authorization.pkce_verifier,
                    nonce: authorization.nonce,
                    return_path,
                    expires_at: now + SIGN_IN_LIFETIME,
                },
                now,
            )
            .await?;
        Ok(SsoStart {
            authorization_url: authorization.url,
            browser_state: authorization.state,
        })
    }

    /// Finishes a sign-in when the provider sends the browser back: checks the state against
    /// the browser's (`browser_state`, from its cookie) and takes it, checks `iss`, redeems the
    /// code, and finds, makes or links the account (see the module's documentation); then
    /// starts a session. `language` is the reader's, for a new account.
    #[tracing::instrument(skip_all, fields(provider, client = actor.client_address.as_deref()))]
    pub async fn finish(
        &self,
        actor: &Actor,
        provider: &str,
        callback: SsoCallback,
        browser_state: Option<&str>,
        language: Language,
    ) -> AppResult<SsoSignedIn> {
        let client = self.state.provider(provider)?;
        let state = callback.state.as_deref().unwrap_or_default();
        // The state is taken first, whatever the answer: a denied or failed sign-in's state
        // must not work later either.
        let sign_in = if state.is_empty() {
            None
        } else {
            self.store
                .take_sso_sign_in(&secret_hash(state), corridor_store::now())
                .await?
        };
        if let Some(error) = callback.error.as_deref() {
            return Err(SsoFailure::Denied(error.chars().take(60).collect()).into());
        }
        let same_browser = browser_state
            .is_some_and(|bound| !state.is_empty() && constant_time_equal(bound, state));
        if !same_browser {
            return Err(SsoFailure::StateMismatch.into());
        }
        let sign_in = sign_in.ok_or(SsoFailure::Expired)?;
        if sign_in.provider != provider {
            return Err(SsoFailure::Rejected.into());
        }
        if let Some(iss) = callback.iss.as_deref() {
            if iss != client.issuer().await? {
                tracing::warn!(provider, "the callback's iss names another issuer");
                return Err(SsoFailure::Rejected.into());
            }
        }
        let code = callback.code.as_deref().ok_or(SsoFailure::Rejected)?;
        let claims = client
            .redeem(code, &sign_in.pkce_verifier, &sign_in.nonce)
            .await?;
        let (user, outcome) = self.account_for(actor, client, &claims, language).await?;
        let session = crate::accounts::open_session(self.store, actor, user).await?;
        Ok(SsoSignedIn {
            session,
            return_path: sign_in.return_path,
            outcome,
        })
    }

    /// The account of the identity the claims name: found, made or linked.
    async fn account_for(
        &self,
        actor: &Actor,
        client: &ProviderClient,
        claims: &ProviderClaims,
        language: Language,
    ) -> AppResult<(corridor_domain::User, SsoOutcome)> {
        if let Some(user) = self
            .store
            .sso_identity_user(&claims.issuer, &claims.subject)
            .await?
        {
            return Ok((user, SsoOutcome::Found));
        }
        let email = claims
            .text("email")
            .and_then(|text| EmailAddress::parse(text).ok())
            .ok_or(SsoFailure::NoEmail)?;
        let identity = SsoIdentity {
            issuer: claims.issuer.clone(),
            subject: claims.subject.clone(),
            provider: client.config.id.clone(),
        };
        let context = actor.audit_context();
        let now = corridor_store::now();
        if let Some(existing) = self.store.account_standing(&email).await? {
            if !claims.email_verified() {
                return Err(SsoFailure::AddressTaken.into());
            }
            return match self
                .store
                .link_sso_identity(existing.user.id, &identity, now, &context)
                .await
            {
                Ok(()) => Ok((existing.user, SsoOutcome::Linked)),
                Err(StoreError::Conflict(_)) => self.found_after_race(claims).await,
                Err(error) => Err(error.into()),
            };
        }
        let institution = self.home_institution(client, claims, &email)?;
        let display_name: String = claims
            .text("name")
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| email.as_str().split('@').next().unwrap_or_default())
            .chars()
            .take(LONGEST_NAME_CHARS)
            .collect();
        let account = NewSsoAccount {
            user: NewUser {
                email,
                display_name,
                home_institution: institution,
                preferred_language: language,
                password_hash: None,
                roles: vec![RoleGrant {
                    role: Role::Researcher,
                    scope: RoleScope::Global,
                }],
            },
            email_verified: claims.email_verified(),
            membership: Membership::Admitted,
        };
        match self
            .store
            .create_sso_account(&account, &identity, now, &context)
            .await
        {
            Ok(user) => Ok((user, SsoOutcome::Created)),
            // Two callbacks of one person racing: the other one made the account.
            Err(StoreError::Conflict(_)) => self.found_after_race(claims).await,
            Err(error) => Err(error.into()),
        }
    }

    async fn found_after_race(
        &self,
        claims: &ProviderClaims,
    ) -> AppResult<(corridor_domain::User, SsoOutcome)> {
        match self
            .store
            .sso_identity_user(&claims.issuer, &claims.subject)
            .await?
        {
            Some(user) => Ok((user, SsoOutcome::Found)),
            None => Err(AppError::Conflict(
                "an account with this e-mail address was made at the same moment; try again".into(),
            )),
        }
    }

    /// The institution the configured claim names, or `UnknownInstitution`.
    fn home_institution(
        &self,
        client: &ProviderClient,
        claims: &ProviderClaims,
        email: &EmailAddress,
    ) -> Result<corridor_domain::InstitutionId, SsoFailure> {
        let config = &client.config;
        let value = if config.institution_claim == EMAIL_DOMAIN {
            email.as_str().split('@').nth(1).map(str::to_owned)
        } else {
            claims.text(&config.institution_claim).map(str::to_owned)
        };
        let value = value.unwrap_or_default();
        config
            .institution_for(&value)
            .ok_or_else(|| SsoFailure::UnknownInstitution(value.chars().take(100).collect()))
    }
}

fn constant_time_equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |difference, (x, y)| difference | (x ^ y))
            == 0
}
