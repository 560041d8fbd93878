//! Delivery under trouble: an instance cut off from Redis for a while loses no event, and runs
//! beyond this instance's slots wait `queued`, then run.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Media, spawn_app, test_config};
use crate::proxy::Proxy;
use crate::redis_server::TestRedis;
use crate::sio_client::Received;

fn seqs(events: &[Received]) -> Vec<u64> {
    events
        .iter()
        .map(|e| e.data["seq"].as_u64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watchers_are_resynced_after_their_instance_loses_redis() {
    let redis = TestRedis::get();
    let media = Media::new(&["v.mp4"]);
    let mut config = test_config(media.path(), Some(&redis));
    config.simulated_steps = 60;
    config.simulated_step_ms = 15;
    let owner = spawn_app(config.clone()).await;
    let proxy = Proxy::start(
        redis
            .url
            .trim_start_matches("redis://")
            .trim_end_matches('/')
            .to_owned(),
    )
    .await;
    config.redis_url = Some(proxy.url());
    let other = spawn_app(config).await;
    let mut starter = owner.client().await;
    starter.emit("start_processing", json!({ "video_path": "v.mp4" }));
    let started = starter.next_named(&["processing_started"]).await;
    let mut watcher = other.client().await;
    watcher.emit(
        "join_session",
        json!({ "session_id": started.data["session_id"], "last_seq": 1 }),
    );
    assert_eq!(watcher.next().await.name, "resume_session");

    tokio::time::sleep(Duration::from_millis(100)).await;
    proxy.cut();
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.restore();

    let events = watcher.until_terminal().await;
    let expected: Vec<u64> = (2..2 + events.len() as u64).collect();
    assert_eq!(
        seqs(&events),
        expected,
        "every event exactly once, in order"
    );
    assert_eq!(events.last().unwrap().name, "processing_complete");
    assert_eq!(events.len(), 61, "60 progress events and the completion");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_beyond_the_slots_wait_queued_then_run() {
    let media = Media::new(&["a.mp4", "b.mp4"]);
    let mut config = test_config(media.path(), None);
    config.max_concurrent_runs = 1;
    config.simulated_steps = 5;
    config.simulated_step_ms = 30;
    let app = spawn_app(config).await;
    let mut first = app.client().await;
    let mut second = app.client().await;
    first.emit("start_processing", json!({ "video_path": "a.mp4" }));
    assert_eq!(first.next().await.data["status"], "processing");
    second.emit("start_processing", json!({ "video_path": "b.mp4" }));
    let queued = second.next().await;
    assert_eq!(
        (queued.name.as_str(), &queued.data["status"]),
        ("processing_started", &json!("queued"))
    );

    let first_events = first.until_terminal().await;
    let second_events = second.until_terminal().await;
    let first_done = first_events.last().unwrap().data["ts"].as_u64().unwrap();
    let second_began = second_events[0].data["ts"].as_u64().unwrap();
    assert_eq!(
        second_events[0].data["status"], "processing",
        "leaves the queue with a progress event"
    );
    assert!(
        second_began >= first_done,
        "b waited for a's slot: {second_began} < {first_done}"
    );
    assert_eq!(second_events.last().unwrap().name, "processing_complete");
}
