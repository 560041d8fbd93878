//! Becoming a watcher: the starter of a session claims its video and tells the others
//! the session id; the others join it from the starter's `seq`.

use serde_json::json;
use tokio::sync::watch;
use tokio::time::{Instant, timeout_at};

use crate::conn::Conn;
use crate::frame::{Frame, classify, fields};
use crate::setup::{JOIN_REPLIES, START_REPLIES, Setup, await_reply, reply_label};
use crate::stats::SeqTrack;

/// The session id and the `seq` the starter's reply carried.
pub type Known = Option<(String, u64)>;

/// How a watcher gets into its session.
pub enum Role {
    /// Emits `start_processing` for `video` and publishes the session it gets; a
    /// failure drops `slot`, which tells the joiners.
    Starter {
        video: String,
        slot: watch::Sender<Known>,
    },
    /// Waits for the starter, then emits `join_session`.
    Joiner(watch::Receiver<Known>),
}

/// A watcher in its session.
pub struct Joined {
    pub session_id: String,
    pub track: SeqTrack,
    /// The reply's name (`processing_error:<code>` for refusals).
    pub reply: String,
    /// The reply said that events after `last_seq` were no longer retained.
    pub gap: bool,
    /// The session had ended as of the reply: no event will follow it.
    pub ended: bool,
}

/// A failure: which step (`start`, `join`) and why.
pub type Failure = (&'static str, String);

/// Takes the watcher into its session, before `deadline`.
pub async fn enter(conn: &mut Conn, role: Role, deadline: Instant) -> Result<Joined, Failure> {
    match role {
        Role::Starter { video, slot } => {
            let request = json!({ "video_path": video });
            let fail = |e: String| ("start", format!("{video}: {e}"));
            conn.emit("start_processing", &request, None)
                .await
                .map_err(fail)?;
            let reply = await_reply(conn, START_REPLIES, deadline)
                .await
                .map_err(fail)?;
            let label = reply_label(&reply.name, reply.code.as_deref());
            match (reply.name.as_str(), reply.session_id) {
                ("processing_started" | "resume_session", Some(session_id)) => {
                    slot.send_replace(Some((session_id.clone(), reply.seq)));
                    Ok(Joined {
                        session_id,
                        track: SeqTrack { last: reply.seq },
                        reply: label,
                        gap: reply.gap,
                        ended: ended(reply.status.as_deref()),
                    })
                }
                ("processing_complete", _) => Err(fail(format!(
                    "got {label}: already processed, use a fresh --video-offset"
                ))),
                _ => Err(fail(format!("got {label}"))),
            }
        }
        Role::Joiner(mut slot) => {
            let known = match timeout_at(deadline, slot.wait_for(Option::is_some)).await {
                Ok(Ok(known)) => known.clone(),
                Ok(Err(_)) => return Err(("join", "the session's starter failed".into())),
                Err(_) => return Err(("join", "timed out waiting for the starter".into())),
            };
            let (session_id, seq) = known.expect("waited for Some");
            join(conn, session_id, seq, deadline).await
        }
    }
}

/// Emits `join_session {session_id, last_seq}` and waits for `resume_session`.
pub async fn join(
    conn: &mut Conn,
    session_id: String,
    last_seq: u64,
    deadline: Instant,
) -> Result<Joined, Failure> {
    let request = json!({ "session_id": session_id, "last_seq": last_seq });
    let fail = |e: String| ("join", e);
    conn.emit("join_session", &request, None)
        .await
        .map_err(fail)?;
    let reply = await_reply(conn, JOIN_REPLIES, deadline)
        .await
        .map_err(fail)?;
    let label = reply_label(&reply.name, reply.code.as_deref());
    if reply.name != "resume_session" {
        return Err(fail(format!("got {label}")));
    }
    Ok(Joined {
        session_id,
        track: SeqTrack {
            last: reply.seq.max(last_seq),
        },
        reply: label,
        gap: reply.gap,
        ended: ended(reply.status.as_deref()),
    })
}

fn ended(status: Option<&str>) -> bool {
    matches!(status, Some("complete" | "failed" | "cancelled"))
}

/// Cancels these sessions from one new connection to the first URL, so that their runs
/// stop loading the server; returns how many were cancelled (not already ended).
pub async fn cancel_all(setup: &Setup, ids: &[String]) -> usize {
    if ids.is_empty() {
        return 0;
    }
    let deadline = Instant::now() + setup.timeout;
    let Ok(mut conn) = Conn::open(&setup.targets[0], None, setup.timeout).await else {
        eprintln!("loadgen: could not connect to cancel the sessions");
        return 0;
    };
    for (ack, id) in (1..).zip(ids) {
        let request = json!({ "session_id": id });
        if conn
            .emit("cancel_processing", &request, Some(ack))
            .await
            .is_err()
        {
            return 0;
        }
    }
    let (mut acked, mut cancelled) = (0, 0);
    while acked < ids.len() {
        match conn.next_text(deadline).await {
            Ok(text) => match classify(&text) {
                Frame::Ack { payload, .. } => {
                    acked += 1;
                    cancelled += usize::from(fields(payload).event == Some("processing_cancelled"));
                }
                Frame::Ping => {
                    let _ = conn.send("3").await;
                }
                _ => {}
            },
            Err(_) => break,
        }
    }
    cancelled
}
