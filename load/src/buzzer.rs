//! The buzzer mode of `hoithi-load` (`--mode buzzer`): every phone of every team presses
//! within `--window-ms` (50 ms) of the buzzer opening, question after question, and the
//! generator measures how long the team that took the floor takes to reach every screen
//! (phones, judges, projector: from the winning press being sent to the `buzzer` view
//! naming it arriving), and checks that every screen shows the server's receive order, as
//! stored (`GET /api/contests/{cid}/live/buzzes`).
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{Mutex, watch};
use tokio_tungstenite::tungstenite::Message;

use crate::setup::Api;
use crate::stats::{self, Samples};
use crate::{Config, connect_retry, now_ms, progress};

/// The one JSON line printed at the end of a buzzer run.
#[derive(Debug, Clone, Serialize, Default)]
pub struct BuzzerReport {
    pub mode: &'static str,
    pub contest_id: i64,
    pub phones: usize,
    pub teams: usize,
    pub questions: usize,
    pub window_ms: u64,
    pub screens: usize,
    pub presses_sent: u64,
    pub presses_taken: u64,
    /// Stored presses (one per team and question).
    pub presses_stored: u64,
    /// From the winning press leaving its phone to the view naming the winner reaching a
    /// screen, over every screen and question.
    pub winner_to_screen_p50_ms: f64,
    pub winner_to_screen_p99_ms: f64,
    pub winner_to_screen_max_ms: f64,
    /// Screens whose last view of a question did not match the stored receive order
    /// (staff: the whole order; phones: its first 10).
    pub order_mismatches: u64,
    /// Presses whose acknowledged place is not their team's place in the stored order.
    pub place_mismatches: u64,
    /// Screens that never saw the winner of a question.
    pub winner_missing: u64,
    pub press_ack_p50_ms: f64,
    pub press_ack_p99_ms: f64,
    pub errors: u64,
    pub server_cpu_s: f64,
    pub server_rss_peak_mb: f64,
    pub load_wall_s: f64,
}

/// A press plan: question id and the local time to start the press window.
type Plan = Option<(i64, Instant)>;

#[derive(Default)]
struct ScreenLog {
    /// question → (local ms when the first view with a winner arrived, the winner's team)
    winner_seen: HashMap<i64, (i64, i64)>,
    /// question → the order of the last view (team ids)
    last_order: HashMap<i64, Vec<i64>>,
    phone: bool,
    /// question → (sent at, ack: team, place)
    press: HashMap<i64, (i64, Option<(i64, u64)>)>,
    ack: Vec<f64>,
    errors: u64,
}

async fn screen(
    ws: crate::Ws,
    phone: bool,
    mut plan: watch::Receiver<Plan>,
    window_ms: u64,
    log: Arc<Mutex<Vec<ScreenLog>>>,
) {
    let (mut tx, mut rx) = ws.split();
    let mut me = ScreenLog { phone, ..Default::default() };
    let mut pending: Option<(i64, Instant)> = None;
    let mut sent_at = Instant::now();
    loop {
        let press_at = pending.map(|(_, t)| t);
        tokio::select! {
            changed = plan.changed() => {
                if changed.is_err() { break; }
                let p = *plan.borrow_and_update();
                match p {
                    Some((q, t0)) if phone => {
                        let delay = rand::rng().random_range(0..window_ms.max(1));
                        pending = Some((q, t0 + Duration::from_millis(delay)));
                    }
                    None => break,
                    _ => {}
                }
            }
            _ = tokio::time::sleep_until(press_at.map(tokio::time::Instant::from_std).unwrap_or_else(tokio::time::Instant::now)), if press_at.is_some() => {
                if let Some((q, _)) = pending.take() {
                    sent_at = Instant::now();
                    me.press.insert(q, (now_ms(), None));
                    if tx.send(Message::Text(json!({"type": "buzz", "question_id": q}).to_string().into())).await.is_err() {
                        me.errors += 1;
                    }
                }
            }
            msg = rx.next() => {
                let Some(Ok(msg)) = msg else { break };
                let Message::Text(text) = msg else { continue };
                let Ok(v) = serde_json::from_str::<Value>(&text) else { continue };
                let now = now_ms();
                match v["type"].as_str() {
                    Some("buzzer") => {
                        let b = &v["buzzer"];
                        let Some(q) = b["question_id"].as_i64() else { continue };
                        if let Some(w) = b["winner"]["team_id"].as_i64() {
                            me.winner_seen.entry(q).or_insert((now, w));
                        }
                        let order: Vec<i64> = b["presses"].as_array().map(|a| a.iter().filter_map(|p| p["team_id"].as_i64()).collect()).unwrap_or_default();
                        me.last_order.insert(q, order);
                    }
                    Some("buzzed") => {
                        let a = &v["buzz"];
                        if let (Some(q), Some(t), Some(p)) = (a["question_id"].as_i64(), a["team_id"].as_i64(), a["place"].as_u64())
                            && let Some(e) = me.press.get_mut(&q)
                        {
                            e.1 = Some((t, p));
                            me.ack.push(sent_at.elapsed().as_secs_f64() * 1000.0);
                        }
                    }
                    Some("error") => me.errors += 1,
                    _ => {}
                }
            }
        }
    }
    log.lock().await.push(me);
}

pub async fn run(cfg: Config) -> anyhow::Result<BuzzerReport> {
    anyhow::ensure!(cfg.phones >= cfg.teams && cfg.teams > 0, "--phones must be ≥ --teams ≥ 1");
    let started = Instant::now();
    let pid = cfg.server_pids.clone();
    let cpu0 = stats::cpu_s_all(&pid).unwrap_or(0.0);
    let mut report = BuzzerReport {
        mode: "buzzer",
        phones: cfg.phones,
        teams: cfg.teams,
        questions: cfg.questions,
        window_ms: cfg.window_ms,
        ..Default::default()
    };
    let api = Api::new(&cfg.url, &cfg.admin_user, &cfg.admin_password).await?;
    let part = json!({
        "kind": "buzzer", "title": "Phần thi Giành quyền trả lời", "max_points": 1000,
        "scoring": { "wrong_penalty": 5, "buzzer": { "false_start_lockout_s": 0 } },
    });
    let contest = api.create_contest_with(cfg.teams, cfg.questions, part).await?;
    report.contest_id = contest.id;
    let mut tokens = Vec::with_capacity(cfg.phones);
    for i in 0..cfg.phones {
        tokens
            .push(api.at(cfg.phone_url(i)).join(&contest.codes[i % cfg.teams], &format!("Thí sinh {}", i + 1)).await?);
        if (i + 1) % 250 == 0 {
            progress(&cfg, format!("{} phones joined", i + 1));
        }
    }
    let (plan_tx, plan_rx) = watch::channel::<Plan>(None);
    let logs = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = vec![];
    for (i, token) in tokens.iter().enumerate() {
        let (ws, _) = connect_retry(&format!("{}/api/live?token={token}", crate::ws_base(cfg.phone_url(i)))).await?;
        tasks.push(tokio::spawn(screen(ws, true, plan_rx.clone(), cfg.window_ms, logs.clone())));
    }
    for (i, token) in api.watcher_tokens(contest.id, cfg.watchers).await?.into_iter().enumerate() {
        let base = crate::ws_base(cfg.phone_url(i));
        let (ws, _) = connect_retry(&format!("{base}/api/live?token={token}&contest_id={}", contest.id)).await?;
        tasks.push(tokio::spawn(screen(ws, false, plan_rx.clone(), cfg.window_ms, logs.clone())));
    }
    report.screens = tasks.len();
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sampler = (!pid.is_empty()).then(|| {
        let peak = peak.clone();
        let pid = pid.clone();
        tokio::spawn(async move {
            loop {
                if let Some(kb) = stats::rss_kb_all(&pid) {
                    peak.fetch_max(kb, std::sync::atomic::Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    progress(&cfg, format!("{} phones and {} watchers connected", cfg.phones, cfg.watchers));

    api.start_part(contest.id, contest.part_id).await?;
    let mut questions = vec![];
    for k in 0..cfg.questions {
        let st = api.call(Method::POST, &format!("/api/contests/{}/live/next", contest.id), None).await?;
        let q = st["buzzer"]["question_id"].as_i64().ok_or_else(|| anyhow::anyhow!("no buzzer question: {st}"))?;
        questions.push(q);
        tokio::time::sleep(Duration::from_millis(300)).await;
        api.call(Method::POST, &format!("/api/contests/{}/live/buzzer/open", contest.id), None).await?;
        // Every phone presses within the window, starting a little after the opening
        // reached them.
        plan_tx.send_replace(Some((q, Instant::now() + Duration::from_millis(150))));
        tokio::time::sleep(Duration::from_millis(150 + cfg.window_ms + 1500)).await;
        api.call(
            Method::POST,
            &format!("/api/contests/{}/live/buzzer/mark", contest.id),
            Some(json!({"correct": true})),
        )
        .await?;
        progress(&cfg, format!("question {} of {} marked", k + 1, cfg.questions));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // No plan: every screen stops and hands in its log.
    plan_tx.send_replace(None);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
    }
    let stored = api.call(Method::GET, &format!("/api/contests/{}/live/buzzes", contest.id), None).await?;
    let mut order: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    for r in stored.as_array().into_iter().flatten() {
        if r["false_start"] == true {
            continue;
        }
        if let (Some(q), Some(t), Some(at)) =
            (r["part_question_id"].as_i64(), r["team_id"].as_i64(), r["received_at"].as_i64())
        {
            order.entry(q).or_default().push((t, at));
            report.presses_stored += 1;
        }
    }
    let logs = std::mem::take(&mut *logs.lock().await);
    // When the winning press left its phone: the earliest send among the winner's phones
    // that got place 1.
    let mut win_sent: HashMap<i64, i64> = HashMap::new();
    let mut ack = Samples::default();
    for l in &logs {
        for (q, (sent, a)) in &l.press {
            report.presses_sent += 1;
            if let Some((team, place)) = a {
                report.presses_taken += 1;
                let expected = order.get(q).and_then(|o| o.iter().position(|(t, _)| t == team)).map(|i| i as u64 + 1);
                if expected != Some(*place) {
                    report.place_mismatches += 1;
                }
                if *place == 1 {
                    let e = win_sent.entry(*q).or_insert(*sent);
                    *e = (*e).min(*sent);
                }
            }
        }
        for a in &l.ack {
            ack.push_ms(*a);
        }
        report.errors += l.errors;
    }
    let mut lat = Samples::default();
    for l in &logs {
        for q in &questions {
            let stored_order: Vec<i64> = order.get(q).map(|o| o.iter().map(|(t, _)| *t).collect()).unwrap_or_default();
            match (l.winner_seen.get(q), win_sent.get(q)) {
                (Some((seen, team)), Some(sent)) => {
                    lat.push_ms((seen - sent).max(0) as f64);
                    if stored_order.first() != Some(team) {
                        report.order_mismatches += 1;
                    }
                }
                _ => report.winner_missing += 1,
            }
            let shown = l.last_order.get(q).cloned().unwrap_or_default();
            let want: Vec<i64> =
                if l.phone { stored_order.iter().take(10).copied().collect() } else { stored_order.clone() };
            if shown != want {
                report.order_mismatches += 1;
            }
        }
    }
    if let Some(s) = sampler {
        s.abort();
    }
    report.winner_to_screen_p50_ms = lat.percentile(50.0);
    report.winner_to_screen_p99_ms = lat.percentile(99.0);
    report.winner_to_screen_max_ms = lat.max();
    report.press_ack_p50_ms = ack.percentile(50.0);
    report.press_ack_p99_ms = ack.percentile(99.0);
    report.server_cpu_s = stats::round1(stats::cpu_s_all(&pid).unwrap_or(cpu0) - cpu0);
    report.server_rss_peak_mb = stats::round1(peak.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1024.0);
    report.load_wall_s = stats::round1(started.elapsed().as_secs_f64());
    Ok(report)
}
