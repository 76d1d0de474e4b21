//! hoithi: a server that runs study-campaign contests ("hội thi tìm hiểu") end to end.
pub mod archive;
pub mod auth;
pub mod backup;
pub mod bank;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod entities;
pub mod error;
pub mod live;
pub mod monitor;
pub mod results;
pub mod routes;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod web;

pub use error::{ApiError, ApiResult};

/// Milliseconds since the Unix epoch on the server clock: the one time that decides.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Microseconds since the Unix epoch on the server clock: when a buzzer press was received.
pub fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}
