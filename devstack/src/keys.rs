//! The secrets of a stand-in InsForge project, in the shapes real InsForge generates them.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use rand::RngCore;

#[derive(Clone, PartialEq)]
pub struct ProjectKeys {
    pub jwt_secret: String,
    /// `ik_` + 64 hex, as InsForge's `API_KEY`.
    pub api_key: String,
    /// `anon_` + 64 hex, as InsForge's opaque anon key.
    pub anon_key: String,
}

impl std::fmt::Debug for ProjectKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProjectKeys { .. }")
    }
}

fn hex32() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl ProjectKeys {
    pub fn generate() -> Self {
        ProjectKeys {
            jwt_secret: hex32(),
            api_key: format!("ik_{}", hex32()),
            anon_key: format!("anon_{}", hex32()),
        }
    }

    /// Reads keys saved by `save`, or generates and saves new ones, so a persistent dev stack
    /// keeps the same project secrets across restarts (the app's `.env` points at them).
    pub fn load_or_create(path: &Path) -> std::io::Result<Self> {
        if let Ok(text) = std::fs::read_to_string(path) {
            let get = |name: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
                    .map(str::to_string)
            };
            if let (Some(jwt_secret), Some(api_key), Some(anon_key)) = (
                get("INSFORGE_JWT_SECRET"),
                get("INSFORGE_API_KEY"),
                get("INSFORGE_ANON_KEY"),
            ) {
                return Ok(ProjectKeys {
                    jwt_secret,
                    api_key,
                    anon_key,
                });
            }
        }
        let keys = Self::generate();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        write_private(path, &keys.env_lines(None))?;
        Ok(keys)
    }

    /// `KEY=value` lines in the variable names the app reads.
    pub fn env_lines(&self, insforge_url: Option<&str>) -> String {
        let mut out = String::new();
        if let Some(url) = insforge_url {
            out.push_str(&format!("INSFORGE_URL={url}\n"));
        }
        out.push_str(&format!(
            "INSFORGE_JWT_SECRET={}\nINSFORGE_API_KEY={}\nINSFORGE_ANON_KEY={}\n",
            self.jwt_secret, self.api_key, self.anon_key
        ));
        out
    }
}

/// Writes a file only its owner can read: it holds project secrets.
pub fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // `mode` applies only when the file is created; an older file may be wider open.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(contents.as_bytes())
}
