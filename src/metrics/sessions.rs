//! Sessions by status: the runs of this instance now (`queued` while a run waits for
//! a slot, then `processing`) and the sessions that ended through it.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use super::header;
use crate::session::Status;

const RUN_STATUSES: [Status; 2] = [Status::Queued, Status::Processing];
const ENDED_STATUSES: [Status; 3] = [Status::Complete, Status::Failed, Status::Cancelled];

#[derive(Debug, Default)]
pub(super) struct Sessions {
    runs: [AtomicU64; RUN_STATUSES.len()],
    ended: [AtomicU64; ENDED_STATUSES.len()],
}

impl Sessions {
    pub(super) fn ended(&self, status: Status) {
        if let Some(i) = ENDED_STATUSES.iter().position(|s| *s == status) {
            self.ended[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(super) fn run_waiting(&self) -> RunGauge<'_> {
        self.runs[0].fetch_add(1, Ordering::Relaxed);
        RunGauge {
            runs: &self.runs,
            index: 0,
        }
    }

    pub(super) fn render(&self, out: &mut String) {
        let name = "reprise_runs";
        let help = "Runs on this instance, by status: queued (waiting for a slot) or processing.";
        header(out, name, "gauge", help);
        for (status, runs) in RUN_STATUSES.iter().zip(&self.runs) {
            let value = runs.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}{{status=\"{}\"}} {value}", status.as_str());
        }
        let name = "reprise_sessions_ended_total";
        let help = "Sessions that ended through this instance, by status: complete and failed \
                    where they ran, cancelled where the cancel arrived.";
        header(out, name, "counter", help);
        for (status, ended) in ENDED_STATUSES.iter().zip(&self.ended) {
            let value = ended.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}{{status=\"{}\"}} {value}", status.as_str());
        }
    }
}

/// One run's place in `reprise_runs`; dropping it takes the run off the gauge.
#[must_use = "the run is counted until this is dropped"]
pub struct RunGauge<'a> {
    runs: &'a [AtomicU64; RUN_STATUSES.len()],
    index: usize,
}

impl RunGauge<'_> {
    /// The run has its slot: counted as `processing` from now on.
    pub fn processing(&mut self) {
        if self.index == 0 {
            self.runs[0].fetch_sub(1, Ordering::Relaxed);
            self.runs[1].fetch_add(1, Ordering::Relaxed);
            self.index = 1;
        }
    }
}

impl Drop for RunGauge<'_> {
    fn drop(&mut self) {
        self.runs[self.index].fetch_sub(1, Ordering::Relaxed);
    }
}
