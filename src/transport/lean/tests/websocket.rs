//! Websocket-only connections: handshake errors, replies and acks, malformed
//! packets, and the heartbeat.

use super::*;

#[tokio::test]
async fn handshake_errors_are_engine_io_errors() {
    let server = start(Timing::default()).await;
    let refused =
        |code: u8, message: &str| (400, format!(r#"{{"code":{code},"message":"{message}"}}"#));
    let old = reqwest::get(format!(
        "http://127.0.0.1:{}/socket.io/?EIO=3&transport=polling",
        server.port
    ));
    let old = old.await.unwrap();
    assert_eq!(
        (old.status().as_u16(), old.text().await.unwrap()),
        refused(5, "Unsupported protocol version")
    );
    assert_eq!(
        server.get("transport=carrier-pigeon").await,
        refused(0, "Transport unknown")
    );
    assert_eq!(
        server.get("transport=polling&sid=nope").await,
        refused(1, "Session ID unknown")
    );
    assert_eq!(
        server.post("transport=polling&sid=nope", "40").await,
        refused(1, "Session ID unknown")
    );
}

#[tokio::test]
async fn events_get_their_reply_then_their_ack_and_other_namespaces_are_refused() {
    let server = start(Timing::default()).await;
    let mut ws = joined(&server).await;
    send(&mut ws, "40/admin,").await;
    assert_eq!(
        next_text(&mut ws).await.unwrap(),
        r#"44/admin,{"message":"Invalid namespace"}"#
    );
    send(&mut ws, r#"4212["start_processing",5]"#).await;
    let reply = next_text(&mut ws).await.unwrap();
    assert!(
        reply.starts_with(r#"42["processing_error",{"code":"bad_request""#),
        "{reply}"
    );
    let ack = next_text(&mut ws).await.unwrap();
    assert!(
        ack.starts_with(r#"4312[{"event":"processing_error""#),
        "{ack}"
    );
}

#[tokio::test]
async fn malformed_and_binary_packets_close_only_their_connection() {
    let server = start(Timing::default()).await;
    for frame in [
        r#"42{"not":"an array"}"#,
        r#"451-["x",{"_placeholder":true,"num":0}]"#,
        "9",
    ] {
        let mut ws = joined(&server).await;
        send(&mut ws, frame).await;
        assert_eq!(next_text(&mut ws).await, None, "{frame}");
    }
    let mut ws = joined(&server).await;
    assert_serves_a_start(&mut ws).await;
}

#[tokio::test]
async fn a_client_that_stops_answering_pings_is_disconnected() {
    let server = start(SHORT).await;
    let mut silent = joined(&server).await;
    let mut lively = joined(&server).await;
    let answering = tokio::spawn(async move {
        for _ in 0..4 {
            assert_eq!(next_text(&mut lively).await.as_deref(), Some("2"));
            send(&mut lively, "3").await;
        }
    });
    assert_eq!(next_text(&mut silent).await.as_deref(), Some("2"));
    assert_eq!(
        next_text(&mut silent).await,
        None,
        "closed after the ping timeout"
    );
    answering
        .await
        .expect("a client that answers stays connected");
}
