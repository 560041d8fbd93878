//! The embedded store's index of lease deadlines: which running sessions' leases have
//! run out, most overdue first, without a look at every session.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use crate::session::SessionId;

/// When a lease runs out; `None` for one handed over, overdue before any other.
pub(super) type Deadline = Option<Instant>;

/// Every queued or processing session with the deadline of its lease.
#[derive(Default)]
pub(super) struct LeaseIndex {
    by_deadline: BTreeSet<(Deadline, SessionId)>,
    deadlines: HashMap<SessionId, Deadline>,
}

impl LeaseIndex {
    /// Sets (or moves) the session's deadline.
    pub(super) fn set(&mut self, id: &SessionId, deadline: Deadline) {
        if let Some(old) = self.deadlines.insert(id.clone(), deadline) {
            self.by_deadline.remove(&(old, id.clone()));
        }
        self.by_deadline.insert((deadline, id.clone()));
    }

    /// Forgets the session: it ended.
    pub(super) fn remove(&mut self, id: &SessionId) {
        if let Some(old) = self.deadlines.remove(id) {
            self.by_deadline.remove(&(old, id.clone()));
        }
    }

    /// Up to `limit` sessions whose deadline is at or before `now`, most overdue first.
    pub(super) fn expired(&self, now: Instant, limit: usize) -> Vec<SessionId> {
        self.by_deadline
            .iter()
            .take_while(|(deadline, _)| deadline.is_none_or(|at| at <= now))
            .take(limit)
            .map(|(_, id)| id.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::session::VideoTag;

    #[test]
    fn expired_lists_the_most_overdue_first_and_forgets_removed_ones() {
        let base = Instant::now();
        let at = |ms| Some(base + Duration::from_millis(ms));
        let ids: Vec<SessionId> = (0..4)
            .map(|_| SessionId::generate(&VideoTag::of("a.mp4")))
            .collect();
        let mut index = LeaseIndex::default();
        index.set(&ids[0], at(30));
        index.set(&ids[1], at(10));
        index.set(&ids[2], at(500));
        index.set(&ids[3], at(20));
        index.set(&ids[0], None);
        index.remove(&ids[3]);
        let now = base + Duration::from_millis(100);
        assert_eq!(index.expired(now, 10), [ids[0].clone(), ids[1].clone()]);
        assert_eq!(index.expired(now, 1), [ids[0].clone()]);
        index.set(&ids[1], at(200));
        assert_eq!(index.expired(now, 10), [ids[0].clone()]);
        assert_eq!(index.deadlines.len(), index.by_deadline.len());
    }
}
