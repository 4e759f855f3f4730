//! A private PostgreSQL cluster from the system's binaries, set up the way InsForge sets its
//! database up. Throwaway clusters (tests) live in a temporary directory and vanish with their
//! process; persistent ones (the dev stack) keep their data directory between runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use nix::unistd::{Uid, User, chown};

use crate::process::{Child, free_port, run_as_user, spawn_tied};

const ROLES_SQL: &str = include_str!("bootstrap_roles.sql");
const DATABASE_SQL: &str = include_str!("bootstrap_database.sql");
const TEMPLATE_DB: &str = "insforge_template";
const THROWAWAY_PREFIX: &str = "devstack-pg-";

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error(
        "PostgreSQL server binaries not found (looked for initdb in $PG_BIN_DIR and \
         /usr/lib/postgresql/*/bin); install them with `apt-get install postgresql`"
    )]
    BinariesNotFound,
    #[error(
        "running as root, but there is no unprivileged user (`postgres` or `nobody`) to run PostgreSQL as"
    )]
    NoUnprivilegedUser,
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} failed; its output:\n{log}")]
    Command { what: String, log: String },
    #[error("PostgreSQL did not accept connections within {0:?}; its log:\n{1}")]
    NotReady(Duration, String),
    #[error("database setup: {0}")]
    Sql(#[from] tokio_postgres::Error),
    #[error("{0}")]
    Other(String),
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> PgError {
    let what = what.into();
    move |source| PgError::Io { what, source }
}

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

/// A connection string (URL or `key=value` form) with another user and password.
fn with_user(url: &str, user: &str, password: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        // In the key=value form the last value of a key wins.
        return format!("{url} user={user} password={password}");
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let host = match rest[..authority_end].rfind('@') {
        Some(at) => &rest[at + 1..authority_end],
        None => &rest[..authority_end],
    };
    // A `user` or `password` in the query would override the ones given here.
    let tail = &rest[authority_end..];
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    let query: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("user=") && !p.starts_with("password="))
        .collect();
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{}", query.join("&"))
    };
    format!(
        "{}{user}:{password}@{host}{path}{query}",
        &url[..scheme_end]
    )
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

/// A connection URL fit to print: any password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].find(':') {
            Some(colon) => format!(
                "{}{}:***{}",
                &url[..scheme_end],
                &rest[..colon],
                &rest[at..]
            ),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

pub fn quote_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// `$PG_BIN_DIR`, else the newest `/usr/lib/postgresql/<major>/bin` that has `initdb`
/// (Debian keeps server binaries off PATH).
fn find_bin_dir() -> Result<PathBuf, PgError> {
    if let Some(dir) = std::env::var_os("PG_BIN_DIR") {
        let dir = PathBuf::from(dir);
        return if dir.join("initdb").exists() {
            Ok(dir)
        } else {
            Err(PgError::BinariesNotFound)
        };
    }
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((major, bin))
        })
        .collect();
    candidates.sort();
    candidates
        .pop()
        .map(|(_, bin)| bin)
        .ok_or(PgError::BinariesNotFound)
}

/// PostgreSQL refuses to run as root, and sessions and CI run as root.
fn unprivileged_user() -> Result<Option<User>, PgError> {
    if !Uid::effective().is_root() {
        return Ok(None);
    }
    for name in ["postgres", "nobody"] {
        if let Ok(Some(user)) = User::from_name(name) {
            return Ok(Some(user));
        }
    }
    Err(PgError::NoUnprivilegedUser)
}

/// PostgreSQL, running as `user`, must be able to walk down to its data directory; a parent
/// closed to other users (such as `/root`, mode 700) would make it fail with an obscure log.
fn check_reachable(dir: &Path, user: &User) -> Result<(), PgError> {
    use std::os::unix::fs::MetadataExt;
    for ancestor in dir.ancestors().skip(1) {
        let Ok(meta) = std::fs::metadata(ancestor) else {
            continue;
        };
        let open_to_user = meta.mode() & 0o001 != 0
            || (meta.uid() == user.uid.as_raw() && meta.mode() & 0o100 != 0)
            || (meta.gid() == user.gid.as_raw() && meta.mode() & 0o010 != 0);
        if !open_to_user {
            return Err(PgError::Other(format!(
                "PostgreSQL runs as the `{}` user, which may not be able to enter {}; put the data \
                 directory elsewhere (devstack up --dir /var/tmp/insforge-devstack, or TMPDIR for tests)",
                user.name,
                ancestor.display()
            )));
        }
    }
    Ok(())
}

fn init_data_dir(
    bin: &Path,
    dir: &Path,
    run_as: Option<&User>,
    throwaway: bool,
) -> Result<(), PgError> {
    std::fs::create_dir_all(dir).map_err(io(format!("create {}", dir.display())))?;
    if let Some(user) = run_as {
        chown(dir, Some(user.uid), Some(user.gid)).map_err(|e| PgError::Io {
            what: format!("chown {} to {}", dir.display(), user.name),
            source: e.into(),
        })?;
    }
    let mut cmd = Command::new(bin.join("initdb"));
    cmd.arg("-D").arg(dir).args([
        "-U",
        "postgres",
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
    ]);
    if throwaway {
        cmd.arg("--no-sync");
    }
    run_as_user(&mut cmd, run_as);
    let out = cmd.output().map_err(io("run initdb"))?;
    if !out.status.success() {
        // A likely cause worth naming, but only as a hint: groups and ACLs may say otherwise.
        let hint = run_as
            .and_then(|user| check_reachable(dir, user).err())
            .map(|e| format!("\nhint: {e}"))
            .unwrap_or_default();
        return Err(PgError::Command {
            what: format!("initdb -D {}", dir.display()),
            log: format!(
                "{}{}{hint}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        });
    }
    Ok(())
}

/// Throwaway clusters of processes that died without cleaning up (a killed test run, say) leave
/// their directories behind; their servers are gone thanks to the parent-death signal.
fn sweep_stale_throwaways() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(THROWAWAY_PREFIX)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_the_user() {
        assert_eq!(
            with_user("postgres://postgres@127.0.0.1:5432/db", "g", "pw"),
            "postgres://g:pw@127.0.0.1:5432/db"
        );
        assert_eq!(
            with_user("postgresql://a:b@h/db?sslmode=disable", "g", "pw"),
            "postgresql://g:pw@h/db?sslmode=disable"
        );
        assert_eq!(
            with_user(
                "postgres://h/db?user=admin&sslmode=disable&password=x",
                "g",
                "pw"
            ),
            "postgres://g:pw@h/db?sslmode=disable"
        );
        assert_eq!(
            with_user("host=h user=a dbname=db", "g", "pw"),
            "host=h user=a dbname=db user=g password=pw"
        );
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://u:p@w@h:5/db"),
            "postgres://u:***@h:5/db"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1:1/db"),
            "postgres://postgres@127.0.0.1:1/db"
        );
        assert_eq!(redact_url("postgres://h/db?x=a@b"), "postgres://h/db?x=a@b");
    }

    #[test]
    fn quotes_identifiers() {
        assert_eq!(quote_ident("todos"), "\"todos\"");
        assert_eq!(
            quote_ident("a\"; drop table x; --"),
            "\"a\"\"; drop table x; --\""
        );
    }
}
