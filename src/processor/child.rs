//! Child processes that lead their own process group, so that stopping one kills
//! everything it started, and whose failure reads as one short line without paths.

use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader, Split};
use tokio::process::{Child, ChildStdout, Command};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::ProcessError;

/// How much of a child's stderr is kept to explain a failure.
const STDERR_TAIL: usize = 4096;
/// The longest failure reason shown to clients, in characters.
const MAX_REASON: usize = 120;

/// A running child and its process group. Dropping it kills the group.
pub(super) struct Group {
    child: Child,
    /// Cleared once the group has been killed and its leader reaped.
    pgid: Option<i32>,
    stdout: Split<BufReader<ChildStdout>>,
    stderr: JoinHandle<Vec<u8>>,
    status: Option<ExitStatus>,
}

/// How a child that ran to its end finished.
pub(super) struct Exit {
    pub status: ExitStatus,
    stderr: String,
}

impl Group {
    /// Starts `command` as the leader of a new process group, stdin closed, output piped.
    pub fn spawn(command: &mut Command) -> std::io::Result<Self> {
        let mut child = command
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let pgid = child.id().and_then(|id| i32::try_from(id).ok());
        let stdout = BufReader::new(child.stdout.take().expect("stdout is piped")).split(b'\n');
        let stderr = child.stderr.take().expect("stderr is piped");
        Ok(Self {
            child,
            pgid,
            stdout,
            stderr: tokio::spawn(tail(stderr)),
            status: None,
        })
    }

    /// The next line of the child's stdout, `None` at its end. When the leader exits,
    /// what it left running is killed, so that its end comes. On `stop`, kills the
    /// group and reaps the leader before answering [`ProcessError::Stopped`].
    pub async fn next_line(
        &mut self,
        stop: &CancellationToken,
    ) -> Result<Option<String>, ProcessError> {
        loop {
            tokio::select! {
                biased;
                _ = stop.cancelled() => {
                    self.kill().await;
                    return Err(ProcessError::Stopped);
                }
                line = self.stdout.next_segment() => {
                    let line = line.ok().flatten();
                    return Ok(line.map(|bytes| String::from_utf8_lossy(&bytes).trim_end().to_owned()));
                }
                status = self.child.wait(), if self.status.is_none() => {
                    self.status = Some(status.map_err(|_| lost())?);
                    self.kill_group();
                }
            }
        }
    }

    /// Reads the rest of stdout, waits for the leader and kills what it left running.
    pub async fn finish(mut self, stop: &CancellationToken) -> Result<Exit, ProcessError> {
        while self.next_line(stop).await?.is_some() {}
        let status = match self.status {
            Some(status) => status,
            None => tokio::select! {
                biased;
                _ = stop.cancelled() => {
                    self.kill().await;
                    return Err(ProcessError::Stopped);
                }
                status = self.child.wait() => status.map_err(|_| lost())?,
            },
        };
        self.kill_group();
        self.pgid = None;
        let stderr = tokio::time::timeout(Duration::from_secs(1), &mut self.stderr)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        Ok(Exit {
            status,
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        })
    }

    /// Kills the whole group and reaps the leader, so that nothing is left behind.
    pub async fn kill(&mut self) {
        self.kill_group();
        if self.status.is_none() {
            self.status = self.child.wait().await.ok();
        }
        self.pgid = None;
    }

    fn kill_group(&self) {
        if let Some(pgid) = self.pgid {
            // SAFETY: kill(2) takes plain integers and touches no memory of ours.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill_group();
        self.stderr.abort();
    }
}

impl Exit {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// Why it failed, in one short line safe to show to clients.
    pub fn reason(&self) -> String {
        short_reason(&self.stderr).unwrap_or_else(|| match self.status.code() {
            Some(code) => format!("exit code {code}"),
            None => "killed by a signal".into(),
        })
    }
}

fn lost() -> ProcessError {
    ProcessError::Failed("lost track of a child process".into())
}

/// Reads `from` to its end, keeping only its last [`STDERR_TAIL`] bytes.
async fn tail(mut from: impl AsyncRead + Unpin) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buffer = [0u8; 1024];
    while let Ok(read @ 1..) = from.read(&mut buffer).await {
        kept.extend_from_slice(&buffer[..read]);
        if kept.len() > STDERR_TAIL {
            kept.drain(..kept.len() - STDERR_TAIL);
        }
    }
    kept
}

/// The last non-empty line of `stderr`, without a leading `[component @ 0x…]` tag, a
/// leading `path: `, or any other path but its file name; cut to [`MAX_REASON`].
pub(super) fn short_reason(stderr: &str) -> Option<String> {
    let line = stderr.lines().map(str::trim).rfind(|l| !l.is_empty())?;
    let line = match line
        .strip_prefix('[')
        .and_then(|rest| rest.split_once("] "))
    {
        Some((tag, rest)) if tag.contains(" @ ") => rest,
        _ => line,
    };
    let line = match line.split_once(": ") {
        Some((head, rest)) if head.contains('/') && !head.contains(' ') => rest,
        _ => line,
    };
    let words: Vec<&str> = line
        .split_whitespace()
        .map(|word| match word.rsplit_once('/') {
            Some((_, name)) if word.starts_with('/') || word.contains(":/") => name,
            _ => word,
        })
        .collect();
    let line: String = words
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if line.is_empty() {
        return None;
    }
    if line.chars().count() <= MAX_REASON {
        return Some(line);
    }
    let cut: String = line.chars().take(MAX_REASON - 1).collect();
    Some(format!("{}…", cut.trim_end()))
}

#[cfg(test)]
mod tests {
    use super::short_reason;

    #[test]
    fn a_reason_is_the_last_line_without_paths() {
        let stderr = "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x556b32c741c0] moov atom not found\n\
                      file:/tmp/x/bad.mp4: Invalid data found when processing input\n\n";
        assert_eq!(
            short_reason(stderr).as_deref(),
            Some("Invalid data found when processing input")
        );
        assert_eq!(
            short_reason("[aac @ 0x5] Too many bits /srv/out/a.m4a").as_deref(),
            Some("Too many bits a.m4a")
        );
        assert_eq!(
            short_reason("cannot open /home/u/in.mp4: denied").as_deref(),
            Some("cannot open in.mp4: denied")
        );
        assert_eq!(short_reason(" \n\n"), None);
    }

    #[test]
    fn a_long_reason_is_cut() {
        let reason = short_reason(&"word ".repeat(100)).unwrap();
        assert!(reason.chars().count() <= 120, "{reason}");
        assert!(reason.ends_with('…'));
    }
}
