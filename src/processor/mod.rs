//! The processing seam: a [`Processor`] turns a video into outputs, reporting progress.

mod child;
mod choose;
mod command;
mod ffmpeg;
mod outputs;
mod reporter;
mod simulated;

use std::path::PathBuf;

use async_trait::async_trait;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use choose::{InUse, choose};
pub use command::Command;
pub use ffmpeg::Ffmpeg;
pub use outputs::Output;
pub use simulated::Simulated;

use crate::media::VideoPath;
use crate::session::SessionId;

/// One run of one session.
#[derive(Clone, Debug)]
pub struct Job {
    pub session_id: SessionId,
    pub video: VideoPath,
    /// Where this session's outputs go.
    pub output_dir: PathBuf,
    /// Where an earlier owner left off, as it reported it.
    pub checkpoint: Option<String>,
}

/// A progress report from a running job.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// 0.0 to 100.0.
    pub progress: f64,
    pub stage: Option<String>,
    pub eta_s: Option<f64>,
    /// An opaque value from which a later run can resume.
    pub checkpoint: Option<String>,
}

/// Why a run produced no result.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// `stop` was triggered; nothing was reported after it.
    #[error("stopped")]
    Stopped,
    /// The work itself failed; the reason is safe to show to clients.
    #[error("{0}")]
    Failed(String),
}

/// Does the work of a session.
///
/// Guarantees: reports are sent in order with non-decreasing progress; a job with a
/// checkpoint continues from it rather than from zero; once `stop` is cancelled the
/// run ends promptly with [`ProcessError::Stopped`] and leaves nothing running.
#[async_trait]
pub trait Processor: Send + Sync + 'static {
    /// Runs the job to the end and returns its `result` object.
    async fn run(
        &self,
        job: Job,
        reports: mpsc::Sender<Report>,
        stop: CancellationToken,
    ) -> Result<Value, ProcessError>;
}
