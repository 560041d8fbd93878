//! The lease steps of the Redis store: the scan of expired leases and of the queue
//! (one read per shard, sent together), takeover, hand-over and the run log, each one
//! script (or one read).

use futures_util::future::try_join_all;
use redis::Value;

use super::keys::SHARDS;
use super::reply::{self, Reply, corrupt};
use super::scripts::GiveUp;
use super::{RedisStore, recorded};
use crate::metrics::RedisOp;
use crate::session::{EventKind, SessionId, Snapshot, Update};
use crate::store::give_up_failure;
use crate::store::wire::update_tail;
use crate::store::{Lease, Store, StoreError, TakeOver};

/// Queue entries one `take_queued` call looks at before it answers `None`.
const DEQUEUE_TRIES: usize = 16;

impl RedisStore {
    /// See [`Store::expired_leases`]: one read-only script per shard, timed by Redis's
    /// clock; the most overdue of all shards first.
    pub(super) async fn expired(&self, limit: usize) -> Result<Vec<SessionId>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let scans = SHARDS.map(|shard| async move {
            let call = self.scripts.expired(&self.keys, shard, limit);
            self.run(RedisOp::ExpiredLeases, call).await
        });
        let mut overdue = Vec::new();
        for reply in try_join_all(scans).await? {
            let items: Vec<String> = reply.rest().map(reply::text).collect::<Result<_, _>>()?;
            for pair in items.chunks(2) {
                let [member, deadline] = pair else {
                    return Err(corrupt("lease index scan: a member without its deadline"));
                };
                let deadline: f64 = deadline
                    .parse()
                    .map_err(|_| corrupt(format_args!("lease deadline {deadline:?}")))?;
                match SessionId::parse(member) {
                    Some(id) => overdue.push((deadline, id)),
                    None => tracing::warn!(member, "lease index holds a malformed session id"),
                }
            }
        }
        overdue.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        overdue.truncate(limit);
        Ok(overdue.into_iter().map(|(_, id)| id).collect())
    }

    /// See [`Store::take_over`]. Reads the session first, for the video path that the
    /// give-up event names (it never changes, and a missing session stays missing).
    pub(super) async fn take(
        &self,
        id: &SessionId,
        owner: &str,
        lease_ttl_ms: u64,
        max_takeovers: u32,
    ) -> Result<TakeOver, StoreError> {
        let failure = give_up_failure(max_takeovers);
        let tail = match self.snapshot(id).await? {
            Some(snapshot) => {
                update_tail(id, &snapshot.video_path, &Update::failed(failure.clone()))
            }
            None => String::new(),
        };
        let give_up = GiveUp {
            tail: &tail,
            failure: &failure,
        };
        let limits = (lease_ttl_ms, max_takeovers);
        let call = self
            .scripts
            .take_over(&self.keys, id, owner, limits, give_up, self.retention);
        let mut reply = self.run(RedisOp::TakeOver, call).await?;
        match reply.text()?.as_str() {
            "taken" => {
                let (lease, snapshot) = taken(&mut reply, id)?;
                Ok(TakeOver::Taken(lease, Box::new(snapshot)))
            }
            "gave_up" => recorded(&mut reply, EventKind::Failed, &tail).map(TakeOver::GaveUp),
            "not_needed" => Ok(TakeOver::NotNeeded),
            other => Err(corrupt(format_args!("take_over of {id}: {other}"))),
        }
    }

    /// See [`Store::hand_over`].
    pub(super) async fn hand(&self, lease: &Lease) -> Result<bool, StoreError> {
        self.flag(RedisOp::HandOver, self.scripts.hand_over(&self.keys, lease))
            .await
    }

    /// See [`Store::note_run`].
    pub(super) async fn note(&self, lease: &Lease, note: &str) -> Result<(), StoreError> {
        match self
            .flag(
                RedisOp::NoteRun,
                self.scripts.note_run(&self.keys, lease, note),
            )
            .await?
        {
            true => Ok(()),
            false => Err(StoreError::Fenced),
        }
    }

    /// See [`Store::take_queued`]: reads the head of every shard's queue, then one
    /// script takes the oldest; an entry another instance took first, or one gone
    /// stale, is skipped.
    pub(super) async fn dequeue(
        &self,
        owner: &str,
        lease_ttl_ms: u64,
    ) -> Result<Option<(Lease, Snapshot)>, StoreError> {
        for _ in 0..DEQUEUE_TRIES {
            let Some((shard, member)) = self.oldest_queued().await? else {
                return Ok(None);
            };
            let Some(id) = SessionId::parse(&member) else {
                tracing::warn!(member, "the queue holds a malformed session id");
                let drop = redis::cmd("ZREM")
                    .arg(self.keys.queue(shard))
                    .arg(&member)
                    .clone();
                self.redis.query::<i64>(RedisOp::Queue, &drop).await?;
                continue;
            };
            let call = self
                .scripts
                .take_queued(&self.keys, &id, owner, lease_ttl_ms);
            let mut reply = self.run(RedisOp::TakeQueued, call).await?;
            match reply.text()?.as_str() {
                "taken" => return taken(&mut reply, &id).map(Some),
                "gone" | "stale" => continue,
                other => return Err(corrupt(format_args!("take_queued of {id}: {other}"))),
            }
        }
        Ok(None)
    }

    /// The shard and member of the oldest queue entry of all shards, if any.
    async fn oldest_queued(&self) -> Result<Option<(&'static str, String)>, StoreError> {
        let heads = SHARDS.map(|shard| async move {
            let head = redis::cmd("ZRANGE")
                .arg(self.keys.queue(shard))
                .arg(0)
                .arg(0)
                .arg("WITHSCORES")
                .clone();
            let head: Vec<(String, f64)> = self.redis.query(RedisOp::Queue, &head).await?;
            Ok::<_, StoreError>(head.into_iter().next().map(|(id, at)| (at, shard, id)))
        });
        let heads = try_join_all(heads).await?;
        let oldest = heads
            .into_iter()
            .flatten()
            .min_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.2.cmp(&b.2)));
        Ok(oldest.map(|(_, shard, id)| (shard, id)))
    }

    /// See [`Store::run_log`].
    pub(super) async fn log(&self, id: &SessionId) -> Result<Vec<String>, StoreError> {
        let lines: Value = self
            .redis
            .query(
                RedisOp::RunLog,
                redis::cmd("LRANGE")
                    .arg(self.keys.run_log(id))
                    .arg(0)
                    .arg(-1),
            )
            .await?;
        Reply::new(lines)?.rest().map(reply::text).collect()
    }

    /// Runs a script that answers 1 (done) or 0 (refused, nothing changed).
    pub(super) async fn flag(
        &self,
        op: RedisOp,
        call: redis::ScriptInvocation<'_>,
    ) -> Result<bool, StoreError> {
        let done: i64 = self.redis.invoke(op, &call).await?;
        Ok(done == 1)
    }
}

/// The rest of a `{"taken", token, HGETALL}` reply: the new lease and the session.
fn taken(reply: &mut Reply, id: &SessionId) -> Result<(Lease, Snapshot), StoreError> {
    let token = reply.number()?;
    let snapshot = reply::snapshot(&reply.hash()?)?;
    let lease = Lease {
        session_id: id.clone(),
        video_path: snapshot.video_path.clone(),
        token,
    };
    Ok((lease, snapshot))
}
