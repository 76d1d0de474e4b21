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
