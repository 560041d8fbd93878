//! Bringing a watcher back up to date from the store while its live events are held:
//! from its last seq after a hole, or from a fresh gap snapshot after an overflow.

use std::time::Duration;

use tracing::debug;

use super::WatcherId;
use super::hub::{Hub, Ticket};
use super::replay::{CatchUp, catch_up, fresh};
use super::slot::Slot;
use crate::session::SessionId;

/// Where a resync takes a watcher from.
#[derive(Clone, Copy)]
pub(super) enum Catch {
    /// Every event after this seq, or a gap snapshot when some are gone.
    After(u64),
    /// A fresh gap snapshot: the watcher fell behind and its queued progress went.
    Snapshot,
}

impl Hub {
    /// Holds the watcher's live events back and, after `pause`, resyncs it.
    pub(super) fn hold_and_resync(
        &self,
        slot: &mut Slot,
        id: &SessionId,
        wid: WatcherId,
        from: Catch,
        pause: Duration,
    ) {
        slot.buffer = Some(Vec::new());
        let (hub, id, ticket) = (self.clone(), id.clone(), Ticket(slot.generation));
        tokio::spawn(async move {
            tokio::time::sleep(pause).await;
            hub.resync(id, wid, ticket, from).await
        });
    }

    /// Brings a watcher whose live events are held back up to date from the store.
    pub(super) async fn resync(&self, id: SessionId, wid: WatcherId, ticket: Ticket, from: Catch) {
        let mut backoff = Duration::from_millis(50);
        loop {
            let store = self.inner.store.as_ref();
            let caught_up = match from {
                Catch::After(after) => catch_up(store, &id, after).await,
                Catch::Snapshot => fresh(store, &id).await,
            };
            match caught_up {
                Ok(Some(CatchUp {
                    delivered,
                    lead,
                    replay,
                })) => {
                    return self.go_live(&id, wid, ticket, delivered, lead, replay);
                }
                Ok(None) => return self.detach(&id, wid),
                Err(error) => {
                    debug!(%error, session_id = %id, "resync failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                    let rooms = self.inner.rooms.lock().expect("hub lock");
                    let watched = rooms
                        .get(&id)
                        .and_then(|room| room.slots.get(&wid))
                        .is_some_and(|s| s.generation == ticket.0);
                    if !watched {
                        return;
                    }
                }
            }
        }
    }
}
