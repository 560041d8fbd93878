//! Resume, not restart: watchers that leave and come back, on another instance,
//! get every event they missed exactly once, in order.

use serde_json::{Value, json};

use crate::helpers::{Media, TestApp, spawn_app, test_config};
use crate::redis_server::TestRedis;
use crate::sio_client::{Received, SioClient};

async fn two_instances(
    steps: u32,
    step_ms: u64,
    redis: &TestRedis,
    media: &Media,
) -> (TestApp, TestApp) {
    let mut config = test_config(media.path(), Some(redis));
    config.simulated_steps = steps;
    config.simulated_step_ms = step_ms;
    (spawn_app(config.clone()).await, spawn_app(config).await)
}

fn seq(event: &Received) -> u64 {
    event.data["seq"]
        .as_u64()
        .unwrap_or_else(|| panic!("no seq in {event:?}"))
}

/// Asserts seqs run `from..` without gaps, progress never decreases, and the last
/// event is the only terminal one.
fn assert_contiguous(events: &[Received], from: u64) {
    let seqs: Vec<u64> = events.iter().map(seq).collect();
    let expected: Vec<u64> = (from..from + events.len() as u64).collect();
    assert_eq!(seqs, expected, "seq must continue without gap or duplicate");
    let progress: Vec<f64> = events
        .iter()
        .map(|e| e.data["progress"].as_f64().unwrap())
        .collect();
    assert!(
        progress.windows(2).all(|w| w[0] <= w[1]),
        "progress went backwards: {progress:?}"
    );
    let terminal = events
        .iter()
        .filter(|e| e.name == "processing_complete")
        .count();
    assert_eq!(terminal, 1);
    assert_eq!(events.last().unwrap().name, "processing_complete");
}

/// Starts a video on `app`, watches until seq >= `until`, then disconnects.
async fn watch_then_leave(app: &TestApp, video: &str, until: u64) -> (Value, u64) {
    let mut client = app.client().await;
    client.emit("start_processing", json!({ "video_path": video }));
    let started = client.next_named(&["processing_started"]).await;
    let mut last = seq(&started);
    while last < until {
        let event = client.next_named(&["progress"]).await;
        assert_eq!(seq(&event), last + 1);
        last = seq(&event);
    }
    drop(client);
    (started.data["session_id"].clone(), last)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_that_stays_sees_every_event_in_order() {
    let redis = TestRedis::get();
    let media = Media::new(&["v.mp4"]);
    let (a, _b) = two_instances(25, 10, &redis, &media).await;
    let mut client = a.client().await;
    client.emit("start_processing", json!({ "video_path": "v.mp4" }));
    let events = client.until_terminal().await;
    assert_eq!(events[0].name, "processing_started");
    assert_contiguous(&events, 1);
    assert_eq!(events.len(), 27, "started + 25 progress + complete");
    assert_eq!(events.last().unwrap().data["progress"], 100.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejoining_another_instance_with_last_seq_replays_what_was_missed() {
    let redis = TestRedis::get();
    let media = Media::new(&["v.mp4"]);
    let (a, b) = two_instances(30, 25, &redis, &media).await;
    let (session_id, last) = watch_then_leave(&a, "v.mp4", 5).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let mut client = b.client().await;
    client.emit(
        "join_session",
        json!({ "session_id": session_id, "last_seq": last }),
    );
    let resumed = client.next().await;
    assert_eq!(resumed.name, "resume_session", "{resumed:?}");
    assert_eq!(resumed.data["session_id"], session_id);
    assert_eq!(
        seq(&resumed),
        last,
        "the snapshot is as of the client's last_seq"
    );
    let events = client.until_terminal().await;
    assert!(
        events.len() > 5,
        "the run went on while nobody watched: {}",
        events.len()
    );
    assert_contiguous(&events, last + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_processing_with_last_seq_resumes_instead_of_restarting() {
    let redis = TestRedis::get();
    let media = Media::new(&["v.mp4"]);
    let (a, b) = two_instances(30, 25, &redis, &media).await;
    let (session_id, last) = watch_then_leave(&a, "v.mp4", 4).await;
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;

    let mut client = b.client().await;
    client.emit(
        "start_processing",
        json!({ "video_path": "v.mp4", "last_seq": last }),
    );
    let resumed = client.next().await;
    assert_eq!(resumed.name, "resume_session", "{resumed:?}");
    assert_eq!(resumed.data["session_id"], session_id);
    assert_eq!(resumed.data["message"], "Resuming existing session");
    let events = client.until_terminal().await;
    assert_contiguous(&events, last + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_without_last_seq_starts_from_the_current_snapshot() {
    let redis = TestRedis::get();
    let media = Media::new(&["v.mp4"]);
    let (a, b) = two_instances(30, 20, &redis, &media).await;
    let (session_id, _) = watch_then_leave(&a, "v.mp4", 3).await;
    let mut client = b.client().await;
    client.emit("join_session", json!({ "session_id": session_id }));
    let resumed = client.next().await;
    assert_eq!(resumed.name, "resume_session");
    let now = seq(&resumed);
    assert!(now >= 3);
    let events = client.until_terminal().await;
    assert_contiguous(&events, now + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_last_seq_outside_the_retention_window_gets_a_gap_snapshot() {
    let redis = TestRedis::get();
    let media = Media::new(&["v.mp4"]);
    let mut config = test_config(media.path(), Some(&redis));
    config.simulated_steps = 60;
    config.simulated_step_ms = 10;
    config.retain_events = 5;
    config.retain_ms = 0;
    let app = spawn_app(config).await;
    let (session_id, _) = watch_then_leave(&app, "v.mp4", 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut client = app.client().await;
    client.emit(
        "join_session",
        json!({ "session_id": session_id, "last_seq": 1 }),
    );
    let resumed = client.next().await;
    assert_eq!(resumed.name, "resume_session");
    assert_eq!(resumed.data["gap"], true, "{resumed:?}");
    let now = seq(&resumed);
    assert!(now > 10, "a fresh snapshot, not the old state: {now}");
    let events = client.until_terminal().await;
    assert_contiguous(&events, now + 1);
}

#[tokio::test]
async fn leaving_is_not_cancelling() {
    let redis = TestRedis::get();
    let media = Media::new(&["v.mp4"]);
    let (a, _b) = two_instances(10, 10, &redis, &media).await;
    let (session_id, _) = watch_then_leave(&a, "v.mp4", 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let mut client: SioClient = a.client().await;
    client.emit("join_session", json!({ "session_id": session_id }));
    let resumed = client.next().await;
    assert_eq!(resumed.data["status"], "complete", "{resumed:?}");
    assert_eq!(resumed.data["progress"], 100.0);
}
