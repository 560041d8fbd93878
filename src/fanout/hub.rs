//! The local watcher registry. Each watcher has a `delivered` seq; an event reaches it
//! only if it is the next one, so replay and live delivery meet without gap or
//! duplicate. While a watcher is being (re)synced from the store its live events are
//! buffered; any hole, full queue or feed outage sends it back through a resync.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::debug;

use super::replay::{CatchUp, catch_up};
use super::slot::{Slot, Step, deliver};
use super::{Frame, Watcher, WatcherId};
use crate::metrics::Metrics;
use crate::session::{Event, SessionId};
use crate::store::{Feed, FeedMessage, Store, StoreError};

/// How long a watcher whose queue was full gets before it is resynced.
const LAGGING_PAUSE: Duration = Duration::from_millis(100);

/// Who watches which session on this instance. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    rooms: Mutex<HashMap<SessionId, HashMap<WatcherId, Slot>>>,
    feed: Arc<dyn Feed>,
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
}

/// Proof of an attach, to be handed back to [`Hub::go_live`].
#[derive(Clone, Copy, Debug)]
pub struct Ticket(u64);

impl Hub {
    pub fn new(feed: Arc<dyn Feed>, store: Arc<dyn Store>, metrics: Arc<Metrics>) -> Self {
        let inner = Inner {
            rooms: Mutex::default(),
            feed,
            store,
            metrics,
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
            };
            rooms.entry(id.clone()).or_default().insert(wid, slot);
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
        let Some(slot) = rooms.get_mut(id).and_then(|room| room.get_mut(&wid)) else {
            return;
        };
        if slot.generation != ticket.0 {
            return;
        }
        if let Some(lead) = lead {
            slot.watcher.send(&Frame::new("resume_session", lead));
        }
        slot.delivered = delivered;
        let held = slot.buffer.take().unwrap_or_default();
        let replayed = replay.len() as u64;
        let mut step = Step::Keep;
        for event in replay.iter().chain(held.iter()) {
            step = deliver(slot, event, &Frame::of(event), &self.inner.metrics);
            if !matches!(step, Step::Keep) {
                break;
            }
        }
        Metrics::add(&self.inner.metrics.events_replayed, replayed);
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
        (rooms.len(), rooms.values().map(HashMap::len).sum())
    }

    /// Sends every watcher one frame about its session (`payload` is given the id);
    /// their place in the session's events is unchanged.
    pub fn tell_all(&self, event_name: &'static str, payload: impl Fn(&SessionId) -> String) {
        let rooms = self.inner.rooms.lock().expect("hub lock");
        for (id, room) in rooms.iter() {
            let frame = Frame::new(event_name, payload(id));
            for slot in room.values() {
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
                let frame = Frame::of(&event);
                let mut changes = Vec::new();
                for (wid, slot) in room.iter_mut() {
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
                    for (wid, slot) in room.iter_mut() {
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

    fn apply(
        &self,
        rooms: &mut HashMap<SessionId, HashMap<WatcherId, Slot>>,
        id: &SessionId,
        wid: WatcherId,
        step: Step,
    ) {
        match step {
            Step::Keep => {}
            Step::Remove => self.remove(rooms, id, wid),
            Step::Resync | Step::Lagging => {
                let Some(slot) = rooms.get_mut(id).and_then(|room| room.get_mut(&wid)) else {
                    return;
                };
                slot.buffer = Some(Vec::new());
                let pause = match step {
                    Step::Lagging => LAGGING_PAUSE,
                    _ => Duration::ZERO,
                };
                let (hub, id, ticket, after) = (
                    self.clone(),
                    id.clone(),
                    Ticket(slot.generation),
                    slot.delivered,
                );
                tokio::spawn(async move {
                    tokio::time::sleep(pause).await;
                    hub.resync(id, wid, ticket, after).await
                });
            }
        }
    }

    fn remove(
        &self,
        rooms: &mut HashMap<SessionId, HashMap<WatcherId, Slot>>,
        id: &SessionId,
        wid: WatcherId,
    ) {
        let Some(room) = rooms.get_mut(id) else {
            return;
        };
        room.remove(&wid);
        if room.is_empty() {
            rooms.remove(id);
            self.inner.feed.unsubscribe(id);
        }
    }

    /// Brings a watcher whose live events are held back up to date from the store.
    async fn resync(&self, id: SessionId, wid: WatcherId, ticket: Ticket, after: u64) {
        let mut backoff = Duration::from_millis(50);
        loop {
            match catch_up(self.inner.store.as_ref(), &id, after).await {
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
                        .and_then(|room| room.get(&wid))
                        .is_some_and(|s| s.generation == ticket.0);
                    if !watched {
                        return;
                    }
                }
            }
        }
    }
}
