//! Claims over HTTP: one 201 and the rest 200 with the same id across instances,
//! the snapshot, listings by status and page, and cancel.

use std::time::Duration;

use reqwest::Client;
use serde_json::Value;

use super::{get_json, post_session, status_and_json};
use crate::helpers::{Media, spawn_app, test_config};
use crate::redis_server::TestRedis;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_posts_on_two_instances_create_one_session() {
    let redis = TestRedis::get();
    let files: Vec<String> = (0..20).map(|i| format!("race/{i}.mp4")).collect();
    let media = Media::new(&files.iter().map(String::as_str).collect::<Vec<_>>());
    let a = spawn_app(test_config(media.path(), Some(&redis))).await;
    let b = spawn_app(test_config(media.path(), Some(&redis))).await;
    let http = Client::new();
    for file in &files {
        let (on_a, on_b) =
            tokio::join!(post_session(&http, &a, file), post_session(&http, &b, file));
        let location = [&on_a, &on_b].map(|r| r.headers().get("location").cloned());
        let (on_a, on_b) = (status_and_json(on_a).await, status_and_json(on_b).await);
        let mut statuses = [on_a.0, on_b.0];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 201], "{file}: {on_a:?} {on_b:?}");
        let id = &on_a.1["session_id"];
        assert!(id.is_string());
        assert_eq!(id, &on_b.1["session_id"], "{file}: one session");
        let created = if on_a.0 == 201 {
            &location[0]
        } else {
            &location[1]
        };
        let expected = format!("/api/v1/sessions/{}", id.as_str().unwrap());
        assert_eq!(created.as_ref().unwrap().to_str().unwrap(), expected);
    }
    let (_, page) = get_json(&a, "/api/v1/sessions?limit=500").await;
    assert_eq!(page["items"].as_array().unwrap().len(), files.len());
}

#[tokio::test]
async fn a_session_is_shown_listed_by_status_and_cancelled() {
    let media = Media::new(&["a.mp4", "b.mp4", "c.mp4"]);
    let mut config = test_config(media.path(), None);
    config.simulated_step_ms = 200;
    let app = spawn_app(config).await;
    let http = Client::new();
    let mut ids = Vec::new();
    for video in ["a.mp4", "b.mp4", "c.mp4"] {
        let (status, body) = status_and_json(post_session(&http, &app, video).await).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["status"], "processing");
        assert_eq!(body["video_path"], video);
        ids.push(body["session_id"].as_str().unwrap().to_owned());
        tokio::time::sleep(Duration::from_millis(2)).await;
    }

    let (status, shown) = get_json(&app, &format!("/api/v1/sessions/{}", ids[0])).await;
    assert_eq!(status, 200);
    assert_eq!(shown["session_id"], ids[0].as_str());

    let cancel = http
        .delete(app.url(&format!("/api/v1/sessions/{}", ids[1])))
        .send()
        .await
        .unwrap();
    let (status, cancelled) = status_and_json(cancel).await;
    assert_eq!((status, &cancelled["status"]), (200, &"cancelled".into()));
    let again = http
        .delete(app.url(&format!("/api/v1/sessions/{}", ids[1])))
        .send()
        .await
        .unwrap();
    let (status, refused) = status_and_json(again).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["session"]["status"], "cancelled");

    let listed = |body: &Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["session_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, processing) = get_json(&app, "/api/v1/sessions?status=processing").await;
    assert_eq!(listed(&processing), [ids[2].clone(), ids[0].clone()]);
    let (_, first) = get_json(&app, "/api/v1/sessions?limit=2").await;
    assert_eq!(listed(&first), [ids[2].clone(), ids[1].clone()]);
    let cursor = first["next_cursor"].as_str().expect("a full page goes on");
    let (_, second) = get_json(&app, &format!("/api/v1/sessions?limit=2&cursor={cursor}")).await;
    assert_eq!(listed(&second), [ids[0].clone()]);
    assert_eq!(second["next_cursor"], Value::Null);
}

#[tokio::test]
async fn videos_are_listed_page_by_page() {
    let media = Media::new(&["b.mp4", "a/one.mkv", "notes.txt", "c.webm"]);
    let app = spawn_app(test_config(media.path(), None)).await;
    let (status, first) = get_json(&app, "/api/v1/videos?limit=2").await;
    assert_eq!(status, 200);
    let paths = |body: &Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["path"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(paths(&first), ["a/one.mkv", "b.mp4"]);
    assert_eq!(first["items"][1]["bytes"], 18);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, rest) = get_json(&app, &format!("/api/v1/videos?limit=2&cursor={cursor}")).await;
    assert_eq!(paths(&rest), ["c.webm"]);
    assert_eq!(rest["next_cursor"], Value::Null);
}
