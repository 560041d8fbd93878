//! Fan-out: S sessions, each watched by W connections (its starter among them).
//! Every watcher checks that `seq` grows by one; during the window, events are counted
//! and their latency (now − `ts`) recorded.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, json};
use tokio::sync::watch;
use tokio::time::{Instant, sleep};

use crate::cli::Fanout;
use crate::conn::Conn;
use crate::frame::{Frame, classify, fields};
use crate::procfs::round3;
use crate::session::{Role, enter};
use crate::setup::{Report, Shared, bump, get, wait_until};
use crate::stats::{Errors, Latency, SeqTrack, Step, is_terminal, now_us};

const MEASURING: u8 = 1;
const DONE: u8 = 2;

#[derive(Default)]
struct Ctx {
    /// 0 while setting up, then [`MEASURING`], then [`DONE`].
    phase: AtomicU8,
    connected: AtomicUsize,
    joined: AtomicUsize,
    failed: AtomicUsize,
    ended: AtomicUsize,
    completed: AtomicUsize,
    gaps: AtomicU64,
    missing: AtomicU64,
    duplicates: AtomicU64,
    window: Mutex<Window>,
    replies: Mutex<BTreeMap<String, u64>>,
    session_ids: Mutex<Vec<String>>,
    errors: Errors,
}

/// Connection `index` goes to URL `target`: session `s`'s watchers start at URL
/// `s mod n`, so that with several URLs the starters (and runs) are spread too. A
/// starter waits `delay` after the go before it starts its session.
#[derive(Clone, Copy)]
struct Place {
    index: usize,
    target: usize,
    delay: Duration,
}

#[derive(Default)]
struct Window {
    delivered: u64,
    latency: Latency,
}

pub async fn run(setup: Shared, args: &Fanout) -> Result<Report, String> {
    if args.sessions == 0 || args.watchers == 0 {
        return Err("--sessions and --watchers must be at least 1".into());
    }
    let total = args.sessions * args.watchers;
    let ctx = Arc::new(Ctx::default());
    let (go_tx, go_rx) = watch::channel(false);
    let mut tasks = Vec::with_capacity(total);
    for s in 0..args.sessions {
        let delay = args.stagger_ms.max(0.0) * s as f64 / args.sessions as f64;
        let (slot, known) = watch::channel(None);
        let mut slot = Some(slot);
        for j in 0..args.watchers {
            let role = match slot.take() {
                Some(slot) => Role::Starter {
                    video: setup.videos.path(s as u64),
                    slot,
                },
                None => Role::Joiner(known.clone()),
            };
            let at = Place {
                index: s * args.watchers + j,
                target: (s + j) % setup.targets.len(),
                delay: Duration::from_secs_f64(delay / 1000.0),
            };
            let task = watcher(setup.clone(), ctx.clone(), at, role, go_rx.clone());
            tasks.push(tokio::spawn(task));
        }
    }
    let began = Instant::now();
    let limit = setup.phase_limit(total);
    wait_until(limit, || get(&ctx.connected) + get(&ctx.failed) == total).await;
    let connect_s = began.elapsed().as_secs_f64();
    go_tx.send_replace(true);
    wait_until(limit, || get(&ctx.joined) + get(&ctx.failed) == total).await;
    let join_s = began.elapsed().as_secs_f64() - connect_s;
    sleep(Duration::from_secs_f64(args.warmup_s.max(0.0))).await;

    let start = setup.probe.sample();
    let opened = Instant::now();
    ctx.phase.store(MEASURING, Relaxed);
    let all_ended = || get(&ctx.ended) >= get(&ctx.joined);
    wait_until(Duration::from_secs_f64(args.duration_s.max(0.0)), all_ended).await;
    ctx.phase.store(DONE, Relaxed);
    let window_s = opened.elapsed().as_secs_f64();
    let end = setup.probe.sample();
    let cancelled = setup.wind_down(tasks, &ctx.session_ids).await;

    let window = std::mem::take(&mut *ctx.window.lock().expect("window lock"));
    let cpu = setup.probe.report(&start, &end);
    let per_event = |cpu_s: Option<f64>| {
        cpu_s
            .filter(|_| window.delivered > 0)
            .map(|s| round3(s * 1e6 / window.delivered as f64))
    };
    let per_cpu_s = cpu["server_cpu_s"]
        .as_f64()
        .filter(|&s| s > 0.0)
        .map(|s| (window.delivered as f64 / s).round());
    let gaps = ctx.gaps.load(Relaxed);
    let duplicates = ctx.duplicates.load(Relaxed);
    let joined = get(&ctx.joined);
    let mut fields = Map::new();
    fields.insert("sessions".into(), json!(args.sessions));
    fields.insert("watchers_per_session".into(), json!(args.watchers));
    fields.insert("watchers".into(), json!(joined));
    fields.insert("connected".into(), json!(get(&ctx.connected)));
    fields.insert("connect_s".into(), json!(round3(connect_s)));
    fields.insert("join_s".into(), json!(round3(join_s)));
    fields.insert("window_s".into(), json!(round3(window_s)));
    fields.insert("delivered".into(), json!(window.delivered));
    let rate = window.delivered as f64 / window_s.max(1e-9);
    fields.insert("events_per_s".into(), json!(rate.round()));
    fields.insert("latency_ms".into(), window.latency.json());
    fields.insert("gaps".into(), json!(gaps));
    fields.insert("missing".into(), json!(ctx.missing.load(Relaxed)));
    fields.insert("duplicates".into(), json!(duplicates));
    fields.insert("completed_sessions".into(), json!(get(&ctx.completed)));
    let replies = ctx.replies.lock().expect("replies lock").clone();
    fields.insert("start_replies".into(), json!(replies));
    fields.insert("cancelled_sessions".into(), json!(cancelled));
    fields.insert("errors".into(), ctx.errors.json());
    fields.insert("events_per_server_cpu_s".into(), json!(per_cpu_s));
    let loadgen_us = per_event(cpu["loadgen_cpu_s"].as_f64());
    fields.insert("loadgen_cpu_us_per_event".into(), json!(loadgen_us));
    fields.insert("cpu".into(), cpu);
    Ok(Report {
        fields,
        ok: gaps == 0 && duplicates == 0 && ctx.errors.total() == 0 && joined == total,
        videos_used: args.sessions as u64,
    })
}

async fn watcher(
    setup: Shared,
    ctx: Arc<Ctx>,
    at: Place,
    role: Role,
    mut go: watch::Receiver<bool>,
) {
    let starter = matches!(role, Role::Starter { .. });
    let mut conn = match setup.open_to(at.target, at.index).await {
        Ok(conn) => conn,
        Err(e) => {
            ctx.errors.note("connect", &e);
            bump(&ctx.failed);
            return;
        }
    };
    bump(&ctx.connected);
    if go.wait_for(|go| *go).await.is_err() {
        return;
    }
    if starter {
        sleep(at.delay).await;
    }
    match enter(&mut conn, role, Instant::now() + setup.timeout).await {
        Ok(joined) => {
            if starter {
                let id = joined.session_id.clone();
                ctx.session_ids.lock().expect("ids lock").push(id);
                *ctx.replies
                    .lock()
                    .expect("replies lock")
                    .entry(joined.reply)
                    .or_default() += 1;
            }
            bump(&ctx.joined);
            receive(&ctx, conn, joined.track, starter).await;
        }
        Err((kind, e)) => {
            ctx.errors.note(kind, &e);
            bump(&ctx.failed);
        }
    }
}

async fn receive(ctx: &Ctx, mut conn: Conn, mut track: SeqTrack, starter: bool) {
    while let Some(text) = conn.recv().await {
        match classify(&text) {
            Frame::Ping if conn.send("3").await.is_err() => break,
            Frame::Event { name, payload } => {
                let f = fields(payload);
                let Some(seq) = f.seq else { continue };
                match track.see(seq) {
                    Step::Next => {}
                    Step::Gap(missed) => {
                        ctx.gaps.fetch_add(1, Relaxed);
                        ctx.missing.fetch_add(missed, Relaxed);
                    }
                    Step::Duplicate => {
                        ctx.duplicates.fetch_add(1, Relaxed);
                    }
                }
                if ctx.phase.load(Relaxed) == MEASURING {
                    let mut window = ctx.window.lock().expect("window lock");
                    window.delivered += 1;
                    if let Some(ts) = f.ts_us {
                        window.latency.record_us(now_us().saturating_sub(ts));
                    }
                }
                if is_terminal(name, true) {
                    bump(&ctx.ended);
                    if starter {
                        bump(&ctx.completed);
                    }
                }
            }
            _ => {}
        }
    }
    if ctx.phase.load(Relaxed) != DONE {
        ctx.errors
            .note("disconnected", "the server closed a watcher's connection");
    }
}
