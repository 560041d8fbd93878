//! Invariant 1 through the balancer: clients spread round robin over the three
//! instances ask for the same videos at the same moment; each video gets one
//! session and one `processing_started`, and every other client joins that session.

use futures_util::future::join_all;
use serde_json::json;

use super::harness::{self, Topology, TopologyRedis};
use crate::faults::cluster::Settings;
use crate::redis_server::TestRedis;
use crate::sio_client::{Received, SioClient};

const VIDEOS: usize = 3;
const CLIENTS_PER_VIDEO: usize = 12;

/// Runs long enough that every claim finds its video still processing.
pub fn settings() -> Settings {
    harness::settings(100, 50)
}

pub async fn scenario(topology: &Topology) {
    let videos: Vec<String> = (0..VIDEOS)
        .map(|i| topology.video(&format!("race/{i}.mp4")))
        .collect();
    let claims_before = topology.metric_of_each("reprise_claims_total").await;
    let hits_before = topology
        .metric_of_each("reprise_claim_dedup_hits_total")
        .await;
    let mut clients = Vec::new();
    for _ in 0..CLIENTS_PER_VIDEO {
        for video in &videos {
            clients.push((video, SioClient::connect(topology.lb_port).await));
        }
    }
    for (video, client) in &clients {
        client.emit("start_processing", json!({ "video_path": video }));
    }
    let replies = join_all(clients.iter_mut().map(|(_, client)| client.next())).await;

    let mut session_ids = Vec::new();
    for video in &videos {
        let answers: Vec<&Received> = clients
            .iter()
            .zip(&replies)
            .filter(|((v, _), _)| v == &video)
            .map(|(_, reply)| reply)
            .collect();
        let started: Vec<&&Received> = answers
            .iter()
            .filter(|r| r.name == "processing_started")
            .collect();
        assert_eq!(started.len(), 1, "{video}: one creator: {answers:#?}");
        let id = started[0].data["session_id"].as_str().unwrap().to_owned();
        for answer in &answers {
            assert_eq!(
                answer.data["session_id"],
                id.as_str(),
                "{video}: {answer:?}"
            );
            assert_eq!(answer.data["video_path"], video.as_str(), "{answer:?}");
            if answer.name != "processing_started" {
                assert_eq!(answer.name, "resume_session", "{video}: {answer:?}");
            }
        }
        session_ids.push(id);
    }

    let claims = difference(
        topology.metric_of_each("reprise_claims_total").await,
        claims_before,
    );
    let hits = difference(
        topology
            .metric_of_each("reprise_claim_dedup_hits_total")
            .await,
        hits_before,
    );
    assert!(
        claims.iter().all(|&n| n > 0),
        "nginx spread the claims over every instance: {claims:?}"
    );
    let everyone = (VIDEOS * CLIENTS_PER_VIDEO) as u64;
    assert_eq!(claims.iter().sum::<u64>(), everyone, "{claims:?}");
    assert_eq!(
        hits.iter().sum::<u64>(),
        everyone - VIDEOS as u64,
        "every claim but the first of each video found it running: {hits:?}"
    );

    let listed = topology.sessions(None).await;
    for (video, id) in videos.iter().zip(&session_ids) {
        let of_video: Vec<_> = listed
            .iter()
            .filter(|s| s["video_path"] == video.as_str())
            .collect();
        assert_eq!(
            of_video.len(),
            1,
            "{video}: one session stored: {listed:#?}"
        );
        assert_eq!(of_video[0]["session_id"], id.as_str(), "{video}");
        let history = topology.history(id).await;
        assert_eq!(history.starts().len(), 1, "{video}: {:?}", history.runs);
    }
}

fn difference<const N: usize>(after: [u64; N], before: [u64; N]) -> [u64; N] {
    std::array::from_fn(|i| after[i] - before[i])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_on_every_instance_starting_the_same_videos_at_once_share_one_session_each() {
    let topology = Topology::up(TopologyRedis::Own, settings()).await;
    topology.bounded(scenario(&topology)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dedup_race_holds_on_a_redis_the_topology_is_given_by_url() {
    let redis = TestRedis::get();
    let given = TopologyRedis::Url(redis.url.clone(), redis.prefix.clone());
    let topology = Topology::up(given, settings()).await;
    topology.bounded(scenario(&topology)).await;
}
