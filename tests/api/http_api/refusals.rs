//! Bad requests get the right 4xx with `{code, message}`, and start nothing.

use reqwest::Client;
use serde_json::Value;

use super::{get_json, status_and_json};
use crate::helpers::{Media, spawn_app, test_config};

#[tokio::test]
async fn bad_bodies_and_unknown_ids_are_refused_and_start_nothing() {
    let media = Media::new(&["a.mp4"]);
    let mut config = test_config(media.path(), None);
    config.max_payload_bytes = 1_024;
    let app = spawn_app(config).await;
    let http = Client::new();
    let url = app.url("/api/v1/sessions");
    let post = |body: Vec<u8>, content_type: &'static str| {
        http.post(&url)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let oversize = format!(r#"{{"video_path":"a.mp4","pad":"{}"}}"#, "x".repeat(2_000));
    let cases: Vec<(Vec<u8>, &str, u16, &str)> = vec![
        (
            b"{\"video_path\":".to_vec(),
            "application/json",
            400,
            "bad_request",
        ),
        (b"[1,2]".to_vec(), "application/json", 400, "bad_request"),
        (
            b"{\"video_path\":7}".to_vec(),
            "application/json",
            400,
            "bad_request",
        ),
        (
            b"{\"video\":\"a.mp4\"}".to_vec(),
            "application/json",
            400,
            "bad_request",
        ),
        (
            b"{\"video_path\":\"a.mp4\"}".to_vec(),
            "text/plain",
            415,
            "bad_request",
        ),
        (
            b"video_path=a.mp4".to_vec(),
            "application/x-www-form-urlencoded",
            415,
            "bad_request",
        ),
        (
            oversize.into_bytes(),
            "application/json",
            413,
            "bad_request",
        ),
        (
            b"{\"video_path\":\"../x.mp4\"}".to_vec(),
            "application/json",
            400,
            "invalid_path",
        ),
        (
            b"{\"video_path\":\"gone.mp4\"}".to_vec(),
            "application/json",
            404,
            "not_found",
        ),
    ];
    for (body, content_type, status, code) in cases {
        let shown = String::from_utf8_lossy(&body[..body.len().min(40)]).into_owned();
        let (got, answer) = status_and_json(post(body, content_type).await.unwrap()).await;
        assert_eq!(
            (got, answer["code"].as_str()),
            (status, Some(code)),
            "{shown}"
        );
        assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let no_type = http.post(&url).body("{}").send().await.unwrap();
    assert_eq!(no_type.status().as_u16(), 415);

    for path in [
        "/api/v1/sessions/not-an-id",
        "/api/v1/sessions/0123456789abcdef01234567AAAAAAAAAAAAAAAAAAAAAA",
        "/api/v1/sessions/not-an-id/events",
    ] {
        let (status, body) = get_json(&app, path).await;
        assert_eq!(
            (status, &body["code"]),
            (404, &"unknown_session".into()),
            "{path}"
        );
    }
    let unknown = http
        .delete(app.url("/api/v1/sessions/0123456789abcdef01234567AAAAAAAAAAAAAAAAAAAAAA"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
    for query in [
        "status=done",
        "limit=0",
        "limit=501",
        "limit=x",
        "cursor=nope",
    ] {
        let (status, body) = get_json(&app, &format!("/api/v1/sessions?{query}")).await;
        assert_eq!(
            (status, &body["code"]),
            (400, &"bad_request".into()),
            "{query}"
        );
    }

    let (status, body) = get_json(&app, "/api/v1/sessions?limit=1&limit=2").await;
    assert_eq!((status, &body["code"]), (400, &"bad_request".into()));
    let (status, body) = get_json(&app, "/api/v2/sessions").await;
    assert_eq!((status, &body["code"]), (404, &"not_found".into()));
    let put = http.put(&url).body("{}").send().await.unwrap();
    let (status, body) = status_and_json(put).await;
    assert_eq!((status, &body["code"]), (405, &"bad_request".into()));

    let (_, listed) = get_json(&app, "/api/v1/sessions").await;
    assert_eq!(listed["items"], Value::Array(Vec::new()), "nothing started");

    let scrape = app.scrape().await;
    let refused = |reason: &str| {
        scrape.value(&format!(
            "reprise_requests_refused_total{{reason=\"{reason}\"}}"
        ))
    };
    assert_eq!(refused("invalid_path"), 1);
    assert_eq!(
        refused("not_found"),
        2,
        "a missing video and an unknown route"
    );
    assert_eq!(refused("unknown_session"), 4);
    assert_eq!(refused("bad_request"), 15, "{}", scrape.0);
}
