//! `hoithi-failover`: how long a contest is gone when the instance running its engine
//! dies (README, "Several instances").
//!
//! The tool starts the instances itself (the release server, on one PostgreSQL database)
//! and HAProxy with the shipped `deploy/haproxy.cfg`, joins phones through the balancer
//! and then, once per kill: opens a question, lets every phone answer, kills the owner of
//! the contest's engine with SIGKILL and times
//!
//! - **takeover**: from the kill to another instance holding the contest's lease (read
//!   from `engine_leases` every 20 ms);
//! - **phones back**: from the kill to each phone, reconnected through the balancer with
//!   the phone page's own backoff (`web/shared/live.js`), holding the same open question;
//! - **acked again**: from the kill to each phone's answer, resent with its submission id,
//!   acknowledged by the new owner.
//!
//! It then restarts the killed instance and closes the question. At the end every
//! acknowledged answer must be in the server's record, once.
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;

use crate::setup::Api;
use crate::stats::{Samples, round1};

#[derive(Debug, Clone)]
pub struct FailoverConfig {
    /// The release server binary.
    pub server_bin: PathBuf,
    pub database_url: String,
    /// The shipped HAProxy configuration; its bind and three servers are rewritten.
    pub haproxy_cfg: PathBuf,
    /// Question banks the instances load (`--banks`).
    pub banks: PathBuf,
    /// Logs and data directories of the instances.
    pub work_dir: PathBuf,
    /// Instance `i` listens on `base_port + 1 + i`, the balancer on `base_port`.
    pub base_port: u16,
    pub phones: usize,
    pub teams: usize,
    pub kills: usize,
    pub admin_password: String,
    pub progress: bool,
}

/// The instances of the shipped configuration.
const INSTANCES: usize = 3;
/// Long enough for a takeover and every phone's reconnect.
const TIME_LIMIT_S: i64 = 40;
/// The phone page's reconnect backoff (`web/shared/live.js`).
const BACKOFF_BASE_MS: f64 = 400.0;
const BACKOFF_MAX_MS: f64 = 10_000.0;

/// One kill's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Kill {
    pub kill: usize,
    /// The killed owner's port.
    pub owner_port: u16,
    pub takeover_ms: f64,
    pub phones_back_p50_ms: f64,
    pub phones_back_max_ms: f64,
    pub acked_again_p50_ms: f64,
    pub acked_again_max_ms: f64,
}

/// The JSON line printed at the end.
#[derive(Debug, Clone, Serialize, Default)]
pub struct FailoverReport {
    pub phones: usize,
    pub kills: Vec<Kill>,
    pub takeover_min_ms: f64,
    pub takeover_median_ms: f64,
    pub takeover_max_ms: f64,
    /// Over all kills: the slowest phone back on its question, per kill, summarised.
    pub all_back_min_ms: f64,
    pub all_back_median_ms: f64,
    pub all_back_max_ms: f64,
    pub answers_acked: u64,
    pub answers_stored: u64,
    pub acked_not_stored: u64,
    pub duplicates_counted: u64,
    /// Answers refused, by code (none is expected: the question stays open).
    pub error_codes: std::collections::BTreeMap<String, u64>,
}

fn progress(cfg: &FailoverConfig, msg: impl AsRef<str>) {
    if cfg.progress {
        eprintln!("[hoithi-failover] {}", msg.as_ref());
    }
}

/// The processes the tool started; killed when it ends, whatever happens.
struct Procs {
    instances: Vec<Option<Child>>,
    balancer: Option<Child>,
}

impl Drop for Procs {
    fn drop(&mut self) {
        for c in self.instances.iter_mut().flatten().chain(self.balancer.as_mut()) {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A JWT secret shared by the instances (they must all accept each other's tokens).
const SECRET: &str = "hoithi-failover-benchmark-signing-secret-0123456789";

impl FailoverConfig {
    fn port(&self, i: usize) -> u16 {
        self.base_port + 1 + i as u16
    }

    fn start_instance(&self, i: usize) -> anyhow::Result<Child> {
        let dir = self.work_dir.join(format!("instance-{}", i + 1));
        std::fs::create_dir_all(&dir)?;
        let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("server.log"))?;
        Command::new(&self.server_bin)
            .args(["--bind", &format!("127.0.0.1:{}", self.port(i))])
            .arg("--data-dir")
            .arg(&dir)
            .args(["--database-url", &self.database_url, "--trusted-proxy", "127.0.0.1"])
            .arg("--banks")
            .arg(&self.banks)
            .env("HOITHI_JWT_SECRET", SECRET)
            .env("HOITHI_ADMIN_PASSWORD", &self.admin_password)
            .env("HOITHI_LOG", "warn")
            .env("HOITHI_BACKUP_EVERY_MIN", "0")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", self.server_bin.display()))
    }

    fn start_balancer(&self) -> anyhow::Result<Child> {
        let shipped = std::fs::read_to_string(&self.haproxy_cfg)
            .with_context(|| format!("cannot read {}", self.haproxy_cfg.display()))?;
        let backends: Vec<u16> = (0..INSTANCES).map(|i| self.port(i)).collect();
        let cfg = haproxy_config(&shipped, self.base_port, &backends)
            .with_context(|| format!("in {}", self.haproxy_cfg.display()))?;
        let path = self.work_dir.join("haproxy.cfg");
        std::fs::write(&path, cfg)?;
        Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start haproxy (apt-get install haproxy)")
    }
}

/// The shipped `deploy/haproxy.cfg` with its addresses replaced: listening on loopback at
/// `port`, its servers (`127.0.0.1:8081`, `:8082`, …) at `backends`, in order.
pub fn haproxy_config(shipped: &str, port: u16, backends: &[u16]) -> anyhow::Result<String> {
    let mut cfg = shipped.replace("    bind :80", &format!("    bind 127.0.0.1:{port}"));
    for (i, p) in backends.iter().enumerate() {
        let shipped_addr = format!("127.0.0.1:{}", 8081 + i);
        anyhow::ensure!(cfg.contains(&shipped_addr), "the shipped config names no server {shipped_addr}");
        cfg = cfg.replace(&shipped_addr, &format!("127.0.0.1:{p}"));
    }
    Ok(cfg)
}

async fn wait_ready(http: &reqwest::Client, url: &str) -> anyhow::Result<()> {
    for _ in 0..600 {
        if http.get(format!("{url}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{url} did not become ready within 60 s (see its server.log)")
}

/// What the phones are told by the tool.
#[derive(Debug, Clone, Copy, Default)]
struct Phase {
    /// The question they answer.
    qid: Option<i32>,
    /// The kill in progress: (number, when).
    kill: Option<(usize, Instant)>,
}

/// What a phone tells the tool.
enum Event {
    Got { qid: i32 },
    Back { kill: usize, ms: f64 },
    AckedAgain { kill: usize, ms: f64 },
    Acked { qid: i32, sub: String },
    Refused { code: String },
}

/// Runs the benchmark (see the module's documentation).
pub async fn run(cfg: FailoverConfig) -> anyhow::Result<FailoverReport> {
    anyhow::ensure!(cfg.phones >= cfg.teams && cfg.teams > 0, "--phones must be ≥ --teams ≥ 1");
    anyhow::ensure!(cfg.kills > 0, "--kills must be at least 1");
    std::fs::create_dir_all(&cfg.work_dir)?;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
    let mut procs = Procs { instances: vec![], balancer: None };
    // One after the other: the first migrates the database and loads the banks.
    for i in 0..INSTANCES {
        procs.instances.push(Some(cfg.start_instance(i)?));
        wait_ready(&http, &format!("http://127.0.0.1:{}", cfg.port(i))).await?;
    }
    procs.balancer = Some(cfg.start_balancer()?);
    let lb = format!("http://127.0.0.1:{}", cfg.base_port);
    wait_ready(&http, &lb).await?;
    // HAProxy counts a server up after two checks a second apart.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let db = sqlx::PgPool::connect(&cfg.database_url).await.context("cannot reach the database")?;

    let api = Api::new(&lb, "admin", &cfg.admin_password).await?;
    let part = json!({
        "kind": "quiz", "title": "Phần thi trắc nghiệm", "max_points": 1000,
        "time_per_question_s": TIME_LIMIT_S, "answer_policy": "last_answer",
    });
    let contest = api.create_contest_with(cfg.teams, cfg.kills, part).await?;
    let mut tokens = vec![];
    for i in 0..cfg.phones {
        tokens.push(api.join(&contest.codes[i % cfg.teams], &format!("Thí sinh {}", i + 1)).await?);
    }
    let (phase_tx, phase_rx) = watch::channel(Phase::default());
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
    let ws = lb.replacen("http", "ws", 1);
    let phones: Vec<_> = tokens
        .iter()
        .map(|t| tokio::spawn(phone(format!("{ws}/api/live?token={t}"), phase_rx.clone(), ev_tx.clone())))
        .collect();
    drop(ev_tx);
    progress(&cfg, format!("contest {}: {} phones through HAProxy at {lb}", contest.id, cfg.phones));
    api.start_part(contest.id, contest.part_id).await?;

    let mut report = FailoverReport { phones: cfg.phones, ..Default::default() };
    let mut acked: HashSet<(i32, String)> = HashSet::new();
    for k in 0..cfg.kills {
        retry(|| api.next(contest.id)).await?;
        let qid = wait_all_got(&mut ev_rx, cfg.phones, &mut acked, &mut report).await?;
        phase_tx.send_modify(|p| p.qid = Some(qid));
        // Every phone answers within a second.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let (owner_url, epoch): (String, i64) =
            sqlx::query_as("SELECT owner_url, epoch FROM engine_leases WHERE contest_id = $1")
                .bind(contest.id as i32)
                .fetch_one(&db)
                .await
                .context("the contest has no engine lease (is this PostgreSQL?)")?;
        let owner_port: u16 = owner_url.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(0);
        let victim = (0..INSTANCES)
            .find(|&i| cfg.port(i) == owner_port)
            .ok_or_else(|| anyhow!("the owner {owner_url} is none of the instances"))?;
        let killed_at = Instant::now();
        if let Some(mut c) = procs.instances[victim].take() {
            c.kill()?;
            c.wait()?;
        }
        phase_tx.send_modify(|p| p.kill = Some((k, killed_at)));
        progress(&cfg, format!("kill {}: owner on port {owner_port} killed", k + 1));
        // The takeover, read from the lease.
        let takeover_ms = loop {
            let row: Option<(String, i64)> =
                sqlx::query_as("SELECT owner_url, epoch FROM engine_leases WHERE contest_id = $1")
                    .bind(contest.id as i32)
                    .fetch_optional(&db)
                    .await?;
            if let Some((url, e)) = row
                && e > epoch
                && url != owner_url
            {
                break killed_at.elapsed().as_secs_f64() * 1e3;
            }
            anyhow::ensure!(killed_at.elapsed() < Duration::from_secs(30), "no instance took the contest over in 30 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        // Every phone back on its question, and its answer acknowledged again.
        let (mut back, mut again) = (Samples::default(), Samples::default());
        let until = Instant::now() + Duration::from_secs(TIME_LIMIT_S as u64 - 8);
        while back.len() < cfg.phones || again.len() < cfg.phones {
            let left = until.saturating_duration_since(Instant::now());
            let ev = tokio::time::timeout(left, ev_rx.recv()).await.map_err(|_| {
                anyhow!(
                    "kill {}: {} of {} phones back, {} acked again; refusals {:?}",
                    k + 1,
                    back.len(),
                    cfg.phones,
                    again.len(),
                    report.error_codes
                )
            })?;
            match ev.ok_or_else(|| anyhow!("every phone stopped"))? {
                Event::Back { kill, ms } if kill == k => back.push_ms(ms),
                Event::AckedAgain { kill, ms } if kill == k => again.push_ms(ms),
                other => note(other, &mut acked, &mut report),
            }
        }
        let kill = Kill {
            kill: k + 1,
            owner_port,
            takeover_ms: round1(takeover_ms),
            phones_back_p50_ms: back.percentile(50.0),
            phones_back_max_ms: back.max(),
            acked_again_p50_ms: again.percentile(50.0),
            acked_again_max_ms: again.max(),
        };
        progress(&cfg, format!("{kill:?}"));
        report.kills.push(kill);
        phase_tx.send_modify(|p| p.kill = None);
        // The killed instance comes back (as a relay) and the balancer counts it up again.
        procs.instances[victim] = Some(cfg.start_instance(victim)?);
        wait_ready(&http, &format!("http://127.0.0.1:{}", cfg.port(victim))).await?;
        tokio::time::sleep(Duration::from_millis(2500)).await;
        retry(|| api.close(contest.id)).await?;
        retry(|| api.reveal(contest.id)).await?;
    }
    retry(|| api.finish_part(contest.id, contest.part_id)).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    while let Ok(ev) = ev_rx.try_recv() {
        note(ev, &mut acked, &mut report);
    }
    for p in phones {
        p.abort();
    }

    let stored = api.stored_answers(contest.id).await?;
    let mut seen: HashMap<(i32, i32, String), u64> = HashMap::new();
    let mut subs: HashSet<(i32, String)> = HashSet::new();
    for a in &stored.answers {
        *seen.entry((a.contestant_id, a.question_id, a.submission_id.clone())).or_default() += 1;
        subs.insert((a.question_id, a.submission_id.clone()));
    }
    report.answers_acked = acked.len() as u64;
    report.answers_stored = stored.answers.len() as u64;
    report.acked_not_stored = acked.iter().filter(|k| !subs.contains(*k)).count() as u64;
    report.duplicates_counted = seen.values().map(|n| n - 1).sum();
    let summary = |f: fn(&Kill) -> f64| {
        let mut v: Vec<f64> = report.kills.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        (v[0], v[(v.len() - 1) / 2], v[v.len() - 1])
    };
    (report.takeover_min_ms, report.takeover_median_ms, report.takeover_max_ms) = summary(|k| k.takeover_ms);
    (report.all_back_min_ms, report.all_back_median_ms, report.all_back_max_ms) = summary(|k| k.phones_back_max_ms);
    Ok(report)
}

/// Organiser calls through the balancer: one may land on an instance as it is killed.
async fn retry<T, F: std::future::Future<Output = anyhow::Result<T>>>(f: impl Fn() -> F) -> anyhow::Result<T> {
    let mut last = None;
    for _ in 0..10 {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(last.unwrap_or_else(|| anyhow!("no attempt")))
}

fn note(ev: Event, acked: &mut HashSet<(i32, String)>, report: &mut FailoverReport) {
    match ev {
        Event::Acked { qid, sub } => {
            acked.insert((qid, sub));
        }
        Event::Refused { code } => *report.error_codes.entry(code).or_default() += 1,
        _ => {}
    }
}

/// Waits until every phone has the question that just opened; returns its id.
async fn wait_all_got(
    ev_rx: &mut mpsc::UnboundedReceiver<Event>,
    phones: usize,
    acked: &mut HashSet<(i32, String)>,
    report: &mut FailoverReport,
) -> anyhow::Result<i32> {
    let mut got: HashMap<i32, usize> = HashMap::new();
    let until = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let ev = tokio::time::timeout_at(until, ev_rx.recv())
            .await
            .map_err(|_| anyhow!("the question did not reach every phone within 20 s: {got:?}"))?
            .ok_or_else(|| anyhow!("every phone stopped"))?;
        match ev {
            Event::Got { qid } => {
                let n = got.entry(qid).or_default();
                *n += 1;
                if *n == phones {
                    return Ok(qid);
                }
            }
            other => note(other, acked, report),
        }
    }
}

/// The question a server message shows open: `question_opened`, or the `state` a socket
/// starts with.
fn open_question(v: &Value) -> Option<i32> {
    match v["type"].as_str()? {
        "question_opened" => v["question_id"].as_i64().map(|q| q as i32),
        "state" if v["state"]["question"]["status"] == "open" => {
            v["state"]["question"]["id"].as_i64().map(|q| q as i32)
        }
        _ => None,
    }
}

/// One phone: keeps its socket open through the balancer, reconnecting as the phone page
/// does; answers each question once, and resends that answer after every reconnect.
async fn phone(url: String, mut phase: watch::Receiver<Phase>, ev: mpsc::UnboundedSender<Event>) {
    let mut attempt = 0i32;
    // The answer of each question: its submission id and response, resent unchanged.
    let mut answers: HashMap<i32, (String, Value)> = HashMap::new();
    let mut got: HashSet<i32> = HashSet::new();
    let mut reported_back: HashSet<usize> = HashSet::new();
    let mut reported_again: HashSet<usize> = HashSet::new();
    loop {
        let opened_at = Instant::now();
        let Ok(Ok((ws, _))) =
            tokio::time::timeout(Duration::from_secs(10), tokio_tungstenite::connect_async(&url)).await
        else {
            let cap = BACKOFF_MAX_MS.min(BACKOFF_BASE_MS * 2f64.powi(attempt));
            let wait = cap / 2.0 + rand::rng().random_range(0.0..cap / 2.0);
            attempt = (attempt + 1).min(10);
            tokio::time::sleep(Duration::from_millis(wait as u64)).await;
            continue;
        };
        let (mut tx, mut rx) = ws.split();
        // When this socket sends its answer (a fresh one after a random wait).
        let mut planned: Option<(tokio::time::Instant, i32)> = None;
        let mut sent: Option<(Instant, String)> = None;
        loop {
            tokio::select! {
                msg = rx.next() => {
                    let Some(Ok(msg)) = msg else { break };
                    let Message::Text(text) = msg else { continue };
                    let Ok(v) = serde_json::from_str::<Value>(&text) else { continue };
                    if let Some(q) = open_question(&v) {
                        let p = *phase.borrow();
                        match p.kill {
                            Some((k, t)) if opened_at > t && p.qid == Some(q) => {
                                if reported_back.insert(k) {
                                    let _ = ev.send(Event::Back { kill: k, ms: t.elapsed().as_secs_f64() * 1e3 });
                                }
                            }
                            // Opened while connected, or found open on connecting.
                            _ => {
                                if got.insert(q) {
                                    let _ = ev.send(Event::Got { qid: q });
                                }
                            }
                        }
                        // The question itself: in `question_opened`, or inside the state.
                        let shown = if v["type"] == "state" { &v["state"]["question"]["question"] } else { &v["question"] };
                        let kind = shown["kind"].as_str().unwrap_or("single");
                        let options = shown["options"].as_array().map_or(0, Vec::len);
                        let wait = if answers.contains_key(&q) { 0 } else { rand::rng().random_range(0..1000) };
                        answers.entry(q).or_insert_with(|| (uuid::Uuid::new_v4().to_string(), crate::response_for(kind, options)));
                        planned = Some((tokio::time::Instant::now() + Duration::from_millis(wait), q));
                    }
                    match v["type"].as_str() {
                        Some("ack") => {
                            let sub = v["ack"]["submission_id"].as_str().unwrap_or_default();
                            if let Some((_, s)) = sent.as_ref().filter(|(_, s)| s == sub) {
                                let qid = v["ack"]["question_id"].as_i64().map(|q| q as i32)
                                    .or_else(|| answers.iter().find(|(_, x)| x.0 == *s).map(|(q, _)| *q)).unwrap_or_default();
                                let _ = ev.send(Event::Acked { qid, sub: s.clone() });
                                let p = *phase.borrow();
                                if let Some((k, t)) = p.kill
                                    && opened_at > t
                                    && reported_again.insert(k)
                                {
                                    let _ = ev.send(Event::AckedAgain { kill: k, ms: t.elapsed().as_secs_f64() * 1e3 });
                                }
                                sent = None;
                            }
                        }
                        Some("error") => {
                            let code = v["error"]["code"].as_str().unwrap_or("unknown").to_owned();
                            let _ = ev.send(Event::Refused { code });
                            sent = None;
                        }
                        _ => {}
                    }
                }
                _ = tokio::time::sleep_until(planned.map_or_else(tokio::time::Instant::now, |p| p.0)), if planned.is_some() => {
                    let Some((_, q)) = planned.take() else { continue };
                    let Some((sub, response)) = answers.get(&q).cloned() else { continue };
                    let msg = json!({"type": "answer", "submission_id": sub, "question_id": q, "response": response});
                    if tx.send(Message::Text(msg.to_string().into())).await.is_err() {
                        break;
                    }
                    sent = Some((Instant::now(), sub));
                }
                changed = phase.changed() => if changed.is_err() { return },
            }
        }
        // The socket closed: retry soon, as the phone page does after a drop.
        let wait = 100.0 + rand::rng().random_range(0.0..900.0);
        attempt = 1;
        tokio::time::sleep(Duration::from_millis(wait as u64)).await;
    }
}
