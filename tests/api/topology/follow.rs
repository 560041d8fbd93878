//! Following a session through nginx as a browser does: whenever the socket closes,
//! reconnect and rejoin with the last seq seen. A handshake that fails (nginx
//! answers 502 while it counts every instance out) is tried again after a short,
//! growing pause, and so is a connection that closes before its join is answered
//! (it landed on an instance that began to drain); both are counted, with the
//! longest time the watcher was away.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::faults::watcher::{Outcome, Watcher, is_terminal};
use crate::sio_client::SioClient;

/// How long a watcher waits for the next event before calling the session stalled.
const STALL: Duration = Duration::from_secs(10);
/// The longest a watcher keeps trying to get back before the test fails.
const BACK_WITHIN: Duration = Duration::from_secs(20);
const FIRST_PAUSE: Duration = Duration::from_millis(50);
const LONGEST_PAUSE: Duration = Duration::from_millis(500);

/// What getting back cost a watcher.
#[derive(Clone, Debug, Default)]
pub struct Returns {
    /// Handshakes that failed (a 502 from nginx, a refused connection).
    pub failed_handshakes: usize,
    /// Connections that closed before their join was answered.
    pub cut_short: usize,
    /// The longest time from a closed socket to the `resume_session` of the rejoin.
    pub longest_away: Duration,
}

/// Follows `watcher`'s session through nginx at `lb` to its terminal event.
pub async fn follow_to_end(watcher: &mut Watcher, lb: u16) -> Returns {
    let mut returns = Returns::default();
    loop {
        match watcher.until(STALL, is_terminal).await {
            Outcome::Matched => return returns,
            Outcome::Closed => {
                let closed = Instant::now();
                rejoin(watcher, lb, &mut returns).await;
                returns.longest_away = returns.longest_away.max(closed.elapsed());
            }
            Outcome::Quiet => panic!(
                "{}: no event for {STALL:?} after seq {}",
                watcher.name,
                watcher.last_seq()
            ),
        }
    }
}

async fn rejoin(watcher: &mut Watcher, lb: u16, returns: &mut Returns) {
    let deadline = Instant::now() + BACK_WITHIN;
    let mut pause = FIRST_PAUSE;
    loop {
        assert!(
            Instant::now() < deadline,
            "{}: not back within {BACK_WITHIN:?}: {returns:?}",
            watcher.name
        );
        match SioClient::connect_with(lb, None, &[]).await {
            Err(_) => returns.failed_handshakes += 1,
            Ok(client) => {
                watcher.client = client;
                watcher.reconnects += 1;
                let join =
                    json!({ "session_id": watcher.session_id, "last_seq": watcher.last_seq() });
                watcher.client.emit("join_session", join);
                if let Some(reply) = watcher.client.next_within(STALL).await {
                    assert_eq!(reply.name, "resume_session", "{}: {reply:?}", watcher.name);
                    assert_ne!(reply.data["gap"], true, "{}: {reply:?}", watcher.name);
                    watcher.replies.push(reply);
                    return;
                }
                assert!(
                    watcher.client.wait_closed(Duration::ZERO).await,
                    "{}: no answer to join_session within {STALL:?}",
                    watcher.name
                );
                returns.cut_short += 1;
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}
