//! What `close_all` reaches: one drain signal every connection task listens to,
//! a tracker of those tasks, and the long-polling sessions by sid (the only
//! connections a later request must find; websocket connections need no lookup).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::polling::PollSession;

/// Live connections of one server. A connection task is tracked from its start to
/// its end; a polling session is in `polling` from its open until it closes or
/// upgrades.
#[derive(Default)]
pub struct Registry {
    closing: CancellationToken,
    tasks: TaskTracker,
    polling: Mutex<HashMap<Box<str>, Arc<PollSession>>>,
}

impl Registry {
    /// Cancelled once, when the server drains; connection tasks then close.
    pub fn closing(&self) -> &CancellationToken {
        &self.closing
    }

    /// Runs a connection task, tracked until it ends.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.tasks.spawn(task);
    }

    pub fn get(&self, sid: &str) -> Option<Arc<PollSession>> {
        self.polling().get(sid).cloned()
    }

    pub fn insert(&self, sid: &str, session: Arc<PollSession>) {
        self.polling().insert(sid.into(), session);
    }

    pub fn remove(&self, sid: &str) {
        self.polling().remove(sid);
    }

    /// Tells every connection to close, then waits for every connection task.
    pub async fn close_all(&self) {
        self.closing.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }

    fn polling(&self) -> MutexGuard<'_, HashMap<Box<str>, Arc<PollSession>>> {
        self.polling
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
