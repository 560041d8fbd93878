//! The KEYS/ARGV layout of the lease steps: takeover, hand-over, run notes and the
//! scan of the lease-deadline index.

use redis::ScriptInvocation;

use super::{EXPIRED, HAND_OVER, NOTE_RUN, TAKE_OVER, TAKE_QUEUED, lock_value, retention_args};
use crate::session::{Failure, SessionId};
use crate::store::RUN_LOG_LINES;
use crate::store::redis::keys::Keys;
use crate::store::{Lease, Retention};

/// What ends a session that is given up on: its `processing_error` event's tail and
/// the failure stored with it.
pub struct GiveUp<'a> {
    pub tail: &'a str,
    pub failure: &'a Failure,
}

/// `take_over.lua`.
pub fn take_over(
    keys: &Keys,
    id: &SessionId,
    owner: &str,
    (lease_ttl_ms, max_takeovers): (u64, u32),
    give_up: GiveUp<'_>,
    retention: Retention,
) -> ScriptInvocation<'static> {
    let tag = id.tag();
    let mut call = TAKE_OVER.prepare_invoke();
    call.key(keys.lock(tag))
        .key(keys.fence(tag))
        .key(keys.latest(tag))
        .key(keys.session(id))
        .key(keys.events(id))
        .key(keys.channel(id))
        .key(keys.run_log(id))
        .key(keys.leases())
        .arg(id.as_str())
        .arg(owner)
        .arg(lease_ttl_ms.max(1))
        .arg(max_takeovers)
        .arg(give_up.tail)
        .arg(&give_up.failure.code)
        .arg(&give_up.failure.message)
        .arg(&retention_args(retention)[..]);
    call
}

/// `take_queued.lua` for session `id`, read from the head of the queue.
pub fn take_queued(
    keys: &Keys,
    id: &SessionId,
    owner: &str,
    lease_ttl_ms: u64,
) -> ScriptInvocation<'static> {
    let tag = id.tag();
    let mut call = TAKE_QUEUED.prepare_invoke();
    call.key(keys.lock(tag))
        .key(keys.fence(tag))
        .key(keys.session(id))
        .key(keys.queue())
        .key(keys.leases())
        .arg(id.as_str())
        .arg(owner)
        .arg(lease_ttl_ms.max(1));
    call
}

/// `hand_over.lua`.
pub fn hand_over(keys: &Keys, lease: &Lease) -> ScriptInvocation<'static> {
    let id = &lease.session_id;
    let mut call = HAND_OVER.prepare_invoke();
    call.key(keys.lock(id.tag()))
        .key(keys.leases())
        .arg(lock_value(lease))
        .arg(id.as_str())
        .arg(keys.handover());
    call
}

/// `note_run.lua`, keeping the last [`RUN_LOG_LINES`] lines.
pub fn note_run(keys: &Keys, lease: &Lease, note: &str) -> ScriptInvocation<'static> {
    let id = &lease.session_id;
    let mut call = NOTE_RUN.prepare_invoke();
    call.key(keys.lock(id.tag()))
        .key(keys.run_log(id))
        .arg(lock_value(lease))
        .arg(note)
        .arg(RUN_LOG_LINES);
    call
}

/// `expired.lua`: at most `limit` (at least 1) ids.
pub fn expired(keys: &Keys, limit: usize) -> ScriptInvocation<'static> {
    let mut call = EXPIRED.prepare_invoke();
    call.key(keys.leases()).arg(limit.max(1));
    call
}
