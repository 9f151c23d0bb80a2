//! The `ikb` command line: parses arguments, calls the library, reports errors. No logic here.

mod cli;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc, not glibc's malloc: an ingest writes the store and the index on several threads
/// at once, and glibc's per-thread arenas kept what those threads freed (a 100k-incident
/// ingest peaked at 2.3 GB with it, 1.1 GB with mimalloc; BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    cli::init_logging(&args);
    match cli::run(args) {
        Ok(code) => code,
        // `ikb search ... | head` closes the pipe early: that is not an error.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
