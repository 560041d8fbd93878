//! Runs the scripts in `tests/browser/` under node, with `playwright-core` installed
//! from its pins like the stock clients.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::process::Command;
use tokio::sync::OnceCell;

use crate::installs::{Pins, install};

const SCRIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `script` with `args` to its end, in its own process group so that a timeout
/// also ends the chromium it started; returns its JSON line of findings.
pub async fn run(script: &str, args: &[&OsStr]) -> Value {
    let mut command = Command::new("node");
    command
        .arg(browser_test().await.join(script))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let child = command.spawn().expect("node runs");
    let group = child.id().expect("a process id") as i32;
    let output = match tokio::time::timeout(SCRIPT_TIMEOUT, child.wait_with_output()).await {
        Ok(output) => output.unwrap_or_else(|e| panic!("{script}'s output: {e}")),
        Err(_) => {
            // SAFETY: kill(2) on the process group this test started.
            unsafe { libc::kill(-group, libc::SIGKILL) };
            panic!("{script} still ran after {SCRIPT_TIMEOUT:?}");
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed with {}:\n{stderr}\nstdout: {stdout}",
        output.status
    );
    let line = stdout.lines().rev().find(|l| !l.trim().is_empty());
    println!("{}", line.unwrap_or_default());
    serde_json::from_str(line.unwrap_or_default())
        .unwrap_or_else(|e| panic!("{script} printed no JSON ({e}): {stdout}\n{stderr}"))
}

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// `npm ci` of the pinned `playwright-core`, with the scripts copied beside its
/// `node_modules` (an ES module resolves packages from its own folder).
async fn browser_test() -> &'static Path {
    static DIR: OnceCell<Result<PathBuf, String>> = OnceCell::const_new();
    let installed = DIR
        .get_or_init(|| async {
            let pins = Pins {
                what: "the browser test's playwright-core",
                source: browser_dir(),
                dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-test/node"),
                inputs: &["package.json", "package-lock.json"],
                runtime: "node",
            };
            let dir = install(&pins, |staging| {
                let mut npm = Command::new("npm");
                npm.args(["ci", "--no-audit", "--no-fund", "--prefix"])
                    .arg(staging);
                npm
            })
            .await?;
            for script in ["page.mjs", "outputs.mjs", "chromium.mjs"] {
                // Copy, then rename: another test process may be running the current one.
                let copy = dir.join(format!("{script}.{}", std::process::id()));
                std::fs::copy(browser_dir().join(script), &copy)
                    .and_then(|_| std::fs::rename(&copy, dir.join(script)))
                    .map_err(|e| format!("cannot copy {script}: {e}"))?;
            }
            Ok(dir)
        })
        .await;
    installed.as_deref().unwrap_or_else(|e| panic!("{e}"))
}
