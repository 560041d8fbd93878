//! An event stream that stops being read: `GET /api/v1/sessions/{id}/events` over a
//! TCP socket with a small receive buffer, asked in HTTP/1.0 so that the body is the
//! bare stream up to the close, and read only when told to.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use super::stalling::{RECEIVE_BUFFER, Read};
use crate::sio_client::Received;

pub struct StallingStream {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl StallingStream {
    /// Opens the stream of `session_id` after `last_seq` and reads its headers and
    /// first event (the `resume_session` that it opens with).
    pub async fn open(port: u16, session_id: &str, last_seq: u64) -> (Self, Received) {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(RECEIVE_BUFFER).unwrap();
        let mut stream = socket.connect(([127, 0, 0, 1], port).into()).await.unwrap();
        let request = format!(
            "GET /api/v1/sessions/{session_id}/events?last_seq={last_seq} HTTP/1.0\r\n\
             Host: 127.0.0.1\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut sse = Self {
            stream,
            buffer: Vec::new(),
        };
        let head = sse.until(b"\r\n\r\n").await.expect("response headers");
        let head = String::from_utf8_lossy(&head).into_owned();
        assert!(head.starts_with("HTTP/1.0 200"), "{head}");
        match sse.next(Duration::from_secs(10)).await {
            Read::Event(first) => (sse, first),
            other => panic!("no first event: {other:?}"),
        }
    }

    /// The next event (keep-alive comments are skipped), the end of the stream, or
    /// nothing within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Read {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.until(b"\n\n")).await {
                Err(_) => return Read::Quiet,
                Ok(None) => return Read::Closed,
                Ok(Some(block)) => {
                    if let Some(event) = parse(&String::from_utf8_lossy(&block)) {
                        return Read::Event(event);
                    }
                }
            }
        }
    }

    /// The bytes up to and including `end`; `None` once the connection is closed.
    async fn until(&mut self, end: &[u8]) -> Option<Vec<u8>> {
        loop {
            if let Some(at) = self.buffer.windows(end.len()).position(|w| w == end) {
                return Some(self.buffer.drain(..at + end.len()).collect());
            }
            let mut chunk = [0; 16 * 1024];
            match self.stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
            }
        }
    }
}

/// `event: <name>`, `id: <seq>`, `data: <json>`; `None` for a comment.
fn parse(block: &str) -> Option<Received> {
    let field = |name: &str| {
        block
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(": "))
    };
    let data = serde_json::from_str(field("data")?).unwrap_or(Value::Null);
    let name = field("event")?.to_owned();
    Some(Received { name, data })
}
