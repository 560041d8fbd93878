//! A test's cluster: one Redis (and key prefix), one media root shared by its
//! instances, the settings they run with, and a bound on the test that prints every
//! instance's output when the test fails or runs out of time.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::FutureExt;

use super::instance::{Instance, Log};
use crate::helpers::Media;
use crate::redis_cluster::{AnyConnection, TestRedisCluster};
use crate::redis_server::TestRedis;

/// The longest a fault test may take before it fails.
const BOUND: Duration = Duration::from_secs(60);
/// Output lines printed per instance when a test fails.
const TAIL: usize = 400;

/// How the instances of a test run.
#[derive(Clone, Debug)]
pub struct Settings {
    pub steps: u32,
    pub step_ms: u64,
    pub lease_ttl_ms: u64,
    pub scan_ms: u64,
    /// Further `REPRISE_*` variables.
    pub extra: Vec<(&'static str, String)>,
}

impl Settings {
    /// `steps` simulated steps `step_ms` apart, a 1.5 s lease, a 200 ms takeover scan.
    pub fn new(steps: u32, step_ms: u64) -> Self {
        Self {
            steps,
            step_ms,
            lease_ttl_ms: 1_500,
            scan_ms: 200,
            extra: Vec::new(),
        }
    }

    /// The latest a takeover may come after the owner stopped: TTL + scan + 1 s.
    pub fn takeover_bound_ms(&self) -> u64 {
        self.lease_ttl_ms + self.scan_ms + 1_000
    }
}

pub struct Cluster {
    pub redis_url: String,
    pub prefix: String,
    media: Media,
    dir: tempfile::TempDir,
    logs: Mutex<Vec<(String, Log)>>,
    _redis: Option<TestRedis>,
    _redis_cluster: Option<TestRedisCluster>,
}

impl Cluster {
    /// A cluster on the run's test Redis (see [`TestRedis`]).
    pub fn on_test_redis(videos: &[&str]) -> Self {
        let redis = TestRedis::get();
        let mut cluster = Self::on(redis.url.clone(), redis.prefix.clone(), videos);
        cluster._redis = Some(redis);
        cluster
    }

    /// A cluster on a 3-master Redis Cluster (see [`TestRedisCluster`]).
    pub fn on_test_redis_cluster(videos: &[&str]) -> Self {
        let redis = TestRedisCluster::get();
        let mut cluster = Self::on(redis.url.clone(), redis.prefix.clone(), videos);
        cluster._redis_cluster = Some(redis);
        cluster
    }

    /// A cluster on the Redis at `redis_url`, its keys under `prefix`.
    pub fn on(redis_url: String, prefix: String, videos: &[&str]) -> Self {
        Self {
            redis_url,
            prefix,
            media: Media::new(videos),
            dir: tempfile::tempdir().unwrap(),
            logs: Mutex::new(Vec::new()),
            _redis: None,
            _redis_cluster: None,
        }
    }

    /// Starts instance `id` on the cluster's Redis.
    pub async fn spawn(&self, id: &str, settings: &Settings) -> Instance {
        self.spawn_via(id, settings, &self.redis_url).await
    }

    /// Starts instance `id` reaching Redis at `redis_url` (a proxy, say).
    pub async fn spawn_via(&self, id: &str, settings: &Settings, redis_url: &str) -> Instance {
        let outputs = self.dir.path().join(format!("outputs-{id}"));
        std::fs::create_dir_all(&outputs).unwrap();
        let mut env: Vec<(String, String)> = [
            ("REPRISE_REDIS_URL", redis_url.to_owned()),
            ("REPRISE_REDIS_PREFIX", self.prefix.clone()),
            (
                "REPRISE_MEDIA_ROOT",
                self.media.path().display().to_string(),
            ),
            ("REPRISE_OUTPUT_ROOT", outputs.display().to_string()),
            ("REPRISE_PROCESSOR", "simulated".into()),
            ("REPRISE_SIMULATED_STEPS", settings.steps.to_string()),
            ("REPRISE_SIMULATED_STEP_MS", settings.step_ms.to_string()),
            ("REPRISE_LEASE_TTL_MS", settings.lease_ttl_ms.to_string()),
            ("REPRISE_TAKEOVER_SCAN_MS", settings.scan_ms.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        env.extend(
            settings
                .extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone())),
        );
        let log = Log::default();
        self.logs.lock().unwrap().push((id.to_owned(), log.clone()));
        Instance::spawn(id, &env, self.dir.path(), log).await
    }

    /// The media root the instances share.
    pub fn media_path(&self) -> &std::path::Path {
        self.media.path()
    }

    /// A fresh connection to the cluster's Redis (or Redis Cluster), for inspecting
    /// what was stored.
    pub async fn conn(&self) -> AnyConnection {
        AnyConnection::open(&self.redis_url).await
    }

    /// `host:port` of the cluster's Redis, for a proxy to forward to.
    pub fn redis_address(&self) -> String {
        let rest = self.redis_url.trim_start_matches("redis://");
        rest.split('/').next().unwrap().to_owned()
    }

    /// Runs `body` within [`BOUND`]; on a panic or a timeout, prints every instance's
    /// output before failing.
    pub async fn bounded(&self, body: impl Future<Output = ()>) {
        let run = AssertUnwindSafe(tokio::time::timeout(BOUND, body)).catch_unwind();
        match run.await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => {
                self.dump();
                panic!("the test did not finish within {BOUND:?}");
            }
            Err(panic) => {
                self.dump();
                std::panic::resume_unwind(panic);
            }
        }
    }

    fn dump(&self) {
        for (id, log) in self.logs.lock().unwrap().iter() {
            let lines = log.lock().unwrap();
            let from = lines.len().saturating_sub(TAIL);
            eprintln!("----- instance {id}: output (last {TAIL} lines) -----");
            for line in &lines[from..] {
                eprintln!("{line}");
            }
        }
    }
}

/// Milliseconds since the Unix epoch, comparable with event `ts` and run log times.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}
