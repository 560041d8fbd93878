//! What every Socket.IO transport does with an inbound event, whatever its framing:
//! decode it, apply the session rules, and say what to send back. A transport sends
//! the [`Reply`] as the named event (and as the ack, if one was asked for), and only
//! then calls [`Reply::sent`], so that replayed and live events follow the reply.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use serde_json::Value;
use tracing::{debug, warn};

use super::guard::Guard;
use super::requests::Inbound;
use crate::auth::Access;
use crate::error::RequestError;
use crate::fanout::Watcher;
use crate::limits::{AddressSlot, TokenBucket};
use crate::metrics::Metrics;
use crate::session::{Answer, PendingWatch, SessionId, Sessions, replies};

/// What the transports share. Cheap to clone.
#[derive(Clone)]
pub struct Dispatcher {
    pub sessions: Sessions,
    pub metrics: Arc<Metrics>,
    pub max_payload: usize,
    pub guard: Guard,
}

/// One client connection as the session rules see it.
pub struct Connection {
    pub watcher: Arc<dyn Watcher>,
    watching: Mutex<HashSet<SessionId>>,
    /// What the token given when the client connected grants.
    access: Mutex<Access>,
    allowance: Mutex<Option<TokenBucket>>,
    /// This connection's place among its address's; freed when the connection goes.
    _slot: Option<AddressSlot>,
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
    /// A connection of the client that holds `slot`, with the guard's limits, and no
    /// access until [`Connection::authenticate`].
    pub fn new(watcher: Arc<dyn Watcher>, guard: &Guard, slot: Option<AddressSlot>) -> Self {
        Self {
            watcher,
            watching: Mutex::default(),
            access: Mutex::new(guard.access(None)),
            allowance: Mutex::new(guard.bucket()),
            _slot: slot,
        }
    }

    /// Takes the Socket.IO connect payload's `token`, if any.
    pub fn authenticate(&self, guard: &Guard, auth: Option<&Value>) {
        let token = auth
            .and_then(|auth| auth.get("token"))
            .and_then(Value::as_str);
        *lock(&self.access) = guard.access(token);
    }

    fn access(&self) -> Access {
        lock(&self.access).clone()
    }

    fn watching(&self) -> MutexGuard<'_, HashSet<SessionId>> {
        lock(&self.watching)
    }

    /// Takes one event from the connection's allowance.
    fn allowed(&self) -> bool {
        lock(&self.allowance)
            .as_mut()
            .is_none_or(|bucket| bucket.take(Instant::now()))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Dispatcher {
    /// Handles one inbound event; `None` when nothing is to be sent back.
    pub async fn handle(
        &self,
        connection: &Connection,
        event: &str,
        payload: Value,
    ) -> Option<Reply> {
        let outcome = if connection.allowed() {
            let inbound = Inbound::decode(event, payload, self.max_payload);
            self.apply(connection, inbound).await
        } else {
            Err(RequestError::RateLimited("too many events; slow down"))
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

    async fn apply(
        &self,
        connection: &Connection,
        inbound: Result<Inbound, RequestError>,
    ) -> Result<Option<Answer>, RequestError> {
        let access = connection.access();
        let watcher = connection.watcher.clone();
        match inbound? {
            Inbound::Start(request) => {
                self.room_for(connection, None)?;
                self.guard.claim(&access)?;
                let answer = self.sessions.start(request, watcher, &access).await?;
                Ok(Some(answer))
            }
            Inbound::Join {
                session_id,
                last_seq,
            } => {
                self.room_for(connection, SessionId::parse(&session_id).as_ref())?;
                let answer = self
                    .sessions
                    .join(&session_id, last_seq, watcher, &access)
                    .await?;
                Ok(Some(answer))
            }
            Inbound::Leave { session_id } => {
                if let Some(id) = SessionId::parse(&session_id) {
                    connection.watching().remove(&id);
                    self.sessions.leave(&id, connection.watcher.id());
                }
                Ok(None)
            }
            Inbound::Cancel { session_id } => self.cancel(connection, &session_id, &access).await,
        }
    }

    /// Refuses a new watch when the connection watches as many sessions as it may.
    fn room_for(
        &self,
        connection: &Connection,
        id: Option<&SessionId>,
    ) -> Result<(), RequestError> {
        let max = self.guard.max_watched();
        let watching = connection.watching();
        if max == 0 || watching.len() < max || id.is_some_and(|id| watching.contains(id)) {
            Ok(())
        } else {
            Err(RequestError::TooManySessions(max))
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
        access: &Access,
    ) -> Result<Option<Answer>, RequestError> {
        let event = self.sessions.cancel(session_id, access).await?;
        let watching =
            SessionId::parse(session_id).is_some_and(|id| connection.watching().contains(&id));
        Ok((!watching).then(|| Answer {
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
