//! Invariants 2 and 3 through the balancer: a watcher drops its socket, reconnects
//! through nginx onto another instance, rejoins with its `last_seq`, and gets every
//! event it missed, once and in order, then the live ones to the end.

use std::time::Duration;

use super::harness::{self, Topology, TopologyRedis};
use crate::faults::cluster::Settings;
use crate::faults::invariants;
use crate::faults::watcher::Watcher;

/// Events the session records while the watcher is away.
const MISSED: u64 = 5;
/// Reconnections tried until nginx puts the watcher on another instance.
const RECONNECTS: usize = 6;

pub fn settings() -> Settings {
    harness::settings(60, 50)
}

pub async fn scenario(topology: &Topology) {
    let lb = topology.lb_port;
    let video = topology.video("rejoin.mp4");
    let (mut watcher, first) = topology
        .placed(Watcher::start("rejoiner", lb, &video))
        .await;
    let id = watcher.session_id.clone();
    watcher.until_seq(5).await;

    let mut on = first;
    while on == first {
        assert!(
            watcher.reconnects < RECONNECTS,
            "nginx put {RECONNECTS} reconnections in a row on reprise-{first}"
        );
        watcher.client.close();
        assert!(watcher.client.wait_closed(Duration::from_secs(5)).await);
        topology.await_watchers(on, 0).await;
        let away_from = watcher.last_seq();
        recorded_beyond(topology, &id, away_from + MISSED).await;
        let replayed_before = topology
            .metric_of_each("reprise_events_replayed_total")
            .await;
        ((), on) = topology.placed(watcher.rejoin(lb)).await;
        let replayed = topology
            .metric_of_each("reprise_events_replayed_total")
            .await;
        assert!(
            replayed[on - 1] - replayed_before[on - 1] >= MISSED,
            "reprise-{on} replayed the events missed after seq {away_from}: \
             {replayed_before:?} then {replayed:?}"
        );
    }
    eprintln!(
        "started on reprise-{first}, rejoined on reprise-{on} after {} reconnection(s)",
        watcher.reconnects
    );

    watcher.follow_to_end(&[lb]).await;
    watcher.assert_complete();
    let history = topology.history(&id).await;
    invariants::check(&history, topology.settings.steps);
    let seen: Vec<u64> = watcher
        .events
        .iter()
        .map(|e| e.data["seq"].as_u64().unwrap())
        .collect();
    let recorded: Vec<u64> = history.entries.iter().map(|e| e.seq).collect();
    assert_eq!(seen, recorded, "the watcher saw every recorded event once");
}

/// Waits until the session has recorded an event with `seq >= n`.
async fn recorded_beyond(topology: &Topology, session_id: &str, n: u64) {
    let step = Duration::from_millis(topology.settings.step_ms);
    for _ in 0..(4 * n) {
        let history = topology.history(session_id).await;
        if history.entries.last().is_some_and(|e| e.seq >= n) {
            return;
        }
        tokio::time::sleep(step).await;
    }
    panic!("{session_id} recorded no seq {n} in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_reconnecting_onto_another_instance_gets_every_missed_event_once() {
    let topology = Topology::up(TopologyRedis::Own, settings()).await;
    topology.bounded(scenario(&topology)).await;
}
