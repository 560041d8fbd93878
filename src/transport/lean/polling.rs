//! Engine.IO long-polling, for a stock client's start before it upgrades: a session
//! per sid, a driver task that pings and times it out, GETs that take the queued
//! packets, POSTs that bring the client's, and the hand-over of the queue to the
//! websocket that upgrades it.

use std::sync::Arc;
use std::time::Duration;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use tokio::sync::{Mutex, Notify, watch};
use tokio::time::sleep;

use super::packet::{self, EnginePacket, Malformed, SEPARATOR};
use super::queue::Outbox;
use super::socket::Socket;
use super::{Shared, bad_request};
use crate::limits::AddressSlot;

/// How long a drained session waits for a poll to take its close packet.
const CLOSE_LINGER: Duration = Duration::from_secs(1);

/// Where a polling session is in its life; only moves forward, except that a
/// failed upgrade returns to `Polling`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Polling,
    /// A websocket is attached and waits for the probe.
    Probing,
    /// The probe was answered: polls return at once, the client is to send `5`.
    Upgrading,
    /// The websocket carries the connection; this session is done.
    Upgraded,
    Closed,
}

/// One long-polling Engine.IO connection. At most one GET at a time holds the
/// outgoing queue; the websocket that upgrades the session takes it over.
pub struct PollSession {
    sid: Box<str>,
    socket: Arc<Socket>,
    outbox: Mutex<Option<Outbox>>,
    phase: watch::Sender<Phase>,
    pong: Notify,
    close_taken: Notify,
}

/// Opens a session and answers with its open packet.
pub(super) fn open(shared: Arc<Shared>, slot: Option<AddressSlot>) -> Response {
    let sid = packet::random_id();
    let (socket, outbox) = Socket::new(shared.clone(), slot);
    let session = Arc::new(PollSession {
        sid: sid.as_str().into(),
        socket,
        outbox: Mutex::new(Some(outbox)),
        phase: watch::Sender::new(Phase::Polling),
        pong: Notify::new(),
        close_taken: Notify::new(),
    });
    shared.registry.insert(&sid, session.clone());
    shared.registry.spawn(drive(session));
    text(packet::open(&sid, true, shared.timing, shared.max_payload))
}

/// A GET: the queued packets, waiting for the first one; the ping comes through
/// the queue every ping interval. A second concurrent GET closes the session.
pub(super) async fn poll(session: Arc<PollSession>) -> Response {
    match session.phase() {
        Phase::Upgraded => return bad_request(),
        Phase::Upgrading => return text("6".into()),
        Phase::Closed => {
            session.close_taken.notify_one();
            return text("1".into());
        }
        Phase::Polling | Phase::Probing => {}
    }
    let Ok(mut outbox) = session.outbox.try_lock() else {
        if session.phase() == Phase::Upgrading {
            return text("6".into());
        }
        session.close();
        return bad_request();
    };
    let Some(outbox) = outbox.as_mut() else {
        return bad_request();
    };
    let mut phases = session.phase.subscribe();
    let first = tokio::select! {
        biased;
        frame = outbox.recv() => frame.map(|f| f.as_str().to_owned()).ok_or(()),
        _ = phases.wait_for(|p| matches!(p, Phase::Upgrading | Phase::Closed)) => Ok(String::new()),
    };
    let Ok(mut body) = first else {
        session.close();
        return text("1".into());
    };
    let limit = session.socket.shared().max_payload;
    while body.len() < limit {
        let Some(frame) = outbox.try_recv() else {
            break;
        };
        append(&mut body, &frame);
    }
    if session.phase() == Phase::Closed {
        append(&mut body, "1");
        session.close_taken.notify_one();
    }
    if body.is_empty() {
        body.push('6');
    }
    text(body)
}

/// A POST: the client's packets, handled in order. A malformed one closes the session.
pub(super) fn post(session: Arc<PollSession>, body: &[u8]) -> Response {
    if matches!(session.phase(), Phase::Upgraded | Phase::Closed) {
        return bad_request();
    }
    let Ok(body) = std::str::from_utf8(body) else {
        session.close();
        return bad_request();
    };
    for frame in body.split(SEPARATOR) {
        let handled = match EnginePacket::decode(frame) {
            Ok(EnginePacket::Message(message)) => session.socket.on_message(message),
            Ok(EnginePacket::Pong(_)) => {
                session.pong.notify_one();
                Ok(())
            }
            Ok(EnginePacket::Ping(data)) => {
                session.socket.push(format!("3{data}"));
                Ok(())
            }
            Ok(EnginePacket::Close) => {
                session.close();
                break;
            }
            Ok(EnginePacket::Noop) => Ok(()),
            Ok(EnginePacket::Upgrade) | Err(Malformed) => Err(Malformed),
        };
        if handled.is_err() {
            session.close();
            return bad_request();
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; charset=UTF-8")], "ok").into_response()
}

/// Pings, times out, and ends the session: it closes unless a websocket took it.
async fn drive(session: Arc<PollSession>) {
    let shared = session.socket.shared();
    let timing = shared.timing;
    let closing = shared.registry.closing();
    let mut phases = session.phase.subscribe();
    let over = |p: &Phase| matches!(p, Phase::Upgraded | Phase::Closed);
    let drained = loop {
        tokio::select! {
            () = sleep(timing.ping_interval) => {}
            () = closing.cancelled() => break true,
            _ = phases.wait_for(over) => break false,
        }
        if !session.socket.push("2".into()) {
            break false;
        }
        tokio::select! {
            () = session.pong.notified() => {}
            () = sleep(timing.ping_timeout) => break false,
            () = closing.cancelled() => break true,
            _ = phases.wait_for(over) => break false,
        }
    };
    if !session.close() {
        return;
    }
    if drained {
        let _ = tokio::time::timeout(CLOSE_LINGER, session.close_taken.notified()).await;
    }
    shared.registry.remove(&session.sid);
    session.socket.close();
}

impl PollSession {
    pub fn phase(&self) -> Phase {
        *self.phase.borrow()
    }

    /// Closes the session unless a websocket took it over; true if it is closed.
    fn close(&self) -> bool {
        self.phase.send_if_modified(|phase| match phase {
            Phase::Upgraded | Phase::Closed => false,
            _ => {
                *phase = Phase::Closed;
                true
            }
        });
        self.phase() == Phase::Closed
    }

    /// Moves `from` → `to`; false (and no change) if the session is elsewhere.
    pub fn advance(&self, from: Phase, to: Phase) -> bool {
        self.phase.send_if_modified(|phase| {
            let moved = *phase == from;
            if moved {
                *phase = to;
            }
            moved
        })
    }

    /// A failed upgrade: the session polls again (unless it closed meanwhile).
    pub fn abort_upgrade(&self) {
        self.advance(Phase::Probing, Phase::Polling);
        self.advance(Phase::Upgrading, Phase::Polling);
    }

    /// Completes an upgrade once any poll in flight has returned: the connection
    /// and its queue, with everything still queued, for the websocket to carry.
    pub async fn finish_upgrade(&self) -> Option<(Arc<Socket>, Outbox)> {
        let mut outbox = self.outbox.lock().await;
        if !self.advance(Phase::Upgrading, Phase::Upgraded) {
            return None;
        }
        self.socket.shared().registry.remove(&self.sid);
        Some((self.socket.clone(), outbox.take()?))
    }
}

fn append(body: &mut String, frame: &str) {
    if !body.is_empty() {
        body.push(SEPARATOR);
    }
    body.push_str(frame);
}

fn text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=UTF-8")], body).into_response()
}
