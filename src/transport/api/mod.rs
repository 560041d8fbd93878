//! The HTTP API under `/api/v1`: sessions (claim, look up, list, cancel), their events
//! as Server-Sent Events, the media root's videos, and the OpenAPI document.

mod error;
mod events;
mod sessions;
mod videos;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::{any, get};

pub use error::ApiError;
use error::Refused;
pub use events::parse_seq;

use crate::app::AppState;
use crate::auth::Access;

/// The API's OpenAPI 3.1 document, served as written.
const OPENAPI: &str = include_str!("openapi.json");

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/sessions",
            get(sessions::list).post(sessions::create),
        )
        .route(
            "/api/v1/sessions/{id}",
            get(sessions::show).delete(sessions::cancel),
        )
        .route("/api/v1/sessions/{id}/events", get(events::stream))
        .route("/api/v1/videos", get(videos::list))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/{*rest}", any(no_such_route))
        .method_not_allowed_fallback(wrong_method)
        .route_layer(middleware::from_fn_with_state(state, count_refusals))
}

/// Counts every refused API request by its code, as the Socket.IO refusals are.
async fn count_refusals(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if let Some(Refused(code)) = response.extensions().get::<Refused>() {
        state.metrics.refused(code);
    }
    response
}

async fn no_such_route() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such API route; see /api/v1/openapi.json",
    )
}

async fn wrong_method() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "bad_request",
        "this method is not served here; see /api/v1/openapi.json",
    )
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// What the request's `Authorization: Bearer` token grants (everything with
/// authentication off).
pub struct Caller(pub Access);

impl FromRequestParts<AppState> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Caller(state.guard.http_access(&parts.headers, None)))
    }
}

/// A `limit` query parameter: 1 to `max`, `default` when absent.
fn limit(raw: Option<&str>, default: usize, max: usize) -> Result<usize, ApiError> {
    let Some(raw) = raw else {
        return Ok(default);
    };
    raw.parse::<usize>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| ApiError::bad_request(format!("limit must be a number from 1 to {max}")))
}
