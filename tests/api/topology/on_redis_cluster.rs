//! The cross-instance scenarios through nginx again, with the instances on a 3-master
//! Redis Cluster (sharded pub/sub, one slot per script) instead of one Redis.

use super::harness::{Topology, TopologyRedis};
use super::{dedup, kill, rejoin, rolling};
use crate::faults::cluster::Settings;
use crate::redis_cluster::TestRedisCluster;

/// Brings the topology up on a cluster of its own (or the run's shared one). The
/// cluster comes first in the pair: bound in that order, the topology is dropped (its
/// instances drained) before the cluster it drains to.
async fn up(settings: Settings) -> (TestRedisCluster, Topology) {
    let cluster = tokio::task::spawn_blocking(TestRedisCluster::get)
        .await
        .expect("the Redis Cluster starts");
    let given = TopologyRedis::Url(cluster.url.clone(), cluster.prefix.clone());
    let topology = Topology::up(given, settings).await;
    (cluster, topology)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_redis_cluster_clients_starting_the_same_videos_share_one_session_each() {
    let (_cluster, topology) = up(dedup::settings()).await;
    topology.bounded(dedup::scenario(&topology)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_redis_cluster_a_watcher_rejoining_elsewhere_misses_nothing() {
    let (_cluster, topology) = up(rejoin::settings()).await;
    topology.bounded(rejoin::scenario(&topology)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_redis_cluster_a_killed_instances_session_is_taken_over() {
    let (_cluster, topology) = up(kill::settings()).await;
    topology.bounded(kill::scenario(&topology)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_redis_cluster_a_rolling_restart_under_live_watchers_loses_nothing() {
    let (_cluster, topology) = up(rolling::settings()).await;
    topology.bounded(rolling::scenario(&topology)).await;
}
