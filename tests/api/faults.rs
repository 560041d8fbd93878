//! Fault injection against real `reprise` processes sharing one Redis: an owner
//! killed, frozen past its lease, cut off from Redis, or drained with SIGTERM, and
//! Redis itself restarted. Every test ends by checking, from what Redis recorded,
//! that no video had two owners at once and that no watcher missed or repeated an
//! event.

pub(crate) mod cluster;
mod cluster_node_restart;
mod cut_off;
mod drain;
mod give_up;
pub(crate) mod history;
mod instance;
pub(crate) mod invariants;
mod kill_owner;
mod pairs;
mod redis_proc;
mod redis_restart;
mod stop_owner;
mod transcode_takeover;
pub(crate) mod watcher;
