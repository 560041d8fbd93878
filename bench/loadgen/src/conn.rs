//! One Socket.IO client connection over a raw websocket: Engine.IO open, namespace
//! connect, text frames in and out. It spawns nothing; its owner drives it.

use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{Instant, timeout_at};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::frame::{Frame, classify};
use crate::target::Target;

/// Small: events are a few hundred bytes, and idle runs hold thousands of sockets.
const READ_BUFFER: usize = 2 * 1024;

pub struct Conn {
    ws: WebSocketStream<TcpStream>,
}

impl Conn {
    /// Connects (from `source` if given), completes the Engine.IO open and the `/`
    /// namespace connect, all within `limit`.
    pub async fn open(
        target: &Target,
        source: Option<Ipv4Addr>,
        limit: Duration,
    ) -> Result<Self, String> {
        let deadline = Instant::now() + limit;
        let socket = TcpSocket::new_v4().map_err(|e| format!("socket: {e}"))?;
        if let Some(ip) = source {
            bind_source(&socket, ip)?;
        }
        let stream = timeout_at(deadline, socket.connect(target.addr))
            .await
            .map_err(|_| "connect timed out".to_owned())?
            .map_err(|e| format!("connect: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
        let upgrade = tokio_tungstenite::client_async_with_config(
            target.ws_url.as_str(),
            stream,
            Some(config),
        );
        let (ws, _) = timeout_at(deadline, upgrade)
            .await
            .map_err(|_| "websocket upgrade timed out".to_owned())?
            .map_err(|e| format!("websocket upgrade: {e}"))?;
        let mut conn = Self { ws };
        let open = conn.next_text(deadline).await?;
        if !open.starts_with('0') {
            return Err(format!("expected the Engine.IO open packet, got {open:?}"));
        }
        conn.send("40").await?;
        loop {
            let text = conn.next_text(deadline).await?;
            match classify(&text) {
                Frame::Connected => return Ok(conn),
                Frame::Refused => return Err(format!("namespace refused: {text}")),
                Frame::Ping => conn.send("3").await?,
                _ => {}
            }
        }
    }

    /// The next text frame, or `None` once the connection is closed. Cancel-safe.
    pub async fn recv(&mut self) -> Option<Utf8Bytes> {
        loop {
            match self.ws.next().await? {
                Ok(Message::Text(text)) => return Some(text),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// The next text frame before `deadline`; an error on close or timeout.
    pub async fn next_text(&mut self, deadline: Instant) -> Result<Utf8Bytes, String> {
        match timeout_at(deadline, self.recv()).await {
            Ok(Some(text)) => Ok(text),
            Ok(None) => Err("connection closed".to_owned()),
            Err(_) => Err("timed out".to_owned()),
        }
    }

    pub async fn send(&mut self, text: impl Into<Utf8Bytes>) -> Result<(), String> {
        self.ws
            .send(Message::Text(text.into()))
            .await
            .map_err(|e| format!("send: {e}"))
    }

    /// Emits `42["name",payload]`, or `42<ack>["name",payload]` with an ack id.
    pub async fn emit(
        &mut self,
        name: &str,
        payload: &serde_json::Value,
        ack: Option<u64>,
    ) -> Result<(), String> {
        let ack = ack.map(|id| id.to_string()).unwrap_or_default();
        self.send(format!("42{ack}[\"{name}\",{payload}]")).await
    }
}

/// Binds to `ip` with `IP_BIND_ADDRESS_NO_PORT`, so that the port is chosen at
/// connect time per destination and one source address serves many connections.
fn bind_source(socket: &TcpSocket, ip: Ipv4Addr) -> Result<(), String> {
    let on: libc::c_int = 1;
    // SAFETY: a valid socket descriptor and a pointer to a live c_int of the given size.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&on as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(format!(
            "IP_BIND_ADDRESS_NO_PORT: {}",
            std::io::Error::last_os_error()
        ));
    }
    socket
        .bind(SocketAddr::from((ip, 0)))
        .map_err(|e| format!("bind {ip}: {e}"))
}
