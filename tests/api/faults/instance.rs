//! One real `reprise` process: spawned with its settings, its port read from its
//! `listening` log line, its output kept for a failing test to print, and signals
//! (SIGKILL, SIGSTOP, SIGCONT, SIGTERM) sent to it by pid. Killed on drop.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;

/// What an instance printed, stdout and stderr interleaved, line by line.
pub type Log = Arc<Mutex<Vec<String>>>;

const LISTENING_WITHIN: Duration = Duration::from_secs(15);

pub struct Instance {
    pub id: String,
    pub port: u16,
    pid: u32,
    child: Child,
}

impl Instance {
    /// Runs the binary with exactly `env` among the `REPRISE_*` variables (plus
    /// `REPRISE_TRANSPORT` from `REPRISE_TEST_TRANSPORT`, when set), in `dir` (so no
    /// `config/default.toml` is read), and waits for its `listening` line.
    pub async fn spawn(id: &str, env: &[(String, String)], dir: &Path, log: Log) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_reprise"));
        for (key, _) in std::env::vars() {
            if key.starts_with("REPRISE_") {
                command.env_remove(key);
            }
        }
        if let Ok(transport) = std::env::var("REPRISE_TEST_TRANSPORT") {
            command.env("REPRISE_TRANSPORT", transport);
        }
        command
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("REPRISE_INSTANCE_ID", id)
            .env("REPRISE_LISTEN", "127.0.0.1:0")
            .env("REPRISE_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("the reprise binary starts");
        let pid = child.id().expect("a fresh child has a pid");
        let (port_tx, port_rx) = oneshot::channel();
        tokio::spawn(keep(
            child.stdout.take().unwrap(),
            log.clone(),
            Some(port_tx),
        ));
        tokio::spawn(keep(child.stderr.take().unwrap(), log.clone(), None));
        let Ok(Ok(port)) = tokio::time::timeout(LISTENING_WITHIN, port_rx).await else {
            panic!(
                "instance {id} logged no `listening` line with an address within \
                 {LISTENING_WITHIN:?}; its output:\n{}",
                log.lock().unwrap().join("\n")
            );
        };
        Self {
            id: id.to_owned(),
            port,
            pid,
            child,
        }
    }

    /// Sends a signal by name (`STOP`, `CONT`, `TERM`) with the `kill` command.
    pub fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid.to_string())
            .status()
            .expect("the kill command runs");
        assert!(status.success(), "kill -{name} {} failed", self.pid);
    }

    /// SIGKILL, then reaps the process.
    pub async fn kill9(&mut self) {
        self.child.start_kill().expect("SIGKILL is sent");
        let _ = self.child.wait().await;
    }

    /// The exit status, or `None` if the process is still running after `within`.
    pub async fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let waited = tokio::time::timeout(within, self.child.wait()).await;
        waited
            .ok()
            .map(|status| status.expect("the child can be waited for"))
    }

    pub fn is_alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The status of `GET path`, or `None` without an answer within a second.
    pub async fn http_status(&self, path: &str) -> Option<u16> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        let url = format!("http://127.0.0.1:{}{path}", self.port);
        let response = client.get(url).send().await.ok()?;
        Some(response.status().as_u16())
    }

    /// Polls `GET path` every 50 ms until it answers `status`; false after `within`.
    pub async fn await_status(&self, path: &str, status: u16, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < deadline {
            if self.http_status(path).await == Some(status) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }
}

/// Keeps every line of `out` in `log` (so the pipe never fills), and reports the port
/// of the first `listening` line.
async fn keep(out: impl AsyncRead + Unpin, log: Log, mut port: Option<oneshot::Sender<u16>>) {
    let mut lines = BufReader::new(out).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(found) = listening_port(&line)
            && let Some(tx) = port.take()
        {
            let _ = tx.send(found);
        }
        log.lock().unwrap().push(line);
    }
}

fn listening_port(line: &str) -> Option<u16> {
    let entry: Value = serde_json::from_str(line).ok()?;
    if entry["message"] != "listening" {
        return None;
    }
    let address: SocketAddr = entry["address"].as_str()?.parse().ok()?;
    Some(address.port())
}
