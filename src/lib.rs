//! Reprise: long-running video processing whose progress streams to browsers.
//!
//! A map of the crate:
//! - [`config`]: settings from file and environment; [`telemetry`]: logging.
//! - [`app`]: builds the server from a [`config::Config`] and runs it.
//! - [`media`]: video paths, canonicalised under the media root.
//! - [`store`]: the shared state seam (sessions, leases, event logs, live feed), in
//!   Redis or embedded in the process.
//! - [`session`]: the claim/resume/replay rules and the runner that owns runs.
//! - [`fanout`]: delivery of replayed and live events to this instance's watchers.
//! - [`processor`]: the work itself (simulated, ffmpeg, command).
//! - [`transport`]: Socket.IO and HTTP; [`auth`]: tokens and what they grant.
pub mod app;
pub mod auth;
pub mod config;
pub mod error;
pub mod fanout;
pub mod limits;
pub mod media;
pub mod metrics;
pub mod processor;
pub mod session;
pub mod shutdown;
pub mod store;
pub mod telemetry;
pub mod transport;
