//! Cross-instance behaviour through a load balancer, on the topology that
//! `scripts/cluster` runs: Redis, three `reprise` instances, and nginx balancing
//! them round robin without stickiness. Clients connect to nginx only. Each scenario
//! is a function of a running topology, with the instance settings it needs, so the
//! same scenario runs on the topology's own Redis or on any Redis named by URL: every
//! scenario but placement and listing also runs on a 3-master Redis Cluster.

mod cluster_dir;
pub(crate) mod dedup;
mod follow;
pub(crate) mod harness;
pub(crate) mod kill;
mod listing;
mod on_redis_cluster;
mod placement;
pub(crate) mod rejoin;
pub(crate) mod rolling;
mod script;
