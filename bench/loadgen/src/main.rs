//! `loadgen`: benchmarks a Reprise Socket.IO server (or a peer speaking the same
//! protocol) over raw websockets. Modules: [`cli`] the flags; [`target`] URLs, source
//! addresses, video paths; [`conn`] one connection; [`frame`] the frame scanner;
//! [`session`] starting and joining sessions; [`stats`] and [`procfs`] what is
//! measured; [`setup`] what scenarios share; [`fanout`], [`claim`], [`storm`],
//! [`idle`] and [`smoke`] the scenarios. One JSON line goes to stdout, logs to stderr.

mod claim;
mod cli;
mod conn;
mod fanout;
mod frame;
mod idle;
mod procfs;
mod session;
mod setup;
mod smoke;
mod stats;
mod storm;
mod target;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use serde_json::json;

use crate::cli::{Cli, Command, Common};
use crate::setup::{Report, Setup};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (name, common) = describe(&cli.command);
    raise_open_files();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(common.threads.max(1))
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let result = runtime.block_on(run(&cli.command, common));
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(report) => {
            let mut out = report.into_json(name);
            out["urls"] = json!(common.urls);
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("loadgen: {error}");
            println!(
                "{}",
                json!({ "scenario": name, "ok": false, "error": error })
            );
            ExitCode::FAILURE
        }
    }
}

async fn run(command: &Command, common: &Common) -> Result<Report, String> {
    let setup = Arc::new(Setup::new(common)?);
    match command {
        Command::Fanout(args) => fanout::run(setup, args).await,
        Command::Claim(args) => claim::run(setup, args).await,
        Command::Storm(args) => storm::run(setup, args).await,
        Command::Idle(args) => idle::run(setup, args).await,
        Command::Smoke(common) => smoke::run(setup, common).await,
    }
}

fn describe(command: &Command) -> (&'static str, &Common) {
    match command {
        Command::Fanout(args) => ("fanout", &args.common),
        Command::Claim(args) => ("claim", &args.common),
        Command::Storm(args) => ("storm", &args.common),
        Command::Idle(args) => ("idle", &args.common),
        Command::Smoke(common) => ("smoke", common),
    }
}

/// Raises the soft limit on open files to the hard limit.
fn raise_open_files() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: get/setrlimit with a valid pointer to a live rlimit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                eprintln!("loadgen: could not raise the open-file limit");
            }
        }
    }
}
