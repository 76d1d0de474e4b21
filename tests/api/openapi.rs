//! `/api/openapi.json` lists every route: each documented path is served, and each route
//! macro in `src` appears in the document.
use std::path::Path;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::spawn_app;

/// `(method, path)` of every `#[get("…")]`-style route macro under `dir`.
fn route_macros(dir: &Path, out: &mut Vec<(String, String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            route_macros(&path, out);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines() {
            let line = line.trim();
            for m in ["get", "post", "put", "patch", "delete"] {
                if let Some(rest) = line.strip_prefix(&format!("#[{m}(\"")) {
                    let route = rest.split('"').next().unwrap();
                    // `{file:.*}` is documented as `{file}`.
                    let route = regex_free(route);
                    // Between instances only (several instances on one database): not
                    // part of the public API, and refused without the instances' key.
                    if route.starts_with("/internal/") {
                        continue;
                    }
                    out.push((m.to_owned(), route, path.display().to_string()));
                }
            }
        }
    }
}

/// A route with its segments' patterns dropped: `/assets/{file:.*}` → `/assets/{file}`.
fn regex_free(route: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for ch in route.chars() {
        match ch {
            ':' if out.rfind('{') > out.rfind('}') => skipping = true,
            '}' => {
                skipping = false;
                out.push(ch);
            }
            _ if skipping => {}
            _ => out.push(ch),
        }
    }
    out
}

#[tokio::test]
async fn every_route_macro_is_in_the_document_and_every_documented_route_is_served() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (s, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    let paths = doc["paths"].as_object().expect("paths");

    let mut macros = Vec::new();
    route_macros(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut macros);
    assert!(macros.len() > 20, "found only {} route macros", macros.len());
    let mut undocumented = Vec::new();
    for (method, route, file) in &macros {
        if paths.get(route).and_then(|p| p.get(method)).is_none() {
            undocumented.push(format!("{} {route} ({file})", method.to_uppercase()));
        }
    }
    assert!(undocumented.is_empty(), "routes missing from /api/openapi.json:\n{}", undocumented.join("\n"));

    let mut unserved = Vec::new();
    for (path, item) in paths {
        // Placeholder ids: the router must know the route even if nothing has that id.
        let concrete: String = {
            let mut out = String::new();
            let mut in_brace = false;
            for ch in path.chars() {
                match ch {
                    '{' => {
                        in_brace = true;
                        out.push_str(if path.contains("/join/") { "ZZZZZZ" } else { "999999" });
                    }
                    '}' => in_brace = false,
                    _ if in_brace => {}
                    _ => out.push(ch),
                }
            }
            out
        };
        for method in item.as_object().unwrap().keys() {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = matches!(m, Method::POST | Method::PUT | Method::PATCH).then(|| json!({}));
            let (s, b): (StatusCode, Value) = app.request(m.clone(), &concrete, Some(&admin), body).await;
            if s == StatusCode::NOT_FOUND && b["error"]["code"] == "no_route" || s == StatusCode::METHOD_NOT_ALLOWED {
                unserved.push(format!("{m} {path} → {s} {b}"));
            }
        }
    }
    assert!(unserved.is_empty(), "documented but not served:\n{}", unserved.join("\n"));
    // And an unknown route really is told apart.
    let (s, b) = app.get("/api/no-such-thing", Some(&admin)).await;
    assert_eq!((s, b["error"]["code"].as_str().unwrap()), (StatusCode::NOT_FOUND, "no_route"));
}

#[tokio::test]
async fn documented_operations_declare_security_and_responses() {
    let app = spawn_app().await;
    let (_, doc) = app.get("/api/openapi.json", None).await;
    let public = [
        "/healthz",
        "/readyz",
        "/api/openapi.json",
        "/api/auth/login",
        "/api/auth/refresh",
        "/api/join",
        "/api/judges/accept",
    ];
    let mut problems = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op["responses"].as_object().is_none_or(|r| r.is_empty()) {
                problems.push(format!("{method} {path} has no responses"));
            }
            let is_public =
                public.iter().any(|p| path == p || path.starts_with("/api/join/") || path.starts_with("/api/public/"));
            if !is_public && path.starts_with("/api/") && op.get("security").is_none() {
                problems.push(format!("{method} {path} does not declare bearer security"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
