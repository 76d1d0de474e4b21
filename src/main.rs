//! Thin entry point: parse the command line, set up logging, hand over to the library.
use std::process::ExitCode;

use clap::Parser;
use hoithi::cli::{self, Cli};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    hoithi::telemetry::init_with(&cli.global.log, cli.global.log_format);
    match cli::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            // One clear line, no backtrace: the message says what is wrong and how to fix it.
            eprintln!("hoithi: {e}");
            ExitCode::FAILURE
        }
    }
}
