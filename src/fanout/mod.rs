//! Live delivery to this instance's watchers: the [`Hub`] keeps who watches what,
//! feeds them replayed and live events each exactly once, in seq order.

mod frame;
mod hub;
mod replay;
mod slot;

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
}
