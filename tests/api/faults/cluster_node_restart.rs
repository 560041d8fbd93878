//! On a 3-master Redis Cluster, one master goes away mid-run and comes back (same
//! port, same node file and append-only file): every session completes, every
//! watcher gets every event once, half of the sessions having their keys on the
//! restarted master.

use std::time::Duration;

use tokio::task::block_in_place;

use super::cluster::{Cluster, Settings};
use super::pairs::{follow_and_check, watched_from_both};
use super::redis_proc::RedisProcess;
use crate::redis_cluster;
use reprise::session::VideoTag;

use crate::redis_server::{query, unique_prefix};

/// Shorter than the cluster's node timeout (2 s): the other masters keep serving.
const OUTAGE: Duration = Duration::from_millis(800);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_and_watchers_ride_out_a_restart_of_a_cluster_master() {
    let mut nodes: Vec<RedisProcess> = block_in_place(|| {
        let nodes: Vec<RedisProcess> = (0..3)
            .map(|_| {
                let args = redis_cluster::node_args();
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                RedisProcess::start_with(&args)
            })
            .collect();
        redis_cluster::create(&nodes.iter().map(RedisProcess::port).collect::<Vec<_>>());
        nodes
    });
    let ports: Vec<u16> = nodes.iter().map(RedisProcess::port).collect();
    let videos = half_on(ports[0], 6);
    let names: Vec<&str> = videos.iter().map(String::as_str).collect();
    let cluster = Cluster::on(redis_cluster::url(&ports), unique_prefix("f"), &names);
    cluster
        .bounded(async {
            let mut settings = Settings::new(40, 100);
            settings.lease_ttl_ms = 3_000;
            let a = cluster.spawn("a", &settings).await;
            let b = cluster.spawn("b", &settings).await;
            let mut watchers = Vec::new();
            for (n, video) in names.iter().enumerate() {
                let (owner, other) = if n % 2 == 0 { (&a, &b) } else { (&b, &a) };
                watchers.extend(watched_from_both(video, owner, other).await);
            }
            for (watcher, _) in &mut watchers {
                watcher.until_seq(5).await;
            }

            block_in_place(|| nodes[0].shutdown());
            tokio::time::sleep(OUTAGE).await;
            block_in_place(|| {
                nodes[0].restart();
                redis_cluster::await_ok(&ports);
            });

            follow_and_check(&cluster, &mut watchers, settings.steps).await;
        })
        .await;
}

/// `count` video names, half of whose keys live on the master at `port` (the one to
/// restart) and half elsewhere.
fn half_on(port: u16, count: usize) -> Vec<String> {
    let (mut on, mut off) = (Vec::new(), Vec::new());
    for n in 0.. {
        let video = format!("v{n}.mp4");
        let tag = VideoTag::of(&video);
        let shard = &tag.as_str()[..1];
        // A node answers a key of its own slots itself, and any other with MOVED.
        let reply = query(port, &format!("EXISTS x{{{shard}}}")).expect("the node answers");
        let side = if reply.starts_with("-MOVED") {
            &mut off
        } else {
            &mut on
        };
        if side.len() < count / 2 {
            side.push(video);
        }
        if on.len() + off.len() == count {
            break;
        }
    }
    on.into_iter().chain(off).collect()
}
