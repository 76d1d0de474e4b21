//! A contest with results to publish, shared by the API tests (tests/api/results.rs)
//! and the browser tests of the results pages (tests/browser/results.rs).
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fixtures::{create_part, join, set_part_questions};
use crate::helpers::TestApp;

pub const EVIL: &str = "<img src=x onerror=alert(1)> \"Đội\" & 'co'";

pub struct Setup {
    pub admin: String,
    pub cid: i64,
    pub parts: Vec<i64>,
    /// Part question ids per part, with their points.
    pub questions: Vec<Vec<(i64, f64)>>,
    pub teams: Vec<i64>,
    pub tokens: Vec<String>,
}

/// A contest (its name full of markup) with three teams of one joined contestant each
/// and two quiz parts ("Khởi động" weight 1, "Tăng tốc" weight 2) of two questions each;
/// every question's answer is option A.
pub async fn setup(app: &TestApp) -> Setup {
    setup_with(app, 3).await
}

/// Names of a province's teams, for the pages' screenshots.
const PLACES: [&str; 8] =
    ["Ngã Sáu", "Phú Hữu", "Đông Thạnh", "Đông Phước", "Phú Tân", "Đông Phú", "Phú An", "Mái Dầm"];

/// Like `setup` with `n` teams; more than three get real-looking names.
pub async fn setup_with(app: &TestApp, n: usize) -> Setup {
    let admin = app.admin_token().await;
    let (s, c) = app
        .post(
            "/api/contests",
            Some(&admin),
            json!({"name": format!("Hội thi {EVIL}"), "unit": "Huyện ủy Châu Thành", "held_on": "2025-05-15",
                   "venue": "Hội trường huyện"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_i64().unwrap();
    let csv = "Mã câu hỏi,Phần,Loại,Độ khó,Câu hỏi,Phương án A,Phương án B,Đáp án\n\
               kq-1,phan-1,single,1,Câu một?,Đúng,Sai,A\n\
               kq-2,phan-1,single,1,Câu hai?,Đúng,Sai,A\n\
               kq-3,phan-1,single,1,Câu ba?,Đúng,Sai,A\n\
               kq-4,phan-1,single,1,Câu bốn?,Đúng,Sai,A\n";
    let res = app
        .client
        .post(format!("{}/api/banks/import?bank=bo-de-ket-qua&format=csv", app.addr))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let bank: Value = res.json().await.unwrap();
    let (_, qs) = app.get(&format!("/api/banks/{}/questions", bank["bank_id"]), Some(&admin)).await;
    let qs = qs.as_array().cloned().unwrap_or_else(|| qs["questions"].as_array().unwrap().clone());
    let ids: Vec<i64> = qs.iter().map(|q| q["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 4);
    let mut parts = vec![];
    let mut questions = vec![];
    for (i, (title, weight)) in [("Khởi động", 1), ("Tăng tốc", 2)].into_iter().enumerate() {
        let pid = create_part(
            app,
            &admin,
            cid,
            json!({"kind": "quiz", "title": title, "max_points": 100, "weight": weight, "time_per_question_s": 60}),
        )
        .await;
        let b = set_part_questions(app, &admin, cid, pid, &ids[i * 2..i * 2 + 2]).await;
        questions.push(
            b["questions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (r["id"].as_i64().unwrap(), r["points"].as_f64().unwrap()))
                .collect(),
        );
        parts.push(pid);
    }
    let mut teams = vec![];
    let mut tokens = vec![];
    for t in 1..=n {
        let (name, unit, members) = if n <= 3 {
            (format!("Đội {t}"), format!("Xã số {t}"), json!(["An", "Bình", "Chi"]))
        } else {
            let p = PLACES[(t - 1) % PLACES.len()];
            (
                format!("Đội {p}"),
                format!("Đảng ủy xã {p}"),
                json!(["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Chi", "Phạm Minh Đức"]),
            )
        };
        let (s, b) = app
            .post(
                &format!("/api/contests/{cid}/teams"),
                Some(&admin),
                json!({"name": name, "unit": unit, "members": members}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        teams.push(b["id"].as_i64().unwrap());
        let j = join(app, b["code"].as_str().unwrap(), "Trưởng đội").await;
        tokens.push(j["token"].as_str().unwrap().to_owned());
    }
    Setup { admin, cid, parts, questions, teams, tokens }
}

impl Setup {
    pub async fn post(&self, app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
        app.post(&format!("/api/contests/{}{path}", self.cid), Some(&self.admin), body).await
    }

    pub async fn control(&self, app: &TestApp, path: &str) {
        let (s, b) =
            app.request(Method::POST, &format!("/api/contests/{}{path}", self.cid), Some(&self.admin), None).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
    }

    /// Opens the next question; `right` teams (indices) answer A, the others B.
    pub async fn ask(&self, app: &TestApp, part: usize, q: usize, right: &[usize]) {
        self.control(app, "/live/next").await;
        let qid = self.questions[part][q].0;
        for (i, tok) in self.tokens.iter().enumerate() {
            let choice = if right.contains(&i) { 0 } else { 1 };
            let (s, b) = app
                .post(
                    &format!("/api/contests/{}/answers", self.cid),
                    Some(tok),
                    json!({"submission_id": format!("s-{part}-{q}-{i}"), "question_id": qid, "response": {"choice": choice}}),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
        }
        self.control(app, "/live/close").await;
    }

    pub async fn run_part(&self, app: &TestApp, part: usize, right: [&[usize]; 2]) {
        self.control(app, &format!("/parts/{}/start", self.parts[part])).await;
        self.ask(app, part, 0, right[0]).await;
        self.ask(app, part, 1, right[1]).await;
        self.control(app, &format!("/parts/{}/finish", self.parts[part])).await;
    }

    pub async fn public(&self, app: &TestApp) -> (StatusCode, Value) {
        app.get(&format!("/api/public/contests/{}/results", self.cid), None).await
    }

    pub async fn page(&self, app: &TestApp) -> (StatusCode, String, String) {
        let res = app.client.get(format!("{}/results/{}", app.addr, self.cid)).send().await.unwrap();
        let s = res.status();
        let csp = res.headers().get("content-security-policy").unwrap().to_str().unwrap().to_owned();
        (s, res.text().await.unwrap(), csp)
    }
}
