//! Limits that fit a hall: mistyped join codes never slow a sign-in, a guessed password slows
//! only that account from the guessing address and only for a while, and `X-Forwarded-For`
//! counts only from a trusted proxy.
use std::net::IpAddr;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use hoithi::auth::ratelimit::Limits;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::{create_contest, create_team};
use crate::helpers::{ADMIN_PASSWORD, ADMIN_USER, TestApp, spawn_app, spawn_app_with, test_settings};

/// Delays of tens of milliseconds instead of seconds.
fn quick_limits() -> Limits {
    Limits {
        first_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(400),
        guess_burst: 5,
        guess_refill: Duration::from_secs(60),
        ..Limits::default()
    }
}

/// A client whose connections come from another loopback address (all of 127/8 is local).
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn login_with(
    app: &TestApp,
    client: &reqwest::Client,
    forwarded_for: Option<&str>,
    user: &str,
    password: &str,
) -> (StatusCode, Option<u64>, Value) {
    let mut req =
        client.post(format!("{}/api/auth/login", app.addr)).json(&json!({"username": user, "password": password}));
    if let Some(f) = forwarded_for {
        req = req.header("x-forwarded-for", f);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let retry = res.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
    (status, retry, res.json().await.unwrap_or(Value::Null))
}

async fn post_join(app: &TestApp, forwarded_for: Option<&str>, code: &str, name: &str) -> (StatusCode, Value) {
    let mut req = app.client.post(format!("{}/api/join", app.addr)).json(&json!({"code": code, "name": name}));
    if let Some(f) = forwarded_for {
        req = req.header("x-forwarded-for", f);
    }
    let res = req.send().await.unwrap();
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

/// A code of the join alphabet that no team has.
fn wrong_code(taken: &[String], i: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut n = i * 7919 + 12345;
    loop {
        let code: String = (0..6).map(|k| ALPHABET[(n / ALPHABET.len().pow(k)) % ALPHABET.len()] as char).collect();
        if !taken.contains(&code) {
            return code;
        }
        n += 1;
    }
}

#[tokio::test]
async fn a_hall_of_500_phones_with_mistyped_codes_all_join_and_the_organiser_signs_in_at_once() {
    // The shipped limits, not the quick ones: this is the hall they are sized for.
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contest = create_contest(&app, &admin, "Hội thi toàn huyện").await;
    let mut codes = Vec::new();
    for t in 0..10 {
        codes.push(create_team(&app, &admin, contest, &format!("Đội {t}")).await.1);
    }
    // 500 attempts from the hall's one address, every tenth a mistyped code.
    let attempts: Vec<(bool, String)> = (0..500)
        .map(|i| if i % 10 == 9 { (false, wrong_code(&codes, i)) } else { (true, codes[i % 10].clone()) })
        .collect();
    let results: Vec<(bool, StatusCode, Value)> = futures_util::stream::iter(attempts.into_iter().enumerate())
        .map(|(i, (right, code))| {
            let app = &app;
            async move {
                let (s, b) = post_join(app, None, &code, &format!("Thí sinh {i}")).await;
                (right, s, b)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let mut joined = 0;
    for (right, s, b) in &results {
        if *right {
            assert_eq!(*s, StatusCode::OK, "a right code was refused: {b}");
            joined += 1;
        } else {
            assert_eq!(*s, StatusCode::NOT_FOUND, "a wrong code: {b}");
        }
    }
    assert_eq!(joined, 450);
    // The organiser on the same Wi-Fi, with a typo first, then the right password.
    let t0 = Instant::now();
    let (s, _, _) = login_with(&app, &app.client, None, ADMIN_USER, "mat-khau-go-sai").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, b) = login_with(&app, &app.client, None, ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(t0.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn wrong_codes_empty_their_own_bucket_then_every_guess_waits_but_sign_ins_do_not() {
    let mut settings = test_settings();
    settings.limits = quick_limits();
    let app = spawn_app_with(settings).await;
    let admin = app.admin_token().await;
    let contest = create_contest(&app, &admin, "Hội thi").await;
    let (_, code) = create_team(&app, &admin, contest, "Đội A").await;
    let wrong = wrong_code(std::slice::from_ref(&code), 1);
    for i in 0..5 {
        let (s, b) = post_join(&app, None, &wrong, "X").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "guess {i}: {b}");
    }
    let res = app.client.post(format!("{}/api/join", app.addr)).json(&json!({"code": wrong, "name": "X"})).send().await;
    let res = res.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["error"]["code"], "rate_limited");
    // A guesser who ignores the 429s cannot find the code: the right one waits too.
    let (s, _) = post_join(&app, None, &code, "Y").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let (s, _) = app.get(&format!("/api/join/{code}"), None).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // Invitations share the guessing bucket.
    let (s, b) = app.post("/api/judges/accept", None, json!({"token": "khong-co-loi-moi-nay"})).await;
    assert_eq!((s, b["error"]["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")));
    // Sign-ins from the same address are a different bucket.
    let (s, _, b) = login_with(&app, &app.client, None, ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // Another address guesses on.
    let other = client_from("127.0.0.2");
    let res = other.post(format!("{}/api/join", app.addr)).json(&json!({"code": code, "name": "Z"})).send().await;
    assert_eq!(res.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn twenty_wrong_passwords_slow_only_that_account_and_only_for_its_delay() {
    let mut settings = test_settings();
    settings.limits = quick_limits();
    let app = spawn_app_with(settings).await;
    let admin = app.admin_token().await;
    let (s, b) = app
        .post("/api/users", Some(&admin), json!({"username": "thuky", "password": "mat-khau-dai", "role": "organiser"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    // 20 wrong passwords, each sent as soon as the server takes one again.
    let mut refused = 0;
    let mut wrong = 0;
    while wrong < 20 {
        match login_with(&app, &app.client, None, ADMIN_USER, "doan-mo").await {
            (StatusCode::UNAUTHORIZED, _, b) => {
                assert_eq!(b["error"]["code"], "wrong_credentials");
                wrong += 1;
            }
            (StatusCode::TOO_MANY_REQUESTS, retry, b) => {
                assert_eq!(b["error"]["code"], "rate_limited");
                assert!(retry.is_some_and(|r| r >= 1), "429 without Retry-After");
                refused += 1;
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(refused >= 17, "after the third failure each attempt waits: {refused} refusals");

    // Another account signs in at once from the same address.
    let (s, _, b) = login_with(&app, &app.client, None, "thuky", "mat-khau-dai").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // The attacked account with its right password, from the attacking address: wait.
    let (s, retry, _) = login_with(&app, &app.client, None, ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let retry = retry.expect("Retry-After");
    // From an address with no failures of its own: at once.
    let (s, _, b) = login_with(&app, &client_from("127.0.0.3"), None, ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "a clean address was refused: {b}");
    // And from the attacking address after the delay it was told.
    tokio::time::sleep(Duration::from_secs(retry)).await;
    let (s, _, b) = login_with(&app, &app.client, None, ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "after Retry-After: {b}");
}

#[tokio::test]
async fn failures_of_one_account_from_many_addresses_slow_only_those_addresses() {
    let mut settings = test_settings();
    settings.limits = quick_limits();
    settings.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let app = spawn_app_with(settings).await;
    // One wrong password from each of 12 addresses (through the trusted proxy).
    for i in 0..12 {
        let (s, _, _) = login_with(&app, &app.client, Some(&format!("10.8.0.{i}")), ADMIN_USER, "doan").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    // Each failed once only, but the account as a whole failed 12 times: they wait.
    let (s, _, _) = login_with(&app, &app.client, Some("10.8.0.0"), ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let (s, _, b) = login_with(&app, &app.client, Some("10.9.0.1"), ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "a clean address: {b}");
    tokio::time::sleep(Duration::from_millis(450)).await;
    let (s, _, b) = login_with(&app, &app.client, Some("10.8.0.0"), ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "never locked out for good: {b}");
}

#[tokio::test]
async fn a_forged_forwarded_for_from_an_untrusted_peer_changes_nothing() {
    let mut settings = test_settings();
    settings.limits = quick_limits();
    let app = spawn_app_with(settings).await;
    for i in 0..3 {
        let (s, _, _) = login_with(&app, &app.client, Some(&format!("10.7.0.{i}")), ADMIN_USER, "doan").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    // All three counted against the real peer, whatever the header says.
    let (s, _, _) = login_with(&app, &app.client, Some("10.7.0.99"), ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let admin = loop {
        // (the quick delay is 100 ms)
        let (s, _, b) = login_with(&app, &app.client, None, ADMIN_USER, ADMIN_PASSWORD).await;
        if s == StatusCode::OK {
            break b["token"].as_str().unwrap().to_owned();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // The join bucket cannot be escaped by a header either.
    let contest = create_contest(&app, &admin, "Hội thi").await;
    let (_, code) = create_team(&app, &admin, contest, "Đội A").await;
    for i in 0..5 {
        let (s, _) =
            post_join(&app, Some(&format!("10.7.1.{i}")), &wrong_code(std::slice::from_ref(&code), i), "X").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    let (s, _) = post_join(&app, Some("10.7.1.200"), &code, "X").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_counts_alone() {
    let mut settings = test_settings();
    settings.limits = quick_limits();
    settings.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let app = spawn_app_with(settings).await;
    for _ in 0..3 {
        let (s, _, _) = login_with(&app, &app.client, Some("10.7.0.1"), ADMIN_USER, "doan").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, _, _) = login_with(&app, &app.client, Some("10.7.0.1"), ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // A proxy chain: the right-most untrusted hop is the client.
    let (s, _, _) = login_with(&app, &app.client, Some("6.6.6.6, 10.7.0.1"), ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let (s, _, b) = login_with(&app, &app.client, Some("10.7.0.1, 10.7.0.2"), ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}
