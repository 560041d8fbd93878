//! A watcher whose queue is a plain list of a few frames, which the test reads.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::fanout::{Delivery, Frame, Watcher, WatcherId, next_watcher_id};

/// A watcher's queue as a list: `capacity` frames, each with its tag.
pub struct Client {
    pub id: WatcherId,
    capacity: usize,
    /// Whether it can drop queued frames and be closed (the lean transport can;
    /// socketioxide can do neither).
    lean: bool,
    queue: Mutex<VecDeque<(Value, u64)>>,
    pub closed: AtomicBool,
}

impl Client {
    pub fn new(capacity: usize, lean: bool) -> Arc<Self> {
        Arc::new(Self {
            id: next_watcher_id(),
            capacity,
            lean,
            queue: Mutex::default(),
            closed: AtomicBool::new(false),
        })
    }

    /// Takes everything queued, as `(event name, seq, gap)`.
    pub fn read(&self) -> Vec<(String, u64, bool)> {
        let frames = std::mem::take(&mut *self.queue.lock().unwrap());
        let field = |frame: &Value, name: &str| frame[1][name].clone();
        let seen = |(frame, _): (Value, u64)| {
            let gap = field(&frame, "gap") == true;
            (
                frame[0].as_str().unwrap().to_owned(),
                field(&frame, "seq").as_u64().unwrap(),
                gap,
            )
        };
        frames.into_iter().map(seen).collect()
    }
}

impl Watcher for Client {
    fn id(&self) -> WatcherId {
        self.id
    }

    fn send(&self, frame: &Frame) -> Delivery {
        let mut queue = self.queue.lock().unwrap();
        if self.closed.load(Ordering::SeqCst) {
            return Delivery::Gone;
        }
        if queue.len() >= self.capacity {
            return Delivery::Full;
        }
        let json: Value = serde_json::from_str(frame.json()).unwrap();
        queue.push_back((json!([frame.name(), json]), frame.tag()));
        Delivery::Sent
    }

    fn shed(&self, tag: u64) -> bool {
        let mut queue = self.queue.lock().unwrap();
        let before = queue.len();
        queue.retain(|(_, queued)| !self.lean || *queued != tag);
        queue.len() < before
    }

    fn close(&self) -> bool {
        if self.lean {
            self.closed.store(true, Ordering::SeqCst);
            self.queue.lock().unwrap().clear();
        }
        self.lean
    }
}
