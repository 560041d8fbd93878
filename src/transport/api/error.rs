//! How the HTTP API refuses: a status and a `{code, message}` body, with the codes of
//! `processing_error`.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::RequestError;
use crate::media::PathError;

/// A refused HTTP request.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// The session a refusal is about, when it helps the client (409 on an ended one).
    session: Option<Value>,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            session: None,
        }
    }
}

impl From<RequestError> for ApiError {
    fn from(error: RequestError) -> Self {
        let status = match &error {
            RequestError::BadRequest(_) | RequestError::Path(PathError::Invalid(_)) => {
                StatusCode::BAD_REQUEST
            }
            RequestError::Path(PathError::NotFound) | RequestError::UnknownSession => {
                StatusCode::NOT_FOUND
            }
            RequestError::AlreadyEnded(_) => StatusCode::CONFLICT,
            RequestError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            RequestError::Forbidden => StatusCode::FORBIDDEN,
            RequestError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            RequestError::TooManySessions(_) => StatusCode::TOO_MANY_REQUESTS,
            RequestError::Unavailable(cause) => {
                tracing::warn!(%cause, "request refused: store unavailable");
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
        let session = match &error {
            RequestError::AlreadyEnded(snapshot) => serde_json::to_value(snapshot).ok(),
            _ => None,
        };
        Self {
            status,
            code: error.code(),
            message: error.client_message(),
            session,
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::bad_request(format!("invalid query: {}", rejection.body_text()))
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::bad_request(format!("invalid path: {}", rejection.body_text()))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "code": self.code, "message": self.message });
        if let Some(session) = self.session {
            body["session"] = session;
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        response.extensions_mut().insert(Refused(self.code));
        response
    }
}

/// Marks a response as a refusal with this code, for the metrics layer.
#[derive(Clone, Copy, Debug)]
pub struct Refused(pub &'static str);
