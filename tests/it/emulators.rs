//! The hosted-page emulators' authorize checks and sign-in page (shared by the OpenID Connect
//! and WorkOS emulators), over real HTTP: each refusal as the providers answer it, and the page
//! carrying the request through to a code.

use std::sync::Arc;
use std::time::Duration;

use devstack::hosted::Registration;
use devstack::{oidc, workos};
use url::Url;

use crate::hosted::{discovery, form_post, http, listener, param, register};

const SITE: &str = "http://127.0.0.1:3000";
const CALLBACK: &str = "http://127.0.0.1:3000/cb";

struct Started {
    /// The authorize endpoint.
    authorize: String,
    client_id: String,
    _server: devstack::serve::Server,
}

fn registered(client: &mut Registration) {
    register(client, SITE, "cb", Duration::from_secs(300));
}

async fn start_oidc() -> Started {
    let mut config = oidc::Config::generate(oidc::Flavor::Generic);
    registered(&mut config.client);
    let listener = listener().await;
    let emulator: Arc<oidc::Emulator> = oidc::Emulator::new(config, &listener).expect("keys");
    let server = emulator.serve(listener).expect("serve");
    let discovery = discovery(&server.url()).await;
    Started {
        authorize: discovery["authorization_endpoint"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        client_id: emulator.client_id().to_string(),
        _server: server,
    }
}

async fn start_workos() -> Started {
    let mut config = workos::Config::generate();
    registered(&mut config.client);
    let listener = listener().await;
    let emulator = workos::Emulator::new(config, &listener).expect("keys");
    let server = emulator.serve(listener).expect("serve");
    Started {
        authorize: format!("{}/user_management/authorize", server.url()),
        client_id: emulator.client_id().to_string(),
        _server: server,
    }
}

/// A good request for `e`, with `changes` applied (an empty value drops the parameter).
fn request(e: &Started, extra: &[(&str, &str)], changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = [
        ("client_id", e.client_id.as_str()),
        ("redirect_uri", CALLBACK),
        ("response_type", "code"),
        ("state", "st4te"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (name, value) in changes {
        params.retain(|(k, _)| k != name);
        if !value.is_empty() {
            params.push((name.to_string(), value.to_string()));
        }
    }
    params
}

/// The status, the redirect (if any) and the body of `GET authorize?params`.
async fn authorize(e: &Started, params: &[(String, String)]) -> (u16, Option<Url>, String) {
    let response = http()
        .get(&e.authorize)
        .query(params)
        .send()
        .await
        .expect("authorize");
    answer(response).await
}

async fn answer(response: reqwest::Response) -> (u16, Option<Url>, String) {
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|l| Url::parse(l.to_str().ok()?).ok());
    (status, location, response.text().await.unwrap_or_default())
}

/// Refused back at the callback with `error` and the request's state.
fn refused(answer: &(u16, Option<Url>, String), error: &str) {
    let (status, location, _) = answer;
    assert_eq!(*status, 302, "{answer:?}");
    let location = location.as_ref().expect("a redirect");
    assert!(location.as_str().starts_with(CALLBACK), "{location}");
    assert_eq!(
        param(location, "error").as_deref(),
        Some(error),
        "{location}"
    );
    assert_eq!(param(location, "state").as_deref(), Some("st4te"));
}

#[tokio::test]
async fn authorize_requests_are_refused_as_each_provider_refuses_them() {
    let oidc = start_oidc().await;
    let workos = start_workos().await;
    let oidc_extra = [("scope", "openid email"), ("nonce", "n0nce")];
    let workos_extra = [("provider", "authkit")];
    for (e, extra, wrong_type) in [
        (&oidc, &oidc_extra[..], "unsupported_response_type"),
        (&workos, &workos_extra[..], "invalid_request"),
    ] {
        // Neither an unknown client nor a foreign callback is sent back anywhere.
        let (status, location, body) =
            authorize(e, &request(e, extra, &[("client_id", "someone-else")])).await;
        assert_eq!((status, location), (400, None));
        assert!(body.contains("Unknown client"), "{body}");
        let elsewhere = [("redirect_uri", "https://evil.example/cb")];
        let (status, location, body) = authorize(e, &request(e, extra, &elsewhere)).await;
        assert_eq!((status, location), (400, None));
        assert!(body.contains("Callback URL mismatch"), "{body}");

        let implicit = [("response_type", "token")];
        refused(
            &authorize(e, &request(e, extra, &implicit)).await,
            wrong_type,
        );
        let plain = [("code_challenge_method", "plain")];
        refused(
            &authorize(e, &request(e, extra, &plain)).await,
            "invalid_request",
        );
    }
    let no_openid = [("scope", "email")];
    refused(
        &authorize(&oidc, &request(&oidc, &oidc_extra, &no_openid)).await,
        "invalid_scope",
    );
    let no_provider = [("provider", "")];
    refused(
        &authorize(&workos, &request(&workos, &workos_extra, &no_provider)).await,
        "invalid_request",
    );
}

#[tokio::test]
async fn the_sign_in_page_carries_the_request_to_a_code_or_a_cancel() {
    let oidc = start_oidc().await;
    let workos = start_workos().await;
    let oidc_extra = [("scope", "openid email"), ("nonce", "n0nce")];
    let workos_extra = [("provider", "authkit")];
    for (e, extra) in [(&oidc, &oidc_extra[..]), (&workos, &workos_extra[..])] {
        let params = request(e, extra, &[]);
        let (status, _, page) = authorize(e, &params).await;
        assert_eq!(status, 200);
        // Every parameter of the request comes back with the form.
        for (name, value) in &params {
            let field = format!("name=\"{name}\" value=\"{value}\"");
            assert!(page.contains(&field), "{field} in {page}");
        }
        let form_url = Url::parse(&e.authorize)
            .expect("url")
            .join("/dev/sign-in")
            .expect("form");
        let post = |fields: Vec<(String, String)>| {
            let url = form_url.clone();
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&fields)
                .finish();
            async move {
                let sent = http()
                    .post(url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await;
                answer(sent.expect("post")).await
            }
        };
        let mut fields = params.clone();
        fields.push(("email".into(), "amy@example.com".into()));
        fields.push(("action".into(), "sign_in".into()));
        let (status, location, _) = post(fields).await;
        assert_eq!(status, 302);
        let location = location.expect("back to the callback");
        assert!(location.as_str().starts_with(CALLBACK), "{location}");
        assert!(param(&location, "code").is_some_and(|c| !c.is_empty()));
        assert_eq!(param(&location, "state").as_deref(), Some("st4te"));

        let mut fields = params.clone();
        fields.push(("action".into(), "cancel".into()));
        refused(&post(fields).await, "access_denied");
        // No address: the page again.
        let (status, _, page) = post(params.clone()).await;
        assert_eq!(status, 200);
        assert!(page.contains("Email address"), "{page}");
    }
}

/// POSTs `form` to the emulator's token endpoint: the answer's headers and body.
async fn token(
    endpoint: &str,
    form: &[(&str, &str)],
) -> (reqwest::header::HeaderMap, serde_json::Value) {
    let response = form_post(endpoint, form).send().await.expect("token");
    let headers = response.headers().clone();
    (headers, response.json().await.expect("json"))
}

fn claims(id_token: &serde_json::Value) -> serde_json::Value {
    jsonwebtoken::dangerous::insecure_decode_claims(id_token.as_str().expect("an ID token"))
        .expect("claims")
}

#[tokio::test]
async fn token_answers_are_not_cached_and_a_refresh_keeps_the_time_of_sign_in() {
    let mut config = oidc::Config::generate(oidc::Flavor::Kinde);
    registered(&mut config.client);
    let listener = listener().await;
    let emulator = oidc::Emulator::new(config, &listener).expect("keys");
    let server = emulator.serve(listener).expect("serve");
    let endpoint = format!("{}/oauth2/token", server.url());
    let authorize = format!(
        "{}/oauth2/auth?client_id={}&redirect_uri={CALLBACK}&response_type=code&scope=openid%20offline&state=s&nonce=n&login_hint=kim@example.com",
        server.url(),
        emulator.client_id()
    );
    let (status, location, _) =
        answer(http().get(&authorize).send().await.expect("authorize")).await;
    assert_eq!(status, 302);
    let code = param(&location.expect("callback"), "code").expect("code");
    let client = [
        ("client_id", emulator.client_id()),
        ("client_secret", emulator.client_secret()),
    ];
    let (headers, first) = token(
        &endpoint,
        &[
            &client[..],
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CALLBACK),
            ],
        ]
        .concat(),
    )
    .await;
    // RFC 6749 section 5.1.
    assert_eq!(headers["cache-control"], "no-store", "{headers:?}");
    assert_eq!(headers["pragma"], "no-cache");
    let signed_in_at = claims(&first["id_token"])["auth_time"].clone();
    assert!(signed_in_at.is_i64(), "{first}");

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let refresh = first["refresh_token"].as_str().expect("a refresh token");
    let grant = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    let (headers, second) = token(&endpoint, &[&client[..], &grant[..]].concat()).await;
    assert_eq!(headers["cache-control"], "no-store");
    // OIDC Core 12.2: a refreshed ID token names the original sign-in's time.
    let refreshed = claims(&second["id_token"]);
    assert_eq!(refreshed["auth_time"], signed_in_at, "{refreshed}");
    assert!(
        refreshed["iat"].as_i64() > signed_in_at.as_i64(),
        "{refreshed}"
    );
    // Errors are not cached either.
    let (headers, error) = token(&endpoint, &[&client[..], &grant[..]].concat()).await;
    assert_eq!(error["error"], "invalid_grant");
    assert_eq!(headers["cache-control"], "no-store");
}
