//! Health, readiness and metrics endpoints.

use serde_json::{Value, json};

use crate::helpers::{Media, spawn_app, test_config};
use crate::redis_server::{RedisServer, TestRedis};

#[tokio::test]
async fn the_embedded_store_serves_health_and_readiness() {
    let media = Media::new(&[]);
    let app = spawn_app(test_config(media.path(), None)).await;
    let health: Value = reqwest::get(app.url("/healthz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health, json!({ "status": "ok" }));
    let ready = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["store"], "embedded");
    assert_eq!(ready["processor"], "simulated");
    assert_eq!(ready.get("warning"), None);
}

#[tokio::test]
async fn readiness_names_the_ffmpeg_processor_when_ffmpeg_is_installed() {
    let media = Media::new(&[]);
    let mut config = test_config(media.path(), None);
    config.processor = reprise::config::ProcessorKind::Ffmpeg;
    let app = spawn_app(config).await;
    let ready: Value = reqwest::get(app.url("/readyz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["processor"], "ffmpeg", "{ready}");
    assert_eq!(ready.get("warning"), None);
}

#[tokio::test]
async fn readiness_follows_redis() {
    let server = RedisServer::start();
    let redis = TestRedis {
        url: server.url(),
        prefix: "ready".into(),
        server: None,
    };
    let media = Media::new(&[]);
    let app = spawn_app(test_config(media.path(), Some(&redis))).await;
    assert_eq!(
        reqwest::get(app.url("/readyz")).await.unwrap().status(),
        200
    );
    drop(server);
    let ready = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.json::<Value>().await.unwrap()["code"], "unavailable");
    assert_eq!(
        reqwest::get(app.url("/healthz")).await.unwrap().status(),
        200,
        "alive all the same"
    );
}

#[tokio::test]
async fn metrics_count_sessions_and_events() {
    let redis = TestRedis::get();
    let media = Media::new(&["v.mp4"]);
    let mut config = test_config(media.path(), Some(&redis));
    config.simulated_steps = 4;
    config.simulated_step_ms = 200;
    let app = spawn_app(config).await;
    let mut first = app.client().await;
    let mut second = app.client().await;
    first.emit("start_processing", json!({ "video_path": "v.mp4" }));
    first.next_named(&["processing_started"]).await;
    second.emit("start_processing", json!({ "video_path": "v.mp4" }));
    second.next_named(&["resume_session"]).await;
    first.until_terminal().await;
    second.until_terminal().await;
    let scrape = app.scrape().await;
    let value = |series: &str| scrape.value(series);
    assert_eq!(value("reprise_sessions_started_total"), 1);
    assert_eq!(value("reprise_claim_dedup_hits_total"), 1);
    assert_eq!(
        value("reprise_sessions_ended_total{status=\"complete\"}"),
        1
    );
    assert_eq!(
        value("reprise_events_published_total"),
        5,
        "4 progress + complete"
    );
    assert!(value("reprise_events_delivered_total") >= 9);
}
