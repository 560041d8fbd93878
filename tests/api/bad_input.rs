//! Hostile and malformed input over a real socket: a clear error, nothing started,
//! and the server keeps serving.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Media, redis_keys, spawn_app, test_config};
use crate::redis_server::TestRedis;

#[tokio::test]
async fn malformed_requests_get_bad_request_and_change_nothing() {
    let redis = TestRedis::get();
    let media = Media::new(&["v.mp4"]);
    let app = spawn_app(test_config(media.path(), Some(&redis))).await;
    let mut client = app.client().await;
    let frames = [
        r#"42["start_processing"]"#,
        r#"42["start_processing",5]"#,
        r#"42["start_processing","v.mp4"]"#,
        r#"42["start_processing",{}]"#,
        r#"42["start_processing",{"video_path":7}]"#,
        r#"42["start_processing",{"video_path":"v.mp4","force":"yes"}]"#,
        r#"42["start_processing",{"video_path":"v.mp4","last_seq":-3}]"#,
        r#"42["join_session",{}]"#,
        r#"42["join_session",{"session_id":12}]"#,
        r#"42["cancel_processing",null]"#,
        r#"42["no_such_event",{"video_path":"v.mp4"}]"#,
    ];
    for frame in frames {
        client.send_raw(frame);
        let reply = client.next().await;
        assert_eq!(reply.name, "processing_error", "{frame}: {reply:?}");
        assert_eq!(reply.data["code"], "bad_request", "{frame}");
        assert!(
            reply.data["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let big = "x".repeat(100_000);
    client.emit("start_processing", json!({ "video_path": big }));
    let reply = client.next().await;
    assert_eq!(
        reply.data["code"], "bad_request",
        "over REPRISE_MAX_PAYLOAD_BYTES"
    );
    assert_eq!(
        redis_keys(&redis).await,
        Vec::<String>::new(),
        "nothing was claimed"
    );

    client.emit("start_processing", json!({ "video_path": "v.mp4" }));
    assert_eq!(
        client.next().await.name,
        "processing_started",
        "the same socket still works"
    );
}

#[tokio::test]
async fn unknown_sessions_are_refused() {
    let media = Media::new(&["v.mp4"]);
    let app = spawn_app(test_config(media.path(), None)).await;
    let mut client = app.client().await;
    let well_formed =
        reprise::session::SessionId::generate(&reprise::session::VideoTag::of("nope")).to_string();
    // An id's length with a character across the end of its tag (found by fuzzing).
    let straddling = format!("{}é{}", "a".repeat(23), "A".repeat(21));
    for (event, id) in [
        ("join_session", "nope"),
        ("join_session", straddling.as_str()),
        ("join_session", well_formed.as_str()),
        ("cancel_processing", well_formed.as_str()),
    ] {
        client.emit(event, json!({ "session_id": id }));
        let reply = client.next().await;
        assert_eq!(
            (reply.name.as_str(), &reply.data["code"]),
            ("processing_error", &json!("unknown_session")),
            "{event} {id}"
        );
    }
}

#[tokio::test]
async fn replies_also_answer_the_ack() {
    let media = Media::new(&["v.mp4"]);
    let app = spawn_app(test_config(media.path(), None)).await;
    let mut client = app.client().await;
    client.emit_with_ack("start_processing", json!({ "video_path": "v.mp4" }), 7);
    let event = client.next().await;
    let ack = client.next().await;
    assert_eq!(event.name, "processing_started");
    assert_eq!(ack.name, "ack:7");
    assert_eq!(ack.data["event"], "processing_started");
    assert_eq!(ack.data["session_id"], event.data["session_id"]);

    client.emit_with_ack("start_processing", json!({ "video_path": 1 }), 8);
    let refused = client.next_named(&["ack:8"]).await;
    assert_eq!(refused.data["event"], "processing_error");
    assert_eq!(refused.data["code"], "bad_request");
}

#[tokio::test]
async fn a_two_megabyte_frame_closes_only_that_connection() {
    let media = Media::new(&["v.mp4"]);
    let app = spawn_app(test_config(media.path(), None)).await;
    let mut hostile = app.client().await;
    hostile.emit(
        "start_processing",
        json!({ "video_path": "x".repeat(2 << 20) }),
    );
    assert!(
        hostile.wait_closed(Duration::from_secs(5)).await,
        "the oversized frame closes the socket"
    );

    let mut next = app.client().await;
    next.emit("start_processing", json!({ "video_path": "v.mp4" }));
    assert_eq!(next.next().await.name, "processing_started");
    let health = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
}
