//! The elimination part (rung chuông vàng) on a real phone and the hall's projector: a
//! wrong answer puts "Bạn đã bị loại" on the contestant's phone at the reveal and locks
//! its answer buttons; the projector shows how many remain; a rescue brings the phone
//! back ("Bạn được cứu trợ!") with the projector's rescue moment.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{self, Screen};
use crate::helpers::{TestApp, spawn_app};

struct Hall {
    admin: String,
    cid: i64,
    pid: i64,
    questions: Vec<i64>,
}

impl Hall {
    async fn control(&self, app: &TestApp, what: &str) -> Value {
        let path = match what {
            "start" | "finish" => format!("/api/contests/{}/parts/{}/{what}", self.cid, self.pid),
            _ => format!("/api/contests/{}/live/{what}", self.cid),
        };
        let (s, b) = app.request(Method::POST, &path, Some(&self.admin), None).await;
        assert_eq!(s, StatusCode::OK, "{what}: {b}");
        b
    }
}

async fn hall(app: &TestApp) -> Hall {
    let admin = app.admin_token().await;
    let cid = crate::fixtures::create_contest(app, &admin, "Rung chuông vàng tìm hiểu chuyên đề 2025").await;
    let pid = crate::fixtures::create_part(
        app,
        &admin,
        cid,
        json!({"kind": "elimination", "title": "Rung chuông vàng", "max_points": 100, "weight": 1,
               "time_per_question_s": 0, "scoring": {"elimination": {"points_per_survivor": 10}}}),
    )
    .await;
    let csv = "Mã câu hỏi,Phần,Loại,Độ khó,Câu hỏi,Phương án A,Phương án B,Đáp án\n\
               mau-1,phan-1,single,1,Câu hỏi mẫu?,Có,Không,A\n";
    let (s, bank) = app
        .post_raw("/api/banks/import?bank=rung-chuong&format=csv", &admin, "text/csv", csv.as_bytes().to_vec())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{bank}");
    let bank_id = bank["bank_id"].as_i64().unwrap();
    let mut ids = vec![];
    for (i, prompt) in [
        "Chuyên đề năm 2025 nhấn mạnh việc phát huy yếu tố nào?",
        "Thời kỳ vàng được nhắc đến trong chuyên đề là thời kỳ gì?",
    ]
    .iter()
    .enumerate()
    {
        let q = json!({"id": format!("rcv-{i}"), "section": "phan-1", "difficulty": 1, "points": 10, "time_limit_s": 60,
                       "prompt": prompt, "explanation": "", "type": "single",
                       "options": ["Nội lực", "Ngoại lực", "Vốn vay", "Tài nguyên"], "answer": "A"});
        let (s, b) = app.post(&format!("/api/banks/{bank_id}/questions"), Some(&admin), q).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        ids.push(b["id"].as_i64().unwrap());
    }
    let b = crate::fixtures::set_part_questions(app, &admin, cid, pid, &ids).await;
    let questions = b["questions"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    Hall { admin, cid, pid, questions }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_answer_eliminates_on_the_phone_and_a_rescue_brings_it_back() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let h = hall(&app).await;
    let (_, code_a) = crate::fixtures::create_team(&app, &h.admin, h.cid, "Xã Phú Hữu").await;
    let (_, code_b) = crate::fixtures::create_team(&app, &h.admin, h.cid, "Thị trấn Ngã Sáu").await;
    let binh = crate::fixtures::join(&app, &code_b, "Bình").await["token"].as_str().unwrap().to_owned();

    let lan = Screen::phone("elimination", "lan").await;
    lan.join(&app.addr, &code_a, "Lan").await;

    let (s, link) = app.post(&format!("/api/contests/{}/projector", h.cid), Some(&h.admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{link}");
    let p = Screen::wide("elimination", "projector").await;
    p.goto(&format!("{}{}", app.addr, link["path"].as_str().unwrap())).await;
    p.wait_text("#contest-name", "Rung chuông vàng", 10).await;

    h.control(&app, "start").await;
    lan.wait_text("#elim-standing", "Bạn vẫn đang trong cuộc thi", 10).await;
    lan.wait_text("#elim-count", "Còn 2/2 thí sinh", 10).await;
    lan.shot("in").await;

    // Question 1: Lan taps a wrong option on her phone; Bình answers right.
    h.control(&app, "next").await;
    lan.wait_js("const b = document.querySelector('#options .opt[data-i=\"1\"]'); return !!b && !b.disabled", 10).await;
    lan.js("document.querySelector('#options .opt[data-i=\"1\"]').click(); return true;").await;
    lan.wait_text("#answer-status", "Đã ghi nhận", 10).await;
    let (s, b) = app
        .post(
            &format!("/api/contests/{}/answers", h.cid),
            Some(&binh),
            json!({"submission_id": "b-1", "question_id": h.questions[0], "response": {"choice": 0}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // Closed, not yet revealed: the phone still says she is in (no answer given away).
    h.control(&app, "close").await;
    lan.wait_js("return document.getElementById('stage').dataset.view === 'closed'", 10).await;
    assert!(lan.text("#elim-standing").await.contains("Bạn vẫn đang trong cuộc thi"));
    h.control(&app, "reveal").await;
    lan.wait_text("#elim-standing", "Bạn đã bị loại", 10).await;
    lan.wait_text("#elim-count", "Còn 1/2 thí sinh", 10).await;
    lan.shot("eliminated").await;
    p.wait_js("return document.getElementById('elim-remaining')?.textContent === '1'", 10).await;
    assert_eq!(p.text("#elim-total").await, "/2");
    // Each contestant answers for themselves: the chart speaks of contestants, not teams.
    p.wait_js(
        "return !document.getElementById('dist').hidden && document.getElementById('dist-title').textContent === 'Thí sinh đã chọn'",
        10,
    )
    .await;
    p.shot("remaining").await;

    // The console's live control: the count, who went out, and the rescue of everyone
    // eliminated on the last question, which needs a reason.
    let con = Screen::wide("elimination", "console").await;
    con.sign_in(&app.addr, crate::helpers::ADMIN_USER, crate::helpers::ADMIN_PASSWORD, "/console").await;
    con.goto(&format!("{}/console#/{}/live", app.addr, h.cid)).await;
    con.wait_text("#live-elimination", "Còn 1/2", 10).await;
    con.wait_text("#elim-eliminated", "Lan", 10).await;
    con.click("#rescue-all").await;
    con.wait_text("#rescue-form .field-error", "lý do", 10).await;
    con.shot("rescue-needs-a-reason").await;
    con.fill("#rescue-reason", "Âm thanh hội trường bị gián đoạn").await;
    con.click("#rescue-all").await;
    con.wait_text("#live-elimination", "Còn 2/2", 10).await;
    con.shot("rescued").await;
    let (_, audit) = app.get(&format!("/api/contests/{}/audit", h.cid), Some(&h.admin)).await;
    assert!(
        audit.as_array().unwrap().iter().any(|a| a["action"] == "elimination_rescue"
            && a["detail"]["reason"] == "Âm thanh hội trường bị gián đoạn"),
        "{audit}"
    );
    lan.wait_text("#elim-standing", "Bạn được cứu trợ!", 10).await;
    lan.shot("rescued").await;
    p.wait_text("#rescue-title", "Cứu trợ!", 10).await;
    assert!(p.text("#rescue-names").await.contains("Lan"));
    p.shot("rescue-moment").await;

    // Question 2: she is back in and may answer again.
    h.control(&app, "next").await;
    lan.wait_js("const b = document.querySelector('#options .opt[data-i=\"0\"]'); return !!b && !b.disabled", 10).await;
    lan.shot("back-in").await;

    // Eliminated again (no answer this time): the next screen keeps her buttons locked.
    h.control(&app, "close").await;
    h.control(&app, "reveal").await;
    lan.wait_text("#elim-standing", "Bạn đã bị loại", 10).await;
    p.wait_js("return document.getElementById('elim-board-line')?.textContent.includes('Còn 0/2')", 10).await;
    lan.quit().await;
    p.quit().await;
    con.quit().await;
}
