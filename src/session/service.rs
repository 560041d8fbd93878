//! The session rules: claim or join on `start_processing`, replay on `join_session`,
//! cancel, leave. Transports call these and send what they return.

use std::sync::Arc;
use std::time::Duration;

use tracing::{Span, debug, field, instrument};

use super::resume::resume_view;
use super::{Event, SessionId, Status, replies, runner::Runner};
use crate::auth::Access;
use crate::error::RequestError;
use crate::fanout::{Hub, Watcher, WatcherId};
use crate::media::MediaRoot;
use crate::metrics::Metrics;
use crate::store::{Cancel, Claim, Store};

/// The session service. Cheap to clone.
#[derive(Clone)]
pub struct Sessions {
    pub(super) inner: Arc<SessionsSettings>,
}

/// What the session service is built from.
pub struct SessionsSettings {
    pub store: Arc<dyn Store>,
    pub hub: Hub,
    pub runner: Runner,
    pub media: MediaRoot,
    /// This instance's name, kept with the sessions it creates.
    pub instance: String,
    pub lease_ttl: Duration,
    pub metrics: Arc<Metrics>,
}

/// A validated `start_processing`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StartRequest {
    pub video_path: String,
    pub force: bool,
    pub last_seq: Option<u64>,
}

/// A reply to send, then the watch to start once it is sent.
pub struct Answer {
    pub name: &'static str,
    pub payload: String,
    pub watch: Option<PendingWatch>,
}

/// A watcher whose replay and live events wait until its reply has gone out.
#[must_use = "start it once the reply is sent"]
pub struct PendingWatch {
    hub: Hub,
    id: SessionId,
    watcher: WatcherId,
    ticket: crate::fanout::Ticket,
    delivered: u64,
    replay: Vec<Event>,
}

impl PendingWatch {
    pub fn session_id(&self) -> &SessionId {
        &self.id
    }

    /// Delivers the replay, then live events.
    pub fn start(self) {
        self.hub.go_live(
            &self.id,
            self.watcher,
            self.ticket,
            self.delivered,
            None,
            self.replay,
        );
    }
}

impl Sessions {
    pub fn new(settings: SessionsSettings) -> Self {
        Self {
            inner: Arc::new(settings),
        }
    }

    /// `start_processing`: run the video once, cluster-wide, or join its session.
    #[instrument(skip_all, fields(video = %request.video_path, session_id = field::Empty))]
    pub async fn start(
        &self,
        request: StartRequest,
        watcher: Arc<dyn Watcher>,
        access: &Access,
    ) -> Result<Answer, RequestError> {
        let inner = &self.inner;
        let (video, claimed) = self
            .claim(&request.video_path, request.force, access)
            .await?;
        match claimed {
            Claim::Created(lease, snapshot) => {
                let ticket = inner
                    .hub
                    .attach(&snapshot.session_id, watcher.clone())
                    .await;
                inner.runner.spawn(lease, snapshot.clone(), video);
                let watch = ticket.ok().map(|ticket| PendingWatch {
                    hub: inner.hub.clone(),
                    id: snapshot.session_id.clone(),
                    watcher: watcher.id(),
                    ticket,
                    delivered: snapshot.seq,
                    replay: Vec::new(),
                });
                Ok(Answer {
                    name: "processing_started",
                    payload: replies::for_snapshot("processing_started", &snapshot),
                    watch,
                })
            }
            Claim::Running(snapshot) => {
                self.join_known(&snapshot.session_id, request.last_seq, watcher, access)
                    .await
            }
            Claim::Finished(snapshot) => Ok(Answer {
                name: "processing_complete",
                payload: replies::complete(&snapshot),
                watch: None,
            }),
        }
    }

    /// `join_session`: the session as the client last saw it, then what it missed.
    pub async fn join(
        &self,
        id: &str,
        last_seq: Option<u64>,
        watcher: Arc<dyn Watcher>,
        access: &Access,
    ) -> Result<Answer, RequestError> {
        access.authenticated()?;
        let id = SessionId::parse(id).ok_or(RequestError::UnknownSession)?;
        self.join_known(&id, last_seq, watcher, access).await
    }

    /// `leave_session`: stop watching; the session runs on.
    pub fn leave(&self, id: &SessionId, watcher: WatcherId) {
        self.inner.hub.detach(id, watcher);
    }

    /// `cancel_processing`: ends the session for everyone, wherever it runs.
    #[instrument(skip_all, fields(session_id = id))]
    pub async fn cancel(&self, id: &str, access: &Access) -> Result<Event, RequestError> {
        let id = self.permitted(id, access).await?;
        match self.inner.store.cancel(&id).await? {
            Cancel::Cancelled(event) => {
                self.inner.metrics.ended(Status::Cancelled);
                self.inner.runner.stop(&id);
                Ok(event)
            }
            Cancel::AlreadyEnded(snapshot) => Err(RequestError::AlreadyEnded(Box::new(snapshot))),
            Cancel::Unknown => Err(RequestError::UnknownSession),
        }
    }

    #[instrument(name = "join", skip_all, fields(session_id = %id, video = field::Empty))]
    async fn join_known(
        &self,
        id: &SessionId,
        last_seq: Option<u64>,
        watcher: Arc<dyn Watcher>,
        access: &Access,
    ) -> Result<Answer, RequestError> {
        let inner = &self.inner;
        let wid = watcher.id();
        let ticket = inner.hub.attach(id, watcher).await?;
        let view = match resume_view(inner.store.as_ref(), id, last_seq, access).await {
            Ok(view) => view,
            Err(error) => {
                inner.hub.detach(id, wid);
                return Err(error);
            }
        };
        Metrics::bump(&inner.metrics.sessions_resumed);
        Span::current().record("video", view.snapshot.video_path.as_str());
        debug!(
            last_seq,
            replay = view.replay.len(),
            gap = view.gap,
            "joined"
        );
        let payload = replies::resume(&view.snapshot, view.gap);
        let ended = view.snapshot.status.is_terminal() && view.replay.is_empty();
        let watch = if ended {
            inner.hub.detach(id, wid);
            None
        } else {
            Some(PendingWatch {
                hub: inner.hub.clone(),
                id: id.clone(),
                watcher: wid,
                ticket,
                delivered: view.snapshot.seq,
                replay: view.replay,
            })
        };
        Ok(Answer {
            name: "resume_session",
            payload,
            watch,
        })
    }
}
