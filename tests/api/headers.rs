//! Security headers on every response: the API's, the errors', the pages'.
use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn every_response_forbids_sniffing_framing_and_leaking_the_referrer() {
    let app = spawn_app().await;
    let calls = [
        (Method::GET, "/healthz", None),
        (Method::GET, "/api/me", None),
        (Method::GET, "/api/no-such-thing", None),
        (Method::POST, "/api/auth/login", Some(json!({"username": "admin", "password": "sai"}))),
        (Method::POST, "/api/join", Some(json!({"code": 1}))),
        (Method::GET, "/api/openapi.json", None),
        (Method::GET, "/", None),
    ];
    for (method, path, body) in calls {
        let mut req = app.client.request(method.clone(), format!("{}{path}", app.addr));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let h = res.headers();
        let status = res.status();
        assert_eq!(h["x-content-type-options"], "nosniff", "{method} {path} ({status})");
        assert_eq!(h["referrer-policy"], "same-origin", "{method} {path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{method} {path}: {csp}");
        assert_eq!(h.get_all("content-security-policy").iter().count(), 1, "{method} {path}: one policy");
    }
}
