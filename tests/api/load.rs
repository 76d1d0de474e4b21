//! The load generator's own correctness on a small contest: every count it prints
//! matches what the server stored. (Its figures belong in BENCHMARKS.md, not here.)
use std::collections::HashSet;

use crate::helpers::{ADMIN_PASSWORD, ADMIN_USER, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generator_counts_match_what_the_server_stored() {
    let r = run_and_check(1).await;
    // With a reading time every phone had the question before answering opened, and no
    // phone answered early (an early answer would be refused: `errors` is 0).
    assert_eq!(r.reading_s, 1);
    assert_eq!(r.received_after_open, 0, "{r:?}");
    assert_eq!(r.open_spread_p99_ms, 0.0, "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generator_counts_match_without_a_reading_time() {
    let r = run_and_check(0).await;
    // Answering opens as the question goes out: the spread is the delivery.
    assert_eq!(r.reading_s, 0);
    assert_eq!(r.open_spread_p99_ms, r.delivery_p99_ms, "{r:?}");
}

/// Runs the generator on a small contest and checks every count against the server's record.
async fn run_and_check(reading_s: u32) -> hoithi_load::Report {
    let app = spawn_app().await;
    let cfg = hoithi_load::Config {
        url: app.addr.clone(),
        phone_urls: vec![],
        phones: 50,
        teams: 10,
        questions: 3,
        window_ms: 400,
        reading_s,
        watchers: 2,
        admin_user: ADMIN_USER.into(),
        admin_password: ADMIN_PASSWORD.into(),
        server_pids: vec![],
        resend_ratio: 0.2,
        late_ratio: 0.1,
        join_concurrency: 8,
        progress: false,
    };
    let r = hoithi_load::run(cfg).await.expect("load run");

    let admin = app.admin_token().await;
    let (_, record) = app.get(&format!("/api/contests/{}/answers", r.contest_id), Some(&admin)).await;
    let stored = record["answers"].as_array().unwrap();
    let keys: HashSet<(i64, String)> = stored
        .iter()
        .map(|a| (a["contestant_id"].as_i64().unwrap(), a["submission_id"].as_str().unwrap().to_owned()))
        .collect();
    let late = stored
        .iter()
        .filter(|a| {
            let q = record["questions"].as_array().unwrap().iter().find(|q| q["id"] == a["question_id"]).unwrap();
            a["received_at"].as_i64().unwrap() > q["deadline_at"].as_i64().unwrap()
        })
        .count() as u64;

    assert_eq!(r.phones, 50);
    assert_eq!(r.questions, 3);
    assert_eq!(r.answers_stored, stored.len() as u64, "{r:?}");
    assert_eq!(r.duplicates_counted, (stored.len() - keys.len()) as u64);
    assert_eq!(r.duplicates_counted, 0);
    assert_eq!(r.late_accepted, late);
    assert_eq!(r.late_accepted, 0);
    // Every on-time answer was acknowledged and stored, once.
    assert_eq!(r.answers_acked, r.answers_sent, "{r:?}");
    assert_eq!(r.answers_stored, r.answers_acked, "{r:?}");
    assert_eq!(r.acked_not_stored, 0);
    assert_eq!(r.answers_sent + r.late_sent, 50 * 3, "each phone answers each question once");
    assert_eq!(r.late_refused, r.late_sent, "late answers are refused with deadline_passed: {r:?}");
    assert_eq!(r.errors, 0, "{r:?}");
    assert!(r.ack_p99_ms > 0.0 && r.join_p99_ms > 0.0);
    assert!(r.scoreboard_after_close_p99_ms > 0.0, "watchers saw the scoreboard after each close");
    r
}

/// The buzzer mode on a small contest: every press taken and stored once per team, every
/// screen's order and every place equal to the stored receive order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_buzzer_mode_agrees_with_the_stored_presses() {
    let app = spawn_app().await;
    let cfg = hoithi_load::Config {
        url: app.addr.clone(),
        phone_urls: vec![],
        phones: 40,
        teams: 10,
        questions: 2,
        window_ms: 50,
        reading_s: 0,
        watchers: 2,
        admin_user: ADMIN_USER.into(),
        admin_password: ADMIN_PASSWORD.into(),
        server_pids: vec![],
        resend_ratio: 0.0,
        late_ratio: 0.0,
        join_concurrency: 8,
        progress: false,
    };
    let r = hoithi_load::buzzer::run(cfg).await.expect("buzzer run");
    let admin = app.admin_token().await;
    let (_, stored) = app.get(&format!("/api/contests/{}/live/buzzes", r.contest_id), Some(&admin)).await;
    assert_eq!(r.presses_stored, stored.as_array().unwrap().len() as u64);
    assert_eq!(r.presses_stored, 10 * 2, "one press per team and question: {r:?}");
    assert_eq!(r.presses_sent, 40 * 2, "{r:?}");
    assert_eq!(r.presses_taken, r.presses_sent, "{r:?}");
    assert_eq!(r.screens, 42);
    assert_eq!((r.order_mismatches, r.place_mismatches, r.winner_missing, r.errors), (0, 0, 0, 0), "{r:?}");
    assert!(r.winner_to_screen_p99_ms > 0.0, "{r:?}");
}

/// The elimination mode on a small contest: each phone a contestant answering for itself,
/// some wrong; the survivors the generator works out from its own acks equal the server's
/// count and what every phone was told, no eliminated contestant's answer is acked, and
/// every acked answer is stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_elimination_mode_agrees_with_the_servers_survivors() {
    let app = spawn_app().await;
    let cfg = hoithi_load::Config {
        url: app.addr.clone(),
        phone_urls: vec![],
        phones: 40,
        teams: 8,
        questions: 3,
        window_ms: 400,
        reading_s: 1,
        watchers: 2,
        admin_user: ADMIN_USER.into(),
        admin_password: ADMIN_PASSWORD.into(),
        server_pids: vec![],
        resend_ratio: 0.2,
        late_ratio: 0.05,
        join_concurrency: 8,
        progress: false,
    };
    let r = hoithi_load::elimination::run(cfg, 0.15).await.expect("elimination run");
    let e = r.elimination.clone().expect("elimination figures");
    assert_eq!(r.mode, "elimination");
    // Some contestants went out and some remain (40 phones, 15% wrong per answer).
    assert!(e.survivors_expected > 1 && e.survivors_expected < 40, "{r:?}");
    assert_eq!(e.survivors_expected, e.survivors_server, "{r:?}");
    assert_eq!(e.remaining_mismatches, 0, "{r:?}");
    assert_eq!(e.eliminated_acked, 0, "{r:?}");
    assert!(e.survivors_agree, "{r:?}");
    assert!(e.answers_refused_eliminated > 0, "eliminated phones kept answering and were refused: {r:?}");
    // Every phone answered every question; each answer was acked, refused as late, or
    // refused because its contestant was out — nothing else.
    assert_eq!(r.answers_sent + r.late_sent, 40 * 3, "{r:?}");
    assert_eq!(r.answers_acked + r.late_refused + e.answers_refused_eliminated, 40 * 3, "{r:?}");
    assert_eq!((r.errors, r.duplicates_counted, r.late_accepted, r.acked_not_stored), (0, 0, 0, 0), "{r:?}");
    assert_eq!(r.answers_stored, r.answers_acked, "{r:?}");
    // The server's own state agrees.
    let admin = app.admin_token().await;
    let (_, record) = app.get(&format!("/api/contests/{}/answers", r.contest_id), Some(&admin)).await;
    assert_eq!(record["answers"].as_array().unwrap().len() as u64, r.answers_stored);
}
