//! Plain HTTP routes: health, readiness, metrics, output files.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::outputs::output;
use crate::app::AppState;

/// Routes for operators, load balancers and downloads.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/outputs/{*path}", get(output))
}

/// Alive: the process serves requests.
async fn healthz() -> Response {
    axum::Json(json!({ "status": "ok" })).into_response()
}

/// Ready: the shared store answers.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => {
            axum::Json(json!({ "status": "ready", "store": state.store_kind })).into_response()
        }
        Err(error) => {
            tracing::debug!(%error, "not ready");
            let body = json!({ "status": "unavailable", "store": state.store_kind, "code": "unavailable" });
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let (sessions, watchers) = state.hub.counts();
    let mut text = state.metrics.render();
    text.push_str("# HELP reprise_watched_sessions Sessions with a watcher on this instance.\n");
    text.push_str(&format!(
        "# TYPE reprise_watched_sessions gauge\nreprise_watched_sessions {sessions}\n"
    ));
    text.push_str("# HELP reprise_watchers Watchers connected to this instance.\n");
    text.push_str(&format!(
        "# TYPE reprise_watchers gauge\nreprise_watchers {watchers}\n"
    ));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
