//! The contestant's phone (/join and /play) in a real browser, against the real server.
//! Contests are set up through the API; the phones are driven only through their pages.
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{self, Screen};
use crate::helpers::{TestApp, fill, spawn_app};

const PAGE_BUDGET: usize = 60 * 1024;

struct Contest {
    admin: String,
    cid: i64,
    pid: i64,
    questions: Vec<i64>,
}

/// A made-up bank question in the bank's input form.
fn bank_question(i: usize, kind: &str, prompt: &str, extra: Value) -> Value {
    let mut v = json!({
        "id": format!("phone-{i:03}"), "section": "phan-1", "difficulty": 1, "points": 10,
        "time_limit_s": 30, "prompt": prompt, "explanation": "", "type": kind,
    });
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

/// A contest with one quiz part (reading time, get-ready, star of hope) holding `qs`.
async fn contest(app: &TestApp, name: &str, scoring: Value, qs: Vec<Value>) -> Contest {
    contest_with(app, name, "last_answer", scoring, qs).await
}

/// The same with an answer policy (`last_answer` | `captain_only`).
async fn contest_with(app: &TestApp, name: &str, policy: &str, scoring: Value, qs: Vec<Value>) -> Contest {
    let admin = app.admin_token().await;
    let (s, c) = app
        .post(
            "/api/contests",
            Some(&admin),
            json!({"name": name, "unit": "Huyện ủy Châu Thành", "held_on": "2025-05-15", "venue": "Hội trường huyện"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_i64().unwrap();
    let (s, p) = app
        .post(
            &format!("/api/contests/{cid}/parts"),
            Some(&admin),
            json!({"kind": "quiz", "title": "Phần thi trắc nghiệm", "max_points": 100, "weight": 1,
                   "time_per_question_s": 0, "answer_policy": policy, "scoring": scoring}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let pid = p["id"].as_i64().unwrap();
    let csv = "Mã câu hỏi,Phần,Loại,Độ khó,Câu hỏi,Phương án A,Phương án B,Đáp án\n\
               mau-1,phan-1,single,1,Câu hỏi mẫu?,Có,Không,A\n";
    let (s, bank) = app
        .post_raw("/api/banks/import?bank=bo-de-dien-thoai&format=csv", &admin, "text/csv", csv.as_bytes().to_vec())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{bank}");
    let bank_id = bank["bank_id"].as_i64().unwrap();
    let mut ids = vec![];
    for q in qs {
        let (s, b) = app.post(&format!("/api/banks/{bank_id}/questions"), Some(&admin), q).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        ids.push(b["id"].as_i64().unwrap());
    }
    let b = crate::fixtures::set_part_questions(app, &admin, cid, pid, &ids).await;
    let questions = b["questions"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    Contest { admin, cid, pid, questions }
}

impl Contest {
    async fn team(&self, app: &TestApp, name: &str, members: &[&str]) -> (i64, String) {
        let (s, b) = app
            .post(
                &format!("/api/contests/{}/teams", self.cid),
                Some(&self.admin),
                json!({"name": name, "unit": "Đảng ủy xã Phú Hữu", "members": members}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        (b["id"].as_i64().unwrap(), b["code"].as_str().unwrap().to_owned())
    }

    async fn control(&self, app: &TestApp, what: &str) -> Value {
        let path = match what {
            "start" | "finish" => format!("/api/contests/{}/parts/{}/{what}", self.cid, self.pid),
            _ => format!("/api/contests/{}/live/{what}", self.cid),
        };
        let (s, b) = app.request(Method::POST, &path, Some(&self.admin), None).await;
        assert_eq!(s, StatusCode::OK, "{what}: {b}");
        b
    }

    /// Stored answers of a team to a question (the answer record).
    async fn stored(&self, app: &TestApp, question: i64, team: i64) -> Vec<Value> {
        let (s, b) = app.get(&format!("/api/contests/{}/answers", self.cid), Some(&self.admin)).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b["answers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["question_id"] == question && a["team_id"] == team)
            .cloned()
            .collect()
    }
}

/// Joins through the page: the code from the QR link, the name typed.
async fn join_on_page(app: &TestApp, s: &Screen, code: &str, name: &str) {
    s.join(&app.addr, code, name).await;
}

/// Clicks through JavaScript (the buttons can be under the sticky footer).
async fn tap(s: &Screen, css: &str) {
    s.find(css).await;
    s.js(&format!("document.querySelector({css:?}).click(); return true;")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_joins_answers_and_sees_its_result_on_the_phone() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let qs = vec![
        bank_question(
            1,
            "single",
            "Nghị quyết Đại hội đại biểu toàn quốc lần thứ XIII của Đảng xác định mấy đột phá chiến lược?",
            json!({"options": ["Hai đột phá", "Ba đột phá", "Bốn đột phá", "Năm đột phá"], "answer": "B"}),
        ),
        bank_question(
            2,
            "number",
            "Tỉnh có bao nhiêu ki-lô-mét kênh rạch nội đồng (làm tròn đến hàng trăm)?",
            json!({"answer": 7300, "tolerance": 0}),
        ),
        bank_question(
            3,
            "single",
            "Phong trào thi đua nào do Thủ tướng phát động năm 2021?",
            json!({"options": ["Cả nước chung tay vì người nghèo", "Cả nước thi đua xây dựng xã hội học tập",
                               "Cả nước thi đua đổi mới sáng tạo", "Cả nước chung sức xây dựng nông thôn mới"],
                   "answer": "D"}),
        ),
    ];
    let c = contest(
        &app,
        "Hội thi tìm hiểu Nghị quyết Đại hội XIII",
        json!({"reading_s": 3, "get_ready_s": 2, "star_of_hope": true}),
        qs,
    )
    .await;
    let (team_a, code_a) = c.team(&app, "Thị trấn Ngã Sáu", &["Lan", "Minh", "Hòa"]).await;
    let (_team_b, code_b) = c.team(&app, "Xã Phú Hữu", &["Bình"]).await;
    let (s, other) = app.post("/api/join", None, json!({"code": code_b, "name": "Bình"})).await;
    assert_eq!(s, StatusCode::OK, "{other}");
    let other = other["token"].as_str().unwrap().to_owned();

    // The teammate joins from the team card's QR link.
    let minh = Screen::phone("phone-flow", "minh").await;
    join_on_page(&app, &minh, &code_a, "Minh").await;
    minh.wait_text("#members", "Minh", 10).await;

    // Join with a wrong code, then the right one.
    let lan = Screen::phone("phone-flow", "lan").await;
    lan.goto(&format!("{}/join", app.addr)).await;
    lan.shot("join-empty").await;
    lan.click("#join-submit").await;
    lan.wait_text("#code-error", "mã đội", 5).await;
    lan.fill("#code", "ZZZZZZ").await;
    lan.fill("#name", "Lan").await;
    lan.click("#join-submit").await;
    lan.wait_text("#code-error", "Mã đội không đúng", 10).await;
    assert!(!lan.text("#code-error").await.contains('{'), "no raw JSON");
    lan.shot("join-wrong-code").await;
    lan.fill("#code", &code_a.to_lowercase()).await;
    lan.wait_text("#preview-team", "Thị trấn Ngã Sáu", 10).await;
    lan.shot("join-preview").await;
    lan.click("#join-submit").await;
    lan.wait_js("return location.pathname === '/play'", 10).await;
    let stored: Value = serde_json::from_str(
        lan.js("return localStorage.getItem('hoithi.contestant')").await.as_str().expect("session stored"),
    )
    .unwrap();
    for k in ["token", "name", "code", "contest_id", "team_id", "contestant_id"] {
        assert!(!stored[k].is_null(), "session has {k}: {stored}");
    }
    assert_eq!(stored["team_id"], team_a);

    // The waiting room: the team and who joined.
    lan.wait_text("#members", "Minh", 10).await;
    lan.wait_text("#waiting", "Chờ câu hỏi tiếp theo", 5).await;
    lan.wait_js("return document.getElementById('conn').dataset.status === 'open'", 10).await;
    // Minh, already waiting, sees Lan join at once (the server tells the team's phones).
    minh.wait_text("#members", "Lan", 5).await;
    lan.shot("waiting-room").await;

    // Get ready, then the question during its reading time: shown, buttons locked.
    c.control(&app, "start").await;
    c.control(&app, "next").await;
    lan.wait_js("return document.getElementById('stage').dataset.view === 'ready'", 10).await;
    lan.shot("get-ready").await;
    lan.wait_js("return document.getElementById('stage').dataset.view === 'question'", 10).await;
    assert_eq!(lan.js("return document.querySelector('.opt[data-i=\"1\"]').disabled").await, json!(true));
    lan.wait_text("#reading", "Đọc câu hỏi", 5).await;
    lan.shot("reading-locked").await;
    lan.wait_js("return !document.querySelector('.opt[data-i=\"1\"]').disabled", 10).await;
    lan.shot("question-open").await;

    // Answer B: "Đã ghi nhận" after the ack; the teammate sees the team's answer.
    tap(&lan, ".opt[data-i=\"1\"]").await;
    tap(&lan, ".opt[data-i=\"1\"]").await; // a double tap sends once
    lan.wait_text("#answer-status", "Đã ghi nhận", 10).await;
    lan.shot("recorded").await;
    minh.wait_text("#team-answer", "Đội đã chọn B — Lan", 10).await;
    minh.shot("teammate-sees-answer").await;
    assert_eq!(c.stored(&app, c.questions[0], team_a).await.len(), 1, "a double tap stores one answer");
    let (s, b) = app
        .post(
            &format!("/api/contests/{}/answers", c.cid),
            Some(&other),
            json!({"submission_id": "b-q1", "question_id": c.questions[0], "response": {"choice": 0}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // Close: "Hết giờ"; reveal: right, the points, the rank and total.
    c.control(&app, "close").await;
    lan.wait_text("#time-up", "Hết giờ", 10).await;
    lan.shot("time-up").await;
    c.control(&app, "reveal").await;
    lan.wait_text("#result-title", "Chính xác", 10).await;
    lan.wait_text("#result-points", "+10", 10).await;
    lan.wait_text("#rank-no", "1", 10).await;
    lan.shot("revealed-right").await;

    // A number written the Vietnamese way: "7.300" is read as 7300 before it is sent.
    c.control(&app, "next").await;
    lan.wait_js(
        "return !!document.getElementById('number-input') && !document.getElementById('number-input').disabled",
        15,
    )
    .await;
    lan.fill("#number-input", "7.300").await;
    lan.wait_text("#number-read", "Đọc là: 7300", 5).await;
    lan.shot("number-read-as").await;
    lan.click("#send").await;
    lan.wait_text("#answer-status", "Đã ghi nhận", 10).await;
    let a = c.stored(&app, c.questions[1], team_a).await;
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["response"]["number"].as_f64(), Some(7300.0), "{a:?}");
    c.control(&app, "close").await;
    c.control(&app, "reveal").await;
    lan.wait_text("#result-title", "Chính xác", 10).await;

    // Offline: the answer waits, then goes once when the network is back.
    c.control(&app, "next").await;
    minh.wait_js("return !!document.querySelector('.opt[data-i=\"3\"]') && !document.querySelector('.opt[data-i=\"3\"]').disabled", 15)
        .await;
    minh.offline(true).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    tap(&minh, ".opt[data-i=\"3\"]").await;
    minh.wait_text("#answer-status", "Chưa gửi được", 10).await;
    minh.shot("offline-pending").await;
    assert!(c.stored(&app, c.questions[2], team_a).await.is_empty());
    minh.offline(false).await;
    minh.wait_text("#answer-status", "Đã ghi nhận", 20).await;
    minh.shot("back-online-recorded").await;
    lan.wait_text("#team-answer", "Đội đã chọn D — Minh", 10).await;
    assert_eq!(c.stored(&app, c.questions[2], team_a).await.len(), 1, "acked exactly once");

    // Paused: said so, the countdown frozen.
    c.control(&app, "pause").await;
    lan.wait_text("#paused", "Tạm dừng", 10).await;
    let t1 = lan.text("#timer-num").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(lan.text("#timer-num").await, t1, "the countdown is frozen");
    lan.shot("paused").await;
    c.control(&app, "resume").await;
    lan.wait_js("return document.getElementById('paused').hidden", 10).await;

    // Voided, then the part's end with the team's standing.
    let (s, b) = app
        .post(
            &format!("/api/contests/{}/live/void", c.cid),
            Some(&c.admin),
            json!({"reason": "Câu hỏi có hai đáp án đúng"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    lan.wait_text("#voided", "đã bị hủy", 10).await;
    lan.wait_text("#void-reason", "hai đáp án", 5).await;
    lan.shot("voided").await;
    c.control(&app, "finish").await;
    lan.wait_text("#finished", "Kết thúc phần thi", 10).await;
    lan.wait_text("#finished-standing", "hạng 1", 10).await;
    lan.shot("part-finished").await;

    // English, remembered.
    lan.click("#lang").await;
    lan.wait_text("#finished", "End of the part", 5).await;
    lan.goto(&format!("{}/play", app.addr)).await;
    lan.wait_text("#waiting", "Waiting for the next question", 10).await;
    lan.shot("english").await;
    lan.quit().await;
    minh.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_text_and_a_revoked_phone_goes_back_to_the_join_form() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let c = contest(
        &app,
        "Hội thi",
        json!({}),
        vec![bank_question(1, "true_false", "Hà Nội là thủ đô?", json!({"answer": true}))],
    )
    .await;
    let evil = "<img src=x onerror=alert(1)>";
    let (team, code) = c.team(&app, evil, &["An"]).await;
    let p = Screen::phone("phone-revoke", "phone").await;
    p.goto(&format!("{}/play", app.addr)).await;
    p.wait_js("return location.pathname === '/join'", 10).await;
    join_on_page(&app, &p, &code, evil).await;
    p.wait_text("#wait-team", evil, 10).await;
    p.wait_text("#members", evil, 10).await;
    assert_eq!(p.js("return document.querySelectorAll('img').length").await, json!(0));
    p.shot("names-as-text").await;

    // The number reader, from the page itself.
    p.js("import('/assets/play/number.js').then((m) => { window.__n = ['7.300', '3,5', '7 300', '1.234.567', '3.5', '0.125', '7 30', 'abc', '7.300,5'].map((x) => m.parseNumber(x)); }); return true;")
        .await;
    let n = p.wait_js("return window.__n", 5).await;
    assert_eq!(n, json!([7300, 3.5, 7300, 1234567, 3.5, 0.125, null, null, 7300.5]));

    // A true/false question, big buttons.
    c.control(&app, "start").await;
    c.control(&app, "next").await;
    p.wait_js("return !!document.querySelector('.opt[data-value=\"true\"]') && !document.querySelector('.opt[data-value=\"true\"]').disabled", 15).await;
    tap(&p, ".opt[data-value=\"true\"]").await;
    p.wait_text("#answer-status", "Đã ghi nhận", 10).await;
    p.shot("true-false").await;

    // The organiser removes the contestant: back to the join form, the code filled in.
    let (s, me) = app.get(&format!("/api/contests/{}/contestants", c.cid), Some(&c.admin)).await;
    assert_eq!(s, StatusCode::OK);
    let x = me.as_array().unwrap().iter().find(|m| m["team_id"] == team).unwrap()["id"].as_i64().unwrap();
    let (s, _) =
        app.request(Method::DELETE, &format!("/api/contests/{}/contestants/{x}", c.cid), Some(&c.admin), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    p.wait_js("return location.pathname === '/join'", 15).await;
    p.wait_text("#expired", "Vui lòng vào đội lại", 5).await;
    assert_eq!(p.js("return document.getElementById('code').value").await, json!(code));
    p.shot("revoked-back-to-join").await;
    p.quit().await;
}

/// Waits until the question numbered `no` is up and open for answers on `s` (`probe` is an
/// element of its answer form).
async fn wait_open(s: &Screen, no: usize, probe: &str) {
    s.wait_js(
        &format!(
            "const q = document.getElementById('q-no'); const e = document.querySelector({probe:?}); \
             return !!q && q.textContent.startsWith('Câu {no}') && !!e && !e.disabled"
        ),
        15,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_captain_answers_multiple_choice_short_text_and_stakes_the_star() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let qs = vec![
        bank_question(
            1,
            "multiple",
            "Những nhiệm vụ nào được Đại hội XIII xác định là nhiệm vụ trọng tâm của nhiệm kỳ? \
             (Chọn tất cả các phương án đúng)",
            json!({"options": ["Xây dựng, chỉnh đốn Đảng và hệ thống chính trị trong sạch, vững mạnh",
                               "Tăng trưởng kinh tế hai con số liên tục",
                               "Phát triển kinh tế nhanh, bền vững gắn với bảo vệ môi trường",
                               "Giảm biên chế một nửa trong năm năm"],
                   "answer": ["A", "C"]}),
        ),
        bank_question(
            2,
            "short_text",
            "Đơn vị hành chính nào là nơi diễn ra vòng chung kết hội thi năm nay?",
            json!({"accepted": ["Thị trấn Ngã Sáu"]}),
        ),
        bank_question(
            3,
            "single",
            "Phong trào thi đua nào do Thủ tướng phát động năm 2021?",
            json!({"options": ["Cả nước chung tay vì người nghèo", "Cả nước thi đua xây dựng xã hội học tập",
                               "Cả nước thi đua đổi mới sáng tạo", "Cả nước chung sức xây dựng nông thôn mới"],
                   "answer": "D"}),
        ),
        bank_question(4, "true_false", "Huyện Châu Thành thuộc tỉnh Hậu Giang?", json!({"answer": true})),
    ];
    let c = contest_with(
        &app,
        "Hội thi tìm hiểu Nghị quyết Đại hội XIII",
        "captain_only",
        json!({"reading_s": 1, "get_ready_s": 0, "star_of_hope": true}),
        qs,
    )
    .await;
    let (team, code) = c.team(&app, "Thị trấn Ngã Sáu", &["Lan", "Minh"]).await;

    // Lan joins first and is the captain; Minh joins second.
    let lan = Screen::phone("phone-captain", "lan").await;
    join_on_page(&app, &lan, &code, "Lan").await;
    let minh = Screen::phone("phone-captain", "minh").await;
    join_on_page(&app, &minh, &code, "Minh").await;
    minh.wait_text("#members", "Lan", 10).await;
    minh.shot("waiting-room").await;

    // Question 1, multiple choice: only the captain's phone can answer.
    c.control(&app, "start").await;
    c.control(&app, "next").await;
    wait_open(&lan, 1, ".opt[data-i=\"0\"]").await;
    minh.wait_text("#captain-note", "đội trưởng", 10).await;
    assert!(minh.text("#captain-note").await.contains("Lan"), "names the captain");
    let enabled = "return [...document.querySelectorAll('.opt, #confirm, #star')].filter((b) => !b.disabled).length";
    assert_eq!(minh.js(enabled).await, json!(0), "no active answer buttons for a non-captain");
    minh.shot("not-captain").await;
    lan.wait_text("#captain-note", "Bạn là đội trưởng", 5).await;
    assert_eq!(lan.js(enabled).await, json!(6), "four options, confirm and the star");
    lan.shot("captain-multiple").await;
    tap(&lan, ".opt[data-i=\"0\"]").await;
    tap(&lan, ".opt[data-i=\"2\"]").await;
    lan.wait_js("return document.querySelectorAll('.opt[aria-pressed=\"true\"]').length === 2", 5).await;
    lan.shot("two-ticked").await;
    tap(&lan, "#confirm").await;
    lan.wait_text("#answer-status", "Đã ghi nhận", 10).await;
    lan.shot("multiple-recorded").await;
    minh.wait_text("#team-answer", "Đội đã chọn A, C — Lan", 10).await;
    minh.shot("teammate-sees-choices").await;
    let a = c.stored(&app, c.questions[0], team).await;
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0]["response"]["choices"], json!([0, 2]), "{a:?}");
    c.control(&app, "close").await;
    c.control(&app, "reveal").await;
    lan.wait_text("#result-title", "Chính xác", 10).await;
    lan.wait_text("#result-points", "+10", 10).await;
    lan.shot("multiple-right").await;

    // Question 2, short text: typed without diacritics, in lower case; still right.
    c.control(&app, "next").await;
    wait_open(&lan, 2, "#text-input").await;
    assert_eq!(minh.js("return document.getElementById('text-input').disabled").await, json!(true));
    lan.fill("#text-input", "thi tran nga sau").await;
    lan.shot("short-text-typed").await;
    lan.click("#send").await;
    lan.wait_text("#answer-status", "Đã ghi nhận", 10).await;
    lan.shot("short-text-recorded").await;
    let a = c.stored(&app, c.questions[1], team).await;
    assert_eq!(a[0]["response"]["text"], json!("thi tran nga sau"), "{a:?}");
    c.control(&app, "close").await;
    c.control(&app, "reveal").await;
    lan.wait_text("#result-title", "Chính xác", 10).await;
    lan.wait_text("#solution", "Thị trấn Ngã Sáu", 10).await;
    lan.shot("short-text-right").await;
    minh.wait_text("#result-title", "Chính xác", 10).await;

    // Question 3: the star of hope, then the right answer: the points doubled.
    c.control(&app, "next").await;
    wait_open(&lan, 3, ".opt[data-i=\"3\"]").await;
    assert_eq!(lan.js("return document.getElementById('star').disabled").await, json!(false));
    tap(&lan, "#star").await;
    lan.wait_js("return document.getElementById('star').getAttribute('aria-pressed') === 'true'", 5).await;
    lan.shot("star-on").await;
    tap(&lan, ".opt[data-i=\"3\"]").await;
    lan.wait_text("#answer-status", "Đã ghi nhận", 10).await;
    lan.shot("star-answer-recorded").await;
    let a = c.stored(&app, c.questions[2], team).await;
    assert_eq!(a[0]["star"], json!(true), "{a:?}");
    minh.wait_js("return document.getElementById('star').getAttribute('aria-pressed') === 'true'", 10).await;
    c.control(&app, "close").await;
    c.control(&app, "reveal").await;
    lan.wait_text("#result-title", "Chính xác", 10).await;
    lan.wait_text("#result-points", "+20", 10).await;
    lan.find("#result .r-star").await;
    lan.wait_text("#rank-total", "40", 10).await;
    lan.shot("star-doubled").await;

    // Question 4: the star is spent for the rest of the part, on both phones.
    c.control(&app, "next").await;
    wait_open(&lan, 4, ".opt[data-value=\"true\"]").await;
    lan.wait_text("#star-hint", "đã dùng", 5).await;
    assert_eq!(lan.js("return document.getElementById('star').disabled").await, json!(true));
    lan.shot("star-used").await;
    minh.wait_text("#star-hint", "đã dùng", 10).await;
    // A phone opened afresh still knows it.
    lan.goto(&format!("{}/play", app.addr)).await;
    wait_open(&lan, 4, ".opt[data-value=\"true\"]").await;
    lan.wait_text("#star-hint", "đã dùng", 5).await;
    assert_eq!(lan.js("return document.getElementById('star').disabled").await, json!(true));
    tap(&lan, ".opt[data-value=\"true\"]").await;
    lan.wait_text("#answer-status", "Đã ghi nhận", 10).await;
    lan.shot("after-reload-star-used").await;
    c.control(&app, "close").await;
    c.control(&app, "reveal").await;
    lan.wait_text("#result-points", "+10", 10).await;
    lan.quit().await;
    minh.quit().await;
}

/// The assets a page loads: stylesheets, scripts, and every module they import.
fn references(base: &str, body: &str, js: bool) -> Vec<String> {
    let mut out = vec![];
    let pats: &[&str] = if js { &["from '", "import('", "from \""] } else { &["href=\"", "src=\""] };
    for p in pats {
        let mut rest = body;
        while let Some(i) = rest.find(p) {
            rest = &rest[i + p.len()..];
            let end = rest.find(['\'', '"']).unwrap_or(0);
            let url = &rest[..end];
            if url.starts_with("/assets/") {
                out.push(url.to_owned());
            } else if let Some(rel) = url.strip_prefix("./") {
                out.push(format!("{}/{rel}", base.rsplit_once('/').map_or("", |(d, _)| d)));
            }
        }
    }
    out
}

/// Compressed bytes of a page and everything it loads.
async fn page_weight(app: &TestApp, page: &str) -> (usize, Vec<(String, usize)>) {
    let c = reqwest::Client::new();
    let mut todo = vec![page.to_owned()];
    let mut seen = std::collections::BTreeSet::new();
    let mut sizes = vec![];
    while let Some(path) = todo.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let r = c.get(format!("{}{path}", app.addr)).header("Accept-Encoding", "gzip").send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers().get("content-encoding").and_then(|v| v.to_str().ok()), Some("gzip"), "{path}");
        sizes.push((path.clone(), r.bytes().await.unwrap().len()));
        // The same file uncompressed, to read what it loads.
        let text = c.get(format!("{}{path}", app.addr)).send().await.unwrap().text().await.unwrap();
        todo.extend(references(&path, &text, path.ends_with(".js")));
    }
    (sizes.iter().map(|(_, n)| n).sum(), sizes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_pages_weigh_under_60_kb_compressed() {
    let app = spawn_app().await;
    for page in ["/play", "/join"] {
        let (total, sizes) = page_weight(&app, page).await;
        eprintln!("{page}: {total} bytes compressed: {sizes:?}");
        let names: Vec<&str> = sizes.iter().map(|(p, _)| p.as_str()).collect();
        if page == "/play" {
            for must in [
                "/assets/shared/base.css",
                "/assets/play/play.css",
                "/assets/play/play.js",
                "/assets/play/number.js",
                "/assets/shared/live.js",
                "/assets/shared/i18n.js",
                "/assets/shared/strings/vi.js",
                "/assets/shared/strings/en.js",
            ] {
                assert!(names.contains(&must), "{page} loads {must}: {names:?}");
            }
        }
        assert!(total <= PAGE_BUDGET, "{page} weighs {total} bytes compressed (budget {PAGE_BUDGET}): {sizes:?}");
    }
}

/// A full disk mid-question (the data directory on a small tmpfs that the test fills; needs
/// root): the phone's answer is refused with `storage_unavailable`, stays on the phone
/// ("Máy chủ chưa lưu được câu trả lời — đang tự gửi lại") and goes again by itself; the
/// console's health strip raises the alarm; once space is freed the answer is stored once,
/// the phone says "Đã ghi nhận" and the alarm goes, without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_raises_the_alarm_and_the_phone_resends_its_answer_once_space_is_freed() {
    if !harness::available() {
        return;
    }
    if !crate::helpers::is_root() {
        eprintln!("SKIPPED: mounting the small tmpfs this test fills needs root (CI runs as root)");
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    let _mount = crate::helpers::Tmpfs::mount(&dir, "24m");
    let app =
        crate::helpers::spawn_sqlite_app_in(tempfile::TempDir::new_in(&dir).unwrap(), crate::helpers::test_settings())
            .await;
    let qs = vec![bank_question(
        1,
        "single",
        "Nghị quyết Đại hội đại biểu toàn quốc lần thứ XIII của Đảng xác định mấy đột phá chiến lược?",
        json!({"options": ["Hai đột phá", "Ba đột phá", "Bốn đột phá", "Năm đột phá"], "answer": "B"}),
    )];
    let c = contest(&app, "Hội thi tìm hiểu Nghị quyết Đại hội XIII", json!({}), qs).await;
    let (team_a, code_a) = c.team(&app, "Thị trấn Ngã Sáu", &["Lan"]).await;
    let (_, code_b) = c.team(&app, "Xã Phú Hữu", &["Bình"]).await;
    let (s, other) = app.post("/api/join", None, json!({"code": code_b, "name": "Bình"})).await;
    assert_eq!(s, StatusCode::OK, "{other}");
    let other = other["token"].as_str().unwrap().to_owned();
    let lan = Screen::phone("full-disk", "lan").await;
    join_on_page(&app, &lan, &code_a, "Lan").await;

    let console = Screen::wide("full-disk", "console").await;
    console.sign_in(&app.addr, crate::helpers::ADMIN_USER, crate::helpers::ADMIN_PASSWORD, "/console").await;
    c.control(&app, "start").await;
    c.control(&app, "next").await;
    console.wait_text("#nav-live", "Điều hành", 10).await;
    console.click("#nav-live").await;
    console.wait_text("#health-storage", "ổn định", 15).await;
    lan.wait_js("return !!document.querySelector('.opt[data-i=\"1\"]') && !document.querySelector('.opt[data-i=\"1\"]').disabled", 15).await;

    // The disk fills. Another phone's answers over HTTP show when commits start failing
    // (the write-ahead log may hold a few in the room it has).
    fill(&dir.join("filler"));
    let q = c.questions[0];
    let mut refused = false;
    for k in 0..50 {
        let (s, b) = app
            .post(
                &format!("/api/contests/{}/answers", c.cid),
                Some(&other),
                json!({"submission_id": format!("b-{k}"), "question_id": q, "response": {"choice": 0}}),
            )
            .await;
        if s == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(b["error"]["code"], "storage_unavailable", "{b}");
            refused = true;
            break;
        }
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    assert!(refused, "a full disk never refused an answer");

    tap(&lan, ".opt[data-i=\"1\"]").await;
    lan.wait_text("#answer-status", "Máy chủ chưa lưu được câu trả lời", 10).await;
    lan.shot("answer-not-stored").await;
    console.wait_text("#health-storage", "Không ghi được dữ liệu", 15).await;
    console.shot("health-alarm").await;
    assert!(c.stored(&app, q, team_a).await.is_empty(), "stored while refused");

    // Space is freed: the phone's resend is stored, once, and the alarm goes.
    std::fs::remove_file(dir.join("filler")).unwrap();
    lan.wait_text("#answer-status", "Đã ghi nhận", 20).await;
    lan.shot("answer-stored-after-space-freed").await;
    console.wait_text("#health-storage", "ổn định", 15).await;
    console.shot("health-ok-again").await;
    let stored = c.stored(&app, q, team_a).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(lan.js("return localStorage.getItem('hoithi.outbox.' + JSON.parse(localStorage.getItem('hoithi.contestant')).contestant_id)").await, json!("[]"));
    lan.quit().await;
    console.quit().await;
}
