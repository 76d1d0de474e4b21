//! Backups: a consistent copy of the database while the server runs (SQLite `VACUUM INTO`,
//! PostgreSQL `pg_dump`), the server's own backups every few minutes while a contest runs
//! (into `<data dir>/backups`, the last dozen kept), and restoring one when no server uses
//! the data.
use std::path::{Path, PathBuf};

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
