//! `scripts/cluster` as a child process: with exactly the topology's `CLUSTER_*` and
//! `REPRISE_*` variables, bounded in time, its output written to files rather than
//! pipes (a process it leaves running must not keep a pipe of ours open).

use std::fs::File;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/cluster");

pub struct Script {
    env: Vec<(String, String)>,
    /// Where each run's stdout and stderr go.
    output_dir: PathBuf,
    runs: AtomicUsize,
}

/// One run's output files.
struct Run {
    description: String,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Script {
    pub fn new(env: Vec<(String, String)>, output_dir: PathBuf) -> Self {
        std::fs::create_dir_all(&output_dir).unwrap();
        Self {
            env,
            output_dir,
            runs: AtomicUsize::new(0),
        }
    }

    /// Runs `scripts/cluster ARGS` to its end within `within`; its stdout, or why it
    /// failed with everything it printed.
    pub async fn run(&self, args: &[&str], within: Duration) -> Result<String, String> {
        let (command, run) = self.command(args);
        let mut child = tokio::process::Command::from(command)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("{} did not start: {e}", run.description))?;
        match tokio::time::timeout(within, child.wait()).await {
            Ok(Ok(status)) => run.outcome(status),
            Ok(Err(e)) => Err(format!("{}: {e}", run.description)),
            Err(_) => Err(run.overran(within)),
        }
    }

    /// As [`Script::run`], blocking the thread (for `Drop`).
    pub fn run_blocking(&self, args: &[&str], within: Duration) -> Result<String, String> {
        let (mut command, run) = self.command(args);
        let mut child = command
            .spawn()
            .map_err(|e| format!("{} did not start: {e}", run.description))?;
        let deadline = Instant::now() + within;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return run.outcome(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(run.overran(within));
                }
                Err(e) => return Err(format!("{}: {e}", run.description)),
            }
        }
    }

    fn command(&self, args: &[&str]) -> (Command, Run) {
        let n = self.runs.fetch_add(1, Ordering::Relaxed);
        let name = format!("{n:02}-{}", args.join("-"));
        let run = Run {
            description: format!("scripts/cluster {}", args.join(" ")),
            stdout: self.output_dir.join(format!("{name}.out")),
            stderr: self.output_dir.join(format!("{name}.err")),
        };
        let mut command = Command::new(SCRIPT);
        for (key, _) in std::env::vars() {
            if key.starts_with("REPRISE_") || key.starts_with("CLUSTER_") {
                command.env_remove(key);
            }
        }
        command
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .stdout(File::create(&run.stdout).unwrap())
            .stderr(File::create(&run.stderr).unwrap());
        (command, run)
    }
}

impl Run {
    fn outcome(&self, status: ExitStatus) -> Result<String, String> {
        let stdout = std::fs::read_to_string(&self.stdout).unwrap_or_default();
        if status.success() {
            return Ok(stdout);
        }
        Err(format!(
            "{} exited with {status}\nstdout:\n{stdout}\nstderr:\n{}",
            self.description,
            std::fs::read_to_string(&self.stderr).unwrap_or_default()
        ))
    }

    fn overran(&self, within: Duration) -> String {
        format!(
            "{} still ran after {within:?}\nstdout:\n{}\nstderr:\n{}",
            self.description,
            std::fs::read_to_string(&self.stdout).unwrap_or_default(),
            std::fs::read_to_string(&self.stderr).unwrap_or_default()
        )
    }
}
