//! The HTTP API over real sockets: claims racing across instances, refusals, listings,
//! cancel, Server-Sent Events, and the OpenAPI document checked against the answers.

mod events;
mod openapi;
mod refusals;
mod sessions;

use reqwest::{Client, Response};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// `POST /api/v1/sessions` with `{video_path}`.
pub async fn post_session(http: &Client, app: &TestApp, video: &str) -> Response {
    http.post(app.url("/api/v1/sessions"))
        .json(&json!({ "video_path": video }))
        .send()
        .await
        .expect("POST /api/v1/sessions")
}

/// The id of the session a `POST /api/v1/sessions` of `video` answers with.
pub async fn session_of(app: &TestApp, video: &str) -> String {
    let (_, body) = status_and_json(post_session(&Client::new(), app, video).await).await;
    body["session_id"]
        .as_str()
        .expect("a session id")
        .to_owned()
}

/// The status and JSON body of a response.
pub async fn status_and_json(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json().await.expect("a JSON body");
    (status, body)
}

/// `GET` of `path`, as status and JSON body.
pub async fn get_json(app: &TestApp, path: &str) -> (u16, Value) {
    status_and_json(reqwest::get(app.url(path)).await.expect("GET")).await
}
