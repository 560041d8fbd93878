//! `GET /outputs/{path}`: processing outputs, read-only, confined to the output root
//! exactly as video paths are to the media root (no escape through `..` or a symlink,
//! regular files only). Byte ranges and conditional requests are honoured, so a
//! browser can seek in a video.

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::api::ApiError;
use crate::app::AppState;
use crate::auth::Access;
use crate::error::RequestError;
use crate::media::{PathError, VideoPath};

/// Serves one output file, or a 4xx `{code, message}`. With authentication on, the
/// token (`Authorization: Bearer`, or `?token=` for a page's `<video src>`) must
/// cover the video of the session the file belongs to.
pub async fn output(
    State(state): State<AppState>,
    Path(path): Path<String>,
    request: Request,
) -> Response {
    let token = request.uri().query().and_then(|query| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("token="))
    });
    let access = state.guard.http_access(request.headers(), token);
    if let Err(refused) = permitted(&state, &path, &access).await {
        state.metrics.refused(refused.code());
        return ApiError::from(refused).into_response();
    }
    let file = match VideoPath::parse(&state.outputs, &path) {
        Ok(file) => file,
        Err(PathError::NotFound) => {
            return refusal(StatusCode::NOT_FOUND, "not_found", "no such output");
        }
        Err(PathError::Invalid(reason)) => {
            let message = format!("invalid output path: {reason}");
            return refusal(StatusCode::BAD_REQUEST, "invalid_path", &message);
        }
    };
    let served = ServeFile::new(file.absolute()).oneshot(request).await;
    let Ok(mut response) = served;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-cache".parse().expect("valid header"),
    );
    response.map(Body::new)
}

/// Whether `access` covers the video of the session whose folder `path` is in.
async fn permitted(state: &AppState, path: &str, access: &Access) -> Result<(), RequestError> {
    if matches!(access, Access::Open) {
        return Ok(());
    }
    let session = path.split('/').next().unwrap_or_default();
    state.sessions.snapshot(session, access).await.map(drop)
}

fn refusal(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "code": code, "message": message });
    (status, axum::Json(body)).into_response()
}
