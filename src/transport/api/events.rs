//! `GET /api/v1/sessions/{id}/events`: a session's events as Server-Sent Events.
//!
//! The stream opens with `resume_session` (the snapshot as of `Last-Event-ID` or
//! `?last_seq=`, which work like `last_seq`), then every later event once, in order, each with `id:` its
//! `seq`, and ends after the terminal event, or when the instance starts to drain (the
//! client resumes elsewhere). The client is a hub watcher like any
//! socket: a bounded queue (the lean transport's), encoded once per event for every
//! SSE client. A client whose queue overflows loses its queued progress to a fresh gap
//! snapshot, or its stream ends (the slow-client policy), and its `EventSource`
//! resumes with `Last-Event-ID`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream, StreamExt};
use tokio::time::{Instant, Interval, interval_at};

use super::ApiError;
use crate::app::AppState;
use crate::fanout::{Delivery, Frame, Watcher, WatcherId};
use crate::limits::AddressSlot;
use crate::session::{EventKind, SessionId, Sessions};
use crate::transport::lean::queue::{self, Outbox, Queue, Refused};

pub async fn stream(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    id: Result<Path<String>, PathRejection>,
    params: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (Path(id), Query(params)) = (id?, params?);
    let seq = |raw: &str, what: &str| {
        parse_seq(raw).ok_or_else(|| ApiError::bad_request(format!("{what} must be a seq number")))
    };
    let last_seq = match (headers.get("last-event-id"), params.last_seq.as_deref()) {
        (Some(header), _) => Some(seq(header.to_str().unwrap_or("?"), "Last-Event-ID")?),
        (None, Some(raw)) => Some(seq(raw, "last_seq")?),
        (None, None) => None,
    };
    let access = state.guard.http_access(&headers, params.token.as_deref());
    let slot = state.guard.admit(peer, &headers)?;
    let (queue, outbox) = queue::queue(state.http.queue_len);
    let watcher = Arc::new(SseWatcher(queue));
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
                watcher: watcher.0.id(),
                _slot: slot,
            };
            watch.start();
            (Some(outbox), Some(leaving))
        }
        None => (None, None),
    };
    let events = stream::once(async move { Ok::<_, std::io::Error>(first) })
        .chain(live_events(live, leaving, state.http.keep_alive))
        .take_until(state.http.draining.clone().cancelled_owned());
    let headers = [
        (header::CONTENT_TYPE, "text/event-stream"),
        (header::CACHE_CONTROL, "no-cache"),
        (header::HeaderName::from_static("x-accel-buffering"), "no"),
    ];
    Ok((headers, Body::from_stream(events)).into_response())
}

/// A `Last-Event-ID` or `?last_seq=` value: a `seq`, surrounding whitespace allowed.
pub fn parse_seq(raw: &str) -> Option<u64> {
    raw.trim().parse().ok()
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

/// An event stream's queue as a session watcher. Once the hub lets go of it, the
/// stream ends after what is queued.
struct SseWatcher(Arc<Queue<SseEvent>>);

impl Watcher for SseWatcher {
    fn id(&self) -> WatcherId {
        self.0.id()
    }

    fn send(&self, frame: &Frame) -> Delivery {
        let event = frame.encoded(|name, json| {
            let terminal = EventKind::from_name(name).is_some_and(EventKind::is_terminal);
            SseEvent(Bytes::from(sse_text(name, json)), terminal)
        });
        match self.0.push_tagged(event, frame.tag()) {
            Ok(()) => Delivery::Sent,
            Err(Refused::Full) => Delivery::Full,
            Err(Refused::Gone) => Delivery::Gone,
        }
    }

    fn shed(&self, tag: u64) -> bool {
        self.0.shed(tag)
    }

    fn close(&self) -> bool {
        self.0.cut();
        true
    }
}

impl Drop for SseWatcher {
    fn drop(&mut self) {
        self.0.shut();
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
    outbox: Outbox<SseEvent>,
    keep_alive: Interval,
    _leaving: Option<Leaving>,
}

/// The queued events, with a comment whenever the stream has been idle for
/// `keep_alive`, until the terminal event, or the end of the queue.
fn live_events(
    outbox: Option<Outbox<SseEvent>>,
    leaving: Option<Leaving>,
    keep_alive: Duration,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    let state = outbox.map(|outbox| Live {
        outbox,
        keep_alive: interval_at(Instant::now() + keep_alive, keep_alive),
        _leaving: leaving,
    });
    stream::unfold(state, |state| async move {
        let mut live = state?;
        tokio::select! {
            event = live.outbox.recv() => {
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
