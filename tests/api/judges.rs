//! Accounts and judges: organisers add accounts, assign judge accounts to contests, and
//! invite judges with one-time links.
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::fixtures::create_contest;
use crate::helpers::spawn_app;

#[tokio::test]
async fn organisers_add_accounts_and_judges_see_only_their_contests() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (s, u) = app
        .post("/api/users", Some(&admin), json!({"username": "thuky", "password": "mat-khau-dai", "role": "organiser"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    let (s, j) = app
        .post("/api/users", Some(&admin), json!({"username": "giamkhao1", "password": "mat-khau-gk", "role": "judge"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{j}");
    let (s, b) = app
        .post(
            "/api/users",
            Some(&admin),
            json!({"username": "giamkhao1", "password": "khac-hoan-toan", "role": "judge"}),
        )
        .await;
    assert_eq!((s, b["error"]["code"].as_str().unwrap()), (StatusCode::CONFLICT, "already_exists"));
    let (s, b) =
        app.post("/api/users", Some(&admin), json!({"username": "x1", "password": "ngan", "role": "judge"})).await;
    assert_eq!((s, b["error"]["field"].as_str().unwrap()), (StatusCode::BAD_REQUEST, "password"));
    let (s, b) = app
        .post("/api/users", Some(&admin), json!({"username": "x1", "password": "mat-khau-dai", "role": "king"}))
        .await;
    assert_eq!((s, b["error"]["field"].as_str().unwrap()), (StatusCode::BAD_REQUEST, "role"));
    let (_, users) = app.get("/api/users", Some(&admin)).await;
    assert_eq!(users.as_array().unwrap().len(), 3);

    // The new organiser can work; the judge signs in and sees only assigned contests.
    let secretary = app.login("thuky", "mat-khau-dai").await;
    let c1 = create_contest(&app, &secretary, "Hội thi 1").await;
    let c2 = create_contest(&app, &admin, "Hội thi 2").await;
    let judge = app.login("giamkhao1", "mat-khau-gk").await;
    let (s, _) = app.get(&format!("/api/contests/{c1}/teams"), Some(&judge)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, jv) = app.post(&format!("/api/contests/{c1}/judges"), Some(&admin), json!({"user_id": j["id"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{jv}");
    assert_eq!(jv["name"], "giamkhao1");
    let (s, _) = app.post(&format!("/api/contests/{c1}/judges"), Some(&admin), json!({"user_id": j["id"]})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, b) = app.post(&format!("/api/contests/{c1}/judges"), Some(&admin), json!({"user_id": u["id"]})).await;
    assert_eq!((s, b["error"]["field"].as_str().unwrap()), (StatusCode::BAD_REQUEST, "user_id"));
    let (s, _) = app.get(&format!("/api/contests/{c1}/teams"), Some(&judge)).await;
    assert_eq!(s, StatusCode::OK);
    let (_, mine) = app.get("/api/contests", Some(&judge)).await;
    assert_eq!(mine.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect::<Vec<_>>(), [c1]);
    let (s, _) = app.get(&format!("/api/contests/{c2}/parts"), Some(&judge)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Judges cannot change contest settings or add accounts.
    let (s, _) =
        app.request(Method::PATCH, &format!("/api/contests/{c1}"), Some(&judge), Some(json!({"name": "X"}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post("/api/users", Some(&judge), json!({"username": "x2", "password": "mat-khau-dai", "role": "organiser"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Removing the judge from the contest ends their access to it.
    let (s, _) =
        app.request(Method::DELETE, &format!("/api/contests/{c1}/judges/{}", jv["id"]), Some(&admin), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get(&format!("/api/contests/{c1}/teams"), Some(&judge)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_invitation_signs_a_judge_in_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contest = create_contest(&app, &admin, "Hội thi").await;
    let (s, inv) = app
        .post(&format!("/api/contests/{contest}/judges/invite"), Some(&admin), json!({"name": "Bà Nguyễn Thị Hoa"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{inv}");
    let token = inv["token"].as_str().unwrap();
    assert!(inv["url"].as_str().unwrap().ends_with(&format!("/judge?invite={token}")));
    // Only a hash is stored.
    let (_, judges) = app.get(&format!("/api/contests/{contest}/judges"), Some(&admin)).await;
    assert_eq!(judges[0]["invited"], true);
    assert!(!judges.to_string().contains(token));

    let (s, session) = app.post("/api/judges/accept", None, json!({"token": token})).await;
    assert_eq!(s, StatusCode::OK, "{session}");
    assert_eq!(session["contest_id"], contest);
    let (_, me) = app.get("/api/me", session["token"].as_str()).await;
    assert_eq!(me["role"], "judge");
    assert_eq!(me["name"], "Bà Nguyễn Thị Hoa");
    assert_eq!(me["contest_id"], contest);
    let (s, b) = app.post("/api/judges/accept", None, json!({"token": token})).await;
    assert_eq!((s, b["error"]["code"].as_str().unwrap()), (StatusCode::CONFLICT, "invite_used"));
    let (s, b) = app.post("/api/judges/accept", None, json!({"token": "khong-dung"})).await;
    assert_eq!((s, b["error"]["code"].as_str().unwrap()), (StatusCode::UNAUTHORIZED, "invite_unknown"));
}

#[tokio::test]
async fn resetting_a_judge_account_signs_it_out() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contest = create_contest(&app, &admin, "Hội thi").await;
    let (_, u) = app
        .post("/api/users", Some(&admin), json!({"username": "gk", "password": "mat-khau-gk", "role": "judge"}))
        .await;
    let (_, j) = app
        .post(
            &format!("/api/contests/{contest}/judges"),
            Some(&admin),
            json!({"user_id": u["id"], "name": "Ông Lê Văn Tám"}),
        )
        .await;
    assert_eq!(j["name"], "Ông Lê Văn Tám");
    let old = app.login("gk", "mat-khau-gk").await;
    let (s, r) = app.post(&format!("/api/contests/{contest}/judges/{}/reset", j["id"]), Some(&admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["token"], serde_json::Value::Null, "an account judge gets no invitation");
    let (s, b) = app.get("/api/me", Some(&old)).await;
    assert_eq!((s, b["error"]["code"].as_str().unwrap()), (StatusCode::UNAUTHORIZED, "token_revoked"));
    let fresh = app.login("gk", "mat-khau-gk").await;
    let (s, _) = app.get(&format!("/api/contests/{contest}/parts"), Some(&fresh)).await;
    assert_eq!(s, StatusCode::OK);
}
