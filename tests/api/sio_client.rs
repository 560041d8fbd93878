//! A minimal Socket.IO v5 client over a raw websocket, enough to speak the real
//! protocol in tests: connect, emit (with or without ack), receive events.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// Something the server sent: an event, or an ack (`name` = `ack:<id>`).
#[derive(Clone, Debug)]
pub struct Received {
    pub name: String,
    pub data: Value,
}

pub struct SioClient {
    out: mpsc::UnboundedSender<Message>,
    inbox: mpsc::UnboundedReceiver<Received>,
    closed: tokio::sync::watch::Receiver<bool>,
}

impl SioClient {
    /// Connects to `/socket.io/` over websocket and joins the `/` namespace.
    pub async fn connect(port: u16) -> Self {
        Self::connect_with(port, None, &[])
            .await
            .expect("websocket connects")
    }

    /// As [`SioClient::connect`], with `auth` as the namespace connect payload and
    /// extra request headers; a refused upgrade, a `connect_error`, or a connection
    /// that closes (or stays silent for 10 s) before the connect reply is the error.
    pub async fn connect_with(
        port: u16,
        auth: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Result<Self, String> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
        let mut request = url.into_client_request().map_err(|e| e.to_string())?;
        for (name, value) in headers {
            let name: tokio_tungstenite::tungstenite::http::HeaderName = name.parse().unwrap();
            request.headers_mut().insert(name, value.parse().unwrap());
        }
        let (ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .map_err(|e| e.to_string())?;
        let (mut sink, mut stream) = ws.split();
        let (out, mut out_rx) = mpsc::unbounded_channel::<Message>();
        let (events, inbox) = mpsc::unbounded_channel();
        let (closed_tx, closed) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            while let Some(message) = out_rx.recv().await {
                if sink.send(message).await.is_err() {
                    break;
                }
            }
        });
        let pong = out.clone();
        tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let text = text.as_str();
                if text == "2" {
                    let _ = pong.send(Message::text("3"));
                } else if let Some(received) = parse(text) {
                    let _ = events.send(received);
                }
            }
            let _ = closed_tx.send(true);
        });
        let connect = auth.map_or_else(|| "40".to_owned(), |auth| format!("40{auth}"));
        let closed_early = || "no connect reply: the connection closed or stayed silent".to_owned();
        out.send(Message::text(connect))
            .map_err(|_| closed_early())?;
        let mut client = Self { out, inbox, closed };
        let connected = client
            .next_within(Duration::from_secs(10))
            .await
            .ok_or_else(closed_early)?;
        match connected.name.as_str() {
            "connect" => Ok(client),
            "connect_error" => Err(format!("connect_error: {}", connected.data["message"])),
            _ => panic!("expected a connect reply, got {connected:?}"),
        }
    }

    /// Closes the websocket (a close frame; the server ends the connection).
    pub fn close(&self) {
        let _ = self.out.send(Message::Close(None));
    }

    pub fn emit(&self, event: &str, data: Value) {
        self.send_raw(&format!("42{}", serde_json::json!([event, data])));
    }

    pub fn emit_with_ack(&self, event: &str, data: Value, ack_id: u64) {
        self.send_raw(&format!("42{ack_id}{}", serde_json::json!([event, data])));
    }

    pub fn send_raw(&self, text: &str) {
        let _ = self.out.send(Message::text(text.to_owned()));
    }

    /// The next event or ack; panics after 10 s of silence.
    pub async fn next(&mut self) -> Received {
        self.next_within(Duration::from_secs(10))
            .await
            .expect("a message within 10 s")
    }

    pub async fn next_within(&mut self, wait: Duration) -> Option<Received> {
        tokio::time::timeout(wait, self.inbox.recv())
            .await
            .ok()
            .flatten()
    }

    /// Waits for an event with one of these names, skipping others.
    pub async fn next_named(&mut self, names: &[&str]) -> Received {
        loop {
            let received = self.next().await;
            if names.contains(&received.name.as_str()) {
                return received;
            }
        }
    }

    /// Collects events until a terminal one (complete, error with seq, cancelled).
    pub async fn until_terminal(&mut self) -> Vec<Received> {
        let mut seen = Vec::new();
        loop {
            let received = self.next().await;
            let terminal = matches!(
                received.name.as_str(),
                "processing_complete" | "processing_cancelled"
            ) || received.name == "processing_error"
                && received.data.get("seq").is_some();
            seen.push(received);
            if terminal {
                return seen;
            }
        }
    }

    /// True once the server has closed the connection.
    pub async fn wait_closed(&mut self, wait: Duration) -> bool {
        tokio::time::timeout(wait, self.closed.wait_for(|closed| *closed))
            .await
            .is_ok()
    }
}

fn parse(text: &str) -> Option<Received> {
    let rest = text.strip_prefix('4')?;
    let (kind, body) = rest.split_at(1);
    match kind {
        "0" => Some(Received {
            name: "connect".into(),
            data: serde_json::from_str(body).unwrap_or(Value::Null),
        }),
        "2" => {
            let start = body.find('[')?;
            let mut array: Vec<Value> = serde_json::from_str(&body[start..]).ok()?;
            let name = array.first()?.as_str()?.to_owned();
            Some(Received {
                name,
                data: array.drain(1..).next().unwrap_or(Value::Null),
            })
        }
        "3" => {
            let start = body.find('[')?;
            let mut array: Vec<Value> = serde_json::from_str(&body[start..]).ok()?;
            Some(Received {
                name: format!("ack:{}", &body[..start]),
                data: array.drain(..).next().unwrap_or(Value::Null),
            })
        }
        "4" => Some(Received {
            name: "connect_error".into(),
            data: serde_json::from_str(body).unwrap_or(Value::Null),
        }),
        _ => None,
    }
}
