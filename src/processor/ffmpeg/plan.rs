//! How a transcode is cut into chunks, and the checkpoint that says which are done.
//!
//! Chunk boundaries fall half a frame before a frame, so that every frame of a
//! constant-rate source lands in exactly one chunk and the joined video has them all.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A tail shorter than this joins the chunk before it.
const MIN_TAIL_S: f64 = 0.1;

/// The piece of the input that one chunk encodes.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Span {
    /// Where to seek to, in seconds.
    pub start: f64,
    /// How much to encode; `None` for the last chunk, which runs to the end.
    pub length: Option<f64>,
}

/// The chunks of an input of `duration_s`, about `chunk_s` each.
pub(super) fn spans(duration_s: f64, chunk_s: f64, fps: Option<f64>) -> Vec<Span> {
    let chunk_s = chunk_s.max(0.1);
    let mut count = (duration_s / chunk_s).ceil().max(1.0) as usize;
    if count > 1 && duration_s - (count - 1) as f64 * chunk_s < MIN_TAIL_S {
        count -= 1;
    }
    let edge = |i: usize| -> f64 {
        let at = i as f64 * chunk_s;
        match fps {
            Some(fps) => (((at * fps).round() - 0.5) / fps).max(0.0),
            None => at,
        }
    };
    (0..count)
        .map(|i| {
            let start = edge(i);
            let length = (i + 1 < count).then(|| edge(i + 1) - start);
            Span { start, length }
        })
        .collect()
}

/// The heights to encode an input `source` lines high at: each rung of `ladder` capped
/// at the source and made even, each height once, tallest first.
pub(super) fn heights(ladder: &[u32], source: u32) -> Vec<u32> {
    let mut heights: Vec<u32> = ladder
        .iter()
        .map(|&rung| (rung.min(source) & !1).max(2))
        .collect();
    heights.sort_unstable_by(|a, b| b.cmp(a));
    heights.dedup();
    heights
}

/// What a run has finished, as the opaque checkpoint string of its reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Checkpoint {
    /// The chunk length the chunks were cut with; a resumed run keeps it.
    pub chunk_ms: u64,
    /// The heights being encoded, tallest first; a resumed run keeps them.
    #[serde(default)]
    pub heights: Vec<u32>,
    /// Indexes of the chunks encoded.
    #[serde(default)]
    pub chunks: BTreeSet<usize>,
    /// The audio track is encoded.
    #[serde(default)]
    pub audio: bool,
    /// The chunks are joined into the final video.
    #[serde(default)]
    pub joined: bool,
}

impl Checkpoint {
    /// Where `saved` left off, or a fresh start with chunks of `chunk` at `heights`. A
    /// checkpoint written by some other processor counts as none.
    pub fn resume(saved: Option<&str>, chunk: Duration, heights: Vec<u32>) -> Self {
        saved
            .and_then(|text| serde_json::from_str::<Self>(text).ok())
            .filter(|saved| saved.chunk_ms > 0 && !saved.heights.is_empty())
            .unwrap_or_else(|| Self {
                chunk_ms: (chunk.as_millis() as u64).max(100),
                heights,
                ..Self::default()
            })
    }

    pub fn chunk_s(&self) -> f64 {
        self.chunk_ms as f64 / 1000.0
    }

    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("a checkpoint serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many frames of a `fps` source each span holds.
    fn frames(spans: &[Span], fps: f64, total: usize) -> Vec<usize> {
        let times: Vec<f64> = (0..total).map(|n| n as f64 / fps).collect();
        spans
            .iter()
            .map(|span| {
                let end = span.length.map_or(f64::MAX, |l| span.start + l);
                times
                    .iter()
                    .filter(|&&t| t >= span.start && t < end)
                    .count()
            })
            .collect()
    }

    #[test]
    fn every_frame_lands_in_exactly_one_chunk() {
        let fps = 30000.0 / 1001.0;
        let spans = spans(20.02, 1.0, Some(fps));
        assert_eq!(spans.len(), 20);
        let counts = frames(&spans, fps, 600);
        assert_eq!(counts.iter().sum::<usize>(), 600);
        assert!(
            counts[..19].iter().all(|&n| n == 29 || n == 30),
            "{counts:?}"
        );

        let spans = super::spans(4.0, 2.0, Some(25.0));
        assert_eq!(frames(&spans, 25.0, 100), vec![50, 50]);
        assert_eq!(spans[0].start, 0.0);
        assert_eq!(spans[1].length, None);
    }

    #[test]
    fn a_short_tail_joins_the_last_chunk_and_no_rate_means_plain_seconds() {
        let spans = spans(10.05, 5.0, None);
        assert_eq!(
            spans,
            vec![
                Span {
                    start: 0.0,
                    length: Some(5.0)
                },
                Span {
                    start: 5.0,
                    length: None
                }
            ]
        );
        assert_eq!(super::spans(0.5, 10.0, None).len(), 1);
    }

    #[test]
    fn a_checkpoint_round_trips_and_a_foreign_one_is_ignored() {
        let ten = Duration::from_secs(10);
        let fresh = Checkpoint::resume(None, ten, vec![720]);
        assert_eq!(fresh.chunk_ms, 10_000);
        assert_eq!(fresh.heights, [720]);
        let mut done = fresh.clone();
        done.chunk_ms = 2_000;
        done.heights = vec![480, 240];
        done.chunks.extend([0, 1]);
        let saved = done.encode();
        assert_eq!(
            saved,
            r#"{"chunk_ms":2000,"heights":[480,240],"chunks":[0,1],"audio":false,"joined":false}"#
        );
        assert_eq!(Checkpoint::resume(Some(&saved), ten, vec![720]), done);
        assert_eq!(Checkpoint::resume(Some("42"), ten, vec![720]), fresh);
        let without_heights = r#"{"chunk_ms":2000,"chunks":[0]}"#;
        assert_eq!(
            Checkpoint::resume(Some(without_heights), ten, vec![720]),
            fresh
        );
    }

    #[test]
    fn a_ladder_is_capped_at_the_source_even_and_once_each() {
        assert_eq!(heights(&[720], 1080), [720]);
        assert_eq!(heights(&[720], 480), [480]);
        assert_eq!(heights(&[360, 1080, 720], 481), [480, 360]);
        assert_eq!(heights(&[1], 100), [2]);
    }
}
