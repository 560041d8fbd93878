//! A connection's outgoing queue: bounded, in order, one consumer (the transport
//! that writes to the client), and small when idle. It is also the connection's
//! session [`Watcher`]: a watched event's frame is encoded once and shared by every
//! queue it is pushed to.
//!
//! A tokio `mpsc` channel would do the same, but it allocates a 32-slot block and
//! cache-padded state up front, about 1.5 KB per connection; this queue holds an
//! empty `VecDeque` when idle.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use axum::extract::ws::Utf8Bytes;
use futures_util::task::AtomicWaker;

use super::packet;
use crate::fanout::{Delivery, Frame, Watcher, WatcherId, next_watcher_id};

/// Capacity an idle queue may keep; a burst's larger buffer is freed once drained.
const IDLE_CAPACITY: usize = 8;

/// The producing side, shared by the connection and its session watches.
pub struct Queue {
    id: WatcherId,
    capacity: usize,
    state: Mutex<State>,
    waker: AtomicWaker,
}

#[derive(Default)]
struct State {
    frames: VecDeque<Utf8Bytes>,
    /// No consumer any more: frames are refused as `Gone`.
    gone: bool,
    /// The server ends the connection: the consumer sees the end once it has
    /// taken what was queued before.
    shut: bool,
}

/// The consuming side; dropping it makes every later push `Gone`.
pub struct Outbox {
    queue: Arc<Queue>,
}

/// Why a frame was not queued.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    Full,
    Gone,
}

/// A queue of at most `capacity` frames and its consumer.
pub fn queue(capacity: usize) -> (Arc<Queue>, Outbox) {
    let queue = Arc::new(Queue {
        id: next_watcher_id(),
        capacity: capacity.max(1),
        state: Mutex::default(),
        waker: AtomicWaker::new(),
    });
    let outbox = Outbox {
        queue: queue.clone(),
    };
    (queue, outbox)
}

impl Queue {
    /// Queues `frame` behind everything queued before it, without waiting.
    pub fn push(&self, frame: Utf8Bytes) -> Result<(), Refused> {
        {
            let mut state = self.state();
            if state.gone || state.shut {
                return Err(Refused::Gone);
            }
            if state.frames.len() >= self.capacity {
                return Err(Refused::Full);
            }
            state.frames.push_back(frame);
        }
        self.waker.wake();
        Ok(())
    }

    /// Ends the connection: the consumer gets what is queued, then the end.
    pub fn shut(&self) {
        self.state().shut = true;
        self.waker.wake();
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Watcher for Queue {
    fn id(&self) -> WatcherId {
        self.id
    }

    fn send(&self, frame: &Frame) -> Delivery {
        let text = frame.encoded(|name, json| Utf8Bytes::from(packet::event(name, json)));
        match self.push(text) {
            Ok(()) => Delivery::Sent,
            Err(Refused::Full) => Delivery::Full,
            Err(Refused::Gone) => Delivery::Gone,
        }
    }
}

impl Outbox {
    /// The next frame; `Ready(None)` once the queue was shut and is empty.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Utf8Bytes>> {
        if let Some(next) = self.take() {
            return Poll::Ready(next);
        }
        self.queue.waker.register(cx.waker());
        match self.take() {
            Some(next) => Poll::Ready(next),
            None => Poll::Pending,
        }
    }

    /// Waits for the next frame, as [`Outbox::poll_recv`].
    pub async fn recv(&mut self) -> Option<Utf8Bytes> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The next frame if one is queued, without waiting.
    pub fn try_recv(&mut self) -> Option<Utf8Bytes> {
        self.take().flatten()
    }

    /// `Some(Some(frame))`, `Some(None)` at the end, `None` when there is nothing yet.
    fn take(&self) -> Option<Option<Utf8Bytes>> {
        let mut state = self.queue.state();
        let frame = state.frames.pop_front();
        if state.frames.is_empty() && state.frames.capacity() > IDLE_CAPACITY {
            state.frames = VecDeque::new();
        }
        match frame {
            Some(frame) => Some(Some(frame)),
            None if state.shut => Some(None),
            None => None,
        }
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        let mut state = self.queue.state();
        state.gone = true;
        state.frames = VecDeque::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll(outbox: &mut Outbox) -> Poll<Option<Utf8Bytes>> {
        outbox.poll_recv(&mut Context::from_waker(std::task::Waker::noop()))
    }

    #[test]
    fn frames_come_out_in_order_up_to_the_capacity() {
        let (queue, mut outbox) = queue(2);
        assert_eq!(queue.push("a".into()), Ok(()));
        assert_eq!(queue.push("b".into()), Ok(()));
        assert_eq!(queue.push("c".into()), Err(Refused::Full));
        assert_eq!(poll(&mut outbox), Poll::Ready(Some("a".into())));
        assert_eq!(queue.send(&Frame::new("progress", "{}")), Delivery::Sent);
        assert_eq!(outbox.try_recv(), Some("b".into()));
        assert_eq!(outbox.try_recv(), Some(r#"42["progress",{}]"#.into()));
        assert_eq!(poll(&mut outbox), Poll::Pending);
    }

    #[test]
    fn a_shut_queue_drains_then_ends_and_refuses_more() {
        let (queue, mut outbox) = queue(4);
        queue.push("a".into()).unwrap();
        queue.shut();
        assert_eq!(queue.push("b".into()), Err(Refused::Gone));
        assert_eq!(poll(&mut outbox), Poll::Ready(Some("a".into())));
        assert_eq!(poll(&mut outbox), Poll::Ready(None));
    }

    #[test]
    fn without_a_consumer_the_watcher_is_gone() {
        let (queue, outbox) = queue(4);
        queue.push("a".into()).unwrap();
        drop(outbox);
        assert_eq!(queue.send(&Frame::new("progress", "{}")), Delivery::Gone);
    }
}
