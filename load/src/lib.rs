//! `hoithi-load`: sets up a contest through the API, joins thousands of phones over
//! WebSocket, runs a quiz part and measures what a contest organiser cares about: every
//! answer acknowledged is stored, nothing is counted twice, nothing late is accepted,
//! and how long acks, question delivery and scoreboard updates take.
//!
//! The generator is a library so that the test suite can run it on a small contest and
//! compare its counts with what the server stored. Besides the quiz it runs a buzzer part
//! ([`buzzer`]) and an elimination part ([`elimination`]).
pub mod buzzer;
pub mod elimination;
pub mod failover;
pub mod setup;
pub mod stats;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;

use setup::Api;
use stats::Samples;

#[derive(Debug, Clone)]
pub struct Config {
    /// Where the organiser's calls go.
    pub url: String,
    /// Where the phones join and open their sockets, phone `i` at `phone_urls[i % n]`:
    /// the instances of a cluster, or the balancers in front of them. Empty: `url`.
    pub phone_urls: Vec<String>,
    pub phones: usize,
    pub teams: usize,
    pub questions: usize,
    pub window_ms: u64,
    /// The part's reading time: each question goes out this long before answering opens.
    pub reading_s: u32,
    /// Extra sockets: judges and a projector.
    pub watchers: usize,
    pub admin_user: String,
    pub admin_password: String,
    /// The server's processes (every instance of a cluster): their memory and CPU are
    /// read from /proc and summed.
    pub server_pids: Vec<u32>,
    /// Share of phones that resend their answer with the same submission id.
    pub resend_ratio: f64,
    /// Share of phones that answer after the deadline.
    pub late_ratio: f64,
    /// Joins in flight at once.
    pub join_concurrency: usize,
    /// Print progress lines to stderr.
    pub progress: bool,
}

/// The one JSON line printed at the end.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    /// `quiz` or `elimination`.
    pub mode: &'static str,
    pub contest_id: i64,
    pub phones: usize,
    pub teams: usize,
    pub questions: usize,
    pub reading_s: u32,
    pub answers_sent: u64,
    pub answers_acked: u64,
    pub answers_stored: u64,
    pub duplicates_counted: u64,
    pub late_accepted: u64,
    pub late_sent: u64,
    pub late_refused: u64,
    pub join_p50_ms: f64,
    pub join_p99_ms: f64,
    pub ack_p50_ms: f64,
    pub ack_p99_ms: f64,
    pub ack_max_ms: f64,
    /// From the server's `opened_at` (answering opens) to a phone receiving the question;
    /// 0 for a phone that had it before (with a reading time, every phone should).
    pub open_spread_p99_ms: f64,
    /// From the server's `shown_at` (the question goes out) to a phone receiving it: the
    /// fan-out itself. Equal to the spread when there is no reading time.
    pub delivery_p50_ms: f64,
    pub delivery_p99_ms: f64,
    /// Question receipts after answering had opened (each cost its phone answering time).
    pub received_after_open: u64,
    pub scoreboard_after_close_p99_ms: f64,
    pub server_rss_start_mb: f64,
    /// After every phone joined over HTTP, before any socket opened.
    pub server_rss_joined_mb: f64,
    /// With every phone's socket open and idle.
    pub server_rss_idle_mb: f64,
    pub server_rss_peak_mb: f64,
    /// (idle − joined) / phones: what one connected, idle phone costs the server.
    pub rss_per_idle_phone_kb: f64,
    pub server_cpu_s: f64,
    /// The generator's own CPU time: near its wall time means the generator, not the
    /// server, set the latencies.
    pub load_cpu_s: f64,
    pub load_wall_s: f64,
    pub errors: u64,
    /// Refusals other than the expected `deadline_passed` of late answers, by code.
    pub error_codes: std::collections::BTreeMap<String, u64>,
    /// Acknowledged on-time submissions missing from the server's record.
    pub acked_not_stored: u64,
    /// An elimination run's own figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elimination: Option<elimination::Figures>,
}

/// Which kind of part a run plays: a quiz of teams, or an elimination part where each
/// phone is a contestant and answers wrong with the given probability.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode {
    Quiz,
    Elimination { wrong_ratio: f64 },
}

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    acked: AtomicU64,
    late_sent: AtomicU64,
    late_acked: AtomicU64,
    late_refused: AtomicU64,
    errors: AtomicU64,
    /// Elimination: answers of eliminated contestants, refused with `eliminated`.
    eliminated: AtomicU64,
    error_codes: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
}

impl Config {
    /// Where phone `i` joins and connects (see [`Config::phone_urls`]).
    pub fn phone_url(&self, i: usize) -> &str {
        if self.phone_urls.is_empty() { &self.url } else { &self.phone_urls[i % self.phone_urls.len()] }
    }
}

/// `http://…` → `ws://…`, `https://…` → `wss://…`.
pub(crate) fn ws_base(url: &str) -> String {
    url.trim_end_matches('/').replacen("http", "ws", 1)
}

impl Counters {
    fn error(&self, code: &str) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut m) = self.error_codes.lock() {
            *m.entry(code.to_owned()).or_default() += 1;
        }
    }
}

/// What one phone learned, gathered at the end.
#[derive(Default)]
struct PhoneLog {
    ack: Samples,
    open_spread: Samples,
    delivery: Samples,
    received_after_open: u64,
    /// (question id, submission id) of on-time answers that were acknowledged.
    acked: Vec<(i32, String)>,
    /// (ms from the question's opening to the send, ack ms): where in the window acks are slow.
    ack_by_offset: Vec<(i64, f64)>,
    /// Elimination: the acknowledged answers as (question id, right).
    verdicts: Vec<(i32, bool)>,
    /// Elimination: `remaining` in the last `elimination` message the phone received.
    last_remaining: Option<u64>,
}

fn progress(cfg: &Config, msg: impl AsRef<str>) {
    if cfg.progress {
        eprintln!("[hoithi-load] {}", msg.as_ref());
    }
}

/// Runs a quiz part (see the crate's documentation).
pub async fn run(cfg: Config) -> anyhow::Result<Report> {
    run_mode(cfg, Mode::Quiz).await
}

pub(crate) async fn run_mode(cfg: Config, mode: Mode) -> anyhow::Result<Report> {
    anyhow::ensure!(cfg.phones >= cfg.teams && cfg.teams > 0, "--phones must be ≥ --teams ≥ 1");
    let started = Instant::now();
    let my_cpu0 = stats::cpu_s(std::process::id()).unwrap_or(0.0);
    let mut report = Report {
        mode: match mode {
            Mode::Quiz => "quiz",
            Mode::Elimination { .. } => "elimination",
        },
        phones: cfg.phones,
        teams: cfg.teams,
        questions: cfg.questions,
        reading_s: cfg.reading_s,
        ..Report::default()
    };
    let pid = cfg.server_pids.clone();
    let rss_mb = |pid: &[u32]| stats::rss_kb_all(pid).map(|kb| stats::round1(kb as f64 / 1024.0)).unwrap_or(0.0);
    let cpu0 = stats::cpu_s_all(&pid).unwrap_or(0.0);
    report.server_rss_start_mb = rss_mb(&pid);
    let peak = Arc::new(AtomicU64::new(stats::rss_kb_all(&pid).unwrap_or(0)));
    let sampler = (!pid.is_empty()).then(|| {
        let peak = peak.clone();
        let pid = pid.clone();
        tokio::spawn(async move {
            loop {
                if let Some(kb) = stats::rss_kb_all(&pid) {
                    peak.fetch_max(kb, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    });

    let api = Api::new(&cfg.url, &cfg.admin_user, &cfg.admin_password).await?;
    let (contest, key) = match mode {
        Mode::Quiz => (api.create_contest(cfg.teams, cfg.questions, cfg.window_ms, cfg.reading_s).await?, None),
        Mode::Elimination { wrong_ratio } => {
            let part = elimination::part(cfg.window_ms, cfg.reading_s);
            let contest = api.create_contest_with(cfg.teams, cfg.questions, part).await?;
            let key = elimination::AnswerKey::load(&api, contest.id, contest.part_id, wrong_ratio).await?;
            (contest, Some(Arc::new(key)))
        }
    };
    report.contest_id = contest.id;
    progress(&cfg, format!("contest {} with {} teams and {} questions set up", contest.id, cfg.teams, cfg.questions));

    // ---- join every phone (HTTP), then open its socket
    let counters = Arc::new(Counters::default());
    let mut joins = Samples::default();
    let mut tokens = Vec::with_capacity(cfg.phones);
    {
        let sem = Arc::new(tokio::sync::Semaphore::new(cfg.join_concurrency.max(1)));
        let mut tasks = Vec::with_capacity(cfg.phones);
        for i in 0..cfg.phones {
            let code = contest.codes[i % cfg.teams].clone();
            let api = api.at(cfg.phone_url(i));
            let sem = sem.clone();
            tasks.push(tokio::spawn(async move {
                let _permit = sem.acquire_owned().await;
                let t0 = Instant::now();
                let token = api.join(&code, &format!("Thí sinh {}", i + 1)).await;
                (t0.elapsed(), token)
            }));
        }
        for (i, t) in tasks.into_iter().enumerate() {
            let (d, token) = t.await?;
            joins.push(d);
            tokens.push(token?);
            if (i + 1) % 1000 == 0 {
                progress(&cfg, format!("{} phones joined", i + 1));
            }
        }
    }
    report.join_p50_ms = joins.percentile(50.0);
    report.join_p99_ms = joins.percentile(99.0);

    report.server_rss_joined_mb = rss_mb(&pid);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let logs = Arc::new(Mutex::new(Vec::<PhoneLog>::with_capacity(cfg.phones)));
    let mut phones = Vec::with_capacity(cfg.phones);
    let mut rng = rand::rng();
    for (i, token) in tokens.into_iter().enumerate() {
        let url = format!("{}/api/live?token={token}", ws_base(cfg.phone_url(i)));
        let (ws, _) = connect_retry(&url).await?;
        let late = rng.random_bool(cfg.late_ratio);
        let resend = !late && rng.random_bool(cfg.resend_ratio);
        let ctx = PhoneCtx {
            window_ms: cfg.window_ms,
            late,
            resend,
            counters: counters.clone(),
            logs: logs.clone(),
            stop: stop_rx.clone(),
            key: key.clone(),
        };
        phones.push(tokio::spawn(phone(ws, ctx)));
        if (i + 1) % 1000 == 0 {
            progress(&cfg, format!("{} sockets open", i + 1));
        }
    }
    // Judges and projector watch the scoreboard.
    let watcher_tokens = api.watcher_tokens(contest.id, cfg.watchers).await?;
    let board_lat = Arc::new(Mutex::new(Samples::default()));
    let mut watchers = Vec::new();
    for (i, token) in watcher_tokens.into_iter().enumerate() {
        let url = format!("{}/api/live?token={token}&contest_id={}", ws_base(cfg.phone_url(i)), contest.id);
        let (ws, _) = connect_retry(&url).await?;
        watchers.push(tokio::spawn(watcher(ws, board_lat.clone())));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    report.server_rss_idle_mb = rss_mb(&pid);
    report.rss_per_idle_phone_kb =
        stats::round1((report.server_rss_idle_mb - report.server_rss_joined_mb) * 1024.0 / cfg.phones as f64);
    progress(&cfg, format!("{} phones connected; server RSS {} MB", cfg.phones, report.server_rss_idle_mb));

    // ---- the quiz (or the elimination part: the same sequence of questions)
    api.start_part(contest.id, contest.part_id).await?;
    for k in 0..cfg.questions {
        let opened = api.next(contest.id).await?;
        progress(&cfg, format!("question {} of {} open", k + 1, cfg.questions));
        // Wait for the deadline plus the late answers' margin, then close and reveal. The
        // generator runs on the server's machine, so both read the same clock.
        let wait = (opened.deadline_at - now_ms()).max(0) as u64 + LATE_AFTER_MS + 500;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        // The server closes the question at its deadline by itself; closing is then a no-op.
        api.close(contest.id).await?;
        api.reveal(contest.id).await?;
        progress(
            &cfg,
            format!("question {} closed; answers acked so far {}", k + 1, counters.acked.load(Ordering::Relaxed)),
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Elimination: who remains by the server's count, read before the part finishes.
    let server_remaining = match mode {
        Mode::Elimination { .. } => Some(elimination::server_remaining(&api, contest.id).await?),
        Mode::Quiz => None,
    };
    api.finish_part(contest.id, contest.part_id).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = stop_tx.send(true);
    for p in phones {
        let _ = p.await;
    }
    for w in &watchers {
        w.abort();
    }
    if let Some(s) = sampler {
        s.abort();
    }

    // ---- compare with what the server stored
    let stored = api.stored_answers(contest.id).await?;
    let logs = std::mem::take(&mut *logs.lock().await);
    let mut ack = Samples::default();
    let mut spread = Samples::default();
    let mut delivery = Samples::default();
    let mut acked: HashSet<(i32, String)> = HashSet::new();
    let mut by_offset: Vec<(i64, f64)> = Vec::new();
    if let (Mode::Elimination { wrong_ratio }, Some(key), Some(remaining)) = (mode, &key, server_remaining) {
        let seen: Vec<elimination::PhoneSeen> = logs
            .iter()
            .map(|l| elimination::PhoneSeen { verdicts: &l.verdicts, last_remaining: l.last_remaining })
            .collect();
        let mut figures = elimination::figures(key, &seen, remaining, wrong_ratio);
        figures.answers_refused_eliminated = counters.eliminated.load(Ordering::Relaxed);
        progress(
            &cfg,
            format!(
                "survivors: expected {} (from the acks), server {}; phones told otherwise {}; eliminated acked {}: {}",
                figures.survivors_expected,
                figures.survivors_server,
                figures.remaining_mismatches,
                figures.eliminated_acked,
                if figures.survivors_agree { "agree" } else { "DISAGREE" }
            ),
        );
        report.elimination = Some(figures);
    }
    for l in logs {
        by_offset.extend(l.ack_by_offset);
        ack.extend(l.ack);
        spread.extend(l.open_spread);
        delivery.extend(l.delivery);
        report.received_after_open += l.received_after_open;
        acked.extend(l.acked);
    }
    progress(&cfg, ack_by_offset_table(&by_offset));
    progress(
        &cfg,
        format!(
            "open spread: p50={} p90={} p99={} max={} ms; delivery from shown_at: p50={} p90={} p99={} max={} ms",
            spread.percentile(50.0),
            spread.percentile(90.0),
            spread.percentile(99.0),
            spread.max(),
            delivery.percentile(50.0),
            delivery.percentile(90.0),
            delivery.percentile(99.0),
            delivery.max()
        ),
    );
    let mut seen: HashMap<(i32, i32, String), u64> = HashMap::new();
    let mut stored_subs: HashSet<(i32, String)> = HashSet::new();
    for a in &stored.answers {
        *seen.entry((a.contestant_id, a.question_id, a.submission_id.clone())).or_default() += 1;
        stored_subs.insert((a.question_id, a.submission_id.clone()));
        if a.received_at > *stored.deadlines.get(&a.question_id).unwrap_or(&i64::MAX) {
            report.late_accepted += 1;
        }
    }
    report.duplicates_counted = seen.values().map(|n| n - 1).sum();
    report.answers_stored = stored.answers.len() as u64;
    report.acked_not_stored = acked.iter().filter(|k| !stored_subs.contains(*k)).count() as u64;
    report.answers_sent = counters.sent.load(Ordering::Relaxed);
    report.answers_acked = counters.acked.load(Ordering::Relaxed);
    report.late_sent = counters.late_sent.load(Ordering::Relaxed);
    report.late_refused = counters.late_refused.load(Ordering::Relaxed);
    report.late_accepted += counters.late_acked.load(Ordering::Relaxed);
    report.errors = counters.errors.load(Ordering::Relaxed);
    report.error_codes = counters.error_codes.lock().map(|m| m.clone()).unwrap_or_default();
    report.ack_p50_ms = ack.percentile(50.0);
    report.ack_p99_ms = ack.percentile(99.0);
    report.ack_max_ms = ack.max();
    report.open_spread_p99_ms = spread.percentile(99.0);
    report.delivery_p50_ms = delivery.percentile(50.0);
    report.delivery_p99_ms = delivery.percentile(99.0);
    report.scoreboard_after_close_p99_ms = board_lat.lock().await.percentile(99.0);
    report.server_rss_peak_mb = stats::round1(peak.load(Ordering::Relaxed) as f64 / 1024.0);
    report.load_cpu_s = stats::round1(stats::cpu_s(std::process::id()).unwrap_or(0.0) - my_cpu0);
    report.load_wall_s = stats::round1(started.elapsed().as_secs_f64());
    report.server_cpu_s = stats::round1(stats::cpu_s_all(&pid).unwrap_or(cpu0) - cpu0);
    Ok(report)
}

/// Ack latency by when the answer was sent, counted from the question's opening: shows
/// whether slow acks come from the question's delivery burst or from the answer window.
fn ack_by_offset_table(v: &[(i64, f64)]) -> String {
    const EDGES: [i64; 7] = [0, 100, 200, 300, 500, 1000, i64::MAX];
    let mut out = String::from("acks by send time after opening:");
    for w in EDGES.windows(2) {
        let mut s = Samples::default();
        for (_, ms) in v.iter().filter(|(o, _)| *o >= w[0] && *o < w[1]) {
            s.push_ms(*ms);
        }
        let hi = if w[1] == i64::MAX { "…".to_owned() } else { w[1].to_string() };
        out += &format!(" [{}–{hi} ms: n={} p50={} p99={}]", w[0], s.len(), s.percentile(50.0), s.percentile(99.0));
    }
    out
}

/// Late phones answer this long after the deadline.
const LATE_AFTER_MS: u64 = 400;

/// How long one attempt to open a live socket may take.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);

/// A phone's read buffer: the server's messages are a few hundred bytes.
const READ_BUFFER: usize = 4096;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect_retry(url: &str) -> anyhow::Result<(Ws, tokio_tungstenite::tungstenite::handshake::client::Response)> {
    let mut last = None;
    for attempt in 0..5u64 {
        // tungstenite zeroes its whole read buffer (128 KiB by default) on every read: ten
        // thousand phones would spend the generator's core on memset, not on the protocol.
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER)
            .write_buffer_size(0);
        // A server out of file descriptors completes the TCP handshake (the kernel does)
        // but never answers the upgrade: give up on an attempt instead of waiting forever.
        let open = tokio_tungstenite::connect_async_with_config(url, Some(config), true);
        match tokio::time::timeout(OPEN_TIMEOUT, open).await {
            Ok(Ok(x)) => return Ok(x),
            Ok(Err(e)) => last = Some(e.to_string()),
            Err(_) => last = Some(format!("no answer to the WebSocket upgrade within {OPEN_TIMEOUT:?}")),
        }
        tokio::time::sleep(Duration::from_millis(100 * (attempt + 1))).await;
    }
    Err(anyhow::anyhow!("cannot open the live socket: {}", last.unwrap_or_default()))
}

/// Builds a plausible answer for the question's kind.
pub(crate) fn response_for(kind: &str, options: usize) -> Value {
    let mut rng = rand::rng();
    let n = options.max(1);
    match kind {
        "multiple" => json!({ "choices": [rng.random_range(0..n)] }),
        "true_false" => json!({ "value": rng.random_bool(0.5) }),
        "short_text" => json!({ "text": "Ngã Sáu" }),
        "number" => json!({ "number": rng.random_range(1..200) }),
        _ => json!({ "choice": rng.random_range(0..n) }),
    }
}

/// One phone: waits for each question, answers once at a random moment of the window
/// (or after the deadline when it is a late phone), maybe resends, and times the acks.
/// What a phone shares with the generator.
struct PhoneCtx {
    window_ms: u64,
    late: bool,
    resend: bool,
    counters: Arc<Counters>,
    logs: Arc<Mutex<Vec<PhoneLog>>>,
    stop: tokio::sync::watch::Receiver<bool>,
    /// Elimination: the answers, right and wrong, of each question.
    key: Option<Arc<elimination::AnswerKey>>,
}

/// The fields of a server message that a phone acts on; the rest is skipped unparsed.
#[derive(serde::Deserialize)]
struct Incoming {
    #[serde(rename = "type")]
    kind: String,
    question_id: Option<i32>,
    shown_at: Option<i64>,
    opened_at: Option<i64>,
    deadline_at: Option<i64>,
    question: Option<QuestionShape>,
    ack: Option<AckShape>,
    error: Option<ErrorShape>,
    elimination: Option<ElimShape>,
}

#[derive(serde::Deserialize)]
struct ElimShape {
    remaining: Option<u64>,
}

#[derive(serde::Deserialize)]
struct QuestionShape {
    kind: String,
    #[serde(default)]
    options: Vec<serde::de::IgnoredAny>,
}

#[derive(serde::Deserialize)]
struct AckShape {
    submission_id: String,
}

#[derive(serde::Deserialize)]
struct ErrorShape {
    #[serde(default)]
    submission_id: String,
    #[serde(default)]
    code: String,
}

/// An answer waiting for its moment: (when, submission id, is a resend, message).
type Planned = (tokio::time::Instant, String, bool, i32, String);

async fn phone(ws: Ws, ctx: PhoneCtx) {
    let PhoneCtx { window_ms, late, resend, counters, logs, mut stop, key } = ctx;
    // Elimination: whether each answer sent is the right one, by submission id.
    let mut right_of: HashMap<String, bool> = HashMap::new();
    let (mut tx, mut rx) = ws.split();
    let mut log = PhoneLog::default();
    // At most an answer and its resend are waiting; one timer per phone, no task per answer.
    let mut planned: std::collections::VecDeque<Planned> = std::collections::VecDeque::new();
    let mut pending: HashMap<String, (Instant, i32, bool)> = HashMap::new();
    // When each question opened (server clock) and when each answer left (same clock).
    let mut opened_at: HashMap<i32, i64> = HashMap::new();
    let mut sent_at: HashMap<String, i64> = HashMap::new();
    loop {
        let due = planned.front().map(|p| p.0);
        tokio::select! {
            _ = stop.changed() => break,
            msg = rx.next() => {
                // The generator runs on the server's machine: its clock is the server's.
                let server_now = now_ms();
                let Some(Ok(msg)) = msg else { break };
                let Message::Text(text) = msg else { continue };
                // Only three kinds of message matter here; skip the rest unparsed.
                if !(text.contains("\"type\":\"question_opened\"")
                    || text.contains("\"type\":\"ack\"")
                    || text.contains("\"type\":\"error\"")
                    || (key.is_some() && text.contains("\"type\":\"elimination\"")))
                {
                    continue;
                }
                let Ok(m) = serde_json::from_str::<Incoming>(&text) else { continue };
                match m.kind.as_str() {
                    "question_opened" => {
                        let qid = m.question_id.unwrap_or_default();
                        let opened = m.opened_at.unwrap_or_default();
                        let deadline = m.deadline_at.unwrap_or_default();
                        let shown = m.shown_at.unwrap_or(opened);
                        log.open_spread.push_ms((server_now - opened).max(0) as f64);
                        log.delivery.push_ms((server_now - shown).max(0) as f64);
                        if server_now > opened {
                            log.received_after_open += 1;
                        }
                        opened_at.insert(qid, opened);
                        // A phone's answer buttons unlock at `opened_at` (the reading time).
                        let delay = if late {
                            (deadline - server_now).max(0) as u64 + LATE_AFTER_MS
                        } else {
                            (opened - server_now).max(0) as u64 + rand::rng().random_range(0..window_ms.max(1))
                        };
                        let sub = uuid::Uuid::new_v4().to_string();
                        let body = match &key {
                            Some(k) => {
                                let (body, right) = k.response(qid);
                                right_of.insert(sub.clone(), right);
                                body
                            }
                            None => m.question.map_or_else(|| json!({ "choice": 0 }), |q| response_for(&q.kind, q.options.len())),
                        };
                        let msg = json!({"type": "answer", "submission_id": sub, "question_id": qid, "response": body}).to_string();
                        let at = tokio::time::Instant::now() + Duration::from_millis(delay);
                        if resend {
                            planned.push_back((at, sub.clone(), false, qid, msg.clone()));
                            planned.push_back((at + Duration::from_millis(20), sub, true, qid, msg));
                        } else {
                            planned.push_back((at, sub, false, qid, msg));
                        }
                    }
                    "ack" => {
                        let sub = m.ack.map(|a| a.submission_id).unwrap_or_default();
                        if let Some((t0, qid, is_late)) = pending.remove(&sub) {
                            if is_late {
                                counters.late_acked.fetch_add(1, Ordering::Relaxed);
                            } else {
                                counters.acked.fetch_add(1, Ordering::Relaxed);
                                let ms = t0.elapsed().as_secs_f64() * 1e3;
                                log.ack.push_ms(ms);
                                if let (Some(o), Some(s)) = (opened_at.get(&qid), sent_at.remove(&sub)) {
                                    log.ack_by_offset.push((s - o, ms));
                                }
                                if let Some(right) = right_of.remove(&sub) {
                                    log.verdicts.push((qid, right));
                                }
                                log.acked.push((qid, sub));
                            }
                        }
                    }
                    "error" => {
                        let e = m.error.unwrap_or(ErrorShape { submission_id: String::new(), code: String::new() });
                        match pending.remove(&e.submission_id) {
                            Some((_, _, true)) if e.code == "deadline_passed" => {
                                counters.late_refused.fetch_add(1, Ordering::Relaxed);
                            }
                            // An eliminated contestant answering is refused: expected
                            // (its resend is refused again and counted once).
                            Some(_) if key.is_some() && e.code == "eliminated" => {
                                counters.eliminated.fetch_add(1, Ordering::Relaxed);
                            }
                            None if key.is_some() && e.code == "eliminated" => {}
                            _ => counters.error(&e.code),
                        }
                    }
                    "elimination" => {
                        if let Some(n) = m.elimination.and_then(|e| e.remaining) {
                            log.last_remaining = Some(n);
                        }
                    }
                    _ => {}
                }
            }
            _ = tokio::time::sleep_until(due.unwrap_or_else(tokio::time::Instant::now)), if due.is_some() => {
                let Some((_, sub, is_resend, qid, msg)) = planned.pop_front() else { continue };
                if !is_resend {
                    if late {
                        counters.late_sent.fetch_add(1, Ordering::Relaxed);
                    } else {
                        counters.sent.fetch_add(1, Ordering::Relaxed);
                    }
                    sent_at.insert(sub.clone(), now_ms());
                    pending.insert(sub, (Instant::now(), qid, late));
                }
                if tx.send(Message::Text(msg.into())).await.is_err() {
                    counters.error("socket_closed");
                    break;
                }
            }
        }
    }
    logs.lock().await.push(log);
}

/// A judge's or the projector's socket: times the scoreboard after each close, from the
/// server's `closed_at` to the first scoreboard that follows it.
async fn watcher(ws: Ws, lat: Arc<Mutex<Samples>>) {
    let (_tx, mut rx) = ws.split();
    let mut closed_at: Option<i64> = None;
    // The board comes on the staff channel and `closed` on everyone's, so a socket may see
    // the board first: a board received at or after the close counts either way.
    let mut last_board: Option<i64> = None;
    while let Some(msg) = rx.next().await {
        let Ok(Message::Text(text)) = msg else {
            if msg.is_err() {
                break;
            }
            continue;
        };
        let Ok(v) = serde_json::from_str::<Value>(&text) else { continue };
        let now = now_ms();
        match v["type"].as_str() {
            Some("closed") => {
                let Some(t) = v["closed_at"].as_i64() else { continue };
                match last_board {
                    Some(b) if b >= t => lat.lock().await.push_ms((b - t) as f64),
                    _ => closed_at = Some(t),
                }
            }
            Some("scoreboard" | "public_scoreboard") => {
                last_board = Some(now);
                if let Some(t) = closed_at.take() {
                    lat.lock().await.push_ms((now - t).max(0) as f64);
                }
            }
            _ => {}
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
