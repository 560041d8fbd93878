//! The OpenAPI document is kept true: every operation it lists is exercised, every
//! answer's status is one it lists for that operation, and every JSON body matches
//! the schema it gives.

use std::collections::BTreeSet;

use reqwest::{Client, Method, RequestBuilder};
use serde_json::{Value, json};

use crate::helpers::{Media, spawn_app, test_config};

/// The schema of `status`'s JSON answer to `method path`, following `$ref`s to
/// shared responses; `None` when the document lists no such answer.
fn response_schema(doc: &Value, method: &str, path: &str, status: u16) -> Option<Value> {
    let operation = &doc["paths"][path][method.to_ascii_lowercase()];
    let mut response = operation["responses"].get(status.to_string())?.clone();
    if let Some(name) = response["$ref"].as_str() {
        let name = name
            .strip_prefix("#/components/responses/")
            .expect("a response ref");
        response = doc["components"]["responses"][name].clone();
    }
    let content = &response["content"];
    Some(
        content
            .get("application/json")
            .map_or(Value::Null, |c| c["schema"].clone()),
    )
}

/// Checks one exchange against the document.
async fn check(doc: &Value, template: &str, request: RequestBuilder, seen: &mut BTreeSet<String>) {
    let (client, request) = request.build_split();
    let request = request.expect("a request");
    let method = request.method().as_str().to_owned();
    let response = client.execute(request).await.expect("an answer");
    let status = response.status().as_u16();
    seen.insert(format!("{method} {template}"));
    let schema = response_schema(doc, &method, template, status)
        .unwrap_or_else(|| panic!("{method} {template} answered {status}, not documented"));
    if schema.is_null() {
        return;
    }
    let body: Value = response.json().await.expect("a JSON body");
    let mut rooted = json!({ "allOf": [schema], "components": doc["components"] });
    rooted["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    let validator = jsonschema::validator_for(&rooted).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&body)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {template} {status}: {errors:?}\n{body}"
    );
}

#[tokio::test]
async fn every_documented_operation_answers_as_documented() {
    let media = Media::new(&["a.mp4", "b.mp4"]);
    let mut config = test_config(media.path(), None);
    config.max_payload_bytes = 1_024;
    config.simulated_step_ms = 100;
    let app = spawn_app(config).await;
    let http = Client::new();
    let doc: Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .expect("the document is JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    let mut seen = BTreeSet::new();
    let url = |path: &str| app.url(path);
    let post = |body: &str, content_type: &str| {
        http.post(url("/api/v1/sessions"))
            .header("content-type", content_type)
            .body(body.to_owned())
    };

    let sessions = "/api/v1/sessions";
    let oversize = "x".repeat(2_000);
    let bodies = [
        (r#"{"video_path":"a.mp4"}"#, "application/json"),
        (r#"{"video_path":"a.mp4"}"#, "application/json"),
        (r#"{"video_path":"b.mp4"}"#, "application/json"),
        ("{", "application/json"),
        (r#"{"video_path":"no.mp4"}"#, "application/json"),
        (oversize.as_str(), "application/json"),
        ("{}", "text/plain"),
    ];
    for (body, content_type) in bodies {
        check(&doc, sessions, post(body, content_type), &mut seen).await;
    }
    for query in ["?status=processing", "?limit=none"] {
        let list = http.get(url(&format!("{sessions}{query}")));
        check(&doc, sessions, list, &mut seen).await;
    }

    let (_, listed) = super::get_json(&app, "/api/v1/sessions").await;
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["session_id"].as_str().unwrap())
        .collect();
    let one = "/api/v1/sessions/{id}";
    let unknown = "0123456789abcdef01234567AAAAAAAAAAAAAAAAAAAAAA";
    for id in [ids[0], unknown] {
        let show = http.get(url(&format!("/api/v1/sessions/{id}")));
        check(&doc, one, show, &mut seen).await;
    }
    for id in [ids[0], ids[0], unknown] {
        let delete = http.request(Method::DELETE, url(&format!("/api/v1/sessions/{id}")));
        check(&doc, one, delete, &mut seen).await;
    }

    let events = "/api/v1/sessions/{id}/events";
    for (id, last) in [(ids[0], "1"), (ids[0], "x"), (unknown, "1")] {
        let stream = http
            .get(url(&format!("/api/v1/sessions/{id}/events")))
            .header("Last-Event-ID", last);
        check(&doc, events, stream, &mut seen).await;
    }

    let videos = "/api/v1/videos";
    for limit in ["1", "0"] {
        let list = http.get(url(&format!("{videos}?limit={limit}")));
        check(&doc, videos, list, &mut seen).await;
    }
    let itself = "/api/v1/openapi.json";
    check(&doc, itself, http.get(url(itself)), &mut seen).await;

    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            let methods = ["get", "post", "delete", "put", "patch"];
            methods
                .into_iter()
                .filter(|m| item.get(*m).is_some())
                .map(move |m| format!("{} {path}", m.to_ascii_uppercase()))
        })
        .collect();
    assert_eq!(
        seen, documented,
        "every documented operation exercised, and only those"
    );
}
