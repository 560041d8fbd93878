//! The KEYS/ARGV layout of the lease steps: takeover, hand-over, run notes and the
//! scan of the lease-deadline index.

use redis::ScriptInvocation;

use super::{Scripts, lock_value, retention_args};
use crate::session::{Failure, SessionId};
use crate::store::RUN_LOG_LINES;
use crate::store::redis::keys::{Keys, shard_of};
use crate::store::{Lease, Retention};

/// What ends a session that is given up on: its `processing_error` event's tail and
/// the failure stored with it.
pub struct GiveUp<'a> {
    pub tail: &'a str,
    pub failure: &'a Failure,
}

impl Scripts {
    /// `take_over.lua`.
    pub fn take_over(
        &self,
        keys: &Keys,
        id: &SessionId,
        owner: &str,
        (lease_ttl_ms, max_takeovers): (u64, u32),
        give_up: GiveUp<'_>,
        retention: Retention,
    ) -> ScriptInvocation<'_> {
        let tag = id.tag();
        let mut call = self.take_over.prepare_invoke();
        call.key(keys.lock(tag))
            .key(keys.fence(tag))
            .key(keys.latest(tag))
            .key(keys.session(id))
            .key(keys.events(id))
            .key(keys.channel(id))
            .key(keys.run_log(id))
            .key(keys.leases(shard_of(tag)))
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
        &self,
        keys: &Keys,
        id: &SessionId,
        owner: &str,
        lease_ttl_ms: u64,
    ) -> ScriptInvocation<'_> {
        let tag = id.tag();
        let mut call = self.take_queued.prepare_invoke();
        call.key(keys.lock(tag))
            .key(keys.fence(tag))
            .key(keys.session(id))
            .key(keys.queue(shard_of(tag)))
            .key(keys.leases(shard_of(tag)))
            .arg(id.as_str())
            .arg(owner)
            .arg(lease_ttl_ms.max(1));
        call
    }

    /// `hand_over.lua`.
    pub fn hand_over(&self, keys: &Keys, lease: &Lease) -> ScriptInvocation<'_> {
        let id = &lease.session_id;
        let mut call = self.hand_over.prepare_invoke();
        call.key(keys.lock(id.tag()))
            .key(keys.leases(shard_of(id.tag())))
            .arg(lock_value(lease))
            .arg(id.as_str())
            .arg(keys.handover(shard_of(id.tag())));
        call
    }

    /// `note_run.lua`, keeping the last [`RUN_LOG_LINES`] lines.
    pub fn note_run(&self, keys: &Keys, lease: &Lease, note: &str) -> ScriptInvocation<'_> {
        let id = &lease.session_id;
        let mut call = self.note_run.prepare_invoke();
        call.key(keys.lock(id.tag()))
            .key(keys.run_log(id))
            .arg(lock_value(lease))
            .arg(note)
            .arg(RUN_LOG_LINES);
        call
    }

    /// `expired.lua` on the shard's index: at most `limit` (at least 1) ids.
    pub fn expired(&self, keys: &Keys, shard: &str, limit: usize) -> ScriptInvocation<'_> {
        let mut call = self.expired.prepare_invoke();
        call.key(keys.leases(shard)).arg(limit.max(1));
        call
    }
}
