//! Video paths: aliases meet in one session; refusals get their code and store nothing.

use std::os::unix::fs::symlink;

use serde_json::json;

use crate::helpers::{Media, redis_keys, spawn_app, test_config};
use crate::redis_server::TestRedis;

#[tokio::test]
async fn aliases_of_one_file_share_one_session() {
    let redis = TestRedis::get();
    let media = Media::new(&["a/b.mp4"]);
    symlink(media.path().join("a/b.mp4"), media.path().join("link.mp4")).unwrap();
    let app = spawn_app(test_config(media.path(), Some(&redis))).await;
    let mut client = app.client().await;
    client.emit("start_processing", json!({ "video_path": "a/b.mp4" }));
    let started = client.next_named(&["processing_started"]).await;
    let absolute = media.path().join("a/b.mp4").display().to_string();
    for alias in [
        "a/./b.mp4",
        "a//b.mp4",
        "x/../a/b.mp4",
        "link.mp4",
        absolute.as_str(),
    ] {
        let mut other = app.client().await;
        other.emit("start_processing", json!({ "video_path": alias }));
        let reply = other
            .next_named(&["resume_session", "processing_started", "processing_error"])
            .await;
        assert_eq!(reply.name, "resume_session", "{alias}: {reply:?}");
        assert_eq!(
            reply.data["session_id"], started.data["session_id"],
            "{alias}"
        );
        assert_eq!(reply.data["video_path"], "a/b.mp4", "{alias}");
    }
}

#[tokio::test]
async fn refused_paths_get_their_code_and_store_nothing() {
    let redis = TestRedis::get();
    let media = Media::new(&["ok.mp4", "dir/inside.mp4"]);
    let outside = tempfile::NamedTempFile::new().unwrap();
    symlink(outside.path(), media.path().join("escape.mp4")).unwrap();
    let app = spawn_app(test_config(media.path(), Some(&redis))).await;
    let mut client = app.client().await;
    let long = "x/".repeat(600);
    let cases = [
        ("", "invalid_path"),
        ("../secret.mp4", "invalid_path"),
        ("dir/../../secret.mp4", "invalid_path"),
        ("/etc/passwd", "invalid_path"),
        ("escape.mp4", "invalid_path"),
        ("dir", "invalid_path"),
        ("ok.mp4\u{0}", "invalid_path"),
        (long.as_str(), "invalid_path"),
        ("missing.mp4", "not_found"),
        ("dir/missing.mp4", "not_found"),
    ];
    for (path, code) in cases {
        client.emit("start_processing", json!({ "video_path": path }));
        let reply = client.next().await;
        assert_eq!(reply.name, "processing_error", "{path:?}: {reply:?}");
        assert_eq!(reply.data["code"], code, "{path:?}");
        assert!(reply.data.get("seq").is_none(), "a refusal records nothing");
    }
    assert_eq!(
        redis_keys(&redis).await,
        Vec::<String>::new(),
        "no lock, no session"
    );
}
