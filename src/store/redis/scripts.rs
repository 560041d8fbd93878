//! The Lua scripts of the Redis store, one per atomic step, each compiled in from
//! `scripts/*.lua` for one way of publishing and hashed once; `invoke_async` runs them
//! with EVALSHA and loads them again on NOSCRIPT. The KEYS/ARGV layout of each call is
//! in `scripts/sessions.rs` (session steps) and `scripts/leases.rs` (lease steps).

mod leases;
mod sessions;

pub use leases::GiveUp;

use std::sync::LazyLock;

use redis::Script;

use crate::session::{EventKind, Update};
use crate::store::{Lease, Retention};

/// How a script publishes: `PUBLISH` on a single Redis, `SPUBLISH` (sharded pub/sub)
/// on a Redis Cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Publish {
    Plain,
    Sharded,
}

impl Publish {
    fn command(self) -> &'static str {
        match self {
            Publish::Plain => "PUBLISH",
            Publish::Sharded => "SPUBLISH",
        }
    }
}

const COMMON: &str = include_str!("scripts/common.lua");

/// Every script, compiled for one way of publishing.
pub struct Scripts {
    claim: Script,
    renew: Script,
    append: Script,
    cancel: Script,
    read: Script,
    take_over: Script,
    hand_over: Script,
    note_run: Script,
    expired: Script,
    take_queued: Script,
    list: Script,
}

static PLAIN: LazyLock<Scripts> = LazyLock::new(|| Scripts::compile(Publish::Plain));
static SHARDED: LazyLock<Scripts> = LazyLock::new(|| Scripts::compile(Publish::Sharded));

impl Scripts {
    /// The scripts for `publish`, compiled and hashed once per process.
    pub fn get(publish: Publish) -> &'static Scripts {
        match publish {
            Publish::Plain => &PLAIN,
            Publish::Sharded => &SHARDED,
        }
    }

    fn compile(publish: Publish) -> Self {
        let header = format!("local PUBLISH = '{}'\n", publish.command());
        let with_helpers = |body: &str| Script::new(&format!("{header}{COMMON}\n{body}"));
        let alone = |body: &str| Script::new(&format!("{header}{body}"));
        Self {
            claim: with_helpers(include_str!("scripts/claim.lua")),
            renew: with_helpers(include_str!("scripts/renew.lua")),
            append: with_helpers(include_str!("scripts/append.lua")),
            cancel: with_helpers(include_str!("scripts/cancel.lua")),
            read: alone(include_str!("scripts/read.lua")),
            take_over: with_helpers(include_str!("scripts/take_over.lua")),
            hand_over: alone(include_str!("scripts/hand_over.lua")),
            note_run: alone(include_str!("scripts/note_run.lua")),
            expired: alone(include_str!("scripts/expired.lua")),
            take_queued: with_helpers(include_str!("scripts/take_queued.lua")),
            list: alone(include_str!("scripts/list.lua")),
        }
    }

    /// Every script, for loading them all up front.
    pub fn all(&self) -> [&Script; 11] {
        [
            &self.claim,
            &self.renew,
            &self.append,
            &self.cancel,
            &self.read,
            &self.take_over,
            &self.hand_over,
            &self.note_run,
            &self.expired,
            &self.take_queued,
            &self.list,
        ]
    }
}

/// The lock's value while `lease` is current: `"<token>:<session id>"`.
pub(super) fn lock_value(lease: &Lease) -> String {
    format!("{}:{}", lease.token, lease.session_id)
}

pub(super) fn flag(set: bool) -> &'static str {
    if set { "1" } else { "0" }
}

/// Retained events (at least one), retained ms, and the ended TTL (at least 1 ms).
pub(super) fn retention_args(r: Retention) -> [u64; 3] {
    [r.events.max(1), r.ms, r.ended_ttl_ms.max(1)]
}

/// The hash fields an update sets besides seq, progress, status and updated_ms.
pub(super) fn update_fields(update: &Update) -> Vec<(&'static str, String)> {
    let text = |name: &str| {
        let value = update.extra.get(name)?;
        Some(
            value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned),
        )
    };
    let mut fields = Vec::new();
    if let Some(checkpoint) = &update.checkpoint {
        fields.push(("checkpoint", checkpoint.clone()));
    }
    match update.kind {
        EventKind::Complete => {
            fields.extend(
                update
                    .extra
                    .get("result")
                    .map(|r| ("result", r.to_string())),
            );
        }
        EventKind::Failed => {
            fields.extend(text("code").map(|code| ("error_code", code)));
            fields.extend(text("message").map(|message| ("error_message", message)));
        }
        _ => {}
    }
    fields
}
