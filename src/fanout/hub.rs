//! The local watcher registry. Each watcher has a `delivered` seq; an event reaches it
//! only if it is the next one, so replay and live delivery meet without gap or
//! duplicate. While a watcher is being (re)synced from the store its live events are
//! buffered; any hole or feed outage sends it back through a resync, and a full queue
//! through the slow-client policy ([`super::slow`]).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::resync::Catch;
use super::room::{Room, Rooms, slot_mut};
use super::slot::{Slot, Step, deliver};
use super::{Delivery, Frame, Watcher, WatcherId};
use crate::config::SlowClient;
use crate::metrics::Metrics;
use crate::session::{Event, SessionId};
use crate::store::{Feed, FeedMessage, Store, StoreError};

/// Who watches which session on this instance. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) rooms: Mutex<Rooms>,
    feed: Arc<dyn Feed>,
    pub(super) store: Arc<dyn Store>,
    pub(super) metrics: Arc<Metrics>,
    pub(super) slow: SlowClient,
}

/// Proof of an attach, to be handed back to [`Hub::go_live`].
#[derive(Clone, Copy, Debug)]
pub struct Ticket(pub(super) u64);

impl Hub {
    pub fn new(
        feed: Arc<dyn Feed>,
        store: Arc<dyn Store>,
        metrics: Arc<Metrics>,
        slow: SlowClient,
    ) -> Self {
        let inner = Inner {
            rooms: Mutex::default(),
            feed,
            store,
            metrics,
            slow,
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Registers the watcher with its live events held back, and returns once the
    /// session's feed is active: whatever is appended from now on will reach it.
    pub async fn attach(
        &self,
        id: &SessionId,
        watcher: Arc<dyn Watcher>,
    ) -> Result<Ticket, StoreError> {
        let generation = rand::random::<u64>();
        let wid = watcher.id();
        let active = {
            let mut rooms = self.inner.rooms.lock().expect("hub lock");
            let slot = Slot {
                watcher,
                delivered: 0,
                buffer: Some(Vec::new()),
                resync_again: false,
                generation,
                stalls: 0,
            };
            let room = rooms.entry(id.clone()).or_insert_with(Room::new);
            room.slots.insert(wid, slot);
            self.inner.feed.subscribe(id)
        };
        if let Err(error) = active.await {
            self.detach(id, wid);
            return Err(error);
        }
        Ok(Ticket(generation))
    }

    /// Ends the hold: sends `lead` (a `resume_session` payload) if given, then the
    /// `replay`, then the held live events, each once and in order after `delivered`.
    /// A lead that does not fit is an overflow: the watcher gets another one later. A
    /// replay longer than the watcher's queue goes on from the store as it reads.
    pub fn go_live(
        &self,
        id: &SessionId,
        wid: WatcherId,
        ticket: Ticket,
        delivered: u64,
        lead: Option<String>,
        replay: Vec<Event>,
    ) {
        let mut rooms = self.inner.rooms.lock().expect("hub lock");
        let Some(room) = rooms.get_mut(id) else {
            return;
        };
        let tag = room.tag;
        let Some(slot) = room.slots.get_mut(&wid) else {
            return;
        };
        if slot.generation != ticket.0 {
            return;
        }
        if let Some(lead) = lead {
            match slot
                .watcher
                .send(&Frame::new("resume_session", lead).tagged(tag))
            {
                Delivery::Sent => slot.stalls = 0,
                Delivery::Full => return self.overflowed(&mut rooms, id, wid),
                Delivery::Gone => return self.remove(&mut rooms, id, wid),
            }
        }
        slot.delivered = delivered;
        let held = slot.buffer.take().unwrap_or_default();
        let replayed = replay.len();
        let mut step = Step::Keep;
        let mut in_replay = false;
        for (i, event) in replay.iter().chain(held.iter()).enumerate() {
            step = deliver(slot, event, &Frame::of(event, tag), &self.inner.metrics);
            if !matches!(step, Step::Keep) {
                in_replay = i < replayed;
                break;
            }
        }
        Metrics::add(&self.inner.metrics.events_replayed, replayed as u64);
        if matches!(step, Step::Lagging) && in_replay && slot.delivered > delivered {
            return self.pace_replay(slot, id, wid);
        }
        if matches!(step, Step::Keep) && std::mem::take(&mut slot.resync_again) {
            step = Step::Resync;
        }
        self.apply(&mut rooms, id, wid, step);
    }

    /// Forgets the watcher for this session; the last one out ends the subscription.
    pub fn detach(&self, id: &SessionId, wid: WatcherId) {
        let mut rooms = self.inner.rooms.lock().expect("hub lock");
        self.remove(&mut rooms, id, wid);
    }

    /// Sessions watched on this instance, and watchers in all.
    pub fn counts(&self) -> (usize, usize) {
        let rooms = self.inner.rooms.lock().expect("hub lock");
        (
            rooms.len(),
            rooms.values().map(|room| room.slots.len()).sum(),
        )
    }

    /// Sends every watcher one frame about its session (`payload` is given the id);
    /// their place in the session's events is unchanged.
    pub fn tell_all(&self, event_name: &'static str, payload: impl Fn(&SessionId) -> String) {
        let rooms = self.inner.rooms.lock().expect("hub lock");
        for (id, room) in rooms.iter() {
            let frame = Frame::new(event_name, payload(id));
            for slot in room.slots.values() {
                slot.watcher.send(&frame);
            }
        }
    }

    /// Applies what the feed delivered: an event to its watchers, or a resync of all.
    pub fn dispatch(&self, message: FeedMessage) {
        let mut rooms = self.inner.rooms.lock().expect("hub lock");
        match message {
            FeedMessage::Event(id, event) => {
                let Some(room) = rooms.get_mut(&id) else {
                    return;
                };
                let frame = Frame::of(&event, room.tag);
                let mut changes = Vec::new();
                for (wid, slot) in room.slots.iter_mut() {
                    if let Some(buffer) = &mut slot.buffer {
                        buffer.push(event.clone());
                        continue;
                    }
                    match deliver(slot, &event, &frame, &self.inner.metrics) {
                        Step::Keep => {}
                        step => changes.push((*wid, step)),
                    }
                }
                for (wid, step) in changes {
                    self.apply(&mut rooms, &id, wid, step);
                }
            }
            FeedMessage::HandedOver(_) => {}
            FeedMessage::Resync => {
                let mut stale = Vec::new();
                for (id, room) in rooms.iter_mut() {
                    for (wid, slot) in room.slots.iter_mut() {
                        match slot.buffer {
                            Some(_) => slot.resync_again = true,
                            None => stale.push((id.clone(), *wid)),
                        }
                    }
                }
                for (id, wid) in stale {
                    self.apply(&mut rooms, &id, wid, Step::Resync);
                }
            }
        }
    }

    fn apply(&self, rooms: &mut Rooms, id: &SessionId, wid: WatcherId, step: Step) {
        match step {
            Step::Keep => {}
            Step::Remove => self.remove(rooms, id, wid),
            Step::Lagging => self.overflowed(rooms, id, wid),
            Step::Resync => {
                let Some(slot) = slot_mut(rooms, id, wid) else {
                    return;
                };
                let from = Catch::After(slot.delivered);
                self.hold_and_resync(slot, id, wid, from, Duration::ZERO);
            }
        }
    }

    pub(super) fn remove(&self, rooms: &mut Rooms, id: &SessionId, wid: WatcherId) {
        let Some(room) = rooms.get_mut(id) else {
            return;
        };
        room.slots.remove(&wid);
        if room.slots.is_empty() {
            rooms.remove(id);
            self.inner.feed.unsubscribe(id);
        }
    }
}
