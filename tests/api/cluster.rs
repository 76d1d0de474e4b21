//! Several instances on one PostgreSQL database (README, "Several instances"): real server
//! processes behind HAProxy started with the shipped `deploy/haproxy.cfg`, phones spread
//! over them, the owner of the contest's engine killed mid-question, and an owner paused
//! past its lease. PostgreSQL only: SQLite serves one instance.
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use hoithi::domain::question::Solution;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{ADMIN_PASSWORD, JWT_SECRET, TestApp, Ws, spawn_app, ws_send, ws_until};
use crate::live::{Fixture, question, seed};

fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One server process.
struct Instance {
    n: usize,
    port: u16,
    child: Child,
}

impl Instance {
    fn start(app: &TestApp, n: usize) -> Instance {
        Instance::start_with(app, n, free_port(), &[])
    }

    /// On `port`, with more arguments.
    fn start_with(app: &TestApp, n: usize, port: u16, extra: &[&str]) -> Instance {
        let dir = app.dir().join(format!("instance-{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        let log = std::fs::File::create(dir.join("server.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_hoithi"))
            .args(["--bind", &format!("127.0.0.1:{port}"), "--data-dir", dir.to_str().unwrap()])
            .args(["--database-url", &app.db_url, "--trusted-proxy", "127.0.0.1"])
            .args(["--banks", concat!(env!("CARGO_MANIFEST_DIR"), "/question_banks")])
            .args(extra)
            .env("HOITHI_JWT_SECRET", JWT_SECRET)
            .env("HOITHI_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("HOITHI_LOG", "info")
            .env("HOITHI_BACKUP_EVERY_MIN", "0")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        Instance { n, port, child }
    }

    /// Waits until it serves; shows its log when it does not start.
    async fn wait_up(&mut self, app: &TestApp) {
        let client = reqwest::Client::new();
        for _ in 0..1200 {
            let ready = client.get(format!("http://127.0.0.1:{}/readyz", self.port)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(app.dir().join(format!("instance-{}/server.log", self.n)));
                panic!("instance {} exited ({status}): {}", self.n, log.unwrap_or_default());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("instance {} did not start within a minute", self.n);
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill").args([sig, &self.child.id().to_string()]).status().unwrap().success();
        assert!(ok, "kill {sig}");
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        // A paused instance must wake up to die (it may be dead already).
        let _ = Command::new("kill").args(["-CONT", &self.child.id().to_string()]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn wait_up(port: u16) {
    let client = reqwest::Client::new();
    for _ in 0..1200 {
        if client.get(format!("http://127.0.0.1:{port}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the instance on port {port} did not start");
}

/// HAProxy with the shipped configuration, its addresses replaced by the test's.
struct Balancer {
    port: u16,
    child: Child,
}

impl Balancer {
    fn start(app: &TestApp, backends: &[u16]) -> Balancer {
        let shipped = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/haproxy.cfg")).unwrap();
        let port = free_port();
        let cfg = hoithi_load::failover::haproxy_config(&shipped, port, backends).unwrap();
        let path = app.dir().join("haproxy.cfg");
        std::fs::write(&path, cfg).unwrap();
        let child = Command::new("haproxy")
            .args(["-db", "-f", path.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("HAProxy is needed for this test: apt-get install haproxy (.ci/run installs it)");
        Balancer { port, child }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn db(app: &TestApp) -> DatabaseConnection {
    Database::connect(&app.db_url).await.unwrap()
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> Option<Value> {
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap()?;
    let v: Option<String> = row.try_get_by_index(0).ok();
    v.map(Value::String).or_else(|| row.try_get_by_index::<i64>(0).ok().map(Value::from))
}

/// The owner's address and the lease's epoch.
async fn owner(db: &DatabaseConnection, cid: i32) -> Option<(String, i64)> {
    let url = scalar(db, &format!("SELECT owner_url FROM engine_leases WHERE contest_id = {cid}")).await?;
    let epoch = scalar(db, &format!("SELECT epoch FROM engine_leases WHERE contest_id = {cid}")).await?;
    Some((url.as_str()?.to_owned(), epoch.as_i64()?))
}

fn port_of(url: &str) -> u16 {
    url.rsplit(':').next().unwrap().parse().unwrap()
}

async fn ws_at(port: u16, token: &str, extra: &str) -> Ws {
    let url = format!("ws://127.0.0.1:{port}/api/live?token={token}{extra}");
    tokio_tungstenite::connect_async(url).await.expect("websocket connect").0
}

/// The socket closes (the server or the balancer ends it) within `secs`.
async fn closes(ws: &mut Ws, secs: u64) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => return false,
            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return true,
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// A phone reconnecting through the balancer until the contest answers with its state
/// (while the new owner takes over, a connection may be refused or closed at once).
async fn reconnect(lb: u16, token: &str) -> (Ws, Value) {
    reconnect_to(lb, token, Duration::from_secs(20), Duration::from_secs(3), "the phone could not reconnect").await
}

/// A phone connecting to `port` again and again, each try waiting `first` for the state,
/// until the state comes; fails with `what` after `within`.
async fn reconnect_to(port: u16, token: &str, within: Duration, first: Duration, what: &str) -> (Ws, Value) {
    let started = Instant::now();
    loop {
        assert!(started.elapsed() < within, "{what}");
        let url = format!("ws://127.0.0.1:{port}/api/live?token={token}");
        if let Ok((mut ws, _)) = tokio_tungstenite::connect_async(url).await
            && let Ok(Some(Ok(Message::Text(t)))) = tokio::time::timeout(first, ws.next()).await
        {
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["type"] == "state" {
                return (ws, v);
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn answer(ws: &mut Ws, qid: i32, sid: &str, choice: usize) -> Value {
    ws_send(ws, json!({"type": "answer", "submission_id": sid, "question_id": qid, "response": {"choice": choice}}))
        .await;
    let v = ws_until(ws, 15, |v| {
        (v["type"] == "ack" && v["ack"]["submission_id"] == sid)
            || (v["type"] == "error" && v["error"]["submission_id"] == sid)
    })
    .await;
    assert_eq!(v["type"], "ack", "{v}");
    v["ack"].clone()
}

async fn post(client: &reqwest::Client, port: u16, path: &str, token: &str) -> (StatusCode, Value) {
    let r = client.post(format!("http://127.0.0.1:{port}{path}")).bearer_auth(token).send().await.unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn get(client: &reqwest::Client, port: u16, path: &str, token: &str) -> (StatusCode, Value) {
    let r = client.get(format!("http://127.0.0.1:{port}{path}")).bearer_auth(token).send().await.unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// A contest of `teams` one-member teams with two questions (answer: option 1), seeded
/// through an in-process server that is then stopped: the instances take over.
async fn seeded(teams: usize, time_limit_s: u32) -> (TestApp, Fixture) {
    let app = spawn_app().await;
    let qs = vec![
        question(1, Solution::Single { option: 1 }, time_limit_s),
        question(2, Solution::Single { option: 1 }, 30),
    ];
    let f = seed(&app, teams, 1, json!({}), "last_answer", qs).await;
    app.handle.stop(false).await;
    // Its shutdown gives up any lease it took (a join may start the engine).
    tokio::time::sleep(Duration::from_millis(500)).await;
    (app, f)
}

#[tokio::test]
async fn three_instances_behind_haproxy_act_as_one_and_survive_the_owner_killed_mid_question() {
    if !on_postgres() {
        eprintln!("skipped: several instances need PostgreSQL (set TEST_DATABASE_URL)");
        return;
    }
    let (app, f) = seeded(9, 60).await;
    let mut instances: Vec<Instance> = (0..3).map(|n| Instance::start(&app, n)).collect();
    for i in instances.iter_mut() {
        i.wait_up(&app).await;
    }
    let lb = Balancer::start(&app, &instances.iter().map(|i| i.port).collect::<Vec<_>>());
    wait_up(lb.port).await;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(15)).build().unwrap();
    let db = db(&app).await;
    let q1 = f.questions[0];

    let (s, b) = post(&client, lb.port, &format!("/api/contests/{}/parts/{}/start", f.cid, f.pid), &f.admin).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (owner_url, epoch) = owner(&db, f.cid).await.expect("a lease once the part started");

    // Phones through the balancer (round robin: three on each instance), and the
    // console directly on each instance.
    let mut phones = vec![];
    for t in &f.teams {
        let mut ws = ws_at(lb.port, &t.members[0].token, "").await;
        ws_until(&mut ws, 10, |v| v["type"] == "state").await;
        phones.push(ws);
    }
    let mut consoles = vec![];
    for i in &instances {
        let mut ws = ws_at(i.port, &f.admin, &format!("&contest_id={}", f.cid)).await;
        ws_until(&mut ws, 10, |v| v["type"] == "state").await;
        consoles.push(ws);
    }

    // The question opens through the balancer: every phone and every console hears it,
    // wherever it is connected, with the same deadline.
    let (s, st) = post(&client, lb.port, &format!("/api/contests/{}/live/next", f.cid), &f.admin).await;
    assert_eq!(s, StatusCode::OK, "{st}");
    let deadline = st["question"]["deadline_at"].as_i64().unwrap();
    for ws in phones.iter_mut().chain(consoles.iter_mut()) {
        let v = ws_until(ws, 10, |v| v["type"] == "question_opened").await;
        assert_eq!(v["deadline_at"], deadline, "{v}");
    }

    // Five teams answer on whichever instance their phone reached (3 right, 2 wrong).
    let mut acks = vec![];
    for (t, ws) in phones.iter_mut().enumerate().take(5) {
        let choice = if t < 3 { 1 } else { 0 };
        acks.push(answer(ws, q1, &format!("sub-{t}"), choice).await);
    }
    // Each instance's console sees all five answered teams.
    for ws in consoles.iter_mut() {
        ws_until(ws, 10, |v| v["type"] == "countdown" && v["answered_teams"] == 5).await;
    }

    // The owner dies mid-question.
    let victim = instances.iter().position(|i| i.port == port_of(&owner_url)).expect("the owner is an instance");
    let killed_at = Instant::now();
    let mut dead = instances.remove(victim);
    dead.child.kill().unwrap();
    dead.child.wait().unwrap();
    let failover = loop {
        if let Some((url, e)) = owner(&db, f.cid).await
            && e > epoch
        {
            assert_ne!(url, owner_url);
            break killed_at.elapsed();
        }
        assert!(killed_at.elapsed() < Duration::from_secs(15), "no instance took the contest over");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!("failover took {} ms", failover.as_millis());

    // Every screen was cut (the dead instance's by the balancer, the others' by their
    // relay, whose owner changed) and reconnects through the balancer to the same
    // question with the same deadline.
    for ws in phones.iter_mut() {
        assert!(closes(ws, 15).await, "a phone's socket stayed open on a stale owner");
    }
    let mut phones2 = vec![];
    for t in &f.teams {
        let (ws, st) = reconnect(lb.port, &t.members[0].token).await;
        assert_eq!(st["state"]["question"]["status"], "open", "{st}");
        assert_eq!(st["state"]["question"]["deadline_at"], deadline, "{st}");
        phones2.push(ws);
    }
    // The answers acknowledged before the kill are there, and resending one counts once.
    for (t, ws) in phones2.iter_mut().enumerate().take(5) {
        let again = answer(ws, q1, &format!("sub-{t}"), if t < 3 { 1 } else { 0 }).await;
        assert_eq!(again, acks[t], "a resent answer gets its first ack");
    }
    // The other four answer through the survivors (all right).
    for (t, ws) in phones2.iter_mut().enumerate().skip(5) {
        answer(ws, q1, &format!("sub-{t}"), 1).await;
    }
    let (s, st) = get(&client, lb.port, &format!("/api/contests/{}/live", f.cid), &f.admin).await;
    assert_eq!(s, StatusCode::OK, "{st}");
    assert_eq!(st["question"]["answered_teams"], 9, "{st}");

    // The contest finishes through the survivors.
    for what in ["close", "reveal"] {
        let (s, b) = post(&client, lb.port, &format!("/api/contests/{}/live/{what}", f.cid), &f.admin).await;
        assert_eq!(s, StatusCode::OK, "{what}: {b}");
    }
    let stored = scalar(&db, &format!("SELECT count(*) FROM answers WHERE contest_id = {}", f.cid)).await;
    assert_eq!(stored, Some(json!(9)), "every acknowledged answer stored once");
    let (s, b) = get(&client, lb.port, &format!("/api/contests/{}/scoreboard", f.cid), &f.admin).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, again) =
        get(&client, lb.port, &format!("/api/contests/{}/scoreboard?recompute=true", f.cid), &f.admin).await;
    assert_eq!(b["board"], again["board"], "the live board equals a recomputation");
    for row in b["board"]["rows"].as_array().unwrap() {
        let t = f.teams.iter().position(|t| t.id as i64 == row["team_id"].as_i64().unwrap()).unwrap();
        let expected = if (3..5).contains(&t) { 0.0 } else { 10.0 };
        assert_eq!(row["total"].as_f64().unwrap(), expected, "{row}");
    }
    // Every phone heard the reveal, whichever instance it is on.
    for ws in phones2.iter_mut() {
        ws_until(ws, 10, |v| v["type"] == "revealed").await;
    }
}

#[tokio::test]
async fn an_owner_paused_past_its_lease_never_acts_beside_the_new_owner() {
    if !on_postgres() {
        eprintln!("skipped: several instances need PostgreSQL (set TEST_DATABASE_URL)");
        return;
    }
    // The question lasts 4 s: its deadline passes while the owner is paused.
    let (app, f) = seeded(3, 4).await;
    let mut a = Instance::start(&app, 0);
    let mut b = Instance::start(&app, 1);
    a.wait_up(&app).await;
    b.wait_up(&app).await;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(15)).build().unwrap();
    let db = db(&app).await;
    let q1 = f.questions[0];

    // A owns the contest (the part starts there).
    let (s, body) = post(&client, a.port, &format!("/api/contests/{}/parts/{}/start", f.cid, f.pid), &f.admin).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (url, epoch) = owner(&db, f.cid).await.unwrap();
    assert_eq!(port_of(&url), a.port);
    let mut phone_b = ws_at(b.port, &f.teams[0].members[0].token, "").await;
    ws_until(&mut phone_b, 10, |v| v["type"] == "state").await;
    let (s, st) = post(&client, b.port, &format!("/api/contests/{}/live/next", f.cid), &f.admin).await;
    assert_eq!(s, StatusCode::OK, "{st}");
    ws_until(&mut phone_b, 10, |v| v["type"] == "question_opened").await;
    answer(&mut phone_b, q1, "before-pause", 1).await;

    // A freezes (as in a network partition) past its lease and past the deadline.
    a.signal("-STOP");
    let paused = Instant::now();
    let taken = loop {
        if let Some((url, e)) = owner(&db, f.cid).await
            && e > epoch
        {
            assert_eq!(port_of(&url), b.port);
            break paused.elapsed();
        }
        assert!(paused.elapsed() < Duration::from_secs(15), "B did not take the contest over");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!("takeover after {} ms paused", taken.as_millis());
    // B closes the question at its deadline, which passes while A is still paused.
    let st = loop {
        let (_, st) = get(&client, b.port, &format!("/api/contests/{}/live", f.cid), &f.admin).await;
        if st["question"]["status"] == "closed" || paused.elapsed() > Duration::from_secs(15) {
            break st;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(st["question"]["status"], "closed", "{st}");

    // A wakes up: its engine finds its lease gone and stops instead of acting on its
    // stale state (it would otherwise close the question a second time).
    a.signal("-CONT");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let closes = scalar(
        &db,
        &format!("SELECT count(*) FROM audit_log WHERE contest_id = {} AND action = 'question_close'", f.cid),
    )
    .await;
    assert_eq!(closes, Some(json!(1)), "exactly one owner closed the question");
    let (url, _) = owner(&db, f.cid).await.unwrap();
    assert_eq!(port_of(&url), b.port, "B still owns the contest");
    // Requests reaching A now go to B: A's state is B's.
    let (s, st_a) = get(&client, a.port, &format!("/api/contests/{}/live", f.cid), &f.admin).await;
    assert_eq!(s, StatusCode::OK, "{st_a}");
    assert_eq!(st_a["question"]["status"], "closed", "{st_a}");
    let (s, body) = post(&client, a.port, &format!("/api/contests/{}/live/reveal", f.cid), &f.admin).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let stored = scalar(&db, &format!("SELECT count(*) FROM answers WHERE contest_id = {}", f.cid)).await;
    assert_eq!(stored, Some(json!(1)));
    let reveals = scalar(
        &db,
        &format!("SELECT count(*) FROM audit_log WHERE contest_id = {} AND action = 'question_reveal'", f.cid),
    )
    .await;
    assert_eq!(reveals, Some(json!(1)));
}

/// An owner that loses its database gives up its engine once its lease runs out, rather
/// than acting on state it can no longer store: its sockets are closed (the phones come
/// back to whichever instance owns the contest once the database is back).
#[tokio::test]
async fn an_owner_that_loses_its_database_stops_its_engine_and_resumes_when_it_is_back() {
    if !on_postgres() {
        eprintln!("skipped: several instances need PostgreSQL (set TEST_DATABASE_URL)");
        return;
    }
    let app = spawn_app().await;
    let f = seed(&app, 2, 1, json!({}), "last_answer", vec![question(1, Solution::Single { option: 1 }, 120)]).await;
    f.control(&app, "start").await;
    let mut phone = app.ws(&f.teams[0].members[0].token).await;
    ws_until(&mut phone, 10, |v| v["type"] == "state").await;
    let st = f.control(&app, "next").await;
    let deadline = st["question"]["deadline_at"].as_i64().unwrap();
    ws_until(&mut phone, 10, |v| v["type"] == "question_opened").await;

    // The database goes away (this test's database only).
    let name = app.db_url.rsplit('/').next().unwrap().to_owned();
    let admin = Database::connect(std::env::var("TEST_DATABASE_URL").unwrap()).await.unwrap();
    admin.execute_unprepared(&format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false")).await.unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .await
        .unwrap();
    let cut = Instant::now();
    // Within the lease (3 s) and a renewal, the engine stops and the phone is told to come back.
    let reason = loop {
        match tokio::time::timeout(Duration::from_secs(15), phone.next()).await.expect("the socket stayed open") {
            Some(Ok(Message::Close(c))) => break c.map(|c| c.reason.to_string()).unwrap_or_default(),
            Some(Ok(_)) => {}
            other => panic!("the socket ended without a close frame: {other:?}"),
        }
    };
    assert_eq!(reason, "engine_stopped");
    eprintln!("engine stopped {} ms after the database went away", cut.elapsed().as_millis());

    admin.execute_unprepared(&format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true")).await.unwrap();
    // Back: the phone reconnects to the same question and deadline, and answers.
    let token = &f.teams[0].members[0].token;
    let (mut phone, st) =
        reconnect_to(app.port, token, Duration::from_secs(30), Duration::from_secs(3), "the contest did not come back")
            .await;
    assert_eq!(st["state"]["question"]["status"], "open", "{st}");
    assert_eq!(st["state"]["question"]["deadline_at"], deadline, "{st}");
    answer(&mut phone, f.questions[0], "after-outage", 1).await;
}

/// A TCP link between the relays and an owner that the test can cut: while cut, new
/// connections open and then hear nothing, and open ones stop carrying bytes (a network
/// partition between two instances that both still reach the database).
struct Link {
    port: u16,
    cut: tokio::sync::watch::Sender<bool>,
}

impl Link {
    async fn start(to: u16) -> Link {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let mut held = vec![];
            while let Ok((mut inbound, _)) = listener.accept().await {
                if *rx.borrow() {
                    held.push(inbound);
                    continue;
                }
                held.clear();
                let mut rx = rx.clone();
                tokio::spawn(async move {
                    let Ok(mut out) = tokio::net::TcpStream::connect(("127.0.0.1", to)).await else { return };
                    let cut = tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut out) => false,
                        _ = until(&mut rx, true) => true,
                    };
                    // Cut: both ends stay open and silent until the link heals.
                    if cut {
                        until(&mut rx, false).await;
                    }
                });
            }
        });
        Link { port, cut }
    }

    fn set_cut(&self, cut: bool) {
        self.cut.send_replace(cut);
    }
}

/// Waits until the link is (or is no longer) cut.
async fn until(rx: &mut tokio::sync::watch::Receiver<bool>, cut: bool) {
    let _ = rx.wait_for(|c| *c == cut).await.map(|_| ());
}

/// A relay cut off from the owner while both still reach the database: the owner keeps
/// the contest (the lease is the database's, and the owner renews it), nothing the relay
/// takes is acknowledged unless the owner stored it, the relay's phones are told to come
/// back, and once the link heals the relay serves the same question again.
#[tokio::test]
async fn a_relay_cut_off_from_the_owner_never_acks_and_never_takes_the_contest_over() {
    if !on_postgres() {
        eprintln!("skipped: several instances need PostgreSQL (set TEST_DATABASE_URL)");
        return;
    }
    let (app, f) = seeded(3, 60).await;
    // A is reached by the other instances only through the link.
    let a_port = free_port();
    let link = Link::start(a_port).await;
    let advertised = format!("http://127.0.0.1:{}", link.port);
    let mut a = Instance::start_with(&app, 0, a_port, &["--advertise-url", &advertised]);
    let mut b = Instance::start(&app, 1);
    a.wait_up(&app).await;
    b.wait_up(&app).await;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let db = db(&app).await;
    let q1 = f.questions[0];

    let (s, body) = post(&client, a.port, &format!("/api/contests/{}/parts/{}/start", f.cid, f.pid), &f.admin).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (url, epoch) = owner(&db, f.cid).await.unwrap();
    assert_eq!(url, advertised, "A owns the contest at its advertised address");
    let mut phone_a = ws_at(a.port, &f.teams[0].members[0].token, "").await;
    let mut phone_b = ws_at(b.port, &f.teams[1].members[0].token, "").await;
    ws_until(&mut phone_a, 10, |v| v["type"] == "state").await;
    ws_until(&mut phone_b, 10, |v| v["type"] == "state").await;
    let (s, st) = post(&client, b.port, &format!("/api/contests/{}/live/next", f.cid), &f.admin).await;
    assert_eq!(s, StatusCode::OK, "{st}");
    let deadline = st["question"]["deadline_at"].as_i64().unwrap();
    ws_until(&mut phone_a, 10, |v| v["type"] == "question_opened").await;
    ws_until(&mut phone_b, 10, |v| v["type"] == "question_opened").await;
    answer(&mut phone_b, q1, "b-before-cut", 1).await;

    link.set_cut(true);
    let cut = Instant::now();
    // The answer B takes while cut off is refused (or its socket is told to come back):
    // never acknowledged.
    ws_send(
        &mut phone_b,
        json!({"type": "answer", "submission_id": "b-during-cut", "question_id": q1, "response": {"choice": 1}}),
    )
    .await;
    let outcome = loop {
        match tokio::time::timeout(Duration::from_secs(15), phone_b.next()).await.expect("B said nothing in 15 s") {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                assert_ne!(v["type"], "ack", "an answer B could not hand to the owner was acknowledged: {v}");
                if v["type"] == "error" && v["error"]["submission_id"] == "b-during-cut" {
                    assert_eq!(v["error"]["code"], "unavailable", "{v}");
                    break "refused";
                }
            }
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break "closed",
            Some(Ok(_)) => {}
        }
    };
    eprintln!("the cut-off relay's answer: {outcome} after {} ms", cut.elapsed().as_millis());
    // The owner goes on: its own phones answer.
    answer(&mut phone_a, q1, "a-during-cut", 1).await;
    // The organiser asking B gets a clear 503, not a stale state.
    let (s, body) = get(&client, b.port, &format!("/api/contests/{}/live", f.cid), &f.admin).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    // Well past the lease: nobody took the contest over, A still runs it.
    tokio::time::sleep(Duration::from_secs(4).saturating_sub(cut.elapsed())).await;
    assert_eq!(owner(&db, f.cid).await, Some((advertised.clone(), epoch)), "the lease never moved");
    let (s, st) = get(&client, a.port, &format!("/api/contests/{}/live", f.cid), &f.admin).await;
    assert_eq!(s, StatusCode::OK, "{st}");
    assert_eq!(st["question"]["status"], "open", "{st}");
    assert_eq!(st["question"]["answered_teams"], 2, "B's refused answer reached nobody: {st}");

    // The link heals: a phone on B is back on the same question and deadline, and answers.
    link.set_cut(false);
    let token = &f.teams[2].members[0].token;
    let (mut phone_b, st) = reconnect_to(
        b.port,
        token,
        Duration::from_secs(30),
        Duration::from_secs(8),
        "B did not serve the contest again",
    )
    .await;
    assert_eq!(st["state"]["question"]["status"], "open", "{st}");
    assert_eq!(st["state"]["question"]["deadline_at"], deadline, "{st}");
    answer(&mut phone_b, q1, "b-after-heal", 1).await;
    let (s, body) = post(&client, b.port, &format!("/api/contests/{}/live/close", f.cid), &f.admin).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let stored = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT submission_id FROM answers WHERE contest_id = {} ORDER BY submission_id", f.cid),
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect::<Vec<_>>();
    assert_eq!(stored, ["a-during-cut", "b-after-heal", "b-before-cut"], "exactly the acknowledged answers");
    let closes = scalar(
        &db,
        &format!("SELECT count(*) FROM audit_log WHERE contest_id = {} AND action = 'question_close'", f.cid),
    )
    .await;
    assert_eq!(closes, Some(json!(1)));
    assert_eq!(owner(&db, f.cid).await.map(|o| o.1), Some(epoch), "one owner throughout");
}

/// Four consecutive free ports: the balancer's and the three instances' of `hoithi-failover`.
fn free_run_of_ports() -> u16 {
    for _ in 0..50 {
        let base = free_port();
        if base < 60000 && (1..4).all(|i| std::net::TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no four consecutive free ports");
}

/// The failover benchmark's own tool (`bench/failover.sh`) on a small contest: it starts
/// three instances and HAProxy, kills the owner twice mid-question, and every phone comes
/// back, answers again and is acknowledged; nothing acknowledged is missing or counted twice.
#[tokio::test]
async fn the_failover_tool_kills_the_owner_twice_and_nothing_acknowledged_is_lost() {
    if !on_postgres() {
        eprintln!("skipped: several instances need PostgreSQL (set TEST_DATABASE_URL)");
        return;
    }
    let app = spawn_app().await;
    // The in-process server only made the database; the tool's instances serve it.
    app.handle.stop(false).await;
    let cfg = hoithi_load::failover::FailoverConfig {
        server_bin: env!("CARGO_BIN_EXE_hoithi").into(),
        database_url: app.db_url.clone(),
        haproxy_cfg: concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/haproxy.cfg").into(),
        banks: concat!(env!("CARGO_MANIFEST_DIR"), "/question_banks").into(),
        work_dir: app.dir().join("failover"),
        base_port: free_run_of_ports(),
        phones: 12,
        teams: 4,
        kills: 2,
        admin_password: ADMIN_PASSWORD.into(),
        progress: false,
    };
    let r = hoithi_load::failover::run(cfg).await.expect("failover run");
    assert_eq!(r.kills.len(), 2, "{r:?}");
    for k in &r.kills {
        assert!(k.takeover_ms > 0.0 && k.phones_back_max_ms >= k.phones_back_p50_ms, "{k:?}");
    }
    // Every phone answered each question and was acknowledged (again after each kill).
    assert_eq!(r.answers_acked, 24, "{r:?}");
    assert_eq!(r.answers_stored, 24, "{r:?}");
    assert_eq!(r.acked_not_stored, 0, "{r:?}");
    assert_eq!(r.duplicates_counted, 0, "{r:?}");
    assert!(r.error_codes.is_empty(), "{r:?}");
}

/// With several instances a buzzer press may reach the owner through another instance,
/// a hop later than a press made after it on the owner itself. The owner places presses
/// by when the instance that took them received them (`--buzz-settle-ms`), not by when
/// they reached it: here a relayed press stamped 100 ms before a local one arrives after
/// it and still takes the floor. (The settle time is long so that the test does not
/// depend on how fast the machine is; a hall uses the default 25 ms.)
#[tokio::test]
async fn a_relayed_buzzer_press_is_placed_by_when_it_was_made_not_when_it_arrived() {
    if !on_postgres() {
        eprintln!("skipped: several instances need PostgreSQL (set TEST_DATABASE_URL)");
        return;
    }
    let app = crate::helpers::spawn_app_with(hoithi::config::ServeSettings {
        buzz_settle_ms: 1000,
        ..crate::helpers::test_settings()
    })
    .await;
    let qs = vec![question(1, Solution::Single { option: 1 }, 30)];
    let f = crate::live::seed_kind(
        &app,
        "buzzer",
        2,
        1,
        json!({"buzzer": {"false_start_lockout_s": 0}}),
        "last_answer",
        qs,
    )
    .await;
    let mut phone_a = app.ws(&f.teams[0].members[0].token).await;
    f.control(&app, "start").await;
    f.control(&app, "next").await;
    let client = reqwest::Client::new();
    let (s, b) = post(&client, app.port, &format!("/api/contests/{}/live/buzzer/open", f.cid), &f.admin).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let qid = f.questions[0];
    ws_until(&mut phone_a, 10, |v| v["type"] == "buzzer" && v["buzzer"]["phase"] == "open").await;

    // Team B's contestant, as a relay would name it.
    let (_, list) = get(&client, app.port, &format!("/api/contests/{}/contestants", f.cid), &f.admin).await;
    let b_id =
        list.as_array().unwrap().iter().find(|x| x["name"] == "Thí sinh 2-1").expect("team B's contestant")["id"]
            .as_i64()
            .unwrap();
    // Well after the buzzer opened: a press made before it would be a false start.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let made_us = chrono::Utc::now().timestamp_micros() - 100_000;
    // A presses on the owner; then B's press, made 100 ms before, arrives from a relay.
    ws_send(&mut phone_a, json!({"type": "buzz", "question_id": qid})).await;
    let relayed = client
        .post(format!("http://127.0.0.1:{}/internal/live/{}", app.port, f.cid))
        .header(hoithi::live::relay::KEY_HEADER, hoithi::live::relay::key_of(JWT_SECRET.as_bytes()))
        .json(&json!({
            "cmd": "buzz",
            "by": {"contestant_id": b_id, "team_id": f.teams[1].id, "is_captain": true},
            "req": {"question_id": qid},
            "at_us": made_us,
        }))
        .send()
        .await
        .unwrap();
    let status = relayed.status();
    let b_ack: Value = relayed.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{b_ack}");
    assert_eq!(b_ack["place"], 1, "the press made first takes the floor: {b_ack}");
    assert_eq!(b_ack["received_at"], made_us / 1000, "{b_ack}");
    let a_ack = ws_until(&mut phone_a, 10, |v| v["type"] == "buzzed" || v["type"] == "error").await;
    assert_eq!(a_ack["buzz"]["place"], 2, "{a_ack}");
    assert!(a_ack["buzz"]["gap_ms"].as_i64().unwrap() >= 100, "{a_ack}");
    let v = ws_until(&mut phone_a, 10, |v| v["type"] == "buzzer" && v["buzzer"]["presses_total"] == 2).await;
    assert_eq!(v["buzzer"]["winner"]["team_id"], f.teams[1].id, "{v}");
}
