//! A Socket.IO client that stops reading: a raw websocket over a TCP socket with a
//! small receive buffer, which reads only when told to, so that the server's writes
//! to it back up after a few kilobytes.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use crate::sio_client::Received;

/// The receive buffer asked for (the kernel doubles it, and keeps a floor).
pub const RECEIVE_BUFFER: u32 = 4096;

/// What a read found.
#[derive(Debug)]
pub enum Read {
    Event(Received),
    Closed,
    Quiet,
}

pub struct Stalling {
    ws: WebSocketStream<TcpStream>,
}

impl Stalling {
    /// Connects over websocket with a small receive buffer and joins `/`.
    pub async fn connect(port: u16) -> Self {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(RECEIVE_BUFFER).unwrap();
        let stream = socket.connect(([127, 0, 0, 1], port).into()).await.unwrap();
        let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
        let (ws, _) = tokio_tungstenite::client_async(url, stream)
            .await
            .expect("websocket handshake");
        let mut client = Self { ws };
        client.send("40").await;
        match client.next(Duration::from_secs(10)).await {
            Read::Event(connected) if connected.name == "connect" => client,
            other => panic!("no namespace connect: {other:?}"),
        }
    }

    pub async fn emit(&mut self, event: &str, data: Value) {
        self.send(&format!("42{}", serde_json::json!([event, data])))
            .await;
    }

    async fn send(&mut self, text: &str) {
        self.ws.send(Message::text(text.to_owned())).await.unwrap();
    }

    /// The next Socket.IO event (pings are answered), the end of the connection, or
    /// nothing within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Read {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let message = match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return Read::Quiet,
                Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return Read::Closed,
                Ok(Some(Ok(message))) => message,
            };
            let Message::Text(text) = message else {
                continue;
            };
            if text.as_str() == "2" {
                self.send("3").await;
                continue;
            }
            if let Some(received) = parse(text.as_str()) {
                return Read::Event(received);
            }
        }
    }
}

/// `40{..}` (the namespace connect) or `42[name, data]`; other packets are skipped.
fn parse(text: &str) -> Option<Received> {
    if let Some(body) = text.strip_prefix("40") {
        let data = serde_json::from_str(body).unwrap_or(Value::Null);
        let name = "connect".into();
        return Some(Received { name, data });
    }
    let mut array: Vec<Value> = serde_json::from_str(text.strip_prefix("42")?).ok()?;
    let name = array.first()?.as_str()?.to_owned();
    let data = array.drain(1..).next().unwrap_or(Value::Null);
    Some(Received { name, data })
}
