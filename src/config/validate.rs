//! The checks on settings that parse but cannot work together.

use super::{Config, ConfigError, ProcessorKind};

/// The most renditions one run encodes, and the tallest.
const MAX_RENDITIONS: usize = 8;
const MAX_HEIGHT: u32 = 4320;

/// Whether `origin` is an origin as browsers send it: `scheme://host[:port]`.
fn is_origin(origin: &str) -> bool {
    origin.split_once("://").is_some_and(|(scheme, host)| {
        matches!(scheme, "http" | "https") && !host.is_empty() && !host.contains('/')
    })
}

/// The presets x264 knows, fastest first.
const PRESETS: [&str; 10] = [
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
    "placebo",
];

impl Config {
    /// Refuses settings that parse but cannot work together.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |reason: &str| Err(ConfigError::Invalid(reason.into()));
        if self.processor == ProcessorKind::Command && self.command.is_empty() {
            return invalid(
                "REPRISE_PROCESSOR=command needs REPRISE_COMMAND: the program and its \
                 arguments, e.g. \"my-tool {input} {output_dir}\"",
            );
        }
        if self.chunk_s == 0 {
            return invalid("REPRISE_CHUNK_S must be at least 1");
        }
        if self.renditions.is_empty()
            || self.renditions.len() > MAX_RENDITIONS
            || self
                .renditions
                .iter()
                .any(|h| !(2..=MAX_HEIGHT).contains(h))
        {
            return invalid(&format!(
                "REPRISE_RENDITIONS must be 1 to {MAX_RENDITIONS} heights, each 2 to {MAX_HEIGHT}"
            ));
        }
        crate::auth::Authenticator::from_entries(&self.auth_keys)
            .map_err(|reason| ConfigError::Invalid(format!("REPRISE_AUTH_KEYS: {reason}")))?;
        if let Some(origin) = self.allowed_origins.iter().find(|o| !is_origin(o)) {
            return invalid(&format!(
                "REPRISE_ALLOWED_ORIGINS: {origin:?} is not scheme://host[:port]"
            ));
        }
        if let Some(proxy) = self
            .trusted_proxies
            .iter()
            .find(|p| p.parse::<std::net::IpAddr>().is_err())
        {
            return invalid(&format!(
                "REPRISE_TRUSTED_PROXIES: {proxy:?} is not an IP address"
            ));
        }
        if !PRESETS.contains(&self.ffmpeg_preset.as_str()) {
            return invalid("REPRISE_FFMPEG_PRESET must be an x264 preset, ultrafast to placebo");
        }
        Ok(())
    }
}
