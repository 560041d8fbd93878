//! Settings: defaults, file and environment layering, and refusals.

use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn environment_overrides_file_values() {
    let config = Config::default()
        .with_env(env(&[
            ("REPRISE_LISTEN", "127.0.0.1:9000"),
            ("REPRISE_LEASE_TTL_MS", "1500"),
            ("REPRISE_REDIS_URL", "redis://127.0.0.1:7000"),
            ("REPRISE_PROCESSOR", "simulated"),
            ("UNRELATED", "x"),
        ]))
        .unwrap();
    assert_eq!(config.listen, "127.0.0.1:9000");
    assert_eq!(config.lease_ttl_ms, 1500);
    assert_eq!(config.redis_url.as_deref(), Some("redis://127.0.0.1:7000"));
    assert_eq!(config.processor, ProcessorKind::Simulated);
}

#[test]
fn bad_values_are_reported_with_their_variable() {
    let err = Config::default()
        .with_env(env(&[("REPRISE_LEASE_TTL_MS", "soon")]))
        .unwrap_err();
    assert!(err.to_string().contains("REPRISE_LEASE_TTL_MS"), "{err}");
    assert!(
        Config::default()
            .with_env(env(&[("REPRISE_PROCESSOR", "magic")]))
            .is_err()
    );
}

#[test]
fn a_command_is_words_and_is_required_by_the_command_processor() {
    let config = Config::default()
        .with_env(env(&[
            ("REPRISE_PROCESSOR", "command"),
            ("REPRISE_COMMAND", " my-tool --in {input}  {output_dir} "),
            ("REPRISE_CHUNK_S", "2"),
        ]))
        .unwrap();
    assert_eq!(
        config.command,
        ["my-tool", "--in", "{input}", "{output_dir}"]
    );
    assert_eq!(config.chunk_s, 2);
    config.validate().unwrap();

    let missing = Config::default()
        .with_env(env(&[("REPRISE_PROCESSOR", "command")]))
        .unwrap()
        .validate()
        .unwrap_err();
    assert!(missing.to_string().contains("REPRISE_COMMAND"), "{missing}");
    Config::default().validate().unwrap();
}

#[test]
fn ffmpeg_settings_that_cannot_work_are_refused() {
    for (variable, value) in [
        ("REPRISE_CHUNK_S", "0"),
        ("REPRISE_RENDITIONS", "1"),
        ("REPRISE_RENDITIONS", ""),
        ("REPRISE_RENDITIONS", "720 480 360 240 144 120 96 72 48"),
        ("REPRISE_FFMPEG_PRESET", "warp"),
    ] {
        let config = Config::default()
            .with_env(env(&[(variable, value)]))
            .unwrap();
        let error = config.validate().unwrap_err();
        assert!(error.to_string().contains(variable), "{error}");
    }
}

#[test]
fn the_shipped_file_matches_the_defaults() {
    let file = Config::from_file(Path::new("config/default.toml")).unwrap();
    let defaults = Config::default();
    assert_eq!(
        toml::Table::try_from(file).unwrap(),
        toml::Table::try_from(defaults).unwrap()
    );
}

#[test]
fn a_rendition_ladder_takes_commas_or_spaces_and_refuses_words() {
    let config = Config::default()
        .with_env(env(&[("REPRISE_RENDITIONS", "1080, 720 360")]))
        .unwrap();
    assert_eq!(config.renditions, [1080, 720, 360]);
    config.validate().unwrap();
    let error = Config::default()
        .with_env(env(&[("REPRISE_RENDITIONS", "720,hd")]))
        .unwrap_err();
    assert!(error.to_string().contains("REPRISE_RENDITIONS"), "{error}");
}

#[test]
fn slow_client_policy_and_queue_length_come_from_the_environment() {
    let config = Config::default()
        .with_env(env(&[
            ("REPRISE_SLOW_CLIENT", "disconnect"),
            ("REPRISE_CLIENT_QUEUE", "32"),
        ]))
        .unwrap();
    assert_eq!(config.slow_client, SlowClient::Disconnect);
    assert_eq!(config.client_queue_len(), 32);
    assert_eq!(Config::default().slow_client, SlowClient::Resync);
    assert_eq!(
        Config::default().client_queue_len(),
        1_064,
        "retain_events + 64"
    );
    let few = Config {
        retain_events: 10,
        ..Config::default()
    };
    assert_eq!(few.client_queue_len(), 256 + 64);
    assert!(
        Config::default()
            .with_env(env(&[("REPRISE_SLOW_CLIENT", "wait")]))
            .is_err()
    );
}

#[test]
fn the_redis_cluster_switch_takes_the_usual_words_and_refuses_others() {
    for (value, expected) in [("1", true), ("true", true), ("on", true), ("0", false)] {
        let config = Config::default()
            .with_env(env(&[("REPRISE_REDIS_CLUSTER", value)]))
            .unwrap();
        assert_eq!(config.redis_cluster, expected, "{value}");
    }
    let err = Config::default()
        .with_env(env(&[("REPRISE_REDIS_CLUSTER", "maybe")]))
        .unwrap_err();
    assert!(err.to_string().contains("REPRISE_REDIS_CLUSTER"), "{err}");
}
