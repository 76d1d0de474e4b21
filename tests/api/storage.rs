//! Storage that fails mid-burst: a full disk under SQLite (a small tmpfs, mounted as root)
//! and a PostgreSQL database that drops the server's connections and refuses new ones.
//! Answers that cannot be stored are refused with 503 `storage_unavailable` over HTTP and
//! over the socket, nothing refused is stored, nothing acknowledged is lost, the health
//! strip raises the alarm, and answering resumes by itself once storage is back.
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use futures_util::{SinkExt, StreamExt};
use hoithi::domain::question::Solution;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{TestApp, Tmpfs, Ws, fill, is_root, spawn_app, spawn_sqlite_app_in, test_settings, ws_until};
use crate::live::{Fixture, question, seed};

/// One answer's outcome: acknowledged, or refused for want of storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Acked,
    NoStorage,
}

/// The phones of the fixture: the first member of each team answers over its socket,
/// the others over HTTP.
struct Phones {
    /// Each team's captain on a socket; None once the server closed it (with PostgreSQL,
    /// the engine stops when its lease cannot be renewed), until it reconnects.
    sockets: Vec<Option<Ws>>,
    tokens: Vec<String>,
}

/// The reply to one answer on a socket, or None when the socket ended first.
async fn reply_on(ws: &mut Ws, sid: &str) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await.expect("no reply on the socket") {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                if (v["type"] == "ack" && v["ack"]["submission_id"] == sid)
                    || (v["type"] == "error" && v["error"]["submission_id"] == sid)
                {
                    return Some(v);
                }
            }
            Some(Ok(Message::Close(_)) | Err(_)) | None => return None,
            Some(Ok(_)) => {}
        }
    }
}

impl Phones {
    async fn open(app: &TestApp, f: &Fixture) -> Phones {
        let mut sockets = vec![];
        for t in &f.teams {
            let mut ws = app.ws(&t.members[0].token).await;
            ws_until(&mut ws, 10, |v| v["type"] == "state").await;
            sockets.push(Some(ws));
        }
        Phones { sockets, tokens: f.teams.iter().map(|t| t.members[0].token.clone()).collect() }
    }

    /// A closed socket reconnects, as the phone's live client does (it may be refused while
    /// storage is away).
    async fn reconnect(&mut self, app: &TestApp) {
        for (i, slot) in self.sockets.iter_mut().enumerate() {
            if slot.is_some() {
                continue;
            }
            let url = format!("ws://127.0.0.1:{}/api/live?token={}", app.port, self.tokens[i]);
            if let Ok((mut ws, _)) = tokio_tungstenite::connect_async(url).await
                && let Ok(Some(Ok(Message::Text(t)))) = tokio::time::timeout(Duration::from_secs(5), ws.next()).await
                && serde_json::from_str::<Value>(&t).is_ok_and(|v| v["type"] == "state")
            {
                *slot = Some(ws);
            }
        }
    }

    /// Every contestant answers once (submission ids `{round}-t{team}-m{member}`, or the
    /// given ones again); returns each submission id's outcome. Anything but an ack or a
    /// 503 `storage_unavailable` fails the test. A captain whose socket was closed answers
    /// over HTTP, as the phone does while its socket is down.
    async fn burst(&mut self, app: &TestApp, f: &Fixture, sids: &[(usize, usize, String)]) -> Vec<(String, Outcome)> {
        self.reconnect(app).await;
        let q = f.questions[0];
        let post = |t: usize, m: usize, sid: String| {
            let token = f.teams[t].members[m].token.clone();
            let (client, url) = (app.client.clone(), format!("{}/api/contests/{}/answers", app.addr, f.cid));
            async move {
                let body = json!({"submission_id": sid, "question_id": q, "response": {"choice": 1}});
                let res = client.post(&url).bearer_auth(&token).json(&body).send().await.unwrap();
                let status = res.status();
                let retry = res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
                let b: Value = res.json().await.unwrap_or(Value::Null);
                match status {
                    StatusCode::OK => {
                        assert_eq!(b["submission_id"], sid, "{b}");
                        (sid, Outcome::Acked)
                    }
                    StatusCode::SERVICE_UNAVAILABLE => {
                        assert_eq!(b["error"]["code"], "storage_unavailable", "{b}");
                        assert!(retry.is_some(), "a 503 storage_unavailable without Retry-After");
                        (sid, Outcome::NoStorage)
                    }
                    s => panic!("answer {sid}: {s} {b}"),
                }
            }
        };
        let http = sids.iter().filter(|(_, m, _)| *m > 0).map(|(t, m, sid)| post(*t, *m, sid.clone()));
        // The sockets' answers go out together, then their replies are read.
        let mut on_socket = vec![];
        let mut on_http = vec![];
        for (t, _, sid) in sids.iter().filter(|(_, m, _)| *m == 0) {
            let msg = json!({"type": "answer", "submission_id": sid, "question_id": q, "response": {"choice": 1}});
            let sent = match self.sockets[*t].as_mut() {
                Some(ws) => ws.send(Message::Text(msg.to_string().into())).await.is_ok(),
                None => false,
            };
            if sent {
                on_socket.push((*t, sid.clone()));
            } else {
                self.sockets[*t] = None;
                on_http.push((*t, sid.clone()));
            }
        }
        let mut out = join_all(http).await;
        for (t, sid) in on_socket {
            let reply = match self.sockets[t].as_mut() {
                Some(ws) => reply_on(ws, &sid).await,
                None => None,
            };
            match reply {
                Some(v) if v["type"] == "ack" => out.push((sid, Outcome::Acked)),
                Some(v) => {
                    assert_eq!(v["error"]["code"], "storage_unavailable", "{v}");
                    out.push((sid, Outcome::NoStorage));
                }
                None => {
                    self.sockets[t] = None;
                    on_http.push((t, sid));
                }
            }
        }
        for (t, sid) in on_http {
            out.push(post(t, 0, sid).await);
        }
        out
    }
}

fn round(f: &Fixture, r: usize) -> Vec<(usize, usize, String)> {
    let mut v = vec![];
    for (t, team) in f.teams.iter().enumerate() {
        for m in 0..team.members.len() {
            v.push((t, m, format!("r{r}-t{t}-m{m}")));
        }
    }
    v
}

/// Every submission id stored, with how many rows it has.
async fn stored(url: &str) -> HashMap<String, i64> {
    let db = Database::connect(url).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT submission_id, COUNT(*) FROM answers GROUP BY contestant_id, submission_id",
        ))
        .await
        .unwrap();
    db.close().await.ok();
    rows.iter().map(|r| (r.try_get_by_index::<String>(0).unwrap(), r.try_get_by_index::<i64>(1).unwrap())).collect()
}

async fn storage_ok(app: &TestApp, f: &Fixture) -> bool {
    let (s, h) = app.get("/api/health/live", Some(&f.admin)).await;
    assert_eq!(s, StatusCode::OK, "{h}");
    h["storage_ok"].as_bool().unwrap()
}

/// Waits until the health strip says `want` (within `secs`).
async fn wait_storage_ok(app: &TestApp, f: &Fixture, want: bool, secs: u64) {
    let t0 = Instant::now();
    while storage_ok(app, f).await != want {
        assert!(t0.elapsed() < Duration::from_secs(secs), "storage_ok never became {want}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Sends the refused answers again (same submission ids) until every one is acked, as the
/// phones do; storage must come back by itself within `secs`.
async fn resend_until_acked(
    app: &TestApp,
    f: &Fixture,
    phones: &mut Phones,
    mut refused: Vec<(usize, usize, String)>,
    secs: u64,
) -> Vec<String> {
    let t0 = Instant::now();
    let mut acked = vec![];
    while !refused.is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(secs), "answering did not resume: {} still refused", refused.len());
        let out: HashMap<String, Outcome> = phones.burst(app, f, &refused).await.into_iter().collect();
        refused.retain(|(_, _, sid)| {
            let ok = out[sid] == Outcome::Acked;
            if ok {
                acked.push(sid.clone());
            }
            !ok
        });
        if !refused.is_empty() {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    acked
}

#[tokio::test]
async fn a_full_disk_refuses_answers_with_storage_unavailable_and_answering_resumes_once_space_is_freed() {
    if !is_root() {
        eprintln!("SKIPPED: mounting the small tmpfs this test fills needs root (CI runs as root)");
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    let _mount = Tmpfs::mount(&dir, "24m");
    let data = tempfile::TempDir::new_in(&dir).unwrap();
    let app = spawn_sqlite_app_in(data, test_settings()).await;
    let db_file = app.sqlite_path().unwrap();
    let f = seed(&app, 12, 3, json!({}), "last_answer", vec![question(0, Solution::Single { option: 1 }, 300)]).await;
    f.control(&app, "start").await;
    f.control(&app, "next").await;
    let mut phones = Phones::open(&app, &f).await;
    let mut acked: HashSet<String> = HashSet::new();
    // Answers are stored while there is room.
    for (sid, o) in phones.burst(&app, &f, &round(&f, 0)).await {
        assert_eq!(o, Outcome::Acked, "{sid} refused before the disk filled");
        acked.insert(sid);
    }
    assert!(storage_ok(&app, &f).await);

    let url = format!("sqlite://{db_file}?mode=ro");
    let filler = dir.join("filler");
    fill(&filler);
    // The write-ahead log may hold a few commits in the room it already has: the burst goes
    // on until answers are refused in two rounds, over the socket and over HTTP.
    let mut refused: Vec<(usize, usize, String)> = vec![];
    let mut r = 1;
    let mut refusing_rounds = 0;
    let both_ways = |refused: &[(usize, usize, String)]| {
        refused.iter().any(|(_, m, _)| *m == 0) && refused.iter().any(|(_, m, _)| *m > 0)
    };
    while refusing_rounds < 2 || !both_ways(&refused) {
        assert!(r < 100, "a full disk never refused an answer");
        let sids = round(&f, r);
        let out: HashMap<String, Outcome> = phones.burst(&app, &f, &sids).await.into_iter().collect();
        let before = refused.len();
        for s in sids {
            match out[&s.2] {
                Outcome::Acked => {
                    acked.insert(s.2.clone());
                }
                Outcome::NoStorage => refused.push(s),
            }
        }
        if refused.len() > before {
            refusing_rounds += 1;
        }
        // Every answer acknowledged so far is in the database, as another connection sees
        // it (not only in the writer's own transaction).
        let now = stored(&url).await;
        let lost: Vec<_> = acked.iter().filter(|s| !now.contains_key(*s)).collect();
        assert!(lost.is_empty(), "round {r}: acknowledged but not stored: {} of {}", lost.len(), acked.len());
        r += 1;
    }
    assert!(!storage_ok(&app, &f).await, "the health strip does not show the full disk");
    let (s, metrics) = app.get("/metrics", Some(&f.admin)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(metrics.as_str().unwrap().contains("hoithi_answers_total{outcome=\"storage_unavailable\"}"));

    // Even now, every acknowledged answer is in the database, and no refused one is.
    let now = stored(&url).await;
    let lost: Vec<_> = acked.iter().filter(|s| !now.contains_key(*s)).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    let sneaked: Vec<_> = refused.iter().filter(|s| now.contains_key(&s.2)).collect();
    assert!(sneaked.is_empty(), "refused but stored: {sneaked:?}");

    // Space is freed: the same server stores the refused answers when they are sent again,
    // and the alarm goes.
    std::fs::remove_file(&filler).unwrap();
    let n_refused = refused.len();
    let resent = resend_until_acked(&app, &f, &mut phones, refused, 20).await;
    assert_eq!(resent.len(), n_refused);
    acked.extend(resent);
    for (sid, o) in phones.burst(&app, &f, &round(&f, 100)).await {
        assert_eq!(o, Outcome::Acked, "{sid} refused after space was freed");
        acked.insert(sid);
    }
    wait_storage_ok(&app, &f, true, 10).await;
    // The organiser's controls work again too.
    f.control(&app, "close").await;

    let all = stored(&url).await;
    let twice: Vec<_> = all.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "stored more than once: {twice:?}");
    let lost: Vec<_> = acked.iter().filter(|s| !all.contains_key(*s)).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    assert_eq!(all.len(), acked.len(), "stored answers that were never acknowledged");
    app.handle.stop(false).await;
}

/// PostgreSQL that goes away mid-burst, without stopping the machine's PostgreSQL (other
/// databases live on it): the test's database stops taking connections
/// (`ALLOW_CONNECTIONS false`) and the server's open ones are terminated, as in a restart
/// of PostgreSQL; then it takes them again.
#[tokio::test]
async fn postgres_going_away_mid_burst_refuses_answers_and_answering_resumes_when_it_is_back() {
    if std::env::var("TEST_DATABASE_URL").map_or(true, |u| u.is_empty()) {
        eprintln!("SKIPPED: needs PostgreSQL (TEST_DATABASE_URL); the SQLite side is the full-disk test");
        return;
    }
    let app = spawn_app().await;
    let (base, name) = app.db_url.rsplit_once('/').unwrap();
    let name = name.split('?').next().unwrap().to_owned();
    let admin = Database::connect(format!("{base}/postgres")).await.unwrap();
    let f = seed(&app, 12, 3, json!({}), "last_answer", vec![question(0, Solution::Single { option: 1 }, 300)]).await;
    f.control(&app, "start").await;
    f.control(&app, "next").await;
    let mut phones = Phones::open(&app, &f).await;
    let mut acked: HashSet<String> = HashSet::new();
    for (sid, o) in phones.burst(&app, &f, &round(&f, 0)).await {
        assert_eq!(o, Outcome::Acked, "{sid}");
        acked.insert(sid);
    }

    // Mid-burst: the database goes away.
    let cut = async {
        tokio::time::sleep(Duration::from_millis(5)).await;
        admin.execute_unprepared(&format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false")).await.unwrap();
        admin
            .execute_unprepared(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            ))
            .await
            .unwrap();
    };
    let sids = round(&f, 1);
    let (out, ()) = tokio::join!(phones.burst(&app, &f, &sids), cut);
    let out: HashMap<String, Outcome> = out.into_iter().collect();
    let mut refused = vec![];
    for s in sids {
        match out[&s.2] {
            Outcome::Acked => {
                acked.insert(s.2.clone());
            }
            Outcome::NoStorage => refused.push(s),
        }
    }
    // While it is away, every answer is refused.
    let sids = round(&f, 2);
    let out = phones.burst(&app, &f, &sids).await;
    assert!(out.iter().all(|(_, o)| *o == Outcome::NoStorage), "acked while the database was away: {out:?}");
    refused.extend(sids);
    assert!(!storage_ok(&app, &f).await, "the health strip does not show the lost database");

    admin.execute_unprepared(&format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true")).await.unwrap();
    let n_refused = refused.len();
    let resent = resend_until_acked(&app, &f, &mut phones, refused, 30).await;
    assert_eq!(resent.len(), n_refused);
    acked.extend(resent);
    wait_storage_ok(&app, &f, true, 10).await;
    f.control(&app, "close").await;

    let all = stored(&app.db_url).await;
    let twice: Vec<_> = all.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "stored more than once: {twice:?}");
    let lost: Vec<_> = acked.iter().filter(|s| !all.contains_key(*s)).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    assert_eq!(all.len(), acked.len(), "stored answers that were never acknowledged");
    app.handle.stop(false).await;
}
