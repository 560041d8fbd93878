//! The `reprise` binary: settings, logging, build, serve until SIGTERM or ctrl-c.

use std::path::PathBuf;
use std::process::ExitCode;

use reprise::app::App;
use reprise::config::Config;
use reprise::{shutdown, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let config_file = config_flag();
    let config = match Config::load(config_file.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("reprise: {error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format, "info", std::io::stdout);
    let app = match App::build(config).await {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(%error, "cannot start");
            return ExitCode::FAILURE;
        }
    };
    shutdown::on_signal(app.stop_token());
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "server failed");
            ExitCode::FAILURE
        }
    }
}

/// The file named by `--config FILE` or `--config=FILE`.
fn config_flag() -> Option<PathBuf> {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--config" {
            return args.next().map(PathBuf::from);
        }
        if let Some(path) = arg.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    None
}
