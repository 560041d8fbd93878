//! What ffprobe tells about an input: duration, picture size, frame rate, audio.

use std::path::Path;

use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use super::args;
use crate::processor::ProcessError;
use crate::processor::child::Group;

/// The facts the transcode is planned from.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Probe {
    pub duration_s: f64,
    pub width: u32,
    pub height: u32,
    /// Frames per second, when the stream states a usable rate.
    pub fps: Option<f64>,
    pub has_audio: bool,
}

/// Runs ffprobe on `input`.
pub(super) async fn probe(input: &Path, stop: &CancellationToken) -> Result<Probe, ProcessError> {
    let mut command = tokio::process::Command::new(args::FFPROBE);
    command.args(args::probe(input));
    let mut group = Group::spawn(&mut command)
        .map_err(|_| ProcessError::Failed("cannot start ffprobe".into()))?;
    let mut json = String::new();
    while let Some(line) = group.next_line(stop).await? {
        json.push_str(&line);
        json.push('\n');
    }
    let exit = group.finish(stop).await?;
    if !exit.success() {
        return Err(unreadable(&exit.reason()));
    }
    parse(&json)
}

#[derive(Deserialize)]
struct Output {
    #[serde(default)]
    streams: Vec<Stream>,
    #[serde(default)]
    format: Format,
}

#[derive(Default, Deserialize)]
struct Format {
    duration: Option<String>,
}

#[derive(Deserialize)]
struct Stream {
    codec_type: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    avg_frame_rate: Option<String>,
    r_frame_rate: Option<String>,
    duration: Option<String>,
    #[serde(default)]
    disposition: Disposition,
}

#[derive(Default, Deserialize)]
struct Disposition {
    #[serde(default)]
    attached_pic: u8,
}

/// Reads ffprobe's JSON; a file without a moving picture is refused.
pub(super) fn parse(json: &str) -> Result<Probe, ProcessError> {
    let output: Output =
        serde_json::from_str(json).map_err(|_| unreadable("ffprobe said something else"))?;
    let video = output
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("video") && s.disposition.attached_pic == 0)
        .ok_or_else(|| ProcessError::Failed("the file has no video stream".into()))?;
    let (Some(width @ 1..), Some(height @ 1..)) = (video.width, video.height) else {
        return Err(unreadable("the video stream has no picture size"));
    };
    let duration_s = [&output.format.duration, &video.duration]
        .into_iter()
        .filter_map(|d| d.as_deref()?.parse::<f64>().ok())
        .find(|d| d.is_finite() && *d > 0.0)
        .ok_or_else(|| unreadable("its duration is unknown"))?;
    let fps = [&video.avg_frame_rate, &video.r_frame_rate]
        .into_iter()
        .find_map(|rate| ratio(rate.as_deref()?))
        .filter(|fps| (1.0..=1000.0).contains(fps));
    let has_audio = output
        .streams
        .iter()
        .any(|s| s.codec_type.as_deref() == Some("audio"));
    Ok(Probe {
        duration_s,
        width,
        height,
        fps,
        has_audio,
    })
}

/// `"30000/1001"` as a number; `"0/0"` is none.
fn ratio(text: &str) -> Option<f64> {
    let (top, bottom) = text.split_once('/')?;
    let (top, bottom) = (top.parse::<f64>().ok()?, bottom.parse::<f64>().ok()?);
    (top > 0.0 && bottom > 0.0).then(|| top / bottom)
}

fn unreadable(reason: &str) -> ProcessError {
    ProcessError::Failed(format!("cannot read the video: {reason}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_size_duration_rate_and_audio() {
        let json = r#"{"streams": [
            {"codec_type": "video", "width": 640, "height": 360, "avg_frame_rate": "0/0",
             "r_frame_rate": "30000/1001", "disposition": {"attached_pic": 0}},
            {"codec_type": "audio"}],
            "format": {"duration": "4.000000"}}"#;
        let probe = parse(json).unwrap();
        assert_eq!(
            (probe.width, probe.height, probe.duration_s),
            (640, 360, 4.0)
        );
        assert!((probe.fps.unwrap() - 29.97).abs() < 0.01);
        assert!(probe.has_audio);
    }

    #[test]
    fn cover_art_is_not_a_video() {
        let json = r#"{"streams": [
            {"codec_type": "audio"},
            {"codec_type": "video", "width": 500, "height": 500,
             "disposition": {"attached_pic": 1}}],
            "format": {"duration": "180.0"}}"#;
        let error = parse(json).unwrap_err().to_string();
        assert_eq!(error, "the file has no video stream");
    }

    #[test]
    fn a_stream_duration_stands_in_for_a_missing_format_duration() {
        let json = r#"{"streams": [{"codec_type": "video", "width": 2, "height": 2,
            "duration": "1.5"}], "format": {"duration": "N/A"}}"#;
        let probe = parse(json).unwrap();
        assert_eq!(
            (probe.duration_s, probe.fps, probe.has_audio),
            (1.5, None, false)
        );
        assert!(parse("{}").is_err());
        assert!(parse("not json").is_err());
    }
}
