//! What the embedded store keeps per video and per session, and the rules that
//! touch only one of them: lease checks, event recording and retention.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::session::{Event, EventKind, SessionId, Snapshot};
use crate::store::{Lease, Retention, wire};

/// The moment an operation happens, on both clocks it needs.
#[derive(Clone, Copy, Debug)]
pub(super) struct Now {
    /// For deadlines and ages.
    pub at: Instant,
    /// For event `ts` and `updated_ms`: milliseconds since the Unix epoch.
    pub ms: u64,
}

/// Per canonical video path: its fencing counter, its lease and its latest session.
#[derive(Default)]
pub(super) struct Video {
    /// Bumped by every claim that creates or takes over, and by every cancel.
    pub(super) token: u64,
    pub(super) lease: Option<Held>,
    pub(super) latest: Option<SessionId>,
}

/// A lease as the store remembers it.
pub(super) struct Held {
    pub(super) session_id: SessionId,
    pub(super) token: u64,
    pub(super) deadline: Instant,
}

/// A session: its snapshot, its retained events and its run log.
pub(super) struct Session {
    pub(super) snapshot: Snapshot,
    /// Retained events, oldest first, with the instant each was recorded.
    pub(super) events: VecDeque<(Instant, Event)>,
    /// Set once the session has ended: it vanishes at that instant.
    pub(super) expires: Option<Instant>,
    /// How many times its lease was taken over after its owner lost it.
    pub(super) takeovers: u32,
    /// Its owners' notes, oldest first, at most [`RUN_LOG_LINES`](crate::store::RUN_LOG_LINES).
    pub(super) run_log: VecDeque<String>,
    /// Milliseconds since the Unix epoch when it was created.
    pub(super) created_ms: u64,
}

impl Now {
    /// The instant `ms` milliseconds from now: when a lease granted now runs out.
    pub(super) fn after(self, ms: u64) -> Instant {
        self.at + Duration::from_millis(ms)
    }
}

impl Video {
    /// Whether `lease` is this video's current, unexpired lease.
    pub(super) fn holds(&self, lease: &Lease, now: Now) -> bool {
        self.token == lease.token
            && self.lease.as_ref().is_some_and(|held| {
                held.token == lease.token
                    && held.session_id == lease.session_id
                    && held.deadline > now.at
            })
    }

    /// Bumps the token and grants a new lease on `session_id`.
    pub(super) fn grant(
        &mut self,
        session_id: &SessionId,
        video_path: &str,
        ttl_ms: u64,
        now: Now,
    ) -> Lease {
        self.token += 1;
        self.lease = Some(Held {
            session_id: session_id.clone(),
            token: self.token,
            deadline: now.after(ttl_ms),
        });
        Lease {
            session_id: session_id.clone(),
            video_path: video_path.to_owned(),
            token: self.token,
        }
    }
}

impl Session {
    /// A session that has recorded nothing yet.
    pub(super) fn new(snapshot: Snapshot) -> Self {
        Self {
            created_ms: snapshot.updated_ms,
            snapshot,
            events: VecDeque::new(),
            expires: None,
            takeovers: 0,
            run_log: VecDeque::new(),
        }
    }

    /// False once an ended session's time has passed, though it may not be swept yet.
    pub(super) fn is_live(&self, now: Now) -> bool {
        self.expires.is_none_or(|at| at > now.at)
    }

    /// Records the next event from the snapshot's current status and progress, then
    /// trims what retention no longer requires (the newest event is always kept).
    pub(super) fn record(
        &mut self,
        kind: EventKind,
        tail: &str,
        now: Now,
        retention: &Retention,
    ) -> Event {
        let snapshot = &mut self.snapshot;
        snapshot.seq += 1;
        snapshot.updated_ms = now.ms;
        let progress = wire::format_progress(snapshot.progress);
        let event = Event {
            seq: snapshot.seq,
            kind,
            json: wire::event_json(snapshot.seq, &progress, now.ms, tail).into(),
        };
        self.events.push_back((now.at, event.clone()));
        let young = Duration::from_millis(retention.ms);
        while self.events.len() as u64 > retention.events.max(1)
            && self
                .events
                .front()
                .is_some_and(|(at, _)| now.at.saturating_duration_since(*at) >= young)
        {
            self.events.pop_front();
        }
        event
    }
}

/// The sessions map, seen without the ended sessions whose time has passed.
pub(super) fn live<'a>(
    sessions: &'a mut HashMap<SessionId, Session>,
    id: &SessionId,
    now: Now,
) -> Option<&'a mut Session> {
    sessions.get_mut(id).filter(|session| session.is_live(now))
}

/// A reported progress as stores keep it: within 0..=100, 0 when not a number.
pub(super) fn clamp_progress(progress: f64) -> f64 {
    if progress.is_finite() {
        progress.clamp(0.0, 100.0)
    } else {
        0.0
    }
}

/// The string field `key` of an update's extra fields, empty when absent.
pub(super) fn text(extra: &Map<String, Value>, key: &str) -> String {
    extra
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}
