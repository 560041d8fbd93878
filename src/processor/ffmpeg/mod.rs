//! The ffmpeg processor: probe the input, transcode its picture to H.264 in time chunks
//! that a later run skips, its sound to AAC in one piece, join them into one MP4
//! without re-encoding, and write a poster frame.

mod args;
mod plan;
mod probe;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use self::plan::Checkpoint;
use self::probe::Probe;
use super::child::Group;
use super::outputs;
use super::reporter::Reporter;
use super::{Job, ProcessError, Processor, Report};

/// Progress when each step ends; the session's completion brings 100.
const CHUNKS_DONE: f64 = 90.0;
const AUDIO_DONE: f64 = 94.0;
const JOINED: f64 = 96.0;
const CEILING: f64 = 99.0;

const VIDEO: &str = "video.mp4";
const POSTER: &str = "poster.jpg";
const AUDIO: &str = "audio.m4a";
const LIST: &str = "chunks.txt";

/// Transcodes to H.264/AAC MP4 at the source height capped at `max_height`. The
/// checkpoint names the chunks done; a chunk whose file is gone is encoded again.
#[derive(Clone, Debug)]
pub struct Ffmpeg {
    /// About how long each chunk is: the most work that a stopped run loses.
    pub chunk: Duration,
    pub max_height: u32,
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
        let height = (probe.height.min(self.settings.max_height) & !1).max(2);
        std::fs::create_dir_all(&self.job.output_dir)
            .map_err(|_| failed("cannot create the output folder"))?;
        let mut done = Checkpoint::resume(self.job.checkpoint.as_deref(), self.settings.chunk);
        self.reporter.rebase();
        let video = self.path(VIDEO);
        if !(done.joined && video.is_file()) {
            done.joined = false;
            self.transcode(&probe, height, &mut done).await?;
        }

        self.report(JOINED, "thumbnail", None).await?;
        let poster = self.path(POSTER);
        let at = probe.duration_s * 0.1;
        let frame = |part: &Path| args::poster(input, at, height, part);
        self.step(&poster, "thumbnail", frame, |_| JOINED).await?;

        let dir = &self.job.output_dir;
        Ok(json!({
            "outputs": [
                outputs::output(dir, &video, "video")?,
                outputs::output(dir, &poster, "poster")?,
            ],
            "duration_s": (probe.duration_s * 1000.0).round() / 1000.0,
            "width": probe.width,
            "height": probe.height,
            "resumed_from_chunks": self.reused_chunks,
        }))
    }

    /// Encodes the chunks and the sound that `done` lacks, then joins them.
    async fn transcode(
        &mut self,
        probe: &Probe,
        height: u32,
        done: &mut Checkpoint,
    ) -> Result<(), ProcessError> {
        let (input, preset) = (self.job.video.absolute(), &self.settings.preset);
        let share = if probe.has_audio {
            CHUNKS_DONE
        } else {
            AUDIO_DONE
        };
        let at = |seconds: f64| share * (seconds / probe.duration_s).min(1.0);
        let spans = plan::spans(probe.duration_s, done.chunk_s(), probe.fps);
        let mut chunks = Vec::with_capacity(spans.len());
        for (index, span) in spans.iter().enumerate() {
            let chunk = self.path(&format!("chunk-{index:05}.mp4"));
            chunks.push(chunk.clone());
            if done.chunks.contains(&index) && chunk.is_file() {
                self.reused_chunks += 1;
                continue;
            }
            let encode = |part: &Path| args::video_chunk(input, span, height, preset, part);
            self.step(&chunk, "transcoding", encode, |t| at(span.start + t))
                .await?;
            done.chunks.insert(index);
            let end = span.length.map_or(probe.duration_s, |l| span.start + l);
            self.report(at(end), "transcoding", Some(done)).await?;
        }

        let audio = self.path(AUDIO);
        if probe.has_audio && !(done.audio && audio.is_file()) {
            let encode = |part: &Path| args::audio(input, part);
            let at =
                |t: f64| CHUNKS_DONE + (AUDIO_DONE - CHUNKS_DONE) * (t / probe.duration_s).min(1.0);
            self.step(&audio, "transcoding", encode, at).await?;
            done.audio = true;
            self.report(AUDIO_DONE, "transcoding", Some(done)).await?;
        }

        let list = self.path(LIST);
        let entries: String = chunks
            .iter()
            .filter_map(|chunk| chunk.file_name()?.to_str())
            .map(|name| format!("file '{name}'\n"))
            .collect();
        std::fs::write(&list, entries).map_err(|_| failed("cannot write the chunk list"))?;
        let sound = probe.has_audio.then_some(audio.as_path());
        let join = |part: &Path| args::join(&list, sound, part);
        self.step(&self.path(VIDEO), "transcoding", join, |_| AUDIO_DONE)
            .await?;
        done.joined = true;
        self.report(JOINED, "transcoding", Some(done)).await?;
        for file in chunks.iter().chain([&list, &audio]) {
            let _ = std::fs::remove_file(file);
        }
        Ok(())
    }

    /// Runs one ffmpeg step writing `out`: into a part file, renamed when it succeeds
    /// and removed when it does not.
    async fn step(
        &mut self,
        out: &Path,
        stage: &str,
        args: impl FnOnce(&Path) -> Vec<OsString>,
        at: impl Fn(f64) -> f64,
    ) -> Result<(), ProcessError> {
        let mut part = out.as_os_str().to_owned();
        part.push(".part");
        let part = PathBuf::from(part);
        let outcome = match self.ffmpeg(args(&part), stage, at).await {
            Ok(()) => std::fs::rename(&part, out).map_err(|_| failed("cannot keep an output")),
            Err(error) => Err(error),
        };
        if outcome.is_err() {
            let _ = std::fs::remove_file(&part);
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
