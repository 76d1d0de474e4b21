//! Forged, expired and misplaced tokens: each is refused with 401 and a code saying why,
//! and revoked tokens stop working at once.
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fixtures::{create_contest, create_team, join, world};
use crate::helpers::{JWT_SECRET, spawn_app};

fn b64(v: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v)
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign(claims: &Value, alg: Algorithm, key: &[u8]) -> String {
    encode(&Header::new(alg), claims, &EncodingKey::from_secret(key)).unwrap()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn forged_and_invalid_tokens_are_401_with_a_code_saying_which() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let real = claims_of(&w.token_a);
    let key = JWT_SECRET.as_bytes();
    // Sanity: a token we sign ourselves with the real key and claims is accepted, so the
    // refusals below are about what was changed.
    let (s, _) = app.get("/api/me", Some(&sign(&real, Algorithm::HS256, key))).await;
    assert_eq!(s, StatusCode::OK);

    let with = |k: &str, v: Value| {
        let mut c = real.clone();
        c[k] = v;
        c
    };
    let without = |k: &str| {
        let mut c = real.clone();
        c.as_object_mut().unwrap().remove(k);
        c
    };
    let parts: Vec<&str> = w.token_a.split('.').collect();
    let none_alg =
        format!("{}.{}.", b64(br#"{"alg":"none","typ":"JWT"}"#), b64(serde_json::to_string(&real).unwrap().as_bytes()));
    let tampered = {
        let forged = with("tid", json!(w.team_b));
        format!("{}.{}.{}", parts[0], b64(serde_json::to_string(&forged).unwrap().as_bytes()), parts[2])
    };
    let cases: Vec<(&str, String, &str)> = vec![
        ("alg none", none_alg, "token_bad_algorithm"),
        ("HS512 with the right key", sign(&real, Algorithm::HS512, key), "token_bad_algorithm"),
        ("another key", sign(&real, Algorithm::HS256, b"another-secret-another-secret-12345"), "token_bad_signature"),
        ("tampered payload", tampered, "token_bad_signature"),
        ("expired", sign(&with("exp", json!(now() - 3600)), Algorithm::HS256, key), "token_expired"),
        ("not yet valid", sign(&with("nbf", json!(now() + 3600)), Algorithm::HS256, key), "token_not_yet_valid"),
        (
            "exp as a string",
            sign(&with("exp", json!((now() + 3600).to_string())), Algorithm::HS256, key),
            "token_bad_claim",
        ),
        ("no exp", sign(&without("exp"), Algorithm::HS256, key), "token_missing_claim"),
        ("no nbf", sign(&without("nbf"), Algorithm::HS256, key), "token_missing_claim"),
        ("another issuer", sign(&with("iss", json!("evil")), Algorithm::HS256, key), "token_wrong_issuer"),
        ("another audience", sign(&with("aud", json!("other-api")), Algorithm::HS256, key), "token_wrong_audience"),
        ("garbage", "abc.def".to_owned(), "token_malformed"),
    ];
    for (what, token, code) in cases {
        let (s, b) = app.get("/api/me", Some(&token)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{what}: {b}");
        assert_eq!(b["error"]["code"], code, "{what}: {b}");
        // The same refusal on an organiser endpoint and a contest endpoint.
        let (s, b) = app.get(&format!("/api/contests/{}", w.contest), Some(&token)).await;
        assert_eq!((s, b["error"]["code"].as_str().unwrap()), (StatusCode::UNAUTHORIZED, code), "{what}");
    }
    // A contestant's forged claim to be an organiser is refused too.
    let (s, b) = app.get("/api/contests", Some(&sign(&with("role", json!("organiser")), Algorithm::HS256, key))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
}

#[tokio::test]
async fn a_token_of_another_contest_is_refused_on_this_contests_endpoints() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let other = create_contest(&app, &w.admin, "Hội thi khác").await;
    let (_, code) = create_team(&app, &w.admin, other, "Đội khác").await;
    let stranger = join(&app, &code, "Người lạ").await;
    let stranger = stranger["token"].as_str().unwrap();
    let (s, b) = app.get(&format!("/api/contests/{}", w.contest), Some(stranger)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
    assert_eq!(b["error"]["code"], "token_wrong_contest");
    let (s, b) = app.get(&format!("/api/contests/{}/teams/{}", w.contest, w.team_a), Some(stranger)).await;
    assert_eq!((s, b["error"]["code"].as_str().unwrap()), (StatusCode::UNAUTHORIZED, "token_wrong_contest"));

    // An invited judge of the other contest.
    let (s, inv) =
        app.post(&format!("/api/contests/{other}/judges/invite"), Some(&w.admin), json!({"name": "GK"})).await;
    assert_eq!(s, StatusCode::CREATED, "{inv}");
    let (s, judge) = app.post("/api/judges/accept", None, json!({"token": inv["token"]})).await;
    assert_eq!(s, StatusCode::OK, "{judge}");
    let jt = judge["token"].as_str().unwrap();
    let (s, b) = app.get(&format!("/api/contests/{}/teams", w.contest), Some(jt)).await;
    assert_eq!((s, b["error"]["code"].as_str().unwrap()), (StatusCode::UNAUTHORIZED, "token_wrong_contest"));
    let (s, _) = app.get(&format!("/api/contests/{other}/teams"), Some(jt)).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn removing_a_contestant_closing_a_contest_and_resetting_a_judge_revoke_tokens() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let a2 = join(&app, &w.code_a, "Lê Chi").await;
    let a2 = a2["token"].as_str().unwrap().to_owned();
    // Removing contestant A1: only that token stops working.
    let (s, _) = app
        .request(
            Method::DELETE,
            &format!("/api/contests/{}/contestants/{}", w.contest, w.contestant_a),
            Some(&w.admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = app.get("/api/me", Some(&w.token_a)).await;
    assert_eq!((s, b["error"]["code"].as_str().unwrap()), (StatusCode::UNAUTHORIZED, "token_revoked"));
    let (s, me) = app.get("/api/me", Some(&a2)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["is_captain"], true, "the next member becomes captain under first_join");

    // Resetting an invited judge: the old token and the old link stop working, the new link works.
    let (_, inv) =
        app.post(&format!("/api/contests/{}/judges/invite", w.contest), Some(&w.admin), json!({"name": "GK 1"})).await;
    let (_, judge) = app.post("/api/judges/accept", None, json!({"token": inv["token"]})).await;
    let jt = judge["token"].as_str().unwrap().to_owned();
    let (s, _) = app.get("/api/me", Some(&jt)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, reset) = app
        .post(&format!("/api/contests/{}/judges/{}/reset", w.contest, judge["judge_id"]), Some(&w.admin), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{reset}");
    let (s, b) = app.get("/api/me", Some(&jt)).await;
    assert_eq!((s, b["error"]["code"].as_str().unwrap()), (StatusCode::UNAUTHORIZED, "token_revoked"));
    let (s, _) = app.post("/api/judges/accept", None, json!({"token": inv["token"]})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, judge) = app.post("/api/judges/accept", None, json!({"token": reset["token"]})).await;
    assert_eq!(s, StatusCode::OK, "{judge}");
    let jt = judge["token"].as_str().unwrap().to_owned();

    // Closing the contest: contestants and invited judges are out; organisers are not.
    let (s, c) = app.post(&format!("/api/contests/{}/close", w.contest), Some(&w.admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["status"], "closed");
    for t in [&w.token_b, &a2, &jt] {
        let (s, b) = app.get("/api/me", Some(t)).await;
        assert_eq!((s, b["error"]["code"].as_str().unwrap()), (StatusCode::UNAUTHORIZED, "token_revoked"));
    }
    let (s, b) = app.post("/api/join", None, json!({"code": w.code_a, "name": "Muộn"})).await;
    assert_eq!((s, b["error"]["code"].as_str().unwrap()), (StatusCode::CONFLICT, "contest_closed"));
    let (s, _) = app.get(&format!("/api/contests/{}", w.contest), Some(&w.admin)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) =
        app.post(&format!("/api/contests/{}/teams", w.contest), Some(&w.admin), json!({"name": "Đội mới"})).await;
    assert_eq!((s, b["error"]["code"].as_str().unwrap()), (StatusCode::CONFLICT, "contest_closed"));
}
