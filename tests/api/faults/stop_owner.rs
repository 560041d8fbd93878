//! A frozen owner (SIGSTOP past its lease) loses its run: another instance takes it
//! over, and when the owner thaws (SIGCONT) its writes are refused by the fencing
//! token. The thawed instance stays up; it only lost that run.

use std::time::Duration;

use super::cluster::{Cluster, Settings};
use super::history::History;
use super::invariants;
use super::watcher::Watcher;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thawed_owner_cannot_write_over_the_run_it_lost() {
    let cluster = Cluster::on_test_redis(&["v.mp4"]);
    cluster
        .bounded(async {
            let settings = Settings::new(40, 100);
            let mut a = cluster.spawn("a", &settings).await;
            let b = cluster.spawn("b", &settings).await;
            let mut on_a = Watcher::start("on_a", a.port, "v.mp4").await;
            let id = on_a.session_id.clone();
            let mut on_b = Watcher::join("on_b", b.port, &id, 1).await;
            on_b.until_seq(6).await;

            a.signal("STOP");
            let ta = *History::read(&cluster, &id)
                .await
                .writers()
                .first()
                .expect("a's writes carry its token");
            let deadline = tokio::time::Instant::now()
                + Duration::from_millis(settings.takeover_bound_ms() + 1_000);
            let tb = loop {
                let writers = History::read(&cluster, &id).await.writers();
                if let Some(tb) = writers.iter().find(|t| **t != ta) {
                    break *tb;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "nobody took the frozen owner's run over: writers {writers:?}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            tokio::time::sleep(Duration::from_millis(300)).await;
            a.signal("CONT");

            on_b.follow_to_end(&[b.port]).await;
            on_a.follow_to_end(&[a.port, b.port]).await;
            on_b.assert_complete();
            on_a.assert_complete();
            tokio::time::sleep(Duration::from_millis(settings.step_ms * 3)).await;
            assert!(a.is_alive(), "the thawed instance is still up");
            assert_eq!(a.http_status("/healthz").await, Some(200));

            let history = History::read(&cluster, &id).await;
            invariants::check(&history, settings.steps);
            assert!(ta < tb, "{:?}", history.runs);
            assert_eq!(
                history.writers(),
                [ta, tb],
                "a wrote nothing after b took over"
            );
            let instances: Vec<&str> = history.starts().iter().map(|s| s.1).collect();
            assert_eq!(instances, ["a", "b"], "{:?}", history.runs);
            if let Some(end) = history.end_of(ta) {
                assert_eq!(end.how.as_deref(), Some("lease_lost"), "{end:?}");
                assert_eq!(end.instance, "a");
            }
            assert_eq!(
                history.end_of(tb).and_then(|r| r.how.as_deref()),
                Some("finished")
            );
        })
        .await;
}
