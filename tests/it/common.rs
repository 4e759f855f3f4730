//! Shared by the integration tests: the process-wide local stack with the project's migrations
//! applied (through the real `migrate` code and InsForge's migrations API), and helpers to act
//! as a user.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use devstack::testing::{self, Project};
use insforge_auth::server::config::{self, Secret};
use insforge_auth::server::insforge::{ClientOptions, InsForgeClient};
use insforge_auth::server::migrate::{self, Migrator};
use insforge_auth::server::token::TokenMinter;

static MIGRATED: OnceLock<Result<(), String>> = OnceLock::new();

pub fn migrations_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
}

/// Applies `migrations/` to a project with the app's own migrator; returns how many it applied.
pub async fn migrate(project: &Project) -> Result<usize, migrate::MigrateError> {
    let files = migrate::read_dir(migrations_dir())?;
    let url = config::parse_base_url(&project.url).expect("stand-in URL");
    let migrator = Migrator::new(&url, Secret::new(&project.keys.api_key)).expect("migrator");
    migrator.run(&files, |_| {}).await
}

/// The shared project, migrated once per test process.
pub fn project() -> &'static Project {
    let project = &testing::shared().project;
    let migrated = MIGRATED.get_or_init(|| {
        // Blocking here is fine: each test runs on its own runtime, and this runs on a fresh thread.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            rt.block_on(migrate(project))
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .join()
        .map_err(|_| "migration thread panicked".to_string())
        .and_then(|r| r)
    });
    if let Err(e) = migrated {
        panic!("migrating the test project failed: {e}");
    }
    project
}

pub fn client(project: &Project) -> InsForgeClient {
    let url = config::parse_base_url(&project.url).expect("stand-in URL");
    InsForgeClient::new(&url, ClientOptions::default()).expect("client")
}

pub fn minter(project: &Project) -> TokenMinter {
    TokenMinter::new(
        &Secret::new(&project.keys.jwt_secret),
        Duration::from_secs(600),
    )
    .expect("minter")
}

/// A new user id in the shape Stytch's test users have; unique per call.
pub fn new_user() -> String {
    format!("user-test-{}", uuid::Uuid::new_v4())
}

pub fn token_for(project: &Project, sub: &str) -> String {
    minter(project)
        .mint(sub, Some(&format!("{sub}@example.com")))
        .expect("token")
}

pub fn records_url(project: &Project, table: &str) -> String {
    format!("{}/api/database/records/{table}", project.url)
}

pub fn http() -> reqwest::Client {
    reqwest::Client::new()
}

/// Sends a request and returns its status and body: JSON when it parses, else the text as a
/// JSON string.
pub async fn send(request: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}
