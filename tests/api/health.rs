use crate::helpers::spawn_app;
use reqwest::StatusCode;

#[tokio::test]
async fn healthz_and_readyz_answer() {
    let app = spawn_app().await;
    let (s, b) = app.get("/healthz", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["status"], "ok");
    let (s, b) = app.get("/readyz", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["status"], "ready");
}

#[tokio::test]
async fn unknown_route_is_json_404() {
    let app = spawn_app().await;
    let (s, b) = app.get("/api/no-such-thing", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(b["error"]["code"], "no_route");
}

#[tokio::test]
async fn openapi_document_is_served() {
    let app = spawn_app().await;
    let (s, b) = app.get("/api/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(b["paths"]["/healthz"]["get"].is_object(), "{b}");
    assert!(b["paths"]["/api/auth/login"]["post"].is_object());
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let res = app.client.get(format!("{}/healthz", app.addr)).send().await.unwrap();
    let id = res.headers().get("x-request-id").expect("x-request-id header").to_str().unwrap().to_owned();
    assert!(id.len() >= 16, "{id}");
    let res2 = app.client.get(format!("{}/nope", app.addr)).send().await.unwrap();
    assert_ne!(res2.headers().get("x-request-id").unwrap().to_str().unwrap(), id);
}

#[tokio::test]
async fn pages_are_embedded_and_in_vietnamese() {
    let app = spawn_app().await;
    for path in ["/", "/join?code=ABC234"] {
        let res = app.client.get(format!("{}{path}", app.addr)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let html = res.text().await.unwrap();
        assert!(html.contains("lang=\"vi\""));
        assert!(html.contains("Vào đội"), "{path}");
        assert!(!html.contains("http://") && !html.contains("https://"), "no external resources in {path}");
    }
    let res = app.client.get(format!("{}/assets/style.css", app.addr)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    let (s, _) = app.get("/assets/nothing.js", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
