//! `devstack up`: the local stack for development and end-to-end tests. A persistent
//! PostgreSQL cluster (or the database in `DATABASE_URL`), the InsForge stand-in and the
//! provider emulators (Stytch, WorkOS, and OpenID Connect as Auth0, Kinde, Clerk and a plain
//! issuer), until Ctrl-C or SIGTERM.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use devstack::control::InsForgeSwitch;
use devstack::insforge::Config;
use devstack::keys::{ProjectKeys, load_or_generate, random_secret};
use devstack::oidc::{self, Flavor};
use devstack::pg::{self, Cluster, ClusterOptions};
use devstack::{stytch, workos};
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
            (None, url)
        }
        None => {
            let data_dir = std::path::absolute(dir.join("pgdata")).map_err(|e| e.to_string())?;
            println!(
                "Starting PostgreSQL (data in {}) on 127.0.0.1:{}…",
                data_dir.display(),
                args.pg_port
            );
            let cluster = Cluster::start(ClusterOptions {
                data_dir: Some(data_dir),
                port: Some(args.pg_port),
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
    let insforge =
        InsForgeSwitch::start(config, ([127, 0, 0, 1], args.insforge_port).into()).await?;

    // The Stytch project and the app's session secret persist with the rest of the stack, so
    // the app's configuration stays valid across restarts (sessions themselves do not).
    let local_file = dir.join("local.env");
    let fresh = stytch::Config::generate();
    let local = load_or_generate(
        &local_file,
        &[
            ("STYTCH_PROJECT_ID", &|| fresh.project_id.clone()),
            ("STYTCH_SECRET", &|| fresh.secret.clone()),
            ("SESSION_SECRET", &random_secret),
        ],
    )
    .map_err(|e| format!("{}: {e}", local_file.display()))?;
    let get = |name: &str| {
        local
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let emulator = stytch::Emulator::new(stytch::Config {
        project_id: get("STYTCH_PROJECT_ID"),
        secret: get("STYTCH_SECRET"),
        session_jwt_lifetime: std::time::Duration::from_secs(args.stytch_jwt_secs),
    })
    .map_err(|e| e.to_string())?;
    let stytch_server = emulator
        .serve(listen(args.stytch_port).await?)
        .map_err(|e| e.to_string())?;

    let site_url = args.site_url.trim_end_matches('/');
    let mut env = keys.env_lines(Some(&insforge.url()));
    env.push_str(&format!(
        "STYTCH_API_URL={stytch}\nSTYTCH_PROJECT_ID={project}\nSTYTCH_SECRET={secret}\nSESSION_SECRET={session}\nSITE_URL={site_url}\nAUTH_PROVIDERS={providers}\n",
        stytch = stytch_server.url(),
        project = get("STYTCH_PROJECT_ID"),
        secret = get("STYTCH_SECRET"),
        session = get("SESSION_SECRET"),
        providers = args.providers.trim(),
    ));
    let mut oidc_servers = Vec::new();
    for (i, flavor) in OIDC_FLAVORS.into_iter().enumerate() {
        let port = args.oidc_port + i as u16;
        let (server, lines) = start_oidc(flavor, port, &dir, site_url).await?;
        println!(
            "{:<30} {}",
            format!("{} listening on", flavor_label(flavor)),
            server.url()
        );
        env.push_str(&lines);
        oidc_servers.push(server);
    }
    let (workos_server, lines) =
        start_workos(args.workos_port, args.workos_token_secs, &dir, site_url).await?;
    println!("WorkOS emulator listening on   {}", workos_server.url());
    env.push_str(&lines);
    let env_file = dir.join("app.env");
    devstack::keys::write_private(&env_file, &env)
        .map_err(|e| format!("{}: {e}", env_file.display()))?;
    // Last: its /health answering means everything above is up and app.env is written.
    let control = devstack::serve::Server::spawn(
        "devstack control",
        devstack::control::router(insforge.clone()),
        listen(args.control_port).await?,
    )
    .map_err(|e| e.to_string())?;
    println!("InsForge stand-in listening on {}", insforge.url());
    println!("Stytch emulator listening on   {}", stytch_server.url());
    println!(
        "  outbox (magic links):  {}/dev/outbox",
        stytch_server.url()
    );
    println!("  PostgreSQL:            {}", pg::redact_url(&database_url));
    println!("  control:               {}", control.url());
    println!("  the app's settings:    {}", env_file.display());
    println!("Ctrl-C stops everything.");
    shutdown_signal().await?;
    println!("Stopping…");
    stytch_server.stop().await;
    workos_server.stop().await;
    for server in oidc_servers {
        server.stop().await;
    }
    control.stop().await;
    insforge.down().await;
    drop(cluster);
    Ok(())
}

const OIDC_FLAVORS: [Flavor; 4] = [Flavor::Auth0, Flavor::Kinde, Flavor::Clerk, Flavor::Generic];

fn flavor_label(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::Auth0 => "Auth0 emulator",
        Flavor::Kinde => "Kinde emulator",
        Flavor::Clerk => "Clerk emulator",
        Flavor::Generic => "OIDC emulator (sso)",
    }
}

/// Starts one OpenID Connect emulator with the app registered as its client (credentials
/// kept in `dir`, so the app's settings survive restarts), and returns the app's settings
/// for it, in the variables the app reads.
async fn start_oidc(
    flavor: Flavor,
    port: u16,
    dir: &std::path::Path,
    site_url: &str,
) -> Result<(devstack::serve::Server, String), String> {
    let file = dir.join(format!("{}.env", flavor.name()));
    let fresh = oidc::Config::generate(flavor);
    let (client_id, client_secret) = saved_credentials(
        &file,
        [
            ("CLIENT_ID", fresh.client_id.clone()),
            ("CLIENT_SECRET", fresh.client_secret.clone()),
        ],
    )?;
    let (callback, prefix) = match flavor {
        Flavor::Auth0 => ("/auth/callback", "AUTH0"),
        Flavor::Kinde => ("/api/auth/kinde_callback", "KINDE"),
        Flavor::Clerk => ("/auth/callback/clerk", "CLERK_OAUTH"),
        Flavor::Generic => ("/auth/callback/sso", "OIDC_SSO"),
    };
    let config = oidc::Config {
        client_id: client_id.clone(),
        client_secret: client_secret.clone(),
        redirect_uris: vec![format!("{site_url}{callback}")],
        logout_uris: vec![site_url.to_string(), format!("{site_url}/")],
        ..fresh
    };
    let listener = listen(port).await?;
    let emulator = oidc::Emulator::new(config, &listener).map_err(|e| e.to_string())?;
    let issuer = emulator.issuer();
    let server = emulator.serve(listener).map_err(|e| e.to_string())?;
    let location = match flavor {
        // The variables of the providers' own guides: Auth0 takes its domain, Kinde and
        // Clerk an issuer URL.
        Flavor::Auth0 => format!("AUTH0_DOMAIN={}\n", server.url()),
        Flavor::Kinde => format!("KINDE_ISSUER_URL={issuer}\n"),
        Flavor::Clerk => format!("CLERK_ISSUER_URL={issuer}\n"),
        Flavor::Generic => {
            format!("OIDC_SSO_ISSUER_URL={issuer}\nOIDC_SSO_LABEL=\"Company SSO\"\n")
        }
    };
    let lines = format!(
        "{location}{prefix}_CLIENT_ID={}\n{prefix}_CLIENT_SECRET={}\n",
        client_id.clone(),
        client_secret.clone()
    );
    Ok((server, lines))
}

/// Two credentials kept in `file` (generated the first time), so the app's settings survive
/// restarts of the stack.
fn saved_credentials(
    file: &std::path::Path,
    [(a, fresh_a), (b, fresh_b)]: [(&str, String); 2],
) -> Result<(String, String), String> {
    let saved = load_or_generate(file, &[(a, &|| fresh_a.clone()), (b, &|| fresh_b.clone())])
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let value = |name: &str| {
        saved
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    Ok((value(a), value(b)))
}

/// Starts the WorkOS emulator with the app registered (credentials kept in `dir`), and
/// returns the app's settings for it.
async fn start_workos(
    port: u16,
    token_secs: u64,
    dir: &std::path::Path,
    site_url: &str,
) -> Result<(devstack::serve::Server, String), String> {
    let file = dir.join("workos.env");
    let fresh = workos::Config::generate();
    let (client_id, api_key) = saved_credentials(
        &file,
        [
            ("CLIENT_ID", fresh.client_id.clone()),
            ("API_KEY", fresh.api_key.clone()),
        ],
    )?;
    let config = workos::Config {
        client_id: client_id.clone(),
        api_key: api_key.clone(),
        redirect_uris: vec![format!("{site_url}/callback")],
        logout_uris: vec![site_url.to_string(), format!("{site_url}/")],
        token_lifetime: std::time::Duration::from_secs(token_secs),
    };
    let listener = listen(port).await?;
    let emulator = workos::Emulator::new(config, &listener).map_err(|e| e.to_string())?;
    let server = emulator.serve(listener).map_err(|e| e.to_string())?;
    let lines = format!(
        "WORKOS_API_URL={}\nWORKOS_CLIENT_ID={}\nWORKOS_API_KEY={}\n",
        server.url(),
        client_id.clone(),
        api_key.clone()
    );
    Ok((server, lines))
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
