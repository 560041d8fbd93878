//! A connection's outgoing queue: bounded, in order, one consumer (the transport
//! that writes to the client), and small when idle. It is also the connection's
//! session [`Watcher`]: a watched event's frame is encoded once and shared by every
//! queue it is pushed to. A session's progress frames keep their tag here, so that a
//! client that falls behind can lose them ([`Queue::shed`]) while replies and
//! terminal events stay; [`Queue::cut`] ends the connection at once. The items are
//! websocket texts here; the HTTP API's event streams queue their own.
//!
//! A tokio `mpsc` channel would do the same, but it allocates a 32-slot block and
//! cache-padded state up front, about 1.5 KB per connection; this queue holds an
//! empty `VecDeque` when idle.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use axum::extract::ws::Utf8Bytes;
use futures_util::task::AtomicWaker;

use super::packet;
use crate::fanout::{Delivery, Frame, Watcher, WatcherId, next_watcher_id};

/// Capacity an idle queue may keep; a burst's larger buffer is freed once drained.
const IDLE_CAPACITY: usize = 8;

/// The producing side, shared by the connection and its session watches.
pub struct Queue<T = Utf8Bytes> {
    id: WatcherId,
    capacity: usize,
    state: Mutex<State<T>>,
    waker: AtomicWaker,
    /// Set by [`Queue::cut`]: the connection ends now, whatever is queued.
    cut: AtomicBool,
    /// The consumer's, woken by a cut even while it waits on the client.
    cut_waker: AtomicWaker,
}

struct State<T> {
    /// Each frame with its session's tag ([`Frame::UNTAGGED`] for what must stay).
    frames: VecDeque<(T, u64)>,
    /// No consumer any more: frames are refused as `Gone`.
    gone: bool,
    /// The server ends the connection: the consumer sees the end once it has
    /// taken what was queued before.
    shut: bool,
}

/// The consuming side; dropping it makes every later push `Gone`.
pub struct Outbox<T = Utf8Bytes> {
    queue: Arc<Queue<T>>,
}

/// Why a frame was not queued.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    Full,
    Gone,
}

/// A queue of at most `capacity` frames and its consumer.
pub fn queue<T>(capacity: usize) -> (Arc<Queue<T>>, Outbox<T>) {
    let state = State {
        frames: VecDeque::new(),
        gone: false,
        shut: false,
    };
    let queue = Arc::new(Queue {
        id: next_watcher_id(),
        capacity: capacity.max(1),
        state: Mutex::new(state),
        waker: AtomicWaker::new(),
        cut: AtomicBool::new(false),
        cut_waker: AtomicWaker::new(),
    });
    let outbox = Outbox {
        queue: queue.clone(),
    };
    (queue, outbox)
}

impl<T> Queue<T> {
    /// This queue's watcher id.
    pub fn id(&self) -> WatcherId {
        self.id
    }

    /// Queues `frame` behind everything queued before it, without waiting; it is
    /// never dropped.
    pub fn push(&self, frame: T) -> Result<(), Refused> {
        self.push_tagged(frame, Frame::UNTAGGED)
    }

    /// As [`Queue::push`], for a frame that [`Queue::shed`] may drop by its `tag`.
    pub fn push_tagged(&self, frame: T, tag: u64) -> Result<(), Refused> {
        {
            let mut state = self.state();
            if state.gone || state.shut {
                return Err(Refused::Gone);
            }
            if state.frames.len() >= self.capacity {
                return Err(Refused::Full);
            }
            state.frames.push_back((frame, tag));
        }
        self.waker.wake();
        Ok(())
    }

    /// Ends the connection: the consumer gets what is queued, then the end.
    pub fn shut(&self) {
        self.state().shut = true;
        self.waker.wake();
    }

    /// Drops the queued frames tagged `tag` (never untagged ones); true when it
    /// dropped any.
    pub fn shed(&self, tag: u64) -> bool {
        if tag == Frame::UNTAGGED {
            return false;
        }
        let mut state = self.state();
        let before = state.frames.len();
        state.frames.retain(|(_, queued)| *queued != tag);
        before > state.frames.len()
    }

    /// Ends the connection now: what is queued is dropped, and the consumer, even
    /// one waiting for the client to take what was written, is told at once.
    pub fn cut(&self) {
        {
            let mut state = self.state();
            state.shut = true;
            state.frames = VecDeque::new();
        }
        self.cut.store(true, Ordering::SeqCst);
        self.cut_waker.wake();
        self.waker.wake();
    }

    fn state(&self) -> MutexGuard<'_, State<T>> {
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
        match self.push_tagged(text, frame.tag()) {
            Ok(()) => Delivery::Sent,
            Err(Refused::Full) => Delivery::Full,
            Err(Refused::Gone) => Delivery::Gone,
        }
    }

    fn shed(&self, tag: u64) -> bool {
        Queue::shed(self, tag)
    }

    fn close(&self) -> bool {
        self.cut();
        true
    }
}

impl<T> Outbox<T> {
    /// The next frame; `Ready(None)` once the queue was shut and is empty.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if let Some(next) = self.take() {
            return Poll::Ready(next);
        }
        self.queue.waker.register(cx.waker());
        match self.take() {
            Some(next) => Poll::Ready(next),
            None => Poll::Pending,
        }
    }

    /// `Ready` once the connection was cut ([`Queue::cut`]): the transport drops
    /// it without writing anything more. Wakes the consumer even while it waits for the
    /// client to take what was written.
    pub fn poll_cut(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.queue.cut.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        self.queue.cut_waker.register(cx.waker());
        if self.queue.cut.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Waits for the next frame, as [`Outbox::poll_recv`].
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The next frame if one is queued, without waiting.
    pub fn try_recv(&mut self) -> Option<T> {
        self.take().flatten()
    }

    /// `Some(Some(frame))`, `Some(None)` at the end, `None` when there is nothing yet.
    fn take(&self) -> Option<Option<T>> {
        let mut state = self.queue.state();
        let frame = state.frames.pop_front().map(|(frame, _)| frame);
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

impl<T> Drop for Outbox<T> {
    fn drop(&mut self) {
        let mut state = self.queue.state();
        state.gone = true;
        state.frames = VecDeque::new();
    }
}

#[cfg(test)]
mod tests;
