//! Each limit tripped and answered with its code, while another client, from
//! another address or with another token, carries on unaffected.

use std::time::Duration;

use serde_json::json;

use super::{ask, client, refusal, token, with_auth};
use crate::helpers::{Media, spawn_app, test_config};
use crate::sio_client::SioClient;

const UNKNOWN: &str = "0123456789abcdef01234567AAAAAAAAAAAAAAAAAAAAAA";

#[tokio::test]
async fn a_connection_over_its_event_rate_is_refused_and_another_is_not() {
    let media = Media::new(&["a.mp4"]);
    let mut config = test_config(media.path(), None);
    config.events_per_second = 5;
    let app = spawn_app(config).await;
    let mut flooder = app.client().await;
    let mut calm = app.client().await;

    let mut codes = Vec::new();
    for _ in 0..25 {
        let reply = ask(
            &mut flooder,
            "join_session",
            json!({ "session_id": UNKNOWN }),
        )
        .await;
        codes.push(refusal(&reply).unwrap().to_owned());
    }
    let limited = codes.iter().filter(|c| *c == "rate_limited").count();
    assert_eq!(
        codes[..10],
        vec!["unknown_session"; 10],
        "a burst of twice the rate"
    );
    assert!(limited >= 10, "{codes:?}");
    let reply = ask(
        &mut calm,
        "start_processing",
        json!({ "video_path": "a.mp4" }),
    )
    .await;
    assert_eq!(reply.name, "processing_started", "{reply:?}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let rested = ask(
        &mut flooder,
        "join_session",
        json!({ "session_id": UNKNOWN }),
    )
    .await;
    assert_eq!(
        refusal(&rested),
        Some("unknown_session"),
        "the allowance refills"
    );
    assert!(super::refused(&app, "rate_limited").await >= 10);
}

#[tokio::test]
async fn a_connection_may_watch_only_so_many_sessions() {
    let media = Media::new(&["a.mp4", "b.mp4", "c.mp4"]);
    let mut config = test_config(media.path(), None);
    config.max_watched_sessions = 2;
    config.simulated_step_ms = 200;
    let app = spawn_app(config).await;
    let mut greedy = app.client().await;
    for video in ["a.mp4", "b.mp4"] {
        let reply = ask(
            &mut greedy,
            "start_processing",
            json!({ "video_path": video }),
        )
        .await;
        assert_eq!(reply.name, "processing_started");
    }
    let third = ask(
        &mut greedy,
        "start_processing",
        json!({ "video_path": "c.mp4" }),
    )
    .await;
    assert_eq!(refusal(&third), Some("too_many_sessions"));
    let mut other = app.client().await;
    let reply = ask(
        &mut other,
        "start_processing",
        json!({ "video_path": "c.mp4" }),
    )
    .await;
    assert_eq!(reply.name, "processing_started", "{reply:?}");
    let id = reply.data["session_id"].as_str().unwrap();
    let joined = ask(&mut other, "join_session", json!({ "session_id": id })).await;
    assert_eq!(
        joined.name, "resume_session",
        "rejoining a watched session is no new watch"
    );
}

#[tokio::test]
async fn an_address_may_hold_only_so_many_connections() {
    let media = Media::new(&["a.mp4"]);
    let mut config = test_config(media.path(), None);
    config.max_connections_per_address = 3;
    config.trusted_proxies = vec!["127.0.0.1".into()];
    let app = spawn_app(config).await;
    let crowd = [("X-Forwarded-For", "198.51.100.1")];
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(
            SioClient::connect_with(app.port, None, &crowd)
                .await
                .unwrap(),
        );
    }
    let fourth = SioClient::connect_with(app.port, None, &crowd).await;
    let error = fourth.err().expect("over the limit");
    assert!(
        error.contains("429") || error.contains("rate limited"),
        "{error}"
    );
    let stream = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/sessions/{UNKNOWN}/events")))
        .header("X-Forwarded-For", "198.51.100.1")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status().as_u16(), 429, "event streams count too");

    let elsewhere = [("X-Forwarded-For", "198.51.100.2")];
    let mut other = SioClient::connect_with(app.port, None, &elsewhere)
        .await
        .unwrap();
    let reply = ask(
        &mut other,
        "start_processing",
        json!({ "video_path": "a.mp4" }),
    )
    .await;
    assert_eq!(reply.name, "processing_started");

    open.pop().unwrap().close();
    let mut again = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if let Ok(client) = SioClient::connect_with(app.port, None, &crowd).await {
            again = Some(client);
            break;
        }
    }
    assert!(again.is_some(), "a closed connection frees its place");
}

#[tokio::test]
async fn a_token_may_claim_only_so_often_per_minute() {
    let files: Vec<String> = (0..5).map(|i| format!("v{i}.mp4")).collect();
    let media = Media::new(&files.iter().map(String::as_str).collect::<Vec<_>>());
    let mut config = with_auth(test_config(media.path(), None));
    config.claims_per_minute = 3;
    let app = spawn_app(config).await;
    let mut alice = client(app.port, Some(&token("alice", &[""], "2025", 60))).await;
    let mut replies = Vec::new();
    for file in &files[..4] {
        replies.push(
            ask(
                &mut alice,
                "start_processing",
                json!({ "video_path": file }),
            )
            .await,
        );
    }
    let names: Vec<&str> = replies.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names[..3], ["processing_started"; 3]);
    assert_eq!(refusal(&replies[3]), Some("rate_limited"));
    let mut bob = client(app.port, Some(&token("bob", &[""], "2026", 60))).await;
    let reply = ask(
        &mut bob,
        "start_processing",
        json!({ "video_path": &files[4] }),
    )
    .await;
    assert_eq!(reply.name, "processing_started", "{reply:?}");
    let over_http = reqwest::Client::new()
        .post(app.url("/api/v1/sessions"))
        .bearer_auth(token("alice", &[""], "2025", 60))
        .json(&json!({ "video_path": &files[4] }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        over_http.status().as_u16(),
        429,
        "the same allowance over HTTP"
    );
}
