//! A throwaway 3-master Redis Cluster on loopback (three `redis-server --cluster-enabled
//! yes`, joined by `redis-cli --cluster create`), or the run's shared one named by
//! `REPRISE_TEST_REDIS_CLUSTER_URL`; either way with a key prefix of its own per use.

use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::redis_server::{RedisServer, free_port, query, unique_prefix};

/// Names the cluster to use instead of starting one (`redis+cluster://h:p,h:p`).
pub const URL_VARIABLE: &str = "REPRISE_TEST_REDIS_CLUSTER_URL";
const MASTERS: usize = 3;
const READY_WITHIN: Duration = Duration::from_secs(20);

/// Three master nodes, together serving all 16,384 slots; killed on drop.
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts the nodes, creates the cluster and waits until every node says it is ok.
    pub fn start() -> Self {
        let nodes: Vec<RedisServer> = (0..MASTERS)
            .map(|_| {
                let args = node_args();
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                RedisServer::start_with(&args)
            })
            .collect();
        let ports: Vec<u16> = nodes.iter().map(RedisServer::port).collect();
        create(&ports);
        Self { nodes }
    }

    /// `redis+cluster://` with every node as a seed.
    pub fn url(&self) -> String {
        let ports: Vec<u16> = self.nodes.iter().map(RedisServer::port).collect();
        url(&ports)
    }

    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }
}

/// The arguments that make a `redis-server` a cluster node, its bus on a free port.
pub fn node_args() -> Vec<String> {
    let bus = free_port().to_string();
    [
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        "nodes.conf",
        "--cluster-port",
        &bus,
        "--cluster-node-timeout",
        "2000",
    ]
    .map(String::from)
    .to_vec()
}

/// `redis+cluster://` with the nodes on these loopback ports as seeds.
pub fn url(ports: &[u16]) -> String {
    let seeds: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    format!("redis+cluster://{}", seeds.join(","))
}

/// Joins the nodes on these loopback ports into one cluster of masters, the slots
/// shared evenly, and waits until every node says it is ok.
pub fn create(ports: &[u16]) {
    let addresses: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let created = Command::new("redis-cli")
        .args(["--cluster", "create"])
        .args(&addresses)
        .args(["--cluster-replicas", "0", "--cluster-yes"])
        .output()
        .expect("redis-cli runs (it comes with redis-server's package, redis-tools)");
    assert!(
        created.status.success(),
        "redis-cli --cluster create failed: {}{}",
        String::from_utf8_lossy(&created.stdout),
        String::from_utf8_lossy(&created.stderr)
    );
    await_ok(ports);
}

/// Waits until every node on these ports says the cluster is ok and knows them all.
pub fn await_ok(ports: &[u16]) {
    let deadline = Instant::now() + READY_WITHIN;
    let known = format!("cluster_known_nodes:{}", ports.len());
    for &port in ports {
        loop {
            let info = query(port, "CLUSTER INFO").unwrap_or_default();
            if info.contains("cluster_state:ok") && info.contains(&known) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the cluster was not ok within {READY_WITHIN:?}: {info}"
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A Redis Cluster to test against, with a key prefix no other use shares.
pub struct TestRedisCluster {
    pub url: String,
    pub prefix: String,
    /// The cluster started for this use, when `REPRISE_TEST_REDIS_CLUSTER_URL` is unset.
    _cluster: Option<RedisCluster>,
}

impl TestRedisCluster {
    /// The run's shared cluster if the variable names one, else a fresh cluster.
    pub fn get() -> Self {
        let prefix = unique_prefix("c");
        match std::env::var(URL_VARIABLE) {
            Ok(url) if !url.is_empty() => Self {
                url,
                prefix,
                _cluster: None,
            },
            _ => {
                let cluster = RedisCluster::start();
                Self {
                    url: cluster.url(),
                    prefix,
                    _cluster: Some(cluster),
                }
            }
        }
    }
}

#[test]
fn a_started_cluster_has_three_masters_sharing_every_slot() {
    let cluster = RedisCluster::start();
    let mut owned = 0;
    for node in cluster.nodes() {
        let info = node.query("CLUSTER INFO").expect("a node answers");
        assert!(info.contains("cluster_size:3"), "{info}");
        assert!(info.contains("cluster_slots_assigned:16384"), "{info}");
        let myself = node.query("CLUSTER MYID").expect("a node answers");
        assert_eq!(myself.len(), 40, "{myself}");
        owned += 1;
    }
    assert_eq!(owned, MASTERS);
    assert!(cluster.url().starts_with("redis+cluster://127.0.0.1:"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_of_many_videos_spread_over_every_master() {
    use reprise::store::redis::RedisStore;
    use reprise::store::{Claim, Store};

    let cluster = tokio::task::spawn_blocking(RedisCluster::start)
        .await
        .unwrap();
    let store = RedisStore::connect(&cluster.url(), "spread", crate::store_conformance::KEEP_ALL)
        .await
        .expect("the store connects to the cluster");
    for n in 0..32 {
        let request = crate::store_conformance::request(&format!("v{n}.mp4"));
        let claim = store.claim(&request).await.expect("claim");
        assert!(matches!(claim, Claim::Created(..)), "v{n}: {claim:?}");
    }
    for node in cluster.nodes() {
        let keys = node.query("DBSIZE").expect("a node answers");
        let keys: u64 = keys.trim_start_matches(':').parse().expect("a count");
        assert!(keys > 0, "node {} holds no key", node.port());
    }
}

/// A test's own connection to a Redis URL as the server reads it: a single server, or
/// a cluster by `redis+cluster://` (each command routed by its key's slot).
#[derive(Clone)]
pub enum AnyConnection {
    Single(redis::aio::MultiplexedConnection),
    Cluster(redis::cluster_async::ClusterConnection),
}

impl AnyConnection {
    pub async fn open(url: &str) -> Self {
        use reprise::store::redis::Target;
        match Target::parse(url, false).expect("a Redis URL") {
            Target::Single(url) => Self::Single(
                redis::Client::open(url.as_str())
                    .unwrap()
                    .get_multiplexed_async_connection()
                    .await
                    .expect("the test connects to Redis"),
            ),
            Target::Cluster(seeds) => Self::Cluster(
                redis::cluster::ClusterClient::new(seeds)
                    .unwrap()
                    .get_async_connection()
                    .await
                    .expect("the test connects to the Redis Cluster"),
            ),
        }
    }
}

impl redis::aio::ConnectionLike for AnyConnection {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        match self {
            Self::Single(conn) => conn.req_packed_command(cmd),
            Self::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        match self {
            Self::Single(conn) => conn.req_packed_commands(pipeline, offset, count),
            Self::Cluster(conn) => conn.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(conn) => conn.get_db(),
            Self::Cluster(conn) => conn.get_db(),
        }
    }
}
