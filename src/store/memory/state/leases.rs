//! The embedded store's lease steps: the scan of expired leases, takeover, hand-over
//! and the run log.

use super::State;
use crate::session::{EventKind, SessionId, Snapshot, Status, Update};
use crate::store::memory::entries::{Now, live};
use crate::store::{FeedMessage, Lease, StoreError, TakeOver, wire};
use crate::store::{RUN_LOG_LINES, give_up_failure};

impl State {
    pub fn expired_leases(&mut self, limit: usize, now: Now) -> Vec<SessionId> {
        self.leases.expired(now.at, limit)
    }

    /// See [`crate::store::Store::take_over`]; a give-up ends the session exactly as
    /// a terminal append would.
    pub fn take_over(
        &mut self,
        id: &SessionId,
        lease_ttl_ms: u64,
        max_takeovers: u32,
        now: Now,
    ) -> TakeOver {
        self.sweep(now);
        let Some(session) = live(&mut self.sessions, id, now)
            .filter(|session| !session.snapshot.status.is_terminal())
        else {
            self.leases.remove(id);
            return TakeOver::NotNeeded;
        };
        let path = session.snapshot.video_path.clone();
        let video = self.videos.entry(path.clone()).or_default();
        if let Some(held) = video.lease.as_ref().filter(|held| held.deadline > now.at) {
            self.leases.set(id, Some(held.deadline));
            return TakeOver::NotNeeded;
        }
        if session.takeovers < max_takeovers {
            session.takeovers += 1;
            session.snapshot.updated_ms = now.ms;
            let lease = video.grant(id, &path, lease_ttl_ms, now);
            self.leases.set(id, Some(now.after(lease_ttl_ms)));
            return TakeOver::Taken(lease, Box::new(session.snapshot.clone()));
        }

        let failure = give_up_failure(max_takeovers);
        let update = Update::failed(failure.clone());
        video.lease = None;
        session.snapshot.status = Status::Failed;
        session.snapshot.error = Some(failure);
        session.expires = Some(now.after(self.retention.ended_ttl_ms));
        let tail = wire::update_tail(id, &path, &update);
        let event = session.record(EventKind::Failed, &tail, now, &self.retention);
        self.leases.remove(id);
        self.publish(id, event.clone());
        TakeOver::GaveUp(event)
    }

    /// See [`crate::store::Store::take_queued`].
    pub fn take_queued(&mut self, lease_ttl_ms: u64, now: Now) -> Option<(Lease, Snapshot)> {
        self.sweep(now);
        while let Some(id) = self.queue.pop_front() {
            let Some(session) = live(&mut self.sessions, &id, now)
                .filter(|session| session.snapshot.status == Status::Queued)
            else {
                continue;
            };
            let path = session.snapshot.video_path.clone();
            session.snapshot.updated_ms = now.ms;
            let video = self.videos.entry(path.clone()).or_default();
            let lease = video.grant(&id, &path, lease_ttl_ms, now);
            self.leases.set(&id, Some(now.after(lease_ttl_ms)));
            return Some((lease, session.snapshot.clone()));
        }
        None
    }

    /// See [`crate::store::Store::hand_over`]: the notice reaches the inbox whether
    /// or not the session is subscribed.
    pub fn hand_over(&mut self, lease: &Lease, now: Now) -> bool {
        let Some(video) = self
            .videos
            .get_mut(&lease.video_path)
            .filter(|video| video.holds(lease, now))
        else {
            return false;
        };
        video.lease = None;
        self.leases.set(&lease.session_id, None);
        let _ = (self.inbox).send(FeedMessage::HandedOver(lease.session_id.clone()));
        true
    }

    pub fn note_run(&mut self, lease: &Lease, note: &str, now: Now) -> Result<(), StoreError> {
        let current = (self.videos.get(&lease.video_path)).is_some_and(|v| v.holds(lease, now));
        let session = live(&mut self.sessions, &lease.session_id, now)
            .filter(|_| current)
            .ok_or(StoreError::Fenced)?;
        session.run_log.push_back(note.to_owned());
        while session.run_log.len() > RUN_LOG_LINES {
            session.run_log.pop_front();
        }
        Ok(())
    }

    pub fn run_log(&mut self, id: &SessionId, now: Now) -> Vec<String> {
        live(&mut self.sessions, id, now)
            .map(|session| session.run_log.iter().cloned().collect())
            .unwrap_or_default()
    }
}
