//! Long-polling sessions: the upgrade to websocket, overlapping polls, expiry, and
//! the drain of both transports.

use std::time::Duration;

use super::*;

#[tokio::test]
async fn an_upgrade_hands_the_queue_over_in_order() {
    let server = start(Timing::default()).await;
    let sid = server.polling_session().await;
    let poll = format!("transport=polling&sid={sid}");
    let pending = tokio::spawn({
        let url = server.url(&poll);
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    });
    let mut ws = server.ws(&format!("transport=websocket&sid={sid}")).await;
    send(&mut ws, "2probe").await;
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("3probe"));
    assert_eq!(
        pending.await.unwrap(),
        "6",
        "the pending poll returns a noop"
    );
    assert_eq!(
        server.post(&poll, r#"421["start_processing",5]"#).await.1,
        "ok"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    send(&mut ws, "5").await;
    let reply = next_text(&mut ws).await.unwrap();
    assert!(reply.starts_with(r#"42["processing_error""#), "{reply}");
    assert!(
        next_text(&mut ws)
            .await
            .unwrap()
            .starts_with(r#"431[{"event""#)
    );
    assert_eq!(server.get(&poll).await.0, 400, "polling is over");
    assert_serves_a_start(&mut ws).await;
}

#[tokio::test]
async fn overlapping_polls_close_the_session() {
    let server = start(Timing::default()).await;
    let sid = server.polling_session().await;
    let poll = format!("transport=polling&sid={sid}");
    let first = tokio::spawn({
        let url = server.url(&poll);
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.get(&poll).await.0, 400);
    assert_eq!(first.await.unwrap(), "1");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.get(&poll).await.0, 400, "the session is gone");
}

#[tokio::test]
async fn a_polling_session_nobody_polls_expires() {
    let server = start(SHORT).await;
    let sid = server.polling_session().await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let (status, body) = server.get(&format!("transport=polling&sid={sid}")).await;
    assert_eq!(
        (status, body.contains(r#""code":1"#)),
        (400, true),
        "{body}"
    );
}

#[tokio::test]
async fn close_all_closes_websockets_and_answers_polls_with_a_close_packet() {
    let server = start(Timing::default()).await;
    let mut ws = joined(&server).await;
    let sid = server.polling_session().await;
    let pending = tokio::spawn({
        let url = server.url(&format!("transport=polling&sid={sid}"));
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    tokio::time::timeout(Duration::from_secs(3), server.handle.close_all())
        .await
        .expect("every connection task ends");
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("close:1001"));
    assert_eq!(pending.await.unwrap(), "1");
}
