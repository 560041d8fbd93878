//! Settings from `REPRISE_*` environment variables, over a file's or the defaults.

use super::{Config, ConfigError, OPTIONAL};

impl Config {
    /// Applies `REPRISE_<KEY>` variables: each replaces the setting `<key>`; an empty
    /// value unsets an optional setting; a list setting takes whitespace-separated words
    /// (a list of numbers, commas too); a switch takes 1/0, true/false, yes/no or on/off.
    pub fn with_env(
        self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let defaults = toml::Table::try_from(Self::default()).expect("settings serialise");
        let mut table = toml::Table::try_from(self).expect("settings serialise");
        for (variable, value) in vars {
            let Some(key) = variable.strip_prefix("REPRISE_") else {
                continue;
            };
            let key = key.to_ascii_lowercase();
            let parsed = match defaults.get(&key) {
                Some(toml::Value::Integer(_)) => value
                    .trim()
                    .parse::<i64>()
                    .map(toml::Value::Integer)
                    .map_err(|e| ConfigError::Env {
                        variable: variable.clone(),
                        value: value.clone(),
                        reason: e.to_string(),
                    })?,
                Some(toml::Value::Boolean(_)) => match value.trim() {
                    "1" | "true" | "yes" | "on" => toml::Value::Boolean(true),
                    "0" | "false" | "no" | "off" | "" => toml::Value::Boolean(false),
                    _ => {
                        return Err(ConfigError::Env {
                            variable: variable.clone(),
                            value: value.clone(),
                            reason: "expected 1/0, true/false, yes/no or on/off".into(),
                        });
                    }
                },
                Some(toml::Value::Array(list)) if list.first().is_some_and(|v| v.is_integer()) => {
                    let numbers = value
                        .split(|c: char| c == ',' || c.is_whitespace())
                        .filter(|word| !word.is_empty())
                        .map(|word| word.parse::<i64>().map(toml::Value::Integer))
                        .collect::<Result<_, _>>();
                    toml::Value::Array(numbers.map_err(|e| ConfigError::Env {
                        variable: variable.clone(),
                        value: value.clone(),
                        reason: e.to_string(),
                    })?)
                }
                Some(toml::Value::Array(_)) => toml::Value::Array(
                    value
                        .split_whitespace()
                        .map(|word| toml::Value::String(word.into()))
                        .collect(),
                ),
                Some(_) => toml::Value::String(value),
                None if OPTIONAL.contains(&key.as_str()) => {
                    if value.is_empty() {
                        table.remove(&key);
                        continue;
                    }
                    toml::Value::String(value)
                }
                None => continue,
            };
            table.insert(key, parsed);
        }
        table.try_into().map_err(|source| ConfigError::Parse {
            path: "REPRISE_* environment".into(),
            source,
        })
    }

    /// Frames each client connection may have queued: `client_queue`, or by default
    /// enough for a full replay (`retain_events`, 256 to 8192) and some replies.
    pub fn client_queue_len(&self) -> usize {
        match self.client_queue {
            0 => (self.retain_events as usize).clamp(256, 8192) + 64,
            len => len,
        }
    }
}
