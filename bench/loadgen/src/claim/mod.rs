//! Claims: `start_processing` for fresh videos on a fixed schedule at an aggregate
//! rate, spread over C connections and sent whether or not earlier ones were answered;
//! then racing pairs: two clients (on different URLs when two are given) start the same
//! fresh video at the same instant, and at most one may get `processing_started`.
//! Each request asks for an ack, which carries the reply's name; latency runs from the
//! send to that ack (the server sends it right after the named reply).

mod client;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, json};
use tokio::sync::watch;
use tokio::time::Instant;

use self::client::client;
use crate::cli::Claim;
use crate::procfs::round3;
use crate::setup::{Report, Shared, get, wait_until};
use crate::stats::{Errors, Latency};

/// Pause between the last paced claim and the first racing pair.
const SETTLE: Duration = Duration::from_millis(500);

#[derive(Clone, Copy)]
enum Kind {
    Claim,
    Pair { pair: usize, side: usize },
}

#[derive(Clone, Copy)]
struct Job {
    at: Duration,
    video: u64,
    kind: Kind,
}

/// One side of a racing pair: the reply's label and session id.
type Outcome = Option<(String, Option<String>)>;

#[derive(Default)]
struct Ctx {
    connected: AtomicUsize,
    finished: AtomicUsize,
    sent: AtomicUsize,
    timeouts: AtomicUsize,
    latency: Mutex<Latency>,
    replies: Mutex<BTreeMap<String, u64>>,
    pairs: Mutex<Vec<[Outcome; 2]>>,
    last_claim_reply: Mutex<Option<Instant>>,
    send_lag_us: AtomicU64,
    session_ids: Mutex<Vec<String>>,
    errors: Errors,
}

pub async fn run(setup: Shared, args: &Claim) -> Result<Report, String> {
    if args.clients == 0 || !(args.rate > 0.0 && args.rate.is_finite()) {
        return Err("need --clients >= 1 and a positive --rate".into());
    }
    if args.pairs > 0 && args.clients < 2 {
        return Err("racing pairs need --clients >= 2".into());
    }
    let claims = (args.rate * args.duration_s.max(0.0)).round() as usize;
    let mut plans = vec![Vec::new(); args.clients];
    for k in 0..claims {
        let at = Duration::from_secs_f64(k as f64 / args.rate);
        plans[k % args.clients].push(Job {
            at,
            video: k as u64,
            kind: Kind::Claim,
        });
    }
    let first_pair = Duration::from_secs_f64(claims as f64 / args.rate) + SETTLE;
    let even = args.clients - args.clients % 2;
    for pair in 0..args.pairs {
        let at = first_pair + Duration::from_millis(args.pair_interval_ms) * pair as u32;
        let video = (claims + pair) as u64;
        let a = (2 * pair) % even;
        for side in 0..2 {
            plans[a + side].push(Job {
                at,
                video,
                kind: Kind::Pair { pair, side },
            });
        }
    }
    let ctx = Arc::new(Ctx {
        pairs: Mutex::new(vec![[None, None]; args.pairs]),
        ..Ctx::default()
    });
    let (go_tx, go) = watch::channel(None);
    let tasks: Vec<_> = plans
        .into_iter()
        .enumerate()
        .map(|(i, jobs)| tokio::spawn(client(setup.clone(), ctx.clone(), i, jobs, go.clone())))
        .collect();
    let total = args.clients;
    let limit = setup.phase_limit(total);
    wait_until(limit, || get(&ctx.connected) + get(&ctx.finished) == total).await;

    let start = setup.probe.sample();
    let base = Instant::now() + Duration::from_millis(50);
    go_tx.send_replace(Some(base));
    let schedule = first_pair + Duration::from_millis(args.pair_interval_ms) * args.pairs as u32;
    wait_until(schedule + limit, || get(&ctx.finished) == total).await;
    let end = setup.probe.sample();
    let cancelled = setup.wind_down(tasks, &ctx.session_ids).await;

    let latency = std::mem::take(&mut *ctx.latency.lock().expect("latency lock"));
    let answered = latency.count();
    let last = *ctx.last_claim_reply.lock().expect("last reply lock");
    let span = last.map_or(0.0, |last| last.duration_since(base).as_secs_f64());
    let replies = ctx.replies.lock().expect("replies lock").clone();
    let started = replies.get("processing_started").copied().unwrap_or(0);
    let pairs = pair_report(&ctx.pairs.lock().expect("pairs lock"));
    let timeouts = get(&ctx.timeouts);
    let mut fields = Map::new();
    fields.insert("clients".into(), json!(args.clients));
    fields.insert("rate".into(), json!(args.rate));
    fields.insert("requests".into(), json!(claims));
    fields.insert("sent".into(), json!(get(&ctx.sent)));
    fields.insert("answered".into(), json!(answered));
    let per_s = (span > 0.0).then(|| (answered as f64 / span * 10.0).round() / 10.0);
    fields.insert("claims_per_s".into(), json!(per_s));
    fields.insert("latency_ms".into(), latency.json());
    fields.insert("replies".into(), json!(replies));
    fields.insert("timeouts".into(), json!(timeouts));
    let lag_ms = round3(ctx.send_lag_us.load(Relaxed) as f64 / 1000.0);
    fields.insert("max_send_lag_ms".into(), json!(lag_ms));
    let good_pairs = pairs["double_starts"] == 0 && pairs["mismatched_ids"] == 0;
    let answered_pairs = pairs["unanswered"] == 0;
    fields.insert("pairs".into(), pairs);
    fields.insert("cancelled_sessions".into(), json!(cancelled));
    fields.insert("errors".into(), ctx.errors.json());
    fields.insert("cpu".into(), setup.probe.report(&start, &end));
    Ok(Report {
        fields,
        ok: ctx.errors.total() == 0
            && timeouts == 0
            && started == claims as u64
            && good_pairs
            && answered_pairs,
        videos_used: (claims + args.pairs) as u64,
    })
}

fn pair_report(pairs: &[[Outcome; 2]]) -> serde_json::Value {
    let (mut double, mut mismatched, mut unanswered) = (0, 0, 0);
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    for [a, b] in pairs {
        let (Some((a, a_id)), Some((b, b_id))) = (a, b) else {
            unanswered += 1;
            continue;
        };
        double += u64::from(a == "processing_started" && b == "processing_started");
        mismatched += u64::from(a_id.is_some() && b_id.is_some() && a_id != b_id);
        let mut names = [a.as_str(), b.as_str()];
        names.sort_unstable();
        *outcomes.entry(names.join("+")).or_default() += 1;
    }
    json!({
        "pairs": pairs.len(),
        "double_starts": double,
        "mismatched_ids": mismatched,
        "unanswered": unanswered,
        "outcomes": outcomes,
    })
}
