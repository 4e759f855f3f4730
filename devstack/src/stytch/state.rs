//! What the emulator remembers: users by email, magic-link tokens, sessions and sent mail.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::Serialize;
use time::OffsetDateTime;

/// URL-safe random text of `bytes` random bytes (44 characters for 33, Stytch's token length).
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}-test-{}", uuid::Uuid::new_v4())
}

#[derive(Clone)]
pub(crate) struct User {
    pub user_id: String,
    pub email_id: String,
    pub email: String,
    pub created_at: OffsetDateTime,
    /// Pending until the first magic link is used, as Stytch marks new users.
    pub active: bool,
}

pub(crate) struct MagicLink {
    pub user_id: String,
    pub expires_at: OffsetDateTime,
    pub used: bool,
}

#[derive(Clone)]
pub(crate) struct Session {
    pub session_id: String,
    pub session_token: String,
    pub user_id: String,
    pub started_at: OffsetDateTime,
    pub last_accessed_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    /// When the magic link that started it was used.
    pub authenticated_at: OffsetDateTime,
    pub revoked: bool,
}

/// One email the emulator would have sent.
#[derive(Clone, Debug, Serialize)]
pub struct Mail {
    pub to: String,
    /// `login` for an existing user, `signup` for a new one.
    pub kind: &'static str,
    /// The link as it appears in the email: the redirect URL plus Stytch's token parameters.
    pub link: String,
    pub token: String,
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
}

#[derive(Default)]
pub(crate) struct Data {
    pub users: HashMap<String, User>,
    pub magic_links: HashMap<String, MagicLink>,
    pub sessions: HashMap<String, Session>,
    pub outbox: Vec<Mail>,
}

impl Data {
    pub fn user_by_id(&self, user_id: &str) -> Option<&User> {
        self.users.values().find(|u| u.user_id == user_id)
    }

    pub fn session_by_token(&mut self, token: &str) -> Option<&mut Session> {
        self.sessions
            .values_mut()
            .find(|s| s.session_token == token)
    }
}
