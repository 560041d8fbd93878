//! The websocket transport's start: a fresh connection gets its open packet; an
//! upgrading one answers the probe, then takes over its polling session's queue.
//! Either then runs as its own tracked task ([`link`](super::link)), spawned apart
//! from axum's upgrade task so that only the connection's own state stays alive.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use tokio::time::timeout;
use tracing::debug;

use super::link::serve;
use super::packet;
use super::polling::{Phase, PollSession};
use super::queue::Outbox;
use super::socket::Socket;
use super::{Shared, bad_request};
use crate::limits::AddressSlot;

/// How long an upgrading client has for its probe and its upgrade packet.
const UPGRADE_TIMEOUT: Duration = Duration::from_secs(10);
/// The read buffer of each connection: small, since most of them are idle.
const READ_BUFFER: usize = 1024;
/// Frames queued together are written with one system call up to this many bytes (the
/// connection writes its queue, then flushes); a connection keeps about this much
/// buffer once it has had such a burst.
const WRITE_BATCH: usize = 2048;

/// A websocket-only connection: its own Engine.IO session.
pub(super) fn accept(
    shared: Arc<Shared>,
    upgrade: WebSocketUpgrade,
    slot: Option<AddressSlot>,
) -> Response {
    configure(upgrade, &shared).on_upgrade(move |ws| {
        let registry = shared.clone();
        registry.registry.spawn(open_and_serve(ws, shared, slot));
        std::future::ready(())
    })
}

/// The upgrade of polling session `session` to this websocket.
pub(super) fn upgrade(
    shared: Arc<Shared>,
    upgrade: WebSocketUpgrade,
    session: Arc<PollSession>,
) -> Response {
    if session.phase() != Phase::Polling {
        return bad_request();
    }
    configure(upgrade, &shared).on_upgrade(move |ws| {
        shared.registry.spawn(upgrade_and_serve(ws, session));
        std::future::ready(())
    })
}

/// Small buffers, batched writes, and the transport's message limit: a larger message
/// closes this connection only.
fn configure(upgrade: WebSocketUpgrade, shared: &Shared) -> WebSocketUpgrade {
    upgrade
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BATCH)
        .max_message_size(shared.max_payload)
        .max_frame_size(shared.max_payload)
}

async fn open_and_serve(mut ws: WebSocket, shared: Arc<Shared>, slot: Option<AddressSlot>) {
    let timing = shared.timing;
    let open = packet::open(&packet::random_id(), false, timing, shared.max_payload);
    let sent = timeout(timing.ping_timeout, ws.send(Message::Text(open.into()))).await;
    if !matches!(sent, Ok(Ok(()))) {
        return;
    }
    let (socket, outbox) = Socket::new(shared, slot);
    serve(ws, socket, outbox).await;
}

async fn upgrade_and_serve(mut ws: WebSocket, session: Arc<PollSession>) {
    if !session.advance(Phase::Polling, Phase::Probing) {
        return;
    }
    match timeout(UPGRADE_TIMEOUT, handshake(&mut ws, &session)).await {
        Ok(Some((socket, outbox))) => {
            drop(session);
            serve(ws, socket, outbox).await;
        }
        _ => {
            debug!("websocket upgrade failed");
            session.abort_upgrade();
        }
    }
}

/// `2probe` → `3probe`, then `5`: the session's queue now belongs to this websocket.
async fn handshake(ws: &mut WebSocket, session: &PollSession) -> Option<(Arc<Socket>, Outbox)> {
    expect(ws, "2probe").await?;
    if !session.advance(Phase::Probing, Phase::Upgrading) {
        return None;
    }
    ws.send(Message::text("3probe")).await.ok()?;
    expect(ws, "5").await?;
    session.finish_upgrade().await
}

async fn expect(ws: &mut WebSocket, wanted: &str) -> Option<()> {
    match ws.recv().await {
        Some(Ok(Message::Text(text))) if text.as_str() == wanted => Some(()),
        _ => None,
    }
}
