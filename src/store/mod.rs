//! The shared-state seam: sessions, leases and event logs ([`Store`]) and live event
//! delivery between instances ([`Feed`]), with a Redis and an embedded implementation.

pub mod memory;
pub mod redis;
pub mod wire;

use async_trait::async_trait;
use futures_util::future::BoxFuture;
use tokio::sync::mpsc;

use crate::session::{Event, SessionId, Snapshot, Update};

/// Failures of the shared state.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The caller's lease is no longer current: it must stop and write nothing more.
    #[error("lease lost: fencing token superseded")]
    Fenced,
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("store returned malformed data: {0}")]
    Corrupt(String),
}

/// The right to run a session, held by one owner at a time.
#[derive(Clone, Debug, PartialEq)]
pub struct Lease {
    pub session_id: SessionId,
    pub video_path: String,
    /// Increases with every claim of the video; older tokens are refused.
    pub token: u64,
}

/// A request to run a video.
#[derive(Clone, Debug)]
pub struct ClaimRequest {
    /// The canonical video path.
    pub video_path: String,
    /// The id to give the session if one is created.
    pub new_id: SessionId,
    /// This instance's name, kept with the session.
    pub owner: String,
    /// Run again even if the latest session of the video is complete.
    pub force: bool,
    /// Create the session `queued` rather than `processing`.
    pub queued: bool,
    pub lease_ttl_ms: u64,
}

/// What a claim found or made.
#[derive(Clone, Debug, PartialEq)]
pub enum Claim {
    /// A new session, with its `processing_started` event as seq 1; the caller owns it.
    Created(Lease, Snapshot),
    /// A running session whose owner lost its lease; the caller now owns it and
    /// continues from `snapshot.checkpoint`.
    TakenOver(Lease, Snapshot),
    /// A session of this video is queued or processing under a live lease.
    Running(Snapshot),
    /// The latest session of this video is complete and `force` was not set.
    Finished(Snapshot),
}

/// A page of a session's recorded events.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventPage {
    /// Events with seq greater than the one asked for, in order, without gaps.
    pub events: Vec<Event>,
    /// The seq of the oldest event still retained (0 when there are none); events
    /// before it were trimmed, so a reader that needs one of them has a gap.
    pub first_retained: u64,
    /// The session's latest seq when the page was read.
    pub last_seq: u64,
}

/// What a cancel did.
#[derive(Clone, Debug, PartialEq)]
pub enum Cancel {
    /// The session is now cancelled; this is its terminal event.
    Cancelled(Event),
    /// The session had already ended.
    AlreadyEnded(Snapshot),
    Unknown,
}

/// How long events stay available for replay: whichever of the two keeps more.
#[derive(Clone, Copy, Debug)]
pub struct Retention {
    pub events: u64,
    pub ms: u64,
    /// How long an ended session and its events are kept at all.
    pub ended_ttl_ms: u64,
}

/// Sessions, leases and event logs shared by every instance.
///
/// Guarantees, for every implementation:
/// - each method is atomic with respect to every other (one Lua script in Redis);
/// - at most one lease per video is live at a time, and every write made under a
///   lease whose token is no longer the video's current one fails with
///   [`StoreError::Fenced`] and changes nothing;
/// - a session's events have seq 1, 2, 3, ... without gaps, and its progress never
///   decreases;
/// - an appended event is published to the [`Feed`] in the same atomic step.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Claims a video: joins a running session, reports a finished one, takes over
    /// an orphaned one, or creates a new one; see [`Claim`].
    async fn claim(&self, request: &ClaimRequest) -> Result<Claim, StoreError>;

    /// Extends the lease by `ttl_ms`; `Ok(false)` when it is no longer ours.
    async fn renew(&self, lease: &Lease, ttl_ms: u64) -> Result<bool, StoreError>;

    /// Records and publishes the session's next event. A terminal update also
    /// releases the lease; all of it happens or none of it does.
    async fn append(&self, lease: &Lease, update: &Update) -> Result<Event, StoreError>;

    /// Ends a queued or processing session as cancelled, whoever owns it: the
    /// owner's lease is revoked so its next write is fenced.
    async fn cancel(&self, id: &SessionId) -> Result<Cancel, StoreError>;

    /// The session as it stands, or `None` if unknown (or expired).
    async fn snapshot(&self, id: &SessionId) -> Result<Option<Snapshot>, StoreError>;

    /// Up to `limit` retained events with seq greater than `after`, in order.
    async fn events_after(
        &self,
        id: &SessionId,
        after: u64,
        limit: usize,
    ) -> Result<EventPage, StoreError>;

    /// Whether the store answers.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// What a [`Feed`] delivers to this instance.
#[derive(Clone, Debug, PartialEq)]
pub enum FeedMessage {
    /// A session event, as published.
    Event(SessionId, Event),
    /// The feed reconnected: messages may have been lost, so every local watcher
    /// must be re-synced from the store.
    Resync,
}

/// Live events of subscribed sessions, from any instance.
///
/// Guarantees: requests take effect in the order they are made (the request is
/// queued before `subscribe` returns its future); once that future resolves `Ok`,
/// every event appended to the session afterwards reaches the inbox, in seq order,
/// at most once, until `unsubscribe` or until a [`FeedMessage::Resync`] says some
/// may have been lost.
pub trait Feed: Send + Sync + 'static {
    /// Starts delivery of the session's events; the future resolves once it is active.
    fn subscribe(&self, id: &SessionId) -> BoxFuture<'static, Result<(), StoreError>>;

    /// Stops delivery of the session's events.
    fn unsubscribe(&self, id: &SessionId);
}

/// Where a feed sends what it receives.
pub type Inbox = mpsc::UnboundedSender<FeedMessage>;
