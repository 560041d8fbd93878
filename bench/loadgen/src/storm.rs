//! Reconnect storm: W watchers of S running sessions on the first URL drop their
//! connections at once, reconnect to the second URL (the first if only one) and rejoin
//! from their last `seq`. A watcher has resumed when, after `resume_session`, an event
//! with a larger `seq` arrives with no gap (or the session had ended).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use serde_json::{Map, json};
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

use crate::cli::Storm;
use crate::conn::Conn;
use crate::frame::{Frame, classify, fields};
use crate::procfs::round3;
use crate::session::{Role, enter, join};
use crate::setup::{Report, Shared, bump, get, wait_until};
use crate::stats::{Errors, Latency, SeqTrack, Step};

#[derive(Default)]
struct Ctx {
    connected: AtomicUsize,
    joined: AtomicUsize,
    warm: AtomicUsize,
    resumed: AtomicUsize,
    failed: AtomicUsize,
    gaps: AtomicU64,
    missing: AtomicU64,
    duplicates: AtomicU64,
    slowest_us: AtomicU64,
    /// Time from the disconnect to `resume_session`, and to caught up.
    times: Mutex<(Latency, Latency)>,
    session_ids: Mutex<Vec<String>>,
    errors: Errors,
}

struct Plan {
    warm_events: u64,
    go: watch::Receiver<bool>,
    storm: watch::Receiver<Option<Instant>>,
    /// Bounds the reconnects in flight, if `--reconnect-concurrency` is set.
    gate: Arc<Option<Semaphore>>,
}

pub async fn run(setup: Shared, args: &Storm) -> Result<Report, String> {
    if args.sessions == 0 || args.watchers < args.sessions {
        return Err("need --sessions >= 1 and --watchers >= --sessions".into());
    }
    let total = args.watchers;
    let ctx = Arc::new(Ctx::default());
    let (go_tx, go) = watch::channel(false);
    let (storm_tx, storm) = watch::channel(None);
    let (slots, known): (Vec<_>, Vec<_>) = (0..args.sessions).map(|_| watch::channel(None)).unzip();
    let mut slots = slots.into_iter();
    let reconnect = (args.reconnect_concurrency > 0).then_some(args.reconnect_concurrency);
    let gate = Arc::new(reconnect.map(Semaphore::new));
    let mut tasks = Vec::with_capacity(total);
    for index in 0..total {
        let role = match slots.next() {
            Some(slot) => Role::Starter {
                video: setup.videos.path(index as u64),
                slot,
            },
            None => Role::Joiner(known[index % args.sessions].clone()),
        };
        let plan = Plan {
            warm_events: args.warm_events,
            go: go.clone(),
            storm: storm.clone(),
            gate: gate.clone(),
        };
        let task = watcher(setup.clone(), ctx.clone(), index, role, plan);
        tasks.push(tokio::spawn(task));
    }
    let limit = setup.phase_limit(total);
    wait_until(limit, || get(&ctx.connected) + get(&ctx.failed) == total).await;
    go_tx.send_replace(true);
    wait_until(limit, || get(&ctx.warm) + get(&ctx.failed) == total).await;
    let warm = get(&ctx.warm);

    let start = setup.probe.sample();
    storm_tx.send_replace(Some(Instant::now()));
    wait_until(limit, || get(&ctx.resumed) + get(&ctx.failed) == total).await;
    let end = setup.probe.sample();
    let cancelled = setup.wind_down(tasks, &ctx.session_ids).await;

    let (reply, caught_up) = std::mem::take(&mut *ctx.times.lock().expect("times lock"));
    let resumed = get(&ctx.resumed);
    let gaps = ctx.gaps.load(Relaxed);
    let duplicates = ctx.duplicates.load(Relaxed);
    let slowest_ms = round3(ctx.slowest_us.load(Relaxed) as f64 / 1000.0);
    let mut fields = Map::new();
    fields.insert("sessions".into(), json!(args.sessions));
    fields.insert("watchers".into(), json!(total));
    fields.insert("joined".into(), json!(get(&ctx.joined)));
    fields.insert("warm".into(), json!(warm));
    fields.insert("resumed".into(), json!(resumed));
    fields.insert(
        "resume_all_ms".into(),
        json!((resumed > 0).then_some(slowest_ms)),
    );
    fields.insert("resume_ms".into(), caught_up.json());
    fields.insert("resume_reply_ms".into(), reply.json());
    fields.insert("gaps".into(), json!(gaps));
    fields.insert("missing".into(), json!(ctx.missing.load(Relaxed)));
    fields.insert("duplicates".into(), json!(duplicates));
    fields.insert("cancelled_sessions".into(), json!(cancelled));
    fields.insert("errors".into(), ctx.errors.json());
    fields.insert("cpu".into(), setup.probe.report(&start, &end));
    Ok(Report {
        fields,
        ok: resumed == total && gaps == 0 && duplicates == 0 && ctx.errors.total() == 0,
        videos_used: args.sessions as u64,
    })
}

async fn watcher(setup: Shared, ctx: Arc<Ctx>, index: usize, role: Role, mut plan: Plan) {
    let Some(mut conn) = open(&setup, &ctx, index, None).await else {
        return;
    };
    bump(&ctx.connected);
    if plan.go.wait_for(|go| *go).await.is_err() {
        return;
    }
    let joined = match enter(&mut conn, role, Instant::now() + setup.timeout).await {
        Ok(joined) => joined,
        Err((kind, e)) => return fail(&ctx, kind, &e),
    };
    bump(&ctx.joined);
    let id = joined.session_id.clone();
    ctx.session_ids.lock().expect("ids lock").push(id);
    let mut track = joined.track;
    let mut seen = 0u64;
    let storm_at = loop {
        tokio::select! {
            text = conn.recv() => {
                let Some(text) = text else {
                    return fail(&ctx, "disconnected", "closed before the storm");
                };
                if observe(&ctx, &mut conn, &text, &mut track).await.is_some() {
                    seen += 1;
                    if seen == plan.warm_events.max(1) {
                        bump(&ctx.warm);
                    }
                }
            }
            at = async { plan.storm.wait_for(Option::is_some).await.ok().and_then(|at| *at) } => {
                match at {
                    Some(at) => break at,
                    None => return,
                }
            }
        }
    };
    drop(conn);
    let last = track.last;
    let Some(mut conn) = open(&setup, &ctx, index, Some(&plan.gate)).await else {
        return;
    };
    let deadline = storm_at + setup.timeout;
    let rejoined = match join(&mut conn, joined.session_id, last, deadline).await {
        Ok(rejoined) => rejoined,
        Err((_, e)) => return fail(&ctx, "rejoin", &e),
    };
    let reply_us = storm_at.elapsed().as_micros() as u64;
    if rejoined.gap {
        ctx.gaps.fetch_add(1, Relaxed);
    }
    track = rejoined.track;
    let mut caught_up = rejoined.ended;
    while !caught_up {
        match tokio::time::timeout_at(deadline, conn.recv()).await {
            Ok(Some(text)) => {
                caught_up = observe(&ctx, &mut conn, &text, &mut track).await == Some(true)
            }
            Ok(None) => return fail(&ctx, "disconnected", "closed while catching up"),
            Err(_) => return fail(&ctx, "catch_up", "no event after resume_session in time"),
        }
    }
    let resume_us = storm_at.elapsed().as_micros() as u64;
    {
        let mut times = ctx.times.lock().expect("times lock");
        times.0.record_us(reply_us);
        times.1.record_us(resume_us);
    }
    ctx.slowest_us.fetch_max(resume_us, Relaxed);
    bump(&ctx.resumed);
    while let Some(text) = conn.recv().await {
        observe(&ctx, &mut conn, &text, &mut track).await;
    }
}

/// Answers pings and checks an event's `seq`: `Some(true)` if it was the next one
/// (or a gap, counted), `Some(false)` for a duplicate, `None` for no event.
async fn observe(ctx: &Ctx, conn: &mut Conn, text: &str, track: &mut SeqTrack) -> Option<bool> {
    match classify(text) {
        Frame::Ping => {
            let _ = conn.send("3").await;
            None
        }
        Frame::Event { payload, .. } => match track.see(fields(payload).seq?) {
            Step::Next => Some(true),
            Step::Gap(missed) => {
                ctx.gaps.fetch_add(1, Relaxed);
                ctx.missing.fetch_add(missed, Relaxed);
                Some(true)
            }
            Step::Duplicate => {
                ctx.duplicates.fetch_add(1, Relaxed);
                Some(false)
            }
        },
        _ => None,
    }
}

/// Opens watcher `index` on the first URL, or, in the storm (`storm_gate` given), on
/// the second.
async fn open(
    setup: &Shared,
    ctx: &Ctx,
    index: usize,
    storm_gate: Option<&Option<Semaphore>>,
) -> Option<Conn> {
    let opened = match storm_gate {
        None => setup.open_to(0, index).await,
        Some(gate) => {
            let _permit = match gate {
                Some(gate) => Some(gate.acquire().await.ok()?),
                None => None,
            };
            let target = &setup.targets[1 % setup.targets.len()];
            Conn::open(target, setup.sources.for_index(index), setup.timeout).await
        }
    };
    match opened {
        Ok(conn) => Some(conn),
        Err(e) => {
            let kind = if storm_gate.is_some() {
                "reconnect"
            } else {
                "connect"
            };
            fail(ctx, kind, &e);
            None
        }
    }
}

fn fail(ctx: &Ctx, kind: &'static str, message: &str) {
    ctx.errors.note(kind, message);
    bump(&ctx.failed);
}
