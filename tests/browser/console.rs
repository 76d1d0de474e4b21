//! The organiser console at 1920×1080: a demo contest in one click on a fresh install, and a
//! contest set up and run from the console alone (teams pasted, a quiz part with a reading
//! time, three questions drawn, start/next/close/reveal, a score correction in the audit),
//! and a contest run through the API whose health the live view watches and whose results
//! are published, downloaded and taken down from the Kết quả view.
use serde_json::json;

use crate::harness::{self, Screen};
use crate::helpers::{ADMIN_PASSWORD, ADMIN_USER, TestApp, spawn_app};
use crate::results_fixture::setup_with;

async fn sign_in(s: &Screen, app: &TestApp) {
    s.sign_in(&app.addr, ADMIN_USER, ADMIN_PASSWORD, "/console").await;
}

/// The contest id in the console's address (`#/{id}/…`).
async fn contest_id(s: &Screen) -> i64 {
    let v = s.wait_js("const m = /^#\\/(\\d+)\\//.exec(location.hash); return m ? Number(m[1]) : null", 10).await;
    v.as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_install_offers_a_demo_contest_in_one_click() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let s = Screen::wide("console_demo", "console").await;
    sign_in(&s, &app).await;
    s.wait_text("#demo-card", "Chưa có hội thi nào", 10).await;
    s.shot("fresh-install").await;
    s.click("#demo-btn").await;
    s.wait_text("#demo-ready", "sẵn sàng", 10).await;
    let cid = contest_id(&s).await;
    s.wait_js("return document.querySelectorAll('#join-codes .join-code').length === 4", 10).await;
    let codes = s.js("return [...document.querySelectorAll('#join-codes .join-code')].map(e => e.textContent)").await;
    for c in codes.as_array().unwrap() {
        assert_eq!(c.as_str().unwrap().len(), 6, "{codes}");
    }
    let link = s.wait_js("return document.querySelector('#projector-link').value", 10).await;
    assert!(link.as_str().unwrap().contains(&format!("/projector/{cid}#token=")), "{link}");
    s.wait_js(
        "return [...document.querySelectorAll('#join-codes img.qr')].every(i => i.complete && i.naturalWidth > 0)",
        10,
    )
    .await;
    s.shot("demo-ready").await;
    s.wait_text("#q-count", "5", 10).await;
    s.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organiser_sets_up_and_runs_a_contest_from_the_console() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let s = Screen::wide("console_run", "console").await;
    sign_in(&s, &app).await;

    // a contest
    s.fill("#cf-name", "Hội thi Tuổi trẻ học tập và làm theo").await;
    s.fill("#cf-unit", "Đoàn Thanh niên phường 5").await;
    s.fill("#cf-venue", "Hội trường UBND").await;
    s.shot("create-contest").await;
    s.click("#cf-submit").await;
    let cid = contest_id(&s).await;
    s.wait_text("main h1", "Hội thi Tuổi trẻ", 10).await;
    s.shot("overview").await;

    // teams, pasted; a name that looks like HTML stays text
    s.click("#nav-teams").await;
    s.fill("#team-paste", "Đội Hoa Sen; Chi đoàn 1; Lan*, Minh\n<img src=x onerror=alert(1)>; Chi đoàn 2; An, Bình*")
        .await;
    s.click("#team-paste-submit").await;
    s.wait_text("#teams-table", "<img src=x onerror=alert(1)>", 10).await;
    assert_eq!(s.js("return document.querySelectorAll('#teams-table img').length").await, json!(0));
    s.shot("teams-pasted").await;

    // a quiz part: an impossible reading time is refused beside the field, in Vietnamese
    s.click("#nav-parts").await;
    s.click("#part-new").await;
    s.fill("#part-title", "Khởi động").await;
    s.fill("#part-time", "30").await;
    s.fill("#part-reading", "-3").await;
    s.click("#part-save").await;
    let refusal = s
        .wait_js(
            "const e = document.querySelector('#part-reading').closest('.field').querySelector('.field-error'); return e && e.textContent",
            10,
        )
        .await;
    assert!(refusal.as_str().unwrap().contains("Thời gian đọc đề"), "{refusal}");
    s.shot("part-refused").await;
    s.fill("#part-reading", "3").await;
    s.click("#part-save").await;
    s.find("#part-questions #draw-submit").await;

    // three single-choice questions drawn, the seed shown
    s.fill("#draw-form .q-count", "3").await;
    s.js("document.querySelector('#draw-form .q-type').value = 'single'; return true").await;
    s.click("#draw-submit").await;
    s.wait_text("#draw-seed", "Hạt giống", 10).await;
    s.wait_js("return document.querySelectorAll('#part-question-list > .qrow').length === 3", 10).await;
    s.shot("questions-drawn").await;

    // a phone joins (through the API: the phone screen has its own tests)
    let (_, teams) = app.get(&format!("/api/contests/{cid}/teams"), Some(&admin)).await;
    let code = teams[0]["code"].as_str().unwrap().to_owned();
    let team_id = teams[0]["id"].as_i64().unwrap();
    let (_, joined) = app.post("/api/join", None, json!({"code": code, "name": "Lan"})).await;
    let phone = joined["token"].as_str().unwrap().to_owned();

    // live: start, next (shortcut N), an answer arrives, close (shortcut C), reveal
    s.click("#nav-live").await;
    s.wait_js("const b = document.querySelector('#live-start'); return b && !b.disabled", 10).await;
    s.click("#live-start").await;
    s.wait_text("#live-parts", "Đang thi", 10).await;
    s.wait_js("const b = document.querySelector('#live-next'); return b && !b.disabled", 10).await;
    s.js("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'n'})); return true").await;
    s.wait_text("#live-stage", "Câu 1/3", 10).await;
    s.shot("question-reading").await;
    let (_, live) = app.get(&format!("/api/contests/{cid}/live"), Some(&phone)).await;
    let qid = live["question"]["id"].as_i64().unwrap();
    let opens_at = live["question"]["opens_at"].as_i64().unwrap();
    let wait = (opens_at - chrono::Utc::now().timestamp_millis() + 300).max(0) as u64;
    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
    let (st, ack) = app
        .post(
            &format!("/api/contests/{cid}/answers"),
            Some(&phone),
            json!({"submission_id": "console-1", "question_id": qid, "response": {"choice": 0}}),
        )
        .await;
    assert!(st.is_success(), "{ack}");
    s.wait_js(
        &format!("return document.querySelector('#answered-teams li[data-team=\"{team_id}\"][data-answered=\"1\"]')"),
        10,
    )
    .await;
    s.wait_text("#answered-count", "1/2", 10).await;
    s.shot("answer-arrived").await;
    s.js("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'c'})); return true").await;
    s.wait_text("#live-stage", "Đã đóng", 10).await;
    s.click("#live-reveal").await;
    s.wait_text("#live-stage", "Đã công bố", 10).await;
    s.wait_text("#live-key", "Đáp án", 10).await;
    s.shot("revealed").await;

    // phúc khảo: without a reason it is refused beside the reason; with one it is in the audit
    s.click("#nav-review").await;
    s.find("#adjust-form").await;
    s.js(&format!("const t = document.querySelector('#adjust-team'); t.value = '{team_id}'; return true")).await;
    s.fill("#adjust-delta", "2").await;
    s.click("#adjust-submit").await;
    let why = s
        .wait_js(
            "const e = document.querySelector('#adjust-reason').closest('.field').querySelector('.field-error'); return e && e.textContent",
            10,
        )
        .await;
    assert!(why.as_str().unwrap().contains("lý do"), "{why}");
    s.shot("adjust-refused").await;
    s.fill("#adjust-reason", "Phúc khảo câu 1: đáp án của đội được chấp nhận").await;
    s.click("#adjust-submit").await;
    s.wait_text("#adjust-msg", "Đã điều chỉnh", 10).await;
    s.wait_text("#audit-list", "Phúc khảo câu 1", 10).await;
    let audit = s.text("#audit-list").await;
    assert!(audit.contains("Bắt đầu phần thi “Khởi động”") && audit.contains("Công bố đáp án câu 1"), "{audit}");
    s.shot("audit").await;
    s.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_shows_the_servers_health_live_and_publishes_the_results() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let w = setup_with(&app, 4).await;
    // the four phones are connected
    let mut phones = vec![];
    for tok in &w.tokens {
        phones.push(app.ws(tok).await);
    }
    let s = Screen::wide("console_results", "console").await;
    sign_in(&s, &app).await;

    // a live part: the health strip counts the sockets (four phones and this console)
    w.control(&app, &format!("/parts/{}/start", w.parts[0])).await;
    s.wait_text("#nav-live", "Điều hành", 10).await;
    s.click("#nav-live").await;
    s.wait_text("#health-sockets", "5 kết nối", 15).await;
    w.ask(&app, 0, 0, &[0, 1]).await;
    w.ask(&app, 0, 1, &[0, 1, 2]).await;
    s.wait_js("return document.querySelector('#health-commit .hs-value')?.textContent.includes('ms')", 10).await;
    let strip = s.text("#health-strip").await;
    assert!(strip.contains("Lưu trữ") && strip.contains("ổn định") && strip.contains("Ổ đĩa trống"), "{strip}");
    s.shot("health-strip").await;

    // publishing while the part runs is refused beside the button
    s.click("#nav-results").await;
    s.wait_text("#results-status", "Chưa công bố", 10).await;
    s.click("#results-publish").await;
    s.wait_text("#results-msg", "Đang có phần thi diễn ra", 10).await;
    s.shot("results-part-running").await;

    // finished: two teams tie for giải nhất; the tie is listed, then confirmed as shared
    w.control(&app, &format!("/parts/{}/finish", w.parts[0])).await;
    let (st, _) = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/contests/{}/tie-breakers", w.cid),
            Some(&w.admin),
            Some(json!({"tie_breakers": []})),
        )
        .await;
    assert!(st.is_success());
    s.click("#results-publish").await;
    s.wait_text("#results-ties", "Đội Phú Hữu", 10).await;
    let ties = s.text("#results-ties").await;
    assert!(ties.contains("Đội Ngã Sáu") && ties.contains("Giải nhất"), "{ties}");
    s.shot("results-tie").await;
    s.click("#results-confirm-ties").await;
    s.wait_text("#results-status", "Đã công bố", 10).await;
    s.wait_text("#results-table", "đồng giải", 10).await;

    // the score sheet, fetched with the token
    s.click("#results-xlsx").await;
    s.wait_text("#results-download-msg", "Đã tải bảng điểm", 10).await;
    let bytes = s.js("return Number(document.querySelector('#results-download-msg').dataset.bytes)").await;
    assert!(bytes.as_i64().unwrap() > 1000, "{bytes}");
    s.shot("results-published").await;

    // the public page: the link opens the published results with the winner
    let href = s.js("return document.querySelector('#results-public-open').href").await;
    let href = href.as_str().unwrap().to_owned();
    assert_eq!(href, format!("{}/results/{}", app.addr, w.cid));
    assert_eq!(s.js("return document.querySelector('#results-public-link').value").await, json!(href));
    s.goto(&href).await;
    s.wait_text("[data-testid=ranking]", "Đội Ngã Sáu", 10).await;
    s.shot("public-page").await;

    // taken down with a reason, which the audit shows
    s.goto(&format!("{}/console#/{}/results", app.addr, w.cid)).await;
    s.wait_text("#results-status", "Đã công bố", 10).await;
    s.click("#results-unpublish").await;
    s.click("#unpublish-confirm").await;
    s.wait_text("#unpublish-form", "lý do", 10).await;
    s.fill("#unpublish-reason", "Phúc khảo câu 2 phần Khởi động").await;
    s.click("#unpublish-confirm").await;
    s.wait_text("#results-status", "Chưa công bố", 10).await;
    s.click("#nav-review").await;
    s.wait_text("#audit-list", "Phúc khảo câu 2 phần Khởi động", 10).await;
    let audit = s.text("#audit-list").await;
    assert!(audit.contains("Gỡ kết quả") && audit.contains("xác nhận đồng giải"), "{audit}");
    s.shot("audit").await;
    drop(phones);
    s.quit().await;
}

/// Import refusals in Vietnamese beside their place: a question file with an unknown
/// column, then one with a non-number difficulty and a section the bank lacks, each problem
/// by row and column; a pasted team list with two captains on one line names the line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_refusals_are_shown_in_vietnamese_by_row_and_column() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let s = Screen::wide("console_import_vi", "console").await;
    sign_in(&s, &app).await;
    s.fill("#cf-name", "Hội thi Tìm hiểu chuyên đề").await;
    s.click("#cf-submit").await;
    contest_id(&s).await;
    s.wait_text("main h1", "Hội thi Tìm hiểu", 10).await;

    // a pasted team list: line 2 marks two captains
    s.click("#nav-teams").await;
    s.fill("#team-paste", "Đội Hoa Sen; Chi đoàn 1; Lan*, Minh\nĐội Sen Hồng; Chi đoàn 2; An*, Bình*").await;
    s.click("#team-paste-submit").await;
    let said = s.wait_text("#team-paste-msg", "Dòng 2", 10).await;
    assert!(said.contains("có hơn một thành viên được đánh dấu * là đội trưởng"), "{said}");
    s.shot("team-paste-refused").await;

    // a part, then its import tab
    s.click("#nav-parts").await;
    s.click("#part-new").await;
    s.fill("#part-title", "Khởi động").await;
    s.fill("#part-time", "30").await;
    s.click("#part-save").await;
    s.find("#part-questions #draw-submit").await;
    s.js("[...document.querySelectorAll('#part-questions .tabs .tab')].find(b => b.dataset.tab === '2').click(); return true")
        .await;
    s.fill("#import-bank", "chuyen-de-2024-2025").await;

    let dir = std::env::temp_dir().join(format!("hoithi-import-vi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let upload = |name: &str, body: &str| {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p.to_string_lossy().into_owned()
    };
    let cells = "const rows = [...document.querySelectorAll('#import-errors tbody tr')]; \
                 return rows.map(r => [...r.children].map(c => c.textContent));";

    // an unknown column: named with its header, on row 1, column E
    let f1 = upload("cot-la.csv", "Mã câu hỏi,Phần,Loại,Câu hỏi,Ghi chú,Đáp án\nq-x1,phan-1,true_false,Hỏi?,x,Đúng\n");
    s.find("#import-file").await.send_keys(f1).await.unwrap();
    s.click("#import-submit").await;
    s.wait_text("#import-errors", "Cột lạ “Ghi chú”: hãy dùng đúng tiêu đề cột của tệp mẫu.", 10).await;
    s.wait_text("#import-msg", "Chưa nhập câu nào", 10).await;
    let rows = s.js(cells).await;
    assert_eq!(rows[0], json!(["CSV", "1", "E", "Cột lạ “Ghi chú”: hãy dùng đúng tiêu đề cột của tệp mẫu."]), "{rows}");
    s.js("document.querySelector('#import-msg').scrollIntoView({ block: 'start' }); return true").await;
    s.shot("import-unknown-column").await;

    // a non-number difficulty and a section the bank lacks, on row 2, by column header
    let f2 = upload(
        "sai-gia-tri.csv",
        "Mã câu hỏi,Phần,Loại,Độ khó,Câu hỏi,Phương án A,Phương án B,Đáp án\n\
         q-x1,phan-9,single,khó,Thủ đô?,Hà Nội,Huế,A\n",
    );
    s.find("#import-file").await.send_keys(f2).await.unwrap();
    s.click("#import-submit").await;
    s.wait_text("#import-errors", "Ngân hàng không có phần “phan-9”", 10).await;
    let rows = s.js(cells).await;
    let rows = rows.as_array().unwrap();
    let has = |row: &str, col: &str, text: &str| {
        rows.iter().any(|r| r[1] == row && r[2] == col && r[3].as_str().unwrap().starts_with(text))
    };
    assert!(has("2", "B (Phần)", "Ngân hàng không có phần “phan-9” (các phần hiện có: phan-1"), "{rows:?}");
    assert!(has("2", "D (Độ khó)", "“khó” không phải số nguyên."), "{rows:?}");
    // no English left in the table
    assert!(!rows.iter().any(|r| r[3].as_str().unwrap().contains("is not")), "{rows:?}");
    s.js("document.querySelector('#import-msg').scrollIntoView({ block: 'start' }); return true").await;
    s.shot("import-bad-values").await;
    let _ = std::fs::remove_dir_all(&dir);
    s.quit().await;
}
