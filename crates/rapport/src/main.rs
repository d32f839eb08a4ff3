//! `rapport`: the one binary. Argument parsing and wiring only; the work
//! happens in `rapport-core` and the crates below it.

mod cli;
mod cmd;
mod output;
mod unlock;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;

/// The process allocator. The bulk paths (imports, the gate, plugin runs)
/// read pages of a million rows as large packed strings between many small
/// allocations; the system allocator then spends more time consolidating
/// its free lists than the work itself takes, and more so the larger the
/// tenant, while mimalloc's size-segregated pages keep each allocation
/// cheap whatever the heap holds.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            output::print_error(
                &anyhow::Error::new(e).context("could not start the runtime"),
                json,
            );
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cmd::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::print_error(&e, json);
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("RAPPORT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
