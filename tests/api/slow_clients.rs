//! Slow clients: a watcher that stops reading holds back no other watcher of its
//! session. Both watchers are measured: the fast one gets every event promptly, and
//! the slow one, once it reads again, a gap snapshot followed by every later event
//! (policy `resync`), or the end of its connection (policy `disconnect`).

mod stalling;

use std::time::Duration;

use reprise::config::{SlowClient, TransportKind};
use serde_json::json;

use crate::helpers::{Media, TestApp, spawn_app, test_config, test_transport};
use crate::sio_client::{Received, SioClient};
use stalling::{Read, Stalling};

/// Progress events of the run, one every millisecond, each over a kilobyte (the
/// video's path is long): more than the slow client's socket buffers (on loopback,
/// the server's send buffer grows to 4 MiB, about 3,500 such events) and its queue hold.
const STEPS: u32 = 5000;
const QUEUE: usize = 64;
/// The longest an event may take from being recorded to reaching the fast watcher,
/// and the most its median may be (both are a few milliseconds here; a watcher held
/// back by the slow one would wait until the slow one reads again, which it does only
/// after the fast one has finished).
const PROMPT_MAX_MS: u64 = 2000;
const PROMPT_MEDIAN_MS: u64 = 100;
/// How long the slow client may take to read what is left for it.
const DRAIN: Duration = Duration::from_secs(10);

fn seq(event: &Received) -> u64 {
    event.data["seq"]
        .as_u64()
        .unwrap_or_else(|| panic!("no seq in {event:?}"))
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A path of about 1,000 bytes, within the 1,024 that a video path may have.
fn long_path() -> String {
    let folder = |c: char| c.to_string().repeat(240);
    format!(
        "{}/{}/{}/{}/v.mp4",
        folder('a'),
        folder('b'),
        folder('c'),
        folder('d')
    )
}

async fn app(policy: SlowClient, media: &Media) -> TestApp {
    let mut config = test_config(media.path(), None);
    config.simulated_steps = STEPS;
    config.simulated_step_ms = 1;
    config.client_queue = QUEUE;
    config.slow_client = policy;
    spawn_app(config).await
}

/// A fast watcher starts the video and a stalling one joins it, then stops reading;
/// the fast one is followed to the end, and checked: every event once, in order,
/// and promptly. Returns the slow one and the session.
async fn race(app: &TestApp) -> (Stalling, String) {
    let mut fast = app.client().await;
    fast.emit("start_processing", json!({ "video_path": long_path() }));
    let started = fast.next_named(&["processing_started"]).await;
    let session_id = started.data["session_id"].as_str().unwrap().to_owned();
    let mut slow = Stalling::connect(app.port).await;
    let join = json!({ "session_id": session_id, "last_seq": seq(&started) });
    slow.emit("join_session", join).await;
    match slow.next(Duration::from_secs(10)).await {
        Read::Event(reply) if reply.name == "resume_session" => {}
        other => panic!("the slow watcher's join: {other:?}"),
    }

    let mut latencies = Vec::new();
    let mut expected = seq(&started) + 1;
    loop {
        let event = fast.next().await;
        latencies.push(now_ms().saturating_sub(event.data["ts"].as_u64().unwrap()));
        assert_eq!(seq(&event), expected, "the fast watcher: {event:?}");
        expected += 1;
        if event.name == "processing_complete" {
            break;
        }
    }
    assert_eq!(
        latencies.len(),
        STEPS as usize + 1,
        "every progress event and the end"
    );
    latencies.sort_unstable();
    let (median, max) = (
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1],
    );
    eprintln!(
        "fast watcher: {} events, latency median {median} ms, max {max} ms",
        latencies.len()
    );
    assert!(
        max <= PROMPT_MAX_MS && median <= PROMPT_MEDIAN_MS,
        "the fast watcher was held back: latency median {median} ms, max {max} ms"
    );
    (slow, session_id)
}

async fn counter(app: &TestApp, name: &str) -> u64 {
    let text = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = format!("reprise_{name}_total ");
    text.lines()
        .find_map(|l| l.strip_prefix(&line))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no {line} in /metrics"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resync_spares_the_fast_watcher_and_gives_the_slow_one_a_gap_snapshot() {
    let media = Media::new(&[&long_path()]);
    let app = app(SlowClient::Resync, &media).await;
    let (mut slow, _) = race(&app).await;

    let (mut last, mut read, mut gaps, mut skipped) = (1, 0, 0, 0);
    loop {
        let event = match slow.next(DRAIN).await {
            Read::Event(event) => event,
            other => panic!("the slow watcher after seq {last}: {other:?}"),
        };
        read += 1;
        let at = seq(&event);
        if event.name == "resume_session" {
            assert_eq!(event.data["gap"], true, "{event:?}");
            assert!(
                at > last,
                "a gap snapshot goes forward: {last} then {event:?}"
            );
            gaps += 1;
            skipped += at - last;
        } else {
            assert_eq!(
                at,
                last + 1,
                "after a snapshot, every event once: {event:?}"
            );
        }
        last = at;
        if event.name == "processing_complete" {
            break;
        }
    }
    eprintln!("slow watcher: {read} frames, {gaps} gap snapshots, {skipped} events skipped");
    assert!(gaps >= 1, "the slow watcher got no gap snapshot");
    assert_eq!(last, STEPS as u64 + 2);
    assert!(counter(&app, "slow_client_resyncs").await >= 1);
    assert_eq!(counter(&app, "slow_client_disconnects").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_closes_the_slow_connection_and_spares_the_fast_one() {
    if test_transport() == TransportKind::Socketioxide {
        eprintln!("socketioxide has no per-socket transport close; its slow clients resync");
        return;
    }
    let media = Media::new(&[&long_path()]);
    let app = app(SlowClient::Disconnect, &media).await;
    let (mut slow, session_id) = race(&app).await;

    let mut last = 1;
    let end = loop {
        match slow.next(DRAIN).await {
            Read::Event(event) => {
                assert_ne!(event.name, "resume_session", "{event:?}");
                assert_eq!(seq(&event), last + 1, "{event:?}");
                last = seq(&event);
            }
            end => break end,
        }
    };
    assert!(
        matches!(end, Read::Closed),
        "the slow connection stayed open: {end:?}"
    );
    assert!(
        last < STEPS as u64 + 2,
        "the slow watcher read everything (seq {last})"
    );
    assert_eq!(counter(&app, "slow_client_disconnects").await, 1);
    assert_eq!(counter(&app, "slow_client_resyncs").await, 0);

    let mut again = SioClient::connect(app.port).await;
    again.emit(
        "join_session",
        json!({ "session_id": session_id, "last_seq": last }),
    );
    assert_eq!(again.next().await.name, "resume_session");
    let rest = again.until_terminal().await;
    let seqs: Vec<u64> = rest.iter().map(seq).collect();
    let expected: Vec<u64> = (last + 1..=STEPS as u64 + 2).collect();
    assert_eq!(seqs, expected, "the rejoin resumes after the last seq read");
}
