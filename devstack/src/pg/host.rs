//! What a cluster needs of this machine: PostgreSQL's binaries, a user other than root to run
//! them as, and a data directory that user can reach.

use std::path::{Path, PathBuf};
use std::process::Command;

use nix::unistd::{Uid, User, chown};

use super::error::{PgError, io};
use crate::process::run_as_user;

/// What throwaway clusters' directories are named from (then the owner's pid).
pub(super) const THROWAWAY_PREFIX: &str = "devstack-pg-";

/// `$PG_BIN_DIR`, else the newest `/usr/lib/postgresql/<major>/bin` that has `initdb`
/// (Debian keeps server binaries off PATH).
pub(super) fn find_bin_dir() -> Result<PathBuf, PgError> {
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
pub(super) fn unprivileged_user() -> Result<Option<User>, PgError> {
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

pub(super) fn init_data_dir(
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
pub(super) fn sweep_stale_throwaways() {
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
