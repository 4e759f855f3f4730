//! The emulators' revocation APIs, over real HTTP, answering as the providers do: RFC 7009 at
//! each OpenID Connect flavour's discovered `revocation_endpoint`, and WorkOS' session revoke.

use std::time::Duration;

use devstack::oidc::Flavor;
use serde_json::{Value, json};

use crate::hosted::{discovery, form_post, http};
use crate::{oidc, workos};

async fn discovered_revocation_endpoint(f: &oidc::Fixture) -> String {
    discovery(f.emulator.url()).await["revocation_endpoint"]
        .as_str()
        .expect("revocation_endpoint")
        .to_string()
}

async fn post_form(url: &str, form: &[(&str, &str)]) -> (u16, String) {
    let res = form_post(url, form).send().await.expect("revoke");
    (res.status().as_u16(), res.text().await.unwrap_or_default())
}

#[tokio::test]
async fn oidc_revocation_follows_rfc_7009_at_every_flavor() {
    for (flavor, path) in [
        (Flavor::Auth0, "/oauth/revoke"),
        (Flavor::Kinde, "/oauth2/revoke"),
        (Flavor::Clerk, "/oauth/token/revoke"),
        (Flavor::Generic, "/revoke"),
    ] {
        let f = oidc::emulator(flavor, Duration::from_secs(300)).await;
        let endpoint = discovered_revocation_endpoint(&f).await;
        assert_eq!(
            endpoint,
            format!("{}{path}", f.emulator.url()),
            "{flavor:?}"
        );
        let (id, secret) = (f.emulator.client_id(), f.emulator.client_secret());
        let with = |token: &'static str| {
            vec![
                ("token", token),
                ("client_id", id),
                ("client_secret", secret),
            ]
        };

        // The client authenticates as at the token endpoint.
        let (status, body) = post_form(&endpoint, &[("token", "t"), ("client_id", id)]).await;
        assert_eq!(status, 401, "{flavor:?}: {body}");
        // A token is required; an unknown one is answered like a revoked one: an empty 200.
        let (status, body) = post_form(&endpoint, &with("")).await;
        assert_eq!(status, 400, "{flavor:?}: {body}");
        assert_eq!(
            serde_json::from_str::<Value>(&body).expect("json")["error"],
            "invalid_request"
        );
        assert_eq!(
            post_form(&endpoint, &with("never-issued")).await,
            (200, String::new())
        );
        let mut hinted = with("never-issued");
        hinted.push(("token_type_hint", "id_token"));
        let (status, body) = post_form(&endpoint, &hinted).await;
        assert_eq!(status, 400, "{flavor:?}: {body}");
        assert!(
            body.contains("unsupported_token_type"),
            "{flavor:?}: {body}"
        );
        let revoked: Vec<Value> =
            crate::hosted::get_json(&format!("{}/dev/revocations", f.emulator.url())).await;
        assert!(revoked.is_empty(), "{flavor:?}: nothing was revoked");
    }
}

#[tokio::test]
async fn workos_revokes_sessions_for_the_api_key_only() {
    let f = workos::emulator(Duration::from_secs(300)).await;
    let url = format!("{}/user_management/sessions/revoke", f.emulator.url());
    let revoke = |key: &str, body: Value| http().post(&url).bearer_auth(key).json(&body).send();
    let signed_in = workos::sign_in(&workos::client(&f), "mo@example.com").await;
    let sid = signed_in.state["session_id"].as_str().expect("sid");

    let res = revoke("sk_test_wrong", json!({ "session_id": sid }))
        .await
        .expect("revoke");
    assert_eq!(res.status(), 401);
    let res = revoke(
        f.emulator.api_key(),
        json!({ "session_id": "session_01UNKNOWN" }),
    )
    .await
    .expect("revoke");
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["code"], "entity_not_found");
    let res = revoke(f.emulator.api_key(), json!({}))
        .await
        .expect("revoke");
    assert_eq!(res.status(), 422);

    let res = revoke(f.emulator.api_key(), json!({ "session_id": sid }))
        .await
        .expect("revoke");
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.expect("json"), json!({}));
    // Its refresh token is refused from now on.
    let refresh = signed_in.state["refresh_token"].as_str().expect("rt");
    let after = workos::client(&f)
        .refresh(refresh, &signed_in.user_id)
        .await;
    assert!(after.is_err(), "{after:?}");
}
