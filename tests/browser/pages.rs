//! The pages themselves: served with their headers, signing in leads to the right screen.
use crate::harness::{self, Screen};
use crate::helpers::{ADMIN_PASSWORD, ADMIN_USER, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_served_compressed_with_a_policy_and_revalidate() {
    let app = spawn_app().await;
    let c = reqwest::Client::new();
    for path in ["/", "/join", "/play", "/console", "/projector/1", "/judge"] {
        let r = c.get(format!("{}{path}", app.addr)).header("Accept-Encoding", "gzip").send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers();
        assert_eq!(h.get("content-encoding").and_then(|v| v.to_str().ok()), Some("gzip"), "{path} compressed");
        let csp = h.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        let etag = h.get("etag").and_then(|v| v.to_str().ok()).unwrap().to_owned();
        let again = c.get(format!("{}{path}", app.addr)).header("If-None-Match", &etag).send().await.unwrap();
        assert_eq!(again.status(), 304, "{path} revalidates");
    }
    let r = c.get(format!("{}/assets/shared/live.js", app.addr)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    for bad in ["/assets/../Cargo.toml", "/assets/play/index.html", "/assets/nope.js"] {
        let r = c.get(format!("{}{bad}", app.addr)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{bad}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organiser_signs_in_on_the_landing_page_and_reaches_the_console() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let s = Screen::wide("landing", "laptop").await;
    s.goto(&format!("{}/", app.addr)).await;
    s.shot("landing").await;
    s.fill("#u", ADMIN_USER).await;
    s.fill("#p", "wrong password").await;
    s.click("#login button").await;
    s.wait_text("#login-msg", "không đúng", 10).await;
    s.shot("wrong-password").await;
    s.fill("#p", ADMIN_PASSWORD).await;
    s.click("#login button").await;
    s.wait_js("return location.pathname === '/console'", 10).await;
    s.quit().await;
}
