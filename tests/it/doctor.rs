//! `insforge-auth doctor`, the real binary, against the local stack: a good configuration
//! passes and lists the URLs to register; a wrong JWT secret, migrations not applied and an
//! unreachable provider each fail with what to fix; a missing setting is named.

use devstack::stytch::{Config, Emulator};
use devstack::testing::Project;

use crate::hosted::listener;

/// The doctor's output and whether it passed, for `project` with `vars` over the basics.
async fn doctor(
    project: &Project,
    config: &Config,
    stytch: &str,
    vars: &[(&str, String)],
) -> (bool, String) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_insforge-auth"));
    command
        .arg("doctor")
        .arg("--migrations")
        .arg(crate::common::migrations_dir())
        .env_clear()
        .env("SITE_URL", "http://127.0.0.1:3999")
        .env("SESSION_SECRET", "s".repeat(40))
        .env("INSFORGE_URL", &project.url)
        .env("INSFORGE_JWT_SECRET", &project.keys.jwt_secret)
        .env("INSFORGE_API_KEY", &project.keys.api_key)
        .env("STYTCH_PROJECT_ID", &config.project_id)
        .env("STYTCH_SECRET", &config.secret)
        .env("STYTCH_API_URL", stytch)
        // Not the project's folder: a developer's .env there must not change the settings.
        .current_dir(std::env::temp_dir());
    for (name, value) in vars {
        command.env(name, value);
    }
    let out = command.output().await.expect("doctor");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn a_good_configuration_passes_and_lists_what_to_register() {
    let config = Config::generate();
    let stytch = Emulator::new(config.clone()).expect("keys");
    let server = stytch.serve(listener().await).expect("serve");
    let (passed, text) = doctor(crate::common::project(), &config, &server.url(), &[]).await;
    assert!(passed, "{text}");
    assert!(text.contains("ok    InsForge at"), "{text}");
    let files = insforge_auth::server::migrate::read_dir(crate::common::migrations_dir())
        .expect("migrations");
    let all = format!("ok    migrations: all {} applied", files.len());
    assert!(text.contains(&all), "{text}");
    assert!(
        text.contains("ok    stytch: discovery and signing keys"),
        "{text}"
    );
    assert!(
        text.contains("redirect URL (Login and Sign-up) http://127.0.0.1:3999/authenticate"),
        "{text}"
    );
}

#[tokio::test]
async fn each_problem_is_named_with_its_fix() {
    let fresh = devstack::testing::shared().fresh_project().await;
    let wrong = [("INSFORGE_JWT_SECRET", "w".repeat(40))];
    let config = Config::generate();
    let (passed, text) = doctor(&fresh, &config, "http://127.0.0.1:9", &wrong).await;
    assert!(!passed, "{text}");
    assert!(text.contains("FAIL  InsForge at"), "{text}");
    assert!(text.contains("fix: set INSFORGE_JWT_SECRET"), "{text}");
    assert!(
        text.contains("FAIL  migrations: not applied: 0001_"),
        "{text}"
    );
    assert!(text.contains("fix: run insforge-auth migrate"), "{text}");
    assert!(text.contains("FAIL  stytch"), "{text}");

    let unset = [("SITE_URL", String::new())];
    let (passed, text) = doctor(&fresh, &config, "http://127.0.0.1:9", &unset).await;
    assert!(!passed, "{text}");
    assert!(
        text.contains("FAIL  settings: SITE_URL is not set"),
        "{text}"
    );
}
