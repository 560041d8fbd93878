//! One instance loses Redis for good (its proxy is cut) while it owns a run: another
//! instance takes the run over, the cut-off instance says it is not ready and tells
//! its watchers to go elsewhere, and they, once on a healthy instance, miss nothing.

use std::time::Duration;

use super::cluster::{Cluster, Settings, now_ms};
use super::history::History;
use super::invariants;
use super::watcher::{Outcome, Watcher};
use crate::proxy::Proxy;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_moves_off_an_instance_cut_off_from_redis() {
    let cluster = Cluster::on_test_redis(&["v.mp4"]);
    cluster
        .bounded(async {
            let settings = Settings::new(40, 100);
            let proxy = Proxy::start(cluster.redis_address()).await;
            let mut a = cluster.spawn_via("a", &settings, &proxy.url()).await;
            let b = cluster.spawn("b", &settings).await;
            let mut on_a = Watcher::start("on_a", a.port, "v.mp4").await;
            let id = on_a.session_id.clone();
            let mut on_b = Watcher::join("on_b", b.port, &id, 1).await;
            on_b.until_seq(6).await;

            let cut_ms = now_ms();
            proxy.cut();
            assert!(
                a.await_status("/readyz", 503, Duration::from_secs(3)).await,
                "a's /readyz says 503 once it cannot reach Redis"
            );
            on_b.follow_to_end(&[b.port]).await;
            on_b.assert_complete();
            assert_eq!(on_b.reconnects, 0);

            let unavailable = |e: &crate::sio_client::Received| {
                e.name == "processing_error"
                    && e.data["code"] == "unavailable"
                    && e.data["session_id"] == id.as_str()
            };
            let told = on_a.until(Duration::from_secs(3), unavailable).await;
            assert_eq!(
                told,
                Outcome::Matched,
                "a tells its watchers to go elsewhere"
            );
            let last_from_a = on_a.last_seq();
            assert!(
                last_from_a < on_b.last_seq(),
                "a's watcher cannot have heard the end from a cut-off instance"
            );
            on_a.rejoin(b.port).await;
            on_a.follow_to_end(&[b.port]).await;
            on_a.assert_complete();
            assert_eq!(
                on_a.events.len(),
                on_b.events.len() + 1,
                "on_a also saw seq 1"
            );
            assert_eq!(
                a.http_status("/readyz").await,
                Some(503),
                "a is still cut off"
            );
            assert!(a.is_alive());

            let history = History::read(&cluster, &id).await;
            invariants::check(&history, settings.steps);
            let writers = history.writers();
            assert_eq!(writers.len(), 2, "a, then b: {writers:?}");
            let instances: Vec<&str> = history.starts().iter().map(|s| s.1).collect();
            assert_eq!(instances, ["a", "b"], "{:?}", history.runs);
            let taken_ms = history.by(writers[1])[0].ts;
            assert!(
                taken_ms.saturating_sub(cut_ms) <= settings.takeover_bound_ms(),
                "b's first write came {} ms after the cut (bound {} ms)",
                taken_ms.saturating_sub(cut_ms),
                settings.takeover_bound_ms()
            );
        })
        .await;
}
