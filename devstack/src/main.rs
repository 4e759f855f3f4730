//! `devstack up`: the local stack for development and end-to-end tests. A persistent
//! PostgreSQL cluster (or the database in `DATABASE_URL`), the InsForge stand-in and the
//! provider emulators (Stytch, WorkOS, and OpenID Connect as Auth0, Kinde, Clerk and a plain
//! issuer), until Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use devstack::control::{InsForgeSwitch, PgSwitch};
use devstack::emulators::{self, Kind, Setup};
use devstack::insforge::Config;
use devstack::keys::{ProjectKeys, load_or_generate, random_secret};
use devstack::oidc::Flavor;
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
    /// Start PostgreSQL, the InsForge stand-in and the provider emulators; Ctrl-C stops them all.
    Up(UpArgs),
}

#[derive(clap::Args)]
struct UpArgs {
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
    #[arg(long, env = "DEVSTACK_STYTCH_PORT", default_value_t = 7140)]
    stytch_port: u16,
    /// Lets tests stop and restart the InsForge stand-in (`POST /insforge/stop|start`).
    #[arg(long, env = "DEVSTACK_CONTROL_PORT", default_value_t = 7199)]
    control_port: u16,
    /// The app's address, written to `app.env` as `SITE_URL` (magic links lead there).
    #[arg(
        long,
        env = "DEVSTACK_SITE_URL",
        default_value = "http://127.0.0.1:3000"
    )]
    site_url: String,
    /// Further addresses of the app to register at the provider emulators (the end-to-end
    /// tests run a second instance with a single provider), comma-separated.
    #[arg(long, env = "DEVSTACK_OTHER_SITE_URLS", value_delimiter = ',')]
    other_site_url: Vec<String>,
    /// First port of the OpenID Connect emulators: Auth0, Kinde, Clerk and a plain issuer
    /// (named `sso` in the app's settings) listen on this port and the three after it.
    #[arg(long, env = "DEVSTACK_OIDC_PORT", default_value_t = 7141)]
    oidc_port: u16,
    /// The providers the app offers, written to `app.env` as `AUTH_PROVIDERS` (every
    /// emulator runs either way).
    #[arg(
        long,
        env = "DEVSTACK_PROVIDERS",
        default_value = "stytch,workos,auth0,kinde,clerk,sso"
    )]
    providers: String,
    /// The WorkOS emulator's port.
    #[arg(long, env = "DEVSTACK_WORKOS_PORT", default_value_t = 7145)]
    workos_port: u16,
    /// Lifetime of the WorkOS emulator's access tokens (WorkOS: 300).
    #[arg(long, env = "DEVSTACK_WORKOS_TOKEN_SECS", default_value_t = 300)]
    workos_token_secs: u64,
    /// Lifetime of the Stytch emulator's session JWTs (Stytch: 300).
    #[arg(long, env = "DEVSTACK_STYTCH_JWT_SECS", default_value_t = 300)]
    stytch_jwt_secs: u64,
    /// Also start a Redis server on this port and give the app its REDIS_URL (what replicas
    /// share; README, "Many replicas").
    #[arg(long, env = "DEVSTACK_REDIS_PORT")]
    redis_port: Option<u16>,
    #[command(flatten)]
    keys: KeyArgs,
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
    let Command::Up(args) = Cli::parse().command;
    match up(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("devstack: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn listen(port: u16) -> Result<TcpListener, String> {
    TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))
}

async fn up(args: UpArgs) -> Result<(), String> {
    let dir = args.dir;
    let keys_file = dir.join("insforge.env");
    let keys = ProjectKeys::load_or_create(&keys_file)
        .map_err(|e| format!("{}: {e}", keys_file.display()))?;
    let keys = args.keys.apply(keys)?;
    let (cluster, database_url) = match args.database_url {
        Some(url) => {
            println!("Using the database at DATABASE_URL");
            pg::bootstrap_database(&url)
                .await
                .map_err(|e| e.to_string())?;
            let gateway = pg::gateway_url(&url).await.map_err(|e| e.to_string())?;
            (None, gateway)
        }
        None => {
            let data_dir = std::path::absolute(dir.join("pgdata")).map_err(|e| e.to_string())?;
            println!(
                "Starting PostgreSQL (data in {}) on 127.0.0.1:{}…",
                data_dir.display(),
                args.pg_port
            );
            let options = ClusterOptions {
                data_dir: Some(data_dir),
                port: Some(args.pg_port),
            };
            let cluster = Cluster::start(options.clone())
                .await
                .map_err(|e| e.to_string())?;
            cluster
                .create_database("insforge")
                .await
                .map_err(|e| e.to_string())?;
            // Idempotent: a stack made by an older version gets today's roles and grants.
            pg::bootstrap_database(&cluster.url("insforge"))
                .await
                .map_err(|e| e.to_string())?;
            let url = pg::gateway_url(&cluster.url("insforge"))
                .await
                .map_err(|e| e.to_string())?;
            (Some(PgSwitch::new(options, cluster)), url)
        }
    };
    let config = Config {
        database_url: database_url.clone(),
        jwt_secret: keys.jwt_secret.clone(),
        api_key: keys.api_key.clone(),
        anon_key: keys.anon_key.clone(),
    };
    let insforge =
        InsForgeSwitch::start(config, ([127, 0, 0, 1], args.insforge_port).into()).await?;

    let site_url = args.site_url.trim_end_matches('/');
    let mut env = keys.env_lines(Some(&insforge.url()));
    env.push_str(&format!(
        "SITE_URL={site_url}\nAUTH_PROVIDERS={}\n",
        args.providers.trim(),
    ));
    // Every provider emulator, on its port.
    let table = [
        (Kind::Stytch, args.stytch_port),
        (Kind::Oidc(Flavor::Auth0), args.oidc_port),
        (Kind::Oidc(Flavor::Kinde), args.oidc_port + 1),
        (Kind::Oidc(Flavor::Clerk), args.oidc_port + 2),
        (Kind::Oidc(Flavor::Generic), args.oidc_port + 3),
        (Kind::WorkOs, args.workos_port),
    ];
    let site_urls: Vec<String> = std::iter::once(site_url)
        .chain(args.other_site_url.iter().map(|u| u.trim_end_matches('/')))
        .map(str::to_string)
        .collect();
    let setup = Setup {
        dir: &dir,
        site_urls: &site_urls,
        stytch_jwt: Duration::from_secs(args.stytch_jwt_secs),
        workos_token: Duration::from_secs(args.workos_token_secs),
    };
    let mut emulators = Vec::new();
    for (kind, port) in table {
        let started = emulators::start(kind, listen(port).await?, &setup).await?;
        println!(
            "{:<30} {}",
            format!("{} listening on", started.label),
            started.server.url()
        );
        if matches!(kind, Kind::Stytch) {
            println!(
                "  outbox (magic links):  {}/dev/outbox",
                started.server.url()
            );
        }
        env.push_str(&started.env);
        emulators.push(started.server);
    }
    let redis = match args.redis_port {
        Some(port) => {
            let redis = devstack::redis::RedisServer::start(Some(port))
                .await
                .map_err(|e| format!("Redis: {e}"))?;
            println!("{:<30} {}", "Redis listening on", redis.url());
            env.push_str(&format!("REDIS_URL={}\n", redis.url()));
            Some(redis)
        }
        None => None,
    };
    // The app's session secret persists with the rest of the stack, so the app's configuration
    // stays valid across restarts (sessions themselves do not).
    let local_file = dir.join("local.env");
    let local = load_or_generate(&local_file, &[("SESSION_SECRET", &random_secret)])
        .map_err(|e| format!("{}: {e}", local_file.display()))?;
    let session_secret = local.first().map(|(_, v)| v.clone()).unwrap_or_default();
    env.push_str(&format!("SESSION_SECRET={session_secret}\n"));
    let env_file = dir.join("app.env");
    devstack::keys::write_private(&env_file, &env)
        .map_err(|e| format!("{}: {e}", env_file.display()))?;
    // Last: its /health answering means everything above is up and app.env is written.
    let control = devstack::serve::Server::spawn(
        "devstack control",
        devstack::control::router(insforge.clone(), cluster.clone()),
        listen(args.control_port).await?,
    )
    .map_err(|e| e.to_string())?;
    println!("InsForge stand-in listening on {}", insforge.url());
    println!("  PostgreSQL:            {}", pg::redact_url(&database_url));
    println!("  control:               {}", control.url());
    println!("  the app's settings:    {}", env_file.display());
    println!("Ctrl-C stops everything.");
    shutdown_signal().await?;
    println!("Stopping…");
    for server in emulators {
        server.stop().await;
    }
    control.stop().await;
    insforge.down().await;
    if let Some(pg) = cluster {
        pg.stop().await;
    }
    drop(redis);
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
