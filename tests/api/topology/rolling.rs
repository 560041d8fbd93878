//! A rolling restart of all three instances, one by one, under live watchers loses
//! nothing: each draining instance hands its runs over and closes its sockets; the
//! watchers reconnect through nginx and rejoin; every session completes, none is
//! lost or duplicated, and no watcher sees a gap, a repeat or progress going back.

use std::time::{Duration, Instant};

use futures_util::future::join_all;

use super::follow;
use super::harness::{self, INSTANCES, Topology, TopologyRedis};
use crate::faults::cluster::Settings;
use crate::faults::history::History;
use crate::faults::invariants;
use crate::faults::watcher::Watcher;

const SESSIONS: usize = 4;
const WATCHERS_PER_SESSION: usize = 3;
/// The longest a watcher may go from a closed socket to its rejoin's answer.
const BACK_WITHIN: Duration = Duration::from_secs(2);

/// Runs of 15 s: long enough to outlive three restarts, each of which waits until
/// nginx routes to the restarted instance again (after the upstream `fail_timeout`).
pub fn settings() -> Settings {
    harness::settings(300, 50)
}

pub async fn scenario(topology: &Topology) {
    let lb = topology.lb_port;
    let mut watchers = Vec::new();
    for i in 0..SESSIONS {
        let video = topology.video(&format!("rolling/{i}.mp4"));
        watchers.push(Watcher::start(&format!("s{i}-starter"), lb, &video).await);
    }
    let ids: Vec<String> = watchers.iter().map(|w| w.session_id.clone()).collect();
    for (i, id) in ids.iter().enumerate() {
        for j in 1..WATCHERS_PER_SESSION {
            watchers.push(Watcher::join(&format!("s{i}-watcher-{j}"), lb, id, 0).await);
        }
    }
    for watcher in &mut watchers {
        watcher.until_seq(3).await;
    }
    let following: Vec<_> = watchers
        .into_iter()
        .map(|mut watcher| {
            tokio::spawn(async move {
                let returns = follow::follow_to_end(&mut watcher, lb).await;
                (watcher, returns)
            })
        })
        .collect();

    let pids_before = (1..=INSTANCES).map(|n| topology.pid(n)).collect::<Vec<_>>();
    let restart = Instant::now();
    topology.run(&["rolling-restart"]).await;
    eprintln!("the rolling restart took {:?}", restart.elapsed());
    for (n, before) in (1..=INSTANCES).zip(pids_before) {
        let after = topology.pid(n);
        assert!(
            before.is_some() && after.is_some() && before != after,
            "reprise-{n} was restarted: pid {before:?} then {after:?}"
        );
    }
    let complete = topology.sessions(Some("complete")).await;
    assert!(
        complete.is_empty(),
        "a session ended before the rolling restart did: the restart proves nothing"
    );

    let mut watchers = Vec::new();
    for followed in join_all(following).await {
        let (watcher, returns) = followed.expect("a watcher failed");
        eprintln!(
            "{}: {} rejoin(s), {returns:?}",
            watcher.name, watcher.reconnects
        );
        watcher.assert_complete();
        assert!(
            watcher.reconnects >= 1,
            "{}: its instance restarted under it, yet it never reconnected",
            watcher.name
        );
        assert_eq!(
            returns.failed_handshakes, 0,
            "{}: nginx refused a reconnection while two instances were up",
            watcher.name
        );
        assert!(
            returns.longest_away < BACK_WITHIN,
            "{}: away for {:?} at once",
            watcher.name,
            returns.longest_away
        );
        watchers.push(watcher);
    }

    let listed = topology.sessions(None).await;
    assert_eq!(
        listed.len(),
        SESSIONS,
        "no session lost or added: {listed:#?}"
    );
    for session in &listed {
        assert_eq!(session["status"], "complete", "{session}");
        assert!(ids.iter().any(|id| session["session_id"] == id.as_str()));
    }
    for id in &ids {
        let history = topology.history(id).await;
        invariants::check(&history, topology.settings.steps);
        handed_over_at_once(topology, &history);
        let recorded = history.entries.len();
        for watcher in watchers.iter().filter(|w| &w.session_id == id) {
            assert_eq!(watcher.events.len(), recorded, "{}", watcher.name);
        }
    }
}

/// Every run but the last ended by a hand-over (none was killed or fenced), the next
/// run starting before the lease could have expired; the last one finished.
fn handed_over_at_once(topology: &Topology, history: &History) {
    let runs = &history.runs;
    let starts = history.starts();
    assert!(starts.len() >= 2, "the session never moved: {runs:?}");
    for (i, (token, _)) in starts.iter().enumerate() {
        let end = history.end_of(*token).unwrap_or_else(|| panic!("{runs:?}"));
        let Some((next, _)) = starts.get(i + 1) else {
            assert_eq!(end.how.as_deref(), Some("finished"), "{runs:?}");
            continue;
        };
        assert_eq!(end.how.as_deref(), Some("handed_over"), "{runs:?}");
        let next_start = runs.iter().find(|r| r.start && r.token == *next).unwrap();
        assert!(
            next_start.ms.saturating_sub(end.ms) < topology.settings.lease_ttl_ms,
            "the run after a hand-over started {} ms later: {runs:?}",
            next_start.ms.saturating_sub(end.ms)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_of_every_instance_under_live_watchers_loses_nothing() {
    let topology = Topology::up(TopologyRedis::Own, settings()).await;
    topology.bounded(scenario(&topology)).await;
    let persistence = topology.redis_info("persistence").await;
    assert!(
        persistence.contains("aof_enabled:1"),
        "scripts/cluster runs its Redis with AOF on: {persistence}"
    );
}
