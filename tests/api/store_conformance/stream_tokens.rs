//! Redis only: what the fault tests read straight from Redis, namely every stream
//! entry's writer token (`o`) and the lease-deadline index.

use redis::AsyncCommands;
use reprise::session::SessionId;
use reprise::store::redis::{Keys, RedisStore};
use reprise::store::{Store, TakeOver};

use super::{KEEP_ALL, created, let_expire, progress, request, taken};
use crate::redis_server::TestRedis;

/// The `o` field of every entry of the session's stream, in order.
async fn writer_tokens(
    conn: &mut redis::aio::MultiplexedConnection,
    keys: &Keys,
    id: &SessionId,
) -> Vec<u64> {
    let entries: Vec<(String, Vec<String>)> = redis::cmd("XRANGE")
        .arg(keys.events(id))
        .arg("-")
        .arg("+")
        .query_async(conn)
        .await
        .expect("XRANGE");
    entries
        .iter()
        .map(|(entry, fields)| {
            let token = fields.chunks(2).find(|pair| pair[0] == "o");
            let token = token.unwrap_or_else(|| panic!("entry {entry} lacks o: {fields:?}"));
            token[1].parse().expect("o is a number")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stream_entries_carry_their_writers_token() {
    let redis = TestRedis::get();
    let keys = Keys::new(redis.prefix.clone());
    let store = RedisStore::connect(&redis.url, &redis.prefix, KEEP_ALL)
        .await
        .expect("connect");
    let client = redis::Client::open(redis.url.as_str()).expect("client");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connection");
    let score = async |conn: &mut redis::aio::MultiplexedConnection, id: &SessionId| {
        let score: Option<f64> = conn
            .zscore(keys.leases(&id.tag()[..1]), id.as_str())
            .await
            .expect("ZSCORE");
        score
    };

    let (first, _) = created(&store, &request("a.mp4")).await;
    let id = first.session_id.clone();
    store.append(&first, &progress(10.0)).await.expect("append");
    let_expire(&store, &first).await;
    let (second, _) = taken(&store, &id, "i2").await;
    store
        .append(&second, &progress(20.0))
        .await
        .expect("append");
    assert!(score(&mut conn, &id).await.is_some_and(|s| s > 0.0));
    assert!(store.hand_over(&second).await.expect("hand_over"));
    assert_eq!(
        score(&mut conn, &id).await,
        Some(0.0),
        "handed over, not indexed at 0"
    );
    let (third, _) = taken(&store, &id, "i3").await;
    store.append(&third, &progress(30.0)).await.expect("append");
    let_expire(&store, &third).await;
    let gave_up = store
        .take_over(&id, "i4", 30_000, 2)
        .await
        .expect("take_over");
    assert!(matches!(gave_up, TakeOver::GaveUp(_)), "{gave_up:?}");
    assert_eq!(
        score(&mut conn, &id).await,
        None,
        "an ended session is indexed"
    );
    let tokens = writer_tokens(&mut conn, &keys, &id).await;
    let expected = [
        first.token,
        first.token,
        second.token,
        third.token,
        third.token + 1,
    ];
    assert_eq!(tokens, expected, "giving up writes under a fresh token");
    assert!(first.token < second.token && second.token < third.token);

    let (lease, other) = created(&store, &request("b.mp4")).await;
    store.cancel(&other.session_id).await.expect("cancel");
    let tokens = writer_tokens(&mut conn, &keys, &other.session_id).await;
    assert_eq!(
        tokens,
        [lease.token, lease.token + 1],
        "cancel writes under the moved-on fence"
    );
}
