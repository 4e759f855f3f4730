//! Signed-in users for the soak: each signs in through the real magic-link flow (the app asks
//! the Stytch emulator for a link, the link is opened with the browser's verifier cookie), then
//! calls the app's server functions with its session cookie, as the hydrated app does.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Deserialize)]
pub struct Todo {
    pub id: String,
    pub title: String,
    pub is_complete: bool,
}

/// One call's outcome: its status (0 when no answer came) and how long it took.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub status: u16,
    pub took: Duration,
    pub at: Instant,
}

pub struct User {
    pub tag: String,
    http: reqwest::Client,
    app: String,
    session: String,
}

fn cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| pair.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

#[derive(Deserialize)]
struct Outbox {
    messages: Vec<Mail>,
}

#[derive(Deserialize)]
struct Mail {
    link: String,
}

impl User {
    /// Signs `tag@soak.example` in through the magic link.
    pub async fn sign_in(
        http: &reqwest::Client,
        app: &str,
        stytch: &str,
        tag: &str,
    ) -> Result<User, String> {
        let email = format!("{tag}@soak.example");
        let asked = http
            .post(format!("{app}/api/start_sign_in"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("email={}", email.replace('@', "%40")))
            .send()
            .await
            .map_err(|e| format!("start_sign_in: {e}"))?;
        if asked.status() != StatusCode::OK {
            return Err(format!("start_sign_in answered {}", asked.status()));
        }
        let verifier = cookie(&asked, "ia_link").ok_or("no ia_link cookie")?;
        let outbox: Outbox = http
            .get(format!("{stytch}/dev/outbox.json"))
            .query(&[("to", &email)])
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("outbox: {e}"))?
            .json()
            .await
            .map_err(|e| format!("outbox: {e}"))?;
        let link = outbox.messages.last().ok_or("no mail")?.link.clone();
        let landed = http
            .get(&link)
            .header("cookie", &verifier)
            .header("accept", "text/html")
            .send()
            .await
            .map_err(|e| format!("magic link: {e}"))?;
        let session = cookie(&landed, "ia_session").ok_or("the link set no session")?;
        Ok(User {
            tag: tag.to_string(),
            http: http.clone(),
            app: app.to_string(),
            session,
        })
    }

    /// The session cookie (`name=value`), as the browser sends it.
    pub fn session(&self) -> &str {
        &self.session
    }

    /// Calls server function `name` with `form`; the JSON answer when it was a success.
    pub async fn call(&mut self, name: &str, form: &[(&str, &str)]) -> (Outcome, Option<Value>) {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let at = Instant::now();
        let answer = self
            .http
            .post(format!("{}/api/{name}", self.app))
            .header("cookie", &self.session)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await;
        let Ok(res) = answer else {
            return (outcome(0, at), None);
        };
        let status = res.status().as_u16();
        // A refreshed session comes back in the cookie: keep it, as a browser would.
        if let Some(renewed) = cookie(&res, "ia_session") {
            self.session = renewed;
        }
        let value = if res.status().is_success() {
            res.json::<Value>().await.ok()
        } else {
            None
        };
        (outcome(status, at), value)
    }

    pub async fn list(&mut self) -> (Outcome, Option<Vec<Todo>>) {
        let (outcome, value) = self.call("list_todos", &[]).await;
        (outcome, value.and_then(|v| serde_json::from_value(v).ok()))
    }
}

fn outcome(status: u16, at: Instant) -> Outcome {
    Outcome {
        status,
        took: at.elapsed(),
        at,
    }
}

/// Waits between calls the way a person's clicks are spaced, scaled down.
pub async fn pause() {
    tokio::time::sleep(Duration::from_millis(20)).await;
}
