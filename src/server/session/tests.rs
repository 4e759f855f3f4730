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
    // Cookies without the prefix (which a sibling subdomain or a plain-http page could have
    // planted), sealed with the very same secret, are not read over https.
    let planted = Cookies::default();
    let plain = sessions(false);
    plain.set_next(&planted, "/planted");
    plain.link_challenge(&planted, 60);
    plain.mark_signed_out(&planted);
    plain.write_signed_in(&planted, "stytch", &user());
    let planted = sent_back(&planted);
    assert!(
        plain.take_next(&sent_back(&planted)).is_some(),
        "readable unprefixed"
    );
    assert!(s.take_next(&planted).is_none());
    assert!(s.link_verifier(&planted).is_none());
    assert!(!s.marked_signed_out(&planted));
    assert!(s.read(&planted).is_none());
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
