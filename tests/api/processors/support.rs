//! What the processor tests share: jobs, reports, and a look at which processes are
//! still alive.

use std::path::Path;
use std::time::Duration;

use reprise::media::{MediaRoot, VideoPath};
use reprise::processor::{Job, ProcessError, Processor, Report};
use reprise::session::{SessionId, VideoTag};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// A job for `file` under `media`, writing into a fresh session folder under `outputs`.
pub fn job(media: &Path, file: &str, outputs: &Path, checkpoint: Option<String>) -> Job {
    let root = MediaRoot::open(media).unwrap();
    let session_id = SessionId::generate(&VideoTag::of(file));
    Job {
        output_dir: outputs.join(session_id.as_str()),
        session_id,
        video: VideoPath::parse(&root, file).unwrap(),
        checkpoint,
    }
}

/// Runs `job` to its end, returning its outcome and every report it sent.
pub async fn run_to_end(
    processor: &dyn Processor,
    job: Job,
) -> (Result<Value, ProcessError>, Vec<Report>) {
    let (tx, mut rx) = mpsc::channel(1024);
    let outcome = tokio::time::timeout(
        Duration::from_secs(30),
        processor.run(job, tx, CancellationToken::new()),
    )
    .await
    .expect("the run ends in time");
    let mut reports = Vec::new();
    while let Ok(report) = rx.try_recv() {
        reports.push(report);
    }
    (outcome, reports)
}

/// Progress never goes down and stays under 100 before the result.
pub fn assert_monotonic(reports: &[Report]) {
    assert!(!reports.is_empty());
    for pair in reports.windows(2) {
        assert!(pair[1].progress >= pair[0].progress, "{pair:?}");
    }
    assert!(reports.iter().all(|r| (0.0..=100.0).contains(&r.progress)));
}

/// The processes in process group `pgid` that are alive (not zombies).
pub fn live_members(pgid: u32) -> Vec<u32> {
    processes()
        .filter(|(_, state, group)| *group == pgid && state != "Z")
        .map(|(pid, _, _)| pid)
        .collect()
}

/// Whether process `pid` exists at all, a zombie included.
pub fn exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Every process as (pid, state, process group), from `/proc/<pid>/stat`.
fn processes() -> impl Iterator<Item = (u32, String, u32)> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let after_name = &stat[stat.rfind(')')? + 2..];
            let mut fields = after_name.split(' ');
            let state = fields.next()?.to_owned();
            let _parent = fields.next()?;
            let group = fields.next()?.parse().ok()?;
            Some((pid, state, group))
        })
}

/// Polls `check` every 20 ms for up to `seconds`.
pub async fn eventually(seconds: u64, mut check: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    while tokio::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    check()
}
