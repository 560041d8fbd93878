//! The task of one websocket connection, written as a hand-rolled poll over its few
//! fields so that an idle connection costs little memory: the client's frames, the
//! outgoing queue, one heartbeat timer and the drain signal, in one state.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, close_code};
use futures_util::{Sink, Stream};
use tokio::time::{Instant, Sleep, sleep, timeout};
use tokio_util::sync::WaitForCancellationFutureOwned;
use tracing::debug;

use super::Timing;
use super::packet::EnginePacket;
use super::queue::Outbox;
use super::socket::Socket;

/// How long the close frame of a drain may take to go out.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Why a connection ended.
enum End {
    /// The server drains: the client gets a close frame and reconnects.
    Drained,
    /// The client left, broke the protocol, stopped answering pings, or stopped
    /// reading (its frames back up until the ping goes unanswered, or its queue
    /// overflows and the slow-client policy cuts it).
    Over,
}

/// Serves a websocket connection until it ends, then leaves its sessions.
/// Frames go out in queue order; the server pings every ping interval and closes
/// the connection when no pong came within the ping timeout.
pub(super) async fn serve(ws: WebSocket, socket: Arc<Socket>, outbox: Outbox) {
    let shared = socket.shared();
    let timing = shared.timing;
    let closing = shared.registry.closing().clone().cancelled_owned();
    let heartbeat = sleep(timing.ping_interval);
    tokio::pin!(closing, heartbeat);
    let mut link = Link {
        ws,
        socket,
        outbox,
        sending: None,
        ping_due: false,
        awaiting_pong: false,
        unflushed: false,
    };
    let end = poll_fn(|cx| link.poll(cx, timing, heartbeat.as_mut(), closing.as_mut())).await;
    if let End::Drained = end {
        let frame = CloseFrame {
            code: close_code::AWAY,
            reason: Utf8Bytes::from_static("server draining"),
        };
        let _ = timeout(CLOSE_TIMEOUT, link.ws.send(Message::Close(Some(frame)))).await;
    }
    link.socket.close();
}

struct Link {
    ws: WebSocket,
    socket: Arc<Socket>,
    outbox: Outbox,
    /// A frame taken from the queue (or the ping) that the websocket has not yet
    /// accepted.
    sending: Option<Utf8Bytes>,
    ping_due: bool,
    awaiting_pong: bool,
    unflushed: bool,
}

/// What a client frame asks of the connection.
enum Inbound {
    Handled,
    Pong,
    Close,
}

impl Link {
    fn poll(
        &mut self,
        cx: &mut Context<'_>,
        timing: Timing,
        mut heartbeat: Pin<&mut Sleep>,
        closing: Pin<&mut WaitForCancellationFutureOwned>,
    ) -> Poll<End> {
        if closing.poll(cx).is_ready() {
            return Poll::Ready(End::Drained);
        }
        if self.outbox.poll_cut(cx).is_ready() {
            return Poll::Ready(End::Over);
        }
        loop {
            match Pin::new(&mut self.ws).poll_next(cx) {
                Poll::Ready(Some(Ok(message))) => match self.on_frame(message) {
                    Inbound::Handled => {}
                    Inbound::Pong => {
                        self.awaiting_pong = false;
                        heartbeat
                            .as_mut()
                            .reset(Instant::now() + timing.ping_interval);
                    }
                    Inbound::Close => return Poll::Ready(End::Over),
                },
                Poll::Ready(_) => return Poll::Ready(End::Over),
                Poll::Pending => break,
            }
        }
        while heartbeat.as_mut().poll(cx).is_ready() {
            if self.awaiting_pong {
                debug!("no pong within the ping timeout");
                return Poll::Ready(End::Over);
            }
            self.ping_due = true;
            self.awaiting_pong = true;
            heartbeat
                .as_mut()
                .reset(Instant::now() + timing.ping_timeout);
        }
        match self.poll_send(cx) {
            Poll::Ready(Err(())) => Poll::Ready(End::Over),
            _ => Poll::Pending,
        }
    }

    fn on_frame(&mut self, message: Message) -> Inbound {
        let text = match message {
            Message::Text(text) => text,
            Message::Ping(_) | Message::Pong(_) => return Inbound::Handled,
            Message::Binary(_) | Message::Close(_) => return Inbound::Close,
        };
        match EnginePacket::decode(text.as_str()) {
            Ok(EnginePacket::Message(message)) => match self.socket.on_message(message) {
                Ok(()) => Inbound::Handled,
                Err(_) => Inbound::Close,
            },
            Ok(EnginePacket::Pong(_)) => Inbound::Pong,
            Ok(EnginePacket::Ping(_) | EnginePacket::Noop | EnginePacket::Upgrade) => {
                Inbound::Handled
            }
            Ok(EnginePacket::Close) | Err(_) => Inbound::Close,
        }
    }

    /// Writes the ping when due, then queued frames, until the queue is empty or the
    /// socket is busy; flushes what it wrote. `Ready(Err)` when the socket failed.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
        loop {
            if self.sending.is_none() {
                if self.ping_due {
                    self.ping_due = false;
                    self.sending = Some(Utf8Bytes::from_static("2"));
                } else {
                    match self.outbox.poll_recv(cx) {
                        Poll::Ready(Some(frame)) => self.sending = Some(frame),
                        Poll::Ready(None) => return Poll::Ready(Err(())),
                        Poll::Pending => break,
                    }
                }
            }
            let mut ws = Pin::new(&mut self.ws);
            ready!(ws.as_mut().poll_ready(cx)).map_err(drop)?;
            let frame = self.sending.take().unwrap_or_default();
            ws.start_send(Message::Text(frame)).map_err(drop)?;
            self.unflushed = true;
        }
        if self.unflushed {
            ready!(Pin::new(&mut self.ws).poll_flush(cx)).map_err(drop)?;
            self.unflushed = false;
        }
        Poll::Ready(Ok(()))
    }
}
