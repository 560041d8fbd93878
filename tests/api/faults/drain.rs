//! SIGTERM drains: the instance hands its runs over (another instance continues at
//! once, not after the lease TTL), closes its sockets and ends its event streams, and
//! exits 0 well within the grace period; its watchers rejoin elsewhere and miss
//! nothing.

use std::time::{Duration, Instant};

use futures_util::StreamExt;

use super::cluster::{Cluster, Settings, now_ms};
use super::history::History;
use super::invariants;
use super::watcher::Watcher;

const GRACE_MS: u64 = 4_000;
/// How soon after SIGTERM the other instance must have written under its own token.
const HANDOVER_WITHIN_MS: u64 = 1_000;
/// How soon after SIGTERM the instance must have exited, an event stream open or not.
const EXIT_WITHIN: Duration = Duration::from_millis(2_000);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_hands_runs_over_at_once_and_exits_zero() {
    drain(Cluster::on_test_redis(&["v1.mp4", "v2.mp4"])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_redis_cluster_sigterm_hands_runs_over_at_once() {
    drain(Cluster::on_test_redis_cluster(&["v1.mp4", "v2.mp4"])).await;
}

async fn drain(cluster: Cluster) {
    cluster
        .bounded(async {
            let mut settings = Settings::new(100, 50);
            // A long lease and a rare scan: only a hand-over can explain a takeover
            // within a second.
            settings.lease_ttl_ms = 5_000;
            settings.scan_ms = 10_000;
            settings
                .extra
                .push(("REPRISE_DRAIN_GRACE_MS", GRACE_MS.to_string()));
            let mut a = cluster.spawn("a", &settings).await;
            let b = cluster.spawn("b", &settings).await;
            let mut watchers = vec![
                Watcher::start("v1@a", a.port, "v1.mp4").await,
                Watcher::start("v2@a", a.port, "v2.mp4").await,
            ];
            for watcher in &mut watchers {
                watcher.until_seq(10).await;
            }
            let events = format!(
                "http://127.0.0.1:{}/api/v1/sessions/{}/events",
                a.port, watchers[0].session_id
            );
            let stream = reqwest::get(events).await.expect("an event stream opens");
            assert_eq!(stream.status(), 200);
            let reading = tokio::spawn(async move {
                let mut body = stream.bytes_stream();
                while let Some(chunk) = body.next().await {
                    chunk.expect("the event stream ends cleanly, not cut");
                }
            });

            let term_ms = now_ms();
            let term = Instant::now();
            a.signal("TERM");
            let status = a.wait_exit(Duration::from_millis(GRACE_MS)).await;
            let status =
                status.unwrap_or_else(|| panic!("a still runs {GRACE_MS} ms after SIGTERM"));
            assert!(status.success(), "a exits 0 after draining: {status:?}");
            let exited = term.elapsed();
            eprintln!("a exited {exited:?} after SIGTERM");
            assert!(
                exited < EXIT_WITHIN,
                "an open event stream held the drain for {exited:?} (grace {GRACE_MS} ms)"
            );
            reading.await.expect("the event stream's reader");

            for watcher in &mut watchers {
                watcher.follow_to_end(&[b.port]).await;
                watcher.assert_complete();
                assert_eq!(
                    watcher.reconnects, 1,
                    "{}: a closed the socket once",
                    watcher.name
                );
            }
            for watcher in &watchers {
                let history = History::read(&cluster, &watcher.session_id).await;
                invariants::check(&history, settings.steps);
                let starts = history.starts();
                let instances: Vec<&str> = starts.iter().map(|s| s.1).collect();
                assert_eq!(instances, ["a", "b"], "{:?}", history.runs);
                let (ta, tb) = (starts[0].0, starts[1].0);
                let how = |t| history.end_of(t).and_then(|r| r.how.clone());
                assert_eq!(
                    how(ta).as_deref(),
                    Some("handed_over"),
                    "{:?}",
                    history.runs
                );
                assert_eq!(how(tb).as_deref(), Some("finished"), "{:?}", history.runs);
                assert_eq!(history.writers(), [ta, tb]);
                let taken_ms = history.by(tb)[0].ts;
                assert!(
                    taken_ms.saturating_sub(term_ms) <= HANDOVER_WITHIN_MS,
                    "{}: b's first write came {} ms after SIGTERM (bound {HANDOVER_WITHIN_MS} ms, \
                     lease TTL {} ms)",
                    watcher.name,
                    taken_ms.saturating_sub(term_ms),
                    settings.lease_ttl_ms
                );
            }
        })
        .await;
}
