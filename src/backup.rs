//! Backups: a consistent copy of the database while the server runs (SQLite `VACUUM INTO`,
//! PostgreSQL `pg_dump`), the server's own backups every few minutes while a contest runs
//! (into `<data dir>/backups`, the last dozen kept), and restoring one when no server uses
//! the data.
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::config::DbSettings;

/// The server's backups, inside the data directory.
pub const DIR: &str = "backups";

/// A backup file and when it was written.
#[derive(Debug, Clone)]
pub struct BackupFile {
    pub path: PathBuf,
    /// Unix ms.
    pub at_ms: i64,
}

/// The server's backups in `dir`, oldest first.
pub fn list(dir: &Path) -> Vec<BackupFile> {
    let Ok(entries) = std::fs::read_dir(dir) else { return vec![] };
    let mut out: Vec<BackupFile> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("hoithi-"))
        .filter_map(|e| {
            let modified = e.metadata().ok()?.modified().ok()?;
            let at_ms = modified.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis() as i64;
            Some(BackupFile { path: e.path(), at_ms })
        })
        .collect();
    out.sort_by_key(|b| (b.at_ms, b.path.clone()));
    out
}

/// The newest of the server's backups in `dir`.
pub fn newest(dir: &Path) -> Option<BackupFile> {
    list(dir).pop()
}

/// Backups kept by the server; older ones are deleted.
pub const KEEP: usize = 12;
/// The lock file a running server holds in its data directory.
const LOCK_FILE: &str = "hoithi.lock";

/// Writes a consistent copy of the database to `dest` while it is in use: SQLite through
/// `VACUUM INTO` (a snapshot of one read transaction), PostgreSQL through `pg_dump`
/// (custom format, one snapshot). `dest` appears only once it is complete.
pub async fn backup_to(db: &DatabaseConnection, url: &str, dest: &Path) -> anyhow::Result<()> {
    if dest.exists() {
        bail!("{} already exists; choose a new file name", dest.display());
    }
    if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let partial = dest.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let made = if crate::db::is_sqlite(db) {
        let path = partial.to_str().ok_or_else(|| anyhow!("the backup path must be valid UTF-8"))?;
        db.execute_unprepared(&format!("VACUUM INTO '{}'", path.replace('\'', "''")))
            .await
            .map(|_| ())
            .map_err(|e| anyhow!("the SQLite backup failed: {e}"))
    } else {
        pg_dump(url, &partial).await
    };
    if let Err(e) = made.and_then(|()| Ok(std::fs::rename(&partial, dest)?)) {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    Ok(())
}

const PG_DUMP_HOW: &str = "install the PostgreSQL client tools (e.g. `apt-get install postgresql-client`) \
     or run by hand: pg_dump --format=custom --file FILE DATABASE_URL";

async fn pg_dump(url: &str, dest: &Path) -> anyhow::Result<()> {
    let (url, dest) = (url.to_owned(), dest.to_owned());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("pg_dump").arg("--format=custom").arg("--file").arg(&dest).arg(&url).output()
    })
    .await?;
    match out {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!("pg_dump is not on the PATH: {PG_DUMP_HOW}"),
        Err(e) => bail!("cannot run pg_dump: {e}"),
        Ok(o) if !o.status.success() => bail!("pg_dump failed: {}", String::from_utf8_lossy(&o.stderr).trim()),
        Ok(_) => Ok(()),
    }
}

/// Held by a running server: restoring into its data refuses while it is.
pub struct DataLock(#[allow(dead_code)] std::fs::File);

/// Takes the data directory's lock, waiting up to `wait` for a server that is stopping.
pub async fn lock_data_dir(dir: &Path, wait: Duration) -> anyhow::Result<DataLock> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    let path = dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let t0 = std::time::Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(DataLock(file)),
            Err(std::fs::TryLockError::WouldBlock) if t0.elapsed() < wait => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(std::fs::TryLockError::WouldBlock) => bail!(
                "a hoithi server is using the data in {} (it holds {}); stop it first",
                dir.display(),
                path.display()
            ),
            Err(std::fs::TryLockError::Error(e)) => bail!("cannot lock {}: {e}", path.display()),
        }
    }
}

/// Replaces the database with the backup `file`, refusing while a server uses the data.
pub async fn restore(dbs: &DbSettings, file: &Path) -> anyhow::Result<()> {
    if !file.is_file() {
        bail!("no backup file {}", file.display());
    }
    let _lock = lock_data_dir(&dbs.data_dir, Duration::ZERO).await?;
    let url = dbs.url();
    if url.starts_with("postgres") {
        let out = std::process::Command::new("pg_restore")
            .args(["--clean", "--if-exists", "--no-owner", "--single-transaction", "--dbname"])
            .arg(&url)
            .arg(file)
            .output();
        return match out {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "pg_restore is not on the PATH: install the PostgreSQL client tools, or run by hand: \
                 pg_restore --clean --if-exists --no-owner --dbname DATABASE_URL FILE"
            ),
            Err(e) => bail!("cannot run pg_restore: {e}"),
            Ok(o) if !o.status.success() => bail!("pg_restore failed: {}", String::from_utf8_lossy(&o.stderr).trim()),
            Ok(_) => Ok(()),
        };
    }
    let target = sqlite_path(&url).ok_or_else(|| anyhow!("cannot tell the SQLite file of {url}"))?;
    check_sqlite_backup(file).await?;
    let partial = target.with_extension("restoring");
    std::fs::copy(file, &partial).with_context(|| format!("cannot copy {} into place", file.display()))?;
    for ext in ["db-wal", "db-shm"] {
        let _ = std::fs::remove_file(target.with_extension(ext));
    }
    std::fs::rename(&partial, &target).with_context(|| format!("cannot replace {}", target.display()))?;
    Ok(())
}

/// The file of a `sqlite://` URL.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    Some(PathBuf::from(rest.split('?').next()?))
}

/// A backup must be a sound SQLite database of this server before it replaces anything.
async fn check_sqlite_backup(file: &Path) -> anyhow::Result<()> {
    let url = format!("sqlite://{}?mode=ro", file.display());
    let db =
        sea_orm::Database::connect(&url).await.map_err(|e| anyhow!("{} is not a database: {e}", file.display()))?;
    let check = db
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA quick_check"))
        .await
        .ok()
        .flatten()
        .and_then(|r| r.try_get_by_index::<String>(0).ok());
    let has_answers = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'answers'",
        ))
        .await
        .ok()
        .flatten()
        .and_then(|r| r.try_get_by_index::<i64>(0).ok());
    db.close().await.ok();
    if check.as_deref() != Some("ok") {
        bail!("{} is not a sound SQLite database (quick_check: {check:?})", file.display());
    }
    if has_answers != Some(1) {
        bail!("{} is not a hoithi database (it has no answers table)", file.display());
    }
    Ok(())
}

/// While a contest runs, writes a backup every `every` into `<data dir>/backups` and keeps
/// the last [`KEEP`].
pub async fn every(db: DatabaseConnection, url: String, data_dir: PathBuf, every: Duration) {
    let dir = data_dir.join(DIR);
    let ext = if crate::db::is_sqlite(&db) { "db" } else { "dump" };
    loop {
        tokio::time::sleep(every).await;
        match crate::store::live::running_contest_ids(&db).await {
            Ok(ids) if !ids.is_empty() => {}
            _ => continue,
        }
        let name = format!("hoithi-{}.{ext}", chrono::Utc::now().format("%Y%m%d-%H%M%S-%3f"));
        match backup_to(&db, &url, &dir.join(&name)).await {
            Ok(()) => {
                metrics::counter!(crate::monitor::BACKUPS, "outcome" => "written").increment(1);
                tracing::info!(file = %dir.join(&name).display(), "backup written");
                prune(&dir, KEEP);
            }
            Err(e) => {
                metrics::counter!(crate::monitor::BACKUPS, "outcome" => "failed").increment(1);
                tracing::error!(error = %e, "the periodic backup failed");
            }
        }
    }
}

/// Deletes all but the newest `keep` backups in `dir`.
pub fn prune(dir: &Path, keep: usize) {
    let all = list(dir);
    for b in &all[..all.len().saturating_sub(keep)] {
        if let Err(e) = std::fs::remove_file(&b.path) {
            tracing::warn!(error = %e, file = %b.path.display(), "cannot delete an old backup");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prune_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..15 {
            let p = dir.path().join(format!("hoithi-{i:02}.db"));
            std::fs::write(&p, b"x").unwrap();
            let t = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 + i);
            std::fs::File::options().write(true).open(&p).unwrap().set_modified(t).unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), b"kept").unwrap();
        prune(dir.path(), KEEP);
        let left: Vec<String> =
            list(dir.path()).iter().map(|b| b.path.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(left.len(), 12);
        assert_eq!(left[0], "hoithi-03.db");
        assert!(dir.path().join("notes.txt").exists());
    }
}
