//! Invariant 6: the owner is killed (SIGKILL, no goodbye); another instance takes the
//! run over within lease TTL + one scan and continues from the checkpoint.

use super::cluster::{Cluster, Settings, now_ms};
use super::history::History;
use super::invariants;
use super::watcher::Watcher;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_owners_run_is_taken_over_and_continues_from_its_checkpoint() {
    killed_owner(Cluster::on_test_redis(&["v.mp4"])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_redis_cluster_a_killed_owners_run_is_taken_over() {
    killed_owner(Cluster::on_test_redis_cluster(&["v.mp4"])).await;
}

async fn killed_owner(cluster: Cluster) {
    cluster
        .bounded(async {
            let settings = Settings::new(40, 100);
            let mut a = cluster.spawn("a", &settings).await;
            let b = cluster.spawn("b", &settings).await;
            let mut on_a = Watcher::start("on_a", a.port, "v.mp4").await;
            let id = on_a.session_id.clone();
            let mut on_b = Watcher::join("on_b", b.port, &id, 1).await;
            on_b.until_seq(8).await;

            let killed_ms = now_ms();
            a.kill9().await;
            let seen_before = on_b.events.last().unwrap().data["progress"].clone();
            on_b.follow_to_end(&[b.port]).await;
            on_a.follow_to_end(&[b.port]).await;
            on_b.assert_complete();
            on_a.assert_complete();
            assert_eq!(on_b.reconnects, 0, "b's watcher keeps its socket");
            assert_eq!(on_a.reconnects, 1, "a's watcher lost its socket with a");

            let history = History::read(&cluster, &id).await;
            invariants::check(&history, settings.steps);
            let starts = history.starts();
            let instances: Vec<&str> = starts.iter().map(|s| s.1).collect();
            assert_eq!(instances, ["a", "b"], "{:?}", history.runs);
            let (ta, tb) = (starts[0].0, starts[1].0);
            assert!(ta < tb, "{:?}", history.runs);
            assert_eq!(
                history.end_of(ta),
                None,
                "a killed process writes no end line"
            );
            assert_eq!(
                history.end_of(tb).and_then(|r| r.how.as_deref()),
                Some("finished")
            );
            assert_eq!(history.writers(), [ta, tb]);

            let taken_ms = history.by(tb)[0].ts;
            assert!(
                taken_ms.saturating_sub(killed_ms) <= settings.takeover_bound_ms(),
                "b's first write came {} ms after the kill (bound {} ms)",
                taken_ms.saturating_sub(killed_ms),
                settings.takeover_bound_ms()
            );
            let first_after = history.by(tb)[0].data["progress"].as_f64().unwrap();
            assert!(
                first_after >= seen_before.as_f64().unwrap(),
                "progress after the takeover {first_after} < {seen_before} seen before it"
            );
            let result = &history.entries.last().unwrap().data["result"];
            let a_steps = history.steps().iter().filter(|s| s.1 == Some(ta)).count();
            assert_eq!(
                result["resumed_from_step"].as_u64(),
                Some(a_steps as u64),
                "b resumed after a's last recorded step: {result}"
            );
        })
        .await;
}
