use crate::helpers::{ADMIN_PASSWORD, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn organiser_signs_in_and_sees_themselves() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let (s, me) = app.get("/api/me", Some(&token)).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["role"], "organiser");
    assert_eq!(me["name"], "admin");
}

#[tokio::test]
async fn wrong_password_is_refused_without_saying_which_part() {
    let app = spawn_app().await;
    for (user, pw) in [("admin", "sai"), ("nobody", ADMIN_PASSWORD)] {
        let (s, b) = app.post("/api/auth/login", None, json!({"username": user, "password": pw})).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(b["error"]["code"], "wrong_credentials");
    }
}

#[tokio::test]
async fn me_without_token_is_401() {
    let app = spawn_app().await;
    let (s, b) = app.get("/api/me", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(b["error"]["code"], "token_missing");
}

#[tokio::test]
async fn refresh_gives_a_new_access_token_and_refuses_access_tokens() {
    let app = spawn_app().await;
    let (_, login) = app.post("/api/auth/login", None, json!({"username": "admin", "password": ADMIN_PASSWORD})).await;
    let refresh = login["refresh_token"].as_str().unwrap();
    let (s, b) = app.post("/api/auth/refresh", None, json!({"refresh_token": refresh})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, _) = app.get("/api/me", Some(b["token"].as_str().unwrap())).await;
    assert_eq!(s, StatusCode::OK);
    // A refresh token is not an access token, and vice versa.
    let (s, b2) = app.get("/api/me", Some(refresh)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(b2["error"]["code"], "token_wrong_kind");
    let (s, _) = app.post("/api/auth/refresh", None, json!({"refresh_token": login["token"]})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn malformed_and_unknown_fields_name_the_field() {
    let app = spawn_app().await;
    let (s, b) = app.post("/api/auth/login", None, json!({"username": "admin"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"]["field"], "password");
    let (s, b) = app.post("/api/auth/login", None, json!({"username": "admin", "password": "x", "role": "god"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"]["field"], "role");
    let big = "x".repeat(70 * 1024);
    let (s, b) = app.post("/api/auth/login", None, json!({"username": big, "password": "x"})).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
}
