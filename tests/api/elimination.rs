//! The elimination part (rung chuông vàng) through the real server: contestants answer
//! for themselves; a wrong or missing answer eliminates at the reveal; an eliminated
//! contestant's answer is refused; a rescue with a reason brings people back; the part
//! ends with its survivors; the team contribution equals a recomputation; a restart
//! rebuilds the same eliminated set.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, ws_until};
use crate::live::{Fixture, question, seed};
use hoithi::domain::question::Solution;

pub(crate) async fn contestant_ids(app: &TestApp, f: &Fixture) -> Vec<Vec<i32>> {
    let (s, list) = app.get(&format!("/api/contests/{}/contestants", f.cid), Some(&f.admin)).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let id = |t: usize, m: usize| {
        let name = format!("Thí sinh {}-{}", t + 1, m + 1);
        list.as_array().unwrap().iter().find(|x| x["name"] == name.as_str()).expect("contestant")["id"]
            .as_i64()
            .unwrap() as i32
    };
    (0..f.teams.len()).map(|t| (0..f.teams[t].members.len()).map(|m| id(t, m)).collect()).collect()
}

pub(crate) async fn answer(
    app: &TestApp,
    f: &Fixture,
    t: usize,
    m: usize,
    q: i32,
    choice: usize,
) -> (StatusCode, Value) {
    app.post(
        &format!("/api/contests/{}/answers", f.cid),
        Some(&f.member(t, m).token),
        json!({"submission_id": format!("{q}-{t}-{m}"), "question_id": q, "response": {"choice": choice}}),
    )
    .await
}

async fn elimination(app: &TestApp, f: &Fixture, token: &str) -> Value {
    let (s, b) = app.get(&format!("/api/contests/{}/live", f.cid), Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["elimination"].clone()
}

async fn boards(app: &TestApp, f: &Fixture) -> (Value, Value) {
    let get = |r: bool| {
        let path = format!("/api/contests/{}/scoreboard?recompute={r}", f.cid);
        async move { app.get(&path, Some(&f.admin)).await.1["board"].clone() }
    };
    (get(false).await, get(true).await)
}

fn part_total(board: &Value, team: i32, part: i32) -> f64 {
    let row = board["rows"].as_array().unwrap().iter().find(|r| r["team_id"] == team).expect("row");
    let p = row["parts"].as_array().unwrap().iter().find(|p| p["part_id"] == part).expect("part");
    p["score"].as_f64().unwrap()
}

/// The eliminated set as staff see it, sorted.
fn out_set(v: &Value) -> (u64, u64, Vec<i64>) {
    let mut e: Vec<i64> =
        v["eliminated"].as_array().map_or(vec![], |a| a.iter().map(|x| x["contestant_id"].as_i64().unwrap()).collect());
    e.sort_unstable();
    (v["remaining"].as_u64().unwrap(), v["total"].as_u64().unwrap(), e)
}

pub(crate) async fn round(app: &TestApp, f: &Fixture, q: i32, answers: &[(usize, usize, usize)]) {
    f.control(app, "next").await;
    for &(t, m, c) in answers {
        let (s, b) = answer(app, f, t, m, q, c).await;
        assert_eq!(s, StatusCode::OK, "contestant {t}-{m}: {b}");
    }
    f.control(app, "close").await;
    f.control(app, "reveal").await;
}

#[tokio::test]
async fn an_elimination_part_eliminates_rescues_survives_a_restart_and_scores_its_survivors() {
    let app = crate::helpers::spawn_app().await;
    // Four questions whose right answer is A (choice 0).
    let qs = (0..4).map(|i| question(i, Solution::Single { option: 0 }, 60)).collect();
    let f = seed(&app, 3, 2, json!({}), "last_answer", qs).await;
    let part = format!("/api/contests/{}/parts/{}", f.cid, f.pid);
    // The settings are validated, naming the field.
    let (s, b) = app
        .request(
            Method::PATCH,
            &part,
            Some(&f.admin),
            Some(json!({"kind": "elimination", "scoring": {"elimination": {"points_per_survivor": -1}}})),
        )
        .await;
    assert_eq!(
        (s, b["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("scoring.elimination.points_per_survivor")),
        "{b}"
    );
    let (s, b) = app
        .request(
            Method::PATCH,
            &part,
            Some(&f.admin),
            Some(json!({"scoring": {"elimination": {"points_per_question": 2}}})),
        )
        .await;
    assert_eq!(
        (s, b["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("scoring.elimination")),
        "a quiz has no such settings: {b}"
    );
    let (s, b) = app
        .request(
            Method::PATCH,
            &part,
            Some(&f.admin),
            Some(json!({"kind": "elimination", "scoring": {"elimination": {"points_per_survivor": 10, "points_per_question": 1}}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let ids = contestant_ids(&app, &f).await;
    let q = f.questions.clone();
    f.control(&app, "start").await;
    let e = elimination(&app, &f, &f.admin).await;
    assert_eq!(out_set(&e), (6, 6, vec![]), "{e}");

    // A phone of team 1 (index 0) hears its members' standing.
    let mut ws = app.ws(&f.member(0, 1).token).await;

    // Q1: 0-1 wrong, 1-1 no answer: both out at the reveal.
    round(&app, &f, q[0], &[(0, 0, 0), (0, 1, 2), (1, 0, 0), (2, 0, 0), (2, 1, 0)]).await;
    let e = elimination(&app, &f, &f.admin).await;
    let mut expect = vec![ids[0][1] as i64, ids[1][1] as i64];
    expect.sort_unstable();
    assert_eq!(out_set(&e), (4, 6, expect), "{e}");
    // The reveal counts each contestant's answer (four A, one C), not each team's.
    let revealed = ws_until(&mut ws, 10, |v| v["type"] == "revealed" && v["question_id"] == q[0]).await;
    assert_eq!(revealed["distribution"], json!([["A", 4], ["C", 1]]), "{revealed}");
    let msg =
        ws_until(&mut ws, 10, |v| v["type"] == "elimination" && v["elimination"]["last_question_id"] == q[0]).await;
    let mine = msg["elimination"]["team"].as_array().unwrap().iter().find(|m| m["contestant_id"] == ids[0][1]).cloned();
    assert_eq!(mine.unwrap()["standing"], "out", "{msg}");
    assert!(msg["elimination"].get("eliminated").is_none(), "phones get no named list: {msg}");
    assert_eq!(msg["elimination"]["remaining"], 4);

    // Q2: an eliminated contestant's answer is refused, with its own code.
    f.control(&app, "next").await;
    let (s, b) = answer(&app, &f, 0, 1, q[1], 0).await;
    assert_eq!((s, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("eliminated")), "{b}");
    for (t, m, c) in [(0, 0, 0), (1, 0, 1), (2, 0, 3), (2, 1, 0)] {
        assert_eq!(answer(&app, &f, t, m, q[1], c).await.0, StatusCode::OK);
    }
    f.control(&app, "close").await;
    // A rescue waits for the reveal, and the part cannot move on before it either.
    let (s, b) = app
        .post(&format!("/api/contests/{}/live/rescue", f.cid), Some(&f.admin), json!({"all_last": true, "reason": "x"}))
        .await;
    assert_eq!((s, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("invalid_state")), "{b}");
    f.control(&app, "reveal").await;
    let e = elimination(&app, &f, &f.admin).await;
    let mut last = vec![ids[1][0] as i64, ids[2][0] as i64];
    last.sort_unstable();
    assert_eq!(out_set(&e), (2, 6, last.clone()), "{e}");
    assert_eq!(e["eliminated"][0]["team_name"].as_str().map(|s| s.starts_with("Đội")), Some(true), "{e}");

    // The rescue needs a reason, and names a contestant who is not out.
    let rescue = format!("/api/contests/{}/live/rescue", f.cid);
    let (s, b) = app.post(&rescue, Some(&f.admin), json!({"all_last": true, "reason": "  "})).await;
    assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("reason")), "{b}");
    let (s, b) = app
        .post(&rescue, Some(&f.admin), json!({"contestant_ids": [ids[1][0], ids[0][0]], "reason": "Lỗi mạng"}))
        .await;
    assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("contestant_ids[1]")), "{b}");
    // Everyone eliminated on the last question comes back.
    let (s, b) = app.post(&rescue, Some(&f.admin), json!({"all_last": true, "reason": "Câu hỏi gây tranh cãi"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["elimination"]["remaining"], 4, "{b}");
    let (_, audit) = app.get(&format!("/api/contests/{}/audit", f.cid), Some(&f.admin)).await;
    let entry =
        audit.as_array().unwrap().iter().rev().find(|a| a["action"] == "elimination_rescue").expect("audited").clone();
    assert_eq!(entry["detail"]["reason"], "Câu hỏi gây tranh cãi", "{entry}");
    assert_eq!(entry["actor"], "organiser:admin", "{entry}");
    let mut rescued: Vec<i64> =
        entry["detail"]["contestant_ids"].as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect();
    rescued.sort_unstable();
    assert_eq!(rescued, last);
    // A team's phone sees its rescued member as rescued.
    let phone = elimination(&app, &f, &f.member(1, 1).token).await;
    let st = |v: &Value, c: i32| {
        v["team"].as_array().unwrap().iter().find(|m| m["contestant_id"] == c).unwrap()["standing"].clone()
    };
    assert_eq!((st(&phone, ids[1][0]), st(&phone, ids[1][1])), (json!("rescued"), json!("out")), "{phone}");
    let (live, recomputed) = boards(&app, &f).await;
    assert_eq!(live, recomputed);
    assert_eq!(part_total(&live, f.teams[0].id, f.pid), 2.0, "two questions survived by 1-1: {live}");

    // A restart rebuilds the same standing from the answers and the rescues.
    let before = elimination(&app, &f, &f.admin).await;
    drop(ws);
    let app = app.restart().await;
    let after = elimination(&app, &f, &f.admin).await;
    assert_eq!(before, after);
    assert_eq!(elimination(&app, &f, &f.member(1, 1).token).await, phone);
    let (live, recomputed) = boards(&app, &f).await;
    assert_eq!(live, recomputed);

    // Q3: the rescued 2-1 is wrong again; Q4 leaves one contestant: the part is over.
    round(&app, &f, q[2], &[(0, 0, 0), (1, 0, 0), (2, 0, 1), (2, 1, 1)]).await;
    let e = elimination(&app, &f, &f.admin).await;
    assert_eq!((e["remaining"].as_u64(), e["over"].as_bool()), (Some(2), Some(false)), "{e}");
    let (s, b) = answer(&app, &f, 0, 1, q[2], 0).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    round(&app, &f, q[3], &[(0, 0, 0), (1, 0, 3)]).await;
    let e = elimination(&app, &f, &f.admin).await;
    assert_eq!((e["remaining"].as_u64(), e["over"].as_bool()), (Some(1), Some(true)), "{e}");
    assert_eq!(e["survivors"][0]["contestant_id"], ids[0][0], "{e}");
    let (s, b) = app.request(Method::POST, &format!("/api/contests/{}/live/next", f.cid), Some(&f.admin), None).await;
    assert_eq!(s, StatusCode::CONFLICT, "the part is over: {b}");
    let (live, _) = boards(&app, &f).await;
    assert_eq!(part_total(&live, f.teams[0].id, f.pid), 4.0, "survivor points only once finished: {live}");
    f.control(&app, "finish").await;

    // Questions survived (1 point each) plus 10 per survivor: team 1 has 0-0 (4 questions,
    // survivor); team 2 has 1-0 (Q1, Q3); team 3 has 2-0 (Q1) and 2-1 (Q1, Q2).
    let (live, recomputed) = boards(&app, &f).await;
    assert_eq!(live, recomputed);
    let got: Vec<f64> = f.teams.iter().map(|t| part_total(&live, t.id, f.pid)).collect();
    assert_eq!(got, vec![14.0, 2.0, 3.0], "{live}");
    let app = app.restart().await;
    let (live2, recomputed2) = boards(&app, &f).await;
    assert_eq!((live2, recomputed2), (live.clone(), live));
}
