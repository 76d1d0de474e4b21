//! Backups while the server runs: `hoithi backup` during an answer burst, the server's own
//! backups while a contest runs, and `hoithi restore` refusing while a server uses the data.
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hoithi::domain::question::Solution;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::json;

use crate::helpers::{TestApp, spawn_app, spawn_app_with, test_settings};
use crate::live::{question, seed};

/// The submission ids stored in a backup file: a SQLite file opened as it is, a PostgreSQL
/// dump restored into a fresh database.
async fn stored_in_backup(app: &TestApp, file: &std::path::Path) -> HashSet<String> {
    let url = match app.sqlite_path() {
        Some(_) => format!("sqlite://{}?mode=ro", file.display()),
        None => {
            let base = app.db_url.rsplit_once('/').unwrap().0.to_owned();
            let name = format!("hoithi_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(format!("{base}/postgres")).await.unwrap();
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
            let url = format!("{base}/{name}");
            let out = std::process::Command::new("pg_restore")
                .args(["--no-owner", "--dbname", &url])
                .arg(file)
                .output()
                .unwrap();
            assert!(out.status.success(), "pg_restore: {}", String::from_utf8_lossy(&out.stderr));
            url
        }
    };
    let db = Database::connect(&url).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT submission_id FROM answers"))
        .await
        .unwrap();
    rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect()
}

#[tokio::test]
async fn a_backup_taken_during_an_answer_burst_holds_every_answer_acked_before_it_started() {
    let app = spawn_app().await;
    let f = seed(&app, 12, 2, json!({}), "last_answer", vec![question(0, Solution::Single { option: 1 }, 120)]).await;
    f.control(&app, "start").await;
    f.control(&app, "next").await;
    let q = f.questions[0];
    let acked: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut phones = vec![];
    for (t, team) in f.teams.iter().enumerate() {
        for (m, member) in team.members.iter().enumerate() {
            let (client, url, token) =
                (app.client.clone(), format!("{}/api/contests/{}/answers", app.addr, f.cid), member.token.clone());
            let (acked, stop) = (acked.clone(), stop.clone());
            phones.push(tokio::spawn(async move {
                let mut k = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let sid = format!("t{t}-m{m}-{k}");
                    let body = json!({"submission_id": sid, "question_id": q, "response": {"choice": k % 4}});
                    let res = client.post(&url).bearer_auth(&token).json(&body).send().await.unwrap();
                    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
                    acked.lock().unwrap().push((Instant::now(), sid));
                    k += 1;
                }
            }));
        }
    }
    // Wait for the burst to be under way (a busy machine answers slower than a quiet one).
    let waited = Instant::now();
    while acked.lock().unwrap().len() <= 20 && waited.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let file = app.dir().join("copy.backup");
    let started = Instant::now();
    let conn = hoithi::db::connect_url(&app.db_url, None).await.unwrap();
    hoithi::backup::backup_to(&conn, &app.db_url, &file).await.unwrap();
    let waited = Instant::now();
    while !acked.lock().unwrap().iter().any(|(t, _)| *t > started) && waited.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for p in phones {
        p.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let before: Vec<&String> = acked.iter().filter(|(t, _)| *t < started).map(|(_, s)| s).collect();
    let after = acked.len() - before.len();
    assert!(
        before.len() > 20 && after > 0,
        "the burst went on around the backup: {} before, {after} after",
        before.len()
    );
    let stored = stored_in_backup(&app, &file).await;
    let missing: Vec<_> = before.iter().filter(|s| !stored.contains(s.as_str())).collect();
    assert!(missing.is_empty(), "acked before the backup but not in it: {missing:?}");
}

#[tokio::test]
async fn restore_refuses_while_a_server_uses_the_data_and_backup_names_what_is_wrong() {
    let app = spawn_app().await;
    let bin = env!("CARGO_BIN_EXE_hoithi");
    let file = app.dir().join("hoithi-copy.backup");
    let out = std::process::Command::new(bin)
        .env("DATABASE_URL", &app.db_url)
        .arg("--data-dir")
        .arg(app.dir())
        .arg("backup")
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(file.is_file());
    // The same name again: refused, naming the file.
    let out = std::process::Command::new(bin)
        .env("DATABASE_URL", &app.db_url)
        .arg("--data-dir")
        .arg(app.dir())
        .arg("backup")
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let out = std::process::Command::new(bin)
        .env("DATABASE_URL", &app.db_url)
        .arg("--data-dir")
        .arg(app.dir())
        .arg("restore")
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success(), "restore ran under a running server");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("server is using the data"), "{err}");
    // Once the server has stopped, the backup goes back in.
    app.handle.stop(true).await;
    let t0 = Instant::now();
    loop {
        let out = std::process::Command::new(bin)
            .env("DATABASE_URL", &app.db_url)
            .arg("--data-dir")
            .arg(app.dir())
            .arg("restore")
            .arg(&file)
            .output()
            .unwrap();
        if out.status.success() {
            break;
        }
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("server is using the data") && t0.elapsed() < Duration::from_secs(15), "{err}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn while_a_contest_runs_the_server_writes_backups_and_the_health_strip_shows_the_last() {
    let mut settings = test_settings();
    settings.backup_every_min = 0.01; // 0.6 s
    let app = spawn_app_with(settings).await;
    let f = seed(&app, 2, 1, json!({}), "captain_only", vec![question(0, Solution::Single { option: 1 }, 60)]).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let dir = app.dir().join("backups");
    assert!(hoithi::backup::list(&dir).is_empty(), "no backups before a contest runs");
    f.control(&app, "start").await;
    let t0 = Instant::now();
    while hoithi::backup::list(&dir).is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(20), "no backup while the contest runs");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (s, h) = app.get("/api/health/live", Some(&f.admin)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(h["last_backup_at"].as_i64().unwrap() > 0, "{h}");
}
