//! Stock clients against the real app: unmodified `socket.io-client` (Node) and
//! `python-socketio` run the scripts in `tests/stock/`, websocket-only and with their
//! default start (long-polling, then an upgrade), and across two instances sharing Redis.
//!
//! The clients come from their registries at the versions pinned in `tests/stock/`,
//! installed once into `target/stock-clients/` and reinstalled only when those pins
//! (or the runtime's version) change. A failed install fails the tests.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::process::Command;
use tokio::sync::OnceCell;

use crate::helpers::{Media, spawn_app, test_config};
use crate::installs::{Pins, install};
use crate::redis_server::TestRedis;

const STEPS: u32 = 20;
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(40);

#[derive(Clone, Copy, Debug)]
enum Client {
    Node,
    Python,
}

impl Client {
    fn as_str(self) -> &'static str {
        match self {
            Client::Node => "node",
            Client::Python => "python",
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Mode {
    Websocket,
    Default,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Websocket => "websocket",
            Mode::Default => "default",
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_over_websocket() {
    sticky(Client::Node, Mode::Websocket).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_default_polling_then_upgrade() {
    sticky(Client::Node, Mode::Default).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_over_websocket() {
    sticky(Client::Python, Mode::Websocket).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_default_polling_then_upgrade() {
    sticky(Client::Python, Mode::Default).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_resumes_on_another_instance() {
    across_instances(Client::Node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_resumes_on_another_instance() {
    across_instances(Client::Python).await;
}

/// One instance on the embedded store: both connections reach the same server.
async fn sticky(client: Client, mode: Mode) {
    let media = Media::new(&["v.mp4"]);
    let app = spawn_app(config(test_config(media.path(), None))).await;
    let url = app.url("");
    let findings = run(client, mode, &url, &url).await;
    assert_findings(&findings, client, mode);
}

/// Two instances sharing Redis; the reconnect goes to the other one over websocket.
async fn across_instances(client: Client) {
    let redis = TestRedis::get();
    let media = Media::new(&["v.mp4"]);
    let settings = config(test_config(media.path(), Some(&redis)));
    let a = spawn_app(settings.clone()).await;
    let b = spawn_app(settings).await;
    let findings = run(client, Mode::Websocket, &a.url(""), &b.url("")).await;
    assert_findings(&findings, client, Mode::Websocket);
}

fn config(mut config: reprise::config::Config) -> reprise::config::Config {
    config.simulated_steps = STEPS;
    config.simulated_step_ms = 40;
    config
}

/// What every run must report; the script itself checked order, acks and errors.
fn assert_findings(findings: &Value, client: Client, mode: Mode) {
    assert_eq!(findings["client"], client.as_str(), "{findings}");
    assert_eq!(findings["mode"], mode.as_str(), "{findings}");
    let (started_over, upgraded) = match mode {
        Mode::Websocket => ("websocket", false),
        Mode::Default => ("polling", true),
    };
    assert_eq!(findings["started_over"], started_over, "{findings}");
    assert_eq!(findings["upgraded"], upgraded, "{findings}");
    assert_eq!(findings["resume_upgraded"], upgraded, "{findings}");
    assert_eq!(findings["transport"], "websocket", "{findings}");
    assert_eq!(findings["resume_transport"], "websocket", "{findings}");
    assert_eq!(findings["first_seq"], 1, "{findings}");
    let last_seq = u64::from(STEPS) + 2;
    assert_eq!(
        findings["last_seq"], last_seq,
        "started + progress + complete: {findings}"
    );
    assert_eq!(
        findings["events"], last_seq,
        "every seq exactly once: {findings}"
    );
    assert_eq!(findings["progress"], 100.0, "{findings}");
    assert_eq!(findings["refused"], "bad_request", "{findings}");
}

/// Runs one client script to its end and returns its JSON line of findings.
async fn run(client: Client, mode: Mode, url: &str, resume_url: &str) -> Value {
    let mut command = match client {
        Client::Node => {
            let mut command = Command::new("node");
            command.arg(node_clients().await.join("client.mjs"));
            command
        }
        Client::Python => {
            let mut command = Command::new("python3");
            command
                .arg(stock_dir().join("client.py"))
                .env("PYTHONPATH", python_clients().await)
                .env("PYTHONDONTWRITEBYTECODE", "1");
            command
        }
    };
    command
        .args([url, mode.as_str(), "v.mp4", resume_url])
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(SCRIPT_TIMEOUT, command.output())
        .await
        .unwrap_or_else(|_| {
            panic!("{client:?} client ({mode:?}) still running after {SCRIPT_TIMEOUT:?}")
        })
        .unwrap_or_else(|e| panic!("cannot run the {client:?} client: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{client:?} client ({mode:?}) failed with {}:\n{stderr}\nstdout: {stdout}",
        output.status
    );
    let line = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    println!("{line}");
    serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("{client:?} client printed no JSON ({e}): {stdout}\n{stderr}"))
}

fn stock_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/stock")
}

/// The stock client `name`, pinned by `inputs` in `tests/stock/`, installed into
/// `target/stock-clients/<name>`.
fn stock_pins<'a>(name: &'a str, inputs: &'a [&'a str], runtime: &'a str) -> Pins<'a> {
    Pins {
        what: "the stock clients",
        source: stock_dir(),
        dir: Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/stock-clients")
            .join(name),
        inputs,
        runtime,
    }
}

/// `npm ci` of the pinned `socket.io-client`, with `client.mjs` copied beside its
/// `node_modules` (an ES module resolves packages from its own folder).
async fn node_clients() -> &'static Path {
    static DIR: OnceCell<Result<PathBuf, String>> = OnceCell::const_new();
    let installed = DIR
        .get_or_init(|| async {
            let dir = install(
                &stock_pins("node", &["package.json", "package-lock.json"], "node"),
                |staging| {
                    let mut npm = Command::new("npm");
                    npm.args(["ci", "--no-audit", "--no-fund", "--prefix"])
                        .arg(staging);
                    npm
                },
            )
            .await?;
            // Copy, then rename: another test process may be running the current one.
            let copy = dir.join(format!("client.mjs.{}", std::process::id()));
            std::fs::copy(stock_dir().join("client.mjs"), &copy)
                .and_then(|_| std::fs::rename(&copy, dir.join("client.mjs")))
                .map_err(|e| format!("cannot copy client.mjs: {e}"))?;
            Ok(dir)
        })
        .await;
    installed.as_deref().unwrap_or_else(|e| panic!("{e}"))
}

/// `pip install --target` of the pinned `python-socketio`; the folder for `PYTHONPATH`.
async fn python_clients() -> &'static Path {
    static DIR: OnceCell<Result<PathBuf, String>> = OnceCell::const_new();
    let installed = DIR
        .get_or_init(|| async {
            let pins = stock_pins("py", &["requirements.txt"], "python3");
            let dir = install(&pins, |staging| {
                let mut pip = Command::new("python3");
                pip.args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--no-input",
                    "--disable-pip-version-check",
                ])
                .arg("--target")
                .arg(staging.join("lib"))
                .arg("-r")
                .arg(staging.join("requirements.txt"));
                pip
            })
            .await?;
            Ok(dir.join("lib"))
        })
        .await;
    installed.as_deref().unwrap_or_else(|e| panic!("{e}"))
}
