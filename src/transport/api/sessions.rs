//! `/api/v1/sessions`: the same claim as `start_processing`, a session's snapshot, a
//! listing by status, and cancel.

use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, Caller, limit};
use crate::app::AppState;
use crate::session::{Snapshot, Status, Submitted};
use crate::store::{ListCursor, ListQuery};

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    video_path: String,
    #[serde(default)]
    force: bool,
}

/// `POST /api/v1/sessions`: 201 with a new session, 200 with the video's running or
/// complete one.
pub async fn create(
    State(state): State<AppState>,
    Caller(access): Caller,
    request: Request,
) -> Result<Response, ApiError> {
    let body: CreateBody = json_body(request, state.http.max_body).await?;
    state.guard.claim(&access)?;
    let submitted = state.sessions.submit(&body.video_path, body.force, &access);
    let (status, snapshot) = match submitted.await? {
        Submitted::Created(snapshot) => (StatusCode::CREATED, snapshot),
        Submitted::Existing(snapshot) => (StatusCode::OK, snapshot),
    };
    let location = format!("/api/v1/sessions/{}", snapshot.session_id);
    Ok((status, [(header::LOCATION, location)], axum::Json(snapshot)).into_response())
}

/// `GET /api/v1/sessions/{id}`.
pub async fn show(
    State(state): State<AppState>,
    Caller(access): Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<axum::Json<Snapshot>, ApiError> {
    let Path(id) = id?;
    Ok(axum::Json(state.sessions.snapshot(&id, &access).await?))
}

#[derive(Deserialize)]
pub struct ListParams {
    status: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// `GET /api/v1/sessions?status=&limit=&cursor=`: newest first.
pub async fn list(
    State(state): State<AppState>,
    Caller(access): Caller,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<axum::Json<Value>, ApiError> {
    let Query(params) = params?;
    let status = match params.status.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(Status::parse(raw).ok_or_else(|| {
            ApiError::bad_request(
                "status must be one of queued, processing, complete, failed, cancelled",
            )
        })?),
    };
    let after = match params.cursor.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(
            ListCursor::parse(raw)
                .ok_or_else(|| ApiError::bad_request("cursor is not one this server gave"))?,
        ),
    };
    let limit = limit(params.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    let query = ListQuery {
        status,
        after,
        limit,
    };
    let page = state.sessions.list(&query, &access).await?;
    Ok(axum::Json(json!({
        "items": page.sessions,
        "next_cursor": page.next.map(|cursor| cursor.encode()),
    })))
}

/// `DELETE /api/v1/sessions/{id}`: 200 with the cancelled session, 409 when it had
/// already ended.
pub async fn cancel(
    State(state): State<AppState>,
    Caller(access): Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<axum::Json<Snapshot>, ApiError> {
    let Path(id) = id?;
    state.sessions.cancel(&id, &access).await?;
    Ok(axum::Json(state.sessions.snapshot(&id, &access).await?))
}

/// The request's JSON body: `application/json`, at most `max` bytes, of type `T`.
async fn json_body<T: serde::de::DeserializeOwned>(
    request: Request,
    max: usize,
) -> Result<T, ApiError> {
    let json_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if !json_type {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "bad_request",
            "the body must be JSON, sent as Content-Type: application/json",
        ));
    }
    let bytes = axum::body::to_bytes(Body::new(request.into_body()), max)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "bad_request",
                format!("the body is over {max} bytes"),
            )
        })?;
    serde_json::from_slice(&bytes)
        .map_err(|error| ApiError::bad_request(format!("invalid body: {error}")))
}
