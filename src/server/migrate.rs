//! `migrate`: applies the files in `migrations/` that the project has not applied yet, through
//! InsForge's migrations API with the admin key. The same code runs against real InsForge and
//! the local stand-in.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use super::config::Secret;
use super::insforge::{InsForgeError, http_client, json};

/// `NNNN_name.sql`: the digits are InsForge's `version`, the rest its `name`.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationFile {
    pub version: String,
    pub name: String,
    pub path: PathBuf,
    pub sql: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AppliedMigration {
    pub version: String,
    pub name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{file}: a migration file is named <digits>_<name>.sql, the name in lowercase letters, digits and hyphens (like 0003_add-due-dates.sql)"
    )]
    BadName { file: String },
    #[error("{first} and {second} have the same version")]
    DuplicateVersion { first: String, second: String },
    #[error(
        "{file} is not applied, but the project already has the newer migration {latest}; InsForge only accepts versions newer than the latest, so give it a version above {latest}"
    )]
    OutOfOrder { file: String, latest: String },
    #[error("InsForge refused {file}: {source}")]
    Apply { file: String, source: InsForgeError },
    #[error("could not list the project's migrations: {0}")]
    List(InsForgeError),
}

/// Numeric order of digit strings of any length (`"0002"` after `"1"`), as InsForge's `BigInt`.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The migration files in `dir`, in version order.
pub fn read_dir(dir: &Path) -> Result<Vec<MigrationFile>, MigrateError> {
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| MigrateError::Read { path, source }
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err(dir))? {
        let path = entry.map_err(read_err(dir))?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("sql") {
            continue;
        }
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let stem = file.trim_end_matches(".sql");
        let Some((version, name)) = stem.split_once('_') else {
            return Err(MigrateError::BadName { file });
        };
        let valid = !version.is_empty()
            && version.len() <= 64
            && version.bytes().all(|b| b.is_ascii_digit())
            && !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(MigrateError::BadName { file });
        }
        let sql = std::fs::read_to_string(&path).map_err(read_err(&path))?;
        files.push(MigrationFile {
            version: version.into(),
            name: name.into(),
            path,
            sql,
        });
    }
    files.sort_by(|a, b| compare_versions(&a.version, &b.version));
    for pair in files.windows(2) {
        if compare_versions(&pair[0].version, &pair[1].version) == Ordering::Equal {
            return Err(MigrateError::DuplicateVersion {
                first: file_name(&pair[0]),
                second: file_name(&pair[1]),
            });
        }
    }
    Ok(files)
}

fn file_name(f: &MigrationFile) -> String {
    f.path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string()
}

#[derive(Serialize)]
struct CreateMigration<'a> {
    version: &'a str,
    name: &'a str,
    sql: &'a str,
}

#[derive(Deserialize)]
struct MigrationList {
    migrations: Vec<AppliedMigration>,
}

pub struct Migrator {
    http: reqwest::Client,
    endpoint: Url,
    api_key: Secret,
}

impl Migrator {
    pub fn new(base: &Url, api_key: Secret) -> Result<Self, InsForgeError> {
        // Migrations may build indexes: give them time.
        let http = http_client(Duration::from_secs(5), Duration::from_secs(300))?;
        let endpoint = base
            .join("api/database/migrations")
            .map_err(|e| InsForgeError::Unexpected(format!("bad InsForge URL: {e}")))?;
        Ok(Migrator {
            http,
            endpoint,
            api_key,
        })
    }

    pub async fn applied(&self) -> Result<Vec<AppliedMigration>, InsForgeError> {
        let response = self
            .http
            .get(self.endpoint.clone())
            .bearer_auth(self.api_key.expose())
            .send()
            .await
            .map_err(|e| InsForgeError::from_transport(&e))?;
        let list: MigrationList = json(response).await?;
        Ok(list.migrations)
    }

    async fn apply(&self, file: &MigrationFile) -> Result<(), InsForgeError> {
        let body = CreateMigration {
            version: &file.version,
            name: &file.name,
            sql: &file.sql,
        };
        let response = self
            .http
            .post(self.endpoint.clone())
            .bearer_auth(self.api_key.expose())
            .json(&body)
            .send()
            .await
            .map_err(|e| InsForgeError::from_transport(&e))?;
        json::<serde_json::Value>(response).await.map(|_| ())
    }

    /// Applies, in order, every file whose version the project does not have; calls `applied`
    /// after each. Stops at the first failure, leaving the ones before it applied.
    pub async fn run(
        &self,
        files: &[MigrationFile],
        mut on_applied: impl FnMut(&MigrationFile),
    ) -> Result<usize, MigrateError> {
        let done = self.applied().await.map_err(MigrateError::List)?;
        let mut latest = done
            .iter()
            .map(|m| m.version.clone())
            .max_by(|a, b| compare_versions(a, b));
        let mut count = 0;
        for file in files {
            if done
                .iter()
                .any(|m| compare_versions(&m.version, &file.version) == Ordering::Equal)
            {
                continue;
            }
            if let Some(latest) = &latest
                && compare_versions(&file.version, latest) != Ordering::Greater
            {
                return Err(MigrateError::OutOfOrder {
                    file: file_name(file),
                    latest: latest.clone(),
                });
            }
            self.apply(file)
                .await
                .map_err(|source| MigrateError::Apply {
                    file: file_name(file),
                    source,
                })?;
            latest = Some(file.version.clone());
            count += 1;
            on_applied(file);
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers() {
        assert_eq!(compare_versions("0002", "1"), Ordering::Greater);
        assert_eq!(compare_versions("01", "1"), Ordering::Equal);
        assert_eq!(
            compare_versions("20260418091500", "0003"),
            Ordering::Greater
        );
        assert_eq!(compare_versions("0", "000"), Ordering::Equal);
    }

    #[test]
    fn reads_the_projects_migrations() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let files = read_dir(&dir).expect("readable");
        let names: Vec<(&str, &str)> = files
            .iter()
            .map(|f| (f.version.as_str(), f.name.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![("0001", "requesting-user-id"), ("0002", "todos")]
        );
    }
}
