//! The embedded in-process store: one instance, no Redis, same guarantees.

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::future::BoxFuture;

use super::{
    Cancel, Claim, ClaimRequest, EventPage, Feed, Inbox, Lease, Retention, Store, StoreError,
};
use crate::session::{Event, SessionId, Snapshot, Update};

/// Sessions, leases and events held in this process.
pub struct MemoryStore {}

impl MemoryStore {
    pub fn new(retention: Retention, inbox: Inbox) -> Arc<Self> {
        let _ = (retention, inbox);
        todo!()
    }
}

#[async_trait]
impl Store for MemoryStore {
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
        Ok(())
    }
}

impl Feed for MemoryStore {
    fn subscribe(&self, id: &SessionId) -> BoxFuture<'static, Result<(), StoreError>> {
        todo!("{id}")
    }
    fn unsubscribe(&self, id: &SessionId) {
        todo!("{id}")
    }
}
