//! Slow clients: a watcher that stops reading holds back no other watcher of its
//! session. Both watchers are measured: the fast one gets every event promptly, and
//! the slow one, once it reads again, a gap snapshot followed by every later event
//! (policy `resync`), or the end of its connection (policy `disconnect`); over
//! Socket.IO and over Server-Sent Events.

mod checks;
mod sse;
mod stalling;

use std::time::Duration;

use reprise::config::{SlowClient, TransportKind};
use serde_json::json;

use crate::helpers::{Media, TestApp, spawn_app, test_config, test_transport};
use crate::sio_client::SioClient;
use checks::{Resumed, counter, follow, seq};
use sse::StallingStream;
use stalling::{Read, Stalling};

/// Progress events of the run, one every millisecond, each over a kilobyte (the
/// video's path is long): more than the slow client's socket buffers (on loopback,
/// the server's send buffer grows to 4 MiB, about 3,500 such events) and its queue hold.
const STEPS: u32 = 5000;
const QUEUE: usize = 64;
/// How long the slow client may take to read what is left for it.
const DRAIN: Duration = Duration::from_secs(10);

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

/// A fast watcher starts the video; returns it, the session and its first seq.
async fn start(app: &TestApp) -> (SioClient, String, u64) {
    let mut fast = app.client().await;
    fast.emit("start_processing", json!({ "video_path": long_path() }));
    let started = fast.next_named(&["processing_started"]).await;
    let session_id = started.data["session_id"].as_str().unwrap().to_owned();
    (fast, session_id, seq(&started))
}

/// A Socket.IO watcher joins after `last_seq`, reads its reply, and stops reading.
async fn stall(app: &TestApp, session_id: &str, last_seq: u64) -> Stalling {
    let mut slow = Stalling::connect(app.port).await;
    let join = json!({ "session_id": session_id, "last_seq": last_seq });
    slow.emit("join_session", join).await;
    match slow.next(Duration::from_secs(10)).await {
        Read::Event(reply) if reply.name == "resume_session" => slow,
        other => panic!("the slow watcher's join: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resync_spares_the_fast_watcher_and_gives_the_slow_one_a_gap_snapshot() {
    let media = Media::new(&[&long_path()]);
    let app = app(SlowClient::Resync, &media).await;
    let (fast, session_id, first) = start(&app).await;
    let mut slow = stall(&app, &session_id, first).await;
    follow(fast, first).await;

    let mut resumed = Resumed::after(first);
    let who = "the slow watcher";
    resumed.drain(async || slow.next(DRAIN).await, who).await;
    resumed.check(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_stream_that_stops_reading_resyncs_too() {
    let media = Media::new(&[&long_path()]);
    let app = app(SlowClient::Resync, &media).await;
    let (fast, session_id, first) = start(&app).await;
    let (mut slow, opened) = StallingStream::open(app.port, &session_id, first).await;
    assert_eq!(
        (opened.name.as_str(), seq(&opened)),
        ("resume_session", first)
    );
    follow(fast, first).await;

    let mut resumed = Resumed::after(first);
    let who = "the slow stream";
    resumed.drain(async || slow.next(DRAIN).await, who).await;
    assert!(
        matches!(slow.next(DRAIN).await, Read::Closed),
        "the stream ends"
    );
    resumed.check(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_closes_the_slow_connection_and_spares_the_fast_one() {
    if test_transport() == TransportKind::Socketioxide {
        eprintln!("socketioxide has no per-socket transport close; its slow clients resync");
        return;
    }
    let media = Media::new(&[&long_path()]);
    let app = app(SlowClient::Disconnect, &media).await;
    let (fast, session_id, first) = start(&app).await;
    let mut slow = stall(&app, &session_id, first).await;
    follow(fast, first).await;

    let mut last = first;
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
