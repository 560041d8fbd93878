//! The Lua scripts of the Redis store, one per atomic step, and the KEYS/ARGV layout
//! of each call. The scripts are compiled in from `scripts/*.lua` and hashed once;
//! `invoke_async` runs them with EVALSHA and loads them again on NOSCRIPT. The calls
//! of the session steps are here, those of the lease steps in `scripts/leases.rs`.

mod leases;

use std::sync::LazyLock;

use redis::{Script, ScriptInvocation};

use super::keys::Keys;
use crate::session::{EventKind, SessionId, Status, Update};
use crate::store::{ClaimRequest, Lease, ListQuery, Retention};

macro_rules! with_helpers {
    ($file:literal) => {
        concat!(
            include_str!("scripts/common.lua"),
            "\n",
            include_str!(concat!("scripts/", $file))
        )
    };
}

macro_rules! alone {
    ($file:literal) => {
        include_str!(concat!("scripts/", $file))
    };
}

macro_rules! script {
    ($name:ident, $how:ident!($file:literal)) => {
        static $name: LazyLock<Script> = LazyLock::new(|| Script::new($how!($file)));
    };
}

script!(CLAIM, with_helpers!("claim.lua"));
script!(RENEW, with_helpers!("renew.lua"));
script!(APPEND, with_helpers!("append.lua"));
script!(CANCEL, with_helpers!("cancel.lua"));
script!(READ, alone!("read.lua"));
script!(TAKE_OVER, with_helpers!("take_over.lua"));
script!(HAND_OVER, alone!("hand_over.lua"));
script!(NOTE_RUN, alone!("note_run.lua"));
script!(EXPIRED, alone!("expired.lua"));
script!(TAKE_QUEUED, with_helpers!("take_queued.lua"));
script!(LIST, alone!("list.lua"));

pub use leases::{GiveUp, expired, hand_over, note_run, take_over, take_queued};

/// Every script, for loading them all up front.
pub fn all() -> [&'static Script; 11] {
    [
        &CLAIM,
        &RENEW,
        &APPEND,
        &CANCEL,
        &READ,
        &TAKE_OVER,
        &HAND_OVER,
        &NOTE_RUN,
        &EXPIRED,
        &TAKE_QUEUED,
        &LIST,
    ]
}

/// `claim.lua` for a request whose new id carries its video's tag.
pub fn claim(
    keys: &Keys,
    request: &ClaimRequest,
    status: Status,
    tail: &str,
) -> ScriptInvocation<'static> {
    let (id, tag) = (&request.new_id, request.new_id.tag());
    let mut call = CLAIM.prepare_invoke();
    call.key(keys.lock(tag))
        .key(keys.fence(tag))
        .key(keys.latest(tag))
        .key(keys.session(id))
        .key(keys.events(id))
        .key(keys.channel(id))
        .key(keys.leases())
        .key(keys.queue())
        .key(keys.sessions())
        .arg(keys.base(tag))
        .arg(id.as_str())
        .arg(&request.video_path)
        .arg(&request.owner)
        .arg(flag(request.force))
        .arg(status.as_str())
        .arg(request.lease_ttl_ms.max(1))
        .arg(tail);
    call
}

/// `renew.lua`.
pub fn renew(keys: &Keys, lease: &Lease, ttl_ms: u64) -> ScriptInvocation<'static> {
    let id = &lease.session_id;
    let mut call = RENEW.prepare_invoke();
    call.key(keys.lock(id.tag()))
        .key(keys.leases())
        .arg(lock_value(lease))
        .arg(ttl_ms.max(1))
        .arg(id.as_str());
    call
}

/// `append.lua`, writing `progress` (already formatted) and the event `tail`.
pub fn append(
    keys: &Keys,
    lease: &Lease,
    update: &Update,
    progress: &str,
    tail: &str,
    retention: Retention,
) -> ScriptInvocation<'static> {
    let id = &lease.session_id;
    let terminal = update.kind.is_terminal() || update.status.is_terminal();
    let mut call = APPEND.prepare_invoke();
    call.key(keys.lock(id.tag()))
        .key(keys.session(id))
        .key(keys.events(id))
        .key(keys.channel(id))
        .key(keys.latest(id.tag()))
        .key(keys.run_log(id))
        .key(keys.leases())
        .arg(id.as_str())
        .arg(lease.token)
        .arg(update.kind.name())
        .arg(update.status.as_str())
        .arg(progress)
        .arg(tail)
        .arg(flag(terminal))
        .arg(&retention_args(retention)[..])
        .arg(update_fields(update));
    call
}

/// `cancel.lua`, recording the `processing_cancelled` event `tail`.
pub fn cancel(
    keys: &Keys,
    id: &SessionId,
    tail: &str,
    retention: Retention,
) -> ScriptInvocation<'static> {
    let tag = id.tag();
    let mut call = CANCEL.prepare_invoke();
    call.key(keys.session(id))
        .key(keys.events(id))
        .key(keys.channel(id))
        .key(keys.lock(tag))
        .key(keys.fence(tag))
        .key(keys.latest(tag))
        .key(keys.run_log(id))
        .key(keys.leases())
        .arg(id.as_str())
        .arg(tail)
        .arg(&retention_args(retention)[..]);
    call
}

/// `read.lua`: up to `limit` events with seq greater than `after`.
pub fn read(keys: &Keys, id: &SessionId, after: u64, limit: usize) -> ScriptInvocation<'static> {
    let mut call = READ.prepare_invoke();
    call.key(keys.events(id))
        .key(keys.session(id))
        .arg(after.saturating_add(1))
        .arg(limit);
    call
}

/// `list.lua`: a page of up to `limit` sessions, looking at `budget` index entries.
pub fn list(
    keys: &Keys,
    query: &ListQuery,
    limit: usize,
    budget: usize,
) -> ScriptInvocation<'static> {
    let (score, after) = match &query.after {
        Some(cursor) => (cursor.created_ms.to_string(), cursor.id.as_str()),
        None => ("+inf".to_owned(), ""),
    };
    let mut call = LIST.prepare_invoke();
    call.key(keys.sessions())
        .arg(&keys.prefix)
        .arg(query.status.map_or("", Status::as_str))
        .arg(score)
        .arg(after)
        .arg(limit)
        .arg(budget);
    call
}

/// The lock's value while `lease` is current: `"<token>:<session id>"`.
fn lock_value(lease: &Lease) -> String {
    format!("{}:{}", lease.token, lease.session_id)
}

fn flag(set: bool) -> &'static str {
    if set { "1" } else { "0" }
}

/// Retained events (at least one), retained ms, and the ended TTL (at least 1 ms).
fn retention_args(r: Retention) -> [u64; 3] {
    [r.events.max(1), r.ms, r.ended_ttl_ms.max(1)]
}

/// The hash fields an update sets besides seq, progress, status and updated_ms.
fn update_fields(update: &Update) -> Vec<(&'static str, String)> {
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
