//! The end of the contest on the hall's big screen and a phone: the organiser freezes the
//! public board (the projector says so and keeps it; the phone shows its frozen rank), then
//! reveals it from the bottom up — each step a team's rank, name, total and prize, big.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{self, Screen};
use crate::helpers::{ADMIN_PASSWORD, ADMIN_USER, TestApp, spawn_app};

struct Hall {
    cid: i64,
    admin: String,
    /// (team id, a member's token)
    teams: Vec<(i64, String)>,
    /// The join code of the first team.
    code: String,
}

const TEAMS: [&str; 5] = [
    "Đội Thị trấn Ngã Sáu",
    "Đội Xã Phú Hữu",
    "Đội Đảng ủy Khối cơ quan và doanh nghiệp huyện Châu Thành",
    "Đội Xã Đông Phước A",
    "Đội Xã Đông Thạnh",
];

/// A contest of five teams whose quiz part is over, with totals 0, 10, 15, 20 and 30.
async fn hall(app: &TestApp) -> Hall {
    let admin = app.admin_token().await;
    let (s, c) = app
        .post(
            "/api/contests",
            Some(&admin),
            json!({"name": "Hội thi tìm hiểu chuyên đề năm 2025", "unit": "Huyện ủy Châu Thành", "held_on": "2025-05-15", "venue": "Hội trường huyện"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_i64().unwrap();
    let (s, p) = app
        .post(
            &format!("/api/contests/{cid}/parts"),
            Some(&admin),
            json!({"kind": "quiz", "title": "Phần thi trắc nghiệm", "max_points": 100, "time_per_question_s": 0}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let pid = p["id"].as_i64().unwrap();
    let csv = "Mã câu hỏi,Phần,Loại,Độ khó,Điểm,Thời gian (giây),Câu hỏi,Phương án A,Phương án B,Đáp án\n\
        c-1,phan-1,single,1,10,40,Tỉnh nào tổ chức hội thi được nêu trong bài viết?,Hậu Giang,Bạc Liêu,A\n";
    let (s, b) = app.post_raw("/api/banks/import?bank=ket-qua&format=csv", &admin, "text/csv", csv.into()).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (_, qs) = app.get(&format!("/api/banks/{}/questions", b["bank_id"]), Some(&admin)).await;
    let ids: Vec<i64> = qs.as_array().unwrap().iter().map(|q| q["id"].as_i64().unwrap()).collect();
    let rows = crate::fixtures::set_part_questions(app, &admin, cid, pid, &ids).await;
    let q = rows["questions"][0]["id"].as_i64().unwrap();
    let mut teams = vec![];
    let mut code = String::new();
    for name in TEAMS {
        let (s, t) = app
            .post(
                &format!("/api/contests/{cid}/teams"),
                Some(&admin),
                json!({"name": name, "unit": "Đảng ủy", "members": ["An"]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        let (s, j) = app.post("/api/join", None, json!({"code": t["code"], "name": "An"})).await;
        assert_eq!(s, StatusCode::OK, "{j}");
        if code.is_empty() {
            code = t["code"].as_str().unwrap().to_owned();
        }
        teams.push((t["id"].as_i64().unwrap(), j["token"].as_str().unwrap().to_owned()));
    }
    let h = Hall { cid, admin, teams, code };
    h.post(app, &format!("/api/contests/{cid}/parts/{pid}/start"), None).await;
    h.post(app, &format!("/api/contests/{cid}/live/next"), None).await;
    for (i, (_, token)) in h.teams.iter().enumerate().skip(1) {
        let (s, b) = app
            .post(
                &format!("/api/contests/{cid}/answers"),
                Some(token),
                json!({"submission_id": format!("a-{i}"), "question_id": q, "response": {"choice": 0}}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    for op in ["close", "reveal"] {
        h.post(app, &format!("/api/contests/{cid}/live/{op}"), None).await;
    }
    h.post(app, &format!("/api/contests/{cid}/parts/{pid}/finish"), None).await;
    for (team, delta) in [(2, 5.0), (3, 10.0), (4, 20.0)] {
        h.post(
            app,
            &format!("/api/contests/{cid}/adjustments"),
            Some(json!({"team_id": h.teams[team].0, "part_id": pid, "delta": delta, "reason": "Điểm phần thi phụ"})),
        )
        .await;
    }
    h
}

impl Hall {
    async fn post(&self, app: &TestApp, path: &str, body: Option<Value>) -> Value {
        let (s, b) = app.request(Method::POST, path, Some(&self.admin), body).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
        b
    }

    async fn board(&self, app: &TestApp, op: &str) -> Value {
        if op == "view" {
            let (s, b) = app.get(&format!("/api/contests/{}/live/board", self.cid), Some(&self.admin)).await;
            assert_eq!(s, StatusCode::OK, "{b}");
            return b;
        }
        self.post(app, &format!("/api/contests/{}/live/board/{op}", self.cid), None).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_projector_reveals_the_frozen_board_from_the_bottom_up() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let h = hall(&app).await;
    let (s, link) = app.post(&format!("/api/contests/{}/projector", h.cid), Some(&h.admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{link}");
    let p = Screen::wide("ceremony", "projector").await;
    p.goto(&format!("{}{}", app.addr, link["path"].as_str().unwrap())).await;
    p.wait_js("return document.querySelectorAll('#board .prow').length === 5", 10).await;

    // The team that scored nothing joins on a phone.
    let phone = Screen::phone("ceremony", "phone").await;
    phone.join(&app.addr, &h.code, "Bình").await;
    phone.wait_text("#wait-team", TEAMS[0], 10).await;

    // The organiser freezes the board from the console's live page.
    let c = Screen::wide("ceremony", "console").await;
    c.sign_in(&app.addr, ADMIN_USER, ADMIN_PASSWORD, "/console").await;
    c.goto(&format!("{}/console#/{}/live", app.addr, h.cid)).await;
    c.wait_text("#board-freeze", "Khóa bảng điểm", 10).await;
    c.js("document.getElementById('board-freeze').click(); return 1").await;
    c.wait_text("#ceremony-next", TEAMS[0], 10).await;
    assert!(c.text("#ceremony-status").await.contains("0/5"));

    // Frozen: the big screen says when, and keeps the board.
    let v = h.board(&app, "view").await;
    assert_eq!(v["frozen"], true);
    p.wait_text("#board-sub", "Bảng điểm đã chốt", 10).await;
    p.shot("frozen-board").await;

    // Step 1, with the console's X key: the last team, a consolation prize (1 nhất,
    // 1 nhì, 2 ba, 2 khuyến khích).
    c.js("document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'x', bubbles: true})); return 1").await;
    c.wait_text("#ceremony-next", TEAMS[1], 10).await;
    c.shot("ceremony-card").await;
    p.wait_js("return !document.getElementById('scene-ceremony').hidden", 10).await;
    p.wait_text("#cer-name", TEAMS[0], 10).await;
    assert_eq!(p.text("#cer-rank").await, "5");
    assert_eq!(p.text("#cer-total").await, "0");
    p.wait_text("#cer-prize", "GIẢI KHUYẾN KHÍCH", 10).await;
    std::thread::sleep(std::time::Duration::from_millis(1800));
    p.shot("step-1-fifth").await;

    // Step 2: fourth place, giải ba.
    h.board(&app, "reveal").await;
    p.wait_text("#cer-name", TEAMS[1], 10).await;
    assert_eq!(p.text("#cer-rank").await, "4");
    assert_eq!(p.text("#cer-total").await, "10");
    p.wait_text("#cer-prize", "GIẢI BA", 10).await;
    assert_eq!(p.js("return document.querySelectorAll('#cer-ladder .cer-chip').length").await, json!(1));
    std::thread::sleep(std::time::Duration::from_millis(2200));
    p.shot("step-2-fourth").await;

    // Steps 3–5, up to giải nhất; the long name fits its card.
    for (team, rank, prize) in [(2, "3", "Giải ba"), (3, "2", "Giải nhì"), (4, "1", "Giải nhất")] {
        h.board(&app, "reveal").await;
        p.wait_text("#cer-name", TEAMS[team], 10).await;
        assert_eq!(p.text("#cer-rank").await, rank);
        p.wait_text("#cer-prize", &prize.to_uppercase(), 10).await;
        if team == 2 {
            std::thread::sleep(std::time::Duration::from_millis(2000));
            p.shot("step-3-long-name").await;
            let fits = p
                .js("const n = document.getElementById('cer-name'); return n.scrollHeight <= n.clientHeight + 2")
                .await;
            assert_eq!(fits, json!(true), "the long name is cut");
        }
    }
    // The moment of giải nhất: the confetti is falling.
    std::thread::sleep(std::time::Duration::from_millis(1600));
    assert!(p.js("return document.querySelectorAll('#cer-card .cf').length").await.as_u64().unwrap() > 20);
    p.shot("step-5-first-prize").await;
    assert_eq!(p.js("return document.querySelectorAll('#cer-ladder .cer-chip').length").await, json!(4));
    assert!(p.text("#cer-progress").await.contains("5/5"));
    // The whole card stays on the 1920×1080 stage.
    let inside = p
        .js("const r = document.getElementById('cer-card').getBoundingClientRect(); \
             return r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight")
        .await;
    assert_eq!(inside, json!(true));

    // The phone keeps its frozen rank and says the results are coming.
    phone.wait_text("#rank-frozen", "Bảng điểm đã chốt", 10).await;
    assert_eq!(phone.text("#rank-no").await, "5");
    phone.shot("frozen-rank").await;

    // Unfreeze: the standings come back.
    h.board(&app, "unfreeze").await;
    p.wait_js("return !document.getElementById('scene-board').hidden", 10).await;
    p.shot("unfrozen").await;
    phone.wait_js("return !document.getElementById('rank-frozen')", 10).await;
    c.wait_text("#board-freeze", "Khóa bảng điểm", 10).await;

    // A tie-break question for two other teams: this phone's team does not play it.
    let csv = "Mã câu hỏi,Phần,Loại,Độ khó,Điểm,Thời gian (giây),Câu hỏi,Phương án A,Phương án B,Đáp án\n\
        p-1,phan-1,single,1,10,40,Hội thi được tổ chức ở huyện nào?,Châu Thành,Long Mỹ,A\n";
    let (s, b) = app.post_raw("/api/banks/import?bank=cau-phu&format=csv", &h.admin, "text/csv", csv.into()).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (_, qs) = app.get(&format!("/api/banks/{}/questions", b["bank_id"]), Some(&h.admin)).await;
    let (s, part) = app
        .post(
            &format!("/api/contests/{}/parts", h.cid),
            Some(&h.admin),
            json!({"kind": "quiz", "title": "Câu hỏi phụ", "max_points": 10, "time_per_question_s": 0,
                   "tie_break_teams": [h.teams[3].0, h.teams[4].0]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{part}");
    let tb = part["id"].as_i64().unwrap();
    crate::fixtures::set_part_questions(&app, &h.admin, h.cid, tb, &[qs[0]["id"].as_i64().unwrap()]).await;
    h.post(&app, &format!("/api/contests/{}/parts/{tb}/start", h.cid), None).await;
    h.post(&app, &format!("/api/contests/{}/live/next", h.cid), None).await;
    phone.wait_text("#tiebreak-other", "Câu hỏi phụ dành cho các đội đồng điểm", 10).await;
    phone.shot("tie-break-for-others").await;
    p.quit().await;
    phone.quit().await;
    c.quit().await;
}
