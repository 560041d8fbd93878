//! A watcher whose queue is full: it must not hold back anyone else. By the policy,
//! its connection is closed, or its queued progress of the session is dropped and
//! one fresh `resume_session` snapshot with `gap: true` goes out in its place, live
//! events following from that snapshot's seq. Nothing here waits on the client.
//!
//! A replay (a rejoin from an old seq) may be longer than a queue: while the client
//! takes some of it each time, it is paced rather than treated as slow.

use std::time::Duration;

use tracing::debug;

use super::WatcherId;
use super::hub::Hub;
use super::resync::Catch;
use super::room::{Rooms, slot_mut};
use super::slot::Slot;
use crate::config::SlowClient;
use crate::metrics::Metrics;
use crate::session::SessionId;

/// The first wait for room when dropping queued frames made none; it doubles on
/// each further overflow, up to `LAGGING_PAUSE << MAX_DOUBLINGS`.
const LAGGING_PAUSE: Duration = Duration::from_millis(100);
const MAX_DOUBLINGS: u32 = 4;

/// Overflows in a row, without a gap snapshot getting through, after which a client
/// is closed whatever the policy, where its transport can close it (about 5 s).
const MAX_STALLS: u32 = 6;

impl Hub {
    /// Applies the slow-client policy to a watcher whose queue refused a frame.
    pub(super) fn overflowed(&self, rooms: &mut Rooms, id: &SessionId, wid: WatcherId) {
        let Some(tag) = rooms.get(id).map(|room| room.tag) else {
            return;
        };
        let Some(slot) = slot_mut(rooms, id, wid) else {
            return;
        };
        let metrics = &self.inner.metrics;
        let hopeless = slot.stalls >= MAX_STALLS;
        if (self.inner.slow == SlowClient::Disconnect || hopeless) && slot.watcher.close() {
            debug!(session_id = %id, stalls = slot.stalls, "slow client disconnected");
            Metrics::bump(&metrics.slow_client_disconnects);
            return self.remove(rooms, id, wid);
        }
        if slot.stalls == 0 {
            debug!(session_id = %id, "slow client: its queued progress gives way to a gap snapshot");
            Metrics::bump(&metrics.slow_client_resyncs);
        }
        let pause = if slot.watcher.shed(tag) {
            Duration::ZERO
        } else {
            LAGGING_PAUSE * (1 << slot.stalls.min(MAX_DOUBLINGS))
        };
        slot.stalls += 1;
        self.hold_and_resync(slot, id, wid, Catch::Snapshot, pause);
    }

    /// A replay filled the watcher's queue after queueing some of it: the rest is read
    /// from the store again after a pause, from the last event queued.
    pub(super) fn pace_replay(&self, slot: &mut Slot, id: &SessionId, wid: WatcherId) {
        let from = Catch::After(slot.delivered);
        self.hold_and_resync(slot, id, wid, from, LAGGING_PAUSE);
    }
}

#[cfg(test)]
mod tests;
