//! A lean, websocket-first Engine.IO v4 / Socket.IO v5 server on axum's own
//! WebSocket: one task per websocket connection, one bounded outgoing queue, one
//! heartbeat timer, and long-polling only for a client's start before it upgrades.
//!
//! [`packet`] is the framing, [`socket`] the Socket.IO side of a connection whatever
//! its transport, [`queue`] its outgoing frames, [`websocket`] (with [`link`], the
//! per-connection task) and [`polling`] the transports, [`registry`] what
//! `close_all` reaches. Every inbound event goes to the [`Dispatcher`].

mod link;
pub mod packet;
mod polling;
pub(crate) mod queue;
mod registry;
mod socket;
#[cfg(test)]
mod tests;
mod websocket;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::api::ApiError;
use super::dispatch::Dispatcher;
use super::guard::refuse_foreign_origin;
use registry::Registry;

/// The Engine.IO heartbeat: the server pings every `ping_interval` and closes a
/// connection whose pong has not come `ping_timeout` after the ping.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub ping_interval: Duration,
    pub ping_timeout: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
        }
    }
}

/// What every connection of one server shares.
struct Shared {
    dispatcher: Dispatcher,
    /// Capacity of each connection's outgoing queue.
    queue_len: usize,
    /// The largest websocket message and polling body accepted, in bytes.
    max_payload: usize,
    timing: Timing,
    registry: Registry,
}

/// The handle to the live connections of a lean server.
#[derive(Clone)]
pub struct LeanServer {
    shared: Arc<Shared>,
}

impl LeanServer {
    /// Closes every connection at the transport level, without a Socket.IO
    /// DISCONNECT, so that stock clients reconnect by themselves; returns once every
    /// connection task has ended.
    pub async fn close_all(&self) {
        self.shared.registry.close_all().await;
    }
}

/// The `/socket.io/` routes and their handle, with the default heartbeat.
/// `queue_len` bounds each connection's outgoing queue.
pub fn router(dispatcher: Dispatcher, queue_len: usize) -> (Router, LeanServer) {
    router_with(dispatcher, queue_len, Timing::default())
}

/// As [`router`], with the given heartbeat.
pub fn router_with(
    dispatcher: Dispatcher,
    queue_len: usize,
    timing: Timing,
) -> (Router, LeanServer) {
    let max_payload = (dispatcher.max_payload * 4).max(1 << 20);
    let shared = Arc::new(Shared {
        dispatcher,
        queue_len: queue_len.max(1),
        max_payload,
        timing,
        registry: Registry::default(),
    });
    let routes = get(on_get)
        .post(on_post)
        .layer(DefaultBodyLimit::max(max_payload));
    let router = Router::new()
        .route("/socket.io/", routes.clone())
        .route("/socket.io", routes)
        .with_state(shared.clone());
    (router, LeanServer { shared })
}

/// The query of every Engine.IO request.
#[derive(Deserialize)]
struct Params {
    #[serde(rename = "EIO")]
    eio: Option<String>,
    transport: Option<String>,
    sid: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Transport {
    Polling,
    Websocket,
}

impl Params {
    fn transport(&self) -> Result<Transport, Refusal> {
        if self.eio.as_deref() != Some("4") {
            return Err(Refusal::UnsupportedVersion);
        }
        match self.transport.as_deref() {
            Some("polling") => Ok(Transport::Polling),
            Some("websocket") => Ok(Transport::Websocket),
            _ => Err(Refusal::TransportUnknown),
        }
    }
}

/// An Engine.IO request error: HTTP 400 with `{"code", "message"}`, the code being
/// the reference server's.
#[derive(Clone, Copy, Debug)]
enum Refusal {
    TransportUnknown = 0,
    UnknownSession = 1,
    BadRequest = 3,
    UnsupportedVersion = 5,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let message = match self {
            Refusal::TransportUnknown => "Transport unknown",
            Refusal::UnknownSession => "Session ID unknown",
            Refusal::BadRequest => "Bad request",
            Refusal::UnsupportedVersion => "Unsupported protocol version",
        };
        let body = serde_json::json!({ "code": self as u8, "message": message });
        (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
    }
}

fn bad_request() -> Response {
    Refusal::BadRequest.into_response()
}

async fn on_get(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(params): Query<Params>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let transport = match params.transport() {
        Ok(transport) => transport,
        Err(refused) => return refused.into_response(),
    };
    let guard = &shared.dispatcher.guard;
    if !guard.origin_allowed(&headers) {
        return refuse_foreign_origin(&shared.dispatcher.metrics);
    }
    let session = params.sid.as_deref().map(|sid| shared.registry.get(sid));
    let slot = match session {
        None => match guard.admit(peer, &headers) {
            Ok(slot) => slot,
            Err(error) => {
                shared.dispatcher.metrics.refused(error.code());
                return ApiError::from(error).into_response();
            }
        },
        Some(_) => None,
    };
    match (transport, session, upgrade) {
        (Transport::Websocket, None, Ok(upgrade)) => websocket::accept(shared, upgrade, slot),
        (Transport::Websocket, Some(Some(session)), Ok(upgrade)) => {
            websocket::upgrade(shared, upgrade, session)
        }
        (Transport::Websocket, _, Err(_)) => bad_request(),
        (Transport::Polling, None, _) => polling::open(shared, slot),
        (Transport::Polling, Some(Some(session)), _) => polling::poll(session).await,
        (_, Some(None), _) => Refusal::UnknownSession.into_response(),
    }
}

async fn on_post(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
    body: Bytes,
) -> Response {
    if !shared.dispatcher.guard.origin_allowed(&headers) {
        return refuse_foreign_origin(&shared.dispatcher.metrics);
    }
    match params.transport() {
        Ok(Transport::Polling) => {}
        Ok(Transport::Websocket) => return bad_request(),
        Err(refused) => return refused.into_response(),
    }
    let Some(sid) = params.sid.as_deref() else {
        return bad_request();
    };
    match shared.registry.get(sid) {
        Some(session) => polling::post(session, &body),
        None => Refusal::UnknownSession.into_response(),
    }
}
