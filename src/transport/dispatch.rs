//! What every Socket.IO transport does with an inbound event, whatever its framing:
//! decode it, apply the session rules, and say what to send back. A transport sends
//! the [`Reply`] as the named event (and as the ack, if one was asked for), and only
//! then calls [`Reply::sent`], so that replayed and live events follow the reply.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tracing::{debug, warn};

use super::requests::Inbound;
use crate::error::RequestError;
use crate::fanout::Watcher;
use crate::metrics::Metrics;
use crate::session::{PendingWatch, SessionId, Sessions, replies};

/// What the transports share. Cheap to clone.
#[derive(Clone)]
pub struct Dispatcher {
    pub sessions: Sessions,
    pub metrics: Arc<Metrics>,
    pub max_payload: usize,
}

/// One client connection as the session rules see it.
pub struct Connection {
    pub watcher: Arc<dyn Watcher>,
    watching: Mutex<HashSet<SessionId>>,
}

/// A reply to send: the event name and its JSON payload, then the watch to start.
pub struct Reply {
    pub name: &'static str,
    pub payload: String,
    watch: Option<PendingWatch>,
}

impl Reply {
    /// The same reply as an ack argument: `{"event": <name>, ...payload}`.
    pub fn ack_payload(&self) -> String {
        replies::ack_payload(self.name, &self.payload)
    }

    /// Call once the reply is on its way: starts the replay and live events.
    pub fn sent(self, connection: &Connection) {
        if let Some(watch) = self.watch {
            connection.watching().insert(watch.session_id().clone());
            watch.start();
        }
    }
}

impl Connection {
    pub fn new(watcher: Arc<dyn Watcher>) -> Self {
        Self {
            watcher,
            watching: Mutex::default(),
        }
    }

    fn watching(&self) -> std::sync::MutexGuard<'_, HashSet<SessionId>> {
        self.watching
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Dispatcher {
    /// Handles one inbound event; `None` when nothing is to be sent back.
    pub async fn handle(
        &self,
        connection: &Connection,
        event: &str,
        payload: Value,
    ) -> Option<Reply> {
        let outcome = match Inbound::decode(event, payload, self.max_payload) {
            Ok(Inbound::Start(request)) => self
                .sessions
                .start(request, connection.watcher.clone())
                .await
                .map(Some),
            Ok(Inbound::Join {
                session_id,
                last_seq,
            }) => self
                .sessions
                .join(&session_id, last_seq, connection.watcher.clone())
                .await
                .map(Some),
            Ok(Inbound::Leave { session_id }) => {
                if let Some(id) = SessionId::parse(&session_id) {
                    connection.watching().remove(&id);
                    self.sessions.leave(&id, connection.watcher.id());
                }
                Ok(None)
            }
            Ok(Inbound::Cancel { session_id }) => self.cancel(connection, &session_id).await,
            Err(error) => Err(error),
        };
        match outcome {
            Ok(Some(answer)) => Some(Reply {
                name: answer.name,
                payload: answer.payload,
                watch: answer.watch,
            }),
            Ok(None) => None,
            Err(error) => Some(self.refusal(event, &error)),
        }
    }

    /// The connection is gone: it stops watching everything; the sessions run on.
    pub fn disconnected(&self, connection: &Connection) {
        let watching = std::mem::take(&mut *connection.watching());
        for id in watching {
            self.sessions.leave(&id, connection.watcher.id());
        }
    }

    /// Cancels; a requester that does not watch the session gets the event directly.
    async fn cancel(
        &self,
        connection: &Connection,
        session_id: &str,
    ) -> Result<Option<crate::session::Answer>, RequestError> {
        let event = self.sessions.cancel(session_id).await?;
        let watching =
            SessionId::parse(session_id).is_some_and(|id| connection.watching().contains(&id));
        Ok((!watching).then(|| crate::session::Answer {
            name: event.kind.name(),
            payload: event.json.to_string(),
            watch: None,
        }))
    }

    fn refusal(&self, event: &str, error: &RequestError) -> Reply {
        self.metrics.refused(error.code());
        if let RequestError::Unavailable(cause) = error {
            warn!(%cause, event, "request failed");
        } else {
            debug!(%error, event, "request refused");
        }
        let payload = replies::refusal(error.code(), &error.client_message());
        Reply {
            name: "processing_error",
            payload,
            watch: None,
        }
    }
}
