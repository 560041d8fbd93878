//! One run per video, cluster-wide: racing starts on different instances.

use serde_json::json;

use crate::helpers::{Media, redis_keys, spawn_app, test_config};
use crate::redis_server::TestRedis;
use crate::sio_client::{Received, SioClient};

const REPLIES: [&str; 4] = [
    "processing_started",
    "resume_session",
    "processing_complete",
    "processing_error",
];

/// The reply to this video's request, skipping live events of earlier rounds.
async fn reply_for(client: &mut SioClient, file: &str) -> Received {
    loop {
        let received = client.next_named(&REPLIES).await;
        if received.data["video_path"] == file {
            return received;
        }
    }
}

async fn race(instances: usize, rounds: usize) {
    let redis = TestRedis::get();
    let files: Vec<String> = (0..rounds).map(|i| format!("race/{i}.mp4")).collect();
    let media = Media::new(&files.iter().map(String::as_str).collect::<Vec<_>>());
    let mut apps = Vec::new();
    for _ in 0..instances {
        apps.push(spawn_app(test_config(media.path(), Some(&redis))).await);
    }
    let mut clients = Vec::new();
    for app in &apps {
        clients.push(app.client().await);
    }
    for file in &files {
        for client in &clients {
            client.emit("start_processing", json!({ "video_path": file }));
        }
        let mut replies = Vec::new();
        for client in clients.iter_mut() {
            replies.push(reply_for(client, file).await);
        }
        let started = replies
            .iter()
            .filter(|r| r.name == "processing_started")
            .count();
        let resumed = replies
            .iter()
            .filter(|r| r.name == "resume_session")
            .count();
        assert_eq!(
            (started, resumed),
            (1, instances - 1),
            "{file}: {replies:?}"
        );
        let ids: Vec<_> = replies
            .iter()
            .map(|r| r.data["session_id"].clone())
            .collect();
        assert!(
            ids.iter().all(|id| id == &ids[0] && id.is_string()),
            "{file}: {ids:?}"
        );
    }
    let keys = redis_keys(&redis).await;
    let sessions = keys.iter().filter(|k| k.contains(":s:")).count();
    assert_eq!(sessions, rounds, "one stored session per video");
    let client = redis::Client::open(redis.url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let fences: Vec<&String> = keys.iter().filter(|k| k.ends_with(":fence")).collect();
    assert_eq!(fences.len(), rounds);
    for fence in fences {
        let leases: u64 = redis::cmd("GET")
            .arg(fence)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(
            leases, 1,
            "{fence}: exactly one lease was ever granted for the video"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_racing_start_each_video_once() {
    race(2, 50).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_racing_start_each_video_once() {
    race(3, 50).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_video_answers_complete_unless_forced() {
    let redis = TestRedis::get();
    let media = Media::new(&["done.mp4"]);
    let mut config = test_config(media.path(), Some(&redis));
    config.simulated_steps = 3;
    config.simulated_step_ms = 5;
    let app = spawn_app(config).await;
    let mut client = app.client().await;
    client.emit("start_processing", json!({ "video_path": "done.mp4" }));
    let first = client.next_named(&REPLIES).await;
    assert_eq!(first.name, "processing_started");
    let events = client.until_terminal().await;
    assert_eq!(events.last().unwrap().name, "processing_complete");

    client.emit("start_processing", json!({ "video_path": "done.mp4" }));
    let again = client.next_named(&REPLIES).await;
    assert_eq!(again.name, "processing_complete");
    assert_eq!(again.data["session_id"], first.data["session_id"]);
    assert_eq!(again.data["result"]["simulated"], true);

    client.emit(
        "start_processing",
        json!({ "video_path": "done.mp4", "force": true }),
    );
    let forced = client.next_named(&REPLIES).await;
    assert_eq!(forced.name, "processing_started");
    assert_ne!(forced.data["session_id"], first.data["session_id"]);
}
