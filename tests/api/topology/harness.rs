//! A topology as `scripts/cluster` runs it: Redis, instances `reprise-1` to
//! `reprise-3` and nginx balancing them round robin without stickiness, all on free
//! loopback ports, their logs and pid files in a temporary `CLUSTER_DIR`. Brought
//! down when dropped; a failing test prints the tail of every log.

use std::future::Future;
use std::net::{Ipv4Addr, TcpListener};
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;
use tempfile::TempDir;

use crate::faults::cluster::{Cluster, Settings};
use crate::faults::history::History;

use super::cluster_dir::ClusterDir;
use super::script::Script;

/// The longest a scenario may take before it fails.
const BOUND: Duration = Duration::from_secs(90);
/// The longest one `scripts/cluster` command may take (`up`, a rolling restart).
const SCRIPT_WITHIN: Duration = Duration::from_secs(60);
const DOWN_WITHIN: Duration = Duration::from_secs(20);
/// Log lines printed per process when a scenario fails.
const TAIL: usize = 150;
/// `up` runs again on fresh ports when a port was taken in the meantime.
const UP_ATTEMPTS: usize = 2;
pub const INSTANCES: usize = 3;

/// The Redis the instances share.
pub enum TopologyRedis {
    /// A `redis-server` with AOF on that the script starts and stops.
    Own,
    /// The Redis (or Redis Cluster) at this URL, the keys under this prefix; the
    /// script starts none.
    Url(String, String),
}

pub struct Topology {
    /// nginx's port: the only one clients connect to.
    pub lb_port: u16,
    /// The instances' own ports, `reprise-1` first, for reading their metrics.
    pub instance_ports: [u16; INSTANCES],
    pub settings: Settings,
    /// The shared Redis and media root, as the fault tests' reader of Redis expects.
    store: Cluster,
    script: Script,
    cluster_dir: ClusterDir,
    /// Holds `CLUSTER_DIR` and the script's output; kept when a test fails.
    dir: Option<TempDir>,
}

/// Instance settings for topology tests: `steps` of `step_ms`, the fault tests'
/// short lease and scan (quick takeovers), and a drain grace of a few seconds.
pub fn settings(steps: u32, step_ms: u64) -> Settings {
    let mut settings = Settings::new(steps, step_ms);
    settings
        .extra
        .push(("REPRISE_DRAIN_GRACE_MS", "3000".to_owned()));
    settings
}

impl Topology {
    /// Runs `scripts/cluster up` and returns once every instance is ready and nginx
    /// answers.
    pub async fn up(redis: TopologyRedis, settings: Settings) -> Self {
        let mut failures = Vec::new();
        for _ in 0..UP_ATTEMPTS {
            let topology = Self::configure(&redis, settings.clone());
            match topology.script.run(&["up"], SCRIPT_WITHIN).await {
                Ok(_) => return topology,
                Err(failure) => {
                    failures.push(format!("{failure}\n{}", topology.cluster_dir.logs(TAIL)))
                }
            }
        }
        panic!("scripts/cluster up failed:\n{}", failures.join("\n"));
    }

    fn configure(redis: &TopologyRedis, settings: Settings) -> Self {
        let [lb_port, redis_port, instance_ports @ ..] = free_ports::<{ 2 + INSTANCES }>();
        let dir = tempfile::tempdir().unwrap();
        let cluster_dir = dir.path().join("cluster");
        let (url, prefix) = match redis {
            TopologyRedis::Own => (
                format!("redis://127.0.0.1:{redis_port}/"),
                format!("topology_{}", rand::random::<u32>()),
            ),
            TopologyRedis::Url(url, prefix) => (url.clone(), prefix.clone()),
        };
        let store = Cluster::on(url.clone(), prefix.clone(), &[]);
        let ports: Vec<String> = instance_ports.iter().map(u16::to_string).collect();
        let mut env: Vec<(String, String)> = vec![
            ("CLUSTER_DIR".into(), cluster_dir.display().to_string()),
            ("CLUSTER_LB_PORT".into(), lb_port.to_string()),
            ("CLUSTER_INSTANCE_PORTS".into(), ports.join(" ")),
            ("REPRISE_BIN".into(), env!("CARGO_BIN_EXE_reprise").into()),
            ("REPRISE_REDIS_PREFIX".into(), prefix),
            (
                "REPRISE_MEDIA_ROOT".into(),
                store.media_path().display().to_string(),
            ),
            ("REPRISE_PROCESSOR".into(), "simulated".into()),
            ("REPRISE_SIMULATED_STEPS".into(), settings.steps.to_string()),
            (
                "REPRISE_SIMULATED_STEP_MS".into(),
                settings.step_ms.to_string(),
            ),
            (
                "REPRISE_LEASE_TTL_MS".into(),
                settings.lease_ttl_ms.to_string(),
            ),
            (
                "REPRISE_TAKEOVER_SCAN_MS".into(),
                settings.scan_ms.to_string(),
            ),
        ];
        env.push(match redis {
            TopologyRedis::Own => ("CLUSTER_REDIS_PORT".into(), redis_port.to_string()),
            TopologyRedis::Url(..) => ("CLUSTER_REDIS_URL".into(), url),
        });
        if let Ok(transport) = std::env::var("REPRISE_TEST_TRANSPORT") {
            env.push(("REPRISE_TRANSPORT".into(), transport));
        }
        let extra = settings.extra.iter().map(|(k, v)| ((*k).into(), v.clone()));
        env.extend(extra);
        Self {
            lb_port,
            instance_ports,
            settings,
            store,
            script: Script::new(env, dir.path().join("script")),
            cluster_dir: ClusterDir(cluster_dir),
            dir: Some(dir),
        }
    }

    /// Runs `scripts/cluster ARGS` (`["kill", "2"]`, `["rolling-restart"]`) to its end;
    /// panics if it fails. Returns what it printed.
    pub async fn run(&self, args: &[&str]) -> String {
        self.script
            .run(args, SCRIPT_WITHIN)
            .await
            .unwrap_or_else(|failure| panic!("{failure}"))
    }

    /// `http://<nginx><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.lb_port)
    }

    /// Puts a small file at `name` under the shared media root; returns `name`.
    pub fn video(&self, name: &str) -> String {
        let path = self.store.media_path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"not really a video").unwrap();
        name.to_owned()
    }

    /// What Redis recorded of a session.
    pub async fn history(&self, session_id: &str) -> History {
        History::read(&self.store, session_id).await
    }

    /// A section of the shared Redis's `INFO`.
    pub async fn redis_info(&self, section: &str) -> String {
        let mut conn = self.store.conn().await;
        redis::cmd("INFO")
            .arg(section)
            .query_async(&mut conn)
            .await
            .expect("INFO of the topology's Redis")
    }

    /// The instance (1 to 3) whose run of the session has started and not ended.
    pub async fn owner(&self, session_id: &str) -> usize {
        let history = self.history(session_id).await;
        let (token, instance) = *history.starts().last().expect("the session has a run");
        assert_eq!(history.end_of(token), None, "{:?}", history.runs);
        instance_number(instance)
    }

    /// The pid of instance `n` (1 to 3) as its pid file names it.
    pub fn pid(&self, n: usize) -> Option<u32> {
        self.cluster_dir.pid(&format!("reprise-{n}"))
    }

    /// Runs `body` within [`BOUND`]; on a panic or a timeout, prints the tail of
    /// every log before failing.
    pub async fn bounded(&self, body: impl Future<Output = ()>) {
        let run = AssertUnwindSafe(tokio::time::timeout(BOUND, body)).catch_unwind();
        match run.await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => {
                eprintln!("{}", self.cluster_dir.logs(TAIL));
                panic!("the scenario did not finish within {BOUND:?}");
            }
            Err(panic) => {
                eprintln!("{}", self.cluster_dir.logs(TAIL));
                std::panic::resume_unwind(panic);
            }
        }
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        if let Err(failure) = self.script.run_blocking(&["down"], DOWN_WITHIN) {
            eprintln!("scripts/cluster down failed: {failure}");
            self.cluster_dir.kill_leftovers();
        }
        if std::thread::panicking() {
            let kept = self.dir.take().unwrap().keep();
            eprintln!(
                "the topology's logs and data are kept in {}",
                kept.display()
            );
        }
    }
}

/// `reprise-<n>` to `n`.
pub fn instance_number(id: &str) -> usize {
    id.strip_prefix("reprise-")
        .and_then(|n| n.parse().ok())
        .filter(|n| (1..=INSTANCES).contains(n))
        .unwrap_or_else(|| panic!("{id:?} is not one of reprise-1 to reprise-{INSTANCES}"))
}

/// `N` distinct loopback ports that were free a moment ago, none of them 6379.
fn free_ports<const N: usize>() -> [u16; N] {
    let mut held = Vec::new();
    while held.len() < N {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a loopback port");
        if listener.local_addr().unwrap().port() != 6379 {
            held.push(listener);
        }
    }
    std::array::from_fn(|i| held[i].local_addr().unwrap().port())
}
