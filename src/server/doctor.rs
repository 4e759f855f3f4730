//! `insforge-auth doctor`: a configuration checked against the services it names, before going
//! live: the settings themselves, InsForge reachable, the JWT secret accepted (a harmless read
//! with a token minted here), the migrations applied, each provider's discovery and keys; and
//! the URLs to register at each provider. Each finding says what is wrong and how to fix it.

use std::path::Path;

use super::config::{ConfigError, Source, admin_api_key};
use super::insforge::InsForgeError;
use super::migrate::{self, Migrator};
use super::provider::ProviderError;
use super::state::{Services, WebConfig};

/// How long a provider may take to show its discovery and keys.
const PROVIDER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// One thing checked: `problem` and `fix` when it is wrong.
#[derive(Debug)]
pub struct Finding {
    pub what: String,
    pub problem: Option<String>,
    pub fix: String,
}

impl Finding {
    fn ok(what: impl Into<String>) -> Self {
        Finding {
            what: what.into(),
            problem: None,
            fix: String::new(),
        }
    }

    fn wrong(what: impl Into<String>, problem: impl Into<String>, fix: impl Into<String>) -> Self {
        Finding {
            what: what.into(),
            problem: Some(problem.into()),
            fix: fix.into(),
        }
    }
}

/// What a person checking the configuration is told.
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// URLs to register at the providers (their dashboards refuse others).
    pub to_register: Vec<String>,
}

impl Report {
    pub fn healthy(&self) -> bool {
        self.findings.iter().all(|f| f.problem.is_none())
    }
}

/// Checks the configuration in `src` against the services it names; `migrations` is the
/// folder of the migrations this release expects.
pub async fn examine(src: &impl Source, migrations: &Path) -> Report {
    let mut report = Report::default();
    let config = match WebConfig::from_source(src) {
        Ok(config) => config,
        Err(e) => {
            report.findings.push(Finding::wrong(
                "settings",
                e.to_string(),
                "set it in the environment or in .env (every variable: .env.example)",
            ));
            return report;
        }
    };
    let services = match Services::new(&config) {
        Ok(services) => services,
        Err(e) => {
            report
                .findings
                .push(Finding::wrong("settings", e, "see .env.example"));
            return report;
        }
    };
    report.findings.push(Finding::ok("settings"));
    report.findings.push(insforge(&services, &config).await);
    report
        .findings
        .push(applied(src, &config, migrations).await);
    for provider in services.providers.all() {
        let what = format!("{}: discovery and signing keys", provider.name());
        let ready = tokio::time::timeout(PROVIDER_TIMEOUT, provider.ready()).await;
        report.findings.push(
            match ready.unwrap_or_else(|_| {
                Err(ProviderError::Unavailable(format!(
                    "no answer within {PROVIDER_TIMEOUT:?}"
                )))
            }) {
                Ok(()) => Finding::ok(what),
                Err(e) => Finding::wrong(
                    what,
                    e.to_string(),
                    format!(
                        "check the {} settings (README and .env.example) and that this machine \
                     reaches it",
                        provider.name()
                    ),
                ),
            },
        );
        if let Some(callback) = provider.callback_url() {
            report.to_register.push(format!(
                "{}: allowed callback (redirect) URL {callback}, allowed sign-out URL {}",
                provider.label(),
                services.logout_return
            ));
        } else {
            report.to_register.push(format!(
                "{}: redirect URL (Login and Sign-up) {}",
                provider.label(),
                services.magic_link_url
            ));
        }
    }
    report
}

/// InsForge answers, and takes the tokens minted with the configured secret.
async fn insforge(services: &Services, config: &WebConfig) -> Finding {
    let what = format!("InsForge at {}", config.insforge.url);
    match super::ready::insforge(services).await {
        Ok(()) => Finding::ok(format!("{what}: reachable, and it accepts our tokens")),
        Err(e @ InsForgeError::Unauthorized(_)) => Finding::wrong(
            what,
            e.to_string(),
            "set INSFORGE_JWT_SECRET to the project's JWT secret (its dashboard's settings)",
        ),
        Err(e @ InsForgeError::Unavailable(_)) => Finding::wrong(
            what,
            e.to_string(),
            "check INSFORGE_URL (the project's URL, such as https://<app>.us-east.insforge.app) \
             and that this machine reaches it",
        ),
        Err(e) => Finding::wrong(
            what,
            e.to_string(),
            "if the todos table is missing, apply the migrations: insforge-auth migrate",
        ),
    }
}

/// The migrations this release expects, against those the project has (with the admin key;
/// without it, said to be not checked).
async fn applied(src: &impl Source, config: &WebConfig, dir: &Path) -> Finding {
    let what = "migrations";
    let key = match admin_api_key(src) {
        Ok(key) => key,
        Err(ConfigError::Missing { .. }) => {
            return Finding::ok(format!(
                "{what}: not checked (set INSFORGE_API_KEY to compare them with {})",
                dir.display()
            ));
        }
        Err(e) => return Finding::wrong(what, e.to_string(), "see .env.example"),
    };
    let files = match migrate::read_dir(dir) {
        Ok(files) => files,
        Err(e) => {
            return Finding::wrong(
                what,
                e.to_string(),
                "run the doctor where the release's migrations/ folder is (or pass --migrations)",
            );
        }
    };
    let have = match Migrator::new(&config.insforge.url, key) {
        Ok(migrator) => migrator.applied().await,
        Err(e) => Err(e),
    };
    match have {
        Ok(have) => {
            let missing: Vec<String> = files
                .iter()
                .filter(|f| !have.iter().any(|a| a.version == f.version))
                .map(|f| format!("{}_{}", f.version, f.name))
                .collect();
            if missing.is_empty() {
                Finding::ok(format!("{what}: all {} applied", files.len()))
            } else {
                Finding::wrong(
                    what,
                    format!("not applied: {}", missing.join(", ")),
                    "run insforge-auth migrate (with INSFORGE_API_KEY)",
                )
            }
        }
        Err(e) => Finding::wrong(
            what,
            e.to_string(),
            "check INSFORGE_API_KEY (the project's admin key, ik_…)",
        ),
    }
}
