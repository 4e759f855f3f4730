//! The soak behind `scripts/soak.sh`: signed-in users doing mixed CRUD through the app's server
//! functions for a while, through three faults (InsForge stopped, Stytch's key endpoint down,
//! PostgreSQL restarted, through the local stack's control port and the emulator). It prints
//! throughput, latency and statuses, and checks what a user was told against what InsForge
//! kept: no acknowledged write lost, no row of another user, no 5xx outside the faults that
//! take the backend away, each answered 503 quickly and recovered from fast.
//! It exits non-zero when any of those fails.

mod model;
mod report;

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use rand::Rng;
use tokio::sync::Mutex;

use model::Model;
use report::{Call, Fault, Report};
use soak::users::{self, User};

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
    /// How long InsForge is stopped, and Stytch's keys unreachable (0: no faults).
    #[arg(long, default_value_t = 3)]
    fault_seconds: u64,
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
    if args.fault_seconds > 0 {
        println!(
            "{} users × {} s of mixed CRUD; at 1/4 InsForge stopped for {2} s, at 1/2 Stytch's \
             keys unreachable for {2} s, at 3/4 PostgreSQL restarted…",
            args.users, args.seconds, args.fault_seconds
        );
    } else {
        println!("{} users × {} s of mixed CRUD…", args.users, args.seconds);
    }
    // The users go on past the deadline until the last fault is over and the app had time to
    // recover, so a fault near the end is still followed by calls.
    let (settled, settle) = tokio::sync::watch::channel(None::<Instant>);
    let faults = {
        let (http, control, stytch) = (http.clone(), args.control.clone(), args.stytch.clone());
        let (run, length) = (
            Duration::from_secs(args.seconds),
            Duration::from_secs(args.fault_seconds),
        );
        tokio::spawn(async move {
            let result = faults(http, control, stytch, started, run, length).await;
            let _ = settled.send(Some(Instant::now() + Duration::from_millis(2500)));
            result
        })
    };
    let mut tasks = Vec::new();
    for user in signed_in {
        let calls = calls.clone();
        tasks.push(tokio::spawn(work(user, deadline, settle.clone(), calls)));
    }
    let mut finished = Vec::new();
    for task in tasks {
        finished.push(task.await.map_err(|e| e.to_string())?);
    }
    let elapsed = started.elapsed();
    let faults = faults.await.map_err(|e| e.to_string())??;
    let mut report = Report::new(calls.lock().await.clone(), elapsed, faults);
    for (mut user, model) in finished {
        report.check(&mut user, &model).await;
    }
    Ok(report.print())
}

/// The faults, a quarter of the run apart: InsForge stopped for `length`, Stytch's key
/// endpoint down for `length` (sessions must not notice: their keys are cached), and
/// PostgreSQL restarted.
async fn faults(
    http: reqwest::Client,
    control: String,
    stytch: String,
    started: Instant,
    run: Duration,
    length: Duration,
) -> Result<Vec<Fault>, String> {
    if length.is_zero() {
        return Ok(Vec::new());
    }
    let post = |url: String, body: Option<&'static str>| {
        let mut request = http.post(&url);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        async move {
            request
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .map(|_| ())
                .map_err(|e| format!("{url}: {e}"))
        }
    };
    let mut faults = Vec::new();
    tokio::time::sleep_until((started + run / 4).into()).await;
    // From the moment it is asked for: calls may fail while the request is under way.
    let begun = Instant::now();
    post(format!("{control}/insforge/stop"), None).await?;
    tokio::time::sleep(length).await;
    post(format!("{control}/insforge/start"), None).await?;
    faults.push(Fault::new("InsForge stopped", begun, true));

    tokio::time::sleep_until((started + run / 2).into()).await;
    let begun = Instant::now();
    post(format!("{stytch}/dev/outage"), Some(r#"{"jwks": true}"#)).await?;
    tokio::time::sleep(length).await;
    post(format!("{stytch}/dev/outage"), Some(r#"{"jwks": false}"#)).await?;
    faults.push(Fault::new("Stytch's keys unreachable", begun, false));

    tokio::time::sleep_until((started + run * 3 / 4).into()).await;
    let begun = Instant::now();
    post(format!("{control}/postgres/restart"), None).await?;
    faults.push(Fault::new("PostgreSQL restarted", begun, true));
    Ok(faults)
}

/// One user's calls until `deadline`: lists, adds, completions, renames and deletes, as a
/// person clicks through the page, each remembered with what the app answered.
async fn work(
    mut user: User,
    deadline: Instant,
    settle: tokio::sync::watch::Receiver<Option<Instant>>,
    calls: Arc<Mutex<Vec<Call>>>,
) -> (User, Model) {
    let mut model = Model::default();
    let mut n = 0u64;
    let going = |now: Instant| now < deadline || settle.borrow().is_none_or(|until| now < until);
    while going(Instant::now()) {
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
                model.added(&title, outcome.status, todo.as_ref());
                Call::new("add", outcome)
            }
            (65..80, Some(todo)) => {
                let done = (!todo.is_complete).to_string();
                let (outcome, answer) = user
                    .call("set_done", &[("id", &todo.id), ("done", &done)])
                    .await;
                model.changed(&todo.id, outcome.status, answer.as_ref());
                Call::new("toggle", outcome)
            }
            (80..90, Some(todo)) => {
                let title = format!("{} #{n} renamed", user.tag);
                let (outcome, answer) = user
                    .call("rename_todo", &[("id", &todo.id), ("title", &title)])
                    .await;
                model.changed(&todo.id, outcome.status, answer.as_ref());
                Call::new("rename", outcome)
            }
            (_, Some(todo)) => {
                let (outcome, _) = user.call("delete_todo", &[("id", &todo.id)]).await;
                model.deleted(&todo.id, outcome.status);
                Call::new("delete", outcome)
            }
        };
        calls.lock().await.push(call);
        users::pause().await;
    }
    (user, model)
}
