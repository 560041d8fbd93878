//! What `scripts/cluster` keeps in its `CLUSTER_DIR`: `logs/*.log`, printed when a
//! scenario fails, and `run/*.pid`, each holding one pid.

use std::path::PathBuf;
use std::process::Command;

pub struct ClusterDir(pub PathBuf);

impl ClusterDir {
    /// The pid in `run/<name>.pid` (`reprise-2`, `nginx`, `redis`), if there is one.
    pub fn pid(&self, name: &str) -> Option<u32> {
        let file = self.0.join(format!("run/{name}.pid"));
        std::fs::read_to_string(file).ok()?.trim().parse().ok()
    }

    /// The last `tail` lines of every log.
    pub fn logs(&self, tail: usize) -> String {
        let logs = self.0.join("logs");
        let mut files: Vec<_> = std::fs::read_dir(&logs)
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        let mut text = format!("----- logs in {} -----\n", logs.display());
        for file in files {
            let content = std::fs::read_to_string(&file).unwrap_or_default();
            let lines: Vec<&str> = content.lines().collect();
            let from = lines.len().saturating_sub(tail);
            text += &format!("----- {} (last {tail} lines) -----\n", file.display());
            text += &lines[from..].join("\n");
            text.push('\n');
        }
        text
    }

    /// SIGKILL to every process a pid file still names (when `down` failed).
    pub fn kill_leftovers(&self) {
        let Ok(entries) = std::fs::read_dir(self.0.join("run")) else {
            return;
        };
        for file in entries.flatten().map(|e| e.path()) {
            let name = file.file_stem().unwrap_or_default().to_string_lossy();
            if let Some(pid) = self.pid(&name) {
                eprintln!("killing {name} (pid {pid})");
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
        }
    }
}
