//! The browser client at `GET /`: the files under `web/`, compiled into the binary.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::app::AppState;

const HTML: &str = "text/html; charset=utf-8";
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Each file's route, type and content.
const FILES: [(&str, &str, &str); 5] = [
    ("/", HTML, include_str!("../../web/index.html")),
    ("/web/app.js", JAVASCRIPT, include_str!("../../web/app.js")),
    ("/web/sio.js", JAVASCRIPT, include_str!("../../web/sio.js")),
    (
        "/web/catalog.js",
        JAVASCRIPT,
        include_str!("../../web/catalog.js"),
    ),
    ("/web/style.css", CSS, include_str!("../../web/style.css")),
];

/// The page, its scripts and its style. `no-cache`: a browser asks again before it uses
/// a stored copy, so a new binary's page is picked up on the next load.
pub fn routes() -> Router<AppState> {
    FILES
        .iter()
        .fold(Router::new(), |router, &(path, content_type, body)| {
            router.route(
                path,
                get(move || async move {
                    let headers = [
                        (header::CONTENT_TYPE, content_type),
                        (header::CACHE_CONTROL, "no-cache"),
                    ];
                    (headers, body).into_response()
                }),
            )
        })
}
