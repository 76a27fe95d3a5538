//! The `lanchat` binary: parse the command line and hand off. No logic lives here.

// Keep a console window away from double-click launches on Windows.
#![cfg_attr(
    all(not(debug_assertions), target_os = "windows"),
    windows_subsystem = "windows"
)]

use clap::Parser;
use lanchat::cli::{self, Cli, Command};

fn main() -> std::process::ExitCode {
    let args = Cli::parse();
    cli::init_tracing();
    let result = match args.command {
        Some(Command::Serve(a)) => block_on(cli::serve(a)),
        Some(Command::Join(a)) => block_on(cli::join(a)),
        Some(Command::Discover(a)) => block_on(cli::discover(a)),
        Some(Command::Download(a)) => block_on(cli::download(a)),
        None => window(),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lanchat: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs a command to completion, then drops the runtime without waiting for blocking threads:
/// `join` reads stdin on one that stays in read(2) until a line or EOF arrives, so waiting for
/// it kept `lanchat join` alive after Ctrl-C or SIGTERM until Enter was pressed. Everything
/// worth finishing (goodbyes, graceful shutdown) has finished when the command returns.
fn block_on<F: std::future::Future>(command: F) -> F::Output {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("starting the async runtime");
    let out = rt.block_on(command);
    rt.shutdown_background();
    out
}

#[cfg(feature = "desktop")]
fn window() -> anyhow::Result<()> {
    lanchat::desktop::run()
}

#[cfg(not(feature = "desktop"))]
fn window() -> anyhow::Result<()> {
    anyhow::bail!(
        "this lanchat was built without the window; use `lanchat serve` or `lanchat join` (see --help)"
    )
}
