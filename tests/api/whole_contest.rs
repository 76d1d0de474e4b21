//! A whole four-part contest through the real server: a greeting judged by five judges
//! with the trimmed mean, a quiz, a buzzer question with a wrong answer and a steal, and a
//! skit judged with the mean; four teams end in the expected ranking and prizes, with a
//! tie on the total broken by the skit (the named part), on the live board, a
//! recomputation, and the frozen board of the awards ceremony.
use hoithi::domain::question::Solution;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fixtures::{create_contest, create_part, create_team, join, set_part_questions};
use crate::helpers::{TestApp, Ws, spawn_app, ws_send, ws_until};
use crate::live::{bank_input, question};

const RUBRIC: &str = r#"{"criteria": [{"name": "Nội dung", "max_points": 50}, {"name": "Hình thức", "max_points": 30},
                                      {"name": "Thời gian", "max_points": 20}], "gap_threshold": 0}"#;

struct Contest {
    admin: String,
    cid: i64,
    teams: Vec<i64>,
    phones: Vec<String>,
    judges: Vec<String>,
}

impl Contest {
    async fn post(&self, app: &TestApp, path: &str, body: Value) -> Value {
        let (s, b) = app.post(&format!("/api/contests/{}{path}", self.cid), Some(&self.admin), body).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
        b
    }

    async fn live(&self, app: &TestApp, what: &str) -> Value {
        self.post(app, &format!("/live/{what}"), json!({})).await
    }

    async fn part(&self, app: &TestApp, pid: i64, what: &str) -> Value {
        self.post(app, &format!("/parts/{pid}/{what}"), json!({})).await
    }

    /// Every judge marks every team (`sheets[team][judge]` = the three criteria) and signs.
    async fn judge(&self, app: &TestApp, pid: i64, sheets: &[Vec<[f64; 3]>]) {
        let (s, b) = app
            .post(&format!("/api/contests/{}/parts/{pid}/order", self.cid), Some(&self.admin), json!({"seed": 2025}))
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        for (t, team) in self.teams.iter().enumerate() {
            for (j, token) in self.judges.iter().enumerate() {
                for (c, points) in sheets[t][j].iter().enumerate() {
                    let path = format!("/api/contests/{}/parts/{pid}/sheets/{team}/marks/{c}", self.cid);
                    let (s, b) = app.request(Method::PUT, &path, Some(token), Some(json!({ "points": points }))).await;
                    assert_eq!(s, StatusCode::OK, "{b}");
                }
                let path = format!("/api/contests/{}/parts/{pid}/sheets/{team}/sign", self.cid);
                let (s, b) = app.post(&path, Some(token), json!({})).await;
                assert_eq!(s, StatusCode::OK, "{b}");
            }
        }
        let (s, b) =
            app.post(&format!("/api/contests/{}/parts/{pid}/release", self.cid), Some(&self.admin), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }

    async fn answer(&self, app: &TestApp, team: usize, qid: i64, choice: usize) {
        let (s, b) = app
            .post(
                &format!("/api/contests/{}/answers", self.cid),
                Some(&self.phones[team]),
                json!({"submission_id": format!("q{qid}-t{team}"), "question_id": qid, "response": {"choice": choice}}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }

    async fn board(&self, app: &TestApp, recompute: bool) -> Value {
        let (s, b) =
            app.get(&format!("/api/contests/{}/scoreboard?recompute={recompute}", self.cid), Some(&self.admin)).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b["board"].clone()
    }
}

/// The same sheet from every judge.
fn same(sheet: [f64; 3], judges: usize) -> Vec<[f64; 3]> {
    vec![sheet; judges]
}

async fn press(ws: &mut Ws, qid: i64) -> Value {
    ws_send(ws, json!({"type": "buzz", "question_id": qid})).await;
    ws_until(ws, 10, |v| v["type"] == "buzzed" || v["type"] == "error").await
}

/// Questions in an organiser's bank, given to a part; returns the part's question ids.
async fn give_questions(app: &TestApp, c: &Contest, bank: i64, pid: i64, from: usize, n: usize) -> Vec<i64> {
    let mut ids = vec![];
    for i in from..from + n {
        let q = question(i, Solution::Single { option: 1 }, 30);
        let (s, b) = app.post(&format!("/api/banks/{bank}/questions"), Some(&c.admin), bank_input(&q)).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        ids.push(b["id"].as_i64().unwrap());
    }
    let rows = set_part_questions(app, &c.admin, c.cid, pid, &ids).await;
    rows["questions"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn a_four_part_contest_ends_in_the_expected_ranking_and_prizes_with_a_tie_broken_by_the_skit() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let cid = create_contest(&app, &admin, "Hội thi tìm hiểu chuyên đề năm 2025").await;
    let (s, b) = app
        .request(
            Method::PATCH,
            &format!("/api/contests/{cid}"),
            Some(&admin),
            Some(json!({"prize_scheme": [{"name": "Giải nhất", "count": 1}, {"name": "Giải nhì", "count": 1},
                                         {"name": "Giải ba", "count": 1}, {"name": "Giải khuyến khích", "rest": true}]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let mut teams = vec![];
    let mut phones = vec![];
    for name in ["Thị trấn Ngã Sáu", "Xã Phú Hữu", "Xã Đông Phước", "Xã Phú Tân"] {
        let (id, code) = create_team(&app, &admin, cid, name).await;
        teams.push(id);
        phones.push(join(&app, &code, &format!("Đội trưởng {name}")).await["token"].as_str().unwrap().to_owned());
    }
    let mut judges = vec![];
    for i in 1..=5 {
        let (username, password) = (format!("gk{i}"), format!("mat-khau-gk-{i}"));
        let (s, u) = app
            .post("/api/users", Some(&admin), json!({"username": username, "password": password, "role": "judge"}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{u}");
        let (s, j) = app
            .post(
                &format!("/api/contests/{cid}/judges"),
                Some(&admin),
                json!({"user_id": u["id"], "name": format!("Giám khảo {i}")}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{j}");
        judges.push(app.login(&username, &password).await);
    }
    let c = Contest { admin: admin.clone(), cid, teams: teams.clone(), phones, judges };
    let rubric = |aggregate: &str| {
        let mut r: Value = serde_json::from_str(RUBRIC).unwrap();
        r["aggregate"] = json!(aggregate);
        r
    };
    let greeting = create_part(
        &app,
        &admin,
        cid,
        json!({"kind": "judged", "title": "Chào hỏi", "max_points": 100, "rubric": rubric("trimmed_mean")}),
    )
    .await;
    let quiz = create_part(
        &app,
        &admin,
        cid,
        json!({"kind": "quiz", "title": "Kiến thức", "max_points": 100, "time_per_question_s": 0}),
    )
    .await;
    let buzzer = create_part(
        &app,
        &admin,
        cid,
        json!({"kind": "buzzer", "title": "Giành quyền trả lời", "max_points": 100, "time_per_question_s": 0,
               "scoring": {"wrong_penalty": 5, "buzzer": {"steal_s": 10}}}),
    )
    .await;
    let skit = create_part(
        &app,
        &admin,
        cid,
        json!({"kind": "judged", "title": "Sân khấu hóa", "max_points": 100, "rubric": rubric("mean")}),
    )
    .await;
    let (s, b) = app
        .request(
            Method::PUT,
            &format!("/api/contests/{cid}/tie-breakers"),
            Some(&admin),
            Some(json!({"tie_breakers": [{"kind": "part", "part_id": skit}]})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let csv = "Mã câu hỏi,Phần,Loại,Độ khó,Câu hỏi,Phương án A,Phương án B,Đáp án\n\
               mau-1,phan-1,single,1,Câu hỏi mẫu?,Có,Không,A\n";
    let res = app
        .client
        .post(format!("{}/api/banks/import?bank=bo-de-hoi-thi&format=csv", app.addr))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let bank = res.json::<Value>().await.unwrap()["bank_id"].as_i64().unwrap();
    let quiz_qs = give_questions(&app, &c, bank, quiz, 0, 2).await;
    let buzzer_qs = give_questions(&app, &c, bank, buzzer, 2, 1).await;

    // 1. The greeting, five judges, trimmed mean (the highest and lowest total dropped).
    //    Ngã Sáu 80; Phú Hữu 70; Đông Phước: 50, 60, 60, 60, 90 → 60; Phú Tân 50.
    c.part(&app, greeting, "start").await;
    let dong_phuoc =
        vec![[25.0, 15.0, 10.0], [30.0, 20.0, 10.0], [30.0, 20.0, 10.0], [30.0, 20.0, 10.0], [45.0, 25.0, 20.0]];
    c.judge(
        &app,
        greeting,
        &[same([40.0, 25.0, 15.0], 5), same([35.0, 20.0, 15.0], 5), dong_phuoc, same([25.0, 15.0, 10.0], 5)],
    )
    .await;
    c.part(&app, greeting, "finish").await;

    // 2. The quiz, two questions of 10 (the right option is B): Ngã Sáu 0, Phú Hữu 20,
    //    Đông Phước 10, Phú Tân 20.
    c.part(&app, quiz, "start").await;
    for (q, choices) in quiz_qs.iter().zip([[0, 1, 1, 1], [2, 1, 0, 1]]) {
        c.live(&app, "next").await;
        for (team, choice) in choices.iter().enumerate() {
            c.answer(&app, team, *q, *choice).await;
        }
        c.live(&app, "close").await;
        c.live(&app, "reveal").await;
    }
    c.part(&app, quiz, "finish").await;

    // 3. The buzzer: Ngã Sáu presses first and is wrong (−5, locked out); the question
    //    reopens and Đông Phước steals it (+10).
    c.part(&app, buzzer, "start").await;
    c.live(&app, "next").await;
    let q = buzzer_qs[0];
    let mut ngasau = app.ws(&c.phones[0]).await;
    let mut dongphuoc = app.ws(&c.phones[2]).await;
    c.live(&app, "buzzer/open").await;
    assert_eq!(press(&mut ngasau, q).await["buzz"]["place"], 1);
    c.post(&app, "/live/buzzer/mark", json!({"correct": false, "team_id": teams[0]})).await;
    c.live(&app, "buzzer/open").await;
    let steal = press(&mut dongphuoc, q).await;
    assert_eq!(steal["buzz"]["place"], 1, "{steal}");
    let marked = c.post(&app, "/live/buzzer/mark", json!({"correct": true, "team_id": teams[2]})).await;
    assert_eq!(marked["buzzer"]["points"], 10.0, "{marked}");
    c.live(&app, "reveal").await;
    c.part(&app, buzzer, "finish").await;

    // 4. The skit, the mean of five judges: Ngã Sáu 20, Phú Hữu 5, Đông Phước 10, Phú Tân 10.
    c.part(&app, skit, "start").await;
    c.judge(
        &app,
        skit,
        &[same([10.0, 5.0, 5.0], 5), same([3.0, 1.0, 1.0], 5), same([5.0, 3.0, 2.0], 5), same([5.0, 3.0, 2.0], 5)],
    )
    .await;
    c.part(&app, skit, "finish").await;

    // Totals: Ngã Sáu 80 + 0 − 5 + 20 = 95; Phú Hữu 70 + 20 + 0 + 5 = 95; Đông Phước
    // 60 + 10 + 10 + 10 = 90; Phú Tân 50 + 20 + 0 + 10 = 80. Ngã Sáu and Phú Hữu tie on
    // 95: the skit (20 against 5) puts Ngã Sáu first.
    let board = c.board(&app, false).await;
    assert_eq!(board, c.board(&app, true).await, "the live board equals a recomputation");
    let rows: Vec<(i64, u64, f64)> = board["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["team_id"].as_i64().unwrap(), r["rank"].as_u64().unwrap(), r["total"].as_f64().unwrap()))
        .collect();
    assert_eq!(
        rows,
        vec![(teams[0], 1, 95.0), (teams[1], 2, 95.0), (teams[2], 3, 90.0), (teams[3], 4, 80.0)],
        "{board}"
    );
    let part_score = |team: i64, part: i64| {
        board["rows"].as_array().unwrap().iter().find(|r| r["team_id"] == team).unwrap()["parts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["part_id"] == part)
            .unwrap()["score"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(part_score(teams[2], greeting), 60.0, "trimmed mean of 50, 60, 60, 60, 90");
    assert_eq!(part_score(teams[0], buzzer), -5.0, "the wrong buzz");
    assert_eq!(part_score(teams[2], buzzer), 10.0, "the steal");

    // The prizes, as the awards ceremony reveals them from the bottom up.
    c.post(&app, "/live/board/freeze", json!({})).await;
    let mut revealed = vec![];
    for _ in 0..4 {
        // Staff see every row of the frozen board, bottom first, and how many are revealed.
        let v = c.post(&app, "/live/board/reveal", json!({})).await;
        let n = v["revealed"].as_u64().unwrap() as usize;
        let last = &v["steps"][n - 1];
        revealed.push((last["team_id"].as_i64().unwrap(), last["prize"]["name"].as_str().unwrap().to_owned()));
    }
    assert_eq!(
        revealed,
        vec![
            (teams[3], "Giải khuyến khích".to_owned()),
            (teams[2], "Giải ba".to_owned()),
            (teams[1], "Giải nhì".to_owned()),
            (teams[0], "Giải nhất".to_owned()),
        ]
    );
}
