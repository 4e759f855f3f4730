//! Sign-in with an OpenID Connect provider (Auth0, Kinde, Clerk's OAuth applications, or any
//! issuer): discovery, the authorization code flow with state, PKCE (S256) and nonce, the code
//! exchange (client secret in the request body, as the providers' SDKs send it), ID-token
//! verification, refresh, asking about a session (`session.rs`: refresh, or userinfo), its
//! revocation (RFC 7009) and the provider's sign-out URL. The protocol is `openidconnect`'s;
//! this module adds the key cache (refetch on an unknown `kid`) and each provider's quirks.

use std::sync::Arc;
use std::time::Duration;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RefreshToken, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::RwLock;
use url::Url;

use crate::server::http::OidcHttp;
use crate::server::jwks::JwksCache;
use crate::server::provider::{
    Check, Provider, ProviderError, SignInSecrets, SignedIn, read_state, write_state,
};
use crate::server::refresh::RefreshGate;
use crate::server::shared::Shared;

mod discovery;
mod flavors;
mod session;
mod sign_out;
mod tokens;
mod verify;

use discovery::Metadata;
pub use flavors::{IssuerForm, LogoutStyle, OidcConfig, OidcFlavor, Quirks};
use tokens::{fresh_until, token_error, verified_email};

/// A verified sign-in (or refresh).
#[derive(Debug, Clone)]
pub struct OidcSession {
    pub user_id: String,
    pub email: Option<String>,
    pub refresh_token: Option<String>,
    pub access_token: String,
    /// When the provider's tokens expire (Unix seconds): the next refresh is due then.
    pub fresh_until: i64,
}

/// What the session cookie keeps: the refresh token, if the provider gave one, and when the
/// tokens it issued expire (the next refresh is due then). Without a refresh token, the access
/// token, to ask the provider's userinfo endpoint whether the session stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
// Tagged as the app's earlier versions wrote it, so a rollback still reads the session.
#[serde(tag = "kind", rename = "oidc")]
pub struct OidcState {
    pub refresh: Option<String>,
    pub fresh_until: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<String>,
}

impl OidcSession {
    pub fn signed_in(self) -> Result<SignedIn, ProviderError> {
        Ok(SignedIn {
            state: write_state(&OidcState {
                // Only when there is nothing else to ask the provider with: it weighs on the
                // cookie (a JWT access token is a kilobyte or more).
                access: self.refresh_token.is_none().then_some(self.access_token),
                refresh: self.refresh_token,
                fresh_until: self.fresh_until,
            })?,
            user_id: self.user_id,
            email: self.email,
            expires_at: None,
        })
    }
}

/// A client built from discovery: authorization endpoint known, token and userinfo
/// endpoints as the provider published them.
type DiscoveredClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

struct Discovered {
    metadata: Metadata,
    jwks: JwksCache,
    /// What its ID tokens may be signed with (`verify::signing_algs`).
    algs: Vec<CoreJwsSigningAlgorithm>,
}

pub struct OidcProvider {
    config: OidcConfig,
    http: OidcHttp,
    jwks_cooldown: Option<Duration>,
    redirect: RedirectUrl,
    discovered: RwLock<Option<Arc<Discovered>>>,
    refreshes: RefreshGate,
}

impl OidcProvider {
    pub fn new(config: OidcConfig, site_url: &Url, http: reqwest::Client) -> Result<Self, String> {
        let redirect = site_url
            .join(&config.callback_path)
            .map_err(|e| format!("{}: {e}", config.callback_path))?;
        Ok(OidcProvider {
            redirect: RedirectUrl::from_url(redirect),
            refreshes: RefreshGate::new(&config.name),
            config,
            http: OidcHttp::new(http),
            jwks_cooldown: None,
            discovered: RwLock::new(None),
        })
    }

    /// Shares refreshes with the other replicas (many issuers rotate refresh tokens).
    pub fn sharing(mut self, shared: Option<&Arc<Shared>>) -> Self {
        self.refreshes = self.refreshes.shared_with(shared);
        self
    }

    /// How soon after fetching the provider's keys an unknown key id may fetch them again.
    pub fn with_jwks_cooldown(mut self, cooldown: Duration) -> Self {
        self.jwks_cooldown = Some(cooldown);
        self
    }

    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    /// The user id this app (and InsForge's `sub`) knows the issuer's `sub` by.
    fn user_id(&self, sub: &str) -> String {
        if self.config.flavor.quirks().namespaced_ids {
            format!("{}:{sub}", self.config.name)
        } else {
            sub.to_string()
        }
    }

    pub fn redirect_url(&self) -> &Url {
        self.redirect.url()
    }

    /// The provider's metadata, fetched on first use and kept; a failed fetch is tried again
    /// by the next request, so a provider that was down at start does not need a restart.
    async fn discover(&self) -> Result<Arc<Discovered>, ProviderError> {
        if let Some(found) = self.discovered.read().await.as_ref() {
            return Ok(found.clone());
        }
        let mut slot = self.discovered.write().await;
        if let Some(found) = slot.as_ref() {
            return Ok(found.clone());
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone())
            .map_err(|e| ProviderError::Misconfigured(format!("issuer: {e}")))?;
        let metadata = Metadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| match e {
                openidconnect::DiscoveryError::Request(e) => {
                    ProviderError::Unavailable(e.to_string())
                }
                openidconnect::DiscoveryError::Validation(why) => ProviderError::Misconfigured(
                    format!("discovery does not match the configured issuer: {why}"),
                ),
                other => ProviderError::Unexpected(format!("discovery: {other}")),
            })?;
        let jwks_url = Url::parse(metadata.jwks_uri().as_str())
            .map_err(|e| ProviderError::Unexpected(format!("jwks_uri: {e}")))?;
        let mut jwks = JwksCache::new(self.http.client().clone(), jwks_url);
        if let Some(cooldown) = self.jwks_cooldown {
            jwks = jwks.with_cooldown(cooldown);
        }
        let algs = verify::signing_algs(metadata.id_token_signing_alg_values_supported());
        let found = Arc::new(Discovered {
            jwks,
            metadata,
            algs,
        });
        *slot = Some(found.clone());
        Ok(found)
    }

    fn client(&self, found: &Discovered) -> DiscoveredClient {
        CoreClient::from_provider_metadata(
            found.metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(
                self.config.client_secret.expose().to_string(),
            )),
        )
        // The providers' own SDKs send the secret in the body (client_secret_post).
        .set_auth_type(AuthType::RequestBody)
        .set_redirect_uri(self.redirect.clone())
    }

    /// Where to send the browser to sign in, and what to remember until it comes back.
    pub async fn begin(&self) -> Result<(Url, SignInSecrets), ProviderError> {
        let found = self.discover().await?;
        let client = self.client(&found);
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
        Ok((
            url,
            SignInSecrets {
                state: state.secret().clone(),
                nonce: Some(nonce.secret().clone()),
                pkce_verifier: verifier.secret().clone(),
            },
        ))
    }

    /// Exchanges the callback's code (once) and verifies the ID token it brings.
    pub async fn finish(
        &self,
        code: &str,
        pending: &SignInSecrets,
    ) -> Result<OidcSession, ProviderError> {
        let found = self.discover().await?;
        let client = self.client(&found);
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| ProviderError::Misconfigured(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(token_error)?;
        let id_token = response.id_token().ok_or_else(|| {
            ProviderError::InvalidToken("the token response has no ID token".into())
        })?;
        let nonce = Nonce::new(pending.nonce.clone().ok_or_else(|| {
            ProviderError::InvalidToken("the sign-in was started without a nonce".into())
        })?);
        let claims = verify::verify(
            &self.config,
            &found.jwks,
            &found.algs,
            id_token,
            Some(&nonce),
            Some(&response),
        )
        .await?;
        Ok(OidcSession {
            user_id: self.user_id(claims.subject()),
            email: verified_email(&claims),
            refresh_token: response.refresh_token().map(|t| t.secret().clone()),
            access_token: response.access_token().secret().clone(),
            fresh_until: fresh_until(&response),
        })
    }

    /// New tokens for a session whose tokens expired. A refused refresh token means the
    /// session is over at the provider (revoked, or the token was already used).
    pub async fn refresh(
        &self,
        refresh_token: &str,
        user_id: &str,
    ) -> Result<OidcSession, ProviderError> {
        let found = self.discover().await?;
        let client = self.client(&found);
        let old = RefreshToken::new(refresh_token.to_string());
        let response = client
            .exchange_refresh_token(&old)
            .map_err(|e| ProviderError::Misconfigured(e.to_string()))?
            .request_async(&self.http)
            .await
            .map_err(token_error)?;
        let email = match response.id_token() {
            Some(id_token) => {
                let claims = verify::verify(
                    &self.config,
                    &found.jwks,
                    &found.algs,
                    id_token,
                    None,
                    Some(&response),
                )
                .await?;
                if self.user_id(claims.subject()) != user_id {
                    return Err(ProviderError::InvalidToken(
                        "the refreshed ID token names another user".into(),
                    ));
                }
                verified_email(&claims)
            }
            None => None,
        };
        Ok(OidcSession {
            user_id: user_id.to_string(),
            email,
            // Rotating providers send the next refresh token; the others keep the old one.
            refresh_token: Some(
                response
                    .refresh_token()
                    .map(|t| t.secret().clone())
                    .unwrap_or_else(|| refresh_token.to_string()),
            ),
            access_token: response.access_token().secret().clone(),
            fresh_until: fresh_until(&response),
        })
    }

    /// Verifies an ID token as a sign-in's (with `nonce`) or a refresh's; returns its `sub`.
    pub async fn verify_id_token(
        &self,
        raw: &str,
        nonce: Option<&str>,
    ) -> Result<String, ProviderError> {
        let found = self.discover().await?;
        let id_token: CoreIdToken = raw
            .parse()
            .map_err(|e| ProviderError::InvalidToken(format!("{e}")))?;
        let nonce = nonce.map(|n| Nonce::new(n.to_string()));
        let claims = verify::verify(
            &self.config,
            &found.jwks,
            &found.algs,
            &id_token,
            nonce.as_ref(),
            None,
        )
        .await?;
        Ok(claims.subject().to_string())
    }
}

#[async_trait::async_trait]
impl Provider for OidcProvider {
    async fn ready(&self) -> Result<(), ProviderError> {
        Ok(self.discover().await?.jwks.ready().await?)
    }

    fn name(&self) -> &str {
        &self.config.name
    }

    fn label(&self) -> &str {
        &self.config.label
    }

    fn callback_url(&self) -> Option<&Url> {
        Some(self.redirect.url())
    }

    async fn begin(&self) -> Result<(Url, SignInSecrets), ProviderError> {
        OidcProvider::begin(self).await
    }

    async fn finish(&self, code: &str, secrets: &SignInSecrets) -> Result<SignedIn, ProviderError> {
        OidcProvider::finish(self, code, secrets).await?.signed_in()
    }

    /// The sealed cookie is the proof of sign-in until the provider's tokens expire or the
    /// session is due to be asked about (`ask`); then the provider is asked (`session.rs`).
    async fn check(self: Arc<Self>, user_id: &str, state: &Value, ask: bool) -> Check {
        let Some(state) = read_state::<OidcState>(self.name(), state) else {
            return Check::Over;
        };
        let expired = state.fresh_until <= time::OffsetDateTime::now_utc().unix_timestamp();
        if !ask && !expired {
            return Check::Valid;
        }
        self.clone()
            .ask(user_id, state)
            .await
            .or_deferred(self.name(), !expired)
    }

    async fn revoke(&self, state: &Value) {
        if let Some(state) = read_state::<OidcState>(self.name(), state) {
            OidcProvider::revoke(self, state).await;
        }
    }

    async fn logout_url(&self, _state: &Value, return_to: &str) -> Option<Url> {
        let end_session = match self.discover().await {
            Ok(found) => found
                .metadata
                .additional_metadata()
                .end_session_endpoint
                .as_ref()
                .map(|e| e.url().clone()),
            Err(e) => {
                tracing::warn!(provider = %self.config.name, "no sign-out at the provider: {e}");
                None
            }
        };
        sign_out::logout_url(&self.config, end_session, return_to)
    }
}
