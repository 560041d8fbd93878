//! The Store conformance suite, run against Redis and the embedded store.
//!
//! Each check is written once, as an async fn taking a [`Make`] that builds a fresh
//! backend, and [`conformance!`] turns it into one `#[tokio::test]` per backend:
//! `store_conformance::memory::<check>`, `store_conformance::redis::<check>` and
//! `store_conformance::redis_cluster::<check>` (a 3-master Redis Cluster).

mod events;
mod handover;
mod leases;
mod listing;
mod queue;
mod stream_tokens;
mod takeover;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;
use reprise::session::{Event, SessionId, Snapshot, Update, VideoTag};
use reprise::store::memory::MemoryStore;
use reprise::store::redis::{RedisFeed, RedisStore, Target};
use reprise::store::{
    Claim, ClaimRequest, EventPage, Feed, FeedMessage, Lease, Retention, Store, StoreError,
    TakeOver,
};
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::redis_cluster::TestRedisCluster;
use crate::redis_server::TestRedis;

/// The longest any one check may take before it counts as hung.
const CHECK_WITHIN: Duration = Duration::from_secs(60);
/// The longest a feed message may take to arrive.
const DELIVERY_WITHIN: Duration = Duration::from_secs(5);

/// A store, its feed and the feed's inbox, plus whatever keeps them alive.
pub struct Backend {
    pub store: Arc<dyn Store>,
    pub feed: Arc<dyn Feed>,
    pub inbox: mpsc::UnboundedReceiver<FeedMessage>,
    _redis: Option<TestRedis>,
    _cluster: Option<TestRedisCluster>,
}

/// Builds a fresh, empty backend with the given retention.
pub type Make = fn(Retention) -> BoxFuture<'static, Backend>;

/// Retention that trims nothing a check could notice.
pub const KEEP_ALL: Retention = Retention {
    events: 1_000,
    ms: 600_000,
    ended_ttl_ms: 600_000,
};

fn memory(retention: Retention) -> BoxFuture<'static, Backend> {
    Box::pin(async move {
        let (tx, inbox) = mpsc::unbounded_channel();
        let store = MemoryStore::new(retention, tx);
        Backend {
            store: store.clone(),
            feed: store,
            inbox,
            _redis: None,
            _cluster: None,
        }
    })
}

fn redis(retention: Retention) -> BoxFuture<'static, Backend> {
    Box::pin(async move {
        let redis = TestRedis::get();
        let mut backend = on_redis(&redis.url, &redis.prefix, retention).await;
        backend._redis = Some(redis);
        backend
    })
}

fn redis_cluster(retention: Retention) -> BoxFuture<'static, Backend> {
    Box::pin(async move {
        let cluster = tokio::task::spawn_blocking(TestRedisCluster::get)
            .await
            .expect("the cluster starts");
        let mut backend = on_redis(&cluster.url, &cluster.prefix, retention).await;
        backend._cluster = Some(cluster);
        backend
    })
}

/// The Redis store and feed at `url` (a server, or a cluster by `redis+cluster://`).
async fn on_redis(url: &str, prefix: &str, retention: Retention) -> Backend {
    let (tx, inbox) = mpsc::unbounded_channel();
    let store = RedisStore::connect(url, prefix, retention)
        .await
        .unwrap_or_else(|e| panic!("RedisStore::connect({url}): {e}"));
    let target = Target::parse(url, false).expect("a Redis URL");
    let feed = RedisFeed::start(&target, prefix, tx)
        .unwrap_or_else(|e| panic!("RedisFeed::start({url}): {e}"));
    Backend {
        store: Arc::new(store),
        feed: Arc::new(feed),
        inbox,
        _redis: None,
        _cluster: None,
    }
}

/// Runs a check, failing it if it does not finish within [`CHECK_WITHIN`].
async fn bounded(check: impl Future<Output = ()>) {
    tokio::time::timeout(CHECK_WITHIN, check)
        .await
        .unwrap_or_else(|_| panic!("check did not finish within {CHECK_WITHIN:?}"));
}

/// A claim of `path` as a processing instance would make it, with a fresh id.
pub fn request(path: &str) -> ClaimRequest {
    ClaimRequest {
        video_path: path.to_owned(),
        new_id: SessionId::generate(&VideoTag::of(path)),
        owner: "conformance".to_owned(),
        force: false,
        queued: false,
        lease_ttl_ms: 30_000,
    }
}

/// Claims `path`, which must create a session.
pub async fn created(store: &dyn Store, request: &ClaimRequest) -> (Lease, Snapshot) {
    match store.claim(request).await.expect("claim") {
        Claim::Created(lease, snapshot) => (lease, snapshot),
        other => panic!("expected Created for {}, got {other:?}", request.video_path),
    }
}

pub fn progress(value: f64) -> Update {
    Update::progress(value, Map::new(), None)
}

/// The events after `after`, which the store must answer.
pub async fn read_page(store: &dyn Store, id: &SessionId, after: u64, limit: usize) -> EventPage {
    store
        .events_after(id, after, limit)
        .await
        .expect("events_after")
}

/// The session as the store has it now.
pub async fn read_snapshot(store: &dyn Store, id: &SessionId) -> Option<Snapshot> {
    store.snapshot(id).await.expect("snapshot")
}

/// Asserts that `lease` can neither append, renew nor note a run, and that trying
/// changed nothing.
pub async fn assert_fenced(store: &dyn Store, lease: &Lease, why: &str) {
    let id = &lease.session_id;
    let before = (read_snapshot(store, id).await, read_log(store, id).await);
    match store.append(lease, &progress(99.0)).await {
        Err(StoreError::Fenced) => {}
        other => panic!("{why}: append gave {other:?}"),
    }
    let renewed = store.renew(lease, 30_000).await.expect("renew");
    assert!(!renewed, "{why}: renew succeeded");
    match store.note_run(lease, "stale owner").await {
        Err(StoreError::Fenced) => {}
        other => panic!("{why}: note_run gave {other:?}"),
    }
    let after = (read_snapshot(store, id).await, read_log(store, id).await);
    assert_eq!(after, before, "{why}: a refused write changed the session");
}

/// The session's run log, which the store must answer.
pub async fn read_log(store: &dyn Store, id: &SessionId) -> Vec<String> {
    store.run_log(id).await.expect("run_log")
}

/// Lets `lease` run out: renewed for 1 ms, then waited for well past that.
pub async fn let_expire(store: &dyn Store, lease: &Lease) {
    assert!(
        store.renew(lease, 1).await.expect("renew"),
        "a live lease renews"
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
}

/// The sessions whose lease has run out, as the store lists them.
pub async fn expired(store: &dyn Store) -> Vec<SessionId> {
    store.expired_leases(100).await.expect("expired_leases")
}

/// Takes the session over for `owner`, which must succeed.
pub async fn taken(store: &dyn Store, id: &SessionId, owner: &str) -> (Lease, Snapshot) {
    match store
        .take_over(id, owner, 30_000, 10)
        .await
        .expect("take_over")
    {
        TakeOver::Taken(lease, snapshot) => (lease, *snapshot),
        other => panic!("expected Taken for {id}, got {other:?}"),
    }
}

/// The event's payload, parsed.
pub fn payload(event: &Event) -> Value {
    serde_json::from_str(&event.json)
        .unwrap_or_else(|e| panic!("event {} is not JSON ({e}): {}", event.seq, event.json))
}

pub fn now_ms() -> u64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    since_epoch.as_millis() as u64
}

/// The next feed message, which must arrive within [`DELIVERY_WITHIN`].
pub async fn next_message(inbox: &mut mpsc::UnboundedReceiver<FeedMessage>) -> FeedMessage {
    tokio::time::timeout(DELIVERY_WITHIN, inbox.recv())
        .await
        .unwrap_or_else(|_| panic!("no feed message within {DELIVERY_WITHIN:?}"))
        .expect("the feed's inbox closed")
}

/// One `#[tokio::test]` per backend for each `module::check`.
macro_rules! conformance {
    ($($module:ident :: $check:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $check() {
                    super::bounded(super::$module::$check(super::memory)).await;
                }
            )*
        }

        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $check() {
                    super::bounded(super::$module::$check(super::redis)).await;
                }
            )*
        }

        mod redis_cluster {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $check() {
                    super::bounded(super::$module::$check(super::redis_cluster)).await;
                }
            )*
        }
    };
}

conformance! {
    leases::claim_creates_a_session_with_its_started_event,
    leases::claims_join_running_sessions_per_path,
    leases::concurrent_claims_create_exactly_one_session,
    leases::terminal_append_releases_the_lease,
    leases::cancel_revokes_the_owner,
    events::appends_number_events_without_gaps_and_keep_progress,
    events::events_after_pages_through_the_log,
    events::retention_trims_only_beyond_both_limits,
    events::feed_delivers_appended_events_in_order_until_unsubscribed,
    events::ended_sessions_expire_after_their_ttl,
    takeover::claim_of_an_orphan_changes_nothing,
    takeover::expired_leases_lists_only_leases_that_ran_out,
    takeover::take_over_of_a_live_or_ended_session_is_not_needed,
    takeover::stale_owner_is_fenced_after_takeover,
    takeover::takeovers_are_counted_and_bounded,
    handover::hand_over_lets_another_owner_continue_at_once,
    handover::run_log_round_trips_under_the_current_lease,
    queue::queued_sessions_are_taken_oldest_first_and_once,
    queue::sessions_no_longer_queued_are_skipped,
    listing::sessions_are_listed_newest_first_by_status_and_page,
    listing::expired_sessions_are_not_listed,
}
