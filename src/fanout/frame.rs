//! One outgoing event as every watcher gets it: its name and JSON payload, and the
//! serving transport's encoding of them, made on first use and then shared, so that a
//! session event is encoded once per instance however many watch it.

use std::any::Any;
use std::sync::{Arc, OnceLock};

use crate::session::Event;

pub struct Frame {
    name: &'static str,
    json: Arc<str>,
    encoded: OnceLock<Box<dyn Any + Send + Sync>>,
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
}
