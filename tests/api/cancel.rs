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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_transcode_leaves_no_output_and_no_ffmpeg_behind() {
    use crate::processors::support::{eventually, files_in, make_video, mentioning};

    let media = Media::new(&[]);
    make_video(media.path(), "cancel-me.mp4", 12, "640x360");
    let mut config = test_config(media.path(), None);
    config.processor = reprise::config::ProcessorKind::Ffmpeg;
    config.chunk_s = 1;
    config.ffmpeg_preset = "medium".into();
    let app = spawn_app(config).await;
    let mut client = app.client().await;
    client.emit("start_processing", json!({ "video_path": "cancel-me.mp4" }));
    let started = client.next_named(&["processing_started"]).await;
    let id = started.data["session_id"].as_str().unwrap().to_owned();
    loop {
        let event = client.next().await;
        if event.data["progress"].as_f64().unwrap_or_default() >= 10.0 {
            break;
        }
    }
    let folder = app.outputs().join(&id);
    assert!(
        !files_in(&folder).is_empty(),
        "a chunk is on disk before the cancel"
    );

    client.emit("cancel_processing", json!({ "session_id": id }));
    let events = client.until_terminal().await;
    assert_eq!(events.last().unwrap().name, "processing_cancelled");
    assert!(
        eventually(5, || !folder.exists()).await,
        "left behind: {:?}",
        files_in(&folder)
    );
    assert!(
        eventually(5, || mentioning("cancel-me.mp4").is_empty()).await,
        "ffmpeg still runs: {:?}",
        mentioning("cancel-me.mp4")
    );
}
