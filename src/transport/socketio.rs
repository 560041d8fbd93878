//! Socket.IO v5 on `/socket.io/` via socketioxide. Every inbound event goes to the
//! [`Dispatcher`]; replies go out as the named event and, when the client asked for
//! one, as the ack too.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State as AxumState};
use axum::middleware::Next;
use axum::response::Response;

use serde_json::Value;
use serde_json::value::RawValue;
use socketioxide::extract::{AckSender, Event, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::layer::SocketIoLayer;
use socketioxide::socket::DisconnectReason;
use socketioxide::{SendError, SocketError, SocketIo};
use tracing::{debug, warn};

use super::dispatch::{Connection, Dispatcher};
use super::guard::refuse_foreign_origin;
use crate::fanout::{Delivery, Frame, Watcher, WatcherId, next_watcher_id};

/// A socketioxide socket as a session watcher. Its queue (socketioxide's internal
/// channel) cannot be edited and socketioxide offers no per-socket transport close, so
/// it keeps the defaults of [`Watcher::shed`] and [`Watcher::close`]: a socket that
/// overflows keeps what it has queued and gets its gap snapshot once there is room,
/// under either slow-client policy; one that stays full is closed by socketioxide's
/// own heartbeat, whose ping then cannot be queued.
struct SocketWatcher {
    id: WatcherId,
    socket: SocketRef,
}

impl Watcher for SocketWatcher {
    fn id(&self) -> WatcherId {
        self.id
    }

    fn send(&self, frame: &Frame) -> Delivery {
        let Ok(raw) = RawValue::from_string(frame.json().to_owned()) else {
            warn!("dropping a malformed event payload");
            return Delivery::Sent;
        };
        match self.socket.emit(frame.name(), &raw) {
            Ok(()) => Delivery::Sent,
            Err(SendError::Socket(SocketError::InternalChannelFull)) => Delivery::Full,
            Err(_) => Delivery::Gone,
        }
    }
}

/// The tower layer that serves Socket.IO, and the handle to its sockets.
pub fn layer(dispatcher: Dispatcher, queue_len: usize) -> (SocketIoLayer, SocketIo) {
    let transport_limit = (dispatcher.max_payload * 4).max(1 << 20);
    let (layer, io) = SocketIo::builder()
        .max_payload(transport_limit as u64)
        .ws_max_message_size(transport_limit)
        .ws_max_frame_size(transport_limit)
        .max_buffer_size(queue_len)
        .with_state(dispatcher)
        .build_layer();
    io.ns("/", connected.with(prepare));
    (layer, io)
}

/// Registers the socket's handlers. It runs as connect middleware, which socketioxide
/// awaits before it acknowledges the connection: a connect handler runs only after
/// the acknowledgement, so a client's first event could arrive before it.
/// Refuses a client address over its connection limit with a connect error (the
/// origin was checked before the transport began, by [`check_origin`]); takes the
/// auth payload's token.
async fn prepare(
    socket: SocketRef,
    TryData(auth): TryData<Value>,
    State(dispatcher): State<Dispatcher>,
) -> Result<(), Refused> {
    let (guard, parts) = (&dispatcher.guard, socket.req_parts());
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>();
    let slot = match peer.map(|peer| guard.admit(peer.0, &parts.headers)) {
        Some(Err(error)) => {
            dispatcher.metrics.refused(error.code());
            return Err(Refused(error.to_string()));
        }
        Some(Ok(slot)) => slot,
        None => None,
    };
    let id = next_watcher_id();
    let watcher = Arc::new(SocketWatcher {
        id,
        socket: socket.clone(),
    });
    let connection = Connection::new(watcher, guard, slot);
    connection.authenticate(guard, auth.ok().as_ref());
    socket.extensions.insert(Arc::new(connection));
    socket.on_fallback(on_event);
    socket.on_disconnect(on_disconnect);
    Ok(())
}

/// Refuses, before socketioxide sees it, a `/socket.io/` request from a page of an
/// origin that is not allowed (cross-site WebSocket hijacking).
pub async fn check_origin(
    AxumState(dispatcher): AxumState<Dispatcher>,
    request: Request,
    next: Next,
) -> Response {
    let engine_io = request.uri().path().starts_with("/socket.io");
    if engine_io && !dispatcher.guard.origin_allowed(request.headers()) {
        return refuse_foreign_origin(&dispatcher.metrics);
    }
    next.run(request).await
}

/// Why a connection was refused, as its connect error's message.
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

async fn connected(socket: SocketRef) {
    debug!(sid = %socket.id, "socket connected");
}

async fn on_event(
    socket: SocketRef,
    Event(event): Event,
    TryData(data): TryData<Value>,
    ack: AckSender,
    State(dispatcher): State<Dispatcher>,
) {
    let Some(connection) = socket.extensions.get::<Arc<Connection>>() else {
        return;
    };
    let payload = data.unwrap_or(Value::Null);
    let Some(reply) = dispatcher.handle(&connection, &event, payload).await else {
        return;
    };
    if let Err(error) = socket.emit(reply.name, &raw(&reply.payload)) {
        debug!(%error, "reply not sent");
    }
    let _ = ack.send(&raw(&reply.ack_payload()));
    reply.sent(&connection);
}

fn raw(json: &str) -> Box<RawValue> {
    RawValue::from_string(json.to_owned())
        .unwrap_or_else(|_| RawValue::from_string("{}".into()).expect("valid JSON"))
}

async fn on_disconnect(
    socket: SocketRef,
    reason: DisconnectReason,
    State(dispatcher): State<Dispatcher>,
) {
    debug!(?reason, "socket disconnected");
    if let Some(connection) = socket.extensions.remove::<Arc<Connection>>() {
        dispatcher.disconnected(&connection);
    }
}
