//! Cluster-wide slots: a claim on a full instance waits in a queue that any instance
//! with a free slot takes from, so the instance that received the request need not be
//! the one that runs it.

use serde_json::json;

use crate::helpers::{Media, spawn_app, test_config};
use crate::redis_server::TestRedis;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_of_one_slot_run_two_of_four_videos_at_once_and_finish_all() {
    let redis = TestRedis::get();
    let videos = ["s1.mp4", "s2.mp4", "s3.mp4", "s4.mp4"];
    let media = Media::new(&videos);
    let mut config = test_config(media.path(), Some(&redis));
    config.max_concurrent_runs = 1;
    config.simulated_steps = 8;
    config.simulated_step_ms = 60;
    config.takeover_scan_ms = 50;
    let a = spawn_app(config.clone()).await;
    let _b = spawn_app(config).await;

    let mut clients = Vec::new();
    let mut statuses = Vec::new();
    for video in videos {
        let mut client = a.client().await;
        client.emit("start_processing", json!({ "video_path": video }));
        let started = client.next_named(&["processing_started"]).await;
        statuses.push(started.data["status"].as_str().unwrap().to_owned());
        clients.push(client);
    }
    assert_eq!(
        statuses,
        ["processing", "queued", "queued", "queued"],
        "all four asked of instance a, which has one slot"
    );

    let mut spans = Vec::new();
    for client in &mut clients {
        let events = client.until_terminal().await;
        let last = events.last().unwrap();
        assert_eq!(last.name, "processing_complete", "{events:?}");
        let began = events
            .iter()
            .find(|e| e.data["status"] == "processing")
            .map(|e| e.data["ts"].as_u64().unwrap())
            .unwrap_or_else(|| panic!("never ran: {events:?}"));
        spans.push((began, last.data["ts"].as_u64().unwrap()));
    }
    let running_at = |t: u64| spans.iter().filter(|(b, e)| *b <= t && t < *e).count();
    let most = spans.iter().map(|(b, _)| running_at(*b)).max().unwrap();
    assert_eq!(most, 2, "two slots in the cluster, both used: {spans:?}");
}
