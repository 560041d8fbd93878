//! One outgoing event as every watcher gets it: its name and JSON payload, and the
//! serving transport's encoding of them, made on first use and then shared, so that a
//! session event is encoded once per instance however many watch it.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;

use crate::session::Event;

pub struct Frame {
    name: &'static str,
    json: Arc<str>,
    encoded: OnceLock<Bytes>,
}

impl Frame {
    pub fn new(name: &'static str, json: impl Into<Arc<str>>) -> Self {
        Self {
            name,
            json: json.into(),
            encoded: OnceLock::new(),
        }
    }

    /// The frame of a session event.
    pub fn of(event: &Event) -> Self {
        Self::new(event.kind.name(), event.json.clone())
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn json(&self) -> &str {
        &self.json
    }

    /// The frame as the transport sends it: `encode(name, json)` the first time, the
    /// same bytes after. A process serves one transport, so a frame has one encoding.
    pub fn encoded(&self, encode: impl FnOnce(&str, &str) -> String) -> Bytes {
        self.encoded
            .get_or_init(|| Bytes::from(encode(self.name, &self.json)))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoding_is_made_once_and_shared() {
        let frame = Frame::new("progress", r#"{"seq":1}"#);
        let first = frame.encoded(|name, json| format!("{name}:{json}"));
        let second = frame.encoded(|_, _| unreachable!("encoded twice"));
        assert_eq!(first, Bytes::from_static(br#"progress:{"seq":1}"#));
        assert_eq!(
            first.as_ptr(),
            second.as_ptr(),
            "the same bytes, not a copy"
        );
    }
}
