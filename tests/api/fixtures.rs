//! Building contests through the API for tests: a contest with teams, parts and joined
//! contestants.
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

pub async fn create_contest(app: &TestApp, token: &str, name: &str) -> i64 {
    let (s, b) = app
        .post(
            "/api/contests",
            Some(token),
            json!({"name": name, "unit": "Huyện ủy Châu Thành", "held_on": "2025-05-15", "venue": "Hội trường huyện"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_i64().unwrap()
}

/// Adds a team; returns (id, join code).
pub async fn create_team(app: &TestApp, token: &str, contest: i64, name: &str) -> (i64, String) {
    let (s, b) = app
        .post(
            &format!("/api/contests/{contest}/teams"),
            Some(token),
            json!({"name": name, "unit": format!("Đảng ủy {name}"), "members": ["An", "Bình", "Chi"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    (b["id"].as_i64().unwrap(), b["code"].as_str().unwrap().to_owned())
}

pub async fn create_part(app: &TestApp, token: &str, contest: i64, body: Value) -> i64 {
    let (s, b) = app.post(&format!("/api/contests/{contest}/parts"), Some(token), body).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_i64().unwrap()
}

/// Gives a part these bank questions, in order; returns the part's question list.
pub async fn set_part_questions(app: &TestApp, token: &str, contest: i64, part: i64, ids: &[i64]) -> Value {
    let path = format!("/api/contests/{contest}/parts/{part}/questions");
    let (s, b) = app.request(reqwest::Method::PUT, &path, Some(token), Some(json!({ "question_ids": ids }))).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

/// Joins with a code; returns the whole answer.
pub async fn join(app: &TestApp, code: &str, name: &str) -> Value {
    let (s, b) = app.post("/api/join", None, json!({"code": code, "name": name})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

/// The four kinds of part, as an organiser would set them up.
pub fn four_parts() -> Vec<Value> {
    vec![
        json!({"kind": "quiz", "title": "Phần thi trắc nghiệm", "max_points": 100, "weight": 1,
               "time_per_question_s": 20, "answer_policy": "captain_only",
               "scoring": {"speed_bonus": {"kind": "kahoot"}, "star_of_hope": true}}),
        json!({"kind": "buzzer", "title": "Phần thi giành quyền trả lời", "max_points": 60, "time_per_question_s": 15,
               "scoring": {"wrong_penalty": 10}}),
        json!({"kind": "judged", "title": "Phần thi sân khấu hóa", "max_points": 100, "weight": 2,
               "rubric": {"criteria": [{"name": "Nội dung", "max_points": 50}, {"name": "Hình thức", "max_points": 30},
                                       {"name": "Thời gian", "max_points": 20}], "aggregate": "trimmed_mean",
                          "gap_threshold": 15}}),
        json!({"kind": "elimination", "title": "Rung chuông vàng", "max_points": 50, "time_per_question_s": 15}),
    ]
}

/// A set-up contest: two teams (A and B), four parts, one member of each team joined.
pub struct World {
    pub admin: String,
    pub contest: i64,
    pub team_a: i64,
    pub team_b: i64,
    pub code_a: String,
    pub code_b: String,
    pub parts: Vec<i64>,
    pub token_a: String,
    pub contestant_a: i64,
    pub token_b: String,
    pub contestant_b: i64,
}

pub async fn world(app: &TestApp) -> World {
    let admin = app.admin_token().await;
    let contest = create_contest(app, &admin, "Hội thi tìm hiểu chuyên đề 2025").await;
    let (team_a, code_a) = create_team(app, &admin, contest, "Thị trấn Ngã Sáu").await;
    let (team_b, code_b) = create_team(app, &admin, contest, "Xã Phú Hữu").await;
    let mut parts = Vec::new();
    for p in four_parts() {
        parts.push(create_part(app, &admin, contest, p).await);
    }
    let a = join(app, &code_a, "Nguyễn Văn An").await;
    let b = join(app, &code_b, "Trần Thị Bình").await;
    World {
        admin,
        contest,
        team_a,
        team_b,
        code_a,
        code_b,
        parts,
        token_a: a["token"].as_str().unwrap().to_owned(),
        contestant_a: a["contestant_id"].as_i64().unwrap(),
        token_b: b["token"].as_str().unwrap().to_owned(),
        contestant_b: b["contestant_id"].as_i64().unwrap(),
    }
}
