//! The identity providers a node offers, as its operator configures them (`corridor serve
//! --sso-config FILE`, a JSON file; docs/SSO.md describes it). Everything is checked when the
//! node starts, so that a typo stops the start instead of failing the first person who tries.

use std::collections::BTreeMap;
use std::path::Path;

use corridor_domain::InstitutionId;
use serde::Deserialize;

/// The claim value that means "the domain of the e-mail address" rather than a claim's name.
pub const EMAIL_DOMAIN: &str = "email_domain";

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum SsoConfigError {
    #[error("reading {path}")]
    Read {
        path: String,
        #[source]
        cause: std::io::Error,
    },
    #[error("{path} is not a valid single sign-on configuration")]
    Parse {
        path: String,
        #[source]
        cause: serde_json::Error,
    },
    #[error("provider {provider:?}: {reason}")]
    Invalid { provider: String, reason: String },
}

/// All the identity providers of a node.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoConfig {
    pub providers: Vec<ProviderConfig>,
}

/// One identity provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// The provider's name in addresses (`/sign-in/sso/<id>`): lower-case letters, digits and
    /// hyphens.
    pub id: String,
    /// What its button says, in English and (optionally) in Chinese.
    pub name_en: String,
    #[serde(default)]
    pub name_zh: Option<String>,
    /// The issuer; its discovery document is at `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// The client secret, or the name of an environment variable that holds it (so that the
    /// file itself can be kept without secrets); one of the two.
    #[serde(default)]
    pub client_secret: Option<Secret>,
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// The callback address registered at the provider; `<public URL>/sign-in/sso/<id>/callback`
    /// when not said. Its path must be that one: the site serves no other.
    #[serde(default)]
    pub redirect_url: Option<String>,
    /// The scopes asked for besides `openid`; `email` and `profile` when not said.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Which claim names the person's home institution: `email_domain` (the domain of the
    /// `email` claim, the default) or the name of a claim such as `schac_home_organization`.
    #[serde(default = "default_institution_claim")]
    pub institution_claim: String,
    /// The claim's values (lower-case; for `email_domain`, a domain also matches its
    /// sub-domains) and the Corridor institution each one names.
    #[serde(default)]
    pub institutions: BTreeMap<String, i64>,
}

/// A client secret written in the file; its `Debug` never shows it (the node's options are
/// logged).
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Secret(…)")
    }
}

fn default_scopes() -> Vec<String> {
    vec!["email".to_owned(), "profile".to_owned()]
}

fn default_institution_claim() -> String {
    EMAIL_DOMAIN.to_owned()
}

impl SsoConfig {
    /// Reads and checks a configuration file (JSON).
    pub fn from_file(path: &Path) -> Result<SsoConfig, SsoConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|cause| SsoConfigError::Read {
            path: shown.clone(),
            cause,
        })?;
        let config: SsoConfig = serde_json::from_str(&text)
            .map_err(|cause| SsoConfigError::Parse { path: shown, cause })?;
        config.checked()
    }

    /// The configuration if every provider is well formed and the ids are unique.
    pub fn checked(self) -> Result<SsoConfig, SsoConfigError> {
        let mut seen = std::collections::HashSet::new();
        for provider in &self.providers {
            provider.check()?;
            if !seen.insert(provider.id.as_str()) {
                return Err(provider.invalid("two providers have this id"));
            }
        }
        Ok(self)
    }
}

impl ProviderConfig {
    fn invalid(&self, reason: impl Into<String>) -> SsoConfigError {
        SsoConfigError::Invalid {
            provider: self.id.clone(),
            reason: reason.into(),
        }
    }

    fn check(&self) -> Result<(), SsoConfigError> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 40
            && self
                .id
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-');
        if !id_ok {
            return Err(
                self.invalid("the id must be 1 to 40 lower-case letters, digits or hyphens")
            );
        }
        if self.name_en.trim().is_empty() {
            return Err(self.invalid("name_en must not be empty"));
        }
        let issuer = openidconnect::url::Url::parse(&self.issuer)
            .map_err(|error| self.invalid(format!("the issuer is not a URL: {error}")))?;
        // Plain HTTP would let anyone on the path forge who signs in; it is allowed only for a
        // provider on this machine (tests, a provider beside the node).
        let loopback = matches!(issuer.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if issuer.scheme() != "https" && !(issuer.scheme() == "http" && loopback) {
            return Err(self.invalid("the issuer must be an https:// URL"));
        }
        if self.client_id.is_empty() {
            return Err(self.invalid("client_id must not be empty"));
        }
        if self.client_secret.is_some() == self.client_secret_env.is_some() {
            return Err(self.invalid("give exactly one of client_secret and client_secret_env"));
        }
        if let Some(url) = &self.redirect_url {
            let parsed = openidconnect::url::Url::parse(url)
                .map_err(|error| self.invalid(format!("redirect_url is not a URL: {error}")))?;
            if parsed.path() != self.callback_path() {
                return Err(self.invalid(format!(
                    "the path of redirect_url must be {}",
                    self.callback_path()
                )));
            }
        }
        if self.institution_claim.trim().is_empty() {
            return Err(self.invalid("institution_claim must not be empty"));
        }
        if let Some(value) = self
            .institutions
            .keys()
            .find(|value| value.as_str() != value.to_lowercase() || value.trim().is_empty())
        {
            return Err(self.invalid(format!(
                "the institution value {value:?} must be lower-case and not empty"
            )));
        }
        Ok(())
    }

    /// The path of this provider's callback on this site.
    pub fn callback_path(&self) -> String {
        format!("/sign-in/sso/{}/callback", self.id)
    }

    /// The client secret, from the file or from its environment variable.
    pub fn client_secret(&self) -> Result<String, SsoConfigError> {
        match (&self.client_secret, &self.client_secret_env) {
            (Some(secret), _) => Ok(secret.0.clone()),
            (None, Some(variable)) => std::env::var(variable).map_err(|_| {
                self.invalid(format!("the environment variable {variable} is not set"))
            }),
            (None, None) => Err(self.invalid("no client secret")),
        }
    }

    /// Every institution the configuration names, for the start-up check.
    pub fn mapped_institutions(&self) -> impl Iterator<Item = InstitutionId> + '_ {
        self.institutions.values().map(|id| InstitutionId(*id))
    }

    /// The institution a claim value names: exactly, or (for e-mail domains) through a parent
    /// domain, so that `physics.campus.example` finds `campus.example`.
    pub fn institution_for(&self, value: &str) -> Option<InstitutionId> {
        let value = value.trim().to_lowercase();
        if let Some(id) = self.institutions.get(&value) {
            return Some(InstitutionId(*id));
        }
        if self.institution_claim != EMAIL_DOMAIN {
            return None;
        }
        let mut rest = value.as_str();
        while let Some((_, parent)) = rest.split_once('.') {
            if let Some(id) = self.institutions.get(parent) {
                return Some(InstitutionId(*id));
            }
            rest = parent;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(json: serde_json::Value) -> Result<SsoConfig, SsoConfigError> {
        let config: SsoConfig =
            serde_json::from_value(serde_json::json!({ "providers": [json] })).unwrap();
        config.checked()
    }

    fn campus() -> serde_json::Value {
        serde_json::json!({
            "id": "campus",
            "name_en": "Campus",
            "issuer": "https://idp.campus.example",
            "client_id": "corridor",
            "client_secret": "s",
            "institutions": { "campus.example": 7 }
        })
    }

    #[test]
    fn a_provider_is_checked_when_the_node_starts() {
        let config = provider(campus()).unwrap();
        let campus_provider = &config.providers[0];
        assert_eq!(campus_provider.institution_claim, EMAIL_DOMAIN);
        assert_eq!(campus_provider.scopes, vec!["email", "profile"]);
        let mut plain_http = campus();
        plain_http["issuer"] = "http://idp.campus.example".into();
        assert!(provider(plain_http).is_err());
        let mut loopback = campus();
        loopback["issuer"] = "http://127.0.0.1:19190".into();
        assert!(provider(loopback).is_ok());
        let mut bad_id = campus();
        bad_id["id"] = "Campus One".into();
        assert!(provider(bad_id).is_err());
        let mut two_secrets = campus();
        two_secrets["client_secret_env"] = "SECRET".into();
        assert!(provider(two_secrets).is_err());
        let mut wrong_callback = campus();
        wrong_callback["redirect_url"] = "https://corridor.example/elsewhere".into();
        assert!(provider(wrong_callback).is_err());
        let mut upper = campus();
        upper["institutions"] = serde_json::json!({ "Campus.example": 7 });
        assert!(provider(upper).is_err());
    }

    #[test]
    fn an_email_domain_maps_through_its_parents_and_other_claims_exactly() {
        let config = provider(campus()).unwrap();
        let campus_provider = &config.providers[0];
        assert_eq!(
            campus_provider.institution_for("Campus.Example"),
            Some(InstitutionId(7))
        );
        assert_eq!(
            campus_provider.institution_for("physics.campus.example"),
            Some(InstitutionId(7))
        );
        assert_eq!(campus_provider.institution_for("notcampus.example"), None);
        let mut organisation = campus();
        organisation["institution_claim"] = "schac_home_organization".into();
        let config = provider(organisation).unwrap();
        assert_eq!(
            config.providers[0].institution_for("physics.campus.example"),
            None
        );
    }
}
