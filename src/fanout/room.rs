//! A session's watchers on this instance, and the tag its progress frames carry.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use super::WatcherId;
use super::slot::Slot;
use crate::session::SessionId;

pub(super) type Rooms = HashMap<SessionId, Room>;

/// A session's watchers on this instance.
pub(super) struct Room {
    /// Tags this room's progress frames, so that a lagging watcher's can be dropped.
    pub tag: u64,
    pub slots: HashMap<WatcherId, Slot>,
}

impl Room {
    pub fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self {
            tag: NEXT.fetch_add(1, Ordering::Relaxed),
            slots: HashMap::new(),
        }
    }
}

/// The watcher `wid` of session `id`, if it still watches it.
pub(super) fn slot_mut<'a>(
    rooms: &'a mut Rooms,
    id: &SessionId,
    wid: WatcherId,
) -> Option<&'a mut Slot> {
    rooms.get_mut(id).and_then(|room| room.slots.get_mut(&wid))
}
