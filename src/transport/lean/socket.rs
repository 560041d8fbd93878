//! The Socket.IO side of one Engine.IO connection, whatever carries it: the
//! namespace handshake, events to the [`Dispatcher`](crate::transport::dispatch),
//! and the connection's bounded outgoing queue, which its watcher feeds too.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing::debug;

use super::Shared;
use super::packet::{self, Malformed, SocketPacket};
use super::queue::{self, Outbox, Queue};
use crate::limits::AddressSlot;
use crate::transport::dispatch::Connection;

/// One client connection. Every frame for the client goes through its queue, so
/// a reply always precedes the replayed and live events that follow it.
pub struct Socket {
    shared: Arc<Shared>,
    connection: Arc<Connection>,
    queue: Arc<Queue>,
    /// Joined the `/` namespace (and not left it).
    joined: AtomicBool,
    closed: AtomicBool,
}

impl Socket {
    /// A new connection of the client that holds `slot`, and the receiving end of
    /// its queue.
    pub(super) fn new(shared: Arc<Shared>, slot: Option<AddressSlot>) -> (Arc<Self>, Outbox) {
        let (queue, outbox) = queue::queue(shared.queue_len);
        let connection = Connection::new(queue.clone(), &shared.dispatcher.guard, slot);
        let socket = Arc::new(Self {
            shared,
            connection: Arc::new(connection),
            queue,
            joined: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        });
        (socket, outbox)
    }

    pub(super) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Queues a frame without waiting; false when the queue is full or closed.
    pub fn push(&self, frame: String) -> bool {
        self.queue.push(frame.into()).is_ok()
    }

    /// Handles one Socket.IO packet (an Engine.IO message). An error means the
    /// connection must close: a malformed or binary packet, or a full queue.
    pub fn on_message(self: &Arc<Self>, text: &str) -> Result<(), Malformed> {
        match SocketPacket::decode(text)? {
            SocketPacket::Connect {
                namespace: "/",
                auth,
            } => {
                let auth = serde_json::from_str::<serde_json::Value>(auth).ok();
                let guard = &self.shared.dispatcher.guard;
                self.connection.authenticate(guard, auth.as_ref());
                self.joined.store(true, Ordering::SeqCst);
                self.push_or_fail(packet::connected(&packet::random_id()))
            }
            SocketPacket::Connect { namespace, .. } => {
                self.push_or_fail(packet::invalid_namespace(namespace))
            }
            SocketPacket::Disconnect { namespace: "/" } => {
                if self.joined.swap(false, Ordering::SeqCst) {
                    self.shared.dispatcher.disconnected(&self.connection);
                }
                Ok(())
            }
            SocketPacket::Event {
                namespace: "/",
                ack,
                args,
            } => {
                let (event, payload) = packet::event_args(args)?;
                if self.joined.load(Ordering::SeqCst) {
                    tokio::spawn(self.clone().handle(event, payload, ack));
                }
                Ok(())
            }
            SocketPacket::Binary => Err(Malformed),
            SocketPacket::Disconnect { .. }
            | SocketPacket::Event { .. }
            | SocketPacket::Ack { .. } => Ok(()),
        }
    }

    /// Sends the reply as the named event, then as the ack when one was asked for,
    /// and only then starts the watch that it opens. A reply that does not fit in
    /// the queue ends the connection: the client resumes after it reconnects.
    async fn handle(self: Arc<Self>, event: String, payload: serde_json::Value, ack: Option<u64>) {
        let dispatcher = &self.shared.dispatcher;
        let Some(reply) = dispatcher.handle(&self.connection, &event, payload).await else {
            return;
        };
        let mut queued = self.push(packet::event(reply.name, &reply.payload));
        if let Some(id) = ack.filter(|_| queued) {
            queued = self.push(packet::ack(id, &reply.ack_payload()));
        }
        if !queued {
            debug!("a reply does not fit in the outgoing queue; closing the connection");
            self.queue.shut();
            return;
        }
        if !self.live() {
            return;
        }
        reply.sent(&self.connection);
        if !self.live() {
            dispatcher.disconnected(&self.connection);
        }
    }

    /// Joined and not closed: a watch may start.
    fn live(&self) -> bool {
        self.joined.load(Ordering::SeqCst) && !self.closed.load(Ordering::SeqCst)
    }

    fn push_or_fail(&self, frame: String) -> Result<(), Malformed> {
        if self.push(frame) {
            Ok(())
        } else {
            debug!("outgoing queue full; closing the connection");
            Err(Malformed)
        }
    }

    /// The connection is over: it stops watching every session. Idempotent.
    pub fn close(&self) {
        if !self.closed.swap(true, Ordering::SeqCst) {
            self.joined.store(false, Ordering::SeqCst);
            self.shared.dispatcher.disconnected(&self.connection);
        }
    }
}
