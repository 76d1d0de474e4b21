//! Structured logs with `tracing`; `RUST_LOG` overrides the level given on the command line.
//! Human-readable lines by default, one JSON object a line with `--log-format json`.
use tracing_subscriber::{EnvFilter, fmt};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

pub fn init(default_level: &str) {
    init_with(default_level, LogFormat::Human);
}

pub fn init_with(default_level: &str, format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(default_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // `try_init` so tests that start many apps in one process do not panic.
    let _ = match format {
        LogFormat::Human => fmt().with_env_filter(filter).with_target(false).try_init(),
        LogFormat::Json => fmt().json().with_env_filter(filter).with_current_span(true).try_init(),
    };
}
