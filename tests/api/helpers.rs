//! Starting the real app in-process against a test Redis or the embedded store.

use std::path::{Path, PathBuf};
use std::sync::Once;

use reprise::app::App;
use reprise::config::{Config, LogFormat, ProcessorKind, TransportKind};

use crate::redis_server::TestRedis;
use crate::sio_client::SioClient;

/// A media root with a few small files, shared by every instance of a test.
pub struct Media {
    dir: tempfile::TempDir,
}

impl Media {
    pub fn new(files: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for file in files {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"not really a video").unwrap();
        }
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// One running instance.
pub struct TestApp {
    pub port: u16,
    outputs: tempfile::TempDir,
}

impl TestApp {
    pub async fn client(&self) -> SioClient {
        SioClient::connect(self.port).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The instance's output root.
    pub fn outputs(&self) -> &Path {
        self.outputs.path()
    }

    /// `/metrics` as the instance renders it now.
    pub async fn scrape(&self) -> Scrape {
        let text = reqwest::get(self.url("/metrics")).await.unwrap();
        Scrape(text.text().await.unwrap())
    }
}

/// One reading of `/metrics`.
pub struct Scrape(pub String);

impl Scrape {
    /// The value of `series`, a metric's name with its labels as rendered, e.g.
    /// `reprise_requests_refused_total{reason="forbidden"}`; it must be there.
    pub fn value(&self, series: &str) -> u64 {
        let line = format!("{series} ");
        self.0
            .lines()
            .find_map(|l| l.strip_prefix(&line))
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("no {series} in /metrics:\n{}", self.0))
    }
}

/// Test settings: simulated processor, short steps, loopback on a free port.
pub fn test_config(media: &Path, redis: Option<&TestRedis>) -> Config {
    Config {
        listen: "127.0.0.1:0".into(),
        redis_url: redis.map(|r| r.url.clone()),
        redis_prefix: redis.map_or_else(|| "unused".into(), |r| r.prefix.clone()),
        media_root: media.to_path_buf(),
        output_root: PathBuf::new(),
        processor: ProcessorKind::Simulated,
        simulated_steps: 20,
        simulated_step_ms: 20,
        lease_ttl_ms: 3_000,
        events_per_second: 0,
        max_watched_sessions: 0,
        log_format: LogFormat::Human,
        transport: test_transport(),
        ..Config::default()
    }
}

/// The transport under test: `REPRISE_TEST_TRANSPORT` (`socketioxide` or `lean`), else
/// the default.
pub fn test_transport() -> TransportKind {
    match std::env::var("REPRISE_TEST_TRANSPORT").as_deref() {
        Ok("lean") => TransportKind::Lean,
        Ok("socketioxide") => TransportKind::Socketioxide,
        Ok(other) => panic!("REPRISE_TEST_TRANSPORT={other}: expected socketioxide or lean"),
        Err(_) => Config::default().transport,
    }
}

/// Builds and runs an app with `config` (its output root is replaced by a temp dir).
pub async fn spawn_app(mut config: Config) -> TestApp {
    init_tracing();
    let outputs = tempfile::tempdir().unwrap();
    config.output_root = outputs.path().to_path_buf();
    let app = App::build(config).await.expect("app builds");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    TestApp { port, outputs }
}

/// Quiet unless TEST_LOG is set.
fn init_tracing() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            reprise::telemetry::init(LogFormat::Human, "info", std::io::stderr);
        }
    });
}

/// A command connection to the test Redis, for checking what is (not) stored.
pub async fn redis_keys(redis: &TestRedis) -> Vec<String> {
    let client = redis::Client::open(redis.url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let pattern = format!("{}:*", redis.prefix);
    let mut keys: Vec<String> = redis::cmd("KEYS")
        .arg(pattern)
        .query_async(&mut conn)
        .await
        .unwrap();
    keys.sort();
    keys
}
