//! WorkOS' settings and session, and the bodies of its answers the client reads.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::server::config::{ConfigError, Secret, Source, required_with_prefix, service_url};

/// Its name in `AUTH_PROVIDERS`.
pub const NAME: &str = "workos";

const CLIENT_ID_EXPECTED: &str =
    "your WorkOS client id from the dashboard's API keys page, such as client_01…";
const API_KEY_EXPECTED: &str =
    "your WorkOS API key from the dashboard's API keys page, such as sk_test_…";
const API_URL_EXPECTED: &str = "WorkOS' API base URL: leave it unset for WorkOS itself, or \
     http://127.0.0.1:7145 for the local emulator";

/// AuthKit's callback, at the path of WorkOS' guide.
pub const CALLBACK_PATH: &str = "callback";

#[derive(Debug, Clone)]
pub struct WorkOsConfig {
    pub api_url: Url,
    pub client_id: String,
    /// The API key, which is also the client secret of the code exchange.
    pub api_key: Secret,
}

impl WorkOsConfig {
    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        let client_id =
            required_with_prefix(src, "WORKOS_CLIENT_ID", "client_", "", CLIENT_ID_EXPECTED)?;
        let api_key = required_with_prefix(
            src,
            "WORKOS_API_KEY",
            "sk_",
            " (the client id is not the key)",
            API_KEY_EXPECTED,
        )?;
        let api_url = service_url(
            src,
            "WORKOS_API_URL",
            "https://api.workos.com/",
            API_URL_EXPECTED,
            "the API key",
        )?;
        Ok(WorkOsConfig {
            api_url,
            client_id,
            api_key: Secret::new(api_key),
        })
    }
}

/// What the session cookie keeps: the access token (verified on each request), its
/// single-use refresh token, and the WorkOS session the logout URL ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
// Tagged as the app's earlier versions wrote it, so a rollback still reads the session.
#[serde(tag = "kind", rename = "workos")]
pub struct WorkOsState {
    pub access_token: String,
    pub refresh_token: String,
    pub session_id: String,
}

/// What a valid access token says.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    /// The session at WorkOS, which its logout URL ends.
    pub sid: String,
    pub exp: i64,
}

#[derive(Deserialize)]
pub(super) struct AuthResponse {
    pub(super) user: User,
    pub(super) access_token: String,
    pub(super) refresh_token: String,
}

#[derive(Deserialize)]
pub(super) struct User {
    pub(super) id: String,
    pub(super) email: Option<String>,
    #[serde(default)]
    pub(super) email_verified: bool,
}

/// WorkOS answers OAuth-style (`error`, `error_description`) on this endpoint, and with
/// `code`/`message` elsewhere; either may come.
#[derive(Deserialize, Default)]
pub(super) struct ErrorBody {
    pub(super) error: Option<String>,
    pub(super) error_description: Option<String>,
    pub(super) code: Option<String>,
    pub(super) message: Option<String>,
}
