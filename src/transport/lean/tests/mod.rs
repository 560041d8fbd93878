//! The lean transport over real sockets, with the embedded store and a heartbeat
//! as short as a test needs: [`websocket`] connections, [`polling`] sessions, their
//! upgrade and the drain. The stock clients are in the integration suite.

mod polling;
mod websocket;

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::{LeanServer, Timing, router_with};
use crate::fanout::Hub;
use crate::media::MediaRoot;
use crate::metrics::Metrics;
use crate::processor::Simulated;
use crate::session::{Runner, RunnerSettings, Sessions, SessionsSettings};
use crate::store::Retention;
use crate::store::memory::MemoryStore;
use crate::transport::dispatch::Dispatcher;

pub(super) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub(super) const SHORT: Timing = Timing {
    ping_interval: Duration::from_millis(150),
    ping_timeout: Duration::from_millis(400),
};

pub(super) struct Server {
    pub(super) port: u16,
    pub(super) handle: LeanServer,
    _dirs: [tempfile::TempDir; 2],
}

/// A lean server on the embedded store, on a free loopback port.
pub(super) async fn start(timing: Timing) -> Server {
    let media = tempfile::tempdir().unwrap();
    std::fs::write(media.path().join("v.mp4"), b"video").unwrap();
    let outputs = tempfile::tempdir().unwrap();
    let (inbox, _) = tokio::sync::mpsc::unbounded_channel();
    let retention = Retention {
        events: 100,
        ms: 60_000,
        ended_ttl_ms: 60_000,
    };
    let store = MemoryStore::new(retention, inbox);
    let metrics = Arc::new(Metrics::default());
    let hub = Hub::new(
        store.clone(),
        store.clone(),
        metrics.clone(),
        crate::config::SlowClient::Resync,
    );
    let lease_ttl = Duration::from_secs(3);
    let runner = Runner::new(RunnerSettings {
        store: store.clone(),
        processor: Arc::new(Simulated {
            steps: 2,
            step: Duration::from_millis(10),
        }),
        metrics: metrics.clone(),
        max_runs: 2,
        lease_ttl,
        output_root: outputs.path().to_path_buf(),
        instance: "test".into(),
    });
    let media_root = MediaRoot::open(media.path()).unwrap();
    let sessions = Sessions::new(SessionsSettings {
        store,
        hub,
        runner,
        media: media_root,
        instance: "test".into(),
        lease_ttl,
        metrics: metrics.clone(),
    });
    let open = crate::config::Config {
        events_per_second: 0,
        max_watched_sessions: 0,
        ..crate::config::Config::default()
    };
    let dispatcher = Dispatcher {
        sessions,
        metrics,
        max_payload: 65_536,
        guard: crate::transport::guard::Guard::new(&open),
    };
    let (router, handle) = router_with(dispatcher, 16, timing);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(axum::serve(listener, service).into_future());
    Server {
        port,
        handle,
        _dirs: [media, outputs],
    }
}

impl Server {
    pub(super) fn url(&self, query: &str) -> String {
        format!("http://127.0.0.1:{}/socket.io/?EIO=4&{query}", self.port)
    }

    pub(super) async fn ws(&self, query: &str) -> Ws {
        let url = format!("ws://127.0.0.1:{}/socket.io/?EIO=4&{query}", self.port);
        tokio_tungstenite::connect_async(url).await.unwrap().0
    }

    pub(super) async fn get(&self, query: &str) -> (u16, String) {
        let response = reqwest::get(self.url(query)).await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    pub(super) async fn post(&self, query: &str, body: &str) -> (u16, String) {
        let client = reqwest::Client::new();
        let response = client
            .post(self.url(query))
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// Opens a polling session and joins `/`; its sid.
    pub(super) async fn polling_session(&self) -> String {
        let (_, open) = self.get("transport=polling").await;
        let open: Value = serde_json::from_str(&open[1..]).unwrap();
        assert_eq!(open["upgrades"], serde_json::json!(["websocket"]));
        let sid = open["sid"].as_str().unwrap().to_owned();
        assert_eq!(
            self.post(&format!("transport=polling&sid={sid}"), "40")
                .await
                .1,
            "ok"
        );
        let (_, joined) = self.get(&format!("transport=polling&sid={sid}")).await;
        assert!(joined.starts_with(r#"40{"sid":""#), "{joined}");
        sid
    }
}

/// The next text frame, or `None` once the connection is closed.
pub(super) async fn next_text(ws: &mut Ws) -> Option<String> {
    let next = tokio::time::timeout(Duration::from_secs(5), ws.next()).await;
    match next.expect("a frame within 5 s") {
        Some(Ok(Message::Text(text))) => Some(text.as_str().to_owned()),
        Some(Ok(Message::Close(frame))) => {
            Some(format!("close:{}", frame.map_or(0, |f| u16::from(f.code))))
        }
        _ => None,
    }
}

pub(super) async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text.to_owned())).await.unwrap();
}

/// A websocket connection that has joined `/`.
pub(super) async fn joined(server: &Server) -> Ws {
    let mut ws = server.ws("transport=websocket").await;
    let open = next_text(&mut ws).await.unwrap();
    assert!(open.contains(r#""upgrades":[]"#), "{open}");
    send(&mut ws, "40").await;
    assert!(
        next_text(&mut ws)
            .await
            .unwrap()
            .starts_with(r#"40{"sid":"#)
    );
    ws
}

/// A start sent on `ws` is answered with `processing_started`: the connection serves.
pub(super) async fn assert_serves_a_start(ws: &mut Ws) {
    send(ws, r#"42["start_processing",{"video_path":"v.mp4"}]"#).await;
    let reply = next_text(ws).await.unwrap();
    assert!(reply.starts_with(r#"42["processing_started""#), "{reply}");
}
