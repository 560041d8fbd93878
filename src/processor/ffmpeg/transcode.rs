//! The transcode itself: each chunk of picture at every rendition in one ffmpeg pass,
//! the sound once, then one join per rendition, with the checkpoint after each step.

use std::path::PathBuf;

use super::plan::{self, Checkpoint};
use super::probe::Probe;
use super::{JOINED, Run, args, failed};
use crate::processor::ProcessError;

/// Progress when the chunks end and when the sound ends.
const CHUNKS_DONE: f64 = 90.0;
const AUDIO_DONE: f64 = 94.0;

const AUDIO: &str = "audio.m4a";

impl Run<'_> {
    /// The final file of the rendition `height`: the tallest is `video.mp4`, the others
    /// `video-<height>p.mp4`.
    pub(super) fn video(&self, done: &Checkpoint, height: u32) -> PathBuf {
        if done.heights.first() == Some(&height) {
            self.path("video.mp4")
        } else {
            self.path(&format!("video-{height}p.mp4"))
        }
    }

    /// Encodes the chunks and the sound that `done` lacks, then joins each rendition's
    /// chunks into its file of `videos`.
    pub(super) async fn transcode(
        &mut self,
        probe: &Probe,
        done: &mut Checkpoint,
        videos: &[PathBuf],
    ) -> Result<(), ProcessError> {
        let (input, preset) = (self.job.video.absolute(), &self.settings.preset);
        let heights = done.heights.clone();
        let share = if probe.has_audio {
            CHUNKS_DONE
        } else {
            AUDIO_DONE
        };
        let at = |seconds: f64| share * (seconds / probe.duration_s).min(1.0);
        let spans = plan::spans(probe.duration_s, done.chunk_s(), probe.fps);
        let mut chunks: Vec<Vec<PathBuf>> = Vec::with_capacity(spans.len());
        for (index, span) in spans.iter().enumerate() {
            let files: Vec<PathBuf> = heights
                .iter()
                .map(|height| self.path(&format!("chunk-{index:05}-{height}p.mp4")))
                .collect();
            chunks.push(files.clone());
            if done.chunks.contains(&index) && files.iter().all(|file| file.is_file()) {
                self.reused_chunks += 1;
                continue;
            }
            let encode =
                |parts: &[PathBuf]| args::video_chunk(input, span, &heights, preset, parts);
            self.step(&files, "transcoding", encode, |t| at(span.start + t))
                .await?;
            done.chunks.insert(index);
            let end = span.length.map_or(probe.duration_s, |l| span.start + l);
            self.report(at(end), "transcoding", Some(done)).await?;
        }

        let audio = self.path(AUDIO);
        if probe.has_audio && !(done.audio && audio.is_file()) {
            let encode = |parts: &[PathBuf]| args::audio(input, &parts[0]);
            let at =
                |t: f64| CHUNKS_DONE + (AUDIO_DONE - CHUNKS_DONE) * (t / probe.duration_s).min(1.0);
            self.step(std::slice::from_ref(&audio), "transcoding", encode, at)
                .await?;
            done.audio = true;
            self.report(AUDIO_DONE, "transcoding", Some(done)).await?;
        }

        let sound = probe.has_audio.then_some(audio.as_path());
        let mut leftovers: Vec<PathBuf> = chunks.iter().flatten().cloned().collect();
        leftovers.push(audio.clone());
        let share = (JOINED - AUDIO_DONE) / videos.len() as f64;
        for (rung, (height, video)) in heights.iter().zip(videos).enumerate() {
            let list = self.path(&format!("chunks-{height}p.txt"));
            let entries: String = chunks
                .iter()
                .filter_map(|files| files[rung].file_name()?.to_str())
                .map(|name| format!("file '{name}'\n"))
                .collect();
            std::fs::write(&list, entries).map_err(|_| failed("cannot write the chunk list"))?;
            leftovers.push(list.clone());
            let join = |parts: &[PathBuf]| args::join(&list, sound, &parts[0]);
            let joined = AUDIO_DONE + share * (rung + 1) as f64;
            self.step(std::slice::from_ref(video), "transcoding", join, |_| joined)
                .await?;
            self.report(joined, "transcoding", None).await?;
        }
        done.joined = true;
        self.report(JOINED, "transcoding", Some(done)).await?;
        for file in leftovers {
            let _ = std::fs::remove_file(file);
        }
        Ok(())
    }
}
