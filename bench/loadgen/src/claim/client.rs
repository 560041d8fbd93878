//! One claiming client: sends its jobs on schedule, whether or not earlier ones were
//! answered, and records each ack: the reply's name, its latency, its session id.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use serde_json::json;
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};

use super::{Ctx, Job, Kind};
use crate::conn::Conn;
use crate::frame::{Frame, classify, fields};
use crate::setup::{Shared, bump, reply_label};

pub(super) async fn client(
    setup: Shared,
    ctx: Arc<Ctx>,
    index: usize,
    jobs: Vec<Job>,
    mut go: watch::Receiver<Option<Instant>>,
) {
    match setup.open(index).await {
        Ok(mut conn) => {
            bump(&ctx.connected);
            let base = go.wait_for(Option::is_some).await.ok().and_then(|b| *b);
            if let Some(base) = base
                && let Err(e) = drive(&setup, &ctx, &mut conn, &jobs, base).await
            {
                ctx.errors.note("connection", &e);
            }
        }
        Err(e) => ctx.errors.note("connect", &e),
    }
    bump(&ctx.finished);
}

/// Sends this client's jobs on schedule and handles the acks until all are answered
/// or the timeout passed after the last send.
async fn drive(
    setup: &Shared,
    ctx: &Ctx,
    conn: &mut Conn,
    jobs: &[Job],
    base: Instant,
) -> Result<(), String> {
    let mut pending: HashMap<u64, (Instant, Kind)> = HashMap::new();
    let mut next = 0;
    let mut last_sent = base;
    loop {
        let due = jobs.get(next).map(|job| base + job.at);
        if due.is_none() && pending.is_empty() {
            return Ok(());
        }
        tokio::select! {
            biased;
            _ = sleep_until(due.unwrap_or(last_sent + setup.timeout)) => {
                let Some(job) = jobs.get(next) else {
                    ctx.timeouts.fetch_add(pending.len(), Relaxed);
                    return Err(format!("{} replies timed out", pending.len()));
                };
                let request = json!({ "video_path": setup.videos.path(job.video) });
                let ack = next as u64 + 1;
                last_sent = Instant::now();
                let lag = last_sent.saturating_duration_since(base + job.at);
                ctx.send_lag_us.fetch_max(lag.as_micros() as u64, Relaxed);
                conn.emit("start_processing", &request, Some(ack)).await?;
                bump(&ctx.sent);
                pending.insert(ack, (last_sent, job.kind));
                next += 1;
            }
            text = conn.recv() => {
                let text = text.ok_or("the server closed the connection")?;
                match classify(&text) {
                    Frame::Ping => conn.send("3").await?,
                    Frame::Ack { id, payload } => {
                        if let Some((sent, kind)) = pending.remove(&id) {
                            on_ack(ctx, conn, sent, kind, payload).await?;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Records a reply and stops watching its session (the stream is not measured here).
async fn on_ack(
    ctx: &Ctx,
    conn: &mut Conn,
    sent: Instant,
    kind: Kind,
    payload: &str,
) -> Result<(), String> {
    let now = Instant::now();
    let f = fields(payload);
    let label = reply_label(f.event.unwrap_or("unknown"), f.code);
    let session_id = f.session_id.map(str::to_owned);
    if let Some(id) = &session_id {
        conn.emit("leave_session", &json!({ "session_id": id }), None)
            .await?;
        ctx.session_ids.lock().expect("ids lock").push(id.clone());
    }
    match kind {
        Kind::Claim => {
            let us = now.duration_since(sent).as_micros() as u64;
            ctx.latency.lock().expect("latency lock").record_us(us);
            *ctx.replies
                .lock()
                .expect("replies lock")
                .entry(label)
                .or_default() += 1;
            *ctx.last_claim_reply.lock().expect("last reply lock") = Some(now);
        }
        Kind::Pair { pair, side } => {
            ctx.pairs.lock().expect("pairs lock")[pair][side] = Some((label, session_id));
        }
    }
    Ok(())
}
