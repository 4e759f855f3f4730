//! `devstack up`: the local stack for development. A persistent PostgreSQL cluster (or the
//! database in `DATABASE_URL`) and the InsForge stand-in, until Ctrl-C.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use devstack::insforge::{Config, Server};
use devstack::keys::ProjectKeys;
use devstack::pg::{self, Cluster, ClusterOptions};
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(
    about = "Local stand-ins for InsForge (and the auth providers) on a real PostgreSQL. Development and tests only."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start PostgreSQL and the InsForge stand-in; Ctrl-C stops both.
    Up {
        /// Where the cluster's data and the project's keys live between runs.
        #[arg(long, default_value = ".devstack")]
        dir: PathBuf,
        /// Use this database instead of starting a cluster (it is set up the InsForge way first).
        #[arg(long, env = "DATABASE_URL")]
        database_url: Option<String>,
        #[arg(long, env = "DEVSTACK_PG_PORT", default_value_t = 54330)]
        pg_port: u16,
        /// InsForge's own default port.
        #[arg(long, env = "DEVSTACK_INSFORGE_PORT", default_value_t = 7130)]
        insforge_port: u16,
        #[command(flatten)]
        keys: KeyArgs,
    },
}

/// Project secrets to use instead of the saved (or generated) ones. Like InsForge's
/// `ACCESS_API_KEY` / `ACCESS_ANON_KEY`, a missing `ik_` / `anon_` prefix is added.
#[derive(clap::Args)]
struct KeyArgs {
    #[arg(long, env = "DEVSTACK_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    #[arg(long, env = "DEVSTACK_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    #[arg(long, env = "DEVSTACK_ANON_KEY", hide_env_values = true)]
    anon_key: Option<String>,
}

impl KeyArgs {
    fn apply(self, mut keys: ProjectKeys) -> Result<ProjectKeys, String> {
        let prefixed = |prefix: &str, v: String| {
            if v.starts_with(prefix) {
                v
            } else {
                format!("{prefix}{v}")
            }
        };
        if let Some(secret) = self.jwt_secret {
            if secret.is_empty() {
                return Err("the JWT secret must not be empty".into());
            }
            keys.jwt_secret = secret;
        }
        if let Some(key) = self.api_key.filter(|k| !k.is_empty()) {
            keys.api_key = prefixed("ik_", key);
        }
        if let Some(key) = self.anon_key.filter(|k| !k.is_empty()) {
            keys.anon_key = prefixed("anon_", key);
        }
        Ok(keys)
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let Command::Up {
        dir,
        database_url,
        pg_port,
        insforge_port,
        keys,
    } = Cli::parse().command;
    match up(dir, database_url, pg_port, insforge_port, keys).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("devstack: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn up(
    dir: PathBuf,
    database_url: Option<String>,
    pg_port: u16,
    insforge_port: u16,
    key_args: KeyArgs,
) -> Result<(), String> {
    let keys_file = dir.join("insforge.env");
    let keys = ProjectKeys::load_or_create(&keys_file)
        .map_err(|e| format!("{}: {e}", keys_file.display()))?;
    let keys = key_args.apply(keys)?;
    let (cluster, database_url) = match database_url {
        Some(url) => {
            println!("Using the database at DATABASE_URL");
            pg::bootstrap_database(&url)
                .await
                .map_err(|e| e.to_string())?;
            (None, url)
        }
        None => {
            let data_dir = std::path::absolute(dir.join("pgdata")).map_err(|e| e.to_string())?;
            println!(
                "Starting PostgreSQL (data in {}) on 127.0.0.1:{pg_port}…",
                data_dir.display()
            );
            let cluster = Cluster::start(ClusterOptions {
                data_dir: Some(data_dir),
                port: Some(pg_port),
            })
            .await
            .map_err(|e| e.to_string())?;
            cluster
                .create_database("insforge")
                .await
                .map_err(|e| e.to_string())?;
            let url = cluster.url("insforge");
            (Some(cluster), url)
        }
    };
    let config = Config {
        database_url: database_url.clone(),
        jwt_secret: keys.jwt_secret.clone(),
        api_key: keys.api_key.clone(),
        anon_key: keys.anon_key.clone(),
    };
    let listener = TcpListener::bind(("127.0.0.1", insforge_port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{insforge_port}: {e}"))?;
    let server = Server::start(&config, listener)
        .await
        .map_err(|e| e.to_string())?;
    let env_file = dir.join("app.env");
    devstack::keys::write_private(&env_file, &keys.env_lines(Some(&server.url())))
        .map_err(|e| format!("{}: {e}", env_file.display()))?;
    println!("InsForge stand-in listening on {}", server.url());
    println!("  PostgreSQL:        {}", pg::redact_url(&database_url));
    println!(
        "  project secrets:   {} (INSFORGE_* variables for the app)",
        env_file.display()
    );
    println!("Ctrl-C stops everything.");
    shutdown_signal().await?;
    println!("Stopping…");
    server.stop().await;
    drop(cluster);
    Ok(())
}

/// Ctrl-C (SIGINT) or SIGTERM, so both a terminal and a process manager stop it cleanly.
async fn shutdown_signal() -> Result<(), String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.map_err(|e| e.to_string()),
        _ = term.recv() => Ok(()),
    }
}
