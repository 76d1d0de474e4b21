//! The whole quiz contest through the screens only, as a hall would run it: the organiser
//! signs in and builds the contest in the console, opens the projector link, two phones
//! join by code and answer, one of them loses its network mid-question, the console
//! closes, reveals and corrects a score, and every screen shows the same contest.
//! The API is used only as the test's oracle (the right option, the stored answers).
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{self, Screen};
use crate::helpers::{ADMIN_PASSWORD, ADMIN_USER, TestApp, spawn_app};

const TEST: &str = "scenario";

/// The right option (0-based) of a part question, from the organiser's view of the part.
fn right_option(list: &Value, part_question: i64) -> usize {
    let row = list["questions"]
        .as_array()
        .and_then(|qs| qs.iter().find(|q| q["id"] == part_question))
        .unwrap_or_else(|| panic!("no question {part_question} in {list}"));
    row["question"]["solution"]["option"].as_u64().unwrap_or_else(|| panic!("not a single choice: {row}")) as usize
}

/// Stored answers of a team to a question (the answer record).
async fn stored(app: &TestApp, admin: &str, cid: i64, question: i64, team: i64) -> usize {
    let (_, b) = app.get(&format!("/api/contests/{cid}/answers"), Some(admin)).await;
    b["answers"].as_array().unwrap().iter().filter(|a| a["question_id"] == question && a["team_id"] == team).count()
}

/// Clicks through JavaScript (a sticky footer may cover the lowest option on a phone).
async fn tap(s: &Screen, css: &str) {
    s.find(css).await;
    s.js(&format!("document.querySelector({css:?}).click(); return true;")).await;
}

async fn key(s: &Screen, k: &str) {
    s.js(&format!("document.dispatchEvent(new KeyboardEvent('keydown', {{key: {k:?}}})); return true")).await;
}

/// Waits until answering opens on the phone, then taps option `i`.
async fn answer(phone: &Screen, i: usize) {
    let css = format!(".opt[data-i=\"{i}\"]");
    phone.wait_js(&format!("const b = document.querySelector({css:?}); return !!b && !b.disabled"), 20).await;
    tap(phone, &css).await;
}

async fn join(app: &TestApp, s: &Screen, code: &str, name: &str) {
    s.goto(&format!("{}/join?code={code}", app.addr)).await;
    s.wait_text("#preview-team", "", 10).await;
    s.fill("#name", name).await;
    s.shot("join").await;
    s.click("#join-submit").await;
    s.wait_js("return location.pathname === '/play'", 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_quiz_contest_runs_from_the_console_with_phones_and_the_projector() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_token().await;

    // The organiser signs in and builds the contest.
    let console = Screen::wide(TEST, "console").await;
    console.sign_in(&app.addr, ADMIN_USER, ADMIN_PASSWORD, "/console").await;
    console.fill("#cf-name", "Hội thi tìm hiểu chuyên đề năm 2024-2025").await;
    console.fill("#cf-unit", "Huyện đoàn Châu Thành").await;
    console.fill("#cf-venue", "Hội trường Trung tâm Văn hóa huyện").await;
    console.click("#cf-submit").await;
    let cid = console
        .wait_js("const m = /^#\\/(\\d+)\\//.exec(location.hash); return m ? Number(m[1]) : null", 10)
        .await
        .as_i64()
        .unwrap();
    console.click("#nav-teams").await;
    console.fill("#team-paste", "Đội Tân Thành; Xã Tân Thành; Lan*, Minh\nĐội Ngã Sáu; Thị trấn Ngã Sáu; Hòa*").await;
    console.click("#team-paste-submit").await;
    console.wait_text("#teams-table", "Đội Ngã Sáu", 10).await;
    console.shot("teams").await;
    console.click("#nav-parts").await;
    console.click("#part-new").await;
    console.fill("#part-title", "Khởi động").await;
    console.fill("#part-time", "40").await;
    console.fill("#part-reading", "2").await;
    console.click("#part-save").await;
    console.find("#part-questions #draw-submit").await;
    console.fill("#draw-form .q-count", "3").await;
    console.js("document.querySelector('#draw-form .q-type').value = 'single'; return true").await;
    console.click("#draw-submit").await;
    console.wait_text("#draw-seed", "Hạt giống", 10).await;
    console.wait_js("return document.querySelectorAll('#part-question-list > .qrow').length === 3", 10).await;
    console.shot("questions-drawn").await;

    // The projector link, opened on the hall's laptop.
    console.click("#nav-live").await;
    let link = console.wait_js("const e = document.querySelector('#projector-link'); return e && e.value", 10).await;
    let link = link.as_str().unwrap().to_owned();
    assert!(link.contains(&format!("/projector/{cid}#token=")), "{link}");
    let projector = Screen::wide(TEST, "projector").await;
    projector.goto(&link).await;
    projector.wait_text("#contest-name", "Hội thi tìm hiểu chuyên đề", 10).await;
    projector.shot("waiting").await;

    // Two phones join by code.
    let (_, teams) = app.get(&format!("/api/contests/{cid}/teams"), Some(&admin)).await;
    let teams = teams.as_array().cloned().unwrap_or_else(|| teams["teams"].as_array().unwrap().clone());
    let team = |name: &str| {
        let t = teams.iter().find(|t| t["name"] == name).unwrap();
        (t["id"].as_i64().unwrap(), t["code"].as_str().unwrap().to_owned())
    };
    let (tan_thanh, code_a) = team("Đội Tân Thành");
    let (nga_sau, code_b) = team("Đội Ngã Sáu");
    let lan = Screen::phone(TEST, "phone-lan").await;
    join(&app, &lan, &code_a, "Lan").await;
    let hoa = Screen::phone(TEST, "phone-hoa").await;
    join(&app, &hoa, &code_b, "Hòa").await;
    lan.wait_text("#members", "Lan", 10).await;
    lan.shot("waiting-room").await;
    hoa.shot("waiting-room").await;

    // The part starts; the first question is read, then answered: one right, one wrong.
    console.wait_js("const b = document.querySelector('#live-start'); return b && !b.disabled", 10).await;
    console.click("#live-start").await;
    console.wait_js("const b = document.querySelector('#live-next'); return b && !b.disabled", 10).await;
    key(&console, "n").await;
    console.wait_text("#live-stage", "Câu 1/3", 10).await;
    let (_, st) = app.get(&format!("/api/contests/{cid}/live"), Some(&admin)).await;
    let q1 = st["question"]["id"].as_i64().unwrap();
    let pid = st["part"]["id"].as_i64().unwrap();
    let (_, part_questions) = app.get(&format!("/api/contests/{cid}/parts/{pid}/questions"), Some(&admin)).await;
    let right = right_option(&part_questions, q1);
    let wrong = (right + 1) % 4;
    projector.wait_js("const q = document.querySelector('#question'); return q && q.textContent.length > 10", 10).await;
    lan.wait_js("return document.querySelector('#stage').dataset.view === 'question'", 10).await;
    lan.shot("reading").await;
    projector.shot("reading").await;
    answer(&lan, right).await;
    answer(&hoa, wrong).await;
    lan.wait_text("#answer-status", "Đã ghi nhận", 10).await;
    hoa.wait_text("#answer-status", "Đã ghi nhận", 10).await;
    lan.shot("recorded").await;
    projector.wait_text("#answered", "2/2", 10).await;
    console.wait_text("#answered-count", "2/2", 10).await;
    projector.shot("answered").await;
    console.shot("answered").await;
    key(&console, "c").await;
    console.wait_text("#live-stage", "Đã đóng", 10).await;
    projector.wait_js("return document.querySelectorAll('#dist-chart g.dist-bar').length >= 2", 10).await;
    projector.shot("distribution").await;
    console.click("#live-reveal").await;
    let letter = ["A", "B", "C", "D"][right];
    projector
        .wait_js(&format!("return !!document.querySelector('#dist-chart g.right[data-key=\"{letter}\"]')"), 10)
        .await;
    lan.wait_text("#result-title", "Chính xác", 10).await;
    hoa.wait_js("return document.querySelector('#result').dataset.result === 'wrong'", 10).await;
    tokio::time::sleep(Duration::from_millis(900)).await; // the bars grow
    projector.shot("revealed").await;
    lan.shot("right").await;
    hoa.shot("wrong").await;

    // Question 2: Hòa's phone loses its network, answers, and comes back; stored once.
    key(&console, "n").await;
    console.wait_text("#live-stage", "Câu 2/3", 10).await;
    let (_, st) = app.get(&format!("/api/contests/{cid}/live"), Some(&admin)).await;
    let q2 = st["question"]["id"].as_i64().unwrap();
    let right2 = right_option(&part_questions, q2);
    hoa.wait_js("return document.querySelector('#stage').dataset.view === 'question'", 10).await;
    hoa.offline(true).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    answer(&hoa, right2).await;
    hoa.wait_text("#answer-status", "Chưa gửi được", 10).await;
    hoa.shot("offline-pending").await;
    assert_eq!(stored(&app, &admin, cid, q2, nga_sau).await, 0, "nothing reaches the server while offline");
    hoa.offline(false).await;
    hoa.wait_text("#answer-status", "Đã ghi nhận", 20).await;
    hoa.shot("back-online").await;
    assert_eq!(stored(&app, &admin, cid, q2, nga_sau).await, 1, "stored exactly once");
    answer(&lan, (right2 + 1) % 4).await;
    lan.wait_text("#answer-status", "Đã ghi nhận", 10).await;
    key(&console, "c").await;
    console.wait_text("#live-stage", "Đã đóng", 10).await;
    console.click("#live-reveal").await;
    hoa.wait_text("#result-title", "Chính xác", 10).await;
    projector.wait_js("return !!document.querySelector('#dist-chart g.right')", 10).await;

    // Both teams now have one right answer; a correction with a reason breaks the tie and
    // shows on every screen.
    // After the reveal's hold the projector goes back to the standings.
    projector
        .wait_js("const r = document.querySelector('#board .prow'); return !!r && r.offsetParent !== null", 40)
        .await;
    let before = projector.text(&format!("#board .prow[data-team=\"{tan_thanh}\"] .ptotal")).await;
    console.click("#nav-review").await;
    console.find("#adjust-form").await;
    // The team list fills in after the view opens: choose the team once it is there.
    console
        .wait_js(&format!("return !!document.querySelector('#adjust-team option[value=\"{tan_thanh}\"]')"), 10)
        .await;
    console
        .js(&format!(
            "const t = document.querySelector('#adjust-team'); t.value = '{tan_thanh}'; t.dispatchEvent(new Event('change')); return t.value"
        ))
        .await;
    // The questions carry different points: correct by enough to put Tân Thành ahead.
    let (_, board) = app.get(&format!("/api/contests/{cid}/scoreboard"), Some(&admin)).await;
    let total = |team: i64| {
        board["board"]["rows"].as_array().unwrap().iter().find(|r| r["team_id"] == team).unwrap()["total"]
            .as_f64()
            .unwrap()
    };
    let delta = (total(nga_sau) - total(tan_thanh)).max(0.0) + 5.0;
    console.fill("#adjust-delta", &delta.to_string()).await;
    console.fill("#adjust-reason", "Phúc khảo câu 2: ý kiến của đội được Ban giám khảo chấp nhận").await;
    console.click("#adjust-submit").await;
    console.wait_text("#adjust-msg", "Đã điều chỉnh", 10).await;
    console.wait_text("#audit-list", "Phúc khảo câu 2", 10).await;
    let (_, board) = app.get(&format!("/api/contests/{cid}/scoreboard"), Some(&admin)).await;
    assert_eq!(board["detail"]["adjustments"][0]["team_id"], tan_thanh, "the correction went to Tân Thành: {board}");
    assert_eq!(board["board"]["rows"][0]["team_id"], tan_thanh, "and put it ahead: {board}");
    console.shot("correction").await;
    let t0 = std::time::Instant::now();
    loop {
        let now = projector.text(&format!("#board .prow[data-team=\"{tan_thanh}\"] .ptotal")).await;
        if now != before {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(15), "the projector never showed the correction: {now}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(1200)).await; // the rows move
    projector.shot("corrected-board").await;
    lan.wait_js("const e = document.querySelector('#st-rank'); return e && /1/.test(e.textContent)", 15).await;
    lan.shot("after-correction").await;

    // The last question, then the final ranking on every screen.
    console.click("#nav-live").await;
    console.wait_js("const b = document.querySelector('#live-next'); return b && !b.disabled", 10).await;
    key(&console, "n").await;
    console.wait_text("#live-stage", "Câu 3/3", 10).await;
    lan.wait_js("return document.querySelector('#stage').dataset.view === 'question'", 10).await;

    // The server restarts mid-question: every screen comes back by itself to the same
    // question with the same deadline.
    let (_, st) = app.get(&format!("/api/contests/{cid}/live"), Some(&admin)).await;
    let (q3, deadline) = (st["question"]["id"].as_i64().unwrap(), st["question"]["deadline_at"].as_i64().unwrap());
    let app = app.restart().await;
    let (_, st) = app.get(&format!("/api/contests/{cid}/live"), Some(&admin)).await;
    assert_eq!((st["question"]["id"].as_i64(), st["question"]["deadline_at"].as_i64()), (Some(q3), Some(deadline)));
    projector
        .wait_js(&format!("const c = document.querySelector('#countdown'); return !!c && c.dataset.deadline === '{deadline}' && document.querySelector('#conn').dataset.status === 'open'"), 30)
        .await;
    projector.wait_text("#q-no", "3", 10).await;
    for phone in [&lan, &hoa] {
        phone.wait_js("return document.querySelector('#conn').dataset.status === 'open'", 30).await;
        phone.wait_text("#q-no", "3/3", 10).await;
    }
    console.wait_js("return document.querySelector('#conn').dataset.status === 'open'", 30).await;
    console.wait_text("#live-stage", "Câu 3/3", 10).await;
    answer(&lan, 0).await;
    lan.wait_text("#answer-status", "Đã ghi nhận", 10).await;
    lan.shot("after-restart").await;
    projector.shot("after-restart").await;
    key(&console, "c").await;
    console.wait_text("#live-stage", "Đã đóng", 10).await;
    console.click("#live-reveal").await;
    console.wait_js("const b = document.querySelector('#live-finish'); return b && !b.disabled", 10).await;
    console.click("#live-finish").await;
    lan.wait_js("return document.querySelector('#stage').dataset.view === 'finished'", 15).await;
    hoa.wait_js("return document.querySelector('#stage').dataset.view === 'finished'", 15).await;
    projector
        .wait_js("const r = document.querySelector('#board .prow'); return !!r && r.offsetParent !== null", 40)
        .await;
    let board = projector.wait_js("const r = document.querySelectorAll('#board .prow'); return r.length === 2 && [...r].map(x => x.dataset.team)", 20).await;
    assert_eq!(board, json!([tan_thanh.to_string(), nga_sau.to_string()]), "Tân Thành first after the correction");
    tokio::time::sleep(Duration::from_millis(1200)).await; // the standings fade in
    projector.shot("final").await;
    lan.shot("final").await;
    hoa.shot("final").await;
    console.shot("final").await;
    for s in [console, projector, lan, hoa] {
        s.quit().await;
    }
}
