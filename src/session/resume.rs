//! Where a (re)joining watcher resumes: the session as of the client's `last_seq` and
//! the events after it, or the current state (with `gap` when the events are gone).

use super::{Event, SessionId, Snapshot};
use crate::auth::Access;
use crate::error::RequestError;
use crate::fanout::{Replay, read_after};
use crate::store::{Store, StoreError};

/// A snapshot to send as `resume_session`, and the events that follow it.
pub struct ResumeView {
    pub snapshot: Snapshot,
    pub replay: Vec<Event>,
    pub gap: bool,
}

/// The snapshot to resume from and the events after it: the state as of the
/// client's `last_seq` when it is still replayable, else the current one. Refused,
/// before any event is read, when `access` does not cover the session's video.
pub async fn resume_view(
    store: &dyn Store,
    id: &SessionId,
    last_seq: Option<u64>,
    access: &Access,
) -> Result<ResumeView, RequestError> {
    let current = store
        .snapshot(id)
        .await?
        .ok_or(RequestError::UnknownSession)?;
    access.check(&current.video_path)?;
    let Some(seen) = last_seq.filter(|&seen| seen < current.seq) else {
        return Ok(ResumeView {
            snapshot: current,
            replay: Vec::new(),
            gap: false,
        });
    };
    let mut replay = match read_after(store, id, seen.saturating_sub(1)).await? {
        Replay::Events(events) => events,
        Replay::Gap => {
            return Ok(ResumeView {
                snapshot: current,
                replay: Vec::new(),
                gap: true,
            });
        }
    };
    let mut snapshot = Snapshot {
        seq: seen,
        progress: 0.0,
        result: None,
        error: None,
        ..current
    };
    if seen > 0 && replay.first().is_some_and(|first| first.seq == seen) {
        let state = replay
            .remove(0)
            .state()
            .map_err(|e| RequestError::Unavailable(StoreError::Corrupt(e.to_string())))?;
        snapshot.status = state.status;
        snapshot.progress = state.progress;
    } else if let Some(first) = replay.first().and_then(|e| e.state().ok()) {
        snapshot.status = first.status;
    }
    Ok(ResumeView {
        snapshot,
        replay,
        gap: false,
    })
}
