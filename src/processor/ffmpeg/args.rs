//! The command lines of each step. Paths go through the `file:` protocol so that no
//! file name is read as an option or another protocol.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::plan::Span;

pub(super) const FFMPEG: &str = "ffmpeg";
pub(super) const FFPROBE: &str = "ffprobe";

/// What every ffmpeg step starts with: quiet but for errors, no prompts.
const QUIET: [&str; 5] = ["-nostdin", "-hide_banner", "-v", "error", "-y"];
/// Machine-readable progress (`out_time_us=`) on stdout.
const PROGRESS: [&str; 3] = ["-progress", "pipe:1", "-nostats"];

pub(super) fn probe(input: &Path) -> Vec<OsString> {
    let mut args = words(&["-v", "error", "-print_format", "json"]);
    args.extend(words(&["-show_format", "-show_streams"]));
    args.push(file(input));
    args
}

/// One chunk of picture, decoded once and encoded to H.264 at each of `heights` into
/// the matching file of `outs`: timestamps from zero, no sound.
pub(super) fn video_chunk(
    input: &Path,
    span: &Span,
    heights: &[u32],
    preset: &str,
    outs: &[PathBuf],
) -> Vec<OsString> {
    let mut args = words(&QUIET);
    args.extend(words(&["-ss", &seconds(span.start), "-i"]));
    args.push(file(input));
    let copies: String = (0..heights.len()).map(|i| format!("[s{i}]")).collect();
    let mut graph = format!("[0:v:0]setpts=PTS-STARTPTS,split={}{copies}", heights.len());
    for (i, height) in heights.iter().enumerate() {
        graph.push_str(&format!(";[s{i}]scale=-2:{height}[v{i}]"));
    }
    args.extend(words(&["-filter_complex", &graph]));
    args.extend(words(&PROGRESS));
    for (i, out) in outs.iter().enumerate() {
        args.extend(words(&["-map", &format!("[v{i}]")]));
        if let Some(length) = span.length {
            args.extend(words(&["-t", &seconds(length)]));
        }
        args.extend(words(&["-c:v", "libx264", "-preset", preset]));
        args.extend(words(&["-crf", "23", "-pix_fmt", "yuv420p", "-f", "mp4"]));
        args.push(file(out));
    }
    args
}

/// The whole sound track as AAC, encoded once: AAC frames do not end on chunk
/// boundaries, so a chunked track would drift by up to a frame per chunk.
pub(super) fn audio(input: &Path, out: &Path) -> Vec<OsString> {
    let mut args = words(&QUIET);
    args.extend(words(&["-i"]));
    args.push(file(input));
    args.extend(words(&["-map", "0:a:0", "-vn", "-sn", "-dn"]));
    args.extend(words(&["-c:a", "aac", "-b:a", "128k"]));
    finish(args, "mp4", out)
}

/// The chunks named in `list` and the sound track, copied into one MP4.
pub(super) fn join(list: &Path, audio: Option<&Path>, out: &Path) -> Vec<OsString> {
    let mut args = words(&QUIET);
    args.extend(words(&["-f", "concat", "-i"]));
    args.push(file(list));
    if let Some(audio) = audio {
        args.push("-i".into());
        args.push(file(audio));
        args.extend(words(&["-map", "0:v:0", "-map", "1:a:0"]));
    } else {
        args.extend(words(&["-map", "0:v:0"]));
    }
    args.extend(words(&["-c", "copy", "-movflags", "+faststart"]));
    finish(args, "mp4", out)
}

/// One JPEG frame at `at` seconds.
pub(super) fn poster(input: &Path, at: f64, height: u32, out: &Path) -> Vec<OsString> {
    let mut args = words(&QUIET);
    args.extend(words(&["-ss", &seconds(at), "-i"]));
    args.push(file(input));
    let filter = format!("scale=-2:{height}");
    args.extend(words(&["-map", "0:v:0", "-frames:v", "1", "-vf", &filter]));
    args.extend(words(&["-q:v", "3"]));
    finish(args, "mjpeg", out)
}

/// Seconds of output written so far, from one line of `-progress` output.
pub(super) fn out_time_s(line: &str) -> Option<f64> {
    let (key, value) = line.split_once('=')?;
    if key != "out_time_us" && key != "out_time_ms" {
        return None;
    }
    let micros = value.trim().parse::<i64>().ok()?;
    Some(micros.max(0) as f64 / 1e6)
}

fn finish(mut args: Vec<OsString>, format: &str, out: &Path) -> Vec<OsString> {
    args.extend(words(&PROGRESS));
    args.extend(words(&["-f", format]));
    args.push(file(out));
    args
}

fn file(path: &Path) -> OsString {
    let mut arg = OsString::from("file:");
    arg.push(path);
    arg
}

fn words(list: &[&str]) -> Vec<OsString> {
    list.iter().map(OsString::from).collect()
}

fn seconds(value: f64) -> String {
    format!("{value:.6}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_seeks_limits_scales_and_reports_progress() {
        let span = Span {
            start: 1.98,
            length: Some(2.0),
        };
        let outs = [
            PathBuf::from("/o/c-360.part"),
            PathBuf::from("/o/c-240.part"),
        ];
        let args = video_chunk(Path::new("/m/-a:b.mp4"), &span, &[360, 240], "fast", &outs);
        let line = args
            .iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(line.contains("-ss 1.980000 -i file:/m/-a:b.mp4 "), "{line}");
        let graph = "[0:v:0]setpts=PTS-STARTPTS,split=2[s0][s1];\
                     [s0]scale=-2:360[v0];[s1]scale=-2:240[v1]";
        assert!(line.contains(graph), "{line}");
        assert!(line.contains("-progress pipe:1"), "{line}");
        assert!(
            line.contains("-map [v0] -t 2.000000 -c:v libx264 -preset fast"),
            "{line}"
        );
        assert!(line.contains("-f mp4 file:/o/c-360.part -map [v1] -t 2.000000"));
        assert!(line.ends_with("-f mp4 file:/o/c-240.part"), "{line}");
    }

    #[test]
    fn progress_lines_give_seconds_written() {
        assert_eq!(out_time_s("out_time_us=1500000"), Some(1.5));
        assert_eq!(out_time_s("out_time_ms=2000000"), Some(2.0));
        assert_eq!(out_time_s("out_time_us=-23000"), Some(0.0));
        assert_eq!(out_time_s("out_time_us=N/A"), None);
        assert_eq!(out_time_s("frame=12"), None);
    }
}
