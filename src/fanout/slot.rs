//! One watcher's place in a session: what it has been sent, and the rule that hands
//! it only the next event in seq order.

use std::sync::Arc;

use super::{Delivery, Frame, Watcher};
use crate::metrics::Metrics;
use crate::session::Event;

pub(super) struct Slot {
    pub watcher: Arc<dyn Watcher>,
    pub delivered: u64,
    /// `Some` while syncing: live events wait here.
    pub buffer: Option<Vec<Event>>,
    /// A feed outage happened during the current sync.
    pub resync_again: bool,
    /// Which attach this slot belongs to; stale syncs are ignored.
    pub generation: u64,
    /// Overflows in a row since its last gap snapshot went out.
    pub stalls: u32,
}

/// What to do with a watcher after handing it an event.
pub(super) enum Step {
    Keep,
    Remove,
    Resync,
    /// The watcher's queue is full: the slow-client policy decides.
    Lagging,
}

/// Hands the next event (as `frame`) to a watcher; anything else is skipped or
/// triggers a resync.
pub(super) fn deliver(slot: &mut Slot, event: &Event, frame: &Frame, metrics: &Metrics) -> Step {
    if event.seq <= slot.delivered {
        return Step::Keep;
    }
    if event.seq != slot.delivered + 1 {
        return Step::Resync;
    }
    match slot.watcher.send(frame) {
        Delivery::Sent => {
            slot.delivered = event.seq;
            Metrics::bump(&metrics.events_delivered);
            if event.kind.is_terminal() {
                Step::Remove
            } else {
                Step::Keep
            }
        }
        Delivery::Full => Step::Lagging,
        Delivery::Gone => Step::Remove,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::fanout::WatcherId;
    use crate::session::EventKind;

    struct Recorder {
        sent: Mutex<Vec<u64>>,
        answer: Delivery,
    }

    impl Watcher for Recorder {
        fn id(&self) -> WatcherId {
            1
        }

        fn send(&self, frame: &Frame) -> Delivery {
            if self.answer == Delivery::Sent {
                let seq = frame.json().parse().unwrap();
                self.sent.lock().unwrap().push(seq);
            }
            self.answer
        }
    }

    fn slot(answer: Delivery, delivered: u64) -> (Slot, Arc<Recorder>) {
        let recorder = Arc::new(Recorder {
            sent: Mutex::default(),
            answer,
        });
        let slot = Slot {
            watcher: recorder.clone(),
            delivered,
            buffer: None,
            resync_again: false,
            generation: 0,
            stalls: 0,
        };
        (slot, recorder)
    }

    fn event(seq: u64, kind: EventKind) -> Event {
        Event {
            seq,
            kind,
            json: seq.to_string().into(),
        }
    }

    fn deliver_event(slot: &mut Slot, seq: u64, kind: EventKind, metrics: &Metrics) -> Step {
        let event = event(seq, kind);
        deliver(slot, &event, &Frame::of(&event, 1), metrics)
    }

    #[test]
    fn only_the_next_event_is_sent_and_duplicates_are_skipped() {
        let (mut slot, recorder) = slot(Delivery::Sent, 3);
        let metrics = Metrics::default();
        for seq in [2, 3, 4, 4, 5] {
            assert!(matches!(
                deliver_event(&mut slot, seq, EventKind::Progress, &metrics),
                Step::Keep
            ));
        }
        assert_eq!(*recorder.sent.lock().unwrap(), vec![4, 5]);
        assert_eq!(slot.delivered, 5);
    }

    #[test]
    fn a_hole_asks_for_a_resync_and_sends_nothing() {
        let (mut slot, recorder) = slot(Delivery::Sent, 3);
        assert!(matches!(
            deliver_event(&mut slot, 5, EventKind::Progress, &Metrics::default()),
            Step::Resync
        ));
        assert!(recorder.sent.lock().unwrap().is_empty());
        assert_eq!(slot.delivered, 3);
    }

    #[test]
    fn terminal_full_and_gone_each_have_their_step() {
        let metrics = Metrics::default();
        let (mut done, _) = slot(Delivery::Sent, 0);
        assert!(matches!(
            deliver_event(&mut done, 1, EventKind::Complete, &metrics),
            Step::Remove
        ));
        let (mut full, _) = slot(Delivery::Full, 0);
        assert!(matches!(
            deliver_event(&mut full, 1, EventKind::Progress, &metrics),
            Step::Lagging
        ));
        assert_eq!(
            full.delivered, 0,
            "a frame that was not queued is not delivered"
        );
        let (mut gone, _) = slot(Delivery::Gone, 0);
        assert!(matches!(
            deliver_event(&mut gone, 1, EventKind::Progress, &metrics),
            Step::Remove
        ));
    }
}
