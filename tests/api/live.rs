//! The live quiz engine through the real server: organiser controls over HTTP, phones over
//! WebSocket and HTTP, restarts on the same database, and the scoreboard.
//!
//! Everything is set up through the API: contests, teams, parts and contestants, and the
//! made-up questions, which go into an organiser's bank and are assigned to the part
//! (see `seed`).
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hoithi::domain::question::{Question, Solution, Source};
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::fixtures::{create_contest, create_part, create_team, join, set_part_questions};
use crate::helpers::{TestApp, Ws, spawn_app, ws_send, ws_until};

pub(crate) struct Member {
    pub(crate) token: String,
}

pub(crate) struct Team {
    pub(crate) id: i32,
    pub(crate) members: Vec<Member>,
}

pub(crate) struct Fixture {
    pub(crate) cid: i32,
    pub(crate) pid: i32,
    pub(crate) admin: String,
    pub(crate) teams: Vec<Team>,
    pub(crate) questions: Vec<i32>,
}

pub(crate) fn question(i: usize, solution: Solution, time_limit_s: u32) -> Question {
    let options = match &solution {
        Solution::Single { .. } | Solution::Multiple { .. } => {
            vec!["Phương án A".into(), "Phương án B".into(), "Phương án C".into(), "Phương án D".into()]
        }
        _ => vec![],
    };
    Question {
        qid: format!("t-{i:03}"),
        bank: "test".into(),
        section: "phan-1".into(),
        prompt: format!("Câu hỏi số {i}?"),
        options,
        solution,
        explanation: "GIAI-THICH-BI-MAT".into(),
        difficulty: 1,
        points: 10.0,
        time_limit_s,
        tags: vec![],
        source: Source { document: "chuyen-de".into(), quote: "TRICH-DAN-BI-MAT".into() },
        unit: None,
        groups: vec![],
        excludes: vec![],
        abbreviations: Default::default(),
    }
}

/// The bank form of a made-up question (`POST /api/banks/{id}/questions`).
pub(crate) fn bank_input(q: &Question) -> Value {
    let letter = |i: usize| char::from(b'A' + i as u8).to_string();
    let mut v = json!({
        "id": q.qid, "section": "phan-1", "difficulty": q.difficulty, "points": q.points,
        "time_limit_s": q.time_limit_s, "prompt": q.prompt, "explanation": q.explanation,
    });
    let (kind, extra) = match &q.solution {
        Solution::Single { option } => ("single", json!({"options": q.options, "answer": letter(*option)})),
        Solution::Multiple { options } => (
            "multiple",
            json!({"options": q.options, "answer": options.iter().map(|o| letter(*o)).collect::<Vec<_>>()}),
        ),
        Solution::TrueFalse { value } => ("true_false", json!({"answer": value})),
        Solution::ShortText { accepted } => ("short_text", json!({"accepted": accepted})),
        Solution::Number { value, tolerance } => ("number", json!({"answer": value, "tolerance": tolerance})),
    };
    v["type"] = json!(kind);
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

/// A contest with `n_teams` teams of `members` contestants (the first to join is captain)
/// and one quiz part holding `questions`, all built through the API: the questions go
/// into an organiser's bank (created by a CSV import, then `POST /api/banks/{id}/questions`)
/// and are assigned with `PUT .../parts/{pid}/questions`; the part keeps each question's
/// own time limit (`time_per_question_s: 0`).
pub(crate) async fn seed(
    app: &TestApp,
    n_teams: usize,
    members: usize,
    scoring: Value,
    policy: &str,
    qs: Vec<Question>,
) -> Fixture {
    seed_kind(app, "quiz", n_teams, members, scoring, policy, qs).await
}

/// [`seed`] with a part of another kind (a buzzer part).
pub(crate) async fn seed_kind(
    app: &TestApp,
    kind: &str,
    n_teams: usize,
    members: usize,
    scoring: Value,
    policy: &str,
    qs: Vec<Question>,
) -> Fixture {
    let admin = app.admin_token().await;
    let cid = create_contest(app, &admin, "Hội thi tìm hiểu chuyên đề").await;
    let pid = create_part(
        app,
        &admin,
        cid,
        json!({"kind": kind, "title": "Khởi động", "max_points": 100, "weight": 1, "time_per_question_s": 0,
               "answer_policy": policy, "scoring": scoring}),
    )
    .await;
    let csv = "Mã câu hỏi,Phần,Loại,Độ khó,Câu hỏi,Phương án A,Phương án B,Đáp án\n\
               mau-1,phan-1,single,1,Câu hỏi mẫu?,Có,Không,A\n";
    let res = app
        .client
        .post(format!("{}/api/banks/import?bank=bo-de-thu&format=csv", app.addr))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let bank: Value = res.json().await.unwrap();
    let bank_id = bank["bank_id"].as_i64().unwrap();
    let mut ids = vec![];
    for q in &qs {
        let (s, b) = app.post(&format!("/api/banks/{bank_id}/questions"), Some(&admin), bank_input(q)).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        ids.push(b["id"].as_i64().unwrap());
    }
    let b = set_part_questions(app, &admin, cid, pid, &ids).await;
    let rows = b["questions"].as_array().unwrap();
    for (row, q) in rows.iter().zip(&qs) {
        assert_eq!(row["time_limit_s"], q.time_limit_s, "{row}");
    }
    let questions: Vec<i32> = rows.iter().map(|r| r["id"].as_i64().unwrap() as i32).collect();
    let mut out = vec![];
    for t in 0..n_teams {
        let (team_id, code) = create_team(app, &admin, cid, &format!("Đội {}", t + 1)).await;
        let mut ms = vec![];
        for m in 0..members {
            let j = join(app, &code, &format!("Thí sinh {}-{}", t + 1, m + 1)).await;
            assert_eq!(j["is_captain"], m == 0, "{j}");
            ms.push(Member { token: j["token"].as_str().unwrap().to_owned() });
        }
        out.push(Team { id: team_id as i32, members: ms });
    }
    Fixture { cid: cid as i32, pid: pid as i32, admin, teams: out, questions }
}

impl Fixture {
    pub(crate) async fn control(&self, app: &TestApp, what: &str) -> Value {
        let path = match what {
            "start" | "finish" => format!("/api/contests/{}/parts/{}/{what}", self.cid, self.pid),
            _ => format!("/api/contests/{}/live/{what}", self.cid),
        };
        let (status, body) = app.request(Method::POST, &path, Some(&self.admin), None).await;
        assert_eq!(status, StatusCode::OK, "{what}: {body}");
        body
    }

    pub(crate) fn member(&self, team: usize, m: usize) -> &Member {
        &self.teams[team].members[m]
    }

    pub(crate) async fn board(&self, app: &TestApp, recompute: bool) -> Value {
        let (s, b) =
            app.get(&format!("/api/contests/{}/scoreboard?recompute={recompute}", self.cid), Some(&self.admin)).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b["board"].clone()
    }
}

pub(crate) async fn answer_http(
    app: &TestApp,
    f: &Fixture,
    m: &Member,
    qid: i32,
    sid: &str,
    response: Value,
) -> (StatusCode, Value) {
    app.post(
        &format!("/api/contests/{}/answers", f.cid),
        Some(&m.token),
        json!({"submission_id": sid, "question_id": qid, "response": response}),
    )
    .await
}

async fn answer_ws(ws: &mut Ws, qid: i32, sid: &str, response: Value, star: bool) -> Value {
    ws_send(
        ws,
        json!({"type": "answer", "submission_id": sid, "question_id": qid, "response": response, "star": star}),
    )
    .await;
    ws_until(ws, 10, |v| {
        (v["type"] == "ack" && v["ack"]["submission_id"] == sid)
            || (v["type"] == "error" && v["error"]["submission_id"] == sid)
    })
    .await
}

/// Every message that arrives within `ms` milliseconds.
async fn drain(ws: &mut Ws, ms: u64) -> Vec<Value> {
    let mut out = vec![];
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
    while let Ok(Some(Ok(msg))) = tokio::time::timeout_at(deadline, ws.next()).await {
        if let Message::Text(t) = msg {
            out.push(serde_json::from_str(&t).unwrap());
        }
    }
    out
}

/// Fails when a message carries anything that gives the answer away.
fn assert_no_answer(v: &Value, text: &str) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if matches!(k.as_str(), "solution" | "explanation" | "accepted" | "tolerance" | "source") {
                    assert!(x.is_null(), "a contestant received `{k}` before the reveal: {v}");
                }
                assert_no_answer(x, text);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| assert_no_answer(x, text)),
        Value::String(s) => assert!(!s.contains("BI-MAT"), "secret text reached a contestant: {s}"),
        _ => {}
    }
    let _ = text;
}

fn totals(board: &Value) -> Vec<(i64, f64, u64)> {
    board["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["team_id"].as_i64().unwrap(), r["total"].as_f64().unwrap(), r["rank"].as_u64().unwrap()))
        .collect()
}

#[tokio::test]
async fn quiz_part_runs_end_to_end_and_ends_in_the_expected_scoreboard() {
    let app = spawn_app().await;
    let scoring = json!({"speed_bonus": {"kind": "ranked", "points": [40, 30, 20, 10]}, "wrong_penalty": 5});
    let qs =
        vec![question(1, Solution::Single { option: 1 }, 30), question(2, Solution::TrueFalse { value: true }, 30)];
    let f = seed(&app, 4, 3, scoring, "last_answer", qs).await;
    let (q1, q2) = (f.questions[0], f.questions[1]);

    // Every phone and the organiser's console follow the contest.
    let mut phones = vec![];
    for t in &f.teams {
        let mut team_ws = vec![];
        for m in &t.members {
            let mut ws = app.ws(&m.token).await;
            let hello = ws_until(&mut ws, 5, |v| v["type"] == "state").await;
            assert!(hello["server_time"].as_i64().unwrap() > 0);
            team_ws.push(ws);
        }
        phones.push(team_ws);
    }
    let mut console = {
        let url = format!("ws://127.0.0.1:{}/api/live?token={}&contest_id={}", app.port, f.admin, f.cid);
        tokio_tungstenite::connect_async(url).await.unwrap().0
    };
    ws_until(&mut console, 5, |v| v["type"] == "state").await;

    // Answering before anything is open is refused; an illegal transition is a 409 with the state.
    let (s, b) = answer_http(&app, &f, f.member(0, 0), q1, "early", json!({"choice": 1})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["error"]["code"], "no_open_question");
    let (s, b) = app.request(Method::POST, &format!("/api/contests/{}/live/pause", f.cid), Some(&f.admin), None).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(b["error"]["code"], "invalid_state");
    assert!(b["error"]["state"].is_object(), "{b}");
    let (s, _) = app
        .request(Method::POST, &format!("/api/contests/{}/live/next", f.cid), Some(&f.member(0, 0).token), None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    f.control(&app, "start").await;
    let st = f.control(&app, "next").await;
    assert_eq!(st["question"]["id"], q1);
    assert_eq!(st["question"]["status"], "open");
    let opened = ws_until(&mut phones[0][0], 5, |v| v["type"] == "question_opened").await;
    assert_eq!(opened["question"]["prompt"], "Câu hỏi số 1?");
    assert!(opened["deadline_at"].as_i64().unwrap() > opened["server_time"].as_i64().unwrap());

    // Q1 (single, B right): team 1 right first; team 2 wrong then right (the last counts);
    // team 3 wrong; team 4 silent.
    let a = answer_ws(&mut phones[0][0], q1, "t1-q1", json!({"choice": 1}), false).await;
    assert_eq!(a["type"], "ack", "{a}");
    assert!(a["ack"]["received_at"].as_i64().unwrap() >= opened["opened_at"].as_i64().unwrap());
    let a = answer_ws(&mut phones[1][1], q1, "t2-q1-a", json!({"choice": 0}), false).await;
    assert_eq!(a["type"], "ack");
    let (s, b) = answer_http(&app, &f, f.member(1, 2), q1, "t2-q1-b", json!({"choice": 1})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["question_id"], q1);
    let a = answer_ws(&mut phones[2][0], q1, "t3-q1", json!({"choice": 2}), false).await;
    assert_eq!(a["type"], "ack");
    // Malformed answers name what is wrong.
    let a = answer_ws(&mut phones[2][1], q1, "t3-bad", json!({"choice": 7}), false).await;
    assert_eq!(a["error"]["code"], "invalid_input");
    assert_eq!(a["error"]["field"], "response");
    let a = answer_ws(&mut phones[2][1], q1, "t3-star", json!({"choice": 1}), true).await;
    assert_eq!(a["error"]["code"], "star_not_allowed");

    let count = ws_until(&mut console, 5, |v| v["type"] == "countdown" && v["answered_teams"] == 3).await;
    assert_eq!(count["total_teams"], 4);
    f.control(&app, "close").await;
    ws_until(&mut phones[3][0], 5, |v| v["type"] == "closed").await;

    // Nothing a contestant received so far gives the answer away.
    for team in phones.iter_mut() {
        for ws in team.iter_mut() {
            for m in drain(ws, 300).await {
                assert_no_answer(&m, "");
            }
        }
    }
    // Staff see the closed question at once; contestants only after the reveal.
    let (_, mine) = app.get(&format!("/api/contests/{}/scoreboard", f.cid), Some(&f.member(0, 0).token)).await;
    assert_eq!(mine["team"]["total"], 0.0, "{mine}");
    let board = f.board(&app, false).await;
    assert_eq!(totals(&board).iter().find(|r| r.0 == f.teams[0].id as i64).unwrap().1, 50.0);

    f.control(&app, "reveal").await;
    let rev = ws_until(&mut phones[0][0], 5, |v| v["type"] == "revealed").await;
    assert_eq!(rev["solution"], json!({"kind": "single", "option": 1}));
    let dist: Vec<(String, u64)> = serde_json::from_value(rev["distribution"].clone()).unwrap();
    assert_eq!(dist, vec![("B".to_owned(), 2), ("C".to_owned(), 1)]);
    // A contestant gets its own team's details only.
    let ts = ws_until(&mut phones[1][0], 5, |v| v["type"] == "team_score").await;
    assert_eq!(ts["team_id"], f.teams[1].id);
    assert_eq!(ts["results"][0]["points"], 40.0);
    for m in drain(&mut phones[1][0], 400).await {
        if m["type"] == "team_score" {
            assert_eq!(m["team_id"], f.teams[1].id, "another team's details leaked: {m}");
        }
        assert!(m["type"] != "scoreboard", "contestants get the public board only: {m}");
    }

    // Q2 (true/false, true right): team 1 wrong; teams 4, 3, 2 right in that order.
    f.control(&app, "next").await;
    ws_until(&mut phones[0][0], 5, |v| v["type"] == "question_opened" && v["question_id"] == q2).await;
    // Answering the closed question is too late.
    let (s, b) = answer_http(&app, &f, f.member(3, 0), q1, "t4-q1-late", json!({"choice": 1})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(b["error"]["code"], "deadline_passed");
    answer_ws(&mut phones[0][2], q2, "t1-q2", json!({"value": false}), false).await;
    answer_ws(&mut phones[3][1], q2, "t4-q2", json!({"value": true}), false).await;
    answer_ws(&mut phones[2][2], q2, "t3-q2", json!({"value": true}), false).await;
    answer_ws(&mut phones[1][0], q2, "t2-q2", json!({"value": true}), false).await;
    f.control(&app, "close").await;
    f.control(&app, "reveal").await;
    f.control(&app, "finish").await;

    let board = f.board(&app, false).await;
    let ids: Vec<i64> = f.teams.iter().map(|t| t.id as i64).collect();
    // t1 50−5 = 45, t2 40+30 = 70, t3 −5+40 = 35, t4 0+50 = 50.
    assert_eq!(totals(&board), vec![(ids[1], 70.0, 1), (ids[3], 50.0, 2), (ids[0], 45.0, 3), (ids[2], 35.0, 4)]);

    // Phúc khảo: team 1 gets 5 points back; with no tie-breakers the tie shows as a tie.
    let (s, b) = app
        .request(
            Method::PUT,
            &format!("/api/contests/{}/tie-breakers", f.cid),
            Some(&f.admin),
            Some(json!({"tie_breakers": []})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let (s, adj) = app
        .post(
            &format!("/api/contests/{}/adjustments", f.cid),
            Some(&f.admin),
            json!({"team_id": ids[0], "part_id": f.pid, "delta": 5, "reason": "Phúc khảo câu 2"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{adj}");
    assert_eq!((adj["old_total"].as_f64(), adj["new_total"].as_f64()), (Some(45.0), Some(50.0)));
    let board = f.board(&app, false).await;
    let ranks: Vec<u64> = totals(&board).iter().map(|r| r.2).collect();
    assert_eq!(ranks, vec![1, 2, 2, 4]);
    assert_eq!(board, f.board(&app, true).await);
    let pushed = ws_until(&mut console, 5, |v| v["type"] == "scoreboard" && v["board"]["rows"][2]["rank"] == 2).await;
    assert_eq!(pushed["board"], board);

    // A bad adjustment changes nothing and names the field.
    let (s, b) = app
        .post(
            &format!("/api/contests/{}/adjustments", f.cid),
            Some(&f.admin),
            json!({"team_id": ids[0], "delta": 5, "reason": " "}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"]["field"], "reason");

    let (s, audit) = app.get(&format!("/api/contests/{}/audit", f.cid), Some(&f.admin)).await;
    assert_eq!(s, StatusCode::OK);
    let entry = audit.as_array().unwrap().iter().find(|e| e["action"] == "score_adjust").unwrap();
    assert_eq!(entry["actor"], "organiser:admin");
    assert_eq!(entry["detail"]["reason"], "Phúc khảo câu 2");
    assert_eq!(entry["detail"]["old_total"], 45.0);
    assert_eq!(entry["detail"]["new_total"], 50.0);
    let actions: Vec<&str> = audit.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.starts_with(&["part_start", "question_open", "question_close", "question_reveal"]), "{actions:?}");
}

#[tokio::test]
async fn a_restart_mid_question_keeps_the_deadline_and_every_acknowledged_answer() {
    let app = spawn_app().await;
    let qs = vec![question(1, Solution::Single { option: 2 }, 60), question(2, Solution::Single { option: 0 }, 1)];
    let f = seed(&app, 3, 2, json!({}), "last_answer", qs).await;
    let q1 = f.questions[0];
    f.control(&app, "start").await;
    let st = f.control(&app, "next").await;
    let deadline = st["question"]["deadline_at"].as_i64().unwrap();

    let mut ws = app.ws(&f.member(0, 1).token).await;
    let ack1 = answer_ws(&mut ws, q1, "sub-1", json!({"choice": 2}), false).await;
    assert_eq!(ack1["type"], "ack");
    let (s, ack2) = answer_http(&app, &f, f.member(1, 0), q1, "sub-2", json!({"choice": 0})).await;
    assert_eq!(s, StatusCode::OK);
    drop(ws);

    let app = app.restart().await;
    let (s, st) = app.get(&format!("/api/contests/{}/live", f.cid), Some(&f.admin)).await;
    assert_eq!(s, StatusCode::OK, "{st}");
    assert_eq!(st["question"]["status"], "open");
    assert_eq!(st["question"]["deadline_at"], deadline);
    assert_eq!(st["question"]["answered_teams"], 2);

    // The phone reconnects: it gets the state and its team's stored answer.
    let mut ws = app.ws(&f.member(0, 0).token).await;
    let state = ws_until(&mut ws, 5, |v| v["type"] == "state").await;
    assert_eq!(state["state"]["my_answer"]["submission_id"], "sub-1");
    assert_eq!(state["state"]["my_answer"]["response"], json!({"choice": 2}));
    assert_no_answer(&state, "");
    // Retries after the restart get the same ack and count once.
    let again = answer_ws(&mut app.ws(&f.member(0, 1).token).await, q1, "sub-1", json!({"choice": 2}), false).await;
    assert_eq!(again["ack"], ack1["ack"]);
    let (_, again2) = answer_http(&app, &f, f.member(1, 0), q1, "sub-2", json!({"choice": 0})).await;
    assert_eq!(again2, ack2);
    let (_, st) = app.get(&format!("/api/contests/{}/live", f.cid), Some(&f.admin)).await;
    assert_eq!(st["question"]["answered_teams"], 2);

    f.control(&app, "close").await;
    f.control(&app, "reveal").await;
    let board = f.board(&app, false).await;
    let t = totals(&board);
    assert_eq!(t[0], (f.teams[0].id as i64, 10.0, 1));
    assert_eq!(board, f.board(&app, true).await);

    // A question whose deadline passes while the server is down is closed at start.
    f.control(&app, "next").await;
    drop(ws);
    app.handle.stop(true).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let app = app.restart().await;
    let (_, st) = app.get(&format!("/api/contests/{}/live", f.cid), Some(&f.admin)).await;
    assert_eq!(st["question"]["status"], "closed", "{st}");
}

#[tokio::test]
async fn on_sqlite_acknowledged_answers_reach_the_database_file_while_the_server_runs() {
    let app = spawn_app().await;
    let Some(path) = app.sqlite_path() else {
        return; // PostgreSQL has no write-ahead log file of ours to check.
    };
    let qs = vec![question(1, Solution::Single { option: 2 }, 60)];
    let f = seed(&app, 1, 1, json!({}), "last_answer", qs).await;
    f.control(&app, "start").await;
    f.control(&app, "next").await;
    let mut ws = app.ws(&f.member(0, 0).token).await;
    let ack = answer_ws(&mut ws, f.questions[0], "sub-file", json!({"choice": 2}), false).await;
    assert_eq!(ack["type"], "ack", "{ack}");

    // The ack means the answer is in the write-ahead log. The background checkpoint copies
    // it into the database file itself within about a second: a copy of the file alone,
    // without its log, holds it.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    let mut found = 0;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        std::fs::copy(&path, &copy).unwrap();
        let url = format!("sqlite://{}?mode=ro", copy.display());
        let Ok(db) = sea_orm::Database::connect(&url).await else { continue };
        let row = sea_orm::ConnectionTrait::query_one_raw(
            &db,
            sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Sqlite,
                "SELECT COUNT(*) FROM answers WHERE submission_id = 'sub-file'",
            ),
        )
        .await;
        db.close().await.ok();
        found = row.ok().flatten().and_then(|r| r.try_get_by_index::<i64>(0).ok()).unwrap_or(0);
        if found == 1 {
            break;
        }
    }
    assert_eq!(found, 1, "the acknowledged answer never reached the database file");
}

#[tokio::test]
async fn on_sqlite_an_answer_waits_out_another_connections_write_lock_and_is_acknowledged() {
    let app = spawn_app().await;
    let Some(path) = app.sqlite_path() else {
        return; // PostgreSQL locks rows, not the database.
    };
    let qs = vec![question(1, Solution::Single { option: 2 }, 60)];
    let f = seed(&app, 1, 1, json!({}), "last_answer", qs).await;
    f.control(&app, "start").await;
    f.control(&app, "next").await;
    let mut ws = app.ws(&f.member(0, 0).token).await;

    // Another program holds the database's write lock while the answer arrives.
    let other = sea_orm::Database::connect(format!("sqlite://{path}")).await.unwrap();
    let stmt = |sql: &str| sea_orm::Statement::from_string(sea_orm::DatabaseBackend::Sqlite, sql.to_owned());
    sea_orm::ConnectionTrait::execute_raw(&other, stmt("BEGIN IMMEDIATE")).await.unwrap();
    let released = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = released.clone();
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
        sea_orm::ConnectionTrait::execute_raw(&other, stmt("COMMIT")).await.unwrap();
        other.close().await.ok();
    });
    let ack = answer_ws(&mut ws, f.questions[0], "sub-locked", json!({"choice": 2}), false).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert!(released.load(std::sync::atomic::Ordering::SeqCst), "acknowledged while the lock was held: {ack}");
    release.await.unwrap();
}

#[tokio::test]
async fn late_answers_are_refused_duplicates_count_once_and_a_void_recomputes() {
    let app = spawn_app().await;
    let qs = vec![
        question(1, Solution::Single { option: 0 }, 1),
        question(2, Solution::ShortText { accepted: vec!["Ngã Sáu".into()] }, 30),
    ];
    let f = seed(&app, 2, 2, json!({"wrong_penalty": 2}), "last_answer", qs).await;
    let (q1, q2) = (f.questions[0], f.questions[1]);
    f.control(&app, "start").await;
    f.control(&app, "next").await;
    let (s, a) = answer_http(&app, &f, f.member(0, 0), q1, "dup", json!({"choice": 0})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, b) = answer_http(&app, &f, f.member(0, 0), q1, "dup", json!({"choice": 0})).await;
    assert_eq!(a, b, "the same submission gets the same ack");
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let (s, late) = answer_http(&app, &f, f.member(1, 0), q1, "late", json!({"choice": 0})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(late["error"]["code"], "deadline_passed");
    let (_, st) = app.get(&format!("/api/contests/{}/live", f.cid), Some(&f.admin)).await;
    assert_eq!(st["question"]["status"], "closed", "closed by the server at its deadline");
    f.control(&app, "reveal").await;

    f.control(&app, "next").await;
    answer_http(&app, &f, f.member(0, 1), q2, "t1-q2", json!({"text": "  NGA   sau "})).await;
    answer_http(&app, &f, f.member(1, 1), q2, "t2-q2", json!({"text": "Ngã Bảy"})).await;
    // Pause moves the deadline by the length of the pause.
    let before = f.control(&app, "pause").await["question"]["deadline_at"].as_i64().unwrap();
    let (s, p) = answer_http(&app, &f, f.member(1, 1), q2, "paused", json!({"text": "x"})).await;
    assert_eq!((s, p["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("paused")));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = f.control(&app, "resume").await["question"]["deadline_at"].as_i64().unwrap();
    assert!(after - before >= 300, "deadline moved by {} ms", after - before);
    f.control(&app, "close").await;
    f.control(&app, "reveal").await;
    let t = totals(&f.board(&app, false).await);
    assert_eq!(t[0], (f.teams[0].id as i64, 20.0, 1));
    assert_eq!(t[1], (f.teams[1].id as i64, -2.0, 2));

    // Voiding question 1 takes its points away for everyone.
    let (s, b) =
        app.post(&format!("/api/contests/{}/live/void", f.cid), Some(&f.admin), json!({"question_id": q1})).await;
    assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("reason")));
    let (s, b) = app
        .post(
            &format!("/api/contests/{}/live/void", f.cid),
            Some(&f.admin),
            json!({"question_id": q1, "reason": "Đáp án sai"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let board = f.board(&app, false).await;
    assert_eq!(totals(&board)[0], (f.teams[0].id as i64, 10.0, 1));
    assert_eq!(board, f.board(&app, true).await);
    let (s, b) = app
        .post(
            &format!("/api/contests/{}/live/void", f.cid),
            Some(&f.admin),
            json!({"question_id": q1, "reason": "again"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");

    // A retry long after its question closed, even after the part finished and a
    // restart, still gets the ack of the stored answer.
    f.control(&app, "finish").await;
    let app = app.restart().await;
    let (s, again) = answer_http(&app, &f, f.member(0, 0), q1, "dup", json!({"choice": 0})).await;
    assert_eq!((s, again), (StatusCode::OK, a));
}

#[tokio::test]
async fn captain_only_policy_and_the_star_of_hope() {
    let app = spawn_app().await;
    let qs = vec![question(1, Solution::Single { option: 3 }, 30), question(2, Solution::Single { option: 3 }, 30)];
    let f = seed(&app, 2, 2, json!({"star_of_hope": true, "get_ready_s": 1}), "captain_only", qs).await;
    let (q1, q2) = (f.questions[0], f.questions[1]);
    f.control(&app, "start").await;
    let mut cap = app.ws(&f.member(0, 0).token).await;
    // Phones learn from the part that it has a star of hope.
    let st = ws_until(&mut cap, 5, |v| v["type"] == "state").await;
    assert_eq!(st["state"]["part"]["star_of_hope"], true, "{st}");
    // The "get ready" countdown: the question is announced, not shown, not answerable.
    let st = f.control(&app, "next").await;
    assert!(st["question"]["question"].is_null(), "{st}");
    let ready = ws_until(&mut cap, 5, |v| v["type"] == "get_ready").await;
    let (s, b) = answer_http(&app, &f, f.member(0, 0), q1, "too-early", json!({"choice": 3})).await;
    assert_eq!((s, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_open_yet")));
    let opened = ws_until(&mut cap, 5, |v| v["type"] == "question_opened").await;
    assert_eq!(opened["opened_at"], ready["opens_at"]);
    assert!(opened["server_time"].as_i64().unwrap() >= opened["opened_at"].as_i64().unwrap());
    let (s, b) = answer_http(&app, &f, f.member(0, 1), q1, "member", json!({"choice": 3})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let a = answer_ws(&mut cap, q1, "cap-q1", json!({"choice": 3}), true).await;
    assert_eq!(a["ack"]["star"], true, "{a}");
    let a = answer_ws(&mut app.ws(&f.member(1, 0).token).await, q1, "cap2-q1", json!({"choice": 1}), true).await;
    assert_eq!(a["type"], "ack");
    f.control(&app, "close").await;
    f.control(&app, "reveal").await;
    f.control(&app, "next").await;
    ws_until(&mut cap, 5, |v| v["type"] == "question_opened" && v["question_id"] == q2).await;
    let a = answer_ws(&mut cap, q2, "cap-q2", json!({"choice": 3}), true).await;
    assert_eq!(a["error"]["code"], "star_used");
    f.control(&app, "close").await;
    let t = totals(&f.board(&app, false).await);
    assert_eq!(t, vec![(f.teams[0].id as i64, 20.0, 1), (f.teams[1].id as i64, -10.0, 2)]);
}

/// Milliseconds until the server's clock reaches `t` (the tests share the server's clock).
fn ms_until(t: i64) -> u64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    (t - now).max(0) as u64
}

#[tokio::test]
async fn a_reading_time_shows_the_question_before_answering_opens() {
    let app = spawn_app().await;
    let qs = vec![question(1, Solution::Single { option: 2 }, 30), question(2, Solution::Single { option: 1 }, 30)];
    let f = seed(&app, 2, 2, json!({"reading_s": 2}), "last_answer", qs).await;
    let (q1, q2) = (f.questions[0], f.questions[1]);
    f.control(&app, "start").await;
    let mut phone = app.ws(&f.member(0, 0).token).await;
    let st = f.control(&app, "next").await;
    let q = &st["question"];
    assert_eq!(q["question"]["prompt"], "Câu hỏi số 1?", "shown at once: {st}");
    assert_eq!(q["opens_at"].as_i64().unwrap() - q["shows_at"].as_i64().unwrap(), 2000, "{st}");

    // The question goes out as it is shown, with answering opening after the reading time.
    let shown = ws_until(&mut phone, 5, |v| v["type"] == "question_opened").await;
    assert_eq!(shown["question_id"], q1);
    assert_eq!(shown["opened_at"], q["opens_at"]);
    assert_eq!(shown["shown_at"], q["shows_at"]);
    assert!(shown["server_time"].as_i64().unwrap() < shown["opened_at"].as_i64().unwrap(), "{shown}");
    assert!(shown.to_string().find("GIAI-THICH").is_none() && shown["question"]["solution"].is_null());

    // While it is read: no answers, no pause; a phone connecting now sees the question.
    let early = answer_ws(&mut phone, q1, "early", json!({"choice": 2}), false).await;
    assert_eq!(early["error"]["code"], "not_open_yet", "{early}");
    let (s, b) = app.request(Method::POST, &format!("/api/contests/{}/live/pause", f.cid), Some(&f.admin), None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    let mut late_phone = app.ws(&f.member(1, 0).token).await;
    let snap = ws_until(&mut late_phone, 5, |v| v["type"] == "state").await;
    assert_eq!(snap["state"]["question"]["question"]["prompt"], "Câu hỏi số 1?", "{snap}");
    assert_eq!(snap["state"]["question"]["opens_at"], shown["opened_at"]);

    // Once open, answers count from `opened_at`, not from when the question was shown.
    tokio::time::sleep(Duration::from_millis(ms_until(shown["opened_at"].as_i64().unwrap()) + 20)).await;
    let a = answer_ws(&mut phone, q1, "on-time", json!({"choice": 2}), false).await;
    assert_eq!(a["type"], "ack", "{a}");
    let a = answer_ws(&mut late_phone, q1, "other", json!({"choice": 0}), false).await;
    assert_eq!(a["type"], "ack", "{a}");
    let (_, record) = app.get(&format!("/api/contests/{}/answers", f.cid), Some(&f.admin)).await;
    let stored = record["answers"].as_array().unwrap();
    assert_eq!(stored.len(), 2, "the early answer was not stored: {record}");
    let mine = stored.iter().find(|a| a["submission_id"] == "on-time").unwrap();
    assert!(mine["elapsed_ms"].as_i64().unwrap() < 1500, "elapsed from opening, not from showing: {mine}");
    assert_eq!(
        mine["received_at"].as_i64().unwrap() - mine["elapsed_ms"].as_i64().unwrap(),
        shown["opened_at"].as_i64().unwrap()
    );

    // A restart during the reading time keeps the schedule: the question is shown again to
    // a reconnecting phone and opens at the same moment.
    f.control(&app, "close").await;
    let st = f.control(&app, "next").await;
    let opens_at = st["question"]["opens_at"].as_i64().unwrap();
    let app = app.restart().await;
    let mut phone = app.ws(&f.member(0, 1).token).await;
    let snap = ws_until(&mut phone, 5, |v| v["type"] == "state").await;
    assert_eq!(snap["state"]["question"]["id"], q2, "{snap}");
    assert_eq!(snap["state"]["question"]["question"]["prompt"], "Câu hỏi số 2?", "{snap}");
    assert_eq!(snap["state"]["question"]["opens_at"], opens_at);
    if ms_until(opens_at) > 300 {
        let early = answer_ws(&mut phone, q2, "early-2", json!({"choice": 1}), false).await;
        assert_eq!(early["error"]["code"], "not_open_yet", "{early}");
    }
    tokio::time::sleep(Duration::from_millis(ms_until(opens_at) + 20)).await;
    let a = answer_ws(&mut phone, q2, "after-restart", json!({"choice": 1}), false).await;
    assert_eq!(a["type"], "ack", "{a}");
}

#[tokio::test]
async fn get_ready_then_reading_time_then_answering() {
    let app = spawn_app().await;
    let qs = vec![question(1, Solution::Single { option: 0 }, 30)];
    let f = seed(&app, 1, 1, json!({"get_ready_s": 1, "reading_s": 1}), "last_answer", qs).await;
    f.control(&app, "start").await;
    let mut phone = app.ws(&f.member(0, 0).token).await;
    let st = f.control(&app, "next").await;
    assert!(st["question"]["question"].is_null(), "hidden during get ready: {st}");
    let ready = ws_until(&mut phone, 5, |v| v["type"] == "get_ready").await;
    let (shows_at, opens_at) = (ready["shows_at"].as_i64().unwrap(), ready["opens_at"].as_i64().unwrap());
    assert_eq!(opens_at - shows_at, 1000, "{ready}");
    assert!(shows_at - ready["server_time"].as_i64().unwrap() > 500, "{ready}");
    // The question comes at `shows_at`, locked until `opens_at`.
    let shown = ws_until(&mut phone, 5, |v| v["type"] == "question_opened").await;
    assert!(shown["server_time"].as_i64().unwrap() >= shows_at, "{shown}");
    assert_eq!((shown["shown_at"].as_i64(), shown["opened_at"].as_i64()), (Some(shows_at), Some(opens_at)));
    if ms_until(opens_at) > 200 {
        let early = answer_ws(&mut phone, f.questions[0], "early", json!({"choice": 0}), false).await;
        assert_eq!(early["error"]["code"], "not_open_yet", "{early}");
    }
    tokio::time::sleep(Duration::from_millis(ms_until(opens_at) + 20)).await;
    let a = answer_ws(&mut phone, f.questions[0], "in-time", json!({"choice": 0}), false).await;
    assert_eq!(a["type"], "ack", "{a}");
}

#[tokio::test]
async fn the_live_board_equals_a_recomputation_after_a_long_random_sequence() {
    let app = spawn_app().await;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20261126);
    let kinds = |i: usize| match i % 5 {
        0 => Solution::Single { option: i % 4 },
        1 => Solution::Multiple { options: vec![0, 2] },
        2 => Solution::TrueFalse { value: i.is_multiple_of(2) },
        3 => Solution::ShortText { accepted: vec!["Hậu Giang".into()] },
        _ => Solution::Number { value: 155.0, tolerance: 1.0 },
    };
    let qs: Vec<Question> = (0..12).map(|i| question(i, kinds(i), 60)).collect();
    let scoring =
        json!({"speed_bonus": {"kind": "kahoot"}, "wrong_penalty": 3, "star_of_hope": true, "partial_multiple": true});
    let f = seed(&app, 5, 3, scoring, "last_answer", qs).await;
    f.control(&app, "start").await;
    let mut asked = vec![];
    for (n, &q) in f.questions.iter().enumerate() {
        f.control(&app, "next").await;
        asked.push(q);
        for k in 0..rng.random_range(3..12) {
            let t = rng.random_range(0..f.teams.len());
            let m = f.member(t, rng.random_range(0..3));
            let response = match n % 5 {
                0 => json!({"choice": rng.random_range(0..4)}),
                1 => json!({"choices": [rng.random_range(0..4), rng.random_range(0..4)]}),
                2 => json!({"value": rng.random_bool(0.5)}),
                3 => json!({"text": if rng.random_bool(0.5) { "hau giang" } else { "Cần Thơ" }}),
                _ => json!({"number": rng.random_range(150..160)}),
            };
            let sid = format!("q{n}-{k}");
            let star = rng.random_bool(0.15);
            let body = json!({"submission_id": sid, "question_id": q, "response": response, "star": star});
            let (s, b) = app.post(&format!("/api/contests/{}/answers", f.cid), Some(&m.token), body.clone()).await;
            assert!(s == StatusCode::OK || b["error"]["code"] == "star_used", "{b}");
            if rng.random_bool(0.2) {
                let (s2, b2) = app.post(&format!("/api/contests/{}/answers", f.cid), Some(&m.token), body).await;
                assert_eq!((s2, b2), (s, b), "a retry gets the same answer");
            }
        }
        f.control(&app, "close").await;
        if rng.random_bool(0.7) {
            f.control(&app, "reveal").await;
        }
        if rng.random_bool(0.25) {
            let v = asked[rng.random_range(0..asked.len())];
            app.post(
                &format!("/api/contests/{}/live/void", f.cid),
                Some(&f.admin),
                json!({"question_id": v, "reason": "Hủy"}),
            )
            .await;
        }
        if rng.random_bool(0.3) {
            let t = f.teams[rng.random_range(0..f.teams.len())].id;
            let part = if rng.random_bool(0.5) { json!(f.pid) } else { Value::Null };
            let (s, b) = app
                .post(
                    &format!("/api/contests/{}/adjustments", f.cid),
                    Some(&f.admin),
                    json!({"team_id": t, "part_id": part, "delta": rng.random_range(-5..=5) as f64 + 0.5, "reason": "Phúc khảo"}),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
        }
        assert_eq!(f.board(&app, false).await, f.board(&app, true).await, "after question {n}");
    }
    f.control(&app, "finish").await;
    let live = f.board(&app, false).await;
    assert_eq!(live, f.board(&app, true).await);
    assert!(totals(&live).iter().any(|r| r.1 != 0.0), "the sequence scored something: {live}");
}

#[tokio::test]
async fn a_burst_of_answers_is_committed_in_groups_and_each_counted_once() {
    let app = spawn_app().await;
    let qs = vec![question(1, Solution::Single { option: 0 }, 60)];
    let f = seed(&app, 30, 2, json!({}), "last_answer", qs).await;
    let q = f.questions[0];
    let mut sockets = vec![];
    for t in 0..f.teams.len() {
        for m in 0..2 {
            let mut ws = app.ws(&f.member(t, m).token).await;
            ws_until(&mut ws, 5, |v| v["type"] == "state").await;
            sockets.push((t, m, ws));
        }
    }
    f.control(&app, "start").await;
    f.control(&app, "next").await;
    let (batches0, answers0) = app.state.hub.writer_stats();
    // Everyone sends at once; every tenth phone sends its answer twice.
    for (t, m, ws) in sockets.iter_mut() {
        let msg = json!({"type": "answer", "submission_id": format!("b-{t}-{m}"), "question_id": q, "response": {"choice": *t % 4}});
        ws_send(ws, msg.clone()).await;
        if *t % 10 == 0 {
            ws_send(ws, msg).await;
        }
    }
    for (t, m, ws) in sockets.iter_mut() {
        let sid = format!("b-{t}-{m}");
        let is_ack = |v: &Value| v["type"] == "ack" && v["ack"]["submission_id"] == sid.as_str();
        let first = ws_until(ws, 10, is_ack).await;
        if *t % 10 == 0 {
            let second = ws_until(ws, 10, is_ack).await;
            assert_eq!(first["ack"], second["ack"], "a duplicate gets the same ack");
        }
    }
    let (batches, answers) = app.state.hub.writer_stats();
    assert_eq!(answers - answers0, 60, "each submission is written once");
    assert!(batches - batches0 < 60, "{} commits for 60 answers: no group commit", batches - batches0);
    let (_, st) = app.get(&format!("/api/contests/{}/live", f.cid), Some(&f.admin)).await;
    assert_eq!(st["question"]["answered_teams"], 30);
    f.control(&app, "close").await;
    // Both members of a team chose t % 4: option A (right) for t = 0, 4, 8, …
    let board = f.board(&app, false).await;
    let scored = totals(&board).iter().filter(|r| r.1 == 10.0).count();
    assert_eq!(scored, (0..30).filter(|t| t % 4 == 0).count(), "{board}");
    assert_eq!(board, f.board(&app, true).await);
}

/// The whole way through the API: contest, teams and part from the contests API, the
/// part's questions chosen from the shipped bank, phones joining with the team codes.
#[tokio::test]
async fn a_quiz_part_runs_on_questions_from_the_shipped_bank() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, banks) = app.get("/api/banks", Some(&admin)).await;
    let bank = banks.as_array().unwrap().iter().find(|b| b["origin"] == "shipped").expect("shipped bank").clone();
    let (s, qs) = app.get(&format!("/api/banks/{}/questions?type=single", bank["id"]), Some(&admin)).await;
    assert_eq!(s, StatusCode::OK, "{qs}");
    let picked: Vec<Value> = qs.as_array().unwrap().iter().take(2).cloned().collect();
    let cid = create_contest(&app, &admin, "Hội thi cấp huyện").await;
    let pid = create_part(
        &app,
        &admin,
        cid,
        json!({"kind": "quiz", "title": "Trắc nghiệm", "max_points": 100, "time_per_question_s": 30,
               "scoring": {"speed_bonus": {"kind": "ranked", "points": [5, 3]}}}),
    )
    .await;
    let ids: Vec<i64> = picked.iter().map(|q| q["id"].as_i64().unwrap()).collect();
    set_part_questions(&app, &admin, cid, pid, &ids).await;
    let mut phones = vec![];
    for name in ["Đội Ngã Sáu", "Đội Phú Hữu"] {
        let (tid, code) = create_team(&app, &admin, cid, name).await;
        let j = join(&app, &code, "Đội trưởng").await;
        let mut ws = app.ws(j["token"].as_str().unwrap()).await;
        ws_until(&mut ws, 5, |v| v["type"] == "state").await;
        phones.push((tid, ws));
    }
    let start = format!("/api/contests/{cid}/parts/{pid}/start");
    let (s, b) = app.request(Method::POST, &start, Some(&admin), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    for q in &picked {
        let right = q["solution"]["option"].as_u64().unwrap();
        let (s, st) = app.request(Method::POST, &format!("/api/contests/{cid}/live/next"), Some(&admin), None).await;
        assert_eq!(s, StatusCode::OK, "{st}");
        let qid = st["question"]["id"].as_i64().unwrap() as i32;
        for (i, (_, ws)) in phones.iter_mut().enumerate() {
            let opened = ws_until(ws, 5, |v| v["type"] == "question_opened").await;
            assert_eq!(opened["question"]["prompt"], q["prompt"]);
            assert_no_answer(&opened, "");
            // Team 1 is right, team 2 wrong.
            let choice = if i == 0 { right } else { (right + 1) % 4 };
            let a = answer_ws(ws, qid, &format!("{qid}-{i}"), json!({"choice": choice}), false).await;
            assert_eq!(a["type"], "ack", "{a}");
        }
        for what in ["close", "reveal"] {
            let (s, b) =
                app.request(Method::POST, &format!("/api/contests/{cid}/live/{what}"), Some(&admin), None).await;
            assert_eq!(s, StatusCode::OK, "{b}");
        }
    }
    let (s, b) =
        app.request(Method::POST, &format!("/api/contests/{cid}/parts/{pid}/finish"), Some(&admin), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, board) = app.get(&format!("/api/contests/{cid}/scoreboard"), Some(&admin)).await;
    let points: f64 = picked.iter().map(|q| q["points"].as_f64().unwrap() + 5.0).sum();
    assert_eq!(totals(&board["board"]), vec![(phones[0].0, points, 1), (phones[1].0, 0.0, 2)]);
}

#[tokio::test]
async fn the_socket_answers_sync_ping_and_bad_messages_and_needs_a_valid_token() {
    let app = spawn_app().await;
    let f = seed(&app, 1, 1, json!({}), "last_answer", vec![question(1, Solution::Single { option: 0 }, 30)]).await;
    let mut ws = app.ws(&f.member(0, 0).token).await;
    ws_until(&mut ws, 5, |v| v["type"] == "state").await;
    ws_send(&mut ws, json!({"type": "ping"})).await;
    ws_until(&mut ws, 5, |v| v["type"] == "pong").await;
    ws_send(&mut ws, json!({"type": "sync"})).await;
    let st = ws_until(&mut ws, 5, |v| v["type"] == "state").await;
    assert_eq!(st["state"]["contest_id"], f.cid);
    ws_send(&mut ws, json!({"type": "answer", "submission_id": "x"})).await;
    let e = ws_until(&mut ws, 5, |v| v["type"] == "error").await;
    assert_eq!(e["error"]["code"], "invalid_input", "{e}");
    ws.send(Message::Text("{not json".into())).await.unwrap();
    let e = ws_until(&mut ws, 5, |v| v["type"] == "error").await;
    assert_eq!(e["error"]["code"], "malformed_json");
    // An organiser must say which contest; a forged token is refused before the upgrade.
    let url = format!("ws://127.0.0.1:{}/api/live?token={}", app.port, f.admin);
    assert!(tokio_tungstenite::connect_async(url).await.is_err());
    let url = format!("ws://127.0.0.1:{}/api/live?token=abc.def.ghi", app.port);
    assert!(tokio_tungstenite::connect_async(url).await.is_err());
}

/// Waits for the server's close frame and returns its reason; fails on any ack.
async fn close_reason(ws: &mut Ws, secs: u64) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next()).await.expect("timed out waiting for the close frame");
        match msg {
            Some(Ok(Message::Close(Some(f)))) => return f.reason.to_string(),
            Some(Ok(Message::Close(None))) => return String::new(),
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                assert!(v["type"] != "ack", "an answer was taken after the revocation: {v}");
            }
            Some(Ok(_)) => {}
            other => panic!("the socket ended without a close frame: {other:?}"),
        }
    }
}

/// The socket still answers (a sync gets the state back).
async fn still_open(ws: &mut Ws) {
    ws_send(ws, json!({"type": "sync"})).await;
    ws_until(ws, 5, |v| v["type"] == "state").await;
}

#[tokio::test]
async fn revocations_close_the_open_sockets_they_hit_and_nothing_else() {
    let app = spawn_app().await;
    let qs = vec![question(1, Solution::Single { option: 0 }, 60)];
    let f = seed(&app, 2, 2, json!({}), "last_answer", qs).await;
    let q = f.questions[0];
    let (s, inv) =
        app.post(&format!("/api/contests/{}/judges/invite", f.cid), Some(&f.admin), json!({"name": "Giám khảo"})).await;
    assert_eq!(s, StatusCode::CREATED, "{inv}");
    let (s, judge) = app.post("/api/judges/accept", None, json!({"token": inv["token"]})).await;
    assert_eq!(s, StatusCode::OK, "{judge}");

    let mut removed = app.ws(&f.member(0, 0).token).await;
    let mut mate = app.ws(&f.member(0, 1).token).await;
    let mut other = app.ws(&f.member(1, 0).token).await;
    let mut judge_ws = app.ws(judge["token"].as_str().unwrap()).await;
    let mut console = {
        let url = format!("ws://127.0.0.1:{}/api/live?token={}&contest_id={}", app.port, f.admin, f.cid);
        tokio_tungstenite::connect_async(url).await.unwrap().0
    };
    for ws in [&mut removed, &mut mate, &mut other, &mut judge_ws, &mut console] {
        ws_until(ws, 5, |v| v["type"] == "state").await;
    }
    f.control(&app, "start").await;
    f.control(&app, "next").await;
    ws_until(&mut removed, 5, |v| v["type"] == "question_opened").await;

    // Removing a contestant closes their socket; an answer sent on it right after the
    // removal is not taken, and nobody else's socket closes.
    let path = format!("/api/contests/{}/contestants/{}", f.cid, contestant_id(&app, &f, 0, 0).await);
    let (s, b) = app.request(Method::DELETE, &path, Some(&f.admin), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let _ = removed
        .send(Message::Text(
            json!({"type": "answer", "submission_id": "after", "question_id": q, "response": {"choice": 0}})
                .to_string()
                .into(),
        ))
        .await;
    assert_eq!(close_reason(&mut removed, 5).await, "token_revoked");
    let (_, st) = app.get(&format!("/api/contests/{}/live", f.cid), Some(&f.admin)).await;
    assert_eq!(st["question"]["answered_teams"], 0, "{st}");
    let (s, b) = answer_http(&app, &f, f.member(0, 0), q, "after-http", json!({"choice": 0})).await;
    assert_eq!((s, b["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("token_revoked")));
    for ws in [&mut mate, &mut other, &mut judge_ws, &mut console] {
        still_open(ws).await;
    }
    let a = answer_ws(&mut mate, q, "mate", json!({"choice": 0}), false).await;
    assert_eq!(a["type"], "ack", "{a}");

    // Resetting the judge closes the judge's socket only.
    let (s, b) = app
        .post(&format!("/api/contests/{}/judges/{}/reset", f.cid, inv["judge"]["id"]), Some(&f.admin), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(close_reason(&mut judge_ws, 5).await, "token_revoked");
    for ws in [&mut mate, &mut other, &mut console] {
        still_open(ws).await;
    }

    // Closing the contest closes every contestant's socket; the organiser's stays.
    let (s, b) = app.post(&format!("/api/contests/{}/close", f.cid), Some(&f.admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(close_reason(&mut mate, 5).await, "token_revoked");
    assert_eq!(close_reason(&mut other, 5).await, "token_revoked");
    still_open(&mut console).await;
}

/// The id of a joined contestant, from the contest's contestant list.
async fn contestant_id(app: &TestApp, f: &Fixture, team: usize, m: usize) -> i64 {
    let (s, list) = app.get(&format!("/api/contests/{}/contestants", f.cid), Some(&f.admin)).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let name = format!("Thí sinh {}-{}", team + 1, m + 1);
    list.as_array().unwrap().iter().find(|x| x["name"] == name.as_str()).expect("contestant")["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_contest_is_set_up_then_running_from_its_first_part_then_closed() {
    let app = spawn_app().await;
    let qs = vec![question(1, Solution::Single { option: 0 }, 60)];
    let f = seed(&app, 1, 1, json!({}), "last_answer", qs).await;
    let contest = format!("/api/contests/{}", f.cid);
    let status = |v: &Value| v["status"].as_str().unwrap().to_owned();
    let (_, c) = app.get(&contest, Some(&f.admin)).await;
    assert_eq!(status(&c), "setup");
    let (_, st) = app.get(&format!("{contest}/live"), Some(&f.admin)).await;
    assert_eq!(st["contest_status"], "setup");

    let st = f.control(&app, "start").await;
    assert_eq!(st["contest_status"], "running", "{st}");
    let (_, c) = app.get(&contest, Some(&f.admin)).await;
    assert_eq!(status(&c), "running");
    let (_, st) = app.get(&format!("{contest}/live"), Some(&f.member(0, 0).token)).await;
    assert_eq!(st["contest_status"], "running");
    // A running contest cannot be deleted, nor its teams; it still takes joins, and a
    // new team's join code is unique.
    let (s, b) = app.request(Method::DELETE, &contest, Some(&f.admin), None).await;
    assert_eq!((s, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("invalid_state")), "{b}");
    let (s, b) = app.request(Method::DELETE, &format!("{contest}/teams/{}", f.teams[0].id), Some(&f.admin), None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    let (_, code) = create_team(&app, &f.admin, f.cid as i64, "Đội đến muộn").await;
    let j = join(&app, &code, "Thí sinh muộn").await;
    assert_eq!(j["contest_id"], f.cid);
    let (_, teams) = app.get(&format!("{contest}/teams"), Some(&f.admin)).await;
    let codes: Vec<&str> = teams.as_array().unwrap().iter().map(|t| t["code"].as_str().unwrap()).collect();
    assert_eq!(codes.len(), 2);
    assert_ne!(codes[0], codes[1]);
    let (_, c) = app.get(&contest, Some(&f.admin)).await;
    assert_eq!(status(&c), "running", "joining does not change the status");

    // The status survives a restart (running contests are resumed).
    let app = app.restart().await;
    let (_, st) = app.get(&format!("{contest}/live"), Some(&f.admin)).await;
    assert_eq!(st["contest_status"], "running");

    let mut console = {
        let url = format!("ws://127.0.0.1:{}/api/live?token={}&contest_id={}", app.port, f.admin, f.cid);
        tokio_tungstenite::connect_async(url).await.unwrap().0
    };
    ws_until(&mut console, 5, |v| v["type"] == "state").await;
    let (s, c) = app.post(&format!("{contest}/close"), Some(&f.admin), json!({})).await;
    assert_eq!((s, status(&c)), (StatusCode::OK, "closed".to_owned()), "{c}");
    let pushed = ws_until(&mut console, 5, |v| v["type"] == "state" && v["state"]["contest_status"] == "closed").await;
    assert_eq!(pushed["state"]["contest_id"], f.cid);
    let (_, st) = app.get(&format!("{contest}/live"), Some(&f.admin)).await;
    assert_eq!(st["contest_status"], "closed");
    let (s, b) = app.request(Method::DELETE, &contest, Some(&f.admin), None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    let (s, b) = app.post(&format!("{contest}/close"), Some(&f.admin), json!({})).await;
    assert_eq!((s, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("contest_closed")));
}

#[tokio::test]
async fn a_started_part_keeps_its_questions_against_choice_and_draw() {
    let app = spawn_app().await;
    let qs =
        vec![question(1, Solution::Single { option: 0 }, 60), question(2, Solution::TrueFalse { value: true }, 60)];
    let f = seed(&app, 1, 1, json!({}), "last_answer", qs).await;
    let path = format!("/api/contests/{}/parts/{}/questions", f.cid, f.pid);
    let (_, before) = app.get(&path, Some(&f.admin)).await;
    let bank_ids: Vec<i64> =
        before["questions"].as_array().unwrap().iter().map(|q| q["question_id"].as_i64().unwrap()).collect();
    // While pending, the choice may change (here: reversed, then back).
    let reversed: Vec<i64> = bank_ids.iter().rev().copied().collect();
    let (s, b) = app.request(Method::PUT, &path, Some(&f.admin), Some(json!({"question_ids": reversed}))).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app.request(Method::PUT, &path, Some(&f.admin), Some(json!({"question_ids": bank_ids}))).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, before) = app.get(&path, Some(&f.admin)).await;

    let draw = format!("/api/contests/{}/parts/{}/draw", f.cid, f.pid);
    let quota = json!({"seed": 7, "quotas": [{"section": "phan-1", "count": 1}]});
    for (when, status) in [("start", "running"), ("finish", "finished")] {
        f.control(&app, when).await;
        let (s, b) =
            app.request(Method::PUT, &path, Some(&f.admin), Some(json!({"question_ids": [bank_ids[0]]}))).await;
        assert_eq!(s, StatusCode::CONFLICT, "{b}");
        assert_eq!(b["error"]["code"], "part_started", "{b}");
        assert_eq!(b["error"]["state"]["status"], status, "{b}");
        let (s, b) = app.post(&draw, Some(&f.admin), quota.clone()).await;
        assert_eq!(s, StatusCode::CONFLICT, "{b}");
        assert_eq!(b["error"]["code"], "part_started", "{b}");
        assert_eq!(b["error"]["state"]["status"], status, "{b}");
        let (_, now) = app.get(&path, Some(&f.admin)).await;
        let strip = |v: &Value| -> Vec<(Value, Value)> {
            v["questions"].as_array().unwrap().iter().map(|q| (q["id"].clone(), q["question_id"].clone())).collect()
        };
        assert_eq!(strip(&now), strip(&before), "the refused calls changed nothing");
        if when == "start" {
            f.control(&app, "next").await;
            f.control(&app, "close").await;
        }
    }
}

/// The opcodes of the server's WebSocket frames in `bytes` (server frames are unmasked).
fn opcodes(mut bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![];
    while bytes.len() >= 2 {
        let op = bytes[0] & 0x0f;
        let (len, head) = match bytes[1] & 0x7f {
            126 if bytes.len() >= 4 => (u16::from_be_bytes([bytes[2], bytes[3]]) as usize, 4),
            127 if bytes.len() >= 10 => (u64::from_be_bytes(bytes[2..10].try_into().unwrap()) as usize, 10),
            n if n < 126 => (n as usize, 2),
            _ => break,
        };
        out.push(op);
        bytes = &bytes[(head + len).min(bytes.len())..];
    }
    out
}

#[tokio::test]
async fn a_socket_that_never_answers_pings_is_dropped_after_the_silence_limit() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut settings = crate::helpers::test_settings();
    settings.ws_silence_s = 2;
    let app = crate::helpers::spawn_app_with(settings).await;
    let f = seed(&app, 1, 2, json!({}), "last_answer", vec![question(1, Solution::Single { option: 0 }, 30)]).await;

    // A phone whose client answers pings (tokio-tungstenite does while it reads) stays.
    let mut alive = app.ws(&f.member(0, 1).token).await;
    ws_until(&mut alive, 5, |v| v["type"] == "state").await;

    // A raw client: completes the handshake, then never reads nor answers.
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let req = format!(
        "GET /api/live?token={} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        f.member(0, 0).token
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut head = vec![];
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        tcp.read_exact(&mut b).await.unwrap();
        head.push(b[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let started = tokio::time::Instant::now();

    // Meanwhile the live phone keeps talking and being answered.
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        // Reading lets tokio-tungstenite answer the server's pings.
        for m in drain(&mut alive, 50).await {
            assert!(m["type"].is_string(), "{m}");
        }
    }
    // Now read what the raw client was sent: pings, then a close frame, then the end.
    let mut bytes = vec![];
    let got = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut bytes)).await;
    assert!(got.is_ok(), "the server did not drop the silent socket");
    let ops = opcodes(&bytes);
    assert!(ops.contains(&0x9), "the server pinged: {ops:?}");
    assert_eq!(ops.last(), Some(&0x8), "the server closed the socket: {ops:?}");
    assert!(started.elapsed() >= Duration::from_secs(2));
    // The answering phone is still connected after more than twice the limit.
    still_open(&mut alive).await;
}

#[tokio::test]
async fn judge_accounts_lose_their_sockets_when_reset_or_taken_off_the_contest() {
    let app = spawn_app().await;
    let f = seed(&app, 1, 1, json!({}), "last_answer", vec![question(1, Solution::Single { option: 0 }, 30)]).await;
    let mut judges = vec![];
    for name in ["gk1", "gk2"] {
        let (s, u) = app
            .post("/api/users", Some(&f.admin), json!({"username": name, "password": "mat-khau-gk", "role": "judge"}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{u}");
        let (s, j) = app
            .post(&format!("/api/contests/{}/judges", f.cid), Some(&f.admin), json!({"user_id": u["id"], "name": name}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{j}");
        let token = app.login(name, "mat-khau-gk").await;
        let url = format!("ws://127.0.0.1:{}/api/live?token={token}&contest_id={}", app.port, f.cid);
        let mut ws = tokio_tungstenite::connect_async(url).await.unwrap().0;
        ws_until(&mut ws, 5, |v| v["type"] == "state").await;
        judges.push((j["id"].as_i64().unwrap(), ws));
    }
    let mut phone = app.ws(&f.member(0, 0).token).await;
    ws_until(&mut phone, 5, |v| v["type"] == "state").await;

    // Reset: the account must sign in again, so its socket closes.
    let (s, b) =
        app.post(&format!("/api/contests/{}/judges/{}/reset", f.cid, judges[0].0), Some(&f.admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(close_reason(&mut judges[0].1, 5).await, "token_revoked");
    still_open(&mut judges[1].1).await;

    // Taken off the contest: its socket on this contest closes.
    let (s, b) = app
        .request(Method::DELETE, &format!("/api/contests/{}/judges/{}", f.cid, judges[1].0), Some(&f.admin), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    assert_eq!(close_reason(&mut judges[1].1, 5).await, "token_revoked");
    still_open(&mut phone).await;
}

/// The fan-out writes phones in chunks and lets later posts join the ones on their way.
/// With more phones than one chunk, a part start and its first question posted back to
/// back, and a phone connecting in between, every phone still gets each event once, in
/// order, with its own team's score only; the late phone's snapshot already shows the
/// part, so the part's start does not reach it again.
#[tokio::test]
async fn every_socket_gets_each_event_once_and_in_order_across_chunks_and_bursts() {
    let app = spawn_app().await;
    let qs = vec![question(1, Solution::Single { option: 0 }, 60)];
    let f = seed(&app, 3, 60, json!({}), "last_answer", qs).await;
    let mut sockets = vec![];
    for t in 0..f.teams.len() {
        for m in 0..59 {
            let mut ws = app.ws(&f.member(t, m).token).await;
            ws_until(&mut ws, 5, |v| v["type"] == "state").await;
            sockets.push((t, ws));
        }
    }
    f.control(&app, "start").await;
    let late = app.ws(&f.member(2, 59).token).await;
    f.control(&app, "next").await;
    sockets.push((2, late));
    let kinds = ["state", "part_started", "question_opened", "team_score"];
    let last = sockets.len() - 1;
    for (i, (t, ws)) in sockets.iter_mut().enumerate() {
        let mut seen = vec![];
        loop {
            let v = ws_until(ws, 10, |_| true).await;
            let kind = v["type"].as_str().unwrap().to_owned();
            if kind == "team_score" {
                assert_eq!(v["team_id"], f.teams[*t].id, "a phone got another team's score: {v}");
            }
            if kinds.contains(&kind.as_str()) {
                seen.push(kind.clone());
            }
            if kind == "question_opened" {
                break;
            }
        }
        let count = |k: &str| seen.iter().filter(|x| *x == k).count();
        assert_eq!(count("question_opened"), 1, "socket {i}: {seen:?}");
        if i == last {
            // The late phone: its snapshot (a state with the part running) comes first.
            assert_eq!(seen[0], "state", "{seen:?}");
            assert_eq!(count("part_started"), 0, "the late phone's snapshot already has the part: {seen:?}");
        } else {
            let started = seen.iter().position(|k| k == "part_started").expect("part_started");
            assert_eq!(count("part_started"), 1, "socket {i}: {seen:?}");
            assert!(started < seen.len() - 1, "part_started comes before the question: {seen:?}");
        }
    }
    // Nothing is sent twice: within half a second no second question or start arrives.
    for (_, ws) in sockets.iter_mut().take(5) {
        let rest = drain(ws, 500).await;
        assert!(rest.iter().all(|v| v["type"] != "question_opened" && v["type"] != "part_started"), "{rest:?}");
    }
}

/// The projector link follows the contest as the audience: the question and the live
/// answer count, the distribution at the close, the public board; never the answer before
/// the reveal, a team's details or the staff board, and no API call at all. Teammates see
/// each other's answer; the console sees which teams answered.
#[tokio::test]
async fn the_projector_sees_what_the_audience_may_and_teammates_see_each_others_answer() {
    let app = spawn_app().await;
    let qs = vec![question(1, Solution::Single { option: 1 }, 60), question(2, Solution::Single { option: 0 }, 60)];
    let f = seed(&app, 2, 2, json!({}), "last_answer", qs).await;
    let (s, link) = app.post(&format!("/api/contests/{}/projector", f.cid), Some(&f.admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{link}");
    let token = link["token"].as_str().unwrap().to_owned();
    assert_eq!(link["path"], format!("/projector/{}#token={token}", f.cid));
    // The view-only token opens nothing but the live socket.
    for path in [format!("/api/contests/{}", f.cid), format!("/api/contests/{}/scoreboard", f.cid), "/api/me".into()] {
        let (s, b) = app.get(&path, Some(&token)).await;
        assert!(s == StatusCode::FORBIDDEN || s == StatusCode::UNAUTHORIZED, "{path}: {s} {b}");
    }
    let mut projector = app.ws(&token).await;
    let first = ws_until(&mut projector, 5, |v| v["type"] == "state").await;
    assert_eq!(first["state"]["contest_name"], "Hội thi tìm hiểu chuyên đề");
    ws_until(&mut projector, 5, |v| v["type"] == "public_scoreboard").await;
    let mut console = app.ws(&format!("{}&contest_id={}", f.admin, f.cid)).await;
    let mut mate = app.ws(&f.member(0, 1).token).await;
    ws_until(&mut mate, 5, |v| v["type"] == "state").await;
    let mut phone = app.ws(&f.member(0, 0).token).await;
    ws_until(&mut phone, 5, |v| v["type"] == "state").await;

    f.control(&app, "start").await;
    f.control(&app, "next").await;
    let opened = ws_until(&mut projector, 5, |v| v["type"] == "question_opened").await;
    assert_no_answer(&opened, "");
    let qid = opened["question_id"].as_i64().unwrap() as i32;
    let ack = answer_ws(&mut phone, qid, "p-1", json!({"choice": 2}), false).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    // The teammate learns what the team chose and who chose it.
    let seen = ws_until(&mut mate, 5, |v| v["type"] == "team_answer").await;
    assert_eq!(seen["answer"]["response"], json!({"choice": 2}));
    assert_eq!(seen["answer"]["submission_id"], "p-1");
    // The console learns which team answered; the projector only how many.
    let c = ws_until(&mut console, 5, |v| v["type"] == "countdown" && v["answered_teams"] == 1).await;
    assert_eq!(c["answered"], json!([f.teams[0].id]));
    let p = ws_until(&mut projector, 5, |v| v["type"] == "countdown" && v["answered_teams"] == 1).await;
    assert!(p.get("answered").is_none(), "{p}");
    let (_, b) = answer_http(&app, &f, f.member(1, 0), qid, "p-2", json!({"choice": 1})).await;
    assert_eq!(b["submission_id"], "p-2", "{b}");

    f.control(&app, "close").await;
    let closed = ws_until(&mut projector, 5, |v| v["type"] == "closed").await;
    let mut dist = closed["distribution"].as_array().unwrap().clone();
    dist.sort_by_key(|d| d[0].as_str().unwrap().to_owned());
    assert_eq!(dist, vec![json!(["B", 1]), json!(["C", 1])]);
    f.control(&app, "reveal").await;
    let revealed = ws_until(&mut projector, 5, |v| v["type"] == "revealed").await;
    assert!(!revealed["solution"].is_null(), "{revealed}");
    let board = ws_until(&mut projector, 5, |v| {
        v["type"] == "public_scoreboard" && v["rows"].as_array().is_some_and(|r| r.iter().any(|x| x["total"] != 0.0))
    })
    .await;
    assert_eq!(board["rows"][0]["team_id"], f.teams[1].id, "{board}");
    // Everything the projector got in the meantime: never the staff board, never a team's own frame.
    for v in drain(&mut projector, 400).await {
        assert!(!matches!(v["type"].as_str(), Some("scoreboard" | "team_score" | "team_answer" | "ack")), "{v}");
    }
    // A projector link of a contest that does not exist opens nothing.
    let forged = hoithi::auth::Claims::audience(9_999);
    let forged = app.state.keys.sign(&forged).unwrap();
    let r = app
        .client
        .get(format!("{}/api/live?token={forged}", app.addr))
        .header("Connection", "Upgrade")
        .header("Upgrade", "websocket")
        .header("Sec-WebSocket-Version", "13")
        .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn staff_see_each_questions_points_and_the_adjustments_and_the_projector_every_team() {
    let app = spawn_app().await;
    let qs = vec![question(1, Solution::Single { option: 1 }, 60), question(2, Solution::Single { option: 0 }, 60)];
    let f = seed(&app, 12, 1, json!({}), "last_answer", qs).await;
    let (_, link) = app.post(&format!("/api/contests/{}/projector", f.cid), Some(&f.admin), json!({})).await;
    let mut projector = app.ws(link["token"].as_str().unwrap()).await;
    let first = ws_until(&mut projector, 5, |v| v["type"] == "public_scoreboard").await;
    assert_eq!(first["rows"].as_array().unwrap().len(), 12, "the projector pages through every team: {first}");
    let mut judge = app.ws(&format!("{}&contest_id={}", f.admin, f.cid)).await;
    let snap = ws_until(&mut judge, 5, |v| v["type"] == "scoreboard").await;
    // The live board is light (the console shows no detail); the judge panel fetches the
    // detail over HTTP when the board changes.
    assert!(snap.get("detail").is_none(), "{snap}");
    let (_, snap) = app.get(&format!("/api/contests/{}/scoreboard", f.cid), Some(&f.admin)).await;
    let cols = snap["detail"]["questions"].as_array().unwrap();
    assert_eq!(cols.len(), 2, "{snap}");
    assert_eq!((cols[0]["no"].as_u64(), cols[0]["status"].as_str()), (Some(1), Some("pending")));

    f.control(&app, "start").await;
    f.control(&app, "next").await;
    let q1 = f.questions[0];
    let (s, _) = answer_http(&app, &f, f.member(3, 0), q1, "d-1", json!({"choice": 1})).await;
    assert_eq!(s, StatusCode::OK);
    f.control(&app, "close").await;
    let (s, _) = app
        .post(
            &format!("/api/contests/{}/adjustments", f.cid),
            Some(&f.admin),
            json!({"team_id": f.teams[5].id, "delta": 2.5, "reason": "Phúc khảo câu 1"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    ws_until(&mut judge, 5, |v| {
        v["type"] == "scoreboard"
            && v["board"]["rows"].as_array().unwrap().iter().any(|r| r["team_id"] == f.teams[5].id && r["total"] == 2.5)
    })
    .await;
    let (_, b) = app.get(&format!("/api/contests/{}/scoreboard", f.cid), Some(&f.admin)).await;
    let d = &b["detail"];
    assert_eq!(d["questions"][0]["status"], "closed");
    let mine = &d["results"][f.teams[3].id.to_string()];
    assert_eq!(mine[0]["question_id"], q1);
    assert_eq!(mine[0]["points"], 10.0);
    assert_eq!(mine[0]["correct"], true);
    assert_eq!(d["adjustments"][0]["reason"], "Phúc khảo câu 1");
    assert_eq!(d["adjustments"][0]["delta"], 2.5);
    assert_eq!(d["adjustments"][0]["team_id"], f.teams[5].id);
    // The projector never gets it.
    for v in drain(&mut projector, 400).await {
        assert!(v.get("detail").is_none(), "{v}");
    }
}

/// One contest on every core: the test server runs two HTTP workers, each keeps the
/// sockets it accepted, and each worker's shard of the contest's fan-out writes its own.
/// Every socket still gets its snapshot and then each event once and in order (a late
/// phone included), the console its staff frames, and the socket counts are totals over
/// the shards that follow sockets as they close.
#[tokio::test]
async fn a_contest_is_written_by_one_fan_out_shard_per_worker_and_counted_across_them() {
    let app = spawn_app().await;
    let qs = vec![question(1, Solution::Single { option: 0 }, 60), question(2, Solution::Single { option: 1 }, 60)];
    let f = seed(&app, 2, 6, json!({}), "last_answer", qs).await;
    let mut phones = vec![];
    for t in 0..2 {
        for m in 0..5 {
            let mut ws = app.ws(&f.member(t, m).token).await;
            ws_until(&mut ws, 5, |v| v["type"] == "state").await;
            phones.push((t, ws));
        }
    }
    let mut console = {
        let url = format!("ws://127.0.0.1:{}/api/live?token={}&contest_id={}", app.port, f.admin, f.cid);
        tokio_tungstenite::connect_async(url).await.unwrap().0
    };
    ws_until(&mut console, 5, |v| v["type"] == "state").await;
    // New connections go to the workers in turn: eleven sockets reach both.
    let h = app.state.hub.handle(f.cid).await.unwrap();
    assert_eq!(h.fanout().shards(), 2, "one shard per worker holding sockets of the contest");
    let (s, health) = app.get("/api/health/live", Some(&f.admin)).await;
    assert_eq!(s, StatusCode::OK, "{health}");
    assert_eq!(health["sockets"], json!({"total": 11, "staff": 1, "contestants": 10}), "{health}");

    f.control(&app, "start").await;
    f.control(&app, "next").await;
    // A phone that opens its socket with the question out gets it in its snapshot only.
    let mut late = app.ws(&f.member(1, 5).token).await;
    f.control(&app, "close").await;
    f.control(&app, "reveal").await;
    f.control(&app, "next").await;
    let (q1, q2) = (f.questions[0], f.questions[1]);
    let events = |v: &Value| match v["type"].as_str().unwrap() {
        "part_started" => Some("part_started".to_owned()),
        "question_opened" => Some(format!("opened {}", v["question_id"])),
        "closed" => Some(format!("closed {}", v["question_id"])),
        "revealed" => Some(format!("revealed {}", v["question_id"])),
        _ => None,
    };
    let expected: Vec<String> = vec![
        "part_started".into(),
        format!("opened {q1}"),
        format!("closed {q1}"),
        format!("revealed {q1}"),
        format!("opened {q2}"),
    ];
    for (t, ws) in phones.iter_mut() {
        let mut seen = vec![];
        while seen.len() < expected.len() {
            let v = ws_until(ws, 10, |_| true).await;
            if v["type"] == "team_score" {
                assert_eq!(v["team_id"], f.teams[*t].id, "a phone got another team's score: {v}");
            }
            seen.extend(events(&v));
        }
        assert_eq!(seen, expected);
    }
    let first = ws_until(&mut late, 5, |_| true).await;
    assert_eq!(first["type"], "state", "the snapshot comes first: {first}");
    assert_eq!(first["state"]["question"]["id"], q1, "{first}");
    let mut seen = vec![];
    while seen.len() < 3 {
        seen.extend(events(&ws_until(&mut late, 10, |_| true).await));
    }
    assert_eq!(seen, expected[2..].to_vec(), "the late phone gets what came after its snapshot");
    ws_until(&mut console, 5, |v| v["type"] == "question_opened" && v["question_id"] == q2).await;
    for (_, ws) in phones.iter_mut().take(4) {
        let rest = drain(ws, 300).await;
        assert!(rest.iter().all(|v| events(v).is_none()), "nothing twice: {rest:?}");
    }

    // Sockets that close leave the totals, whichever shard held them.
    for (_, mut ws) in phones.drain(..4) {
        ws.close(None).await.unwrap();
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let n = app.state.hub.observe().await;
        if (n.phone_sockets, n.staff_sockets) == (7, 1) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "counts after 4 phones closed: {n:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
