//! The real processors against real programs: ffmpeg on small videos that ffmpeg
//! itself makes, and the command processor on shell scripts written at test time.

mod command;
mod ffmpeg;
pub mod support;
