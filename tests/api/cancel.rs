//! Cancelling: every watcher hears it, on every instance, and the run stops.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Media, spawn_app, test_config};
use crate::redis_server::TestRedis;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_from_another_instance_reaches_every_watcher_and_stops_the_run() {
    let redis = TestRedis::get();
    let media = Media::new(&["v.mp4"]);
    let mut config = test_config(media.path(), Some(&redis));
    config.simulated_steps = 200;
    config.simulated_step_ms = 20;
    let a = spawn_app(config.clone()).await;
    let b = spawn_app(config).await;
    let mut owner_side = a.client().await;
    owner_side.emit("start_processing", json!({ "video_path": "v.mp4" }));
    let started = owner_side.next_named(&["processing_started"]).await;
    let id = started.data["session_id"].clone();
    let mut other_side = b.client().await;
    other_side.emit("join_session", json!({ "session_id": id }));
    other_side.next_named(&["resume_session"]).await;

    let canceller = b.client().await;
    canceller.emit("cancel_processing", json!({ "session_id": id }));
    for watcher in [&mut owner_side, &mut other_side] {
        let events = watcher.until_terminal().await;
        let last = events.last().unwrap();
        assert_eq!(last.name, "processing_cancelled");
        assert_eq!(last.data["status"], "cancelled");
    }
    assert!(
        owner_side
            .next_within(Duration::from_millis(300))
            .await
            .is_none(),
        "nothing after the cancel"
    );

    let mut again = b.client().await;
    again.emit("cancel_processing", json!({ "session_id": id }));
    assert_eq!(
        again.next().await.data["code"],
        "bad_request",
        "already ended"
    );
    again.emit("start_processing", json!({ "video_path": "v.mp4" }));
    let restarted = again
        .next_named(&["processing_started", "resume_session"])
        .await;
    assert_eq!(
        restarted.name, "processing_started",
        "a cancelled video starts afresh"
    );
    assert_ne!(restarted.data["session_id"], id);
}
