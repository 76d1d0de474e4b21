//! The results pages in a real browser: the public results on a phone and a laptop (with
//! the progression chart and markup in names shown as text), the page of unpublished
//! results, and the minutes printed to PDF with Chromium (`Page.printToPDF`), turned into
//! PNG images with `pdftoppm` under target/screenshots/results/.
use base64::Engine;
use serde_json::json;

use crate::harness::{self, Screen};
use crate::helpers::spawn_app;
use crate::results_fixture::{EVIL, setup_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_results_read_well_on_a_phone_and_a_laptop_and_the_minutes_print_on_a4() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let w = setup_with(&app, 8).await;
    w.run_part(&app, 0, [&[0, 1, 2, 4, 6], &[0, 2, 3, 5]]).await;
    w.run_part(&app, 1, [&[1, 2, 3, 7], &[0, 1, 4, 6]]).await;
    let (s, b) = w
        .post(
            &app,
            "/adjustments",
            json!({"team_id": w.teams[3], "delta": 2.5, "reason": "Phúc khảo câu 3 phần 1: chấp nhận đáp án"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    for name in ["Nguyễn Thị Hoa", "Trần Văn Hùng", "Lê Thu Trang"] {
        let (s, b) = w.post(&app, "/judges/invite", json!({ "name": name })).await;
        assert_eq!(s, 201, "{b}");
    }
    let (s, b) = w.post(&app, "/results/publish", json!({"confirm_ties": true})).await;
    assert_eq!(s, 200, "{b}");
    let url = format!("{}/results/{}", app.addr, w.cid);

    for (screen, label) in
        [(Screen::phone("results", "phone").await, "phone"), (Screen::wide("results", "laptop").await, "laptop")]
    {
        screen.goto(&url).await;
        screen.wait_text("[data-testid=ranking]", "Đội", 10).await;
        // Markup in the contest's name is text, in the page and in its title.
        let h1 = screen.text("#contest-name").await;
        assert_eq!(h1, format!("Hội thi {EVIL}"));
        let title = screen.js("return document.title").await;
        assert!(title.as_str().unwrap().contains(EVIL), "{title}");
        assert_eq!(screen.js("return document.querySelectorAll('img').length").await, json!(0));
        let og = screen.js("return document.querySelector('meta[property=\"og:description\"]').content").await;
        assert!(og.as_str().unwrap().starts_with("Giải nhất: "), "{og}");
        assert_eq!(screen.js("return document.querySelectorAll('[data-testid=result-row]').length").await, json!(8));
        assert_eq!(screen.js("return document.querySelectorAll('#chart svg path').length").await, json!(8));
        // Nothing wider than the screen (the breakdown table scrolls inside its card).
        let overflow = screen.js("return document.documentElement.scrollWidth > window.innerWidth").await;
        assert_eq!(overflow, json!(false), "{label}: the page is wider than the screen");
        screen.shot("results").await;
        screen.js("document.getElementById('chart').scrollIntoView(); return true").await;
        screen.shot("chart").await;
        screen.goto(&format!("{}/results/999999", app.addr)).await;
        screen.wait_text("[data-testid=results-unavailable]", "chưa được công bố", 10).await;
        screen.shot("unpublished").await;
        screen.quit().await;
    }

    // The minutes: signed out, the page says who may read them; signed in, it prints on A4.
    let m = Screen::wide("results", "minutes").await;
    m.goto(&format!("{url}/minutes")).await;
    m.wait_text("[data-testid=minutes-message]", "đăng nhập", 10).await;
    let session = json!({"token": w.admin, "role": "organiser", "username": "admin"}).to_string();
    m.js(&format!("localStorage.setItem('hoithi.staff', {}); return true", serde_json::to_string(&session).unwrap()))
        .await;
    m.goto(&format!("{url}/minutes")).await;
    m.wait_js("return document.body.dataset.ready === '1'", 10).await;
    let text = m.text("[data-testid=minutes]").await;
    for needle in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "BIÊN BẢN",
        "TRƯỞNG BAN GIÁM KHẢO",
        "TRƯỞNG BAN TỔ CHỨC",
        "Phúc khảo câu 3 phần 1",
        "Giải nhất",
        "Đội Ngã Sáu",
        "Nguyễn Thị Hoa",
        EVIL,
    ] {
        assert!(text.contains(needle), "the minutes lack {needle:?}");
    }
    m.shot("minutes-screen").await;
    let pdf = m
        .driver
        .cdp()
        .send_raw(
            "Page.printToPDF",
            json!({"preferCSSPageSize": true, "printBackground": true, "displayHeaderFooter": false}),
        )
        .await
        .expect("print to PDF");
    let bytes = base64::engine::general_purpose::STANDARD.decode(pdf["data"].as_str().unwrap()).unwrap();
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots/results");
    let path = dir.join("minutes.pdf");
    std::fs::write(&path, &bytes).unwrap();
    let pages = count_pages(&bytes);
    // Run pdftoppm (poppler-utils) when installed, to look at the pages.
    let _ = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "90"])
        .arg(&path)
        .arg(dir.join("minutes-page"))
        .status();
    assert_eq!(pages, 3, "the minutes of 8 teams and 2 parts print on 3 A4 pages ({})", path.display());
    // A4 portrait: 595×842 points.
    let s = String::from_utf8_lossy(&bytes);
    assert!(s.contains("/MediaBox [0 0 595") || s.contains("/MediaBox [0 0 594"), "not A4");
    m.quit().await;
}

/// Page objects in a PDF (`/Type /Page`, not `/Pages`).
fn count_pages(pdf: &[u8]) -> usize {
    let s = String::from_utf8_lossy(pdf);
    s.match_indices("/Type /Page").filter(|(i, _)| !s[i + 11..].starts_with('s')).count()
}
