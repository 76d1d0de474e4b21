//! The buzzer part through the real server: presses over WebSocket ordered by the
//! server's receive order on every socket and in the stored rows, false starts, a wrong
//! answer with its penalty and lockout, a steal marked right, the steal window running
//! out, the board against a recomputation, and a restart that rebuilds the same state.
use std::sync::Arc;

use hoithi::domain::question::Solution;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Barrier;

use crate::helpers::{TestApp, Ws, spawn_app, ws_send, ws_until};
use crate::live::{Fixture, question, seed_kind};

async fn buzzer_fixture(app: &TestApp, teams: usize, scoring: Value, questions: usize) -> Fixture {
    let qs = (0..questions).map(|i| question(i, Solution::Single { option: 1 }, 30)).collect();
    seed_kind(app, "buzzer", teams, 1, scoring, "last_answer", qs).await
}

async fn control(app: &TestApp, f: &Fixture, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    app.request(Method::POST, &format!("/api/contests/{}/live/{path}", f.cid), Some(&f.admin), body).await
}

/// Presses the buzzer and waits for the answer to this press (its ack or its refusal).
async fn press(ws: &mut Ws, qid: i32) -> Value {
    ws_send(ws, json!({"type": "buzz", "question_id": qid})).await;
    ws_until(ws, 10, |v| v["type"] == "buzzed" || v["type"] == "error").await
}

/// The next buzzer view that satisfies `pred`.
async fn view_until(ws: &mut Ws, pred: impl Fn(&Value) -> bool) -> Value {
    ws_until(ws, 10, |v| v["type"] == "buzzer" && pred(&v["buzzer"])).await["buzzer"].clone()
}

fn order(view: &Value) -> Vec<i64> {
    view["presses"].as_array().unwrap().iter().map(|p| p["team_id"].as_i64().unwrap()).collect()
}

/// A staff socket (the organiser's console) following the contest.
async fn staff_ws(app: &TestApp, f: &Fixture) -> Ws {
    let url = format!("ws://127.0.0.1:{}/api/live?token={}&contest_id={}", app.port, f.admin, f.cid);
    tokio_tungstenite::connect_async(url).await.expect("websocket connect").0
}

async fn staff_state(app: &TestApp, f: &Fixture) -> Value {
    let (s, b) = app.get(&format!("/api/contests/{}/live", f.cid), Some(&f.admin)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

#[tokio::test]
async fn fifty_simultaneous_presses_are_ordered_by_the_servers_receive_order_on_every_socket() {
    let app = spawn_app().await;
    let f = buzzer_fixture(&app, 50, json!({"buzzer": {"false_start_lockout_s": 0}}), 1).await;
    let mut staff = vec![staff_ws(&app, &f).await, staff_ws(&app, &f).await];
    let mut phones = vec![];
    for t in &f.teams {
        phones.push(app.ws(&t.members[0].token).await);
    }
    f.control(&app, "start").await;
    f.control(&app, "next").await;
    let qid = f.questions[0];
    for ws in &mut staff {
        let v = view_until(ws, |b| b["question_id"] == qid).await;
        assert_eq!(v["phase"], "waiting", "no reading time: the organiser opens the buzzer");
    }
    let (s, b) = control(&app, &f, "buzzer/open", None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["buzzer"]["phase"], "open", "{b}");
    // Every phone learns that the buzzer is open, then all 50 press at once.
    for ws in &mut phones {
        view_until(ws, |b| b["phase"] == "open").await;
    }
    let barrier = Arc::new(Barrier::new(phones.len()));
    let tasks: Vec<_> = phones
        .into_iter()
        .map(|mut ws| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                ws_send(&mut ws, json!({"type": "buzz", "question_id": qid})).await;
                // The answer to the press, and the view with every press (which may come
                // first: one batch can hold them all).
                let (mut ack, mut view) = (Value::Null, Value::Null);
                while ack.is_null() || view.is_null() {
                    let m = ws_until(&mut ws, 10, |v| {
                        ["buzzed", "error", "buzzer"].contains(&v["type"].as_str().unwrap_or(""))
                    })
                    .await;
                    if m["type"] == "buzzer" {
                        if m["buzzer"]["presses_total"] == 50 {
                            view = m["buzzer"].clone();
                        }
                    } else {
                        ack = m;
                    }
                }
                (ws, ack, view)
            })
        })
        .collect();
    let mut acks = vec![];
    let mut phones = vec![];
    let mut phone_views = vec![];
    for t in tasks {
        let (ws, ack, view) = t.await.unwrap();
        assert_eq!(ack["type"], "buzzed", "every press after the opening is taken: {ack}");
        acks.push(ack["buzz"].clone());
        phones.push(ws);
        phone_views.push(view);
    }
    // The stored rows: one per team, seq 1..=50.
    let (s, stored) = app.get(&format!("/api/contests/{}/live/buzzes", f.cid), Some(&f.admin)).await;
    assert_eq!(s, StatusCode::OK, "{stored}");
    let stored = stored.as_array().unwrap();
    assert_eq!(stored.len(), 50);
    let seqs: Vec<i64> = stored.iter().map(|r| r["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=50).collect::<Vec<_>>());
    let stored_order: Vec<i64> = stored.iter().map(|r| r["team_id"].as_i64().unwrap()).collect();
    let received: Vec<i64> = stored.iter().map(|r| r["received_at"].as_i64().unwrap()).collect();
    assert!(received.windows(2).all(|w| w[0] <= w[1]), "receive order is time order: {received:?}");
    // Every press's own place is its place in the stored order.
    for a in &acks {
        let team = a["team_id"].as_i64().unwrap();
        let at = stored_order.iter().position(|t| *t == team).unwrap();
        assert_eq!(a["place"], at + 1, "{a}");
        assert_eq!(a["gap_ms"], received[at] - received[0], "{a}");
    }
    // Every staff socket sees the same whole order, with the first press as the winner.
    let mut seen = vec![];
    for ws in &mut staff {
        let v = view_until(ws, |b| b["presses_total"] == 50).await;
        assert_eq!(v["phase"], "answering");
        assert_eq!(v["winner"]["team_id"], stored_order[0]);
        let gaps: Vec<i64> = v["presses"].as_array().unwrap().iter().map(|p| p["gap_ms"].as_i64().unwrap()).collect();
        assert_eq!(gaps, received.iter().map(|r| r - received[0]).collect::<Vec<_>>());
        seen.push(order(&v));
    }
    assert_eq!(seen[0], stored_order);
    assert_eq!(seen[1], stored_order);
    // Phones get the head of the same order and the same winner.
    for v in &phone_views {
        assert_eq!(order(v), stored_order[..10].to_vec());
        assert_eq!(v["winner"]["team_id"], stored_order[0]);
    }
    // A second press of a team keeps its place and stores nothing.
    let again = press(&mut phones[7], qid).await;
    let team = f.teams[7].id as i64;
    assert_eq!(again["buzz"]["place"], stored_order.iter().position(|t| *t == team).unwrap() + 1, "{again}");
    let (_, stored) = app.get(&format!("/api/contests/{}/live/buzzes", f.cid), Some(&f.admin)).await;
    assert_eq!(stored.as_array().unwrap().len(), 50);
    // The state over HTTP carries the same order.
    assert_eq!(order(&staff_state(&app, &f).await["buzzer"]), stored_order);
}

#[tokio::test]
async fn a_false_start_a_wrong_answer_and_a_steal_then_the_board_equals_a_recomputation() {
    let app = spawn_app().await;
    let scoring = json!({"wrong_penalty": 5, "buzzer": {"steal_s": 2, "false_start_lockout_s": 3}});
    let f = buzzer_fixture(&app, 3, scoring, 2).await;
    let (a, b, c) = (f.teams[0].id as i64, f.teams[1].id as i64, f.teams[2].id as i64);
    let mut wa = app.ws(&f.member(0, 0).token).await;
    let mut wb = app.ws(&f.member(1, 0).token).await;
    let mut wc = app.ws(&f.member(2, 0).token).await;
    let mut projector = staff_ws(&app, &f).await;
    f.control(&app, "start").await;
    f.control(&app, "next").await;
    let q1 = f.questions[0];

    // Before the buzzer opens: a false start, refused, and team A is locked for 3 s.
    let before = now();
    let e = press(&mut wa, q1).await;
    assert_eq!(e["error"]["code"], "false_start", "{e}");
    let until = e["error"]["params"]["locked_until"].as_i64().unwrap();
    assert!(until >= before + 2900 && until <= now() + 3100, "{e}");
    let v = view_until(&mut projector, |b| !b["false_starts"].as_array().unwrap().is_empty()).await;
    assert_eq!(v["false_starts"][0]["team_id"], a);

    let (s, body) = control(&app, &f, "buzzer/open", None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let e = press(&mut wa, q1).await;
    assert_eq!(e["error"]["code"], "buzzer_locked", "still inside the false start's lockout: {e}");
    let first = press(&mut wb, q1).await;
    assert_eq!(first["buzz"]["place"], 1, "{first}");
    let second = press(&mut wc, q1).await;
    assert_eq!(second["buzz"]["place"], 2, "{second}");
    let v = view_until(&mut projector, |b| b["presses_total"] == 2).await;
    assert_eq!(v["winner"]["team_id"], b);

    // A mark meant for the wrong team is refused; B is marked wrong: −5, locked out.
    let (s, body) = control(&app, &f, "buzzer/mark", Some(json!({"correct": false, "team_id": c}))).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    let (s, body) = control(&app, &f, "buzzer/mark", Some(json!({"correct": false, "team_id": b}))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v = &body["buzzer"];
    assert_eq!(v["round"], 1);
    assert_eq!(v["phase"], "waiting");
    assert_eq!(v["locked_out"], json!([b]));
    assert_eq!(v["marks"][0]["points"], -5.0);
    let e = press(&mut wb, q1).await;
    assert_eq!(e["error"]["code"], "locked_out", "{e}");

    // The steal: reopened for 2 s; C takes it and is marked right (by the organiser).
    let (s, body) = control(&app, &f, "buzzer/open", None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let opens = body["buzzer"]["opens_at"].as_i64().unwrap();
    assert_eq!(body["buzzer"]["deadline_at"].as_i64().unwrap(), opens + 2000);
    let steal = press(&mut wc, q1).await;
    assert_eq!(steal["buzz"]["place"], 1, "{steal}");
    assert_eq!(steal["buzz"]["round"], 1, "{steal}");
    let e = press(&mut wb, q1).await;
    assert_eq!(e["error"]["code"], "locked_out", "{e}");
    let (s, body) = control(&app, &f, "buzzer/mark", Some(json!({"correct": true}))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["buzzer"]["status"], "closed");
    let points = body["buzzer"]["points"].as_f64().unwrap();
    assert!(points > 0.0);
    let e = press(&mut wa, q1).await;
    assert_eq!(e["error"]["code"], "buzzer_closed", "{e}");

    // Question 2: A is wrong, nobody takes the steal, the window closes by itself.
    f.control(&app, "next").await;
    let q2 = f.questions[1];
    control(&app, &f, "buzzer/open", None).await;
    // A's lockout from question 1 does not follow it.
    let p = press(&mut wa, q2).await;
    assert_eq!(p["buzz"]["place"], 1, "{p}");
    let (s, body) = control(&app, &f, "buzzer/mark", Some(json!({"correct": false, "team_id": a}))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    control(&app, &f, "buzzer/open", None).await;
    let v = view_until(&mut projector, |b| b["question_id"] == q2 && b["status"] == "closed").await;
    assert_eq!(v["marks"].as_array().unwrap().len(), 1, "nobody right: {v}");
    let e = press(&mut wc, q2).await;
    assert_eq!(e["error"]["code"], "buzzer_closed", "{e}");

    // The board: A −5, B −5, C +points; the live board equals a recomputation.
    let live = f.board(&app, false).await;
    let again = f.board(&app, true).await;
    assert_eq!(live, again);
    let total = |t: i64| {
        live["rows"].as_array().unwrap().iter().find(|r| r["team_id"] == t).unwrap()["total"].as_f64().unwrap()
    };
    assert_eq!((total(a), total(b), total(c)), (-5.0, -5.0, points));
    // Every mark is in the audit log.
    let (_, audit) = app.get(&format!("/api/contests/{}/audit", f.cid), Some(&f.admin)).await;
    let marks: Vec<&Value> = audit.as_array().unwrap().iter().filter(|e| e["action"] == "buzzer_mark").collect();
    assert_eq!(marks.len(), 3, "{audit}");
    assert_eq!(
        (marks[1]["detail"]["team_id"].as_i64(), marks[1]["detail"]["correct"].as_bool()),
        (Some(c), Some(true))
    );

    // A restart rebuilds the same question state from the stored rows.
    let before = staff_state(&app, &f).await;
    let app = app.restart().await;
    let after = staff_state(&app, &f).await;
    assert_eq!(before["buzzer"], after["buzzer"]);
    assert_eq!(f.board(&app, false).await, again);
    // And the reveal shows the answer and the public board.
    let (s, body) = control(&app, &f, "reveal", None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["buzzer"]["status"], "revealed");
    assert!(body["buzzer"]["solution"].is_object(), "{body}");
}

#[tokio::test]
async fn a_restart_in_the_middle_of_a_question_keeps_the_floor_and_the_lockouts() {
    let app = spawn_app().await;
    let scoring = json!({"buzzer": {"false_start_whole_question": true}});
    let f = buzzer_fixture(&app, 3, scoring, 1).await;
    let mut wa = app.ws(&f.member(0, 0).token).await;
    let mut wb = app.ws(&f.member(1, 0).token).await;
    f.control(&app, "start").await;
    f.control(&app, "next").await;
    let q = f.questions[0];
    let e = press(&mut wa, q).await;
    assert_eq!(e["error"]["code"], "false_start");
    assert_eq!(e["error"]["params"]["whole_question"], true);
    control(&app, &f, "buzzer/open", None).await;
    assert_eq!(press(&mut wb, q).await["buzz"]["place"], 1);
    let before = staff_state(&app, &f).await["buzzer"].clone();
    assert_eq!(before["winner"]["team_id"], f.teams[1].id);
    let app = app.restart().await;
    let after = staff_state(&app, &f).await["buzzer"].clone();
    assert_eq!(before, after);
    let mut wa = app.ws(&f.member(0, 0).token).await;
    let e = press(&mut wa, q).await;
    assert_eq!(e["error"]["code"], "buzzer_locked", "the false start still locks A: {e}");
    let (s, body) = control(&app, &f, "buzzer/mark", Some(json!({"correct": true, "team_id": f.teams[1].id}))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(f.board(&app, false).await, f.board(&app, true).await);
}

#[tokio::test]
async fn buzzer_settings_are_checked_and_named() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let cid = crate::fixtures::create_contest(&app, &admin, "Hội thi").await;
    let (s, b) = app
        .post(
            &format!("/api/contests/{cid}/parts"),
            Some(&admin),
            json!({"kind": "buzzer", "title": "Giành quyền", "max_points": 100, "weight": 1,
                   "scoring": {"buzzer": {"steal_s": 1000}}}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(b["error"]["field"], "scoring.buzzer.steal_s", "{b}");
    // Presses outside a buzzer part are refused by name.
    let f =
        crate::live::seed(&app, 1, 1, json!({}), "last_answer", vec![question(0, Solution::Single { option: 0 }, 30)])
            .await;
    let mut ws = app.ws(&f.member(0, 0).token).await;
    f.control(&app, "start").await;
    f.control(&app, "next").await;
    let e = press(&mut ws, f.questions[0]).await;
    assert_eq!(e["error"]["code"], "no_open_question", "{e}");
    let (s, body) = control(&app, &f, "buzzer/open", None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

#[tokio::test]
async fn a_voided_buzzer_question_reaches_every_screen_and_takes_no_more_presses() {
    let app = spawn_app().await;
    let f = buzzer_fixture(&app, 2, json!({"wrong_penalty": 5}), 2).await;
    let mut wa = app.ws(&f.member(0, 0).token).await;
    let mut staff = staff_ws(&app, &f).await;
    f.control(&app, "start").await;
    f.control(&app, "next").await;
    let q = f.questions[0];
    control(&app, &f, "buzzer/open", None).await;
    assert_eq!(press(&mut wa, q).await["buzz"]["place"], 1);
    control(&app, &f, "buzzer/mark", Some(json!({"correct": false}))).await;
    let (s, body) = control(&app, &f, "void", Some(json!({"question_id": q, "reason": "Đề in sai"}))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v = view_until(&mut staff, |b| b["status"] == "voided").await;
    assert_eq!(v["question_id"], q);
    let e = press(&mut wa, q).await;
    assert_eq!(e["error"]["code"], "buzzer_closed", "{e}");
    // The wrong answer's penalty no longer counts.
    let live = f.board(&app, false).await;
    assert_eq!(live, f.board(&app, true).await);
    assert!(live["rows"].as_array().unwrap().iter().all(|r| r["total"] == 0.0), "{live}");
    // The next question opens as usual.
    f.control(&app, "next").await;
}

// ---- typed answers (`scoring.buzzer.typed_answer`)

fn text_question(i: usize, accepted: &str) -> hoithi::domain::question::Question {
    question(i, Solution::ShortText { accepted: vec![accepted.into()] }, 30)
}

async fn typed_fixture(app: &TestApp, teams: usize, members: usize) -> Fixture {
    let scoring =
        json!({"wrong_penalty": 5, "buzzer": {"typed_answer": true, "steal_s": 0, "false_start_lockout_s": 0}});
    let qs =
        vec![text_question(0, "Nguyễn Ái Quốc"), question(1, Solution::Number { value: 1930.0, tolerance: 0.0 }, 30)];
    seed_kind(app, "buzzer", teams, members, scoring, "last_answer", qs).await
}

/// Sends an answer over the socket and waits for its ack or its refusal.
async fn type_ws(ws: &mut Ws, qid: i32, sid: &str, response: Value) -> Value {
    ws_send(ws, json!({"type": "answer", "submission_id": sid, "question_id": qid, "response": response})).await;
    ws_until(ws, 10, |v| (v["type"] == "ack" && v["ack"]["submission_id"] == sid) || v["type"] == "error").await
}

/// Sends an answer over HTTP (the phone's path when its socket is down).
async fn type_http(
    app: &TestApp,
    f: &Fixture,
    t: usize,
    m: usize,
    qid: i32,
    sid: &str,
    response: Value,
) -> (StatusCode, Value) {
    crate::live::answer_http(app, f, f.member(t, m), qid, sid, response).await
}

async fn stored_answers(app: &TestApp, f: &Fixture) -> Vec<Value> {
    let (s, b) = app.get(&format!("/api/contests/{}/answers", f.cid), Some(&f.admin)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["answers"].as_array().unwrap().clone()
}

fn total(board: &Value, team: i64) -> f64 {
    board["rows"].as_array().unwrap().iter().find(|r| r["team_id"] == team).unwrap()["total"].as_f64().unwrap()
}

#[tokio::test]
async fn a_typed_answer_is_matched_like_a_quiz_answer_and_marks_the_floor_by_itself() {
    let app = spawn_app().await;
    let f = typed_fixture(&app, 3, 2).await;
    let (a, b, c) = (f.teams[0].id as i64, f.teams[1].id as i64, f.teams[2].id as i64);
    let mut wa = app.ws(&f.member(0, 0).token).await;
    let mut wb = app.ws(&f.member(1, 0).token).await;
    let mut staff = staff_ws(&app, &f).await;
    f.control(&app, "start").await;
    f.control(&app, "next").await;
    let q1 = f.questions[0];
    assert_eq!(staff_state(&app, &f).await["buzzer"]["typed_answer"], true);

    // Nobody has the floor yet: nobody types.
    let (s, e) = type_http(&app, &f, 0, 0, q1, "a-early", json!({"text": "Nguyễn Ái Quốc"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("no_floor")), "{e}");
    control(&app, &f, "buzzer/open", None).await;
    assert_eq!(press(&mut wa, q1).await["buzz"]["place"], 1);
    assert_eq!(press(&mut wb, q1).await["buzz"]["place"], 2);

    // Only the team with the floor may type: the others are told who has it.
    for (t, sid) in [(1, "b-1"), (2, "c-1")] {
        let (s, e) = type_http(&app, &f, t, 0, q1, sid, json!({"text": "Nguyễn Ái Quốc"})).await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        assert_eq!(e["error"]["code"], "not_your_floor", "{e}");
        assert_eq!(e["error"]["params"]["floor_team_id"], a, "{e}");
    }
    let e = type_ws(&mut wb, q1, "b-2", json!({"text": "x"})).await;
    assert_eq!(e["error"]["code"], "not_your_floor", "over the socket too: {e}");
    // A response of the wrong shape is refused by name; A keeps the floor.
    let (s, e) = type_http(&app, &f, 0, 1, q1, "a-shape", json!({"number": 7})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("response")), "{e}");
    assert!(stored_answers(&app, &f).await.is_empty(), "nothing refused is stored");

    // A types a wrong answer: the same as the organiser's wrong mark — the penalty, the
    // lockout, and the question waits to be opened to the others.
    let ack = type_ws(&mut wa, q1, "a-1", json!({"text": "Hồ Chí Minh"})).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["ack"]["question_id"], q1);
    let v = view_until(&mut staff, |v| !v["marks"].as_array().unwrap().is_empty()).await;
    assert_eq!(v["round"], 1);
    assert_eq!(v["phase"], "waiting");
    assert_eq!(v["locked_out"], json!([a]));
    assert_eq!(v["marks"][0]["points"], -5.0);
    assert_eq!(v["answers"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["answers"][0]["team_id"], a);
    assert_eq!(v["answers"][0]["response"], json!({"text": "Hồ Chí Minh"}));
    assert_eq!((v["answers"][0]["correct"].as_bool(), v["answers"][0]["round"].as_i64()), (Some(false), Some(0)));
    // The same submission again (the phone's outbox after a lost ack) gets the same ack and
    // is stored once; another answer of A is refused: A is out of this question.
    let (s, again) = type_http(&app, &f, 0, 0, q1, "a-1", json!({"text": "Hồ Chí Minh"})).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again, ack["ack"]);
    let (s, e) = type_http(&app, &f, 0, 1, q1, "a-2", json!({"text": "Nguyễn Ái Quốc"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("locked_out")), "{e}");
    let stored = stored_answers(&app, &f).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!((stored[0]["team_id"].as_i64(), stored[0]["submission_id"].as_str()), (Some(a), Some("a-1")));
    // B pressed in round 0, but the steal is a new round: B must press again first.
    let (s, e) = type_http(&app, &f, 1, 0, q1, "b-3", json!({"text": "Nguyễn Ái Quốc"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("no_floor")), "{e}");

    // The steal: C takes it and types (HTTP, its second member) the right answer written
    // without diacritics: matched like a quiz short answer, C earns the points.
    control(&app, &f, "buzzer/open", None).await;
    let mut wc = app.ws(&f.member(2, 1).token).await;
    assert_eq!(press(&mut wc, q1).await["buzz"]["place"], 1);
    let (s, ack) = type_http(&app, &f, 2, 1, q1, "c-2", json!({"text": "nguyen ai quoc"})).await;
    assert_eq!(s, StatusCode::OK, "{ack}");
    let v = view_until(&mut staff, |v| v["status"] == "closed").await;
    assert_eq!(v["marks"].as_array().unwrap().len(), 2);
    assert_eq!((v["marks"][1]["team_id"].as_i64(), v["marks"][1]["correct"].as_bool()), (Some(c), Some(true)));
    assert_eq!(v["answers"][1]["response"], json!({"text": "nguyen ai quoc"}));
    assert_eq!((v["answers"][1]["correct"].as_bool(), v["answers"][1]["round"].as_i64()), (Some(true), Some(1)));
    let points = v["points"].as_f64().unwrap();
    // Every screen sees the typed texts with their marks: a phone of the team that did not
    // answer reads the same list.
    let (_, phone_state) = app.get(&format!("/api/contests/{}/live", f.cid), Some(&f.member(1, 1).token)).await;
    assert_eq!(phone_state["buzzer"]["answers"], v["answers"], "{phone_state}");
    let (s, e) = type_http(&app, &f, 2, 0, q1, "c-3", json!({"text": "Nguyễn Ái Quốc"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("buzzer_closed")), "{e}");

    // Question 2, a number: "1.930" is read the Vietnamese way (thousands), right.
    f.control(&app, "next").await;
    let q2 = f.questions[1];
    control(&app, &f, "buzzer/open", None).await;
    assert_eq!(press(&mut wb, q2).await["buzz"]["place"], 1);
    let ack = type_ws(&mut wb, q2, "b-q2", json!({"number": "1.930"})).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let v = view_until(&mut staff, |v| v["question_id"] == q2 && v["status"] == "closed").await;
    assert_eq!(v["answers"][0]["response"], json!({"number": 1930.0}));
    assert_eq!(v["marks"][0]["correct"], true);

    // The board: A −5, B +10, C +10 — and the live board equals a recomputation.
    let live = f.board(&app, false).await;
    assert_eq!(live, f.board(&app, true).await);
    assert_eq!((total(&live, a), total(&live, b), total(&live, c)), (-5.0, points, points));
    // Each automatic mark is in the audit log, with the typed answer and who typed it.
    let (_, audit) = app.get(&format!("/api/contests/{}/audit", f.cid), Some(&f.admin)).await;
    let marks: Vec<&Value> = audit.as_array().unwrap().iter().filter(|e| e["action"] == "buzzer_mark").collect();
    assert_eq!(marks.len(), 3, "{audit}");
    assert!(marks[0]["actor"].as_str().unwrap().starts_with("contestant:"), "{}", marks[0]);
    assert_eq!(marks[0]["detail"]["typed_answer"], json!({"text": "Hồ Chí Minh"}));
    assert_eq!(marks[0]["detail"]["submission_id"], "a-1");
}

#[tokio::test]
async fn the_organiser_still_marks_by_hand_and_a_part_without_typed_answers_refuses_them() {
    let app = spawn_app().await;
    let f = typed_fixture(&app, 2, 1).await;
    let mut wa = app.ws(&f.member(0, 0).token).await;
    f.control(&app, "start").await;
    f.control(&app, "next").await;
    let q1 = f.questions[0];
    control(&app, &f, "buzzer/open", None).await;
    assert_eq!(press(&mut wa, q1).await["buzz"]["place"], 1);
    // The team answers aloud instead (its phone died): the organiser marks it right by hand;
    // the floor is gone, so a typed answer coming late is refused and changes nothing.
    let (s, body) = control(&app, &f, "buzzer/mark", Some(json!({"correct": true, "team_id": f.teams[0].id}))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, e) = type_http(&app, &f, 0, 0, q1, "late", json!({"text": "sai"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("buzzer_closed")), "{e}");
    assert!(stored_answers(&app, &f).await.is_empty());
    // Voiding the question takes its points away, as for any buzzer question.
    control(&app, &f, "void", Some(json!({"question_id": q1, "reason": "Đề in sai"}))).await;
    let live = f.board(&app, false).await;
    assert_eq!(live, f.board(&app, true).await);
    assert!(live["rows"].as_array().unwrap().iter().all(|r| r["total"] == 0.0), "{live}");

    // Without `typed_answer` the team with the floor answers aloud: a typed answer is refused.
    let app = spawn_app().await;
    let plain = buzzer_fixture(&app, 2, json!({"buzzer": {"false_start_lockout_s": 0}}), 1).await;
    let mut wp = app.ws(&plain.member(0, 0).token).await;
    plain.control(&app, "start").await;
    plain.control(&app, "next").await;
    control(&app, &plain, "buzzer/open", None).await;
    assert_eq!(press(&mut wp, plain.questions[0]).await["buzz"]["place"], 1);
    let e = type_ws(&mut wp, plain.questions[0], "p-1", json!({"choice": 1})).await;
    assert_eq!(e["error"]["code"], "typed_answer_off", "{e}");
    assert_eq!(staff_state(&app, &plain).await["buzzer"]["typed_answer"], false);
}

#[tokio::test]
async fn a_restart_in_the_middle_of_a_typed_question_rebuilds_the_floor_the_answer_and_its_mark() {
    let app = spawn_app().await;
    let f = typed_fixture(&app, 3, 1).await;
    let mut wa = app.ws(&f.member(0, 0).token).await;
    f.control(&app, "start").await;
    f.control(&app, "next").await;
    let q1 = f.questions[0];
    control(&app, &f, "buzzer/open", None).await;
    assert_eq!(press(&mut wa, q1).await["buzz"]["place"], 1);

    // A restart while A has the floor: A still has it and may type.
    let app = app.restart().await;
    let v = staff_state(&app, &f).await["buzzer"].clone();
    assert_eq!(v["winner"]["team_id"], f.teams[0].id);
    let (s, ack) = type_http(&app, &f, 0, 0, q1, "a-1", json!({"text": "Phan Bội Châu"})).await;
    assert_eq!(s, StatusCode::OK, "{ack}");
    let before = staff_state(&app, &f).await["buzzer"].clone();
    assert_eq!(before["answers"][0]["correct"], false);
    assert_eq!(before["round"], 1);

    // Another restart: the same answer, mark, round and lockout; the same submission sent
    // again gets the same ack and nothing more is stored.
    let app = app.restart().await;
    let after = staff_state(&app, &f).await["buzzer"].clone();
    assert_eq!(before, after);
    let (s, again) = type_http(&app, &f, 0, 0, q1, "a-1", json!({"text": "Phan Bội Châu"})).await;
    assert_eq!((s, &again), (StatusCode::OK, &ack));
    assert_eq!(stored_answers(&app, &f).await.len(), 1);
    let mut wb = app.ws(&f.member(1, 0).token).await;
    control(&app, &f, "buzzer/open", None).await;
    let mut wa = app.ws(&f.member(0, 0).token).await;
    let e = press(&mut wa, q1).await;
    assert_eq!(e["error"]["code"], "locked_out", "{e}");
    assert_eq!(press(&mut wb, q1).await["buzz"]["place"], 1);
    let ack = type_ws(&mut wb, q1, "b-1", json!({"text": "Nguyễn Ái Quốc"})).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let live = f.board(&app, false).await;
    assert_eq!(live, f.board(&app, true).await);
    assert_eq!(total(&live, f.teams[0].id as i64), -5.0);
    assert_eq!(total(&live, f.teams[1].id as i64), 10.0);
}
