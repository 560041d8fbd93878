//! The shared-state seam: sessions, leases and event logs ([`Store`]) and live event
//! delivery between instances ([`Feed`]), with a Redis and an embedded implementation.

mod listing;
pub mod memory;
pub mod redis;
pub mod wire;

use async_trait::async_trait;
use futures_util::future::BoxFuture;
use tokio::sync::mpsc;

pub use listing::{ListCursor, ListQuery, SessionPage};

use crate::session::{Event, Failure, SessionId, Snapshot, Update};

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
    /// Increases with every claim and takeover of the video; older tokens are refused.
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
    /// A session of this video is queued or processing: under a live lease, or
    /// waiting for an instance to take it over (see [`Store::take_over`]).
    Running(Snapshot),
    /// The latest session of this video is complete and `force` was not set.
    Finished(Snapshot),
}

impl Claim {
    /// The session the claim found or made.
    pub fn snapshot(&self) -> &Snapshot {
        match self {
            Claim::Created(_, snapshot) | Claim::Running(snapshot) | Claim::Finished(snapshot) => {
                snapshot
            }
        }
    }
}

/// What a takeover attempt did.
#[derive(Clone, Debug, PartialEq)]
pub enum TakeOver {
    /// The session is the caller's now, to continue from `snapshot.checkpoint`.
    Taken(Lease, Box<Snapshot>),
    /// Too many owners lost it already: it ended as failed; this is its terminal event.
    GaveUp(Event),
    /// Nothing to take: the lease is live, or the session ended or is unknown.
    NotNeeded,
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

/// How many lines a session's run log keeps (the newest), in every store.
pub(crate) const RUN_LOG_LINES: usize = 1_000;

/// Why a session that kept losing its owner was ended, in every store: the failure
/// of the `processing_error` event that [`Store::take_over`] gives up with.
pub(crate) fn give_up_failure(max_takeovers: u32) -> Failure {
    Failure {
        code: "processing_failed".to_owned(),
        message: format!(
            "gave up after {max_takeovers} takeovers: the session kept losing its owner"
        ),
    }
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
    /// Claims a video: joins a queued or processing session (whether or not its
    /// owner is alive), reports a finished one, or creates a new one; see [`Claim`].
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

    /// Up to `limit` queued or processing sessions whose lease has run out by the
    /// store's clock, most overdue first. Read from an index of lease deadlines kept
    /// by claim, renew, take_over, hand_over and the terminal writes: no key scans.
    async fn expired_leases(&self, limit: usize) -> Result<Vec<SessionId>, StoreError>;

    /// Takes over a queued or processing session whose lease has run out, with a new
    /// fencing token, so the previous owner's writes are refused from now on. The
    /// session was taken over `n` times before; when `n >= max_takeovers` it is ended
    /// instead as failed (`processing_failed`), since it keeps losing its owners.
    async fn take_over(
        &self,
        id: &SessionId,
        owner: &str,
        lease_ttl_ms: u64,
        max_takeovers: u32,
    ) -> Result<TakeOver, StoreError>;

    /// Gives the oldest session of the cluster-wide queue (claimed with `queued`) to
    /// `owner`, under a fresh fencing token and a lease of `lease_ttl_ms`: its claimer,
    /// still waiting for a slot of its own, is fenced from now on. Entries whose session
    /// is no longer queued are dropped on the way. `None` when nothing waits.
    async fn take_queued(
        &self,
        owner: &str,
        lease_ttl_ms: u64,
    ) -> Result<Option<(Lease, Snapshot)>, StoreError>;

    /// Gives a live lease up so that another instance continues at once: the lock is
    /// released, the lease counts as expired, and every instance's feed hears
    /// [`FeedMessage::HandedOver`]. `Ok(false)` when the lease was not ours any more.
    async fn hand_over(&self, lease: &Lease) -> Result<bool, StoreError>;

    /// Appends a line to the session's run log, if `lease` is still current: who
    /// ran it, from when to when. Kept as long as the session.
    async fn note_run(&self, lease: &Lease, note: &str) -> Result<(), StoreError>;

    /// The session's run log, oldest line first.
    async fn run_log(&self, id: &SessionId) -> Result<Vec<String>, StoreError>;

    /// Sessions newest first (by creation; ties by id, descending), as [`ListQuery`]
    /// asks; expired sessions are not listed. A full page has a `next` cursor.
    async fn list_sessions(&self, query: &ListQuery) -> Result<SessionPage, StoreError>;
}

/// What a [`Feed`] delivers to this instance.
#[derive(Clone, Debug, PartialEq)]
pub enum FeedMessage {
    /// A session event, as published.
    Event(SessionId, Event),
    /// The feed reconnected: messages may have been lost, so every local watcher
    /// must be re-synced from the store.
    Resync,
    /// An instance handed this session's lease over (it is draining): take it over.
    HandedOver(SessionId),
}

/// Live events of subscribed sessions, from any instance, and hand-over notices
/// (always delivered, subscribed or not).
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
