use super::*;
use crate::session::VideoTag;

#[test]
fn video_keys_share_the_shard_hash_tag() {
    let keys = Keys::new("reprise");
    let tag = VideoTag::of("a/b.mp4");
    let tag = tag.as_str();
    let shard = &tag[..1];
    assert_eq!(keys.lock(tag), format!("reprise:{{{shard}}}:{tag}:lock"));
    assert_eq!(keys.fence(tag), format!("reprise:{{{shard}}}:{tag}:fence"));
    assert_eq!(
        keys.latest(tag),
        format!("reprise:{{{shard}}}:{tag}:latest")
    );
    assert_eq!(keys.base(tag), format!("reprise:{{{shard}}}:{tag}:"));
    assert_eq!(keys.leases(shard), format!("reprise:{{{shard}}}:leases"));
    assert_eq!(keys.queue(shard), format!("reprise:{{{shard}}}:queue"));
    assert_eq!(
        keys.sessions(shard),
        format!("reprise:{{{shard}}}:sessions")
    );
    assert_eq!(
        keys.handover(shard),
        format!("reprise:{{{shard}}}:handover")
    );
}

#[test]
fn session_keys_are_derived_from_the_base() {
    let keys = Keys::new("t1");
    let id = SessionId::generate(&VideoTag::of("x.mp4"));
    let base = keys.base(id.tag());
    assert_eq!(keys.session(&id), format!("{base}s:{id}"));
    assert_eq!(keys.events(&id), format!("{base}e:{id}"));
    assert_eq!(keys.channel(&id), format!("{base}c:{id}"));
    assert_eq!(keys.run_log(&id), format!("{base}r:{id}"));
    assert_eq!(
        keys.session(&id),
        format!("t1:{{{}}}:{}:s:{}", &id.tag()[..1], id.tag(), id.as_str())
    );
}

#[test]
fn every_tag_falls_in_one_of_the_shards() {
    for path in ["a.mp4", "b.mp4", "c/d.mp4", "é.mp4", ""] {
        let tag = VideoTag::of(path);
        assert!(SHARDS.contains(&shard_of(tag.as_str())), "{path}");
    }
    assert_eq!(shard_of(""), "0");
}

#[test]
fn channel_names_map_back_to_their_session() {
    let keys = Keys::new("p:q");
    let id = SessionId::generate(&VideoTag::of("x.mp4"));
    assert_eq!(
        keys.session_of_channel(&keys.channel(&id)),
        Some(id.clone())
    );
    let other = SessionId::generate(&VideoTag::of("y.mp4"));
    let wrong_shard = SHARDS.iter().find(|s| **s != &id.tag()[..1]).unwrap();
    for bad in [
        keys.session(&id),
        Keys::new("p").channel(&id),
        format!("p:q:{{{}}}:{}:c:{}", &other.tag()[..1], other.tag(), id),
        format!("p:q:{{{wrong_shard}}}:{}:c:{}", id.tag(), id),
        format!("{}x", keys.channel(&id)),
        keys.handover(&id.tag()[..1]),
        String::new(),
    ] {
        assert_eq!(keys.session_of_channel(&bad), None, "{bad}");
    }
}
