//! One outgoing event as every watcher gets it: its name and JSON payload, and the
//! serving transport's encoding of them, made on first use and then shared, so that a
//! session event is encoded once per instance however many watch it. A frame may carry
//! its session's tag: a client that falls behind may lose tagged frames (progress,
//! and gap snapshots that a newer one replaces), never untagged ones (replies and
//! terminal events).

use std::any::Any;
use std::sync::{Arc, OnceLock};

use crate::session::Event;

pub struct Frame {
    name: &'static str,
    json: Arc<str>,
    /// The session's tag ([`Frame::UNTAGGED`] when the frame must not be dropped).
    tag: u64,
    encoded: OnceLock<Box<dyn Any + Send + Sync>>,
}

impl Frame {
    /// The tag of a frame that is never dropped.
    pub const UNTAGGED: u64 = 0;

    /// An untagged frame.
    pub fn new(name: &'static str, json: impl Into<Arc<str>>) -> Self {
        Self {
            name,
            json: json.into(),
            tag: Self::UNTAGGED,
            encoded: OnceLock::new(),
        }
    }

    /// The frame of a session event, tagged `tag` unless the event is terminal.
    pub fn of(event: &Event, tag: u64) -> Self {
        let frame = Self::new(event.kind.name(), event.json.clone());
        if event.kind.is_terminal() {
            frame
        } else {
            frame.tagged(tag)
        }
    }

    pub fn tagged(mut self, tag: u64) -> Self {
        self.tag = tag;
        self
    }

    pub fn tag(&self) -> u64 {
        self.tag
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn json(&self) -> &str {
        &self.json
    }

    /// The frame as the transport sends it, in the transport's own type: `encode(name,
    /// json)` the first time, a clone of it after (make `T` cheap to clone). A process
    /// serves one transport; a frame asked for another type is encoded afresh.
    pub fn encoded<T>(&self, encode: impl FnOnce(&str, &str) -> T) -> T
    where
        T: Clone + Send + Sync + 'static,
    {
        if let Some(value) = self.encoded.get().and_then(|c| c.downcast_ref::<T>()) {
            return value.clone();
        }
        let value = encode(self.name, &self.json);
        let _ = self.encoded.set(Box::new(value.clone()));
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoding_is_made_once_and_shared() {
        let frame = Frame::new("progress", r#"{"seq":1}"#);
        let first: Arc<str> = frame.encoded(|name, json| format!("{name}:{json}").into());
        let second: Arc<str> = frame.encoded(|_, _| unreachable!("encoded twice"));
        assert_eq!(&*first, r#"progress:{"seq":1}"#);
        assert!(Arc::ptr_eq(&first, &second), "the same bytes, not a copy");
    }

    #[test]
    fn terminal_events_are_never_tagged() {
        use crate::session::EventKind;
        let event = |kind| Event {
            seq: 1,
            kind,
            json: "{}".into(),
        };
        assert_eq!(Frame::of(&event(EventKind::Progress), 7).tag(), 7);
        assert_eq!(Frame::of(&event(EventKind::Started), 7).tag(), 7);
        for kind in [EventKind::Complete, EventKind::Failed, EventKind::Cancelled] {
            assert_eq!(Frame::of(&event(kind), 7).tag(), Frame::UNTAGGED);
        }
    }
}
