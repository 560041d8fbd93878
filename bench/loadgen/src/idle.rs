//! Idle connections: open N Socket.IO connections (pings answered, nothing else sent),
//! hold them, and report how much the servers' RSS grew per connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use serde_json::{Map, json};
use tokio::time::{Instant, sleep};

use crate::cli::Idle;
use crate::frame::{Frame, classify};
use crate::procfs::round3;
use crate::setup::{Report, Shared, bump, get, wait_until};
use crate::stats::Errors;

#[derive(Default)]
struct Ctx {
    connected: AtomicUsize,
    failed: AtomicUsize,
    holding: AtomicBool,
    errors: Errors,
}

pub async fn run(setup: Shared, args: &Idle) -> Result<Report, String> {
    let total = args.connections;
    let before = setup.probe.sample();
    let ctx = Arc::new(Ctx::default());
    let began = Instant::now();
    let tasks: Vec<_> = (0..total)
        .map(|index| tokio::spawn(hold(setup.clone(), ctx.clone(), index)))
        .collect();
    wait_until(setup.phase_limit(total), || {
        get(&ctx.connected) + get(&ctx.failed) == total
    })
    .await;
    let connect_s = began.elapsed().as_secs_f64();
    ctx.holding.store(true, Relaxed);
    sleep(Duration::from_secs_f64(args.hold_s.max(0.0))).await;
    let after = setup.probe.sample();
    for task in &tasks {
        task.abort();
    }
    for task in tasks {
        let _ = task.await;
    }

    let connected = get(&ctx.connected);
    let rss_before = before.server_rss();
    let rss_after = after.server_rss();
    let per_connection = rss_before
        .zip(rss_after)
        .filter(|_| connected > 0)
        .map(|(b, a)| ((a as f64 - b as f64) / connected as f64).round());
    let mut fields = Map::new();
    fields.insert("connections".into(), json!(total));
    fields.insert("connected".into(), json!(connected));
    fields.insert("connect_s".into(), json!(round3(connect_s)));
    let rate = connected as f64 / connect_s.max(1e-9);
    fields.insert("connects_per_s".into(), json!(rate.round()));
    fields.insert("hold_s".into(), json!(args.hold_s));
    fields.insert("server_rss_before".into(), json!(rss_before));
    fields.insert("server_rss_after".into(), json!(rss_after));
    fields.insert("rss_per_connection_bytes".into(), json!(per_connection));
    fields.insert("errors".into(), ctx.errors.json());
    fields.insert("cpu".into(), setup.probe.report(&before, &after));
    Ok(Report {
        fields,
        ok: connected == total && ctx.errors.total() == 0,
        videos_used: 0,
    })
}

async fn hold(setup: Shared, ctx: Arc<Ctx>, index: usize) {
    let mut conn = match setup.open(index).await {
        Ok(conn) => conn,
        Err(e) => {
            ctx.errors.note("connect", &e);
            bump(&ctx.failed);
            return;
        }
    };
    bump(&ctx.connected);
    while let Some(text) = conn.recv().await {
        if classify(&text) == Frame::Ping && conn.send("3").await.is_err() {
            break;
        }
    }
    let kind = if ctx.holding.load(Relaxed) {
        "disconnected"
    } else {
        "disconnected_while_connecting"
    };
    ctx.errors
        .note(kind, "the server closed an idle connection");
}
