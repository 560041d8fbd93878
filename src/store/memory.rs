//! The embedded in-process store: one instance, no Redis, the same guarantees.
//!
//! Every operation is one critical section under a single mutex (never held across
//! an await), so each is atomic with respect to every other, and an event reaches
//! the inbox inside the step that records it, so subscribers see events in seq order.

mod entries;
mod index;
mod listing;
mod state;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use futures_util::future::{self, BoxFuture};

use super::{
    Cancel, Claim, ClaimRequest, EventPage, Feed, Inbox, Lease, ListQuery, Retention, SessionPage,
    Store, StoreError, TakeOver,
};
use crate::session::{Event, SessionId, Snapshot, Update};
use entries::Now;
use state::State;

/// Sessions, leases and events held in this process; also its own [`Feed`], which
/// delivers the events of subscribed sessions to the inbox given to [`MemoryStore::new`].
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty store that keeps events per `retention` and publishes to `inbox`.
    pub fn new(retention: Retention, inbox: Inbox) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State::new(retention, inbox, now())),
        })
    }

    /// The state; a panic in another caller cannot leave it half-written, since no
    /// step panics between its first and last write, so a poisoned lock is reused.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn now() -> Now {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Now {
        at: Instant::now(),
        ms: u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX),
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn claim(&self, request: &ClaimRequest) -> Result<Claim, StoreError> {
        Ok(self.state().claim(request, now()))
    }

    async fn renew(&self, lease: &Lease, ttl_ms: u64) -> Result<bool, StoreError> {
        Ok(self.state().renew(lease, ttl_ms, now()))
    }

    async fn append(&self, lease: &Lease, update: &Update) -> Result<Event, StoreError> {
        self.state().append(lease, update, now())
    }

    async fn cancel(&self, id: &SessionId) -> Result<Cancel, StoreError> {
        Ok(self.state().cancel(id, now()))
    }

    async fn snapshot(&self, id: &SessionId) -> Result<Option<Snapshot>, StoreError> {
        Ok(self.state().snapshot(id, now()))
    }

    async fn events_after(
        &self,
        id: &SessionId,
        after: u64,
        limit: usize,
    ) -> Result<EventPage, StoreError> {
        Ok(self.state().events_after(id, after, limit, now()))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn expired_leases(&self, limit: usize) -> Result<Vec<SessionId>, StoreError> {
        Ok(self.state().expired_leases(limit, now()))
    }

    async fn take_over(
        &self,
        id: &SessionId,
        _owner: &str,
        lease_ttl_ms: u64,
        max_takeovers: u32,
    ) -> Result<TakeOver, StoreError> {
        Ok(self
            .state()
            .take_over(id, lease_ttl_ms, max_takeovers, now()))
    }

    async fn take_queued(
        &self,
        _owner: &str,
        lease_ttl_ms: u64,
    ) -> Result<Option<(Lease, Snapshot)>, StoreError> {
        Ok(self.state().take_queued(lease_ttl_ms, now()))
    }

    async fn hand_over(&self, lease: &Lease) -> Result<bool, StoreError> {
        Ok(self.state().hand_over(lease, now()))
    }

    async fn note_run(&self, lease: &Lease, note: &str) -> Result<(), StoreError> {
        self.state().note_run(lease, note, now())
    }

    async fn run_log(&self, id: &SessionId) -> Result<Vec<String>, StoreError> {
        Ok(self.state().run_log(id, now()))
    }

    async fn list_sessions(&self, query: &ListQuery) -> Result<SessionPage, StoreError> {
        let now = now();
        let state = self.state();
        Ok(listing::page(state.sessions(now), query))
    }
}

impl Feed for MemoryStore {
    /// Takes effect before it returns; the future is already resolved.
    fn subscribe(&self, id: &SessionId) -> BoxFuture<'static, Result<(), StoreError>> {
        self.state().subscribe(id);
        Box::pin(future::ready(Ok(())))
    }

    fn unsubscribe(&self, id: &SessionId) {
        self.state().unsubscribe(id);
    }
}
