//! The `q-status` binary: parse the arguments, run, turn the result into an exit code.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

fn main() -> ExitCode {
    let started = Instant::now();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli =
        q_status::cli::parse_fast(&args).unwrap_or_else(|| q_status::cli::Cli::parse_from(args));
    match q_status::run(cli, started) {
        Ok(code) => code,
        Err(e) => {
            // A closed stdout (`q-status list | head`) is not an error worth a message.
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("q-status: {e:#}");
            ExitCode::FAILURE
        }
    }
}
