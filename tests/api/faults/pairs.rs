//! Sessions watched from two instances at once: started on its owner, joined from the
//! other, each watcher following the instance it is on; at the end every watcher has
//! every event and each session's record passes the invariants.

use super::cluster::Cluster;
use super::history::History;
use super::instance::Instance;
use super::invariants;
use super::watcher::Watcher;

/// A watcher and the port of the instance it follows.
pub type Watched = (Watcher, u16);

/// Starts `video` on `owner` and joins it from `other` (with `last_seq` 1); the
/// starter comes first.
pub async fn watched_from_both(video: &str, owner: &Instance, other: &Instance) -> [Watched; 2] {
    let started = Watcher::start(&format!("{video}@{}", owner.id), owner.port, video).await;
    let id = started.session_id.clone();
    let joined = Watcher::join(&format!("{video}@{}", other.id), other.port, &id, 1).await;
    [(started, owner.port), (joined, other.port)]
}

/// Follows every watcher to its session's end, then checks each session (once per
/// pair) against the invariants for runs of `steps` steps.
pub async fn follow_and_check(cluster: &Cluster, watchers: &mut [Watched], steps: u32) {
    for (watcher, port) in watchers.iter_mut() {
        watcher.follow_to_end(&[*port]).await;
        watcher.assert_complete();
    }
    for (watcher, _) in watchers.iter().step_by(2) {
        let history = History::read(cluster, &watcher.session_id).await;
        invariants::check(&history, steps);
    }
}
