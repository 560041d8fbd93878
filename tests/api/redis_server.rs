//! A throwaway `redis-server` per test, or the run's shared one named by
//! `REPRISE_TEST_REDIS_URL`, with a key prefix of its own for every use either way.
//!
//! A started server listens on a free loopback port (never 6379), persists nothing
//! outside its temporary folder, and is killed when dropped. Nothing here flushes a
//! database: tests are kept apart by their prefixes.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// Names the Redis to use instead of starting one.
pub const URL_VARIABLE: &str = "REPRISE_TEST_REDIS_URL";
const ATTEMPTS: usize = 5;
const READY_WITHIN: Duration = Duration::from_secs(10);

/// A `redis-server` child process, killed and reaped on drop.
pub struct RedisServer {
    child: Child,
    port: u16,
    /// The server's working folder, removed after the server is gone.
    _dir: TempDir,
}

impl RedisServer {
    /// Starts a server with no persistence; panics with the reason if none comes up.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Like [`RedisServer::start`], with `extra_args` appended to the command line,
    /// where they override the defaults (e.g. `["--appendonly", "yes"]`).
    pub fn start_with(extra_args: &[&str]) -> Self {
        let mut failures = Vec::new();
        for _ in 0..ATTEMPTS {
            match Self::try_start(extra_args) {
                Ok(server) => return server,
                Err(failure) => failures.push(failure),
            }
        }
        panic!(
            "redis-server did not come up in {ATTEMPTS} attempts:\n{}",
            failures.join("\n")
        );
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Sends one inline command and returns the reply's text (a bulk string's body,
    /// or the status/error line with its `+`/`-` marker).
    pub fn query(&self, command: &str) -> io::Result<String> {
        query(self.port, command)
    }

    fn try_start(extra_args: &[&str]) -> Result<Self, String> {
        let port = free_port();
        let dir = tempfile::tempdir().map_err(|e| format!("no temporary folder: {e}"))?;
        let log = dir.path().join("redis.log");
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(dir.path())
            .arg("--logfile")
            .arg(&log)
            .args(extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                panic!("redis-server not found on PATH: install the redis-server package")
            }
            Err(e) => panic!("cannot run redis-server: {e}"),
        };
        let mut server = Self {
            child,
            port,
            _dir: dir,
        };
        server.await_ready().map_err(|reason| {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            format!("port {port}: {reason}; log:\n{log}")
        })?;
        Ok(server)
    }

    /// Waits until the server answers, checking that the answer comes from our child
    /// and not from another process that took the port first.
    fn await_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_WITHIN;
        let ours = format!("process_id:{}\r\n", self.child.id());
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("redis-server exited with {status}"));
            }
            if self
                .query("INFO server")
                .is_ok_and(|info| info.contains(&ours))
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("no answer within {READY_WITHIN:?}"));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Redis to test against, with a key prefix no other use shares.
pub struct TestRedis {
    pub url: String,
    pub prefix: String,
    /// The server started for this use, when `REPRISE_TEST_REDIS_URL` is unset.
    pub server: Option<RedisServer>,
}

impl TestRedis {
    /// The run's shared Redis if `REPRISE_TEST_REDIS_URL` names one, else a fresh server.
    pub fn get() -> Self {
        let prefix = unique_prefix("t");
        match std::env::var(URL_VARIABLE) {
            Ok(url) if !url.is_empty() => Self {
                url,
                prefix,
                server: None,
            },
            _ => {
                let server = RedisServer::start();
                Self {
                    url: server.url(),
                    prefix,
                    server: Some(server),
                }
            }
        }
    }
}

/// A key prefix no other use in any run shares: `<kind><pid>_<count>_<random>`.
pub fn unique_prefix(kind: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "{kind}{}_{}_{:08x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        rand::random::<u32>()
    )
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("cannot bind a loopback port");
    listener
        .local_addr()
        .expect("bound listener has an address")
        .port()
}

/// Sends one inline command to the server on `port`; see [`RedisServer::query`].
pub fn query(port: u16, command: &str) -> io::Result<String> {
    let timeout = Duration::from_secs(2);
    let mut stream = TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.write_all(format!("{command}\r\n").as_bytes())?;
    let mut reply = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        reply.extend_from_slice(&chunk[..read]);
        if let Some(text) = complete_reply(&reply) {
            return Ok(text);
        }
    }
}

/// The reply's text once `bytes` holds all of it.
fn complete_reply(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text.split_once("\r\n")?;
    match head.strip_prefix('$') {
        Some(length) => {
            let length: usize = length.parse().ok()?;
            (body.len() >= length + 2).then(|| body[..length].to_owned())
        }
        None => Some(head.to_owned()),
    }
}

#[test]
fn extra_args_apply_and_the_server_dies_on_drop() {
    let server = RedisServer::start_with(&["--appendonly", "yes"]);
    assert_ne!(server.port(), 6379);
    assert_eq!(
        server.url(),
        format!("redis://127.0.0.1:{}/", server.port())
    );
    let persistence = server.query("INFO persistence").expect("server answers");
    assert!(persistence.contains("aof_enabled:1\r\n"), "{persistence}");
    assert_eq!(server.query("PING").expect("server answers"), "+PONG");
    let port = server.port();
    drop(server);
    assert!(
        query(port, "PING").is_err(),
        "the server outlived its fixture"
    );
}

#[test]
fn every_use_gets_its_own_prefix() {
    let (a, b) = (TestRedis::get(), TestRedis::get());
    assert_ne!(a.prefix, b.prefix);
    let shared = std::env::var(URL_VARIABLE).is_ok_and(|url| !url.is_empty());
    assert_eq!(a.server.is_none(), shared);
}
