//! Socket.IO v5 on `/socket.io/` via socketioxide: each inbound event becomes an
//! [`Inbound`] handled by one function; replies go out as the named event and, when
//! the client asked for one, as the ack too.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use serde_json::value::RawValue;
use socketioxide::extract::{AckSender, Event, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::layer::SocketIoLayer;
use socketioxide::socket::DisconnectReason;
use socketioxide::{SendError, SocketError, SocketIo};
use tracing::{debug, warn};

use super::requests::Inbound;
use crate::error::RequestError;
use crate::fanout::{Delivery, Watcher, WatcherId};
use crate::metrics::Metrics;
use crate::session::{Answer, SessionId, Sessions, replies};

/// What every handler needs. Cheap to clone.
#[derive(Clone)]
struct Shared {
    sessions: Sessions,
    metrics: Arc<Metrics>,
    max_payload: usize,
}

/// One connected socket: its watcher identity and the sessions it watches.
struct Connection {
    watcher: Arc<SocketWatcher>,
    watching: Mutex<HashSet<SessionId>>,
}

struct SocketWatcher {
    id: WatcherId,
    socket: SocketRef,
}

static NEXT_WATCHER: AtomicU64 = AtomicU64::new(1);

impl Watcher for SocketWatcher {
    fn id(&self) -> WatcherId {
        self.id
    }

    fn send(&self, event_name: &str, payload_json: &str) -> Delivery {
        let Ok(raw) = RawValue::from_string(payload_json.to_owned()) else {
            warn!("dropping a malformed event payload");
            return Delivery::Sent;
        };
        match self.socket.emit(event_name, &raw) {
            Ok(()) => Delivery::Sent,
            Err(SendError::Socket(SocketError::InternalChannelFull)) => Delivery::Full,
            Err(_) => Delivery::Gone,
        }
    }
}

/// The tower layer that serves Socket.IO, and the handle to its sockets.
pub fn layer(
    sessions: Sessions,
    metrics: Arc<Metrics>,
    max_payload: usize,
    queue_len: usize,
) -> (SocketIoLayer, SocketIo) {
    let transport_limit = (max_payload * 4).max(1 << 20);
    let shared = Shared {
        sessions,
        metrics,
        max_payload,
    };
    let (layer, io) = SocketIo::builder()
        .max_payload(transport_limit as u64)
        .ws_max_message_size(transport_limit)
        .ws_max_frame_size(transport_limit)
        .max_buffer_size(queue_len)
        .with_state(shared)
        .build_layer();
    io.ns("/", connected.with(prepare));
    (layer, io)
}

/// Registers the socket's handlers. It runs as connect middleware, which socketioxide
/// awaits before it acknowledges the connection: a connect handler runs only after
/// the acknowledgement, so a client's first event could arrive before it.
async fn prepare(socket: SocketRef) -> Result<(), Infallible> {
    let watcher = Arc::new(SocketWatcher {
        id: NEXT_WATCHER.fetch_add(1, Ordering::Relaxed),
        socket: socket.clone(),
    });
    socket.extensions.insert(Arc::new(Connection {
        watcher,
        watching: Mutex::default(),
    }));
    socket.on_fallback(on_event);
    socket.on_disconnect(on_disconnect);
    Ok(())
}

async fn connected(socket: SocketRef) {
    debug!(sid = %socket.id, "socket connected");
}

async fn on_event(
    socket: SocketRef,
    Event(event): Event,
    TryData(data): TryData<Value>,
    ack: AckSender,
    State(shared): State<Shared>,
) {
    let Some(connection) = socket.extensions.get::<Arc<Connection>>() else {
        return;
    };
    let payload = data.unwrap_or(Value::Null);
    let request = Inbound::decode(&event, payload, shared.max_payload);
    let outcome = match request {
        Ok(Inbound::Start(request)) => shared
            .sessions
            .start(request, connection.watcher.clone())
            .await
            .map(Some),
        Ok(Inbound::Join {
            session_id,
            last_seq,
        }) => shared
            .sessions
            .join(&session_id, last_seq, connection.watcher.clone())
            .await
            .map(Some),
        Ok(Inbound::Leave { session_id }) => {
            if let Some(id) = SessionId::parse(&session_id) {
                connection
                    .watching
                    .lock()
                    .expect("connection lock")
                    .remove(&id);
                shared.sessions.leave(&id, connection.watcher.id);
            }
            Ok(None)
        }
        Ok(Inbound::Cancel { session_id }) => cancel(&shared, &connection, &session_id).await,
        Err(error) => Err(error),
    };
    match outcome {
        Ok(Some(answer)) => send_answer(&socket, &connection, ack, answer),
        Ok(None) => {}
        Err(error) => refuse(&socket, ack, &shared.metrics, &event, &error),
    }
}

/// Cancels; a requester that does not watch the session gets the event directly.
async fn cancel(
    shared: &Shared,
    connection: &Connection,
    session_id: &str,
) -> Result<Option<Answer>, RequestError> {
    let event = shared.sessions.cancel(session_id).await?;
    let watching = SessionId::parse(session_id).is_some_and(|id| {
        connection
            .watching
            .lock()
            .expect("connection lock")
            .contains(&id)
    });
    Ok((!watching).then(|| Answer {
        name: event.kind.name(),
        payload: event.json.to_string(),
        watch: None,
    }))
}

fn send_answer(socket: &SocketRef, connection: &Connection, ack: AckSender, answer: Answer) {
    emit(socket, answer.name, &answer.payload);
    let _ = ack.send(&raw(&replies::ack_payload(answer.name, &answer.payload)));
    if let Some(watch) = answer.watch {
        connection
            .watching
            .lock()
            .expect("connection lock")
            .insert(watch.session_id().clone());
        watch.start();
    }
}

fn refuse(
    socket: &SocketRef,
    ack: AckSender,
    metrics: &Metrics,
    event: &str,
    error: &RequestError,
) {
    Metrics::bump(&metrics.requests_refused);
    if let RequestError::Unavailable(cause) = error {
        warn!(%cause, event, "request failed");
    } else {
        debug!(%error, event, "request refused");
    }
    let payload = replies::refusal(error.code(), &error.client_message());
    emit(socket, "processing_error", &payload);
    let _ = ack.send(&raw(&replies::ack_payload("processing_error", &payload)));
}

fn emit(socket: &SocketRef, name: &str, payload: &str) {
    if let Err(error) = socket.emit(name, &raw(payload)) {
        debug!(%error, "reply not sent");
    }
}

fn raw(json: &str) -> Box<RawValue> {
    RawValue::from_string(json.to_owned())
        .unwrap_or_else(|_| RawValue::from_string("{}".into()).expect("valid JSON"))
}

async fn on_disconnect(socket: SocketRef, reason: DisconnectReason, State(shared): State<Shared>) {
    debug!(?reason, "socket disconnected");
    let Some(connection) = socket.extensions.remove::<Arc<Connection>>() else {
        return;
    };
    let watching = std::mem::take(&mut *connection.watching.lock().expect("connection lock"));
    for id in watching {
        shared.sessions.leave(&id, connection.watcher.id);
    }
}
