//! The Redis store: every atomic step one Lua script; live events over pub/sub.

mod feed;
mod keys;

use async_trait::async_trait;

pub use feed::RedisFeed;
pub use keys::Keys;

use super::{Cancel, Claim, ClaimRequest, EventPage, Lease, Retention, Store, StoreError};
use crate::session::{Event, SessionId, Snapshot, Update};

/// Sessions, leases and event logs in Redis, shared by every instance.
pub struct RedisStore {}

impl RedisStore {
    /// Connects a pool to `url`; every key starts with `prefix`.
    pub async fn connect(url: &str, prefix: &str, retention: Retention) -> Result<Self, StoreError> {
        let _ = (url, prefix, retention);
        todo!()
    }
}

#[async_trait]
impl Store for RedisStore {
    async fn claim(&self, request: &ClaimRequest) -> Result<Claim, StoreError> {
        todo!("{request:?}")
    }
    async fn renew(&self, lease: &Lease, ttl_ms: u64) -> Result<bool, StoreError> {
        todo!("{lease:?}{ttl_ms}")
    }
    async fn append(&self, lease: &Lease, update: &Update) -> Result<Event, StoreError> {
        todo!("{lease:?}{update:?}")
    }
    async fn cancel(&self, id: &SessionId) -> Result<Cancel, StoreError> {
        todo!("{id}")
    }
    async fn snapshot(&self, id: &SessionId) -> Result<Option<Snapshot>, StoreError> {
        todo!("{id}")
    }
    async fn events_after(&self, id: &SessionId, after: u64, limit: usize) -> Result<EventPage, StoreError> {
        todo!("{id}{after}{limit}")
    }
    async fn ping(&self) -> Result<(), StoreError> {
        todo!()
    }
}
