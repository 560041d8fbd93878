//! How clients reach the sessions: Socket.IO (socketioxide in [`socketio`], or this
//! crate's own [`lean`] layer, both behind the transport-agnostic [`dispatch`]) and
//! HTTP ([`http`], with the API of [`api`]).

pub mod api;
pub mod dispatch;
pub mod guard;
pub mod http;
pub mod lean;
mod outputs;
mod page;
pub mod requests;
pub mod socketio;

use axum::{Router, middleware};
use socketioxide::SocketIo;

use crate::config::TransportKind;
use dispatch::Dispatcher;

/// The Socket.IO layer serving `/socket.io/`, as the app needs it.
pub enum SocketIoServer {
    Socketioxide(SocketIo),
    Lean(lean::LeanServer),
}

impl SocketIoServer {
    /// Closes every client connection at the transport level, so that clients
    /// reconnect (elsewhere) by themselves.
    pub async fn close_all(&self) {
        match self {
            SocketIoServer::Socketioxide(io) => io.close().await,
            SocketIoServer::Lean(server) => server.close_all().await,
        }
    }
}

/// Serves Socket.IO with the chosen implementation, next to `router`'s routes.
/// `queue_len` bounds each connection's outgoing queue.
pub fn serve_socket_io(
    kind: TransportKind,
    router: Router,
    dispatcher: Dispatcher,
    queue_len: usize,
) -> (Router, SocketIoServer) {
    match kind {
        TransportKind::Socketioxide => {
            let origins =
                middleware::from_fn_with_state(dispatcher.clone(), socketio::check_origin);
            let (layer, io) = socketio::layer(dispatcher, queue_len);
            let router = router.layer(layer).layer(origins);
            (router, SocketIoServer::Socketioxide(io))
        }
        TransportKind::Lean => {
            let (routes, server) = lean::router(dispatcher, queue_len);
            (router.merge(routes), SocketIoServer::Lean(server))
        }
    }
}
