//! `GET /api/v1/sessions/{id}/events`: a session's events as Server-Sent Events.
//!
//! The stream opens with `resume_session` (the snapshot as of `Last-Event-ID` or
//! `?last_seq=`, which work like `last_seq`), then every later event once, in order, each with `id:` its
//! `seq`, and ends after the terminal event. The client is a hub watcher like any
//! socket: a bounded queue, encoded once per event for every SSE client.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::mpsc;
use tokio::time::{Instant, Interval, interval_at};

use super::ApiError;
use crate::app::AppState;
use crate::fanout::{Delivery, Frame, Watcher, WatcherId, next_watcher_id};
use crate::limits::AddressSlot;
use crate::session::{EventKind, SessionId, Sessions};

pub async fn stream(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    id: Result<Path<String>, PathRejection>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (Path(id), Query(params)) = (id?, params?);
    let seq = |raw: &str, what: &str| {
        raw.trim()
            .parse::<u64>()
            .map_err(|_| ApiError::bad_request(format!("{what} must be a seq number")))
    };
    let last_seq = match (headers.get("last-event-id"), params.last_seq.as_deref()) {
        (Some(header), _) => Some(seq(header.to_str().unwrap_or("?"), "Last-Event-ID")?),
        (None, Some(raw)) => Some(seq(raw, "last_seq")?),
        (None, None) => None,
    };
    let access = state.guard.http_access(&headers, params.token.as_deref());
    let slot = state.guard.admit(peer, &headers)?;
    let (tx, rx) = mpsc::channel(state.http.queue_len);
    let watcher = Arc::new(SseWatcher {
        id: next_watcher_id(),
        tx,
    });
    let answer = state
        .sessions
        .join(&id, last_seq, watcher.clone(), &access)
        .await?;
    let first = Bytes::from(sse_text(answer.name, &answer.payload));
    let (live, leaving) = match answer.watch {
        Some(watch) => {
            let leaving = Leaving {
                sessions: state.sessions.clone(),
                id: watch.session_id().clone(),
                watcher: watcher.id,
                _slot: slot,
            };
            watch.start();
            (Some(rx), Some(leaving))
        }
        None => (None, None),
    };
    let events = stream::once(async move { Ok::<_, std::io::Error>(first) }).chain(live_events(
        live,
        leaving,
        state.http.keep_alive,
    ));
    let headers = [
        (header::CONTENT_TYPE, "text/event-stream"),
        (header::CACHE_CONTROL, "no-cache"),
        (header::HeaderName::from_static("x-accel-buffering"), "no"),
    ];
    Ok((headers, Body::from_stream(events)).into_response())
}

/// `?last_seq=`: for a first connection, which cannot set `Last-Event-ID` from a
/// browser's `EventSource`; the header, sent on its reconnects, wins.
#[derive(serde::Deserialize)]
pub struct Params {
    last_seq: Option<String>,
    /// The token, for a browser's `EventSource`, which cannot set `Authorization`.
    token: Option<String>,
}

/// What the watcher's queue holds: an encoded SSE event, and whether it ends the stream.
#[derive(Clone)]
struct SseEvent(Bytes, bool);

struct SseWatcher {
    id: WatcherId,
    tx: mpsc::Sender<SseEvent>,
}

impl Watcher for SseWatcher {
    fn id(&self) -> WatcherId {
        self.id
    }

    fn send(&self, frame: &Frame) -> Delivery {
        let event = frame.encoded(|name, json| {
            let terminal = EventKind::from_name(name).is_some_and(EventKind::is_terminal);
            SseEvent(Bytes::from(sse_text(name, json)), terminal)
        });
        match self.tx.try_send(event) {
            Ok(()) => Delivery::Sent,
            Err(mpsc::error::TrySendError::Full(_)) => Delivery::Full,
            Err(mpsc::error::TrySendError::Closed(_)) => Delivery::Gone,
        }
    }
}

/// Detaches the watcher when the stream ends or the client goes away.
struct Leaving {
    sessions: Sessions,
    id: SessionId,
    watcher: WatcherId,
    /// The stream's place among its client address's connections.
    _slot: Option<AddressSlot>,
}

impl Drop for Leaving {
    fn drop(&mut self) {
        self.sessions.leave(&self.id, self.watcher);
    }
}

struct Live {
    rx: mpsc::Receiver<SseEvent>,
    keep_alive: Interval,
    _leaving: Option<Leaving>,
}

/// The queued events, with a comment whenever the stream has been idle for
/// `keep_alive`, until the terminal event.
fn live_events(
    rx: Option<mpsc::Receiver<SseEvent>>,
    leaving: Option<Leaving>,
    keep_alive: Duration,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    let state = rx.map(|rx| Live {
        rx,
        keep_alive: interval_at(Instant::now() + keep_alive, keep_alive),
        _leaving: leaving,
    });
    stream::unfold(state, |state| async move {
        let mut live = state?;
        tokio::select! {
            event = live.rx.recv() => {
                let SseEvent(bytes, terminal) = event?;
                live.keep_alive.reset();
                Some((Ok(bytes), (!terminal).then_some(live)))
            }
            _ = live.keep_alive.tick() => Some((Ok(Bytes::from_static(b": keep-alive\n\n")), Some(live))),
        }
    })
}

/// One SSE event: `event:` the name, `id:` the payload's `seq` when it has one,
/// `data:` the payload (compact JSON, so one line).
fn sse_text(name: &str, json: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Seq {
        seq: Option<u64>,
    }
    let seq = serde_json::from_str::<Seq>(json).ok().and_then(|s| s.seq);
    match seq {
        Some(seq) => format!("event: {name}\nid: {seq}\ndata: {json}\n\n"),
        None => format!("event: {name}\ndata: {json}\n\n"),
    }
}
