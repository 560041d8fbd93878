//! What every scenario shares: the resolved flags, a gate on connects in flight, the
//! result a scenario hands back, and small helpers for its coordinator.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::Semaphore;
use tokio::time::{Instant, sleep};

use crate::cli::Common;
use crate::conn::Conn;
use crate::frame::{Frame, classify, fields};
use crate::procfs::Probe;
use crate::target::{Sources, Target, Videos, parse_target};

/// How often a coordinator looks at its counters.
const POLL: Duration = Duration::from_millis(20);

pub struct Setup {
    pub targets: Vec<Target>,
    pub sources: Sources,
    pub videos: Videos,
    pub probe: Probe,
    pub timeout: Duration,
    pub keep_sessions: bool,
    gate: Semaphore,
    connect_concurrency: usize,
}

impl Setup {
    pub fn new(common: &Common) -> Result<Self, String> {
        let targets = common
            .urls
            .iter()
            .map(|url| parse_target(url))
            .collect::<Result<Vec<_>, _>>()?;
        let template = match &common.video_prefix {
            Some(prefix) => format!("{prefix}{{i}}.mp4"),
            None => common.path_template.clone(),
        };
        if !(common.timeout_s > 0.0 && common.timeout_s.is_finite()) {
            return Err("--timeout-s must be positive".into());
        }
        let connect_concurrency = common.connect_concurrency.max(1);
        Ok(Self {
            targets,
            sources: Sources::new(&common.source_ips)?,
            videos: Videos::new(&template, common.video_offset, common.run_id.as_deref())?,
            probe: Probe::new(&common.pids),
            timeout: Duration::from_secs_f64(common.timeout_s),
            keep_sessions: common.keep_sessions,
            gate: Semaphore::new(connect_concurrency),
            connect_concurrency,
        })
    }

    /// The same setup with videos starting `n` later.
    pub fn skip_videos(&self, n: u64) -> Self {
        Self {
            targets: self.targets.clone(),
            sources: self.sources.clone(),
            videos: self.videos.skip(n),
            probe: self.probe.clone(),
            timeout: self.timeout,
            keep_sessions: self.keep_sessions,
            gate: Semaphore::new(self.connect_concurrency),
            connect_concurrency: self.connect_concurrency,
        }
    }

    /// Opens connection `index` to the URLs round-robin, through the connect gate.
    pub async fn open(&self, index: usize) -> Result<Conn, String> {
        self.open_to(index % self.targets.len(), index).await
    }

    /// Opens connection `index` to target `target`, through the connect gate.
    pub async fn open_to(&self, target: usize, index: usize) -> Result<Conn, String> {
        let _permit = self.gate.acquire().await.map_err(|e| e.to_string())?;
        Conn::open(
            &self.targets[target],
            self.sources.for_index(index),
            self.timeout,
        )
        .await
    }

    /// Cancels these sessions unless `--keep-sessions`; how many were cancelled.
    pub async fn finish(&self, mut ids: Vec<String>) -> usize {
        ids.sort_unstable();
        ids.dedup();
        if self.keep_sessions {
            return 0;
        }
        crate::session::cancel_all(self, &ids).await
    }

    /// Ends a scenario's client tasks, then cancels the sessions they recorded (see
    /// [`Setup::finish`]); how many were cancelled.
    pub async fn wind_down(
        &self,
        tasks: Vec<tokio::task::JoinHandle<()>>,
        session_ids: &std::sync::Mutex<Vec<String>>,
    ) -> usize {
        for task in &tasks {
            task.abort();
        }
        for task in tasks {
            let _ = task.await;
        }
        let ids = std::mem::take(&mut *session_ids.lock().expect("ids lock"));
        self.finish(ids).await
    }

    /// A generous bound for a phase in which `n` connections each do one step.
    pub fn phase_limit(&self, n: usize) -> Duration {
        self.timeout * (2 + (n / self.connect_concurrency) as u32)
    }
}

/// A scenario's result: its JSON fields, whether its checks passed, and how many
/// videos it used (the next run's `--video-offset` should move past them).
pub struct Report {
    pub fields: Map<String, Value>,
    pub ok: bool,
    pub videos_used: u64,
}

impl Report {
    pub fn into_json(self, scenario: &str) -> Value {
        let mut out = Map::new();
        out.insert("scenario".into(), json!(scenario));
        out.insert("ok".into(), json!(self.ok));
        out.insert("videos_used".into(), json!(self.videos_used));
        out.extend(self.fields);
        Value::Object(out)
    }
}

/// Waits until `done()` holds or `limit` passes; true if it held.
pub async fn wait_until(limit: Duration, done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() >= deadline {
            return false;
        }
        sleep(POLL).await;
    }
    true
}

/// Adds one to a counter shared with the coordinator.
pub fn bump(counter: &AtomicUsize) {
    counter.fetch_add(1, Ordering::Relaxed);
}

pub fn get(counter: &AtomicUsize) -> usize {
    counter.load(Ordering::Relaxed)
}

/// A session reply: its name, session id and seq, or the refusal's code.
pub struct Reply {
    pub name: String,
    pub session_id: Option<String>,
    pub seq: u64,
    pub status: Option<String>,
    pub code: Option<String>,
    pub gap: bool,
}

/// Waits for the first event named in `names` before `deadline`, answering pings and
/// skipping everything else.
pub async fn await_reply(
    conn: &mut Conn,
    names: &[&str],
    deadline: Instant,
) -> Result<Reply, String> {
    loop {
        let text = conn.next_text(deadline).await?;
        match classify(&text) {
            Frame::Ping => conn.send("3").await?,
            Frame::Event { name, payload } if names.contains(&name) => {
                let f = fields(payload);
                return Ok(Reply {
                    name: name.to_owned(),
                    session_id: f.session_id.map(str::to_owned),
                    seq: f.seq.unwrap_or(0),
                    status: f.status.map(str::to_owned),
                    code: f.code.map(str::to_owned),
                    gap: f.gap,
                });
            }
            _ => {}
        }
    }
}

/// The replies that `start_processing` can get.
pub const START_REPLIES: &[&str] = &[
    "processing_started",
    "resume_session",
    "processing_complete",
    "processing_error",
];

/// The replies that `join_session` can get.
pub const JOIN_REPLIES: &[&str] = &["resume_session", "processing_error"];

/// `processing_error:<code>` for refusals, the event name otherwise.
pub fn reply_label(name: &str, code: Option<&str>) -> String {
    match code {
        Some(code) if name == "processing_error" => format!("{name}:{code}"),
        _ => name.to_owned(),
    }
}

/// Shared handle to the setup for spawned tasks.
pub type Shared = Arc<Setup>;
