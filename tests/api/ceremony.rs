//! The whole contest's end through the real server: the public board frozen while staff
//! keep the live one, the awards ceremony revealing it from the bottom up (surviving a
//! restart), shared prizes confirmed by the organiser, and a tie-break part played only by
//! the tied teams.
use std::time::Duration;

use futures_util::StreamExt;
use hoithi::domain::question::Solution;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::fixtures::{create_part, set_part_questions};
use crate::helpers::{TestApp, Ws, spawn_app, ws_until};
use crate::live::{Fixture, question, seed};

async fn answer(app: &TestApp, f: &Fixture, team: usize, qid: i32, sid: &str, choice: usize) -> (StatusCode, Value) {
    app.post(
        &format!("/api/contests/{}/answers", f.cid),
        Some(&f.member(team, 0).token),
        json!({"submission_id": sid, "question_id": qid, "response": {"choice": choice}}),
    )
    .await
}

async fn board_op(app: &TestApp, f: &Fixture, op: &str) -> (StatusCode, Value) {
    app.request(Method::POST, &format!("/api/contests/{}/live/board/{op}", f.cid), Some(&f.admin), None).await
}

async fn staff_ws(app: &TestApp, f: &Fixture) -> Ws {
    let url = format!("ws://127.0.0.1:{}/api/live?token={}&contest_id={}", app.port, f.admin, f.cid);
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

async fn projector_ws(app: &TestApp, f: &Fixture) -> Ws {
    let (s, link) = app.post(&format!("/api/contests/{}/projector", f.cid), Some(&f.admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{link}");
    app.ws(link["token"].as_str().unwrap()).await
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

/// (team_id, total) of each row of a board or public board, in order.
fn rows(v: &Value) -> Vec<(i64, f64)> {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["team_id"].as_i64().unwrap(), r["total"].as_f64().unwrap()))
        .collect()
}

fn tid(f: &Fixture, i: usize) -> i64 {
    f.teams[i].id as i64
}

#[tokio::test]
async fn a_frozen_board_stays_on_the_projector_and_phones_while_staff_see_it_live_and_the_reveal_goes_bottom_up() {
    let app = spawn_app().await;
    let qs = vec![question(1, Solution::Single { option: 1 }, 60), question(2, Solution::Single { option: 1 }, 60)];
    let f = seed(&app, 4, 1, json!({}), "captain_only", qs).await;
    let (q1, q2) = (f.questions[0], f.questions[1]);
    // Ties shown as ties, no answer-time tie-breaker.
    let (s, b) = app
        .request(
            Method::PUT,
            &format!("/api/contests/{}/tie-breakers", f.cid),
            Some(&f.admin),
            Some(json!({"tie_breakers": []})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");

    // Question 1: teams 1–3 right (10 each), team 4 wrong; then +3 and +2 corrections.
    f.control(&app, "start").await;
    f.control(&app, "next").await;
    for (t, choice) in [(0, 1), (1, 1), (2, 1), (3, 0)] {
        let (s, b) = answer(&app, &f, t, q1, &format!("q1-{t}"), choice).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    f.control(&app, "close").await;
    f.control(&app, "reveal").await;
    for (t, delta) in [(0, 3), (1, 2)] {
        let (s, b) = app
            .post(
                &format!("/api/contests/{}/adjustments", f.cid),
                Some(&f.admin),
                json!({"team_id": tid(&f, t), "part_id": f.pid, "delta": delta, "reason": "Phúc khảo"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let frozen_rows = vec![(tid(&f, 0), 13.0), (tid(&f, 1), 12.0), (tid(&f, 2), 10.0), (tid(&f, 3), 0.0)];

    let mut staff = staff_ws(&app, &f).await;
    let mut projector = projector_ws(&app, &f).await;
    let mut phone3 = app.ws(&f.member(2, 0).token).await;
    ws_until(&mut phone3, 5, |v| v["type"] == "team_score" && v["total"] == 10.0).await;
    ws_until(&mut projector, 5, |v| v["type"] == "public_scoreboard").await;

    // Freeze: every socket hears of it; the projector's and phones' board stays.
    let (s, view) = board_op(&app, &f, "freeze").await;
    assert_eq!(s, StatusCode::OK, "{view}");
    assert_eq!(view["frozen"], true);
    assert_eq!((view["teams"].as_u64(), view["revealed"].as_u64()), (Some(4), Some(0)));
    let bottom_up: Vec<i64> =
        view["steps"].as_array().unwrap().iter().map(|s| s["team_id"].as_i64().unwrap()).collect();
    assert_eq!(bottom_up, vec![tid(&f, 3), tid(&f, 2), tid(&f, 1), tid(&f, 0)], "staff see every row, bottom first");
    let (s, again) = board_op(&app, &f, "freeze").await;
    assert_eq!((s, again["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("invalid_state")));
    let c = ws_until(&mut projector, 5, |v| v["type"] == "ceremony").await;
    assert_eq!(
        (c["ceremony"]["frozen"].as_bool(), c["ceremony"]["steps"].as_array().map(Vec::len)),
        (Some(true), Some(0))
    );
    let c = ws_until(&mut phone3, 5, |v| v["type"] == "ceremony").await;
    assert_eq!(c["ceremony"]["frozen"], true);
    assert!(c["ceremony"]["steps"].as_array().unwrap().is_empty(), "phones are not given the ceremony: {c}");

    // Question 2: team 3 answers right, which puts it first on the live board.
    f.control(&app, "next").await;
    let (s, b) = answer(&app, &f, 2, q2, "q2-2", 1).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    f.control(&app, "close").await;
    f.control(&app, "reveal").await;
    let live = ws_until(&mut staff, 5, |v| v["type"] == "scoreboard" && v["board"]["rows"][0]["total"] == 20.0).await;
    assert_eq!(rows(&live["board"])[0], (tid(&f, 2), 20.0), "staff keep the live board");
    // The projector and the phone saw the reveal of the answer but not the board move.
    let seen_p = drain(&mut projector, 800).await;
    let seen_3 = drain(&mut phone3, 100).await;
    assert!(seen_p.iter().any(|v| v["type"] == "revealed"), "{seen_p:?}");
    for v in seen_p.iter().chain(&seen_3) {
        if v["type"] == "public_scoreboard" {
            assert_eq!(rows(v), frozen_rows, "a public board after the freeze must be the frozen one: {v}");
        }
        if v["type"] == "team_score" {
            assert_eq!((v["total"].as_f64(), v["rank"].as_u64()), (Some(10.0), Some(3)), "{v}");
            assert_eq!(v["results"].as_array().unwrap().len(), 1, "question 2's result comes after the unfreeze: {v}");
        }
    }
    // A phone and a projector that connect now get the frozen board too.
    let mut late = app.ws(&f.member(2, 0).token).await;
    let first = drain(&mut late, 600).await;
    let pb = first.iter().find(|v| v["type"] == "public_scoreboard").expect("a board on connect");
    assert_eq!(rows(pb), frozen_rows);
    let ts = first.iter().find(|v| v["type"] == "team_score").expect("the team's score on connect");
    assert_eq!((ts["total"].as_f64(), ts["rank"].as_u64()), (Some(10.0), Some(3)), "{ts}");
    let mut late_p = projector_ws(&app, &f).await;
    let first = drain(&mut late_p, 600).await;
    let pb = first.iter().find(|v| v["type"] == "public_scoreboard").expect("a board on connect");
    assert_eq!(rows(pb), frozen_rows);
    drop((late, late_p));
    let (_, public) = app.get(&format!("/api/contests/{}/scoreboard", f.cid), Some(&f.member(2, 0).token)).await;
    assert_eq!(rows(&public), frozen_rows, "{public}");
    assert_eq!((public["team"]["total"].as_f64(), public["team"]["rank"].as_u64()), (Some(10.0), Some(3)));
    let (_, staff_board) = app.get(&format!("/api/contests/{}/scoreboard", f.cid), Some(&f.admin)).await;
    assert_eq!(rows(&staff_board["board"])[0], (tid(&f, 2), 20.0));

    // Two reveal steps: the bottom two teams, with their rank, total and prize.
    for (step, team, rank, total, prize) in [(1, 3, 4, 0.0, "Giải ba"), (2, 2, 3, 10.0, "Giải ba")] {
        let (s, view) = board_op(&app, &f, "reveal").await;
        assert_eq!(s, StatusCode::OK, "{view}");
        assert_eq!(view["revealed"], step);
        let c = ws_until(&mut projector, 5, |v| v["type"] == "ceremony" && v["ceremony"]["revealed"] == step).await;
        let steps = c["ceremony"]["steps"].as_array().unwrap();
        assert_eq!(steps.len(), step, "the projector gets the revealed teams only: {c}");
        let last = &steps[step - 1];
        assert_eq!(last["team_id"].as_i64(), Some(tid(&f, team)));
        assert_eq!((last["rank"].as_u64(), last["total"].as_f64()), (Some(rank), Some(total)));
        assert_eq!(last["prize"]["name"], prize);
        assert_eq!(last["team_name"], format!("Đội {}", team + 1));
    }
    drop((staff, projector, phone3));

    // A restart keeps the freeze and how far the reveal went.
    let app = app.restart().await;
    let mut projector = projector_ws(&app, &f).await;
    let first = drain(&mut projector, 600).await;
    let board = first.iter().find(|v| v["type"] == "public_scoreboard").expect("a board on connect");
    assert_eq!(rows(board), frozen_rows);
    let c = first.iter().find(|v| v["type"] == "ceremony").expect("the ceremony on connect");
    assert_eq!(
        (c["ceremony"]["revealed"].as_u64(), c["ceremony"]["steps"].as_array().map(Vec::len)),
        (Some(2), Some(2))
    );
    let mut phone3 = app.ws(&f.member(2, 0).token).await;
    let ts = ws_until(&mut phone3, 5, |v| v["type"] == "team_score").await;
    assert_eq!(ts["total"], 10.0);
    let mut staff = staff_ws(&app, &f).await;
    let sb = ws_until(&mut staff, 5, |v| v["type"] == "scoreboard").await;
    assert_eq!(rows(&sb["board"])[0], (tid(&f, 2), 20.0));

    for (step, team, prize) in [(3, 1, "Giải nhì"), (4, 0, "Giải nhất")] {
        let (s, view) = board_op(&app, &f, "reveal").await;
        assert_eq!(s, StatusCode::OK, "{view}");
        let c = ws_until(&mut projector, 5, |v| v["type"] == "ceremony" && v["ceremony"]["revealed"] == step).await;
        let last = &c["ceremony"]["steps"][step - 1];
        assert_eq!((last["team_id"].as_i64(), last["prize"]["name"].as_str()), (Some(tid(&f, team)), Some(prize)));
    }
    let (s, b) = board_op(&app, &f, "reveal").await;
    assert_eq!((s, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("invalid_state")), "{b}");

    // Unfreeze: the live board reaches the projector and phones.
    let (s, view) = board_op(&app, &f, "unfreeze").await;
    assert_eq!((s, view["frozen"].as_bool()), (StatusCode::OK, Some(false)), "{view}");
    let pb = ws_until(&mut projector, 5, |v| v["type"] == "public_scoreboard").await;
    assert_eq!(rows(&pb)[0], (tid(&f, 2), 20.0));
    let ts = ws_until(&mut phone3, 5, |v| v["type"] == "team_score" && v["total"] == 20.0).await;
    assert_eq!(ts["rank"], 1);
    let (s, b) = board_op(&app, &f, "unfreeze").await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");

    let (_, audit) = app.get(&format!("/api/contests/{}/audit", f.cid), Some(&f.admin)).await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .filter(|a| a.starts_with("board_"))
        .collect();
    assert_eq!(
        actions,
        ["board_freeze", "board_reveal", "board_reveal", "board_reveal", "board_reveal", "board_unfreeze"]
    );
    // Contestants cannot drive the board.
    let (s, _) = app
        .request(Method::POST, &format!("/api/contests/{}/live/board/freeze", f.cid), Some(&f.member(0, 0).token), None)
        .await;
    assert!(s == StatusCode::FORBIDDEN || s == StatusCode::UNAUTHORIZED, "{s}");
}

#[tokio::test]
async fn a_prize_tie_waits_for_confirmation_and_a_tie_break_part_among_the_tied_teams_decides() {
    let app = spawn_app().await;
    let qs = vec![question(1, Solution::Single { option: 1 }, 60), question(2, Solution::Single { option: 0 }, 60)];
    let f = seed(&app, 3, 1, json!({}), "captain_only", qs).await;
    // Question 2 goes to the tie-break part: keep only question 1 in the first part.
    let path = format!("/api/contests/{}/parts/{}/questions", f.cid, f.pid);
    let (_, pq) = app.get(&path, Some(&f.admin)).await;
    let bank_ids: Vec<i64> =
        pq["questions"].as_array().unwrap().iter().map(|q| q["question_id"].as_i64().unwrap()).collect();
    let rows1 = set_part_questions(&app, &f.admin, f.cid as i64, f.pid as i64, &bank_ids[..1]).await;
    let q1 = rows1["questions"][0]["id"].as_i64().unwrap() as i32;
    let (s, b) = app
        .request(
            Method::PUT,
            &format!("/api/contests/{}/tie-breakers", f.cid),
            Some(&f.admin),
            Some(json!({"tie_breakers": []})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");

    // Bad tie-break settings name their field and create nothing.
    let base = json!({"kind": "quiz", "title": "Câu hỏi phụ", "max_points": 10, "time_per_question_s": 0});
    for (extra, field) in [
        (json!({"tie_break_teams": [tid(&f, 0)]}), "tie_break_teams"),
        (json!({"tie_break_teams": [tid(&f, 0), 999_999]}), "tie_break_teams[1]"),
        (json!({"tie_break_teams": [tid(&f, 0), tid(&f, 0)]}), "tie_break_teams[1]"),
        (
            json!({"kind": "judged", "tie_break_teams": [tid(&f, 0), tid(&f, 1)],
                   "rubric": {"criteria": [{"name": "Nội dung", "max_points": 10}]}}),
            "tie_break_teams",
        ),
    ] {
        let mut body = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, b) = app.post(&format!("/api/contests/{}/parts", f.cid), Some(&f.admin), body).await;
        assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{b}");
    }
    let (_, parts) = app.get(&format!("/api/contests/{}/parts", f.cid), Some(&f.admin)).await;
    assert_eq!(parts.as_array().unwrap().len(), 1);

    let mut body = base.clone();
    body["tie_break_teams"] = json!([tid(&f, 1), tid(&f, 0)]);
    let tb = create_part(&app, &f.admin, f.cid as i64, body).await;
    let rows2 = set_part_questions(&app, &f.admin, f.cid as i64, tb, &bank_ids[1..]).await;
    let q2 = rows2["questions"][0]["id"].as_i64().unwrap() as i32;
    let (_, part) = app.get(&format!("/api/contests/{}/parts/{tb}", f.cid), Some(&f.admin)).await;
    assert_eq!(part["tie_break_teams"], json!([tid(&f, 0), tid(&f, 1)]));

    // Teams 1 and 2 both right: tied first, one giải nhất.
    f.control(&app, "start").await;
    f.control(&app, "next").await;
    for (t, choice) in [(0, 1), (1, 1), (2, 0)] {
        assert_eq!(answer(&app, &f, t, q1, &format!("a{t}"), choice).await.0, StatusCode::OK);
    }
    f.control(&app, "close").await;
    f.control(&app, "reveal").await;
    f.control(&app, "finish").await;

    // Frozen now, the tie at giải nhất waits for the organiser.
    let (s, view) = board_op(&app, &f, "freeze").await;
    assert_eq!(s, StatusCode::OK, "{view}");
    assert_eq!(view["ties"][0]["rank"], 1);
    assert_eq!(view["ties"][0]["prize"], "Giải nhất");
    assert_eq!(view["ties_confirmed"], false);
    let (s, v) = board_op(&app, &f, "reveal").await;
    assert_eq!(s, StatusCode::OK, "the third team is no tie: {v}");
    let (s, v) = board_op(&app, &f, "reveal").await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("prize_tie_pending")), "{v}");
    let (s, v) = board_op(&app, &f, "confirm-ties").await;
    assert_eq!((s, v["ties_confirmed"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
    let (s, v) = board_op(&app, &f, "reveal").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let shown = &v["steps"][1];
    assert_eq!((shown["rank"].as_u64(), shown["prize"]["name"].as_str()), (Some(1), Some("Giải nhất")));
    assert_eq!((shown["prize"]["shared"].as_bool(), shown["prize"]["pending"].as_bool()), (Some(true), Some(false)));

    // The organiser would rather break the tie: unfreeze and run the tie-break part.
    assert_eq!(board_op(&app, &f, "unfreeze").await.0, StatusCode::OK);
    let (s, st) =
        app.request(Method::POST, &format!("/api/contests/{}/parts/{tb}/start", f.cid), Some(&f.admin), None).await;
    assert_eq!(s, StatusCode::OK, "{st}");
    assert_eq!(st["part"]["tie_break_teams"], json!([tid(&f, 0), tid(&f, 1)]));
    let mut phone3 = app.ws(&f.member(2, 0).token).await;
    let hello = ws_until(&mut phone3, 5, |v| v["type"] == "state").await;
    assert_eq!(hello["state"]["part"]["tie_break_teams"], json!([tid(&f, 0), tid(&f, 1)]));
    let (s, st) = app.request(Method::POST, &format!("/api/contests/{}/live/next", f.cid), Some(&f.admin), None).await;
    assert_eq!(s, StatusCode::OK, "{st}");
    let (s, b) = answer(&app, &f, 2, q2, "tb-outsider", 0).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a team that is not tied cannot answer: {b}");
    assert_eq!(answer(&app, &f, 1, q2, "tb-1", 0).await.0, StatusCode::OK);
    assert_eq!(answer(&app, &f, 0, q2, "tb-0", 1).await.0, StatusCode::OK);
    for op in ["close", "reveal"] {
        let (s, b) =
            app.request(Method::POST, &format!("/api/contests/{}/live/{op}", f.cid), Some(&f.admin), None).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }

    // Team 2 is first; the tie-break points are not in its total.
    let (_, board) = app.get(&format!("/api/contests/{}/scoreboard?recompute=true", f.cid), Some(&f.admin)).await;
    let board = &board["board"];
    assert_eq!(rows(board), vec![(tid(&f, 1), 10.0), (tid(&f, 0), 10.0), (tid(&f, 2), 0.0)], "{board}");
    let ranks: Vec<u64> = board["rows"].as_array().unwrap().iter().map(|r| r["rank"].as_u64().unwrap()).collect();
    assert_eq!(ranks, vec![1, 2, 3]);
    assert_eq!(board["parts"][1]["tie_break"], true);
    assert_eq!(board["rows"][0]["parts"][1]["score"], 10.0);
}
