//! The server binary. With no arguments (as cargo-leptos runs it) or `serve`, it serves the web
//! app; `insforge-auth migrate` applies `migrations/` to the configured project.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use insforge_auth::app::{App, shell};
use insforge_auth::server::assets::Assets;
use insforge_auth::server::config::{self, Env};
use insforge_auth::server::migrate::{self, Migrator};
use insforge_auth::server::serve;
use insforge_auth::server::state::{Services, WebConfig};
use insforge_auth::server::web::{self, Pages};
use insforge_auth::server::{doctor, metrics};
use leptos::prelude::IntoAny;

#[derive(Parser)]
#[command(
    version,
    about = "Sign in with a hosted auth provider, keep your data in InsForge"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app (the default). Configuration: see `.env.example`.
    Serve,
    /// Check the configuration against InsForge and the providers, and say what to fix (exit 1
    /// if anything is wrong).
    Doctor {
        #[arg(long, default_value = "migrations")]
        migrations: PathBuf,
    },
    /// Exit 0 if the server on LEPTOS_SITE_ADDR answers /healthz (the image's HEALTHCHECK: it
    /// has no curl).
    Health,
    /// Apply the migrations InsForge has not applied yet (needs INSFORGE_URL and INSFORGE_API_KEY).
    Migrate {
        #[arg(long, default_value = "migrations")]
        dir: PathBuf,
    },
}

// mimalloc in place of glibc's malloc: a page view makes thousands of small allocations across
// tokio's threads, and glibc spent a quarter of the app's CPU in malloc and free (perf, under
// `scripts/bench.sh`). Per todo view 0.73–0.83 ms became 0.62 ms. `no_thp` keeps it off
// transparent huge pages: on them, peak RSS was 53 MiB, not 25.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // First: `.env` may set RUST_LOG and LOG_FORMAT.
    if let Err(e) = config::load_dotenv() {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    if let Err(e) = init_logs() {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let result = match Cli::parse().command {
        None | Some(Command::Serve) => run_serve().await,
        Some(Command::Migrate { dir }) => run_migrate(&dir).await,
        Some(Command::Health) => run_health().await,
        Some(Command::Doctor { migrations }) => run_doctor(&migrations).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

const LOG_FORMAT: &str = "LOG_FORMAT";

/// Logs to stderr, filtered by RUST_LOG (default `info`): as text, or with `LOG_FORMAT=json` one
/// JSON object a line, each with its request's span (`id`, `method`, `path`) for log stores.
fn init_logs() -> Result<(), String> {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match std::env::var(LOG_FORMAT).as_deref().map(str::trim) {
        Err(_) | Ok("" | "text") => logs.init(),
        Ok("json") => logs
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        Ok(other) => {
            return Err(format!(
                "{LOG_FORMAT} is invalid ({other:?}): text (the default) or json"
            ));
        }
    }
    Ok(())
}

async fn run_serve() -> Result<(), String> {
    // Everything is checked before anything listens: a bad variable stops the server here,
    // with its name and what it should look like.
    let web = WebConfig::from_source(&Env).map_err(|e| e.to_string())?;
    let mut leptos = leptos::config::get_configuration(None)
        .map_err(|e| format!("Leptos settings (LEPTOS_* variables): {e}"))?
        .leptos_options;
    // cargo-leptos bakes the name in; a plain `cargo build` does not.
    if leptos.output_name.is_empty() {
        leptos.output_name = env!("CARGO_PKG_NAME").into();
    }
    // Release builds serve the site under content-hashed names, as scripts/build-site.sh and
    // `cargo leptos build --release` make it; LEPTOS_HASH_FILES says otherwise.
    if std::env::var_os("LEPTOS_HASH_FILES").is_none() {
        leptos.hash_files = !cfg!(debug_assertions);
    }
    let assets = Assets::load(&leptos).map_err(|e| e.to_string())?;
    let addr = leptos.site_addr;
    let services = Services::new(&web)?;
    if let Some(shared) = &services.shared {
        match shared.ping().await {
            Ok(()) => {
                tracing::info!("sharing limits and refreshes with the other replicas in Redis")
            }
            Err(e) => tracing::warn!(
                "Redis (REDIS_URL) does not answer ({e}): this replica keeps limits and \
                 refreshes to itself until it does"
            ),
        }
    }
    let pages = Pages {
        app: || App().into_any(),
        shell: |options| shell(options).into_any(),
    };
    let app = web::router(leptos, Arc::new(services), pages, assets);
    if let Some(metrics) = web.metrics_addr {
        let listener = tokio::net::TcpListener::bind(metrics)
            .await
            .map_err(|e| format!("cannot listen on {metrics} ({}): {e}", metrics::ADDR_VAR))?;
        tracing::info!("metrics on http://{metrics}{}", metrics::PATH);
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, metrics::router()).await {
                tracing::error!("the metrics listener stopped: {e}");
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} (LEPTOS_SITE_ADDR): {e}"))?;
    tracing::info!(
        "listening on http://{addr}; people open {} (SITE_URL); InsForge at {}; sign-in with {}",
        web.site_url,
        web.insforge.url,
        web.providers
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    serve::serve(listener, app, &web.inbound, shutdown_signal()).await;
    tracing::info!("stopped");
    Ok(())
}

/// Ctrl-C or SIGTERM (what container platforms send) let requests in flight finish.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(e) => {
            tracing::warn!("no SIGTERM handler ({e}); only Ctrl-C stops the server");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
    tracing::info!("shutting down");
}

async fn run_doctor(migrations: &std::path::Path) -> Result<(), String> {
    let report = doctor::examine(&Env, migrations).await;
    for finding in &report.findings {
        match &finding.problem {
            None => println!("  ok    {}", finding.what),
            Some(problem) => {
                println!("  FAIL  {}: {problem}", finding.what);
                println!("        fix: {}", finding.fix);
            }
        }
    }
    if !report.to_register.is_empty() {
        println!("Register at the providers (their dashboards refuse other URLs):");
        for url in &report.to_register {
            println!("  {url}");
        }
    }
    if report.healthy() {
        Ok(())
    } else {
        Err("the configuration has problems (above)".into())
    }
}

async fn run_health() -> Result<(), String> {
    let mut addr = leptos::config::get_configuration(None)
        .map_err(|e| format!("Leptos settings (LEPTOS_* variables): {e}"))?
        .leptos_options
        .site_addr;
    // Listening on every interface: ask it on this machine's.
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv6() {
            std::net::Ipv6Addr::LOCALHOST.into()
        } else {
            std::net::Ipv4Addr::LOCALHOST.into()
        });
    }
    let url = format!("http://{addr}{}", insforge_auth::paths::HEALTH);
    // Never through a proxy from HTTP_PROXY: the server is on this machine.
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let answer = client
        .get(&url)
        .timeout(std::time::Duration::from_secs(3))
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    if answer.status().is_success() {
        println!("ok");
        Ok(())
    } else {
        Err(format!("{url}: {}", answer.status()))
    }
}

async fn run_migrate(dir: &std::path::Path) -> Result<(), String> {
    let url = config::insforge_url(&Env).map_err(|e| e.to_string())?;
    let api_key = config::admin_api_key(&Env).map_err(|e| e.to_string())?;
    let files = migrate::read_dir(dir).map_err(|e| e.to_string())?;
    let migrator = Migrator::new(&url, api_key).map_err(|e| e.to_string())?;
    println!(
        "Migrating {url} from {} ({} files)",
        dir.display(),
        files.len()
    );
    let applied = migrator
        .run(&files, |file| {
            println!("  applied {}_{}", file.version, file.name)
        })
        .await
        .map_err(|e| e.to_string())?;
    if applied == 0 {
        println!("Up to date: nothing to apply.");
    } else {
        println!("Applied {applied} migration(s).");
    }
    Ok(())
}
