//! Invariant 6 through the balancer: with watchers on every instance, the instance
//! running the session gets SIGKILL. Its watchers reconnect through nginx and
//! rejoin; another instance takes the run over within lease TTL + scan + slack and
//! finishes it from the checkpoint; no watcher sees a gap or a repeat.

use futures_util::future::join_all;

use super::follow;
use super::harness::{self, INSTANCES, Topology, TopologyRedis, instance_number};
use crate::faults::cluster::{Settings, now_ms};
use crate::faults::invariants;
use crate::faults::watcher::Watcher;

/// Joins tried until every instance holds a watcher.
const MAX_WATCHERS: usize = 9;

pub fn settings() -> Settings {
    harness::settings(80, 100)
}

pub async fn scenario(topology: &Topology) {
    let lb = topology.lb_port;
    let video = topology.video("kill.mp4");
    let mut watchers = vec![topology.placed(Watcher::start("starter", lb, &video)).await];
    let id = watchers[0].0.session_id.clone();
    while !(1..=INSTANCES).all(|n| watchers.iter().any(|(_, on)| *on == n)) {
        assert!(
            watchers.len() < MAX_WATCHERS,
            "nginx left an instance without a watcher after {MAX_WATCHERS} joins"
        );
        let name = format!("watcher-{}", watchers.len());
        watchers.push(topology.placed(Watcher::join(&name, lb, &id, 0)).await);
    }
    for (watcher, _) in &mut watchers {
        watcher.until_seq(5).await;
    }
    let owner = topology.owner(&id).await;
    assert_eq!(
        owner, watchers[0].1,
        "the instance that created the session runs it"
    );

    let killed_ms = now_ms();
    topology.run(&["kill", &owner.to_string()]).await;
    let status = topology.run(&["status"]).await;
    let line = status
        .lines()
        .find(|l| l.contains(&format!("reprise-{owner}")));
    assert!(
        line.is_some_and(|l| l.contains("down")),
        "status after the kill:\n{status}"
    );
    join_all(
        watchers
            .iter_mut()
            .map(|(w, _)| follow::follow_to_end(w, lb)),
    )
    .await;

    let history = topology.history(&id).await;
    invariants::check(&history, topology.settings.steps);
    for (watcher, on) in &watchers {
        watcher.assert_complete();
        assert_eq!(
            watcher.events.len(),
            history.entries.len(),
            "{}",
            watcher.name
        );
        let dropped = usize::from(*on == owner);
        assert_eq!(
            watcher.reconnects, dropped,
            "{} on reprise-{on}: only the killed instance's watchers reconnect",
            watcher.name
        );
    }
    let starts = history.starts();
    assert_eq!(starts.len(), 2, "{:?}", history.runs);
    let (killed, heir) = (starts[0], starts[1]);
    assert_eq!(instance_number(killed.1), owner, "{:?}", history.runs);
    assert_ne!(instance_number(heir.1), owner, "{:?}", history.runs);
    assert_eq!(
        history.end_of(killed.0),
        None,
        "a killed process writes no end"
    );
    assert_eq!(history.writers(), [killed.0, heir.0]);
    let taken_after = history.by(heir.0)[0].ts.saturating_sub(killed_ms);
    assert!(
        taken_after <= topology.settings.takeover_bound_ms(),
        "{} took over {taken_after} ms after the kill (bound {} ms)",
        heir.1,
        topology.settings.takeover_bound_ms()
    );
    let complete = topology.sessions(Some("complete")).await;
    assert!(
        complete.iter().any(|s| s["session_id"] == id.as_str()),
        "{complete:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_instances_session_is_taken_over_and_its_watchers_rejoin_through_nginx() {
    let topology = Topology::up(TopologyRedis::Own, settings()).await;
    topology.bounded(scenario(&topology)).await;
}
