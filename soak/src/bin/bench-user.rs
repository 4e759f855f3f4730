//! The bench's signed-in user (`scripts/bench.sh`): signs one user in through the magic link,
//! adds `--todos` todos through the app, and prints, as shell assignments, what the load needs:
//! the session cookie for the page views, and an InsForge token of the same user, minted as the
//! app mints it, so the bench can ask InsForge for the same list directly (the floor the page is
//! compared with).
//!
//! Reads INSFORGE_JWT_SECRET and INSFORGE_API_KEY (the local stack's app.env): the key finds the
//! user's id, which only InsForge's rows show (the app never tells the browser).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Parser;
use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::{Value, json};
use soak::users::User;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    app: String,
    /// The Stytch emulator (its outbox has the magic link).
    #[arg(long)]
    stytch: String,
    #[arg(long)]
    insforge: String,
    #[arg(long, default_value_t = 20)]
    todos: usize,
    #[arg(long, env = "INSFORGE_JWT_SECRET", hide_env_values = true)]
    jwt_secret: String,
    #[arg(long, env = "INSFORGE_API_KEY", hide_env_values = true)]
    api_key: String,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Args::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-user: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let tag = format!("bench{}", std::process::id());
    let mut user = User::sign_in(&http, &args.app, &args.stytch, &tag).await?;
    for i in 0..args.todos {
        let title = format!("{tag} todo {i}");
        let (outcome, _) = user.call("add_todo", &[("title", &title)]).await;
        if outcome.status != 200 {
            return Err(format!("add_todo answered {}", outcome.status));
        }
    }
    let sub = user_id(&http, &args, &tag).await?;
    let iat = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    // The claims of the app's own tokens (src/server/token.rs), for an hour: the bench is short.
    let claims = json!({ "sub": sub, "role": "authenticated", "aud": "insforge-api", "iat": iat, "exp": iat + 3600 });
    let token = encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(args.jwt_secret.as_bytes()),
    )
    .map_err(|e| e.to_string())?;
    println!("BENCH_COOKIE='{}'", user.session());
    println!("BENCH_TOKEN='{token}'");
    Ok(())
}

/// The owner of the todos just added, read with the project's API key.
async fn user_id(http: &reqwest::Client, args: &Args, tag: &str) -> Result<String, String> {
    let rows: Vec<Value> = http
        .get(format!("{}/api/database/records/todos", args.insforge))
        .header("x-api-key", &args.api_key)
        .query(&[
            ("select", "user_id"),
            ("title", &format!("eq.{tag} todo 0")),
            ("limit", "1"),
        ])
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("reading the user's id: {e}"))?
        .json()
        .await
        .map_err(|e| format!("reading the user's id: {e}"))?;
    rows.first()
        .and_then(|r| r["user_id"].as_str())
        .map(str::to_string)
        .ok_or_else(|| "no todo of the bench user in InsForge".to_string())
}
