//! The cookies' names, prefixes and caps, read back through tower-cookies' jar as a request
//! would send them.

use serde_json::json;
use tower_cookies::{Cookie, Cookies};

use super::{PendingSignIn, SessionCookies};
use crate::server::config::Secret;
use crate::server::provider::{SignInSecrets, SignedIn};

fn sessions(secure: bool) -> SessionCookies {
    SessionCookies::new(&Secret::new("s".repeat(40)), secure, 60).expect("key")
}

fn pending(state: &str, started: i64) -> PendingSignIn {
    PendingSignIn {
        provider: "auth0".into(),
        secrets: SignInSecrets {
            state: state.into(),
            nonce: None,
            pkce_verifier: "v".into(),
        },
        next: None,
        started,
    }
}

fn user() -> SignedIn {
    SignedIn {
        user_id: "user-1".into(),
        email: None,
        state: json!({"kind": "test"}),
        expires_at: None,
    }
}

/// The cookies a browser would send back: names and values only.
fn sent_back(from: &Cookies) -> Cookies {
    let back = Cookies::default();
    for c in from.list() {
        back.add(Cookie::new(c.name().to_string(), c.value().to_string()));
    }
    back
}

#[test]
fn a_browser_keeps_only_its_three_newest_sign_ins() {
    let s = sessions(false);
    let cookies = Cookies::default();
    for (i, state) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
        s.begin_sign_in(&cookies, &pending(state, 1000 + i as i64));
    }
    let back = sent_back(&cookies);
    let mut names: Vec<_> = back.list().iter().map(|c| c.name().to_string()).collect();
    names.sort();
    assert_eq!(names, ["ia_login.c", "ia_login.d", "ia_login.e"]);
    assert!(s.take_sign_in(&back, "a").is_none());
    assert_eq!(s.take_sign_in(&back, "e").map(|p| p.started), Some(1004));
}

#[test]
fn over_https_every_cookie_is_host_prefixed_and_secure() {
    let s = sessions(true);
    let cookies = Cookies::default();
    s.write_signed_in(&cookies, "stytch", &user());
    s.set_next(&cookies, "/somewhere");
    s.begin_sign_in(&cookies, &pending("xyz", 1));
    s.link_challenge(&cookies, 60);
    s.mark_signed_out(&cookies);
    let list = cookies.list();
    assert_eq!(list.len(), 5);
    for c in &list {
        assert!(c.name().starts_with("__Host-ia_"), "{}", c.name());
        assert_eq!(c.secure(), Some(true), "{}", c.name());
        assert_eq!(c.path(), Some("/"), "{}", c.name());
        assert_eq!(c.domain(), None, "{}", c.name());
    }
    let back = sent_back(&cookies);
    assert_eq!(s.take_next(&back).as_deref(), Some("/somewhere"));
    assert!(s.take_sign_in(&back, "xyz").is_some());
    assert!(s.link_verifier(&back).is_some());
    assert!(s.marked_signed_out(&back));
    // The same cookies without the prefix are not ours: over https they are ignored.
    let unprefixed = Cookies::default();
    for c in cookies.list() {
        let name = c.name().trim_start_matches("__Host-").to_string();
        unprefixed.add(Cookie::new(name, c.value().to_string()));
    }
    assert!(s.take_next(&unprefixed).is_none());
    assert!(s.link_verifier(&unprefixed).is_none());
}

#[test]
fn a_sealed_value_moved_to_another_cookie_name_does_not_open() {
    let s = sessions(false);
    let cookies = Cookies::default();
    s.set_next(&cookies, "/a-path");
    let sealed = cookies.get("ia_next").expect("next").value().to_string();
    let moved = Cookies::default();
    moved.add(Cookie::new("ia_link", sealed.clone()));
    moved.add(Cookie::new("ia_login.state", sealed));
    assert!(s.link_verifier(&moved).is_none());
    assert!(s.take_sign_in(&moved, "state").is_none());
}

#[test]
fn a_long_next_is_not_kept() {
    let long = format!("/{}", "a".repeat(crate::paths::MAX_LOCAL_PATH));
    assert!(crate::paths::local_path(&long).is_none());
    assert!(crate::paths::local_path(&long[..crate::paths::MAX_LOCAL_PATH]).is_some());
}
