//! The outgoing queue: order, capacity, shutting, shedding and cutting.

use super::*;

fn poll(outbox: &mut Outbox) -> Poll<Option<Utf8Bytes>> {
    outbox.poll_recv(&mut Context::from_waker(std::task::Waker::noop()))
}

#[test]
fn frames_come_out_in_order_up_to_the_capacity() {
    let (queue, mut outbox) = queue(2);
    assert_eq!(queue.push("a".into()), Ok(()));
    assert_eq!(queue.push("b".into()), Ok(()));
    assert_eq!(queue.push("c".into()), Err(Refused::Full));
    assert_eq!(poll(&mut outbox), Poll::Ready(Some("a".into())));
    assert_eq!(queue.send(&Frame::new("progress", "{}")), Delivery::Sent);
    assert_eq!(outbox.try_recv(), Some("b".into()));
    assert_eq!(outbox.try_recv(), Some(r#"42["progress",{}]"#.into()));
    assert_eq!(poll(&mut outbox), Poll::Pending);
}

#[test]
fn a_shut_queue_drains_then_ends_and_refuses_more() {
    let (queue, mut outbox) = queue(4);
    queue.push("a".into()).unwrap();
    queue.shut();
    assert_eq!(queue.push("b".into()), Err(Refused::Gone));
    assert_eq!(poll(&mut outbox), Poll::Ready(Some("a".into())));
    assert_eq!(poll(&mut outbox), Poll::Ready(None));
}

#[test]
fn shedding_drops_only_that_sessions_tagged_frames() {
    let (queue, mut outbox) = queue(8);
    let progress = |tag, n: u64| Frame::new("progress", n.to_string()).tagged(tag);
    queue.push("reply".into()).unwrap();
    queue.send(&progress(7, 1));
    queue.send(&progress(9, 2));
    queue.send(&progress(7, 3));
    queue.send(&Frame::new("processing_complete", "4"));
    assert!(queue.shed(7));
    assert!(!queue.shed(7), "nothing left to drop");
    assert!(!queue.shed(Frame::UNTAGGED));
    let left: Vec<_> = std::iter::from_fn(|| outbox.try_recv()).collect();
    let expected: [Utf8Bytes; 3] = [
        "reply".into(),
        r#"42["progress",2]"#.into(),
        r#"42["processing_complete",4]"#.into(),
    ];
    assert_eq!(left, expected);
}

#[test]
fn a_cut_ends_the_connection_at_once_and_wakes_the_consumer() {
    let (queue, mut outbox) = queue(4);
    queue.push("a".into()).unwrap();
    let mut cx = Context::from_waker(std::task::Waker::noop());
    assert_eq!(outbox.poll_cut(&mut cx), Poll::Pending);
    assert!(queue.close());
    assert_eq!(outbox.poll_cut(&mut cx), Poll::Ready(()));
    assert_eq!(
        poll(&mut outbox),
        Poll::Ready(None),
        "queued frames are dropped"
    );
    assert_eq!(queue.send(&Frame::new("progress", "{}")), Delivery::Gone);
}

#[test]
fn without_a_consumer_the_watcher_is_gone() {
    let (queue, outbox) = queue(4);
    queue.push("a".into()).unwrap();
    drop(outbox);
    assert_eq!(queue.send(&Frame::new("progress", "{}")), Delivery::Gone);
}
