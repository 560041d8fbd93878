//! Reading a session's missed events back from the store.

use crate::session::{Event, SessionId};
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
