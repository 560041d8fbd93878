//! The checks every fault test ends with, on what Redis recorded of each session:
//! one owner at a time (fencing tokens never decrease along the stream, and no run
//! wrote after a later run started), no gap or duplicate in the stream, progress that
//! never decreases and, across a change of owner, resumes from the checkpoint.

use super::history::History;

/// How much later than a run's `start` line an earlier run's last write may be
/// stamped: the two clocks are the same host's, read at slightly different moments.
const CLOCK_SLACK_MS: u64 = 100;

/// Asserts every invariant of a completed session of `steps` simulated steps.
pub fn check(history: &History, steps: u32) {
    let id = &history.session_id;
    let tokens: Vec<u64> = history
        .entries
        .iter()
        .map(|e| {
            e.token
                .unwrap_or_else(|| panic!("{id}: seq {} has no `o` (writer token)", e.seq))
        })
        .collect();
    assert!(
        tokens.windows(2).all(|w| w[0] <= w[1]),
        "{id}: fencing tokens went back along the stream: {tokens:?}"
    );
    stream_is_whole(history);
    one_owner_at_a_time(history);
    progress_resumes(history, steps);
}

pub fn stream_is_whole(history: &History) {
    let id = &history.session_id;
    let seqs: Vec<u64> = history.entries.iter().map(|e| e.seq).collect();
    let expected: Vec<u64> = (1..=seqs.len() as u64).collect();
    assert_eq!(seqs, expected, "{id}: the stream has a gap or a duplicate");
    for entry in &history.entries {
        assert_eq!(entry.data["seq"], entry.seq, "{id}: {entry:?}");
    }
    let names: Vec<&str> = history.entries.iter().map(|e| e.kind.as_str()).collect();
    let terminal = |n: &&&str| {
        matches!(
            **n,
            "processing_complete" | "processing_error" | "processing_cancelled"
        )
    };
    assert_eq!(
        names.iter().filter(terminal).count(),
        1,
        "{id}: one terminal event: {names:?}"
    );
    assert_eq!(
        names.last(),
        Some(&"processing_complete"),
        "{id}: {names:?}"
    );
}

/// Every writer began with a `start` line, tokens grow from run to run, and each
/// run's last write comes before the next run started.
pub fn one_owner_at_a_time(history: &History) {
    let id = &history.session_id;
    let starts = history.starts();
    assert!(
        starts.windows(2).all(|w| w[0].0 < w[1].0),
        "{id}: run tokens must grow: {:?}",
        history.runs
    );
    for run in history.runs.iter().filter(|r| !r.start) {
        assert!(
            starts.contains(&(run.token, run.instance.as_str())),
            "{id}: {run:?} ends a run that never started: {:?}",
            history.runs
        );
        let how = run.how.as_deref().unwrap_or_default();
        assert!(
            ["finished", "lease_lost", "stopped", "handed_over"].contains(&how),
            "{id}: {run:?}"
        );
    }
    let writers = history.writers();
    for token in &writers {
        assert!(
            starts.iter().any(|(t, _)| t == token),
            "{id}: token {token} wrote events but has no start line: {:?}",
            history.runs
        );
    }
    for pair in writers.windows(2) {
        let last_write = history.by(pair[0]).last().unwrap().ts;
        let next_start = history
            .runs
            .iter()
            .find(|r| r.start && r.token == pair[1])
            .unwrap()
            .ms;
        assert!(
            last_write <= next_start + CLOCK_SLACK_MS,
            "{id}: token {} wrote at {last_write}, after token {} started at {next_start}",
            pair[0],
            pair[1]
        );
    }
}

/// Progress never decreases; simulated steps only increase, and a new owner continues
/// with the very next step after the last one recorded (the checkpoint), never from 0.
fn progress_resumes(history: &History, steps: u32) {
    let id = &history.session_id;
    let progress: Vec<f64> = history
        .entries
        .iter()
        .map(|e| e.data["progress"].as_f64().unwrap())
        .collect();
    assert!(
        progress.windows(2).all(|w| w[0] <= w[1]),
        "{id}: progress went back: {progress:?}"
    );
    let done = history.steps();
    if let Some(at) = done.windows(2).position(|w| w[0].0 >= w[1].0) {
        panic!(
            "{id}: step {:?} came after step {:?} (restarted instead of resumed); \
             steps as (progress, writer token): {done:?}",
            done[at + 1],
            done[at]
        );
    }
    let one = 100.0 / f64::from(steps);
    for pair in done.windows(2).filter(|w| w[0].1 != w[1].1) {
        assert!(
            (pair[1].0 - pair[0].0 - one).abs() < 1e-6,
            "{id}: the new owner did not continue from the checkpoint: {:?} then {:?}",
            pair[0],
            pair[1]
        );
    }
    assert_eq!(
        done.last().map(|s| s.0),
        Some(100.0),
        "{id}: the last step is 100%"
    );
}
