//! Listing the embedded store's sessions: a sort of the live ones, page by page.

use std::cmp::Reverse;

use super::entries::Session;
use crate::store::{ListCursor, ListQuery, SessionPage};

/// The page of `sessions` (the live ones) that `query` asks for.
pub(super) fn page<'a>(
    sessions: impl Iterator<Item = &'a Session>,
    query: &ListQuery,
) -> SessionPage {
    let after = query.after.as_ref().map(|c| (c.created_ms, &c.id));
    let mut matching: Vec<&Session> = sessions
        .filter(|s| {
            query
                .status
                .is_none_or(|status| s.snapshot.status == status)
        })
        .filter(|s| after.is_none_or(|after| (s.created_ms, &s.snapshot.session_id) < after))
        .collect();
    matching.sort_unstable_by_key(|s| Reverse((s.created_ms, &s.snapshot.session_id)));
    matching.truncate(query.limit.max(1));
    let full = matching.len() == query.limit.max(1);
    SessionPage {
        next: matching.last().filter(|_| full).map(|last| ListCursor {
            created_ms: last.created_ms,
            id: last.snapshot.session_id.clone(),
        }),
        sessions: matching.into_iter().map(|s| s.snapshot.clone()).collect(),
    }
}
