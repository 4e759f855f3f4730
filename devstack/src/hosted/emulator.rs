//! What a hosted-page emulator is: the application registered at it, what it holds, the
//! authorization request it takes, and what the shared routes need of it ([`Hosted`]).

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::net::TcpListener;

use crate::jwk::{KeyError, KeyRing};

/// The application registered at an emulated provider, as its dashboard has it.
#[derive(Clone)]
pub struct Registration {
    pub client_id: String,
    /// The client secret (WorkOS: the API key, which is also the client secret).
    pub secret: String,
    /// The callback URLs the application may use ("allowed callback URLs").
    pub redirect_uris: Vec<String>,
    /// Where sign-out may return to ("allowed logout URLs"); the first is the default.
    pub logout_uris: Vec<String>,
    /// Access (and ID) token lifetime; shortened by tests to exercise refresh.
    pub token_lifetime: Duration,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("client_id", &self.client_id)
            .field("redirect_uris", &self.redirect_uris)
            .finish_non_exhaustive()
    }
}

/// What every hosted-page emulator holds besides its registration: its address, its signing
/// keys and what it remembers (`D`).
pub struct Core<D> {
    /// `http://127.0.0.1:<port>`, known once the emulator listens (its issuer derives from it).
    pub(crate) base: String,
    pub(crate) keys: KeyRing,
    data: Mutex<D>,
}

impl<D: Default> Core<D> {
    /// Bound to `listener`'s address, with a first key named by `new_kid`.
    pub(crate) fn new(
        listener: &TcpListener,
        new_kid: impl Fn() -> String + Send + Sync + 'static,
    ) -> Result<Self, KeyError> {
        let base = match listener.local_addr() {
            Ok(addr) => format!("http://{addr}"),
            Err(_) => "http://127.0.0.1".into(),
        };
        Ok(Core {
            base,
            keys: KeyRing::new(new_kid)?,
            data: Mutex::default(),
        })
    }

    pub(crate) fn data(&self) -> MutexGuard<'_, D> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// An authorization request: the parameters every provider takes, and `extra`, those only
/// this one does. The sign-in page's form carries them back (as hidden fields, each one the
/// request has but `login_hint`).
#[derive(Debug, Deserialize, Serialize)]
pub(crate) struct Authorize<X> {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub login_hint: Option<String>,
    #[serde(flatten)]
    pub extra: X,
}

/// An OAuth error to send back to the callback: `error` and `error_description`.
pub(crate) type Refusal = (&'static str, &'static str);

/// What the shared routes need of an emulator.
pub(crate) trait Hosted: Send + Sync + 'static {
    /// The parameters of an authorization request that only this provider takes.
    type Extra: DeserializeOwned + Serialize + Send + 'static;
    /// Changes to the next token the emulator signs, so tests can see the app refuse it.
    type Tamper: DeserializeOwned + Send + 'static;

    /// What the sign-in page calls the provider.
    fn label(&self) -> &str;
    fn keys(&self) -> &KeyRing;
    fn registration(&self) -> &Registration;
    /// Its answer to a `response_type` other than `code`.
    fn wrong_response_type(&self) -> Refusal;
    /// Its own checks of a request from the registered client and one of its callbacks.
    fn check_extra(&self, p: &Authorize<Self::Extra>) -> Result<(), Refusal>;
    /// Signs `email` in: a fresh single-use code for this request (sent back to the callback).
    fn issue_code(&self, p: &Authorize<Self::Extra>, redirect_uri: &str, email: &str) -> String;
    fn tamper_next(&self, tamper: Self::Tamper);
    /// Ends every session of a user, as an administrator would in the dashboard.
    fn revoke_user(&self, user_id: &str);
    /// The logout requests seen, oldest first.
    fn logouts(&self) -> Vec<String>;
    /// What the app revoked through the provider's API, oldest first: each as
    /// `{"what": …, "email": …}` (whose session it was), so tests can tell whose ended.
    fn revocations(&self) -> Vec<Value>;
    /// The refresh grants answered and refused as already spent.
    fn refreshes(&self) -> Refreshes;
}

/// What an emulator counted of refresh grants: how many it answered, and how many came with
/// a token already spent (a single-use token sent twice: what sharing refreshes prevents).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refreshes {
    pub answered: u64,
    pub spent_again: u64,
}
