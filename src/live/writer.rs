//! The group-commit writer: one task per database drains a bounded queue of answers and
//! stores whatever arrived while the previous batch was committing in ONE transaction.
//! Each answer's outcome goes back to its contest's engine only after the commit, so an
//! acknowledged answer is durable, and a burst of thousands of answers costs a handful
//! of commits instead of thousands.
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{DatabaseConnection, TransactionTrait};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::entities::answers;
use crate::error::{ApiError, is_storage_failure};
use crate::store::{self, live::NewAnswer};

/// Largest batch in one statement (9 values each stay far below SQLite's 32 766).
const MAX_BATCH: usize = 1000;
/// Answers waiting for the writer; a full queue makes engines wait (back-pressure).
pub const QUEUE: usize = 16_384;

pub struct WriteReq {
    pub answer: NewAnswer,
    pub back: mpsc::UnboundedSender<Committed>,
}

/// The outcome of one answer: the row as stored (which may be an earlier row with the
/// same submission id), or why it could not be stored.
#[derive(Debug)]
pub struct Committed {
    pub key: (i32, String),
    pub result: Result<answers::Model, WriteError>,
}

/// Why an answer was not stored. Nothing of it is in the database either way, so the
/// same submission sent again is stored once it can be.
#[derive(Debug, Clone)]
pub enum WriteError {
    /// Storage failed (full disk, database server gone): `storage_unavailable`.
    Storage(String),
    /// The writer has stopped: the server is shutting down.
    ShuttingDown,
    /// This instance no longer holds the contest's lease (another took over): nothing
    /// was stored, and the same answer sent again reaches the new owner.
    NotOwner,
    /// Anything else (a bug): `internal`.
    Failed(String),
}

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Storage(m) => ApiError::StorageUnavailable(anyhow::anyhow!(m)),
            WriteError::ShuttingDown => ApiError::Unavailable(anyhow::anyhow!("the server is shutting down")),
            WriteError::NotOwner => ApiError::Unavailable(anyhow::anyhow!(
                "another instance took over this contest's live engine; send the answer again"
            )),
            WriteError::Failed(m) => ApiError::internal(anyhow::anyhow!(m)),
        }
    }
}

/// Commits and answers stored so far (for monitoring and the tests of batching).
#[derive(Debug, Default)]
pub struct Stats {
    pub batches: AtomicU64,
    pub answers: AtomicU64,
    /// Answers of the commits that succeeded.
    pub stored: AtomicU64,
    /// When the last commit ended (Unix ms), and how long it took (µs).
    pub last_commit_at_ms: AtomicI64,
    pub last_commit_us: AtomicU64,
    /// False since a commit failed, until one succeeds again.
    pub failing: AtomicBool,
}

/// Batches committing at once. SQLite has one writer, so one lane; PostgreSQL commits
/// several batches in parallel (a resent submission racing its first copy in another
/// batch waits on the unique index and then finds the stored row).
const PG_LANES: usize = 4;

/// `fence`: with several instances (PostgreSQL), this instance's id: each batch stores
/// the answers of a contest only while this instance holds its lease (see `super::lease`).
pub fn spawn(
    db: DatabaseConnection,
    stats: Arc<Stats>,
    fence: Option<Arc<str>>,
) -> (mpsc::Sender<WriteReq>, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<WriteReq>(QUEUE);
    let sqlite = crate::db::is_sqlite(&db);
    let lanes = if sqlite { 1 } else { PG_LANES };
    let task = tokio::spawn(async move {
        let pool = db.clone();
        let db = own_connection(db).await;
        let free = Arc::new(tokio::sync::Semaphore::new(lanes));
        let mut committing = tokio::task::JoinSet::new();
        // The checkpoints run on a pooled connection, beside the commits: a checkpoint
        // syncs the database file, which took 30–85 ms here, and commits must not queue
        // behind that.
        let checkpoints = sqlite.then(|| tokio::spawn(checkpoint_loop(pool.clone(), stats.clone())));
        let probe = tokio::spawn(probe_loop(pool, stats.clone()));
        while let Some(first) = rx.recv().await {
            // Wait for a free lane first: whatever arrives meanwhile joins this batch.
            let Ok(lane) = free.clone().acquire_owned().await else { break };
            let mut batch = Vec::with_capacity(64);
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(r) => batch.push(r),
                    Err(_) => break,
                }
            }
            stats.batches.fetch_add(1, Ordering::Relaxed);
            stats.answers.fetch_add(batch.len() as u64, Ordering::Relaxed);
            let db = db.clone();
            let stats = stats.clone();
            let fence = fence.clone();
            committing.spawn(async move {
                commit(&db, &mut batch, &stats, fence.as_deref()).await;
                drop(lane);
            });
            while committing.try_join_next().is_some() {}
        }
        // Shutting down: every batch already taken is committed before the task ends.
        while committing.join_next().await.is_some() {}
        if let Some(c) = checkpoints {
            c.abort();
        }
        probe.abort();
    });
    (tx, task)
}

/// The writer has been quiet this long: a lull between questions, time to checkpoint.
const LULL: std::time::Duration = std::time::Duration::from_millis(300);
/// A checkpoint happens at least this often while answers keep coming.
const CHECKPOINT_AT_LEAST: std::time::Duration = std::time::Duration::from_secs(30);

/// Copies the SQLite write-ahead log back into the database file in the lulls between
/// bursts of answers, in the background.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold: that
/// commit copies every page written since the last checkpoint and syncs the database, and
/// every ack waits for it. A checkpoint beside the writer is better but not good: it syncs
/// the database file (30–90 ms here) while commits sync the log, and on this machine's disk
/// the commits' syncs then took up to 85 ms. So connections open with
/// `wal_autocheckpoint=0` (see `db.rs`) and this task runs a PASSIVE checkpoint on a pooled
/// connection once no answer has been committed for 300 ms (between questions), and at
/// least every 30 s. It never takes the write lock from the writer, and once the log is
/// fully copied the next commit starts it over from the beginning.
async fn checkpoint_loop(db: DatabaseConnection, stats: Arc<Stats>) {
    let mut tick = tokio::time::interval(LULL / 3);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen = stats.batches.load(Ordering::Relaxed);
    let mut last_change = tokio::time::Instant::now();
    let mut checkpointed = seen;
    let mut last_checkpoint = tokio::time::Instant::now();
    loop {
        tick.tick().await;
        let now = stats.batches.load(Ordering::Relaxed);
        if now != seen {
            seen = now;
            last_change = tokio::time::Instant::now();
        }
        let lull = last_change.elapsed() >= LULL;
        if seen != checkpointed && (lull || last_checkpoint.elapsed() >= CHECKPOINT_AT_LEAST) {
            checkpoint_wal(&db).await;
            checkpointed = seen;
            last_checkpoint = tokio::time::Instant::now();
        }
    }
}

async fn checkpoint_wal(db: &DatabaseConnection) {
    use sea_orm::{ConnectionTrait, Statement};
    let t0 = std::time::Instant::now();
    let stmt = Statement::from_string(db.get_database_backend(), "PRAGMA wal_checkpoint(PASSIVE)");
    match db.query_one_raw(stmt).await {
        Ok(Some(row)) => {
            let frames: i64 = row.try_get_by_index(1).unwrap_or(0);
            let copied: i64 = row.try_get_by_index(2).unwrap_or(0);
            if frames > 0 {
                tracing::debug!(frames, copied, took_ms = t0.elapsed().as_secs_f64() * 1e3, "wal checkpoint");
            }
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "the WAL checkpoint failed; the next one retries"),
    }
}

/// While storage fails, it is tried this often when no answer comes to try it.
const PROBE_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Clears the storage alarm once storage works again, even when no answer comes to show
/// it (between questions): while the last commit failed and nothing was committed for
/// [`PROBE_EVERY`], writes and removes one row of `settings` in a transaction, as an
/// answer's commit would. Every failing commit raises the alarm again.
async fn probe_loop(db: DatabaseConnection, stats: Arc<Stats>) {
    let mut tick = tokio::time::interval(PROBE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let quiet_ms = crate::now_ms() - stats.last_commit_at_ms.load(Ordering::Relaxed);
        if !stats.failing.load(Ordering::Relaxed) || quiet_ms < PROBE_EVERY.as_millis() as i64 {
            continue;
        }
        match probe(&db).await {
            Ok(()) => {
                tracing::info!("storage works again");
                stats.failing.store(false, Ordering::Relaxed);
            }
            Err(e) => tracing::debug!(error = %e, "storage still fails"),
        }
    }
}

async fn probe(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    use sea_orm::ConnectionTrait;
    let txn = db.begin().await?;
    txn.execute_unprepared(
        r#"INSERT INTO settings ("key", "value") VALUES ('hoithi.storage_probe', '') ON CONFLICT ("key") DO NOTHING"#,
    )
    .await?;
    txn.execute_unprepared(r#"DELETE FROM settings WHERE "key" = 'hoithi.storage_probe'"#).await?;
    txn.commit().await
}

/// On SQLite the writer commits through a connection of its own. Pooled connections are
/// handed out in turn, and a connection drops its page cache whenever another one wrote:
/// with its own connection the writer keeps the answer indexes in memory between commits.
/// (The others only read, which leaves the writer's cache valid.)
async fn own_connection(db: DatabaseConnection) -> DatabaseConnection {
    if !crate::db::is_sqlite(&db) {
        return db;
    }
    let opts = db.get_sqlite_connection_pool().connect_options();
    // An in-memory database exists once per connection pool: it must stay shared.
    let name = opts.get_filename().to_string_lossy();
    if name.is_empty() || name.contains("memory") {
        return db;
    }
    let pool = sea_orm::sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        // After a failed commit (a full disk) the connection may be stuck inside a
        // transaction that never commits: it is replaced (see `db::sound`).
        .before_acquire(|conn, _| Box::pin(async move { Ok(crate::db::sound(&*conn)) }))
        .connect_with((*opts).clone().busy_timeout(std::time::Duration::ZERO))
        .await;
    match pool {
        Ok(pool) => sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool),
        Err(e) => {
            tracing::warn!(error = %e, "cannot open the answer writer's own connection; it shares the pool");
            db
        }
    }
}

async fn commit(db: &DatabaseConnection, batch: &mut Vec<WriteReq>, stats: &Stats, fence: Option<&str>) {
    let rows: Vec<NewAnswer> = batch.iter().map(|r| r.answer.clone()).collect();
    let t0 = std::time::Instant::now();
    // How long the oldest answer of the batch waited since the engine received it.
    let waited_ms = rows.iter().map(|r| r.received_at).min().map_or(0, |t| crate::now_ms() - t);
    let mut busy = 0u32;
    // The fencing query's share of the commit (several instances; BENCHMARKS.md).
    let mut fence_took = Duration::ZERO;
    let outcome = loop {
        match store_batch(db, &rows, fence, &mut fence_took).await {
            Err(e) if is_busy(&e.to_string()) && t0.elapsed() < BUSY_LIMIT => {
                busy += 1;
                tokio::time::sleep(BUSY_RETRY).await;
            }
            other => break other,
        }
    };
    let took = t0.elapsed();
    metrics::histogram!(crate::monitor::COMMIT_BATCH).record(rows.len() as f64);
    metrics::histogram!(crate::monitor::COMMIT_SECONDS).record(took.as_secs_f64());
    stats.last_commit_at_ms.store(crate::now_ms(), Ordering::Relaxed);
    stats.last_commit_us.store(took.as_micros() as u64, Ordering::Relaxed);
    let outcome = match outcome {
        Ok((stored, fenced)) => {
            let n = rows.iter().filter(|r| !fenced.contains(&r.contest_id)).count();
            stats.stored.fetch_add(n as u64, Ordering::Relaxed);
            stats.failing.store(false, Ordering::Relaxed);
            Ok((stored, fenced))
        }
        Err(e) => {
            stats.failing.store(true, Ordering::Relaxed);
            tracing::error!(error = %e, answers = rows.len(), "a batch of answers could not be stored");
            Err(if is_storage_failure(&e) {
                WriteError::Storage(e.to_string())
            } else {
                WriteError::Failed(e.to_string())
            })
        }
    };
    tracing::debug!(
        answers = rows.len(),
        waited_ms,
        busy,
        took_ms = t0.elapsed().as_secs_f64() * 1e3,
        fence_ms = fence_took.as_secs_f64() * 1e3,
        "batch committed"
    );
    for req in batch.drain(..) {
        let key = (req.answer.contestant_id, req.answer.submission_id.clone());
        let result = match &outcome {
            Ok((_, fenced)) if fenced.contains(&req.answer.contest_id) => Err(WriteError::NotOwner),
            Ok((stored, _)) => {
                stored.get(&key).cloned().ok_or_else(|| WriteError::Failed("the answer was not stored".to_owned()))
            }
            Err(e) => Err(e.clone()),
        };
        // The engine may have stopped (shutdown); the answer is stored either way.
        let _ = req.back.send(Committed { key, result });
    }
}

/// While another connection holds SQLite's write lock, the batch is retried this often...
const BUSY_RETRY: std::time::Duration = std::time::Duration::from_micros(500);
/// ...for at most this long (the pool's own busy timeout).
const BUSY_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// SQLite's "database is locked" (SQLITE_BUSY and its extended codes).
///
/// The writer's own connection has no busy timeout: SQLite's busy handler sleeps in steps
/// of 1, 2, 5, 10 … 100 ms, so a commit that meets a write lock held for a few ms (by an
/// engine's transaction on a pooled connection, or another program) could sleep far longer
/// than the lock is held. The writer retries every half millisecond instead; the failed
/// attempt rolled back, and the insert is idempotent. (The long commit stalls seen in the
/// benchmark were the disk's sync, not this: see BENCHMARKS.md.)
fn is_busy(e: &str) -> bool {
    e.contains("database is locked") || e.contains("(code: 5)") || e.contains("(code: 517)")
}

/// A stored batch: every row by its key, as stored, and the contests whose answers were
/// not stored because this instance no longer holds their lease.
type Stored = (HashMap<(i32, String), answers::Model>, std::collections::HashSet<i32>);

/// Inserts the batch and returns every row by its key, as stored.
async fn store_batch(
    db: &DatabaseConnection,
    rows: &[NewAnswer],
    fence: Option<&str>,
    fence_took: &mut std::time::Duration,
) -> Result<Stored, sea_orm::DbErr> {
    let txn = db.begin().await?;
    let mut fenced = std::collections::HashSet::new();
    let kept: Vec<NewAnswer>;
    let rows = match fence {
        None => rows,
        Some(me) => {
            let contests: std::collections::BTreeSet<i32> = rows.iter().map(|r| r.contest_id).collect();
            let t0 = Instant::now();
            let held = held_leases(&txn, me, &contests).await?;
            *fence_took += t0.elapsed();
            fenced = contests.difference(&held).copied().collect();
            if fenced.is_empty() {
                rows
            } else {
                tracing::warn!(contests = ?fenced, "answers refused: this instance no longer holds the lease");
                kept = rows.iter().filter(|r| !fenced.contains(&r.contest_id)).cloned().collect();
                &kept
            }
        }
    };
    if rows.is_empty() {
        txn.commit().await?;
        return Ok((HashMap::new(), fenced));
    }
    let inserted = store::live::insert_answers(&txn, rows).await?;
    let mut out: HashMap<(i32, String), answers::Model> = HashMap::with_capacity(rows.len());
    if inserted as usize != rows.len() {
        // Some submission ids were stored before: answer with the stored row.
        let keys: Vec<(i32, String)> = rows.iter().map(|r| (r.contestant_id, r.submission_id.clone())).collect();
        for m in store::live::answers_by_keys(&txn, &keys).await? {
            out.insert((m.contestant_id, m.submission_id.clone()), m);
        }
    } else {
        for r in rows {
            out.insert((r.contestant_id, r.submission_id.clone()), model(r));
        }
    }
    txn.commit().await?;
    Ok((out, fenced))
}

/// The contests among `contests` whose lease this instance holds, unexpired; the rows are
/// locked (FOR SHARE) until the batch commits, so a takeover waits for the batch and then
/// loads it, and a batch after a takeover stores nothing of that contest.
async fn held_leases(
    txn: &sea_orm::DatabaseTransaction,
    me: &str,
    contests: &std::collections::BTreeSet<i32>,
) -> Result<std::collections::BTreeSet<i32>, sea_orm::DbErr> {
    use sea_orm::{ConnectionTrait, Statement};
    let ids: Vec<String> = contests.iter().map(|c| c.to_string()).collect();
    let sql = format!(
        "SELECT contest_id FROM engine_leases WHERE owner = $1 AND contest_id IN ({}) AND expires_at > now() FOR SHARE",
        ids.join(",")
    );
    let rows = txn.query_all_raw(Statement::from_sql_and_values(txn.get_database_backend(), sql, [me.into()])).await?;
    rows.iter().map(|r| r.try_get_by_index::<i32>(0)).collect()
}

fn model(r: &NewAnswer) -> answers::Model {
    answers::Model {
        id: 0,
        contest_id: r.contest_id,
        part_question_id: r.part_question_id,
        team_id: r.team_id,
        contestant_id: r.contestant_id,
        submission_id: r.submission_id.clone(),
        payload: r.payload.clone(),
        star: r.star,
        received_at: r.received_at,
        elapsed_ms: r.elapsed_ms,
    }
}
