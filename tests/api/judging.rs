//! Judged parts: the order of performance by lot, judges' marks (durable before the ack,
//! checked against the rubric), blind marking until every judge signed, signed sheets
//! locked until an organiser reopens them with a reason, the part score (trimmed mean of
//! five judges), gap flags and releases.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fixtures::{create_contest, create_part, create_team, join};
use crate::helpers::{ADMIN_PASSWORD, JWT_SECRET, TestApp, spawn_app, ws_until};

pub struct Judged {
    pub admin: String,
    pub contest: i64,
    pub part: i64,
    pub teams: Vec<i64>,
    /// Join codes of the teams.
    pub codes: Vec<String>,
    /// (judge id, token)
    pub judges: Vec<(i64, String)>,
}

/// A contest with `teams` teams, one judged part (Nội dung 50, Hình thức 30, Thời gian 20)
/// and `judges` judge accounts assigned and signed in.
pub async fn judged_world(app: &TestApp, judges: usize, teams: usize, aggregate: &str, gap: f64) -> Judged {
    let admin = app.admin_token().await;
    let contest = create_contest(app, &admin, "Hội thi sân khấu hóa").await;
    let names = ["Thị trấn Ngã Sáu", "Xã Phú Hữu", "Xã Đông Phước", "Xã Phú Tân", "Xã Đông Thạnh", "Xã Phú An"];
    let mut team_ids = Vec::new();
    let mut codes = Vec::new();
    for name in names.iter().take(teams) {
        let (id, code) = create_team(app, &admin, contest, name).await;
        team_ids.push(id);
        codes.push(code);
    }
    let part = create_part(
        app,
        &admin,
        contest,
        json!({"kind": "judged", "title": "Phần thi sân khấu hóa", "max_points": 100,
               "rubric": {"criteria": [{"name": "Nội dung", "max_points": 50}, {"name": "Hình thức", "max_points": 30},
                                       {"name": "Thời gian", "max_points": 20}],
                          "aggregate": aggregate, "gap_threshold": gap}}),
    )
    .await;
    let js = add_judges(app, &admin, contest, judges).await;
    Judged { admin, contest, part, teams: team_ids, codes, judges: js }
}

/// `n` judge accounts (giamkhao1 …) assigned to the contest and signed in: (judge id, token).
pub async fn add_judges(app: &TestApp, admin: &str, contest: i64, n: usize) -> Vec<(i64, String)> {
    let mut js = Vec::new();
    for i in 1..=n {
        let username = format!("giamkhao{i}");
        let password = format!("mat-khau-gk-{i}");
        let (s, u) = app
            .post("/api/users", Some(admin), json!({"username": username, "password": password, "role": "judge"}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{u}");
        let (s, j) = app
            .post(
                &format!("/api/contests/{contest}/judges"),
                Some(admin),
                json!({"user_id": u["id"], "name": format!("Giám khảo {i}")}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{j}");
        js.push((j["id"].as_i64().unwrap(), app.login(&username, &password).await));
    }
    js
}

impl Judged {
    pub fn mark_path(&self, team: i64, criterion: i64) -> String {
        format!("/api/contests/{}/parts/{}/sheets/{team}/marks/{criterion}", self.contest, self.part)
    }

    pub async fn mark(
        &self,
        app: &TestApp,
        judge: usize,
        team: i64,
        criterion: i64,
        points: f64,
    ) -> (StatusCode, Value) {
        app.request(
            Method::PUT,
            &self.mark_path(team, criterion),
            Some(&self.judges[judge].1),
            Some(json!({"points": points})),
        )
        .await
    }

    /// Marks a whole sheet, each mark acknowledged.
    pub async fn mark_all(&self, app: &TestApp, judge: usize, team: i64, marks: [f64; 3]) {
        for (i, m) in marks.iter().enumerate() {
            let (s, b) = self.mark(app, judge, team, i as i64, *m).await;
            assert_eq!(s, StatusCode::OK, "{b}");
        }
    }

    pub async fn sign(&self, app: &TestApp, judge: usize, team: i64) -> (StatusCode, Value) {
        let path = format!("/api/contests/{}/parts/{}/sheets/{team}/sign", self.contest, self.part);
        app.post(&path, Some(&self.judges[judge].1), json!({})).await
    }

    pub async fn grid(&self, app: &TestApp, token: &str) -> Value {
        let (s, b) = app.get(&format!("/api/contests/{}/parts/{}/judging", self.contest, self.part), Some(token)).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b
    }
}

fn team(grid: &Value, team_id: i64) -> &Value {
    grid["teams"].as_array().unwrap().iter().find(|t| t["team_id"] == team_id).unwrap()
}

#[tokio::test]
async fn five_judges_give_the_trimmed_mean_once_all_signed_and_a_wide_gap_is_flagged() {
    let app = spawn_app().await;
    let w = judged_world(&app, 5, 2, "trimmed_mean", 15.0).await;
    let (a, b) = (w.teams[0], w.teams[1]);
    // Team A totals: 70, 80, 85.5, 90, 99 → drop 70 and 99 → (80 + 85.5 + 90) / 3 = 85.17
    let sheets_a = [[40.0, 20.0, 10.0], [45.0, 20.0, 15.0], [45.5, 25.0, 15.0], [50.0, 25.0, 15.0], [50.0, 30.0, 19.0]];
    // Team B totals: 60, 62, 64, 66, 68 → drop 60 and 68 → 64; gap 8, not flagged
    let sheets_b = [[30.0, 20.0, 10.0], [31.0, 21.0, 10.0], [32.0, 22.0, 10.0], [33.0, 23.0, 10.0], [34.0, 24.0, 10.0]];
    for j in 0..5 {
        w.mark_all(&app, j, a, sheets_a[j]).await;
        w.mark_all(&app, j, b, sheets_b[j]).await;
    }
    for j in 0..4 {
        assert_eq!(w.sign(&app, j, a).await.0, StatusCode::OK);
        assert_eq!(w.sign(&app, j, b).await.0, StatusCode::OK);
    }
    let grid = w.grid(&app, &w.admin).await;
    let ta = team(&grid, a);
    assert_eq!(ta["signed"], 4);
    assert_eq!(ta["score"], Value::Null, "no part score while a judge has not signed: {ta}");
    // Signed totals so far 70, 80, 85.5, 90: gap 20 > 15 → flagged for the organiser.
    assert_eq!((ta["gap"].as_f64(), ta["flagged"].as_bool()), (Some(20.0), Some(true)));
    assert_eq!(team(&grid, b)["flagged"], false);
    // The grid shows who marked and signed: judge 5 marked all three criteria, unsigned.
    let s5 = &ta["sheets"][4];
    assert_eq!((s5["marked"].as_i64(), s5["signed_at"].is_null(), s5["total"].as_f64()), (Some(3), true, Some(99.0)));

    assert_eq!(w.sign(&app, 4, a).await.0, StatusCode::OK);
    assert_eq!(w.sign(&app, 4, b).await.0, StatusCode::OK);
    let grid = w.grid(&app, &w.admin).await;
    assert_eq!(team(&grid, a)["score"].as_f64(), Some(85.17));
    assert_eq!(team(&grid, b)["score"].as_f64(), Some(64.0));
    assert_eq!(team(&grid, a)["gap"].as_f64(), Some(29.0));
    // Signing again changes nothing.
    let (s, again) = w.sign(&app, 0, a).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again["total"].as_f64(), Some(70.0));
}

#[tokio::test]
async fn a_mark_out_of_range_is_refused_naming_the_criterion_team_and_value_and_changes_nothing() {
    let app = spawn_app().await;
    let w = judged_world(&app, 2, 2, "mean", 0.0).await;
    let a = w.teams[0];
    let (s, ack) = w.mark(&app, 0, a, 1, 8.5).await;
    assert_eq!(s, StatusCode::OK, "{ack}");
    assert_eq!(
        (ack["points"].as_f64(), ack["total"].as_f64(), ack["marked"].as_i64()),
        (Some(8.5), Some(8.5), Some(1))
    );
    // The same mark again (a retry) is stored once.
    let (s, again) = w.mark(&app, 0, a, 1, 8.5).await;
    assert_eq!((s, again["total"].as_f64()), (StatusCode::OK, Some(8.5)));

    // Above the criterion's maximum (Hình thức, 30).
    let (s, e) = w.mark(&app, 0, a, 1, 30.5).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["field"], "points");
    assert_eq!(e["error"]["reason"], "mark_above_max");
    let p = &e["error"]["params"];
    assert_eq!(
        (p["criterion"].as_i64(), p["team_id"].as_i64(), p["value"].as_f64(), p["max"].as_f64()),
        (Some(1), Some(a), Some(30.5), Some(30.0))
    );
    assert_eq!(p["criterion_name"], "Hình thức");
    // Negative.
    let (s, e) = w.mark(&app, 0, a, 1, -1.0).await;
    assert_eq!(
        (s, e["error"]["field"].as_str(), e["error"]["reason"].as_str()),
        (StatusCode::BAD_REQUEST, Some("points"), Some("mark_negative"))
    );
    // No such criterion.
    let (s, e) = w.mark(&app, 0, a, 3, 1.0).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("criterion")), "{e}");
    // Not a number, and a team of no contest.
    let (s, e) =
        app.request(Method::PUT, &w.mark_path(a, 0), Some(&w.judges[0].1), Some(json!({"points": "8,5"}))).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("points")), "{e}");
    let (s, e) = w.mark(&app, 0, 999_999, 0, 1.0).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("team_id")), "{e}");
    // An organiser does not mark.
    let (s, _) = app.request(Method::PUT, &w.mark_path(a, 0), Some(&w.admin), Some(json!({"points": 1}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Nothing changed: still the one mark of 8.5.
    let grid = w.grid(&app, &w.admin).await;
    let sheet = &team(&grid, a)["sheets"][0];
    assert_eq!(sheet["marks"], json!([null, 8.5, null]));
    assert_eq!(sheet["total"].as_f64(), Some(8.5));
    // Clearing a mark.
    let (s, ack) = app.request(Method::DELETE, &w.mark_path(a, 1), Some(&w.judges[0].1), None).await;
    assert_eq!((s, ack["marked"].as_i64()), (StatusCode::OK, Some(0)), "{ack}");
}

#[tokio::test]
async fn a_signed_sheet_refuses_the_judges_change_and_an_organiser_reopens_it_with_a_reason() {
    let app = spawn_app().await;
    let w = judged_world(&app, 2, 2, "mean", 0.0).await;
    let a = w.teams[0];
    w.mark(&app, 0, a, 0, 40.0).await;
    w.mark(&app, 0, a, 2, 18.0).await;
    // Incomplete: refused naming the criterion not marked.
    let (s, e) = w.sign(&app, 0, a).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["code"], "sheet_incomplete");
    assert_eq!(
        (e["error"]["params"]["criterion"].as_i64(), e["error"]["params"]["criterion_name"].as_str()),
        (Some(1), Some("Hình thức"))
    );
    w.mark(&app, 0, a, 1, 25.5).await;
    let (s, signed) = w.sign(&app, 0, a).await;
    assert_eq!(s, StatusCode::OK, "{signed}");
    assert_eq!(signed["total"].as_f64(), Some(83.5));

    // Locked: a change, and a clear, are refused; nothing changed.
    let (s, e) = w.mark(&app, 0, a, 1, 20.0).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("sheet_signed")), "{e}");
    let (s, _) = app.request(Method::DELETE, &w.mark_path(a, 1), Some(&w.judges[0].1), None).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(team(&w.grid(&app, &w.admin).await, a)["sheets"][0]["marks"], json!([40.0, 25.5, 18.0]));

    // Only an organiser reopens, and only with a reason.
    let judge0 = w.judges[0].0;
    let reopen = format!("/api/contests/{}/parts/{}/sheets/{a}/judges/{judge0}/reopen", w.contest, w.part);
    let (s, _) = app.post(&reopen, Some(&w.judges[1].1), json!({"reason": "tôi muốn sửa"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, e) = app.post(&reopen, Some(&w.admin), json!({"reason": "  "})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("reason")));
    let reason = "Giám khảo 1 nhập nhầm điểm hình thức (25,5 thay vì 20)";
    let (s, r) = app.post(&reopen, Some(&w.admin), json!({"reason": reason})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["signed_at"], Value::Null);
    // Reopening an unsigned sheet is refused.
    let (s, e) = app.post(&reopen, Some(&w.admin), json!({"reason": reason})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("sheet_not_signed")));

    // The audit log keeps who, why and the sheet as it was.
    let (s, audit) = app.get(&format!("/api/contests/{}/audit", w.contest), Some(&w.admin)).await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    let entries = audit.as_array().or(audit["entries"].as_array()).unwrap();
    let e = entries.iter().find(|e| e["action"] == "sheet_reopen").expect("a sheet_reopen entry");
    let detail: Value = match &e["detail"] {
        Value::String(s) => serde_json::from_str(s).unwrap(),
        d => d.clone(),
    };
    assert_eq!(e["actor"], "organiser:admin");
    assert_eq!(detail["reason"], reason);
    assert_eq!(detail["marks"], json!([40.0, 25.5, 18.0]));
    assert_eq!(detail["total"].as_f64(), Some(83.5));
    assert!(entries.iter().any(|e| e["action"] == "sheet_sign"));

    // The judge can change it now.
    let (s, ack) = w.mark(&app, 0, a, 1, 20.0).await;
    assert_eq!((s, ack["total"].as_f64()), (StatusCode::OK, Some(78.0)), "{ack}");
}

#[tokio::test]
async fn judges_see_each_others_marks_only_once_every_judge_signed_the_team() {
    let app = spawn_app().await;
    let w = judged_world(&app, 3, 2, "median", 0.0).await;
    let a = w.teams[0];
    w.mark_all(&app, 0, a, [40.0, 20.0, 10.0]).await;
    w.mark_all(&app, 1, a, [45.0, 25.0, 15.0]).await;
    w.mark_all(&app, 2, a, [30.0, 10.0, 5.0]).await;
    assert_eq!(w.sign(&app, 0, a).await.0, StatusCode::OK);
    assert_eq!(w.sign(&app, 1, a).await.0, StatusCode::OK);

    let g = w.grid(&app, &w.judges[0].1).await;
    assert_eq!(g["me"].as_i64(), Some(w.judges[0].0));
    let t = team(&g, a);
    let mine = &t["sheets"][0];
    assert_eq!((mine["marks"].clone(), mine["hidden"].as_bool()), (json!([40.0, 20.0, 10.0]), Some(false)));
    for other in [&t["sheets"][1], &t["sheets"][2]] {
        assert_eq!(other["hidden"], true, "{other}");
        assert_eq!(other["marks"], json!([null, null, null]));
        assert_eq!(other["total"], Value::Null);
    }
    assert_eq!((t["score"].clone(), t["gap"].clone()), (Value::Null, Value::Null), "no hint of the others' totals");
    // The organiser sees every mark.
    let g = w.grid(&app, &w.admin).await;
    assert_eq!(team(&g, a)["sheets"][2]["marks"], json!([30.0, 10.0, 5.0]));

    assert_eq!(w.sign(&app, 2, a).await.0, StatusCode::OK);
    let g = w.grid(&app, &w.judges[0].1).await;
    let t = team(&g, a);
    assert_eq!(t["sheets"][1]["marks"], json!([45.0, 25.0, 15.0]));
    assert_eq!(t["sheets"][2]["total"].as_f64(), Some(45.0));
    // Median of 70, 85, 45.
    assert_eq!(t["score"].as_f64(), Some(70.0));
    // Team B is still blind.
    assert_eq!(team(&g, w.teams[1])["sheets"][1]["hidden"], true);
}

#[tokio::test]
async fn the_order_of_performance_is_drawn_with_a_recorded_seed_and_frozen_once_marked() {
    let app = spawn_app().await;
    let w = judged_world(&app, 2, 5, "mean", 0.0).await;
    let path = format!("/api/contests/{}/parts/{}/order", w.contest, w.part);
    let (s, before) = app.get(&path, Some(&w.judges[0].1)).await;
    assert_eq!((s, before["drawn"].as_bool()), (StatusCode::OK, Some(false)));
    let (s, first) = app.post(&path, Some(&w.admin), json!({"seed": 20250515})).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!(first["seed"].as_i64(), Some(20250515));
    let order: Vec<i64> = first["teams"].as_array().unwrap().iter().map(|t| t["team_id"].as_i64().unwrap()).collect();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, w.teams);
    assert_eq!(first["teams"][0]["slot"], 1);
    // The same seed gives the same order; a random one is recorded.
    let (_, same) = app.post(&path, Some(&w.admin), json!({"seed": 20250515})).await;
    assert_eq!(same["teams"], first["teams"]);
    let (s, random) = app.post(&path, Some(&w.admin), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let seed = random["seed"].as_i64().unwrap();
    let (_, replay) = app.post(&path, Some(&w.admin), json!({"seed": seed})).await;
    assert_eq!(replay["teams"], random["teams"]);
    // Bad seeds; judges cannot draw.
    let (s, e) = app.post(&path, Some(&w.admin), json!({"seed": -1})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("seed")));
    assert_eq!(app.post(&path, Some(&w.judges[0].1), json!({})).await.0, StatusCode::FORBIDDEN);
    // The grid lists teams in the order drawn.
    let g = w.grid(&app, &w.admin).await;
    let grid_order: Vec<i64> = g["teams"].as_array().unwrap().iter().map(|t| t["team_id"].as_i64().unwrap()).collect();
    assert_eq!(
        grid_order.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
        replay["teams"].as_array().unwrap().iter().map(|t| t["team_id"].to_string()).collect::<Vec<_>>()
    );
    // The audit log has every draw with its seed.
    let (_, audit) = app.get(&format!("/api/contests/{}/audit", w.contest), Some(&w.admin)).await;
    let entries = audit.as_array().or(audit["entries"].as_array()).unwrap();
    assert_eq!(entries.iter().filter(|e| e["action"] == "performance_order_draw").count(), 4);

    // After the first mark, no redraw, and the rubric is frozen.
    w.mark(&app, 0, w.teams[0], 0, 10.0).await;
    let (s, e) = app.post(&path, Some(&w.admin), json!({"seed": 1})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("marks_exist")), "{e}");
    let (_, still) = app.get(&path, Some(&w.admin)).await;
    assert_eq!(still["seed"].as_i64(), Some(seed));
    let (s, e) = app
        .request(
            Method::PATCH,
            &format!("/api/contests/{}/parts/{}", w.contest, w.part),
            Some(&w.admin),
            Some(json!({"rubric": {"criteria": [{"name": "Nội dung", "max_points": 100}]}})),
        )
        .await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("marks_exist")), "{e}");
}

#[tokio::test]
async fn a_part_score_is_released_only_once_it_exists_and_a_reopen_withdraws_it() {
    let app = spawn_app().await;
    let w = judged_world(&app, 2, 2, "mean", 0.0).await;
    let (a, b) = (w.teams[0], w.teams[1]);
    for j in 0..2 {
        w.mark_all(&app, j, a, [40.0, 20.0, 10.0 + j as f64]).await;
        assert_eq!(w.sign(&app, j, a).await.0, StatusCode::OK);
    }
    let release = format!("/api/contests/{}/parts/{}/release", w.contest, w.part);
    let (s, e) = app.post(&release, Some(&w.admin), json!({"team_ids": [a, b]})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("score_missing")), "{e}");
    assert_eq!(e["error"]["params"]["team_id"].as_i64(), Some(b));
    assert!(team(&w.grid(&app, &w.admin).await, a)["released_at"].is_null(), "nothing released");
    assert_eq!(app.post(&release, Some(&w.judges[0].1), json!({})).await.0, StatusCode::FORBIDDEN);
    let (s, r) = app.post(&release, Some(&w.admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["released"], json!([a]));
    assert_eq!(team(&r["judging"], a)["score"].as_f64(), Some(70.5));
    assert!(team(&r["judging"], a)["released_at"].is_i64());

    let judge0 = w.judges[0].0;
    let reopen = format!("/api/contests/{}/parts/{}/sheets/{a}/judges/{judge0}/reopen", w.contest, w.part);
    let (s, _) = app.post(&reopen, Some(&w.admin), json!({"reason": "phúc khảo"})).await;
    assert_eq!(s, StatusCode::OK);
    let g = w.grid(&app, &w.admin).await;
    assert!(team(&g, a)["released_at"].is_null(), "a reopened team is taken off the screens");
    assert!(team(&g, a)["score"].is_null());
}

#[tokio::test]
async fn a_judged_part_runs_live_and_its_scores_reach_staff_when_signed_and_the_hall_when_released() {
    let app = spawn_app().await;
    let w = judged_world(&app, 2, 2, "mean", 0.0).await;
    let (a, b) = (w.teams[0], w.teams[1]);
    let phone = join(&app, &w.codes[1], "Trần Thị Bình").await;
    let phone = phone["token"].as_str().unwrap().to_owned();
    let live = |what: &str| format!("/api/contests/{}/parts/{}/{what}", w.contest, w.part);
    let (s, st) = app.post(&live("start"), Some(&w.admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "a judged part starts: {st}");
    assert_eq!(st["part"]["id"].as_i64(), Some(w.part));
    // It has no questions to open.
    let (s, e) = app.post(&format!("/api/contests/{}/live/next", w.contest), Some(&w.admin), json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    let url = format!("ws://127.0.0.1:{}/api/live?token={}&contest_id={}", app.port, w.admin, w.contest);
    let (mut staff_ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    ws_until(&mut staff_ws, 10, |m| m["type"] == "scoreboard").await;

    let score = |board: &Value, team: i64| -> (f64, f64) {
        let row = board["rows"].as_array().unwrap().iter().find(|r| r["team_id"] == team).unwrap();
        let part = row["parts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["part_id"] == w.part)
            .map(|p| p["score"].as_f64().unwrap());
        (part.unwrap_or(0.0), row["total"].as_f64().unwrap())
    };
    let board = format!("/api/contests/{}/scoreboard", w.contest);
    for j in 0..2 {
        w.mark_all(&app, j, b, [40.0, 20.0 + j as f64, 10.0]).await;
    }
    w.mark_all(&app, 0, a, [10.0, 10.0, 10.0]).await;
    assert_eq!(w.sign(&app, 0, b).await.0, StatusCode::OK);
    let (_, staff) = app.get(&board, Some(&w.admin)).await;
    assert_eq!(score(&staff["board"], b), (0.0, 0.0), "one judge of two signed: no score yet");
    assert_eq!(w.sign(&app, 1, b).await.0, StatusCode::OK);
    // Staff screens hear of it, and their board has the part score at once.
    ws_until(&mut staff_ws, 10, |m| m["type"] == "judging" && m["part_id"] == w.part).await;
    let pushed = ws_until(&mut staff_ws, 10, |m| {
        m["type"] == "scoreboard"
            && m["board"]["rows"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["team_id"] == b && r["total"].as_f64() == Some(70.5))
    })
    .await;
    assert_eq!(score(&pushed["board"], b), (70.5, 70.5));
    let (_, staff) = app.get(&board, Some(&w.admin)).await;
    assert_eq!(score(&staff["board"], b), (70.5, 70.5));
    // The hall does not see it before the release.
    let (_, public) = app.get(&board, Some(&phone)).await;
    let row = public["rows"].as_array().unwrap().iter().find(|r| r["team_id"] == b).unwrap().clone();
    assert_eq!(row["total"].as_f64(), Some(0.0), "{public}");
    let (s, _) = app.post(&live("release"), Some(&w.admin), json!({"team_ids": [b]})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, public) = app.get(&board, Some(&phone)).await;
    let row = public["rows"].as_array().unwrap().iter().find(|r| r["team_id"] == b).unwrap().clone();
    assert_eq!((row["total"].as_f64(), row["rank"].as_i64()), (Some(70.5), Some(1)), "{public}");
    // A restart rebuilds the same board from the database.
    let app = app.restart().await;
    let (_, staff) = app.get(&board, Some(&w.admin)).await;
    assert_eq!(score(&staff["board"], b), (70.5, 70.5));
    assert_eq!(score(&staff["board"], a), (0.0, 0.0));
    let (s, _) = app.post(&live("finish"), Some(&w.admin), json!({})).await;
    assert_eq!(s, StatusCode::OK);
}

/// The server process is killed (SIGKILL) while five judges mark; every mark it
/// acknowledged is there after it starts again on the same database.
#[tokio::test]
async fn a_server_kill_while_judges_mark_loses_no_acknowledged_mark() {
    let app = spawn_app().await;
    let w = Arc::new(judged_world(&app, 5, 4, "trimmed_mean", 0.0).await);
    // Hand the database to a real server process that can be killed.
    app.handle.stop(false).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_hoithi"))
            .args(["--bind", &format!("127.0.0.1:{port}"), "--data-dir", app.dir().to_str().unwrap()])
            .args(["--database-url", &app.db_url])
            .env("HOITHI_JWT_SECRET", JWT_SECRET)
            .env("HOITHI_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("HOITHI_LOG", "error")
            .env("HOITHI_BACKUP_EVERY_MIN", "0")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let wait_up = |client: reqwest::Client, base: String| async move {
        for _ in 0..600 {
            if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not start");
    };
    let mut child = spawn();
    wait_up(client.clone(), base.clone()).await;

    type Key = (usize, i64, i64);
    let acked: Arc<Mutex<Vec<(Key, f64)>>> = Arc::default();
    // The write each judge had in flight when the server died (it may or may not be stored).
    let in_flight: Arc<Mutex<std::collections::HashMap<usize, (Key, f64)>>> = Arc::default();
    let mut tasks = Vec::new();
    for j in 0..5 {
        let (w, acked, in_flight, client, base) =
            (w.clone(), acked.clone(), in_flight.clone(), client.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            // Each judge types through every sheet, one mark after the other's ack.
            for round in 0..1000 {
                for &t in &w.teams {
                    for c in 0..3 {
                        let points = ((j * 7 + round * 3 + c as usize) % 20) as f64 + 0.5;
                        in_flight.lock().unwrap().insert(j, ((j, t, c), points));
                        let r = client
                            .put(format!("{base}{}", w.mark_path(t, c)))
                            .bearer_auth(&w.judges[j].1)
                            .json(&json!({"points": points}))
                            .send()
                            .await;
                        match r {
                            Ok(r) if r.status() == StatusCode::OK => {
                                acked.lock().unwrap().push(((j, t, c), points));
                                in_flight.lock().unwrap().remove(&j);
                            }
                            _ => return,
                        }
                    }
                }
            }
        }));
    }
    // Kill it mid-stream, once a good number of marks were acknowledged.
    let started = std::time::Instant::now();
    while acked.lock().unwrap().len() < 120 {
        assert!(started.elapsed() < Duration::from_secs(60), "too few acks: {}", acked.lock().unwrap().len());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let in_flight = in_flight.lock().unwrap().clone();

    let mut child = spawn();
    wait_up(client.clone(), base.clone()).await;
    let r = client
        .get(format!("{base}/api/contests/{}/parts/{}/judging", w.contest, w.part))
        .bearer_auth(&w.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let grid: Value = r.json().await.unwrap();
    child.kill().ok();
    child.wait().ok();
    // Each mark holds its last acknowledged value, or the value its judge had in flight
    // for that very mark when the server died (committed, the ack lost with the process).
    let mut last: std::collections::HashMap<Key, f64> = std::collections::HashMap::new();
    for (k, p) in &acked {
        last.insert(*k, *p);
    }
    for ((j, t, c), p) in &last {
        let stored = team(&grid, *t)["sheets"][*j]["marks"][*c as usize].as_f64();
        let pending = in_flight.get(j).filter(|(k, _)| *k == (*j, *t, *c)).map(|(_, v)| *v);
        assert!(
            stored == Some(*p) || (pending.is_some() && stored == pending),
            "judge {j}, team {t}, criterion {c}: acknowledged {p}, found {stored:?}"
        );
    }
    assert!(acked.len() >= 120);
}
