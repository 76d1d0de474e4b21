//! Structured logs with `tracing`; `RUST_LOG` overrides the level given on the command line.
use tracing_subscriber::{EnvFilter, fmt};

pub fn init(default_level: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(default_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // `try_init` so tests that start many apps in one process do not panic.
    let _ = fmt().with_env_filter(filter).with_target(false).try_init();
}
