//! The command line: one subcommand per scenario, each with the shared flags. Sizes
//! default to small; `smoke` runs every scenario in a few seconds for test suites.

use std::net::Ipv4Addr;

use clap::{Args, Parser, Subcommand};

/// Load generator for Reprise's Socket.IO server (or any server speaking its
/// protocol). Sends traffic only to 127.0.0.0/8, stops by itself, and prints exactly
/// one JSON line of results on stdout; logs go to stderr.
#[derive(Debug, Parser)]
#[command(name = "loadgen", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// S sessions x W watchers each: delivered events/s, latency, gaps, duplicates.
    Fanout(Fanout),
    /// Paced start_processing claims for fresh videos, then racing pairs.
    Claim(Claim),
    /// Watchers of running sessions all disconnect at once and resume elsewhere.
    Storm(Storm),
    /// Hold many idle connections; server RSS per connection.
    Idle(Idle),
    /// Every scenario at a tiny size, one after another, on consecutive videos.
    Smoke(Common),
}

/// Flags that every scenario takes.
#[derive(Clone, Debug, Args)]
pub struct Common {
    /// Server URL: http://HOST:PORT or ws://HOST:PORT[/socket.io/], HOST in
    /// 127.0.0.0/8 or localhost. Repeat it to spread clients round-robin over servers.
    #[arg(long = "url", required = true, value_name = "URL")]
    pub urls: Vec<String>,
    /// A process whose CPU seconds (over the measured phase) and RSS to report, e.g. a
    /// server instance or Redis. Repeatable.
    #[arg(long = "pid", value_name = "PID")]
    pub pids: Vec<u32>,
    /// Video path sent to the server: {i} is the video number (from --video-offset),
    /// {run} the --run-id.
    #[arg(long, default_value = "bench/{i}.mp4", value_name = "TEMPLATE")]
    pub path_template: String,
    /// Shorthand for --path-template '<PREFIX>{i}.mp4'.
    #[arg(long, conflicts_with = "path_template", value_name = "PREFIX")]
    pub video_prefix: Option<String>,
    /// Number of the first video used, so that repeated runs get fresh videos. The
    /// result's `videos_used` says how many were used.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub video_offset: u64,
    /// Replaces {run} in the path template (required when it has one).
    #[arg(long, value_name = "ID")]
    pub run_id: Option<String>,
    /// Local addresses in 127.0.0.0/8 (comma-separated) that connections bind to,
    /// round-robin. Default: the kernel's choice for the first 19,000 connections, then
    /// 127.0.0.2, 127.0.0.3, ... for each further 19,000.
    #[arg(long, value_delimiter = ',', value_name = "IP,IP,...")]
    pub source_ips: Vec<Ipv4Addr>,
    /// Connections being opened at once (keeps the server's listen backlog from
    /// overflowing).
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub connect_concurrency: usize,
    /// Worker threads of the load generator's runtime.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub threads: usize,
    /// Give up on a connect, handshake, reply or catch-up after this many seconds.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub timeout_s: f64,
    /// Leave the sessions that fanout, claim and storm started running when they end.
    /// By default they are cancelled (after the measurement), so that their runs do not
    /// load the server during the next scenario.
    #[arg(long)]
    pub keep_sessions: bool,
}

#[derive(Clone, Debug, Args)]
pub struct Fanout {
    #[command(flatten)]
    pub common: Common,
    /// Sessions, one fresh video each.
    #[arg(long, default_value_t = 2, value_name = "S")]
    pub sessions: usize,
    /// Watchers per session, the starter included (connections = S x W).
    #[arg(long, default_value_t = 3, value_name = "W")]
    pub watchers: usize,
    /// Spread the sessions' starts evenly over this many ms (one step of the server's
    /// runs keeps their events apart, as sessions that users start independently are),
    /// instead of starting them all at once.
    #[arg(long, default_value_t = 0.0, value_name = "MS")]
    pub stagger_ms: f64,
    /// Seconds to wait after every watcher joined before the window opens.
    #[arg(long, default_value_t = 0.0, value_name = "SECONDS")]
    pub warmup_s: f64,
    /// Length of the measured window; it closes earlier once every session ended.
    #[arg(long, default_value_t = 20.0, value_name = "SECONDS")]
    pub duration_s: f64,
}

#[derive(Clone, Debug, Args)]
pub struct Claim {
    #[command(flatten)]
    pub common: Common,
    /// Connections that the claims are spread over.
    #[arg(long, default_value_t = 10, value_name = "C")]
    pub clients: usize,
    /// Aggregate start_processing requests per second, each for a fresh video, sent on
    /// a fixed schedule whether or not earlier ones were answered.
    #[arg(long, default_value_t = 20.0, value_name = "R")]
    pub rate: f64,
    /// Seconds of paced claims (R x D requests).
    #[arg(long, default_value_t = 2.0, value_name = "SECONDS")]
    pub duration_s: f64,
    /// Racing pairs afterwards: two clients (on different URLs when two are given)
    /// start the same fresh video at the same instant.
    #[arg(long, default_value_t = 5, value_name = "P")]
    pub pairs: usize,
    /// Pause between racing pairs.
    #[arg(long, default_value_t = 20, value_name = "MS")]
    pub pair_interval_ms: u64,
}

#[derive(Clone, Debug, Args)]
pub struct Storm {
    #[command(flatten)]
    pub common: Common,
    /// Running sessions (their runs must outlast the storm: use many steps).
    #[arg(long, default_value_t = 2, value_name = "S")]
    pub sessions: usize,
    /// Watchers in all, spread round-robin over the sessions, all on the first URL;
    /// they reconnect to the second URL (the first if only one is given).
    #[arg(long, default_value_t = 10, value_name = "W")]
    pub watchers: usize,
    /// Events every watcher must have received before the disconnect.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub warm_events: u64,
    /// Reconnects in flight at once; 0: all at once.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub reconnect_concurrency: usize,
}

#[derive(Clone, Debug, Args)]
pub struct Idle {
    #[command(flatten)]
    pub common: Common,
    /// Connections to open (handshake and namespace connect done, pings answered).
    /// One process holds at most ~19,000: run several with the count split and
    /// distinct --source-ips for more.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub connections: usize,
    /// Seconds to hold them once all are open; server RSS is read at the end.
    #[arg(long, default_value_t = 1.0, value_name = "SECONDS")]
    pub hold_s: f64,
}
