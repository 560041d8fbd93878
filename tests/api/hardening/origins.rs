//! Only allowed origins' pages connect (no cross-site WebSocket hijacking), and the
//! API answers cross-origin reads for them alone.

use reqwest::Client;

use crate::helpers::{Media, spawn_app, test_config};
use crate::sio_client::SioClient;

#[tokio::test]
async fn a_foreign_origin_is_refused_and_an_allowed_one_connects() {
    let media = Media::new(&["a.mp4"]);
    let mut config = test_config(media.path(), None);
    config.allowed_origins = vec!["https://app.example.com".into()];
    let app = spawn_app(config).await;

    let foreign = [("Origin", "https://evil.example.net")];
    let refused = SioClient::connect_with(app.port, None, &foreign).await;
    let error = refused.err().expect("a foreign origin is refused");
    assert!(
        error.contains("403") || error.contains("forbidden"),
        "{error}"
    );
    let allowed = [("Origin", "https://app.example.com")];
    assert!(
        SioClient::connect_with(app.port, None, &allowed)
            .await
            .is_ok()
    );
    assert!(
        SioClient::connect_with(app.port, None, &[]).await.is_ok(),
        "no page, no origin"
    );
    let polling = Client::new()
        .get(app.url("/socket.io/?EIO=4&transport=polling"))
        .header("Origin", "https://evil.example.net")
        .send()
        .await
        .unwrap();
    assert_eq!(polling.status().as_u16(), 403);

    let preflight = |origin: &'static str| {
        Client::new()
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/sessions"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "content-type, authorization",
            )
            .send()
    };
    let ok = preflight("https://app.example.com").await.unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let evil = preflight("https://evil.example.net").await.unwrap();
    assert!(evil.headers().get("access-control-allow-origin").is_none());
    assert!(super::refused(&app, "forbidden").await >= 2);
}
