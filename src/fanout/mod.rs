//! Live delivery to this instance's watchers: the [`Hub`] keeps who watches what,
//! feeds them replayed and live events each exactly once, in seq order. A watcher
//! that stops reading holds back no one else: its overflow is handled per the
//! [`SlowClient`](crate::config::SlowClient) policy, without waiting on it.

mod frame;
mod hub;
mod replay;
mod resync;
mod room;
mod slot;
mod slow;

pub use frame::Frame;
pub use hub::{Hub, Ticket};
pub use replay::{Replay, read_after};

/// Identifies a watcher within this process.
pub type WatcherId = u64;

/// A watcher id not yet given to any watcher in this process.
pub fn next_watcher_id() -> WatcherId {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// What happened to a frame handed to a watcher.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// The client is not reading fast enough; the frame was not queued.
    Full,
    /// The client is gone.
    Gone,
}

/// A connected client that receives session events.
pub trait Watcher: Send + Sync + 'static {
    fn id(&self) -> WatcherId;

    /// Queues one frame without waiting.
    fn send(&self, frame: &Frame) -> Delivery;

    /// Drops the frames tagged `tag` (see [`Frame::tag`]) still queued for the client,
    /// without waiting; true when that made room. A transport whose queue cannot be
    /// edited keeps them and says false.
    fn shed(&self, _tag: u64) -> bool {
        false
    }

    /// Closes the client's connection at the transport level, without waiting and
    /// dropping what is queued, so that it reconnects and resumes by itself; false
    /// when the transport cannot.
    fn close(&self) -> bool {
        false
    }
}
