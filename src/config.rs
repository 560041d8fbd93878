//! Typed settings: `config/default.toml`, an optional `--config FILE`, then `REPRISE_*`
//! environment variables, each layer overriding the one before.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Everything the server can be told. Defaults are those of `config/default.toml`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub listen: String,
    /// `None` runs the embedded in-process store (one instance only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis_url: Option<String>,
    /// Treat `redis_url` as a Redis Cluster seed (also implied by `redis+cluster://`):
    /// scripts touch one slot each and live events use sharded pub/sub.
    pub redis_cluster: bool,
    pub redis_prefix: String,
    pub media_root: PathBuf,
    pub output_root: PathBuf,
    pub processor: ProcessorKind,
    /// The command processor's program and argument template; see [`crate::processor::Command`].
    pub command: Vec<String>,
    /// The ffmpeg processor's chunk length: the most work a stopped run loses.
    pub chunk_s: u64,
    /// The ffmpeg processor's rendition ladder: the heights to encode, each capped at
    /// the input's own.
    pub renditions: Vec<u32>,
    /// The ffmpeg processor's x264 preset.
    pub ffmpeg_preset: String,
    pub simulated_steps: u32,
    pub simulated_step_ms: u64,
    pub lease_ttl_ms: u64,
    pub takeover_scan_ms: u64,
    /// Takeovers after which a session that keeps losing its owner fails.
    pub max_takeovers: u32,
    /// How long a SIGTERM drain may take before the process exits anyway.
    pub drain_grace_ms: u64,
    pub max_concurrent_runs: usize,
    pub retain_events: u64,
    pub retain_ms: u64,
    pub ended_ttl_ms: u64,
    pub max_payload_bytes: usize,
    /// How often an idle Server-Sent Events stream gets a keep-alive comment.
    pub sse_keep_alive_ms: u64,
    /// Token keys as `<key id>:<secret>`; none turns authentication off.
    pub auth_keys: Vec<String>,
    /// Origins (`scheme://host[:port]`) whose pages may connect; none allows any.
    pub allowed_origins: Vec<String>,
    /// Proxies whose `X-Forwarded-For` names the client address.
    pub trusted_proxies: Vec<String>,
    /// Events a connection may send per second (twice that in a burst); 0 = no limit.
    pub events_per_second: u32,
    /// Sessions one connection may watch at once; 0 = no limit.
    pub max_watched_sessions: usize,
    /// Open connections (Socket.IO and event streams) per client address; 0 = no limit.
    pub max_connections_per_address: usize,
    /// Claims (`start_processing`, `POST /api/v1/sessions`) per token subject per
    /// minute, on each instance; 0 = no limit.
    pub claims_per_minute: u32,
    /// Which Socket.IO implementation serves `/socket.io/`.
    pub transport: TransportKind,
    /// Frames queued per client connection (and per event stream); 0: derived from
    /// `retain_events`, so that a full replay fits.
    pub client_queue: usize,
    /// What happens to a client whose outgoing queue overflows.
    pub slow_client: SlowClient,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    pub log_format: LogFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProcessorKind {
    Ffmpeg,
    Command,
    Simulated,
}

impl ProcessorKind {
    /// The name settings use.
    pub fn name(self) -> &'static str {
        match self {
            ProcessorKind::Ffmpeg => "ffmpeg",
            ProcessorKind::Command => "command",
            ProcessorKind::Simulated => "simulated",
        }
    }
}

/// The Socket.IO layers this server can serve with; both pass the same tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    /// socketioxide on axum.
    Socketioxide,
    /// This crate's own websocket-first Engine.IO v4 / Socket.IO v5 layer.
    Lean,
}

/// What happens to a client that does not read fast enough for its outgoing queue.
/// Either way it no longer holds back anyone else's delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SlowClient {
    /// Its queued progress of that session is dropped and one fresh `resume_session`
    /// snapshot with `gap: true` takes its place; live events continue after it.
    Resync,
    /// Its connection is closed at the transport level; it reconnects and resumes.
    Disconnect,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            redis_url: None,
            redis_cluster: false,
            redis_prefix: "reprise".into(),
            media_root: "./media".into(),
            output_root: "./outputs".into(),
            processor: ProcessorKind::Ffmpeg,
            command: Vec::new(),
            chunk_s: 10,
            renditions: vec![720],
            ffmpeg_preset: "veryfast".into(),
            simulated_steps: 100,
            simulated_step_ms: 50,
            lease_ttl_ms: 10_000,
            takeover_scan_ms: 1_000,
            max_takeovers: 3,
            drain_grace_ms: 5_000,
            max_concurrent_runs: 4,
            retain_events: 1_000,
            retain_ms: 600_000,
            ended_ttl_ms: 86_400_000,
            max_payload_bytes: 65_536,
            sse_keep_alive_ms: 15_000,
            auth_keys: Vec::new(),
            allowed_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            events_per_second: 20,
            max_watched_sessions: 16,
            max_connections_per_address: 1_000,
            claims_per_minute: 60,
            transport: TransportKind::Lean,
            client_queue: 0,
            slow_client: SlowClient::Resync,
            instance_id: None,
            log_format: LogFormat::Human,
        }
    }
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid settings in {path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("invalid value {value:?} for {variable}: {reason}")]
    Env {
        variable: String,
        value: String,
        reason: String,
    },
    #[error("invalid settings: {0}")]
    Invalid(String),
}

impl Config {
    /// Loads `file` (when given, or `config/default.toml` when it exists) over the
    /// defaults, then applies the environment, then checks the result.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let default_file = Path::new("config/default.toml");
        let file = file.or_else(|| default_file.exists().then_some(default_file));
        let base = match file {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        let config = base.with_env(std::env::vars())?;
        config.validate()?;
        Ok(config)
    }

    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })
    }

    /// This instance's name: the setting, or `host-pid-random`.
    pub fn instance_name(&self) -> String {
        self.instance_id.clone().unwrap_or_else(|| {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_owned())
                .unwrap_or_else(|_| "host".into());
            format!(
                "{host}-{}-{:04x}",
                std::process::id(),
                rand::random::<u16>()
            )
        })
    }
}

/// Settings without a default value, which the environment may still set.
const OPTIONAL: [&str; 2] = ["redis_url", "instance_id"];

mod env;
mod validate;

#[cfg(test)]
mod tests;
