//! Redis goes away mid-run and comes back (same port, same append-only file): every
//! session completes, every watcher gets every event once, and `/readyz` says 503
//! while Redis is away and 200 once it is back.

use std::time::Duration;

use tokio::task::block_in_place;

use super::cluster::{Cluster, Settings};
use super::instance::Instance;
use super::pairs::{follow_and_check, watched_from_both};
use super::redis_proc::RedisProcess;

const OUTAGE: Duration = Duration::from_millis(500);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_and_watchers_ride_out_a_redis_restart() {
    let mut redis = RedisProcess::start();
    let prefix = format!(
        "faults_{}_{:08x}",
        std::process::id(),
        rand::random::<u32>()
    );
    let videos = ["v1.mp4", "v2.mp4", "v3.mp4"];
    let cluster = Cluster::on(redis.url(), prefix, &videos);
    cluster
        .bounded(async {
            let mut settings = Settings::new(40, 100);
            settings.lease_ttl_ms = 3_000;
            let a = cluster.spawn("a", &settings).await;
            let b = cluster.spawn("b", &settings).await;
            let owners = [&a, &a, &b];
            let mut watchers = Vec::new();
            for (video, owner) in videos.iter().zip(owners) {
                let other = if owner.id == "a" { &b } else { &a };
                watchers.extend(watched_from_both(video, owner, other).await);
            }
            for (watcher, _) in &mut watchers {
                watcher.until_seq(5).await;
            }

            block_in_place(|| redis.shutdown());
            let unready = unready_during(&[&a, &b], OUTAGE).await;
            block_in_place(|| redis.restart());
            assert_eq!(
                unready,
                [true, true],
                "/readyz of a and b during the outage"
            );
            for instance in [&a, &b] {
                assert!(
                    instance
                        .await_status("/readyz", 200, Duration::from_secs(5))
                        .await,
                    "/readyz of {} is 200 again once Redis is back",
                    instance.id
                );
            }

            follow_and_check(&cluster, &mut watchers, settings.steps).await;
        })
        .await;
}

/// Polls every instance's `/readyz` for `outage`; whether each answered 503 at least once.
async fn unready_during(instances: &[&Instance], outage: Duration) -> Vec<bool> {
    let mut unready = vec![false; instances.len()];
    let deadline = tokio::time::Instant::now() + outage;
    while tokio::time::Instant::now() < deadline {
        for (i, instance) in instances.iter().enumerate() {
            unready[i] |= instance.http_status("/readyz").await == Some(503);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    unready
}
