//! Who is signed in and the ways to sign in, as the pages see them, and the rule an email
//! address must follow: the same on the server and in the browser.

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The signed-in user, as the pages show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub email: Option<String>,
}

/// A way to sign in that the sign-in page offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInOption {
    /// The provider's name in `AUTH_PROVIDERS`: `/auth/login/<name>` starts its sign-in.
    pub name: String,
    pub label: String,
    /// An email form on the page itself (a magic link), rather than a link to the provider.
    pub email_form: bool,
}

/// The same check in the browser (instant feedback) and on the server (the rule).
pub fn check_email(raw: &str) -> Result<String, AppError> {
    let email = raw.trim();
    if email.is_empty() {
        return Err(AppError::EmailRequired);
    }
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email.to_string())
    } else {
        Err(AppError::EmailInvalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked() {
        assert_eq!(check_email("  a@b.co "), Ok("a@b.co".into()));
        assert_eq!(check_email(" "), Err(AppError::EmailRequired));
        for bad in ["a", "a@b", "@b.co", "a b@c.co", "a@.co", "a@b.co."] {
            assert_eq!(check_email(bad), Err(AppError::EmailInvalid), "{bad}");
        }
    }
}
