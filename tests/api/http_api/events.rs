//! Server-Sent Events: replay from `Last-Event-ID` on another instance, gap-free and
//! once, to the terminal event, where the stream ends; keep-alive comments when idle.

use std::time::Duration;

use reqwest::Client;
use serde_json::Value;

use super::{session_of, status_and_json};
use crate::helpers::{Media, TestApp, spawn_app, test_config};
use crate::redis_server::TestRedis;

const STREAM_WITHIN: Duration = Duration::from_secs(20);

/// One message of an event stream: an event, or a comment.
#[derive(Debug)]
enum Message {
    Event {
        name: String,
        id: Option<u64>,
        data: Value,
    },
    Comment,
}

/// Everything the stream sends until it ends, which must be within [`STREAM_WITHIN`].
async fn read_stream(app: &TestApp, id: &str, last_event_id: Option<u64>) -> Vec<Message> {
    let mut request = Client::new().get(app.url(&format!("/api/v1/sessions/{id}/events")));
    if let Some(last) = last_event_id {
        request = request.header("Last-Event-ID", last.to_string());
    }
    let mut response = request.send().await.expect("GET events");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut text = String::new();
    let read = async {
        while let Some(chunk) = response.chunk().await.expect("the stream reads") {
            text.push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
        }
    };
    tokio::time::timeout(STREAM_WITHIN, read)
        .await
        .expect("the stream ended after its terminal event");
    assert!(text.ends_with("\n\n"), "a whole last message: {text:?}");
    messages(&text)
}

fn messages(text: &str) -> Vec<Message> {
    text.trim_end().split("\n\n").map(parse).collect()
}

fn parse(block: &str) -> Message {
    if block.lines().all(|line| line.starts_with(':')) {
        return Message::Comment;
    }
    let (mut name, mut id, mut data) = (String::new(), None, Value::Null);
    for line in block.lines() {
        let (field, value) = line.split_once(": ").unwrap_or((line, ""));
        match field {
            "event" => name = value.to_owned(),
            "id" => id = Some(value.parse().expect("a numeric id")),
            "data" => data = serde_json::from_str(value).expect("JSON data"),
            other => panic!("unexpected field {other:?} in {block:?}"),
        }
    }
    Message::Event { name, id, data }
}

fn events(messages: &[Message]) -> Vec<(&str, u64, &Value)> {
    messages
        .iter()
        .filter_map(|m| match m {
            Message::Event { name, id, data } => Some((name.as_str(), id.unwrap(), data)),
            Message::Comment => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stream_resumed_on_another_instance_replays_gap_free_to_the_end() {
    let redis = TestRedis::get();
    let media = Media::new(&["long.mp4"]);
    let mut config = test_config(media.path(), Some(&redis));
    config.simulated_steps = 30;
    config.simulated_step_ms = 30;
    let a = spawn_app(config.clone()).await;
    let b = spawn_app(config).await;
    let id = session_of(&a, "long.mp4").await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let messages = read_stream(&b, &id, Some(3)).await;
    let events = events(&messages);
    let (first, first_id, snapshot) = events[0];
    assert_eq!((first, first_id), ("resume_session", 3), "{events:?}");
    assert_eq!(snapshot["seq"], 3);
    let seqs: Vec<u64> = events[1..].iter().map(|e| e.1).collect();
    let expected: Vec<u64> = (4..4 + seqs.len() as u64).collect();
    assert_eq!(seqs, expected, "every later event once, in order");
    assert!(seqs.len() >= 25, "replayed and live events: {seqs:?}");
    for (_, id, data) in &events[1..] {
        assert_eq!(data["seq"].as_u64(), Some(*id), "id: is the seq");
    }
    let last = events.last().unwrap();
    assert_eq!(last.0, "processing_complete");
    assert_eq!(last.2["progress"], 100.0);

    let ended = read_stream(&a, &id, None).await;
    let ended = self::events(&ended);
    assert_eq!(
        ended.len(),
        1,
        "an ended session: its snapshot, then the end"
    );
    assert_eq!(ended[0].2["status"], "complete");
}

#[tokio::test]
async fn an_idle_stream_gets_keep_alive_comments() {
    let media = Media::new(&["slow.mp4"]);
    let mut config = test_config(media.path(), None);
    config.simulated_steps = 4;
    config.simulated_step_ms = 400;
    config.sse_keep_alive_ms = 100;
    let app = spawn_app(config).await;
    let id = &session_of(&app, "slow.mp4").await;

    let messages = read_stream(&app, id, None).await;
    let comments = messages
        .iter()
        .filter(|m| matches!(m, Message::Comment))
        .count();
    assert!(comments >= 5, "{messages:?}");
    let names: Vec<&str> = events(&messages).iter().map(|e| e.0).collect();
    assert_eq!(names.first(), Some(&"resume_session"));
    assert_eq!(names.last(), Some(&"processing_complete"));
}

#[tokio::test]
async fn a_malformed_last_event_id_is_refused() {
    let media = Media::new(&["a.mp4"]);
    let app = spawn_app(test_config(media.path(), None)).await;
    let id = &session_of(&app, "a.mp4").await;
    let refused = Client::new()
        .get(app.url(&format!("/api/v1/sessions/{id}/events")))
        .header("Last-Event-ID", "three")
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_json(refused).await;
    assert_eq!((status, &body["code"]), (400, &"bad_request".into()));
    let path = format!("/api/v1/sessions/{id}/events?last_seq=-1");
    let (status, body) = status_and_json(reqwest::get(app.url(&path)).await.unwrap()).await;
    assert_eq!((status, &body["code"]), (400, &"bad_request".into()));
}

#[tokio::test]
async fn last_seq_in_the_query_resumes_like_the_header_and_the_header_wins() {
    let media = Media::new(&["a.mp4"]);
    let mut config = test_config(media.path(), None);
    config.simulated_steps = 10;
    config.simulated_step_ms = 10;
    let app = spawn_app(config).await;
    let id = &session_of(&app, "a.mp4").await;
    let done = read_stream(&app, id, None).await;
    let total = events(&done).last().unwrap().1;

    let from_query = format!("{id}/events?last_seq=5");
    let path = format!("/api/v1/sessions/{from_query}");
    let text = reqwest::get(app.url(&path))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let seqs: Vec<u64> = events(&messages(&text)).iter().map(|e| e.1).collect();
    assert_eq!(seqs, (5..=total).collect::<Vec<_>>());

    let both = Client::new()
        .get(app.url(&path))
        .header("Last-Event-ID", "8")
        .send()
        .await
        .unwrap();
    let text = both.text().await.unwrap();
    assert_eq!(events(&messages(&text))[0].1, 8, "the header wins");
}
