//! Background jobs: an export or an import of a big archive runs as a task of its own
//! while the console polls its progress (`GET /api/jobs/{id}`), and a finished export's
//! file waits here to be downloaded.
//!
//! The table lives in memory: a restart forgets every job, running or finished (the
//! console then says the job is gone; start it again). An import's transaction is rolled
//! back by the database when its task dies with the process, so nothing half-imported
//! stays. Finished jobs, their files included, are kept for [`KEEP_MS`]; at most
//! [`MAX_RUNNING`] run at once.
//!
//! Jobs run on a runtime of their own (one thread, [`spawn`]): recomputing the board of
//! 200,000 answers or converting them takes the CPU for a while, and on an HTTP worker's
//! runtime that would hold back every request that worker serves, the job's own progress
//! polls included.
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};

/// How long a finished job (and its file) is kept.
pub const KEEP_MS: i64 = 30 * 60 * 1000;
/// Jobs running at once; a further start is refused with 409 `busy`.
pub const MAX_RUNNING: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Export,
    Import,
}

enum Outcome {
    Running,
    Done { file: Option<(String, Bytes)>, contest_id: Option<i32> },
    Failed(Value),
}

pub struct Job {
    pub id: String,
    pub kind: JobKind,
    /// Who started it (`organiser:<username>`).
    pub owner: String,
    /// The exported contest.
    pub source_contest: Option<i32>,
    pub created_at: i64,
    done: AtomicU64,
    total: AtomicU64,
    phase: Mutex<&'static str>,
    outcome: Mutex<(Outcome, Option<i64>)>,
}

/// A job as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    pub id: String,
    pub kind: JobKind,
    /// `running`, `done` or `failed`.
    pub state: &'static str,
    /// What it is doing: `reading` (the archive or the database), `writing`, `checking`
    /// (recomputing the board of an import), `serializing`, `finished`.
    pub phase: &'static str,
    /// Records handled so far, of `total` (0 while the total is not known yet).
    pub done: u64,
    pub total: u64,
    /// The exported contest (export), or the contest the import created (once done).
    pub contest_id: Option<i32>,
    /// Where to download the finished export.
    pub file: Option<String>,
    pub file_name: Option<String>,
    pub bytes: Option<u64>,
    /// Why it failed: the API's error object (`code`, `message`, and `field` naming the
    /// place in the archive).
    pub error: Option<Value>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

impl Job {
    pub fn view(&self) -> JobView {
        let (outcome, finished_at) = &*lock(&self.outcome);
        let (state, contest_id, file, error) = match outcome {
            Outcome::Running => ("running", self.source_contest, None, None),
            Outcome::Done { file, contest_id } => ("done", contest_id.or(self.source_contest), file.as_ref(), None),
            Outcome::Failed(e) => ("failed", self.source_contest, None, Some(e.clone())),
        };
        JobView {
            id: self.id.clone(),
            kind: self.kind,
            state,
            phase: *lock(&self.phase),
            done: self.done.load(Ordering::Relaxed),
            total: self.total.load(Ordering::Relaxed),
            contest_id,
            file: file.map(|_| format!("/api/jobs/{}/file", self.id)),
            file_name: file.map(|f| f.0.clone()),
            bytes: file.map(|f| f.1.len() as u64),
            error,
            created_at: self.created_at,
            finished_at: *finished_at,
        }
    }

    /// The finished export's file.
    pub fn file(&self) -> Option<(String, Bytes)> {
        match &lock(&self.outcome).0 {
            Outcome::Done { file, .. } => file.clone(),
            _ => None,
        }
    }

    fn running(&self) -> bool {
        matches!(lock(&self.outcome).0, Outcome::Running)
    }

    fn finished_before(&self, t: i64) -> bool {
        lock(&self.outcome).1.is_some_and(|f| f < t)
    }

    pub fn finish(&self, file: Option<(String, Bytes)>, contest_id: Option<i32>) {
        *lock(&self.phase) = "finished";
        *lock(&self.outcome) = (Outcome::Done { file, contest_id }, Some(crate::now_ms()));
    }

    pub fn fail(&self, e: &ApiError) {
        if matches!(e, ApiError::Internal(_) | ApiError::Unavailable(_)) {
            tracing::error!(job = %self.id, error = ?e, "archive job failed");
        }
        *lock(&self.outcome) = (Outcome::Failed(e.body()["error"].clone()), Some(crate::now_ms()));
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Progress reports of a running export or import; `Progress::none()` for the
/// synchronous endpoints.
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<Job>>);

impl Progress {
    pub fn none() -> Self {
        Self(None)
    }
    pub fn of(job: &Arc<Job>) -> Self {
        Self(Some(job.clone()))
    }
    pub fn phase(&self, p: &'static str) {
        if let Some(j) = &self.0 {
            *lock(&j.phase) = p;
        }
    }
    pub fn total(&self, n: u64) {
        if let Some(j) = &self.0 {
            j.total.store(n, Ordering::Relaxed);
        }
    }
    pub fn add(&self, n: u64) {
        if let Some(j) = &self.0 {
            j.done.fetch_add(n, Ordering::Relaxed);
        }
    }
}

/// Runs a job's task on the jobs' runtime: one thread started at the first job and kept
/// for the life of the process (database connections it opens stay usable by others).
pub fn spawn(task: impl Future<Output = ()> + Send + 'static) -> ApiResult<()> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Handle, String>> = OnceLock::new();
    let handle = RUNTIME.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        let handle = rt.handle().clone();
        std::thread::Builder::new()
            .name("archive-jobs".into())
            .spawn(move || rt.block_on(std::future::pending::<()>()))
            .map_err(|e| e.to_string())?;
        Ok(handle)
    });
    match handle {
        Ok(h) => {
            h.spawn(task);
            Ok(())
        }
        Err(e) => Err(ApiError::internal(anyhow::anyhow!("cannot start the jobs' runtime: {e}"))),
    }
}

#[derive(Default)]
pub struct Jobs {
    jobs: Mutex<HashMap<String, Arc<Job>>>,
}

impl Jobs {
    /// Registers a new running job; refused with 409 `busy` while [`MAX_RUNNING`] run.
    pub fn start(&self, kind: JobKind, owner: &str, source_contest: Option<i32>) -> ApiResult<Arc<Job>> {
        let now = crate::now_ms();
        let mut jobs = lock(&self.jobs);
        jobs.retain(|_, j| !j.finished_before(now - KEEP_MS));
        if jobs.values().filter(|j| j.running()).count() >= MAX_RUNNING {
            return Err(ApiError::conflict(
                "busy",
                format!("{MAX_RUNNING} archive jobs are running; wait for one to finish"),
            ));
        }
        let job = Arc::new(Job {
            id: uuid::Uuid::new_v4().simple().to_string(),
            kind,
            owner: owner.to_owned(),
            source_contest,
            created_at: now,
            done: AtomicU64::new(0),
            total: AtomicU64::new(0),
            phase: Mutex::new("reading"),
            outcome: Mutex::new((Outcome::Running, None)),
        });
        jobs.insert(job.id.clone(), job.clone());
        Ok(job)
    }

    pub fn get(&self, id: &str) -> Option<Arc<Job>> {
        let now = crate::now_ms();
        let mut jobs = lock(&self.jobs);
        jobs.retain(|_, j| !j.finished_before(now - KEEP_MS));
        jobs.get(id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_reports_progress_then_its_file() {
        let jobs = Jobs::default();
        let j = jobs.start(JobKind::Export, "organiser:a", Some(3)).unwrap();
        let p = Progress::of(&j);
        p.total(10);
        p.add(4);
        let v = jobs.get(&j.id).unwrap().view();
        assert_eq!((v.state, v.done, v.total, v.file.clone()), ("running", 4, 10, None));
        j.finish(Some(("a.json".into(), Bytes::from_static(b"{}"))), None);
        let v = j.view();
        assert_eq!(v.state, "done");
        assert_eq!(v.file.as_deref(), Some(format!("/api/jobs/{}/file", j.id).as_str()));
        assert_eq!(v.bytes, Some(2));
        assert_eq!(v.contest_id, Some(3));
    }

    #[test]
    fn at_most_max_running_jobs() {
        let jobs = Jobs::default();
        let a = jobs.start(JobKind::Import, "o", None).unwrap();
        jobs.start(JobKind::Import, "o", None).unwrap();
        assert_eq!(jobs.start(JobKind::Import, "o", None).err().map(|e| e.code()), Some("busy"));
        a.fail(&ApiError::invalid("teams[0].id", "duplicate"));
        assert_eq!(a.view().error.unwrap()["field"], "teams[0].id");
        jobs.start(JobKind::Import, "o", None).unwrap();
    }
}
