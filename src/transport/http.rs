//! Plain HTTP routes: health, readiness, metrics, output files.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::outputs::output;
use crate::app::AppState;

/// Routes for operators, load balancers and downloads.
pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/outputs/{*path}", get(output))
        .merge(super::api::routes(state.clone()).layer(cors(state.guard.origins())))
        .merge(super::page::routes())
}

/// Cross-origin reads of the API for the allowed origins only; with none configured,
/// none (browsers then keep pages of other origins from reading the API).
fn cors(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins.iter().filter_map(|o| o.parse().ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([header::LOCATION])
        .max_age(std::time::Duration::from_secs(600))
}

/// Alive: the process serves requests.
async fn healthz() -> Response {
    axum::Json(json!({ "status": "ok" })).into_response()
}

/// Ready: the shared store answers. The body also names the processor that runs,
/// with a `warning` when it stands in for the configured one.
async fn readyz(State(state): State<AppState>) -> Response {
    let mut body = json!({ "store": state.store_kind, "processor": state.processor.kind.name() });
    if state.processor.fell_back {
        body["warning"] = json!("ffmpeg is not installed: running the simulated processor");
    }
    match state.store.ping().await {
        Ok(()) => {
            body["status"] = json!("ready");
            axum::Json(body).into_response()
        }
        Err(error) => {
            tracing::debug!(%error, "not ready");
            body["status"] = json!("unavailable");
            body["code"] = json!("unavailable");
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
