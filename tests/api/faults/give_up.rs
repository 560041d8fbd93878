//! A session that keeps losing its owner is not taken over forever: after
//! `REPRISE_MAX_TAKEOVERS` takeovers it ends with `processing_error`
//! (`processing_failed`), and its watchers hear so.

use super::cluster::{Cluster, Settings};
use super::history::History;
use super::watcher::Watcher;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_that_keeps_losing_its_owner_fails() {
    let cluster = Cluster::on_test_redis(&["v.mp4"]);
    cluster
        .bounded(async {
            let mut settings = Settings::new(60, 100);
            settings.extra.push(("REPRISE_MAX_TAKEOVERS", "1".into()));
            let mut a = cluster.spawn("a", &settings).await;
            let mut b = cluster.spawn("b", &settings).await;
            let on_a = Watcher::start("on_a", a.port, "v.mp4").await;
            let id = on_a.session_id.clone();
            let mut on_b = Watcher::join("on_b", b.port, &id, 1).await;
            on_b.until_seq(5).await;
            a.kill9().await;
            on_b.until_seq(on_b.last_seq() + 3).await;
            let c = cluster.spawn("c", &settings).await;
            let mut on_c = Watcher::join("on_c", c.port, &id, on_b.last_seq()).await;
            b.kill9().await;

            on_c.follow_to_end(&[c.port]).await;
            let last = on_c.events.last().unwrap();
            assert_eq!(last.name, "processing_error", "{last:?}");
            assert_eq!(last.data["code"], "processing_failed", "{last:?}");
            assert_eq!(last.data["status"], "failed", "{last:?}");

            let history = History::read(&cluster, &id).await;
            let instances: Vec<&str> = history.starts().iter().map(|s| s.1).collect();
            assert_eq!(instances, ["a", "b"], "no third run: {:?}", history.runs);
            let tokens: Vec<u64> = history.entries.iter().filter_map(|e| e.token).collect();
            assert!(
                tokens.windows(2).all(|w| w[0] <= w[1]),
                "fencing tokens went back along the stream (the failure must be written \
                 under a token at least the last owner's): {tokens:?}"
            );
            let kinds: Vec<&str> = history.entries.iter().map(|e| e.kind.as_str()).collect();
            assert_eq!(kinds.last(), Some(&"processing_error"), "{kinds:?}");
            assert_eq!(
                kinds
                    .iter()
                    .filter(|k| k.starts_with("processing_"))
                    .count(),
                2,
                "started, then only the failure: {kinds:?}"
            );
        })
        .await;
}
