//! One local stack per test process: a throwaway PostgreSQL cluster and InsForge stand-ins
//! running on a runtime of their own, so they outlive each `#[tokio::test]`'s runtime.
//! Tests isolate themselves by user (a fresh `sub` each) or ask for a fresh project database.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

use crate::insforge::{Config, Server};
use crate::keys::ProjectKeys;
use crate::pg::{Cluster, ClusterOptions};

/// A stand-in InsForge project: its URL and secrets, and the database behind it.
#[derive(Debug, Clone)]
pub struct Project {
    pub url: String,
    pub keys: ProjectKeys,
    pub database_url: String,
}

pub struct TestStack {
    handle: Handle,
    cluster: Arc<Cluster>,
    /// The project every test shares.
    pub project: Project,
}

static STACK: OnceLock<Result<TestStack, String>> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(1);

/// The process-wide stack, started on first use. Panics with the reason if it cannot start
/// (tests cannot run without it, and the message says what to install).
pub fn shared() -> &'static TestStack {
    match STACK.get_or_init(start) {
        Ok(stack) => stack,
        Err(e) => panic!("the local stack did not start: {e}"),
    }
}

fn start() -> Result<TestStack, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("devstack".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                    return;
                }
            };
            runtime.block_on(async move {
                let cluster = match Cluster::start(ClusterOptions {
                    data_dir: None,
                    port: None,
                })
                .await
                {
                    Ok(c) => Arc::new(c),
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                        return;
                    }
                };
                match new_project(&cluster, "insforge").await {
                    Ok(project) => {
                        let stack = TestStack {
                            handle: Handle::current(),
                            cluster: cluster.clone(),
                            project,
                        };
                        let _ = tx.send(Ok(stack));
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
                // Keep the runtime, and with it every stand-in spawned on it, for the whole
                // process; the cluster goes down with the process (parent-death signal).
                std::future::pending::<()>().await;
            });
        })
        .map_err(|e| e.to_string())?;
    rx.recv().map_err(|e| e.to_string())?
}

async fn new_project(cluster: &Cluster, database: &str) -> Result<Project, String> {
    cluster
        .create_database(database)
        .await
        .map_err(|e| e.to_string())?;
    serve_project(cluster.url(database)).await
}

async fn serve_project(database_url: String) -> Result<Project, String> {
    let keys = ProjectKeys::generate();
    let config = Config {
        database_url: crate::pg::gateway_url(&database_url)
            .await
            .map_err(|e| e.to_string())?,
        jwt_secret: keys.jwt_secret.clone(),
        api_key: keys.api_key.clone(),
        anon_key: keys.anon_key.clone(),
    };
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let server = Server::start(&config, listener)
        .await
        .map_err(|e| e.to_string())?;
    let url = server.url();
    // Lives as long as the runtime, i.e. the process.
    std::mem::forget(server);
    Ok(Project {
        url,
        keys,
        database_url,
    })
}

impl TestStack {
    /// A new, empty project (its own database and stand-in), for tests that need a database
    /// nobody else has touched, such as migrations from scratch.
    pub async fn fresh_project(&self) -> Project {
        let n = NEXT_DB.fetch_add(1, Ordering::Relaxed);
        let cluster = self.cluster.clone();
        let (tx, rx) = oneshot::channel();
        self.handle.spawn(async move {
            let _ = tx.send(new_project(&cluster, &format!("project_{n}")).await);
        });
        match rx.await {
            Ok(Ok(project)) => project,
            Ok(Err(e)) => panic!("fresh project: {e}"),
            Err(e) => panic!("fresh project: {e}"),
        }
    }
}
