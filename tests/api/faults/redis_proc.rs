//! A `redis-server` that a test can shut down and start again on the same port and
//! folder, with its append-only file fsynced on every write, so what it acknowledged
//! survives the restart. Loopback only, never 6379; killed on drop; never flushed.

use std::net::{Ipv4Addr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const READY_WITHIN: Duration = Duration::from_secs(10);

pub struct RedisProcess {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// Further arguments, on every start (e.g. to make it a cluster node).
    extra: Vec<String>,
}

impl RedisProcess {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Like [`RedisProcess::start`], with `extra` appended to the command line.
    pub fn start_with(extra: &[&str]) -> Self {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        assert_ne!(port, 6379);
        let mut redis = Self {
            port,
            dir: tempfile::tempdir().unwrap(),
            child: None,
            extra: extra.iter().map(|arg| arg.to_string()).collect(),
        };
        redis.restart();
        redis
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// `SHUTDOWN` (the append-only file is fsynced first), then reaps the process.
    pub fn shutdown(&mut self) {
        if let Ok(mut conn) = self.connect() {
            let _: redis::RedisResult<()> = redis::cmd("SHUTDOWN").query(&mut conn);
        }
        if let Some(mut child) = self.child.take() {
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server (again) on the same port and folder, and waits until it
    /// answers as itself.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "redis-server is already running");
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--daemonize", "no"])
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(self.dir.path().join("redis.log"))
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs (install the redis-server package)");
        let ours = format!("process_id:{}\r\n", child.id());
        self.child = Some(child);
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            let info: Option<String> = self
                .connect()
                .ok()
                .and_then(|mut conn| redis::cmd("INFO").arg("server").query(&mut conn).ok());
            if info.is_some_and(|info| info.contains(&ours)) {
                return;
            }
            let exited = self.child.as_mut().unwrap().try_wait();
            assert!(
                matches!(exited, Ok(None)) && Instant::now() < deadline,
                "redis-server on port {} did not come up: {exited:?}; log:\n{}",
                self.port,
                std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn connect(&self) -> redis::RedisResult<redis::Connection> {
        redis::Client::open(self.url())?.get_connection_with_timeout(Duration::from_secs(1))
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
