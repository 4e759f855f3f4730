//! A private PostgreSQL cluster from the system's binaries, set up the way InsForge sets its
//! database up. Throwaway clusters (tests) live in a temporary directory and vanish with their
//! process; persistent ones (the dev stack) keep their data directory between runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use nix::unistd::chown;

use crate::process::{Child, free_port, spawn_tied};

mod error;
mod host;
mod url;

pub use error::PgError;
use error::io;
use host::{
    THROWAWAY_PREFIX, find_bin_dir, init_data_dir, sweep_stale_throwaways, unprivileged_user,
};
pub use url::redact_url;
use url::with_user;

const ROLES_SQL: &str = include_str!("bootstrap_roles.sql");
const DATABASE_SQL: &str = include_str!("bootstrap_database.sql");
const TEMPLATE_DB: &str = "insforge_template";

/// How to start a cluster.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// `None`: a throwaway cluster in a fresh temporary directory, removed on stop.
    pub data_dir: Option<PathBuf>,
    /// `None`: any free loopback port.
    pub port: Option<u16>,
}

/// A running cluster. Stopping (or dropping) it shuts PostgreSQL down; if this process dies
/// first, the kernel signals PostgreSQL through `PR_SET_PDEATHSIG`, so no server outlives it.
#[derive(Debug)]
pub struct Cluster {
    data_dir: PathBuf,
    port: u16,
    throwaway: bool,
    server: Child,
}

impl Cluster {
    pub async fn start(options: ClusterOptions) -> Result<Cluster, PgError> {
        // A free port found by binding and releasing it can be taken by someone else before
        // PostgreSQL binds it: then try again with another. A fixed port may still be held by
        // the server of a stack that is stopping: then wait for it, for up to ten seconds.
        let attempts = if options.port.is_none() { 3 } else { 20 };
        let mut attempt = 1;
        let cluster = loop {
            let opts = options.clone();
            let cluster = tokio::task::spawn_blocking(move || Self::start_blocking(opts))
                .await
                .map_err(|e| PgError::Other(format!("cluster start task: {e}")))??;
            match cluster.wait_ready().await {
                Ok(()) => break cluster,
                Err(PgError::NotReady(_, log))
                    if attempt < attempts && log.contains("could not bind") =>
                {
                    attempt += 1;
                    if options.port.is_some() {
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
                Err(e) => return Err(e),
            }
        };
        cluster.bootstrap().await?;
        Ok(cluster)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Connection URL for a database of this cluster, as the superuser.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates a database set up like an InsForge project's (from the bootstrapped template).
    /// Does nothing if it exists.
    pub async fn create_database(&self, name: &str) -> Result<(), PgError> {
        let client = connect(&self.url("postgres")).await?;
        let exists = client
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
            .await?
            .is_some();
        if !exists {
            client
                .batch_execute(&format!(
                    "CREATE DATABASE {} TEMPLATE {TEMPLATE_DB}",
                    quote_ident(name)
                ))
                .await?;
        }
        Ok(())
    }

    fn start_blocking(options: ClusterOptions) -> Result<Cluster, PgError> {
        let bin = find_bin_dir()?;
        let run_as = unprivileged_user()?;
        let throwaway = options.data_dir.is_none();
        let data_dir = match options.data_dir {
            Some(dir) => dir,
            None => {
                sweep_stale_throwaways();
                std::env::temp_dir().join(format!(
                    "{THROWAWAY_PREFIX}{}-{:08x}",
                    std::process::id(),
                    rand::random::<u32>()
                ))
            }
        };
        if !data_dir.join("PG_VERSION").exists() {
            init_data_dir(&bin, &data_dir, run_as.as_ref(), throwaway)?;
        }
        let port = match options.port {
            Some(port) => port,
            None => free_port().map_err(io("find a free port"))?,
        };
        let log_path = data_dir.join("server.log");
        let log = std::fs::File::create(&log_path).map_err(io("create server.log"))?;
        if let Some(user) = &run_as {
            chown(&log_path, Some(user.uid), Some(user.gid)).map_err(|e| PgError::Io {
                what: "chown server.log".into(),
                source: e.into(),
            })?;
        }
        let mut cmd = Command::new(bin.join("postgres"));
        cmd.arg("-D")
            .arg(&data_dir)
            .args(["-p", &port.to_string(), "-h", "127.0.0.1", "-k", ""])
            // InsForge's image runs in UTC; JSON timestamps depend on it.
            .args(["-c", "timezone=UTC", "-c", "log_timezone=UTC"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(io("server.log"))?)
            .stderr(log);
        if throwaway {
            // Durability is pointless for a cluster that is deleted afterwards.
            cmd.args([
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]);
        }
        spawn_tied(
            cmd,
            run_as.as_ref(),
            if throwaway {
                Signal::SIGQUIT
            } else {
                Signal::SIGINT
            },
        )
        .map(|server| Cluster {
            data_dir,
            port,
            throwaway,
            server,
        })
        .map_err(io("start postgres"))
    }

    async fn wait_ready(&self) -> Result<(), PgError> {
        let limit = Duration::from_secs(60);
        let started = Instant::now();
        loop {
            // Ours, not a server still holding the port: it names our data directory.
            if let Ok(client) = connect(&self.url("postgres")).await
                && let Ok(row) = client
                    .query_one("SELECT current_setting('data_directory')", &[])
                    .await
                && std::path::Path::new(&row.get::<_, String>(0)) == self.data_dir
            {
                return Ok(());
            }
            if self.server.has_exited() || started.elapsed() > limit {
                let log =
                    std::fs::read_to_string(self.data_dir.join("server.log")).unwrap_or_default();
                return Err(PgError::NotReady(started.elapsed(), log));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn bootstrap(&self) -> Result<(), PgError> {
        let admin = connect(&self.url("postgres")).await?;
        admin.batch_execute(ROLES_SQL).await?;
        let has_template = admin
            .query_opt(
                "SELECT 1 FROM pg_database WHERE datname = $1",
                &[&TEMPLATE_DB],
            )
            .await?
            .is_some();
        if !has_template {
            admin
                .batch_execute(&format!("CREATE DATABASE {TEMPLATE_DB}"))
                .await?;
            bootstrap_database(&self.url(TEMPLATE_DB)).await?;
            admin
                .batch_execute(&format!("ALTER DATABASE {TEMPLATE_DB} IS_TEMPLATE true"))
                .await?;
        }
        Ok(())
    }

    /// Shuts the server down and waits for it; a throwaway cluster's directory is removed.
    pub fn stop(&mut self) {
        // SIGINT is a fast shutdown (open transactions rolled back, then a clean checkpoint);
        // SIGQUIT and SIGKILL only if that hangs.
        let stopped = self.server.stop(&[
            (Signal::SIGINT, Duration::from_secs(30)),
            (Signal::SIGQUIT, Duration::from_secs(5)),
            (Signal::SIGKILL, Duration::from_secs(5)),
        ]);
        // Never delete the files of a server that might still be running.
        if self.throwaway && stopped {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sets up an existing database the way InsForge sets up its own (roles, grants, `auth` and
/// `system` schemas). Idempotent, so it can run against a database given by `DATABASE_URL`.
pub async fn bootstrap_database(url: &str) -> Result<(), PgError> {
    let client = connect(url).await?;
    client.batch_execute(ROLES_SQL).await?;
    client.batch_execute(DATABASE_SQL).await?;
    Ok(())
}

/// The role the InsForge stand-in logs in as (see `bootstrap_roles.sql`).
pub const GATEWAY_ROLE: &str = "insforge_gateway";

/// `admin_url` with the stand-in's role in place of its user. The role's password is set
/// here, once per process (every stand-in of this process shares it), so the URL works on a
/// server that asks for passwords as well as on the local cluster, which trusts its clients.
pub async fn gateway_url(admin_url: &str) -> Result<String, PgError> {
    static PASSWORD: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    let password = PASSWORD
        .get_or_try_init(|| async {
            let password = crate::keys::random_token(24);
            connect(admin_url)
                .await?
                .batch_execute(&format!("ALTER ROLE {GATEWAY_ROLE} PASSWORD '{password}'"))
                .await?;
            Ok::<_, PgError>(password)
        })
        .await?;
    Ok(with_user(admin_url, GATEWAY_ROLE, password))
}

pub async fn connect(url: &str) -> Result<tokio_postgres::Client, PgError> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!("postgres connection closed: {e}");
        }
    });
    Ok(client)
}

pub fn quote_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_identifiers() {
        assert_eq!(quote_ident("todos"), "\"todos\"");
        assert_eq!(
            quote_ident("a\"; drop table x; --"),
            "\"a\"\"; drop table x; --\""
        );
    }
}
