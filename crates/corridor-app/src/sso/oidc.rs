//! The OpenID Connect half of single sign-on: discovery, the authorization request (code flow
//! with PKCE, state and nonce) and the redemption of the code (token request, ID token checks,
//! UserInfo), through the `openidconnect` crate. It knows nothing of accounts; `sso/mod.rs`
//! decides what the claims mean.

use std::time::{Duration, Instant};

use base64::Engine;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::reqwest;
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};

use super::config::ProviderConfig;
use super::SsoFailure;

/// How long a provider's discovery document (endpoints and signing keys) is reused before it
/// is fetched again; a provider that rotates its keys is followed within this.
const METADATA_LIFETIME: Duration = Duration::from_secs(3600);
/// How long one request to a provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// One configured provider and what the node has learnt of it.
pub(crate) struct ProviderClient {
    pub(crate) config: ProviderConfig,
    client_secret: String,
    redirect_url: RedirectUrl,
    http: reqwest::Client,
    metadata: tokio::sync::Mutex<Option<(CoreProviderMetadata, Instant)>>,
}

/// An authorization request on its way to the provider, with the secrets the callback needs.
pub(crate) struct Authorization {
    pub(crate) url: String,
    pub(crate) state: String,
    pub(crate) nonce: String,
    pub(crate) pkce_verifier: String,
}

/// What the provider says of the person, once every check passed.
#[derive(Debug, Clone)]
pub(crate) struct ProviderClaims {
    pub(crate) issuer: String,
    pub(crate) subject: String,
    /// The ID token's claims, overlaid with the UserInfo endpoint's (same subject).
    pub(crate) claims: serde_json::Map<String, serde_json::Value>,
}

impl ProviderClaims {
    pub(crate) fn text(&self, name: &str) -> Option<&str> {
        match self.claims.get(name)? {
            serde_json::Value::String(text) => Some(text.as_str()),
            // A multi-valued claim (schac_home_organization may be one): its first text.
            serde_json::Value::Array(values) => values.iter().find_map(|value| value.as_str()),
            _ => None,
        }
    }

    /// Whether the provider vouches for the e-mail address; providers that send the boolean
    /// as a string are understood too.
    pub(crate) fn email_verified(&self) -> bool {
        match self.claims.get("email_verified") {
            Some(serde_json::Value::Bool(verified)) => *verified,
            Some(serde_json::Value::String(text)) => text == "true",
            _ => false,
        }
    }
}

impl ProviderClient {
    pub(crate) fn new(
        config: ProviderConfig,
        public_base_url: &str,
    ) -> Result<ProviderClient, super::config::SsoConfigError> {
        let invalid = |reason: String| super::config::SsoConfigError::Invalid {
            provider: config.id.clone(),
            reason,
        };
        let redirect = config
            .redirect_url
            .clone()
            .unwrap_or_else(|| format!("{public_base_url}{}", config.callback_path()));
        let redirect_url = RedirectUrl::new(redirect)
            .map_err(|error| invalid(format!("the callback address: {error}")))?;
        // No redirects: a provider's endpoints answer directly, and following redirects would
        // let a hostile document send the node anywhere.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .map_err(|error| invalid(format!("the HTTP client: {error}")))?;
        let client_secret = config.client_secret()?;
        Ok(ProviderClient {
            config,
            client_secret,
            redirect_url,
            http,
            metadata: tokio::sync::Mutex::new(None),
        })
    }

    /// The provider's discovery document, fetched at most once an hour.
    async fn metadata(&self) -> Result<CoreProviderMetadata, SsoFailure> {
        let mut cached = self.metadata.lock().await;
        if let Some((metadata, fetched)) = cached.as_ref() {
            if fetched.elapsed() < METADATA_LIFETIME {
                return Ok(metadata.clone());
            }
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone())
            .map_err(|_| SsoFailure::ProviderUnavailable)?;
        // The crate checks that the document names this very issuer.
        match CoreProviderMetadata::discover_async(issuer, &self.http).await {
            Ok(metadata) => {
                *cached = Some((metadata.clone(), Instant::now()));
                Ok(metadata)
            }
            Err(error) => {
                tracing::warn!(provider = %self.config.id, error = %crate::indexes::error_chain(&error), "the identity provider's discovery failed");
                Err(SsoFailure::ProviderUnavailable)
            }
        }
    }

    /// A new authorization request: a random state, nonce and PKCE verifier (S256).
    pub(crate) async fn authorization(&self) -> Result<Authorization, SsoFailure> {
        let metadata = self.metadata().await?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.client_secret.clone())),
        )
        .set_redirect_uri(self.redirect_url.clone());
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in &self.config.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// The issuer this provider's answers must name.
    pub(crate) async fn issuer(&self) -> Result<String, SsoFailure> {
        Ok(self.metadata().await?.issuer().as_str().to_owned())
    }

    /// Redeems an authorization code: the token request (with the PKCE verifier and the
    /// client's secret), the ID token's signature, issuer, audience, expiry and nonce, then the
    /// UserInfo endpoint's claims for the same subject.
    pub(crate) async fn redeem(
        &self,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<ProviderClaims, SsoFailure> {
        let metadata = self.metadata().await?;
        let issuer = metadata.issuer().as_str().to_owned();
        let userinfo_url = metadata.userinfo_endpoint().map(|url| url.url().clone());
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.client_secret.clone())),
        )
        .set_redirect_uri(self.redirect_url.clone());
        let rejected = |what: &str, error: &dyn std::error::Error| {
            tracing::warn!(provider = %self.config.id, error = %crate::indexes::error_chain(error), "{what}");
            SsoFailure::Rejected
        };
        let request = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|error| rejected("the provider has no token endpoint", &error))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()));
        let tokens = request.request_async(&self.http).await.map_err(|error| {
            match &error {
                openidconnect::RequestTokenError::Request(_) => {
                    tracing::warn!(provider = %self.config.id, error = %crate::indexes::error_chain(&error), "the token request failed");
                    SsoFailure::ProviderUnavailable
                }
                _ => rejected("the token request was refused", &error),
            }
        })?;
        let id_token = tokens.id_token().ok_or(SsoFailure::Rejected)?;
        let verified = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(nonce.to_owned()))
            .map_err(|error| rejected("the ID token did not check out", &error))?;
        let subject = verified.subject().as_str().to_owned();
        // The token's signature, issuer, audience, expiry and nonce have been checked; its
        // payload is read whole for the claims the crate's standard set does not name (the
        // home-institution claim).
        let mut claims = jwt_payload(&id_token.to_string()).ok_or(SsoFailure::Rejected)?;
        if let Some(url) = userinfo_url {
            let extra = self.userinfo(url, tokens.access_token().secret()).await?;
            // OpenID Connect Core 5.3.2: the UserInfo answer is about the ID token's subject,
            // or it must not be used.
            if extra.get("sub").and_then(|sub| sub.as_str()) != Some(subject.as_str()) {
                tracing::warn!(provider = %self.config.id, "the UserInfo subject differs from the ID token's");
                return Err(SsoFailure::Rejected);
            }
            claims.extend(extra);
        }
        Ok(ProviderClaims {
            issuer,
            subject,
            claims,
        })
    }

    async fn userinfo(
        &self,
        url: openidconnect::url::Url,
        access_token: &str,
    ) -> Result<serde_json::Map<String, serde_json::Value>, SsoFailure> {
        let unavailable = |error: &dyn std::error::Error| {
            tracing::warn!(provider = %self.config.id, error = %crate::indexes::error_chain(error), "the UserInfo request failed");
            SsoFailure::ProviderUnavailable
        };
        let response = self
            .http
            .get(url)
            .bearer_auth(access_token)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|error| unavailable(&error))?;
        if !response.status().is_success() {
            tracing::warn!(provider = %self.config.id, status = response.status().as_u16(), "the UserInfo endpoint refused");
            return Err(SsoFailure::Rejected);
        }
        let body = response
            .bytes()
            .await
            .map_err(|error| unavailable(&error))?;
        // A signed or encrypted UserInfo answer (application/jwt) is not supported: it fails
        // to parse here and the sign-in is refused.
        serde_json::from_slice(&body).map_err(|error| rejected_parse(&self.config.id, &error))
    }
}

fn rejected_parse(provider: &str, error: &serde_json::Error) -> SsoFailure {
    tracing::warn!(provider, %error, "the UserInfo answer is not a JSON object");
    SsoFailure::Rejected
}

/// The payload of a compact JWT as a JSON object.
fn jwt_payload(token: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}
