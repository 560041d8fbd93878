//! Live events over one Redis pub/sub connection per instance.

use futures_util::future::BoxFuture;

use crate::session::SessionId;
use crate::store::{Feed, Inbox, StoreError};

/// Subscribes to session channels and forwards their events to the inbox.
pub struct RedisFeed {}

impl RedisFeed {
    /// Starts the subscriber task for `url`, with channels named under `prefix`.
    pub fn start(url: &str, prefix: &str, inbox: Inbox) -> Result<Self, StoreError> {
        let _ = (url, prefix, inbox);
        todo!()
    }
}

impl Feed for RedisFeed {
    fn subscribe(&self, id: &SessionId) -> BoxFuture<'static, Result<(), StoreError>> {
        todo!("{id}")
    }
    fn unsubscribe(&self, id: &SessionId) {
        todo!("{id}")
    }
}
