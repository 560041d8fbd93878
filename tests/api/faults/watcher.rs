//! A watcher that behaves like a careful browser: it remembers its `last_seq`,
//! rejoins on another instance when its socket closes, and checks every event as
//! it arrives: seq continues without gap or duplicate, progress never decreases,
//! nothing follows the terminal event.

use std::time::Duration;

use serde_json::json;

use crate::sio_client::{Received, SioClient};

/// How long a watcher waits for the next event before calling the session stalled.
const STALL: Duration = Duration::from_secs(10);

/// Why [`Watcher::until`] returned.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Matched,
    Closed,
    Quiet,
}

pub struct Watcher {
    pub name: String,
    pub session_id: String,
    pub client: SioClient,
    /// Every event with a `seq`, in arrival order, across reconnections.
    pub events: Vec<Received>,
    /// Replies without a place in the sequence (`resume_session`, refusals).
    pub replies: Vec<Received>,
    pub reconnects: usize,
}

impl Watcher {
    /// Starts `video` on the instance at `port`, which must create the session
    /// (so that instance owns it).
    pub async fn start(name: &str, port: u16, video: &str) -> Self {
        let mut client = SioClient::connect(port).await;
        client.emit("start_processing", json!({ "video_path": video }));
        let started = client.next().await;
        assert_eq!(started.name, "processing_started", "{name}: {started:?}");
        let session_id = started.data["session_id"].as_str().unwrap().to_owned();
        let mut watcher = Self::new(name, session_id, client);
        watcher.accept(started);
        watcher
    }

    /// Joins `session_id` on the instance at `port` with `last_seq`.
    pub async fn join(name: &str, port: u16, session_id: &str, last_seq: u64) -> Self {
        let client = SioClient::connect(port).await;
        let mut watcher = Self::new(name, session_id.to_owned(), client);
        watcher.send_join(last_seq).await;
        watcher
    }

    fn new(name: &str, session_id: String, client: SioClient) -> Self {
        Self {
            name: name.to_owned(),
            session_id,
            client,
            events: Vec::new(),
            replies: Vec::new(),
            reconnects: 0,
        }
    }

    pub fn last_seq(&self) -> u64 {
        self.events.last().map_or(0, seq)
    }

    /// Reconnects to `port` and rejoins with the last seq seen.
    pub async fn rejoin(&mut self, port: u16) {
        self.client = SioClient::connect(port).await;
        self.reconnects += 1;
        self.send_join(self.last_seq()).await;
    }

    async fn send_join(&mut self, last_seq: u64) {
        self.client.emit(
            "join_session",
            json!({ "session_id": self.session_id, "last_seq": last_seq }),
        );
        let reply = self.client.next().await;
        assert_eq!(reply.name, "resume_session", "{}: {reply:?}", self.name);
        assert_ne!(reply.data["gap"], true, "{}: {reply:?}", self.name);
        self.replies.push(reply);
    }

    /// Takes events until one matches `wanted` (checked first), the socket closes, or
    /// nothing comes for `quiet`.
    pub async fn until(&mut self, quiet: Duration, wanted: impl Fn(&Received) -> bool) -> Outcome {
        loop {
            let Some(received) = self.client.next_within(quiet).await else {
                return match self.client.wait_closed(Duration::ZERO).await {
                    true => Outcome::Closed,
                    false => Outcome::Quiet,
                };
            };
            let matched = wanted(&received);
            self.accept(received);
            if matched {
                return Outcome::Matched;
            }
        }
    }

    /// Takes events until one with `seq >= n`; panics if the socket closes or stalls.
    pub async fn until_seq(&mut self, n: u64) {
        let outcome = self
            .until(STALL, |e| e.data["seq"].as_u64().is_some_and(|s| s >= n))
            .await;
        assert_eq!(
            outcome,
            Outcome::Matched,
            "{}: waiting for seq {n}",
            self.name
        );
    }

    /// Follows the session to its terminal event, rejoining on `ports` in turn
    /// whenever the socket closes; panics if it stalls.
    pub async fn follow_to_end(&mut self, ports: &[u16]) {
        let mut next_port = ports.iter().cycle();
        loop {
            match self.until(STALL, is_terminal).await {
                Outcome::Matched => return,
                Outcome::Closed => self.rejoin(*next_port.next().unwrap()).await,
                Outcome::Quiet => panic!(
                    "{}: no event for {STALL:?} after seq {}",
                    self.name,
                    self.last_seq()
                ),
            }
        }
    }

    /// The session ended with exactly one `processing_complete`, the last event.
    pub fn assert_complete(&self) {
        let names: Vec<&str> = self.events.iter().map(|e| e.name.as_str()).collect();
        let completions = names
            .iter()
            .filter(|n| **n == "processing_complete")
            .count();
        assert_eq!(completions, 1, "{}: {names:?}", self.name);
        assert_eq!(names.last(), Some(&"processing_complete"), "{}", self.name);
    }

    /// Records one event, checking it against the ones before.
    fn accept(&mut self, received: Received) {
        if received.data.get("seq").is_none() {
            self.replies.push(received);
            return;
        }
        if let Some(last) = self.events.last() {
            assert!(
                !is_terminal(last),
                "{}: {received:?} came after the terminal {last:?}",
                self.name
            );
            assert_eq!(
                seq(&received),
                seq(last) + 1,
                "{}: a gap or a duplicate: {received:?} after seq {}",
                self.name,
                seq(last)
            );
            assert!(
                progress(&received) >= progress(last),
                "{}: progress went back: {received:?} after {}",
                self.name,
                progress(last)
            );
        }
        self.events.push(received);
    }
}

pub fn seq(event: &Received) -> u64 {
    event.data["seq"].as_u64().expect("an event with a seq")
}

pub fn progress(event: &Received) -> f64 {
    event.data["progress"]
        .as_f64()
        .expect("an event with progress")
}

/// Complete, cancelled, or a `processing_error` that ends the session (has a seq).
pub fn is_terminal(event: &Received) -> bool {
    matches!(
        event.name.as_str(),
        "processing_complete" | "processing_cancelled"
    ) || event.name == "processing_error" && event.data.get("seq").is_some()
}
