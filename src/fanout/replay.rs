//! Reading a session's missed events back from the store.

use tracing::warn;

use crate::session::{Event, SessionId, Snapshot, replies};
use crate::store::{Store, StoreError};

/// Events read per store round trip.
const PAGE: usize = 500;

/// A watcher's missed events, or the news that some are gone.
#[derive(Debug)]
pub enum Replay {
    /// Every retained event after the asked-for seq, in order, without gaps.
    Events(Vec<Event>),
    /// Some events after the asked-for seq were trimmed from the log.
    Gap,
}

/// Every event of the session after `after`, or [`Replay::Gap`].
pub async fn read_after(
    store: &dyn Store,
    id: &SessionId,
    after: u64,
) -> Result<Replay, StoreError> {
    let mut events: Vec<Event> = Vec::new();
    let mut cursor = after;
    loop {
        let page = store.events_after(id, cursor, PAGE).await?;
        match page.events.first() {
            Some(first) if first.seq != cursor + 1 => return Ok(Replay::Gap),
            None if page.last_seq > cursor => return Ok(Replay::Gap),
            None => break,
            Some(_) => {}
        }
        let full = page.events.len() == PAGE;
        cursor = page.events.last().map_or(cursor, |last| last.seq);
        events.extend(page.events);
        if !full || cursor >= page.last_seq {
            break;
        }
    }
    Ok(Replay::Events(events))
}

/// What a watcher that has seen up to some seq needs to be current again.
pub struct CatchUp {
    /// The seq it will have seen once `lead` and `replay` are sent.
    pub delivered: u64,
    /// A `resume_session` gap snapshot, when its missed events are gone.
    pub lead: Option<String>,
    pub replay: Vec<Event>,
}

/// The missed events after `after`, or a fresh gap snapshot; `None` if the session is gone.
pub async fn catch_up(
    store: &dyn Store,
    id: &SessionId,
    after: u64,
) -> Result<Option<CatchUp>, StoreError> {
    match read_after(store, id, after).await? {
        Replay::Events(replay) => Ok(Some(CatchUp {
            delivered: after,
            lead: None,
            replay,
        })),
        Replay::Gap => {
            let Some(snapshot) = store.snapshot(id).await? else {
                return Ok(None);
            };
            warn!(session_id = %id, after, now = snapshot.seq, "watcher fell behind the replay window");
            let lead = Some(replies::resume(&snapshot, true));
            Ok(Some(CatchUp {
                delivered: snapshot.seq,
                lead,
                replay: Vec::new(),
            }))
        }
    }
}

/// A fresh `resume_session` gap snapshot for a watcher whose queued progress was
/// dropped; `None` if the session is gone. The snapshot of an ended session stands
/// one event before the end, and its terminal event (which carries the result, or the
/// error) follows it.
pub async fn fresh(store: &dyn Store, id: &SessionId) -> Result<Option<CatchUp>, StoreError> {
    let Some(mut snapshot) = store.snapshot(id).await? else {
        return Ok(None);
    };
    let mut replay = Vec::new();
    if snapshot.status.is_terminal() && snapshot.seq >= 2 {
        let page = store.events_after(id, snapshot.seq - 2, 2).await?;
        if let [before, last] = page.events.as_slice()
            && last.seq == snapshot.seq
            && let Ok(state) = before.state()
        {
            snapshot = Snapshot {
                seq: before.seq,
                status: state.status,
                progress: state.progress,
                result: None,
                error: None,
                ..snapshot
            };
            replay.push(last.clone());
        }
    }
    Ok(Some(CatchUp {
        delivered: snapshot.seq,
        lead: Some(replies::resume(&snapshot, true)),
        replay,
    }))
}
