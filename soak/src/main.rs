//! The soak behind `scripts/soak.sh`: signed-in users doing mixed CRUD through the app's server
//! functions for a while, with InsForge stopped for a few seconds in the middle (through the
//! local stack's control port). It prints throughput, latency and statuses, and checks what a
//! user was told against what InsForge kept: no acknowledged write lost, no row of another
//! user, no 5xx outside the outage, the outage answered 503 quickly and recovered from fast.
//! It exits non-zero when any of those fails.

mod model;
mod report;
mod users;

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use rand::Rng;
use tokio::sync::Mutex;

use model::Model;
use report::{Call, Outage, Report};
use users::User;

#[derive(Parser)]
struct Args {
    /// The app's address.
    #[arg(long)]
    app: String,
    /// The Stytch emulator's address (its outbox has the magic links).
    #[arg(long)]
    stytch: String,
    /// The local stack's control port, to stop and start InsForge.
    #[arg(long)]
    control: String,
    #[arg(long, default_value_t = 100)]
    users: usize,
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// How long InsForge is stopped, a third of the way in (0: not at all).
    #[arg(long, default_value_t = 3)]
    outage_seconds: u64,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("soak: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<bool, String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(args.users)
        .build()
        .map_err(|e| e.to_string())?;
    let run_id = std::process::id();
    println!("signing in {} users…", args.users);
    let mut signed_in = Vec::new();
    for i in 0..args.users {
        let tag = format!("soak{run_id}u{i}");
        signed_in.push(User::sign_in(&http, &args.app, &args.stytch, &tag).await?);
    }
    let calls = Arc::new(Mutex::new(Vec::<Call>::new()));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    println!(
        "{} users × {} s of mixed CRUD{}…",
        args.users,
        args.seconds,
        if args.outage_seconds > 0 {
            format!(
                ", InsForge stopped for {} s a third of the way in",
                args.outage_seconds
            )
        } else {
            String::new()
        }
    );
    let outage = tokio::spawn(outage(
        http.clone(),
        args.control.clone(),
        started + Duration::from_secs(args.seconds) / 3,
        Duration::from_secs(args.outage_seconds),
    ));
    let mut tasks = Vec::new();
    for user in signed_in {
        let calls = calls.clone();
        tasks.push(tokio::spawn(work(user, deadline, calls)));
    }
    let mut finished = Vec::new();
    for task in tasks {
        finished.push(task.await.map_err(|e| e.to_string())?);
    }
    let elapsed = started.elapsed();
    let outage = outage.await.map_err(|e| e.to_string())??;
    let mut report = Report::new(calls.lock().await.clone(), elapsed, outage);
    for (mut user, model) in finished {
        report.check(&mut user, &model).await;
    }
    Ok(report.print())
}

/// Stops InsForge at `at` for `length`, through the stack's control port.
async fn outage(
    http: reqwest::Client,
    control: String,
    at: Instant,
    length: Duration,
) -> Result<Option<Outage>, String> {
    if length.is_zero() {
        return Ok(None);
    }
    tokio::time::sleep_until(at.into()).await;
    let switch = |what: &'static str| {
        let request = http.post(format!("{control}/insforge/{what}")).send();
        async move {
            request
                .await
                .and_then(reqwest::Response::error_for_status)
                .map_err(|e| format!("insforge/{what}: {e}"))
        }
    };
    // From the moment it is asked to stop: calls may fail while the request is under way.
    let stopped = Instant::now();
    switch("stop").await?;
    tokio::time::sleep(length).await;
    switch("start").await?;
    Ok(Some(Outage {
        stopped,
        started: Instant::now(),
    }))
}

/// One user's calls until `deadline`: lists, adds, completions, renames and deletes, as a
/// person clicks through the page, each remembered with what the app answered.
async fn work(mut user: User, deadline: Instant, calls: Arc<Mutex<Vec<Call>>>) -> (User, Model) {
    let mut model = Model::default();
    let mut n = 0u64;
    while Instant::now() < deadline {
        n += 1;
        let roll: u32 = rand::rng().random_range(0..100);
        let call = match (roll, model.pick()) {
            (0..40, _) => {
                let (outcome, todos) = user.list().await;
                if let Some(todos) = &todos {
                    model.saw(todos);
                }
                Call::new("list", outcome)
            }
            (40..65, _) | (_, None) => {
                let title = format!("{} #{n}", user.tag);
                let (outcome, todo) = user.call("add_todo", &[("title", &title)]).await;
                model.added(&title, todo.as_ref());
                Call::new("add", outcome)
            }
            (65..80, Some(todo)) => {
                let done = (!todo.is_complete).to_string();
                let (outcome, answer) = user
                    .call("set_done", &[("id", &todo.id), ("done", &done)])
                    .await;
                model.changed(&todo.id, answer.as_ref());
                Call::new("toggle", outcome)
            }
            (80..90, Some(todo)) => {
                let title = format!("{} #{n} renamed", user.tag);
                let (outcome, answer) = user
                    .call("rename_todo", &[("id", &todo.id), ("title", &title)])
                    .await;
                model.changed(&todo.id, answer.as_ref());
                Call::new("rename", outcome)
            }
            (_, Some(todo)) => {
                let (outcome, answer) = user.call("delete_todo", &[("id", &todo.id)]).await;
                model.deleted(&todo.id, outcome.status == 200 && answer.is_some());
                Call::new("delete", outcome)
            }
        };
        calls.lock().await.push(call);
        users::pause().await;
    }
    (user, model)
}
