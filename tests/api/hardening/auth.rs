//! Tokens for each of start, join, cancel and the event stream: missing, expired,
//! signed with an unknown key, for another path, and valid under either key.

use reqwest::Client;
use serde_json::json;

use super::{ask, client, refusal, token, with_auth};
use crate::helpers::{Media, spawn_app, test_config};

#[tokio::test]
async fn every_action_needs_a_current_token_for_its_path() {
    let media = Media::new(&["clips/a.mp4", "private/b.mp4"]);
    let mut config = with_auth(test_config(media.path(), None));
    config.simulated_step_ms = 200;
    let app = spawn_app(config).await;
    let clips = token("alice", &["clips"], "2025", 60);
    let rotated = token("alice", &["clips/"], "2026", 60);

    let mut owner = client(app.port, Some(&clips)).await;
    let started = ask(
        &mut owner,
        "start_processing",
        json!({ "video_path": "clips/a.mp4" }),
    )
    .await;
    assert_eq!(started.name, "processing_started", "{started:?}");
    let id = started.data["session_id"].as_str().unwrap().to_owned();

    let bad_tokens = [
        (None, "unauthorized"),
        (Some(token("alice", &["clips"], "2025", -5)), "unauthorized"),
        (Some(token("alice", &["clips"], "1999", 60)), "unauthorized"),
        (Some("not.a.token".to_owned()), "unauthorized"),
        (
            Some(token("mallory", &["private"], "2026", 60)),
            "forbidden",
        ),
    ];
    for (bad, code) in &bad_tokens {
        let mut other = client(app.port, bad.as_deref()).await;
        let start = ask(
            &mut other,
            "start_processing",
            json!({ "video_path": "clips/a.mp4" }),
        )
        .await;
        let join = ask(&mut other, "join_session", json!({ "session_id": id })).await;
        let cancel = ask(&mut other, "cancel_processing", json!({ "session_id": id })).await;
        for reply in [&start, &join, &cancel] {
            assert_eq!(refusal(reply), Some(*code), "{bad:?}: {reply:?}");
        }
    }
    let mut mallory = client(app.port, Some(&token("mallory", &["private"], "2025", 60))).await;
    let unknown = ask(
        &mut mallory,
        "start_processing",
        json!({ "video_path": "clips/gone.mp4" }),
    )
    .await;
    assert_eq!(
        refusal(&unknown),
        Some("forbidden"),
        "no hint that a path exists"
    );
    let own = ask(
        &mut mallory,
        "start_processing",
        json!({ "video_path": "private/b.mp4" }),
    )
    .await;
    assert_eq!(own.name, "processing_started");

    let mut watcher = client(app.port, Some(&rotated)).await;
    let joined = ask(&mut watcher, "join_session", json!({ "session_id": id })).await;
    assert_eq!(
        joined.name, "resume_session",
        "a token of the newer key: {joined:?}"
    );

    let http = Client::new();
    let events = app.url(&format!("/api/v1/sessions/{id}/events"));
    let cases = [
        (http.get(&events), 401),
        (
            http.get(format!(
                "{events}?token={}",
                bad_tokens[1].0.as_ref().unwrap()
            )),
            401,
        ),
        (
            http.get(&events)
                .bearer_auth(bad_tokens[4].0.as_ref().unwrap()),
            403,
        ),
        (http.get(app.url(&format!("/api/v1/sessions/{id}"))), 401),
        (http.get(app.url("/api/v1/sessions")), 401),
        (http.get(app.url("/api/v1/videos")), 401),
        (
            http.delete(app.url(&format!("/api/v1/sessions/{id}")))
                .bearer_auth(bad_tokens[4].0.as_ref().unwrap()),
            403,
        ),
        (
            http.post(app.url("/api/v1/sessions"))
                .json(&json!({ "video_path": "clips/a.mp4" })),
            401,
        ),
    ];
    for (request, status) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{:?}", response.url());
    }
    let stream = http
        .get(format!("{events}?token={clips}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status().as_u16(), 200);
    let videos: serde_json::Value = http
        .get(app.url("/api/v1/videos"))
        .bearer_auth(&clips)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        videos["items"],
        json!([{ "path": "clips/a.mp4", "bytes": 18 }]),
        "only its own paths"
    );

    let cancelled = ask(&mut owner, "cancel_processing", json!({ "session_id": id })).await;
    assert_eq!(cancelled.name, "processing_cancelled", "{cancelled:?}");
    assert!(super::refused(&app, "unauthorized").await >= 15);
    assert!(super::refused(&app, "forbidden").await >= 5);
}
