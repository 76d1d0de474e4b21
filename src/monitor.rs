//! What the server tells about itself: Prometheus metrics (`/metrics`, recorded with the
//! `metrics` crate) and the numbers of the console's health strip (`/api/health/live`).
//!
//! Counters and histograms are recorded where things happen (requests, answers, commits,
//! fan-out); the gauges (sockets, queue depths) are read from the live engines when
//! metrics are scraped, so that nothing on the answer path keeps them up to date.
use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::error::ApiResult;

pub const REQUESTS: &str = "hoithi_http_requests_total";
pub const ANSWERS: &str = "hoithi_answers_total";
pub const COMMIT_BATCH: &str = "hoithi_commit_batch_answers";
pub const COMMIT_SECONDS: &str = "hoithi_commit_seconds";
pub const FANOUT_SECONDS: &str = "hoithi_fanout_seconds";
pub const SOCKETS: &str = "hoithi_sockets";
pub const ENGINE_QUEUE: &str = "hoithi_engine_queue_depth";
pub const WRITER_QUEUE: &str = "hoithi_writer_queue_depth";
pub const STORAGE_OK: &str = "hoithi_storage_ok";
pub const BACKUPS: &str = "hoithi_backups_total";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process-wide recorder, installed by the first call. `None` when another recorder
/// was installed before (then nothing is recorded here).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let seconds = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0];
            let sizes = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0];
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(COMMIT_SECONDS.into()), &seconds)
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full(FANOUT_SECONDS.into()), &seconds))
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full(COMMIT_BATCH.into()), &sizes));
            let recorder = match builder {
                Ok(b) => b.build_recorder(),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot set up the metrics");
                    return None;
                }
            };
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics stays empty");
                return None;
            }
            describe();
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(REQUESTS, "HTTP requests by route pattern, method and status");
    describe_counter!(ANSWERS, "answers by outcome: acked, or the error code they were refused with");
    describe_histogram!(COMMIT_BATCH, Unit::Count, "answers stored by one group commit");
    describe_histogram!(COMMIT_SECONDS, Unit::Seconds, "time of one group commit, retries included");
    describe_histogram!(FANOUT_SECONDS, Unit::Seconds, "time from an event to its last phone write");
    describe_gauge!(SOCKETS, "open live sockets by role (staff: organisers, judges, projectors)");
    describe_gauge!(ENGINE_QUEUE, "commands waiting for the contests' live engines, all together");
    describe_gauge!(WRITER_QUEUE, "answers waiting for the group-commit writer");
    describe_gauge!(STORAGE_OK, "1 while answers can be stored, 0 after a commit failed for want of storage");
    describe_counter!(BACKUPS, "backups written by the server, by outcome");
}

/// Counts one answer by how it ended.
pub fn count_answer<T>(r: &ApiResult<T>) {
    let outcome = match r {
        Ok(_) => "acked",
        Err(e) => e.code(),
    };
    metrics::counter!(ANSWERS, "outcome" => outcome).increment(1);
}

/// Samples of a growing count, one a second, for a rate over the last seconds.
#[derive(Default)]
pub struct RateWindow {
    samples: Mutex<VecDeque<(Instant, u64)>>,
}

/// Seconds over which the health strip's answers per second are counted.
pub const RATE_WINDOW: Duration = Duration::from_secs(10);

impl RateWindow {
    pub fn sample(&self, count: u64) {
        let now = Instant::now();
        let mut s = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        s.push_back((now, count));
        while s.front().is_some_and(|(t, _)| now.duration_since(*t) > RATE_WINDOW + Duration::from_secs(1)) {
            s.pop_front();
        }
    }

    /// Per second between the oldest sample of the window and `count` now.
    pub fn per_second(&self, count: u64) -> f64 {
        let now = Instant::now();
        let s = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        let Some((t, c)) = s.iter().find(|(t, _)| now.duration_since(*t) <= RATE_WINDOW) else { return 0.0 };
        let secs = now.duration_since(*t).as_secs_f64();
        if secs < 0.5 { 0.0 } else { count.saturating_sub(*c) as f64 / secs }
    }
}

/// Bytes free for this process on the filesystem holding `dir`.
pub fn disk_free(dir: &Path) -> Option<u64> {
    fs4::available_space(dir).ok()
}
