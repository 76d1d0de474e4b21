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
