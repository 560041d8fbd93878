//! `GET /api/v1/videos`: the video files under the media root, in path order.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, Caller, limit};
use crate::app::AppState;

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1_000;

#[derive(Deserialize)]
pub struct Params {
    limit: Option<String>,
    cursor: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    Caller(access): Caller,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<axum::Json<Value>, ApiError> {
    let Query(params) = params?;
    access.authenticated()?;
    let limit = limit(params.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    let media = state.media.clone();
    let after = params.cursor.filter(|cursor| !cursor.is_empty());
    let page = tokio::task::spawn_blocking(move || media.videos(after.as_deref(), limit))
        .await
        .map_err(|_| {
            let status = axum::http::StatusCode::INTERNAL_SERVER_ERROR;
            ApiError::new(status, "unavailable", "the listing failed; retry shortly")
        })?;
    let visible: Vec<_> = page
        .videos
        .iter()
        .filter(|v| access.sees(&v.path))
        .collect();
    Ok(axum::Json(json!({
        "items": visible,
        "next_cursor": page.next,
    })))
}
