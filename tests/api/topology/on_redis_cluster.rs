//! The cross-instance scenarios through nginx again, with the instances on a 3-master
//! Redis Cluster (sharded pub/sub, one slot per script) instead of one Redis.

use super::harness::{Topology, TopologyRedis};
use super::{dedup, kill, rejoin, rolling};
use crate::faults::cluster::Settings;
use crate::redis_cluster::TestRedisCluster;

/// Brings the topology up on a cluster of its own (or the run's shared one), which
/// lives as long as the topology.
async fn up(settings: Settings) -> (Topology, TestRedisCluster) {
    let cluster = tokio::task::spawn_blocking(TestRedisCluster::get)
        .await
        .expect("the Redis Cluster starts");
    let given = TopologyRedis::Url(cluster.url.clone(), cluster.prefix.clone());
    (Topology::up(given, settings).await, cluster)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_redis_cluster_clients_starting_the_same_videos_share_one_session_each() {
    let (topology, _cluster) = up(dedup::settings()).await;
    topology.bounded(dedup::scenario(&topology)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_redis_cluster_a_watcher_rejoining_elsewhere_misses_nothing() {
    let (topology, _cluster) = up(rejoin::settings()).await;
    topology.bounded(rejoin::scenario(&topology)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_redis_cluster_a_killed_instances_session_is_taken_over() {
    let (topology, _cluster) = up(kill::settings()).await;
    topology.bounded(kill::scenario(&topology)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_redis_cluster_a_rolling_restart_under_live_watchers_loses_nothing() {
    let (topology, _cluster) = up(rolling::settings()).await;
    topology.bounded(rolling::scenario(&topology)).await;
}
