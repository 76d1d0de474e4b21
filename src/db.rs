//! Opening the database (SQLite by default, PostgreSQL when the URL says so) and applying
//! migrations. Failures become one sentence that says what is wrong and how to fix it.
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, anyhow};
use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection};

use crate::config::DbSettings;

/// Connects, creating the SQLite file and its folder when needed.
pub async fn connect(settings: &DbSettings) -> anyhow::Result<DatabaseConnection> {
    connect_url(&settings.url(), Some(&settings.data_dir)).await
}

pub async fn connect_url(url: &str, data_dir: Option<&Path>) -> anyhow::Result<DatabaseConnection> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false).connect_timeout(Duration::from_secs(5)).acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        if let Some(path) = sqlite_path(url) {
            let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
            if let Some(dir) = dir.or(data_dir) {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!(
                        "cannot create the data directory {} (set HOITHI_DATA_DIR or --data-dir to a writable folder)",
                        dir.display()
                    )
                })?;
                check_writable(dir)?;
            }
        }
        // WAL lets readers run beside the single writer; synchronous=FULL makes a commit
        // durable before it returns, so an acknowledged answer survives even a power cut.
        // A burst of answers is one multi-row insert: its statement journal stays in memory
        // (temp_store), and a 64 MiB page cache keeps the answer indexes out of pread. No
        // connection checkpoints the WAL by itself (a commit that did would make every ack
        // wait for the copy): the server checkpoints it in the background, in the lulls
        // between bursts of answers (`live::writer::checkpoint_loop`), and the last
        // connection to close checkpoints what is left.
        opts.max_connections(8).min_connections(1).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("temp_store", "memory")
                .pragma("cache_size", "-65536")
                .pragma("wal_autocheckpoint", "0")
        });
        opts.map_sqlx_sqlite_before_acquire(|conn, _| Box::pin(async move { Ok(sound(&*conn)) }));
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        opts.max_connections(16).min_connections(1);
        opts.map_sqlx_postgres_before_acquire(|conn, _| Box::pin(async move { Ok(sound(&*conn)) }));
    } else {
        return Err(anyhow!(
            "DATABASE_URL must start with sqlite:// or postgres:// (got {:?})",
            url.split(':').next().unwrap_or_default()
        ));
    }
    let db = Database::connect(opts).await.map_err(|e| {
        anyhow!(
            "cannot connect to the database at {}: {e} (check DATABASE_URL and that the server is running)",
            redact(url)
        )
    })?;
    Ok(db)
}

/// Whether a pooled connection may be handed out again: not when the driver still counts
/// a transaction open on it while nobody uses it.
///
/// That happens after a COMMIT failed for want of storage (a full disk): SQLite may have
/// rolled the transaction back by itself, or kept it open, and the ROLLBACK that follows
/// can fail in turn, so the driver's count of open transactions no longer matches
/// SQLite's. The next "transaction" on that connection would then be a SAVEPOINT inside a
/// transaction that never commits: every write acknowledged on it would be lost. Such a
/// connection is closed (which rolls back whatever it held) and a fresh one is opened.
pub fn sound<C: sea_orm::sqlx::Connection>(conn: &C) -> bool {
    let ok = !conn.is_in_transaction();
    if !ok {
        tracing::warn!("a database connection left inside a failed transaction is replaced");
    }
    ok
}

/// Applies every pending migration, once the database is known not to be newer than this
/// binary.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    let unknown = unknown_migrations(db).await.map_err(|e| anyhow!("cannot read the database's migrations: {e}"))?;
    if !unknown.is_empty() {
        return Err(anyhow!(
            "the database's schema is newer than this hoithi: it has migration{} {} that this binary does not know; \
             upgrade hoithi to the version that applied {} (nothing was changed)",
            if unknown.len() == 1 { "" } else { "s" },
            unknown.join(", "),
            if unknown.len() == 1 { "it" } else { "them" },
        ));
    }
    Migrator::up(db, None).await.map_err(|e| anyhow!("cannot apply the database migrations: {e}"))
}

/// Migrations recorded in the database (`seaql_migrations`) that this binary does not
/// have: a newer hoithi applied them. Reads only; a fresh database has none.
pub async fn unknown_migrations(db: &DatabaseConnection) -> Result<Vec<String>, sea_orm::DbErr> {
    use migrations::SchemaManager;
    if !SchemaManager::new(db).has_table("seaql_migrations").await? {
        return Ok(vec![]);
    }
    let known: std::collections::HashSet<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    let stmt = sea_orm::Statement::from_string(
        db.get_database_backend(),
        "SELECT version FROM seaql_migrations ORDER BY version",
    );
    let mut unknown = vec![];
    for row in db.query_all_raw(stmt).await? {
        let version: String = row.try_get("", "version")?;
        if !known.contains(&version) {
            unknown.push(version);
        }
    }
    Ok(unknown)
}

/// Is the database reachable? Used by `/readyz`.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

pub fn is_sqlite(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DatabaseBackend::Sqlite
}

fn sqlite_path(url: &str) -> Option<&Path> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    if path.is_empty() || path == ":memory:" { None } else { Some(Path::new(path)) }
}

fn check_writable(dir: &Path) -> anyhow::Result<()> {
    let probe = dir.join(".hoithi-write-test");
    std::fs::write(&probe, b"ok").with_context(|| {
        format!(
            "the data directory {} is not writable (set HOITHI_DATA_DIR or --data-dir to a writable folder)",
            dir.display()
        )
    })?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or_default();
            format!("{}://{}@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// Instances starting together on one PostgreSQL database take turns for the first-start
/// writes (migrations, the shipped banks, the first organiser, the signing secret): a
/// session advisory lock, held on a connection of its own until [`StartLock::release`]
/// (or until dropped: the connection is then closed, which releases it too). Nothing on SQLite.
pub struct StartLock(Option<sea_orm::sqlx::pool::PoolConnection<sea_orm::sqlx::Postgres>>);

/// The advisory lock's key ("hoithi" start).
const START_LOCK_KEY: i64 = 0x686f_6974_6869_0001;

pub async fn start_lock(db: &DatabaseConnection) -> anyhow::Result<StartLock> {
    if is_sqlite(db) {
        return Ok(StartLock(None));
    }
    let mut conn = db.get_postgres_connection_pool().acquire().await?;
    sea_orm::sqlx::query("SELECT pg_advisory_lock($1)").bind(START_LOCK_KEY).execute(&mut *conn).await?;
    Ok(StartLock(Some(conn)))
}

impl StartLock {
    pub async fn release(mut self) {
        if let Some(mut c) = self.0.take() {
            let unlocked =
                sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)").bind(START_LOCK_KEY).execute(&mut *c).await;
            if unlocked.is_err() {
                drop(c.detach());
            }
        }
    }
}

impl Drop for StartLock {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            // Closing the connection ends the session and its lock.
            drop(c.detach());
        }
    }
}
