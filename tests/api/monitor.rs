//! Metrics and the console's health strip, read from the real server after real traffic.
use std::time::Duration;

use hoithi::domain::question::Solution;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with, test_settings};
use crate::live::{Fixture, question, seed};

async fn live_fixture(app: &TestApp) -> Fixture {
    let qs = vec![question(0, Solution::Single { option: 1 }, 60)];
    let f = seed(app, 2, 1, json!({}), "captain_only", qs).await;
    f.control(app, "start").await;
    f
}

async fn answer(app: &TestApp, f: &Fixture, team: usize, qid: i32, sid: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/api/contests/{}/answers", f.cid),
        Some(&f.member(team, 0).token),
        json!({"submission_id": sid, "question_id": qid, "response": {"choice": 1}}),
    )
    .await
}

async fn metrics_text(app: &TestApp, token: Option<&str>) -> (StatusCode, String) {
    let mut req = app.client.get(format!("{}/metrics", app.addr));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

fn has_line(text: &str, name: &str, parts: &[&str]) -> bool {
    text.lines().any(|l| l.starts_with(name) && parts.iter().all(|p| l.contains(p)))
}

#[tokio::test]
async fn metrics_count_requests_answers_commits_and_fanout_for_organisers_only() {
    let app = spawn_app().await;
    let f = live_fixture(&app).await;
    // A phone on the live socket, so that the next question is fanned out to it.
    let _phone = app.ws(&f.member(0, 0).token).await;
    let _console = {
        let url = format!("ws://127.0.0.1:{}/api/live?token={}&contest_id={}", app.port, f.admin, f.cid);
        tokio_tungstenite::connect_async(url).await.unwrap().0
    };
    f.control(&app, "next").await;
    let q = f.questions[0];
    let (s, b) = answer(&app, &f, 0, q, "m-1").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = answer(&app, &f, 1, q + 999, "m-2").await;
    assert_eq!(b["error"]["code"], "question_not_open", "{s} {b}");

    let (s, _) = metrics_text(&app, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = metrics_text(&app, Some(&f.member(0, 0).token)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (s, text) = metrics_text(&app, Some(&f.admin)).await;
    assert_eq!(s, StatusCode::OK);
    for (name, parts) in [
        ("hoithi_http_requests_total", &[r#"route="/api/contests/{cid}/answers""#, r#"status="200""#][..]),
        ("hoithi_http_requests_total", &[r#"route="/metrics""#, r#"status="401""#]),
        ("hoithi_answers_total", &[r#"outcome="acked""#]),
        ("hoithi_answers_total", &[r#"outcome="question_not_open""#]),
        ("hoithi_commit_batch_answers_bucket", &[r#"le="1""#]),
        ("hoithi_commit_seconds_bucket", &[r#"le="0.001""#]),
        ("hoithi_fanout_seconds_count", &[]),
        ("hoithi_sockets", &[r#"role="staff""#]),
        ("hoithi_sockets", &[r#"role="contestant""#]),
        ("hoithi_engine_queue_depth", &[]),
        ("hoithi_writer_queue_depth", &[]),
    ] {
        assert!(has_line(&text, name, parts), "no {name} {parts:?} in\n{text}");
    }

    // The health strip: this server's own numbers.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (s, h) = app.get("/api/health/live", Some(&f.admin)).await;
    assert_eq!(s, StatusCode::OK, "{h}");
    assert_eq!(h["sockets"], json!({"total": 2, "staff": 1, "contestants": 1}), "{h}");
    assert!(h["answers_per_s"].as_f64().unwrap() > 0.0, "{h}");
    assert!(h["last_commit_at"].as_i64().unwrap() > 0, "{h}");
    assert!(h["last_commit_ms"].as_f64().unwrap() >= 0.0, "{h}");
    assert_eq!(h["storage_ok"], true);
    assert!(h["disk_free_bytes"].as_u64().unwrap() > 0, "{h}");
    assert_eq!(h["last_backup_at"], Value::Null);
    assert_eq!(h["engines"], 1);
    let (s, _) = app.get("/api/health/live", Some(&f.member(0, 0).token)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn metrics_bind_serves_metrics_without_a_token_on_its_own_address() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut settings = test_settings();
    settings.metrics_bind = Some(format!("127.0.0.1:{port}").parse().unwrap());
    let app = spawn_app_with(settings).await;
    app.get("/healthz", None).await;
    let res = app.client.get(format!("http://127.0.0.1:{port}/metrics")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = res.text().await.unwrap();
    assert!(text.contains("hoithi_http_requests_total"), "{text}");
    // Only /metrics lives there.
    let res = app.client.get(format!("http://127.0.0.1:{port}/api/me")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[test]
fn log_format_json_writes_one_json_object_a_line_and_human_stays_the_default() {
    let run = |extra: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hoithi"))
            .args(extra)
            .args(["--log", "info", "--data-dir"])
            .arg(dir.path())
            .arg("migrate")
            .env_remove("RUST_LOG")
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let json_out = run(&["--log-format", "json"]);
    let logs: Vec<Value> =
        json_out.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(!logs.is_empty(), "{json_out}");
    assert!(logs.iter().all(|l| l["level"].is_string() && l["fields"]["message"].is_string()), "{json_out}");
    let human = run(&[]);
    assert!(human.contains("Applying all pending migrations"), "{human}");
    assert!(human.lines().all(|l| !l.starts_with('{')), "{human}");
}
