//! The server binary. `insforge-auth migrate` applies `migrations/` to the configured project.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use insforge_auth::server::config::{self, Env};
use insforge_auth::server::migrate::{self, Migrator};

#[derive(Parser)]
#[command(
    version,
    about = "Sign in with a hosted auth provider, keep your data in InsForge"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply the migrations InsForge has not applied yet (needs INSFORGE_URL and INSFORGE_API_KEY).
    Migrate {
        #[arg(long, default_value = "migrations")]
        dir: PathBuf,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = config::load_dotenv() {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let result = match Cli::parse().command {
        Command::Migrate { dir } => run_migrate(&dir).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run_migrate(dir: &std::path::Path) -> Result<(), String> {
    let url = config::insforge_url(&Env).map_err(|e| e.to_string())?;
    let api_key = config::admin_api_key(&Env).map_err(|e| e.to_string())?;
    let files = migrate::read_dir(dir).map_err(|e| e.to_string())?;
    let migrator = Migrator::new(&url, api_key).map_err(|e| e.to_string())?;
    println!(
        "Migrating {url} from {} ({} files)",
        dir.display(),
        files.len()
    );
    let applied = migrator
        .run(&files, |file| {
            println!("  applied {}_{}", file.version, file.name)
        })
        .await
        .map_err(|e| e.to_string())?;
    if applied == 0 {
        println!("Up to date: nothing to apply.");
    } else {
        println!("Applied {applied} migration(s).");
    }
    Ok(())
}
