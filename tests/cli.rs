//! The binary's start-up failures: one clear line on stderr, a non-zero exit, no panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::process::{Command, Output};

fn hoithi(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hoithi"));
    for (k, _) in std::env::vars() {
        if k.starts_with("HOITHI_") || k == "DATABASE_URL" || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd.args(args).envs(envs.iter().copied()).env("HOITHI_LOG", "error");
    cmd.output().expect("run hoithi")
}

fn assert_one_line_failure(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {stderr}");
    assert!(stderr.contains(needle), "stderr should mention {needle:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "no panic: {stderr}");
    assert!(!stderr.contains("stack backtrace"), "no backtrace: {stderr}");
    let lines: Vec<_> = stderr.lines().filter(|l| l.starts_with("hoithi:")).collect();
    assert_eq!(lines.len(), 1, "exactly one error line: {stderr}");
}

#[test]
fn unreachable_database_is_one_clear_line() {
    let out = hoithi(&["--bind", "127.0.0.1:0", "--database-url", "postgres://nobody@127.0.0.1:1/nothing"], &[]);
    assert_one_line_failure(&out, "cannot connect to the database");
}

#[test]
fn unknown_database_scheme_is_refused() {
    let out = hoithi(&["--bind", "127.0.0.1:0"], &[("DATABASE_URL", "mysql://localhost/x")]);
    assert_one_line_failure(&out, "DATABASE_URL must start with sqlite:// or postgres://");
}

#[test]
fn unwritable_data_directory_is_one_clear_line() {
    let out = hoithi(&["--bind", "127.0.0.1:0", "--data-dir", "/proc/hoithi-cannot-write-here"], &[]);
    assert_one_line_failure(&out, "data directory");
}

#[test]
fn port_in_use_is_one_clear_line_and_writes_nothing() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = hoithi(&["--bind", &addr, "--data-dir", data.to_str().unwrap()], &[]);
    assert_one_line_failure(&out, "cannot listen on");
    assert!(!data.join("hoithi.db").exists(), "nothing is written before the port is claimed");
}

#[test]
fn malformed_settings_are_refused() {
    let out = hoithi(&[], &[("HOITHI_BIND", "not-an-address")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--bind"));
    let dir = tempfile::tempdir().unwrap();
    let out = hoithi(
        &["--bind", "127.0.0.1:0", "--data-dir", dir.path().to_str().unwrap()],
        &[("HOITHI_JWT_SECRET", "short")],
    );
    assert_one_line_failure(&out, "HOITHI_JWT_SECRET must be at least 32 characters");
}

#[test]
fn user_add_then_duplicate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = hoithi(&["--data-dir", d, "user", "add", "thuky", "--role", "judge", "--password", "mat-khau-123"], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("judge thuky added"));
    let out = hoithi(&["--data-dir", d, "user", "add", "thuky", "--password", "mat-khau-123"], &[]);
    assert_one_line_failure(&out, "already exists");
}

#[test]
fn sigterm_stops_the_server_gracefully() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hoithi"))
        .args(["--bind", &format!("127.0.0.1:{port}"), "--data-dir", dir.path().to_str().unwrap()])
        .env("HOITHI_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !healthz_ok(port) {
        assert!(started.elapsed().as_secs() < 30, "server did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let waited = std::time::Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            assert!(s.success(), "exit status after SIGTERM: {s}");
            break;
        }
        assert!(waited.elapsed().as_secs() < 20, "server did not stop after SIGTERM");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut out = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).unwrap();
    assert!(out.contains("organiser login: admin / "), "{out}");
    assert!(out.contains(&format!("console: http://127.0.0.1:{port}/")), "{out}");
}

/// A bare HTTP/1.1 GET /healthz, true on a 200 answer.
fn healthz_ok(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(2)));
    if s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.starts_with("HTTP/1.1 200")
}

/// Runs hoithi, killing it (and failing) if it is still running after 30 s.
fn hoithi_within_30s(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hoithi"));
    for (k, _) in std::env::vars() {
        if k.starts_with("HOITHI_") || k == "DATABASE_URL" || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .args(args)
        .env("HOITHI_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed().as_secs() >= 30 {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!("hoithi {args:?} still ran after 30 s: {}", String::from_utf8_lossy(&out.stderr));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// The migrations recorded in the database, and whether the schema's tables exist.
async fn migrations_and_tables(url: &str) -> (Vec<String>, bool) {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let db = Database::connect(url).await.unwrap();
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(backend, "SELECT version FROM seaql_migrations ORDER BY version"))
        .await
        .unwrap();
    let versions = rows.iter().map(|r| r.try_get::<String>("", "version").unwrap()).collect();
    let users = db.query_one_raw(Statement::from_string(backend, "SELECT 1 FROM users")).await.is_ok();
    db.close().await.unwrap();
    (versions, users)
}

async fn exec(url: &str, sql: &str) {
    use sea_orm::{ConnectionTrait, Database};
    let db = Database::connect(url).await.unwrap();
    db.execute_unprepared(sql).await.unwrap();
    db.close().await.unwrap();
}

const FUTURE: &str = "m20991231_000001_from_a_newer_hoithi";

/// An instance started against a database whose schema a newer hoithi has migrated refuses
/// to start (and `migrate` to run) with one line naming the migration, before applying
/// anything. On SQLite, and on PostgreSQL too when `TEST_DATABASE_URL` is set.
#[test]
fn a_database_with_a_newer_schema_is_refused_before_anything_is_applied() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![
        format!("sqlite://{}?mode=rwc", dir.path().join("fresh.db").display()),
        format!("sqlite://{}?mode=rwc", dir.path().join("migrated.db").display()),
    ];
    let mut pg = None;
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap();
            let names: Vec<String> =
                (0..2).map(|i| format!("hoithi_test_{}_{i}", uuid::Uuid::new_v4().simple())).collect();
            for n in &names {
                rt.block_on(exec(&admin, &format!("CREATE DATABASE {n}")));
                urls.push(format!("{base}/{n}"));
            }
            pg = Some((admin, names));
        }
        _ => eprintln!("PostgreSQL side SKIPPED: set TEST_DATABASE_URL"),
    }
    for pair in urls.chunks(2) {
        let (fresh, migrated) = (&pair[0], &pair[1]);
        // A database where a newer hoithi recorded only its own migration table and row
        // (nothing of this binary's schema: applying anything would show)...
        rt.block_on(exec(
            fresh,
            "CREATE TABLE seaql_migrations (version VARCHAR NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL)",
        ));
        rt.block_on(exec(fresh, &format!("INSERT INTO seaql_migrations VALUES ('{FUTURE}', 0)")));
        // ...and one this binary migrated, then a newer one added two migrations to.
        let out =
            hoithi_within_30s(&["--data-dir", dir.path().to_str().unwrap(), "--database-url", migrated, "migrate"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let (known, _) = rt.block_on(migrations_and_tables(migrated));
        rt.block_on(exec(
            migrated,
            &format!("INSERT INTO seaql_migrations VALUES ('{FUTURE}', 0), ('m20991231_000002_also_newer', 0)"),
        ));

        for (url, unknown) in [(fresh, vec![FUTURE]), (migrated, vec![FUTURE, "m20991231_000002_also_newer"])] {
            let before = rt.block_on(migrations_and_tables(url));
            let serve = ["--bind", "127.0.0.1:0", "--data-dir", dir.path().to_str().unwrap(), "--database-url", url];
            let migrate = ["--data-dir", dir.path().to_str().unwrap(), "--database-url", url, "migrate"];
            for args in [&serve[..], &migrate[..]] {
                let out = hoithi_within_30s(args);
                assert_one_line_failure(&out, "the database's schema is newer than this hoithi");
                let stderr = String::from_utf8_lossy(&out.stderr);
                for name in &unknown {
                    assert!(stderr.contains(name), "the line names {name}: {stderr}");
                }
                assert!(stderr.contains("upgrade hoithi"), "the line says to upgrade: {stderr}");
                assert_eq!(rt.block_on(migrations_and_tables(url)), before, "nothing applied ({args:?}): {stderr}");
            }
        }
        // The fresh database stayed without any table of this binary's schema.
        assert_eq!(rt.block_on(migrations_and_tables(fresh)), (vec![FUTURE.to_owned()], false));
        assert!(known.len() >= 9, "the migrated database has this binary's migrations: {known:?}");
    }
    if let Some((admin, names)) = pg {
        for n in names {
            rt.block_on(exec(&admin, &format!("DROP DATABASE IF EXISTS {n} WITH (FORCE)")));
        }
    }
}
