//! Test dependencies from their registries at versions pinned in the repository,
//! installed once into a folder under `target/` and reinstalled only when those pins
//! (or the runtime's version) change. Nothing installed is committed.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::process::Command;

const INSTALL_TIMEOUT: Duration = Duration::from_secs(300);

/// What to install, and where.
pub struct Pins<'a> {
    /// What the dependencies are for, in error messages.
    pub what: &'a str,
    /// The folder in the repository holding `inputs`.
    pub source: PathBuf,
    /// The folder under `target/` to install into.
    pub dir: PathBuf,
    /// The files that pin the versions (copied beside the install).
    pub inputs: &'a [&'a str],
    /// The program the dependencies run on; its `--version` is part of the stamp.
    pub runtime: &'a str,
}

/// Installs into `pins.dir` unless its stamp matches the hash of the inputs and of the
/// runtime's version. Installs into a staging folder first, so an interrupted install
/// never looks complete.
pub async fn install(
    pins: &Pins<'_>,
    installer: impl FnOnce(&Path) -> Command,
) -> Result<PathBuf, String> {
    let what = pins.what;
    let runtime = pins.runtime;
    let version = Command::new(runtime)
        .arg("--version")
        .output()
        .await
        .map_err(|e| format!("cannot run {runtime} for {what}: {e}"))?;
    let mut hash = Sha256::new();
    hash.update(&version.stdout);
    for input in pins.inputs {
        let path = pins.source.join(input);
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        hash.update(input.as_bytes());
        hash.update(&bytes);
    }
    let stamp = format!("{:x}\n", hash.finalize());
    let dir = &pins.dir;
    if std::fs::read_to_string(dir.join(".stamp")).is_ok_and(|s| s == stamp) {
        return Ok(dir.clone());
    }

    let mut staging = dir.clone().into_os_string();
    staging.push(format!(".staging-{}", std::process::id()));
    let staging = PathBuf::from(staging);
    let _ = std::fs::remove_dir_all(&staging);
    if let Err(e) = stage(&staging, pins, installer).await {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    std::fs::write(staging.join(".stamp"), &stamp)
        .map_err(|e| format!("cannot write the stamp: {e}"))?;
    let _ = std::fs::remove_dir_all(dir);
    if let Err(e) = std::fs::rename(&staging, dir) {
        let _ = std::fs::remove_dir_all(&staging);
        // Another test process may have moved its identical install in first.
        if !std::fs::read_to_string(dir.join(".stamp")).is_ok_and(|s| s == stamp) {
            return Err(format!("cannot move {what} into {}: {e}", dir.display()));
        }
    }
    Ok(dir.clone())
}

/// Copies the inputs into `staging` and runs the installer there.
async fn stage(
    staging: &Path,
    pins: &Pins<'_>,
    installer: impl FnOnce(&Path) -> Command,
) -> Result<(), String> {
    let what = pins.what;
    std::fs::create_dir_all(staging)
        .map_err(|e| format!("cannot create {}: {e}", staging.display()))?;
    for input in pins.inputs {
        std::fs::copy(pins.source.join(input), staging.join(input))
            .map_err(|e| format!("cannot copy {input}: {e}"))?;
    }
    let mut command = installer(staging);
    command
        .current_dir(staging)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let described = format!("{:?}", command.as_std());
    let output = tokio::time::timeout(INSTALL_TIMEOUT, command.output())
        .await
        .map_err(|_| format!("installing {what} timed out after {INSTALL_TIMEOUT:?}: {described}"))?
        .map_err(|e| format!("cannot run {described}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "installing {what} failed ({}): {described}\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(())
}
