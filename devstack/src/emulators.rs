//! The provider emulators `devstack up` runs for the app. Each starts on its listener with the
//! app registered as its client (credentials kept in `<name>.env` in the stack's folder, so the
//! app's settings survive restarts) and answers with the app's settings for it, in the
//! variables the app reads.

use std::path::Path;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::keys::load_or_generate;
use crate::oidc::{self, Flavor};
use crate::serve::Server;
use crate::{stytch, workos};

/// Which emulator.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Stytch,
    WorkOs,
    Oidc(Flavor),
}

/// What every emulator is started with.
pub struct Setup<'a> {
    /// The stack's folder, where credentials are kept.
    pub dir: &'a Path,
    /// The app's addresses, without a trailing slash: callbacks and sign-out returns lead
    /// there (the first is `SITE_URL`; the tests run a second instance of the app).
    pub site_urls: &'a [String],
    /// Lifetime of Stytch's session JWTs (Stytch: 5 minutes).
    pub stytch_jwt: Duration,
    /// Lifetime of WorkOS' access tokens (WorkOS: 5 minutes).
    pub workos_token: Duration,
}

/// A running emulator.
pub struct Started {
    /// What the console calls it.
    pub label: &'static str,
    pub server: Server,
    /// The app's settings for it (`NAME=value` lines).
    pub env: String,
}

/// Starts the emulator of `kind` on `listener`.
pub async fn start(
    kind: Kind,
    listener: TcpListener,
    setup: &Setup<'_>,
) -> Result<Started, String> {
    match kind {
        Kind::Stytch => start_stytch(listener, setup),
        Kind::WorkOs => start_workos(listener, setup),
        Kind::Oidc(flavor) => start_oidc(flavor, listener, setup),
    }
}

/// Two credentials kept in `<name>.env` (generated the first time).
fn saved_credentials(
    setup: &Setup<'_>,
    name: &str,
    [(a, fresh_a), (b, fresh_b)]: [(&str, String); 2],
) -> Result<(String, String), String> {
    let file = setup.dir.join(format!("{name}.env"));
    let saved = load_or_generate(&file, &[(a, &|| fresh_a.clone()), (b, &|| fresh_b.clone())])
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

/// A value an older stack kept in `local.env` (Stytch's credentials were there), so a
/// stack made before they moved to `stytch.env` keeps its project.
fn legacy(setup: &Setup<'_>, name: &str) -> Option<String> {
    std::fs::read_to_string(setup.dir.join("local.env"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

fn start_stytch(listener: TcpListener, setup: &Setup<'_>) -> Result<Started, String> {
    let fresh = stytch::Config::generate();
    let (project_id, secret) = saved_credentials(
        setup,
        "stytch",
        [
            (
                "PROJECT_ID",
                legacy(setup, "STYTCH_PROJECT_ID").unwrap_or(fresh.project_id),
            ),
            (
                "SECRET",
                legacy(setup, "STYTCH_SECRET").unwrap_or(fresh.secret),
            ),
        ],
    )?;
    let emulator = stytch::Emulator::new(stytch::Config {
        project_id: project_id.clone(),
        secret: secret.clone(),
        session_jwt_lifetime: setup.stytch_jwt,
    })
    .map_err(|e| e.to_string())?;
    let server = emulator.serve(listener).map_err(|e| e.to_string())?;
    let env = format!(
        "STYTCH_API_URL={}\nSTYTCH_PROJECT_ID={project_id}\nSTYTCH_SECRET={secret}\n",
        server.url()
    );
    Ok(Started {
        label: "Stytch emulator",
        server,
        env,
    })
}

fn start_workos(listener: TcpListener, setup: &Setup<'_>) -> Result<Started, String> {
    let fresh = workos::Config::generate();
    let (client_id, api_key) = saved_credentials(
        setup,
        "workos",
        [
            ("CLIENT_ID", fresh.client.client_id.clone()),
            ("API_KEY", fresh.client.secret.clone()),
        ],
    )?;
    let mut config = fresh;
    config.client.client_id = client_id.clone();
    config.client.secret = api_key.clone();
    register(&mut config.client, setup.site_urls, "/callback");
    config.client.token_lifetime = setup.workos_token;
    let emulator = workos::Emulator::new(config, &listener).map_err(|e| e.to_string())?;
    let server = emulator.serve(listener).map_err(|e| e.to_string())?;
    let env = format!(
        "WORKOS_API_URL={}\nWORKOS_CLIENT_ID={client_id}\nWORKOS_API_KEY={api_key}\n",
        server.url()
    );
    Ok(Started {
        label: "WorkOS emulator",
        server,
        env,
    })
}

fn start_oidc(flavor: Flavor, listener: TcpListener, setup: &Setup<'_>) -> Result<Started, String> {
    let fresh = oidc::Config::generate(flavor);
    let (client_id, client_secret) = saved_credentials(
        setup,
        flavor.name(),
        [
            ("CLIENT_ID", fresh.client.client_id.clone()),
            ("CLIENT_SECRET", fresh.client.secret.clone()),
        ],
    )?;
    // The app's callback and variables for each flavour: those of the providers' own guides
    // (Auth0 takes its domain, Kinde and Clerk an issuer URL), and `sso` for a plain issuer.
    let (label, callback, prefix) = match flavor {
        Flavor::Auth0 => ("Auth0 emulator", "/auth/callback", "AUTH0"),
        Flavor::Kinde => ("Kinde emulator", "/api/auth/kinde_callback", "KINDE"),
        Flavor::Clerk => ("Clerk emulator", "/auth/callback/clerk", "CLERK_OAUTH"),
        Flavor::Generic => ("OIDC emulator (sso)", "/auth/callback/sso", "OIDC_SSO"),
    };
    let mut config = fresh;
    config.client.client_id = client_id.clone();
    config.client.secret = client_secret.clone();
    register(&mut config.client, setup.site_urls, callback);
    let emulator = oidc::Emulator::new(config, &listener).map_err(|e| e.to_string())?;
    let issuer = emulator.issuer();
    let server = emulator.serve(listener).map_err(|e| e.to_string())?;
    let location = match flavor {
        Flavor::Auth0 => format!("AUTH0_DOMAIN={}\n", server.url()),
        Flavor::Kinde => format!("KINDE_ISSUER_URL={issuer}\n"),
        Flavor::Clerk => format!("CLERK_ISSUER_URL={issuer}\n"),
        Flavor::Generic => {
            format!("OIDC_SSO_ISSUER_URL={issuer}\nOIDC_SSO_LABEL=\"Company SSO\"\n")
        }
    };
    let env = format!(
        "{location}{prefix}_CLIENT_ID={client_id}\n{prefix}_CLIENT_SECRET={client_secret}\n"
    );
    Ok(Started { label, server, env })
}

/// Registers the app at each of its addresses: the callback, and sign-out returns to the site
/// (with and without the trailing slash).
fn register(client: &mut crate::hosted::Registration, site_urls: &[String], callback: &str) {
    client.redirect_uris = site_urls
        .iter()
        .map(|site| format!("{site}{callback}"))
        .collect();
    client.logout_uris = site_urls
        .iter()
        .flat_map(|site| [site.clone(), format!("{site}/")])
        .collect();
}
