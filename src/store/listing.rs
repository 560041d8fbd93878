//! Listing sessions page by page: newest first, optionally of one status, continued
//! from an opaque cursor.

use crate::session::{SessionId, Snapshot, Status};

/// Which sessions to list.
#[derive(Clone, Debug, PartialEq)]
pub struct ListQuery {
    /// Only sessions of this status; all when `None`.
    pub status: Option<Status>,
    /// Continue after this session; from the newest when `None`.
    pub after: Option<ListCursor>,
    /// The most sessions to return (at least 1).
    pub limit: usize,
}

/// Where a listing stopped: the last session it looked at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListCursor {
    pub created_ms: u64,
    pub id: SessionId,
}

impl ListCursor {
    /// The cursor as clients pass it back: `<created_ms>.<session id>`.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.created_ms, self.id)
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let (created_ms, id) = raw.split_once('.')?;
        Some(Self {
            created_ms: created_ms.parse().ok()?,
            id: SessionId::parse(id)?,
        })
    }
}

/// One page of a listing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SessionPage {
    pub sessions: Vec<Snapshot>,
    /// Where the next page starts; `None` once nothing older is left. A page may hold
    /// fewer than `limit` sessions and still have a next one, when a status filter
    /// skipped many.
    pub next: Option<ListCursor>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::VideoTag;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let id = SessionId::generate(&VideoTag::of("a.mp4"));
        let cursor = ListCursor {
            created_ms: 1_700_000_000_123,
            id,
        };
        assert_eq!(ListCursor::parse(&cursor.encode()), Some(cursor.clone()));
        for bad in ["", "12", "x.y", &format!("-1.{}", cursor.id), "1.short"] {
            assert_eq!(ListCursor::parse(bad), None, "{bad}");
        }
    }
}
