//! The ffmpeg processor: probe the input, transcode its picture to H.264 at each height
//! of a rendition ladder in time chunks that a later run skips, its sound to AAC in one
//! piece, join them into one MP4 per rendition without re-encoding, and write a poster.

mod args;
mod plan;
mod probe;
mod transcode;

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use self::plan::Checkpoint;
use super::child::Group;
use super::outputs;
use super::reporter::Reporter;
use super::{Job, ProcessError, Processor, Report};

/// Progress when the joins end; the session's completion brings 100.
const JOINED: f64 = 96.0;
const CEILING: f64 = 99.0;

const POSTER: &str = "poster.jpg";

/// Transcodes to H.264/AAC MP4 at each height of `renditions`, capped at the source's.
/// The checkpoint names the chunks done; a chunk whose files are gone is encoded again.
#[derive(Clone, Debug)]
pub struct Ffmpeg {
    /// About how long each chunk is: the most work that a stopped run loses.
    pub chunk: Duration,
    /// The rendition ladder: heights in lines.
    pub renditions: Vec<u32>,
    /// The x264 preset, `ultrafast` to `veryslow`.
    pub preset: String,
}

impl Ffmpeg {
    /// The programs it runs, which must be on `PATH`.
    pub const PROGRAMS: [&str; 2] = [args::FFMPEG, args::FFPROBE];
}

#[async_trait]
impl Processor for Ffmpeg {
    async fn run(
        &self,
        job: Job,
        reports: mpsc::Sender<Report>,
        stop: CancellationToken,
    ) -> Result<Value, ProcessError> {
        let mut run = Run {
            settings: self,
            job: &job,
            stop: &stop,
            reporter: Reporter::new(reports, CEILING),
            reused_chunks: 0,
        };
        let outcome = run.all().await;
        match &outcome {
            Err(ProcessError::Failed(_)) => {
                let _ = std::fs::remove_dir_all(&job.output_dir);
            }
            Err(ProcessError::Stopped) => {
                // Only an empty folder goes: finished chunks wait for a resumed run.
                let _ = std::fs::remove_dir(&job.output_dir);
            }
            Ok(_) => {}
        }
        outcome
    }
}

struct Run<'a> {
    settings: &'a Ffmpeg,
    job: &'a Job,
    stop: &'a CancellationToken,
    reporter: Reporter,
    /// Chunks an earlier run had finished that this one kept.
    reused_chunks: usize,
}

impl Run<'_> {
    async fn all(&mut self) -> Result<Value, ProcessError> {
        self.report(0.0, "probing", None).await?;
        let input = self.job.video.absolute();
        let probe = probe::probe(input, self.stop).await?;
        std::fs::create_dir_all(&self.job.output_dir)
            .map_err(|_| failed("cannot create the output folder"))?;
        let heights = plan::heights(&self.settings.renditions, probe.height);
        let saved = self.job.checkpoint.as_deref();
        let mut done = Checkpoint::resume(saved, self.settings.chunk, heights);
        self.reporter.rebase();
        let videos: Vec<PathBuf> = done.heights.iter().map(|&h| self.video(&done, h)).collect();
        if !(done.joined && videos.iter().all(|video| video.is_file())) {
            done.joined = false;
            self.transcode(&probe, &mut done, &videos).await?;
        }

        self.report(JOINED, "thumbnail", None).await?;
        let poster = self.path(POSTER);
        let (at, height) = (probe.duration_s * 0.1, done.heights[0]);
        let frame = |parts: &[PathBuf]| args::poster(input, at, height, &parts[0]);
        self.step(std::slice::from_ref(&poster), "thumbnail", frame, |_| {
            JOINED
        })
        .await?;

        let dir = &self.job.output_dir;
        let mut outputs = Vec::with_capacity(videos.len() + 1);
        for video in &videos {
            let size = probe::probe(video, self.stop).await?;
            let mut output = outputs::output(dir, video, "video")?;
            (output.width, output.height) = (Some(size.width), Some(size.height));
            outputs.push(output);
        }
        outputs.push(outputs::output(dir, &poster, "poster")?);
        Ok(json!({
            "outputs": outputs,
            "duration_s": (probe.duration_s * 1000.0).round() / 1000.0,
            "width": probe.width,
            "height": probe.height,
            "resumed_from_chunks": self.reused_chunks,
        }))
    }

    /// Runs one ffmpeg step writing `outs`: into part files, renamed when it succeeds
    /// and removed when it does not.
    async fn step(
        &mut self,
        outs: &[PathBuf],
        stage: &str,
        args: impl FnOnce(&[PathBuf]) -> Vec<OsString>,
        at: impl Fn(f64) -> f64,
    ) -> Result<(), ProcessError> {
        let parts: Vec<PathBuf> = outs
            .iter()
            .map(|out| {
                let mut part = out.as_os_str().to_owned();
                part.push(".part");
                PathBuf::from(part)
            })
            .collect();
        let mut outcome = self.ffmpeg(args(&parts), stage, at).await;
        for (part, out) in parts.iter().zip(outs) {
            if outcome.is_ok() {
                outcome = std::fs::rename(part, out).map_err(|_| failed("cannot keep an output"));
            }
            if outcome.is_err() {
                let _ = std::fs::remove_file(part);
            }
        }
        outcome
    }

    async fn ffmpeg(
        &mut self,
        args: Vec<OsString>,
        stage: &str,
        at: impl Fn(f64) -> f64,
    ) -> Result<(), ProcessError> {
        let mut command = tokio::process::Command::new(args::FFMPEG);
        command.args(args);
        let mut group = Group::spawn(&mut command).map_err(|_| failed("cannot start ffmpeg"))?;
        if let Err(error) = self.follow(&mut group, stage, at).await {
            group.kill().await;
            return Err(error);
        }
        let exit = group.finish(self.stop).await?;
        if !exit.success() {
            return Err(failed(&format!("ffmpeg failed: {}", exit.reason())));
        }
        Ok(())
    }

    /// Reports progress from ffmpeg's `-progress` lines until its output ends.
    async fn follow(
        &mut self,
        group: &mut Group,
        stage: &str,
        at: impl Fn(f64) -> f64,
    ) -> Result<(), ProcessError> {
        while let Some(line) = group.next_line(self.stop).await? {
            if let Some(seconds) = args::out_time_s(&line) {
                self.report(at(seconds), stage, None).await?;
            }
        }
        Ok(())
    }

    async fn report(
        &mut self,
        progress: f64,
        stage: &str,
        done: Option<&Checkpoint>,
    ) -> Result<(), ProcessError> {
        let report = Report {
            progress,
            stage: Some(stage.into()),
            eta_s: None,
            checkpoint: done.map(Checkpoint::encode),
        };
        self.reporter.send(report, self.stop).await
    }

    fn path(&self, name: &str) -> PathBuf {
        self.job.output_dir.join(name)
    }
}

fn failed(reason: &str) -> ProcessError {
    ProcessError::Failed(reason.into())
}
