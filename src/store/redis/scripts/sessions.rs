//! The KEYS/ARGV layout of the session steps: claim, renew, append, cancel, read and
//! list.

use redis::ScriptInvocation;

use super::{Scripts, flag, lock_value, retention_args, update_fields};
use crate::session::{SessionId, Status, Update};
use crate::store::redis::keys::{Keys, shard_of};
use crate::store::{ClaimRequest, Lease, ListQuery, Retention};

impl Scripts {
    /// `claim.lua` for a request whose new id carries its video's tag.
    pub fn claim(
        &self,
        keys: &Keys,
        request: &ClaimRequest,
        status: Status,
        tail: &str,
    ) -> ScriptInvocation<'_> {
        let (id, tag) = (&request.new_id, request.new_id.tag());
        let mut call = self.claim.prepare_invoke();
        call.key(keys.lock(tag))
            .key(keys.fence(tag))
            .key(keys.latest(tag))
            .key(keys.session(id))
            .key(keys.events(id))
            .key(keys.channel(id))
            .key(keys.leases(shard_of(tag)))
            .key(keys.queue(shard_of(tag)))
            .key(keys.sessions(shard_of(tag)))
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
    pub fn renew(&self, keys: &Keys, lease: &Lease, ttl_ms: u64) -> ScriptInvocation<'_> {
        let id = &lease.session_id;
        let mut call = self.renew.prepare_invoke();
        call.key(keys.lock(id.tag()))
            .key(keys.leases(shard_of(id.tag())))
            .arg(lock_value(lease))
            .arg(ttl_ms.max(1))
            .arg(id.as_str());
        call
    }

    /// `append.lua`, writing `progress` (already formatted) and the event `tail`.
    pub fn append(
        &self,
        keys: &Keys,
        lease: &Lease,
        update: &Update,
        progress: &str,
        tail: &str,
        retention: Retention,
    ) -> ScriptInvocation<'_> {
        let id = &lease.session_id;
        let terminal = update.kind.is_terminal() || update.status.is_terminal();
        let mut call = self.append.prepare_invoke();
        call.key(keys.lock(id.tag()))
            .key(keys.session(id))
            .key(keys.events(id))
            .key(keys.channel(id))
            .key(keys.latest(id.tag()))
            .key(keys.run_log(id))
            .key(keys.leases(shard_of(id.tag())))
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
        &self,
        keys: &Keys,
        id: &SessionId,
        tail: &str,
        retention: Retention,
    ) -> ScriptInvocation<'_> {
        let tag = id.tag();
        let mut call = self.cancel.prepare_invoke();
        call.key(keys.session(id))
            .key(keys.events(id))
            .key(keys.channel(id))
            .key(keys.lock(tag))
            .key(keys.fence(tag))
            .key(keys.latest(tag))
            .key(keys.run_log(id))
            .key(keys.leases(shard_of(tag)))
            .arg(id.as_str())
            .arg(tail)
            .arg(&retention_args(retention)[..]);
        call
    }

    /// `read.lua`: up to `limit` events with seq greater than `after`.
    pub fn read(
        &self,
        keys: &Keys,
        id: &SessionId,
        after: u64,
        limit: usize,
    ) -> ScriptInvocation<'_> {
        let mut call = self.read.prepare_invoke();
        call.key(keys.events(id))
            .key(keys.session(id))
            .arg(after.saturating_add(1))
            .arg(limit);
        call
    }

    /// `list.lua`: a page of up to `limit` of the shard's sessions, looking at `budget`
    /// index entries.
    pub fn list(
        &self,
        keys: &Keys,
        shard: &str,
        query: &ListQuery,
        limit: usize,
        budget: usize,
    ) -> ScriptInvocation<'_> {
        let (score, after) = match &query.after {
            Some(cursor) => (cursor.created_ms.to_string(), cursor.id.as_str()),
            None => ("+inf".to_owned(), ""),
        };
        let mut call = self.list.prepare_invoke();
        call.key(keys.sessions(shard))
            .arg(keys.shard(shard))
            .arg(query.status.map_or("", Status::as_str))
            .arg(score)
            .arg(after)
            .arg(limit)
            .arg(budget);
        call
    }
}
