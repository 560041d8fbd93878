//! JSON log lines of a run carry its `session_id` and `video` through their spans:
//! the claim's, the join's and the run's.

use std::io::Write;
use std::sync::{Arc, Mutex};

use reprise::config::LogFormat;
use serde_json::{Value, json};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::helpers::{Media, spawn_app, test_config};

/// Log lines written into memory.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl MakeWriter<'_> for Lines {
    type Writer = Lines;

    fn make_writer(&self) -> Lines {
        self.clone()
    }
}

impl Lines {
    fn json(&self) -> Vec<Value> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }
}

/// The first line logged inside a span named `span` that carries both fields.
fn line_in<'a>(lines: &'a [Value], span: &str, id: &str, video: &str) -> Option<&'a Value> {
    lines.iter().find(|line| {
        let current = &line["span"];
        current["name"] == span && current["session_id"] == id && current["video"] == video
    })
}

/// The test runs on one thread (tokio's current-thread runtime), so a subscriber set
/// as this thread's default sees every task of the app.
#[tokio::test]
async fn json_lines_of_a_run_carry_session_id_and_video() {
    let lines = Lines::default();
    let filter = EnvFilter::new("info,reprise=debug");
    let dispatch = reprise::telemetry::dispatch(LogFormat::Json, filter, lines.clone());
    let _guard = tracing::dispatcher::set_default(&dispatch);

    let media = Media::new(&["dir/v.mp4"]);
    let mut config = test_config(media.path(), None);
    config.log_format = LogFormat::Json;
    config.simulated_steps = 3;
    let app = spawn_app(config).await;
    let mut first = app.client().await;
    let mut second = app.client().await;
    first.emit("start_processing", json!({ "video_path": "dir/v.mp4" }));
    let started = first.next_named(&["processing_started"]).await;
    let id = started.data["session_id"].as_str().unwrap().to_owned();
    second.emit("join_session", json!({ "session_id": id, "last_seq": 0 }));
    second.next_named(&["resume_session"]).await;
    first.until_terminal().await;
    second.until_terminal().await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;

    let lines = lines.json();
    let video = "dir/v.mp4";
    let run = line_in(&lines, "run", &id, video).expect("a line inside the run's span");
    let spans = run["spans"].as_array().unwrap();
    assert!(spans.iter().any(|s| s["name"] == "run"), "{run}");
    assert_eq!(run["level"], "INFO");
    let claim = line_in(&lines, "start", &id, video).expect("a line inside the claim's span");
    assert_eq!(claim["message"], "session created");
    let join = line_in(&lines, "join", &id, video).expect("a line inside the join's span");
    assert_eq!(join["message"], "joined");
}
