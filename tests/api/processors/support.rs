//! What the processor tests share: jobs, generated videos, reports, and a look at
//! which processes are still alive.

use std::path::{Path, PathBuf};
use std::process::Command;
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

/// A test pattern with a tone, `seconds` long at 25 frames per second.
pub fn make_video(dir: &Path, name: &str, seconds: u32, size: &str) -> PathBuf {
    let path = dir.join(name);
    let picture = format!("testsrc=duration={seconds}:size={size}:rate=25");
    let sound = format!("sine=duration={seconds}");
    let status = Command::new("ffmpeg")
        .args([
            "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", &picture,
        ])
        .args([
            "-f",
            "lavfi",
            "-i",
            &sound,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
        ])
        .args(["-c:a", "aac", "-shortest"])
        .arg(&path)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg could not make a test video");
    path
}

/// What ffprobe says about a file: its duration and its first video stream's height.
pub fn probe(file: &Path) -> (f64, Option<u64>) {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(file)
        .output()
        .expect("ffprobe runs");
    assert!(
        output.status.success(),
        "ffprobe failed on {}",
        file.display()
    );
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let duration = json["format"]["duration"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let height = json["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["codec_type"] == "video")
        .and_then(|s| s["height"].as_u64());
    (duration, height)
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

/// The live processes whose command line mentions `text`, with their process group.
pub fn mentioning(text: &str) -> Vec<(u32, u32)> {
    processes()
        .filter(|(_, state, _)| state != "Z")
        .filter(|(pid, _, _)| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|line| String::from_utf8_lossy(&line).contains(text))
                .unwrap_or(false)
        })
        .map(|(pid, _, group)| (pid, group))
        .collect()
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

/// The names of the files left in `dir`, sorted; none when it is gone.
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
