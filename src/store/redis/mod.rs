//! The Redis store: every atomic step one Lua script; live events over pub/sub.
//!
//! Keys are spread over 16 shards by hash tag (see [`Keys`]): a video's keys, its
//! sessions' keys and the indexes that hold them (lease deadlines, the queue, sessions
//! by creation) share the video's shard, so each script touches one Redis Cluster slot.
//! On a single Redis (`redis://`) scripts publish with PUBLISH; on a Redis Cluster
//! (`redis+cluster://`, see [`Target`]) with SPUBLISH, and the feed subscribes with
//! SSUBSCRIBE. The scripts live in `scripts/*.lua`, each stating its KEYS, ARGV and
//! guarantees; `scripts.rs` compiles them, `leases.rs` runs the lease steps
//! (takeover, hand-over, run log) and `listing.rs` the listing, shard by shard.

mod connection;
mod feed;
mod keys;
mod leases;
mod listing;
mod reply;
mod scripts;
mod subscriber;
mod target;

use std::sync::Arc;

use async_trait::async_trait;
use redis::Value;
use serde_json::Map;

pub use feed::RedisFeed;
pub use keys::Keys;
pub use target::{CLUSTER_SCHEME, Target};

use self::connection::Connection;
use self::reply::{Reply, corrupt};
use self::scripts::Scripts;
use super::wire::{event_json, event_tail, format_progress, update_tail};
use super::{
    Cancel, Claim, ClaimRequest, EventPage, Lease, ListQuery, Retention, SessionPage, Store,
    StoreError, TakeOver,
};
use crate::metrics::{RedisOp, RedisRoundTrips};
use crate::session::{Event, EventKind, SessionId, Snapshot, Status, Update, VideoTag};

/// Sessions, leases and event logs in Redis, shared by every instance.
pub struct RedisStore {
    redis: Connection,
    scripts: &'static Scripts,
    keys: Keys,
    retention: Retention,
}

impl RedisStore {
    /// Connects to `url` (a single server, or a cluster by `redis+cluster://`); every
    /// key starts with `prefix`. Fails with [`StoreError::Unavailable`] unless Redis
    /// answers and has loaded every script.
    pub async fn connect(
        url: &str,
        prefix: &str,
        retention: Retention,
    ) -> Result<Self, StoreError> {
        let target = Target::parse(url, false)?;
        Self::connect_observed(&target, prefix, retention, Arc::default()).await
    }

    /// [`RedisStore::connect`] to `target`, observing every call's round trip in
    /// `round_trips`.
    pub async fn connect_observed(
        target: &Target,
        prefix: &str,
        retention: Retention,
        round_trips: Arc<RedisRoundTrips>,
    ) -> Result<Self, StoreError> {
        let store = Self {
            redis: Connection::new(target, round_trips)?,
            scripts: Scripts::get(target.publish()),
            keys: Keys::new(prefix),
            retention,
        };
        for script in store.scripts.all() {
            store.redis.load(script).await?;
        }
        Ok(store)
    }

    /// Runs a script and returns its reply as an array.
    async fn run(
        &self,
        op: RedisOp,
        call: redis::ScriptInvocation<'_>,
    ) -> Result<Reply, StoreError> {
        Reply::new(self.redis.invoke(op, &call).await?)
    }
}

/// The `seq, progress, ts` of a recorded event, completed with the tail sent.
fn recorded(reply: &mut Reply, kind: EventKind, tail: &str) -> Result<Event, StoreError> {
    let (seq, progress, ts) = (reply.number()?, reply.text()?, reply.number()?);
    let json = event_json(seq, &progress, ts, tail).into();
    Ok(Event { seq, kind, json })
}

#[async_trait]
impl Store for RedisStore {
    async fn claim(&self, request: &ClaimRequest) -> Result<Claim, StoreError> {
        let id = &request.new_id;
        if id.tag() != VideoTag::of(&request.video_path).as_str() {
            return Err(corrupt(format_args!(
                "session id {id} lacks its video's tag"
            )));
        }
        let status = if request.queued {
            Status::Queued
        } else {
            Status::Processing
        };
        let tail = event_tail(id, &request.video_path, status, &Map::new());
        let mut reply = self
            .run(
                RedisOp::Claim,
                self.scripts.claim(&self.keys, request, status, &tail),
            )
            .await?;
        let outcome = reply.text()?;
        let token = reply.number()?;
        let snapshot = reply::snapshot(&reply.hash()?)?;
        let lease = Lease {
            session_id: snapshot.session_id.clone(),
            video_path: snapshot.video_path.clone(),
            token,
        };
        match outcome.as_str() {
            "running" => Ok(Claim::Running(snapshot)),
            "finished" => Ok(Claim::Finished(snapshot)),
            "created" => Ok(Claim::Created(lease, snapshot)),
            other => Err(corrupt(format_args!("claim outcome {other:?}"))),
        }
    }

    async fn renew(&self, lease: &Lease, ttl_ms: u64) -> Result<bool, StoreError> {
        let call = self.scripts.renew(&self.keys, lease, ttl_ms);
        self.flag(RedisOp::Renew, call).await
    }

    async fn append(&self, lease: &Lease, update: &Update) -> Result<Event, StoreError> {
        let progress = match update.kind {
            EventKind::Complete => format_progress(100.0),
            _ => format_progress(update.progress),
        };
        let tail = update_tail(&lease.session_id, &lease.video_path, update);
        let call = self
            .scripts
            .append(&self.keys, lease, update, &progress, &tail, self.retention);
        let mut reply = self.run(RedisOp::Append, call).await?;
        match reply.text()?.as_str() {
            "ok" => recorded(&mut reply, update.kind, &tail),
            "fenced" => Err(StoreError::Fenced),
            other => Err(corrupt(format_args!(
                "append to {}: {other}",
                lease.session_id
            ))),
        }
    }

    async fn cancel(&self, id: &SessionId) -> Result<Cancel, StoreError> {
        let Some(snapshot) = self.snapshot(id).await? else {
            return Ok(Cancel::Unknown);
        };
        if snapshot.status.is_terminal() {
            return Ok(Cancel::AlreadyEnded(snapshot));
        }
        let tail = event_tail(id, &snapshot.video_path, Status::Cancelled, &Map::new());
        let call = self.scripts.cancel(&self.keys, id, &tail, self.retention);
        let mut reply = self.run(RedisOp::Cancel, call).await?;
        match reply.text()?.as_str() {
            "cancelled" => recorded(&mut reply, EventKind::Cancelled, &tail).map(Cancel::Cancelled),
            "ended" => Ok(Cancel::AlreadyEnded(reply::snapshot(&reply.hash()?)?)),
            "unknown" => Ok(Cancel::Unknown),
            other => Err(corrupt(format_args!("cancel of {id}: {other}"))),
        }
    }

    async fn snapshot(&self, id: &SessionId) -> Result<Option<Snapshot>, StoreError> {
        let value: Value = self
            .redis
            .query(
                RedisOp::Snapshot,
                redis::cmd("HGETALL").arg(self.keys.session(id)),
            )
            .await?;
        let hash = reply::hash(value)?;
        if hash.is_empty() {
            return Ok(None);
        }
        reply::snapshot(&hash).map(Some)
    }

    async fn events_after(
        &self,
        id: &SessionId,
        after: u64,
        limit: usize,
    ) -> Result<EventPage, StoreError> {
        let call = self.scripts.read(&self.keys, id, after, limit);
        let mut reply = self.run(RedisOp::Read, call).await?;
        let entries = Reply::new(reply.next()?)?.rest();
        let events = entries.map(reply::event).collect::<Result<_, _>>()?;
        let first_retained = reply.number()?;
        let last_seq = reply.number()?;
        Ok(EventPage {
            events,
            first_retained,
            last_seq,
        })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.redis
            .query::<String>(RedisOp::Ping, &redis::cmd("PING"))
            .await
            .map(drop)
    }

    async fn expired_leases(&self, limit: usize) -> Result<Vec<SessionId>, StoreError> {
        self.expired(limit).await
    }

    async fn take_over(
        &self,
        id: &SessionId,
        owner: &str,
        lease_ttl_ms: u64,
        max_takeovers: u32,
    ) -> Result<TakeOver, StoreError> {
        self.take(id, owner, lease_ttl_ms, max_takeovers).await
    }

    async fn take_queued(
        &self,
        owner: &str,
        lease_ttl_ms: u64,
    ) -> Result<Option<(Lease, Snapshot)>, StoreError> {
        self.dequeue(owner, lease_ttl_ms).await
    }

    async fn hand_over(&self, lease: &Lease) -> Result<bool, StoreError> {
        self.hand(lease).await
    }

    async fn note_run(&self, lease: &Lease, note: &str) -> Result<(), StoreError> {
        self.note(lease, note).await
    }

    async fn run_log(&self, id: &SessionId) -> Result<Vec<String>, StoreError> {
        self.log(id).await
    }

    async fn list_sessions(&self, query: &ListQuery) -> Result<SessionPage, StoreError> {
        self.list(query).await
    }
}
