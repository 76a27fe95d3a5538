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
        Some(Command::Serve(a)) => runtime().block_on(cli::serve(a)),
        Some(Command::Join(a)) => runtime().block_on(cli::join(a)),
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

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("starting the async runtime")
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
