//! The embedded store's operations, free of locking and clocks so that every rule
//! can be exercised at a chosen time. The lease steps (takeover, hand-over, run log)
//! are in `state/leases.rs`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use serde_json::Map;

use super::entries::{Now, Session, Video, clamp_progress, live, text};
use super::index::LeaseIndex;
use crate::session::{Event, EventKind, Failure, SessionId, Snapshot, Status, Update};
use crate::store::{
    Cancel, Claim, ClaimRequest, EventPage, FeedMessage, Inbox, Lease, Retention, StoreError, wire,
};

/// How often ended sessions past their time are physically removed; until then they
/// are already invisible to every operation.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Everything the store holds; every method is one atomic step of the store.
pub(super) struct State {
    retention: Retention,
    inbox: Inbox,
    videos: HashMap<String, Video>,
    sessions: HashMap<SessionId, Session>,
    /// The lease deadline of every queued or processing session.
    leases: LeaseIndex,
    /// Sessions claimed as queued, oldest first, for any instance with a free slot.
    queue: VecDeque<SessionId>,
    subscribed: HashSet<SessionId>,
    next_sweep: Instant,
}

impl State {
    pub fn new(retention: Retention, inbox: Inbox, now: Now) -> Self {
        Self {
            retention,
            inbox,
            videos: HashMap::new(),
            sessions: HashMap::new(),
            leases: LeaseIndex::default(),
            queue: VecDeque::new(),
            subscribed: HashSet::new(),
            next_sweep: now.at + SWEEP_EVERY,
        }
    }

    pub fn claim(&mut self, request: &ClaimRequest, now: Now) -> Claim {
        self.sweep(now);
        let path = &request.video_path;
        let video = self.videos.entry(path.clone()).or_default();
        let sessions = &mut self.sessions;
        if let Some(held) = video.lease.as_ref().filter(|held| held.deadline > now.at)
            && let Some(session) = live(sessions, &held.session_id, now)
        {
            return Claim::Running(session.snapshot.clone());
        }
        if let Some(latest) = video.latest.as_ref().and_then(|id| live(sessions, id, now)) {
            let snapshot = &latest.snapshot;
            if snapshot.status == Status::Complete && !request.force {
                return Claim::Finished(snapshot.clone());
            }
            if !snapshot.status.is_terminal() {
                // Its owner is gone; only `take_over` gives it a new one.
                return Claim::Running(snapshot.clone());
            }
        }
        let id = request.new_id.clone();
        let lease = video.grant(&id, path, request.lease_ttl_ms, now);
        video.latest = Some(id.clone());
        let status = if request.queued {
            Status::Queued
        } else {
            Status::Processing
        };
        let mut session = Session::new(Snapshot {
            session_id: id.clone(),
            video_path: path.clone(),
            status,
            progress: 0.0,
            seq: 0,
            updated_ms: now.ms,
            result: None,
            error: None,
            checkpoint: None,
        });
        let tail = wire::event_tail(&id, path, status, &Map::new());
        let event = session.record(EventKind::Started, &tail, now, &self.retention);
        let snapshot = session.snapshot.clone();
        sessions.insert(id.clone(), session);
        self.leases.set(&id, Some(now.after(request.lease_ttl_ms)));
        if request.queued {
            self.queue.push_back(id.clone());
        }
        self.publish(&id, event);
        Claim::Created(lease, snapshot)
    }

    pub fn renew(&mut self, lease: &Lease, ttl_ms: u64, now: Now) -> bool {
        let Some(video) = self.videos.get_mut(&lease.video_path) else {
            return false;
        };
        let current = video.holds(lease, now);
        if let Some(held) = video.lease.as_mut().filter(|_| current) {
            held.deadline = now.after(ttl_ms);
            self.leases.set(&lease.session_id, Some(held.deadline));
        }
        current
    }

    pub fn append(
        &mut self,
        lease: &Lease,
        update: &Update,
        now: Now,
    ) -> Result<Event, StoreError> {
        let video = self
            .videos
            .get_mut(&lease.video_path)
            .filter(|video| video.holds(lease, now))
            .ok_or(StoreError::Fenced)?;
        let session = live(&mut self.sessions, &lease.session_id, now).ok_or(StoreError::Fenced)?;
        let snapshot = &mut session.snapshot;
        snapshot.status = update.status;
        snapshot.progress = match update.kind {
            EventKind::Complete => 100.0,
            _ => snapshot.progress.max(clamp_progress(update.progress)),
        };
        if let Some(checkpoint) = &update.checkpoint {
            snapshot.checkpoint = Some(checkpoint.clone());
        }
        if update.kind.is_terminal() {
            match update.kind {
                EventKind::Complete => snapshot.result = update.extra.get("result").cloned(),
                EventKind::Failed => {
                    snapshot.error = Some(Failure {
                        code: text(&update.extra, "code"),
                        message: text(&update.extra, "message"),
                    })
                }
                _ => {}
            }
            video.lease = None;
            session.expires = Some(now.after(self.retention.ended_ttl_ms));
            self.leases.remove(&lease.session_id);
        }
        let tail = wire::update_tail(&lease.session_id, &lease.video_path, update);
        let event = session.record(update.kind, &tail, now, &self.retention);
        self.publish(&lease.session_id, event.clone());
        Ok(event)
    }

    pub fn cancel(&mut self, id: &SessionId, now: Now) -> Cancel {
        self.sweep(now);
        let Some(session) = live(&mut self.sessions, id, now) else {
            return Cancel::Unknown;
        };
        let snapshot = &mut session.snapshot;
        if snapshot.status.is_terminal() {
            return Cancel::AlreadyEnded(snapshot.clone());
        }
        if let Some(video) = self.videos.get_mut(&snapshot.video_path) {
            video.token += 1;
            if video
                .lease
                .as_ref()
                .is_some_and(|held| held.session_id == *id)
            {
                video.lease = None;
            }
        }
        snapshot.status = Status::Cancelled;
        self.leases.remove(id);
        session.expires = Some(now.after(self.retention.ended_ttl_ms));
        let tail = wire::event_tail(id, &snapshot.video_path, Status::Cancelled, &Map::new());
        let event = session.record(EventKind::Cancelled, &tail, now, &self.retention);
        self.publish(id, event.clone());
        Cancel::Cancelled(event)
    }

    pub fn snapshot(&mut self, id: &SessionId, now: Now) -> Option<Snapshot> {
        self.sweep(now);
        live(&mut self.sessions, id, now).map(|session| session.snapshot.clone())
    }

    pub fn events_after(
        &mut self,
        id: &SessionId,
        after: u64,
        limit: usize,
        now: Now,
    ) -> EventPage {
        let Some(session) = live(&mut self.sessions, id, now) else {
            return EventPage::default();
        };
        let first_retained = session.events.front().map_or(0, |(_, event)| event.seq);
        let skip = after.saturating_add(1).saturating_sub(first_retained);
        EventPage {
            events: (session.events.iter())
                .skip(usize::try_from(skip).unwrap_or(usize::MAX))
                .take(limit)
                .map(|(_, event)| event.clone())
                .collect(),
            first_retained,
            last_seq: session.snapshot.seq,
        }
    }

    pub fn subscribe(&mut self, id: &SessionId) {
        self.subscribed.insert(id.clone());
    }

    pub fn unsubscribe(&mut self, id: &SessionId) {
        self.subscribed.remove(id);
    }

    /// Hands the event to the inbox if its session is subscribed.
    fn publish(&self, id: &SessionId, event: Event) {
        if self.subscribed.contains(id) {
            let _ = self.inbox.send(FeedMessage::Event(id.clone(), event));
        }
    }

    /// Removes ended sessions past their time, with the video pointers and
    /// subscriptions that name them; at most once per [`SWEEP_EVERY`].
    /// The sessions that have not expired.
    pub fn sessions(&self, now: Now) -> impl Iterator<Item = &Session> {
        self.sessions.values().filter(move |s| s.is_live(now))
    }

    fn sweep(&mut self, now: Now) {
        if now.at < self.next_sweep {
            return;
        }
        self.next_sweep = now.at + SWEEP_EVERY;
        let (videos, subscribed, leases) =
            (&mut self.videos, &mut self.subscribed, &mut self.leases);
        self.sessions.retain(|id, session| {
            let keep = session.is_live(now);
            if !keep {
                subscribed.remove(id);
                leases.remove(id);
                if let Some(video) = videos.get_mut(&session.snapshot.video_path)
                    && video.latest.as_ref() == Some(id)
                {
                    video.latest = None;
                }
            }
            keep
        });
    }
}

mod leases;
#[cfg(test)]
mod tests;
