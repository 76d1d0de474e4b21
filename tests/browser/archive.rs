//! Contest archives in the console: the results view exports the archive in the
//! background (a progress bar, then a download button), and the home page imports one as
//! a new contest marked as imported; a hand-edited archive is refused in Vietnamese beside
//! the file field, naming the place, and nothing is imported.
use serde_json::{Value, json};

use crate::harness::{self, Screen};
use crate::helpers::{ADMIN_PASSWORD, ADMIN_USER, TestApp, spawn_app};
use crate::results_fixture::setup_with;

async fn sign_in(s: &Screen, app: &TestApp) {
    s.sign_in(&app.addr, ADMIN_USER, ADMIN_PASSWORD, "/console").await;
}

async fn contest_count(app: &TestApp, token: &str) -> usize {
    app.get("/api/contests", Some(token)).await.1.as_array().unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_exports_and_imports_an_archive_with_progress() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let w = setup_with(&app, 4).await;
    w.run_part(&app, 0, [&[0, 1, 2], &[0, 3]]).await;
    w.run_part(&app, 1, [&[1, 2], &[0, 1, 2, 3]]).await;
    let (s, b) = w.post(&app, "/results/publish", json!({"confirm_ties": true})).await;
    assert_eq!(s, 200, "{b}");
    w.control(&app, "/close").await;

    let s = Screen::wide("archive", "console").await;
    sign_in(&s, &app).await;
    s.goto(&format!("{}/console#/{}/results", app.addr, w.cid)).await;
    s.click("#archive-export").await;
    s.wait_js("return !document.getElementById('archive-download').hidden", 15).await;
    let prog = s
        .js("const p = document.getElementById('archive-export-progress'); \
             return [p.dataset.state, Number(p.dataset.done), Number(p.dataset.total), p.querySelector('progress').value]")
        .await;
    assert_eq!(prog[0], "done", "{prog}");
    assert!(prog[2].as_f64().unwrap() > 16.0 && prog[1] == prog[2] && prog[3] == prog[2], "{prog}");
    let line = s.text("#archive-export-progress .job-line").await;
    assert!(line.contains("bản ghi") && line.contains("100%"), "{line}");
    assert!(s.text("#archive-export-msg").await.contains("sẵn sàng"));
    s.js("document.getElementById('archive-card').scrollIntoView(); return true").await;
    s.shot("export-ready").await;

    // The file the console offers is the archive: import it from the home page.
    let res = app
        .client
        .get(format!("{}/api/contests/{}/archive", app.addr, w.cid))
        .bearer_auth(&w.admin)
        .send()
        .await
        .unwrap();
    let archive: Value = res.json().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("luu-tru.json");
    std::fs::write(&good, serde_json::to_vec(&archive).unwrap()).unwrap();
    let mut edited = archive.clone();
    edited["results"]["rows"][0]["total"] = json!(999);
    let bad = dir.path().join("luu-tru-sua-tay.json");
    std::fs::write(&bad, serde_json::to_vec(&edited).unwrap()).unwrap();

    let before = contest_count(&app, &w.admin).await;
    s.goto(&format!("{}/console#/", app.addr)).await;
    s.find("#archive-file").await.send_keys(bad.to_str().unwrap()).await.unwrap();
    s.click("#archive-import").await;
    let err = s.wait_text("#archive-import-error", "results.rows[0].total", 15).await;
    assert!(err.contains("không khớp") && err.contains("Không có gì được nhập"), "{err}");
    assert_eq!(s.js("return document.getElementById('archive-file').getAttribute('aria-invalid')").await, "true");
    assert_eq!(contest_count(&app, &w.admin).await, before, "nothing imported");
    s.js("document.getElementById('archive-import-card').scrollIntoView(); return true").await;
    s.shot("import-refused").await;

    s.find("#archive-file").await.send_keys(good.to_str().unwrap()).await.unwrap();
    s.click("#archive-import").await;
    s.wait_text("#archive-import-done", "Đã nhập", 15).await;
    assert_eq!(contest_count(&app, &w.admin).await, before + 1);
    assert_eq!(s.js("return document.getElementById('archive-import-error').hidden").await, true);
    s.wait_text(".contest-list", "Nhập từ lưu trữ", 10).await;
    s.js("document.getElementById('archive-import-done').scrollIntoView({block: 'end'}); return true").await;
    s.shot("import-done").await;
    s.click("#archive-imported-link").await;
    let note = s.wait_text("#archive-imported-note", "nhập từ bản lưu trữ", 10).await;
    assert!(note.contains(&format!("hội thi số {}", w.cid)), "{note}");
    s.wait_text("#results-table", "Đội", 10).await;
    s.shot("imported-results").await;
    s.quit().await;
}
