//! The role matrix: every endpoint called as anonymous, a contestant of team A, a
//! contestant of team B, a judge of the contest and an organiser, each answered with
//! exactly the designed status. A refused call changes nothing.
//!
//! To add an endpoint, add a row to `rows()`: method, path template, body, and the five
//! statuses `[anonymous, team A, team B, judge, organiser]`. Placeholders in paths and
//! bodies: {c} contest, {ta}/{tb} teams A and B, {xa}/{xb} their contestants, {p} a part,
//! {j} the judge caller's row, {code_a} team A's join code, {judge_user} a judge account,
//! {asset} an embedded file;
//! and `*_spare` objects that rows may delete: {c_spare}, {t_spare}, {x_spare}, {p_spare},
//! {j_spare}. Rows run in order, the organiser last in each row; closing the contest (which
//! revokes tokens) comes last.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fixtures::{create_contest, create_part, create_team, join, world};
use crate::helpers::{ADMIN_PASSWORD, TestApp, spawn_app};

pub enum Body {
    None,
    Json(Value),
    /// A small valid XLSX team list.
    Xlsx,
    /// A plain-text file (e.g. Aiken questions).
    Text(&'static str),
}

pub struct Row {
    pub method: Method,
    pub path: &'static str,
    pub body: Body,
    /// [anonymous, contestant of team A, contestant of team B, judge, organiser]
    pub expect: [u16; 5],
}

fn row(method: Method, path: &'static str, body: Body, expect: [u16; 5]) -> Row {
    Row { method, path, body, expect }
}

const ORG_ONLY: [u16; 5] = [401, 403, 403, 403, 200];
const ORG_CREATES: [u16; 5] = [401, 403, 403, 403, 201];
const ORG_DELETES: [u16; 5] = [401, 403, 403, 403, 204];
const STAFF: [u16; 5] = [401, 403, 403, 200, 200];
const ANYONE: [u16; 5] = [200, 200, 200, 200, 200];
/// An organiser's live control in a state where it is not allowed: 409 with the state.
const LIVE_REFUSED: [u16; 5] = [401, 403, 403, 403, 409];

pub fn rows() -> Vec<Row> {
    use Body::{Json, None, Text, Xlsx};
    use Method as M;
    vec![
        row(M::GET, "/healthz", None, ANYONE),
        row(M::GET, "/readyz", None, ANYONE),
        row(M::GET, "/metrics", None, ORG_ONLY),
        row(M::GET, "/api/health/live", None, ORG_ONLY),
        row(M::GET, "/api/openapi.json", None, ANYONE),
        // embedded pages
        row(M::GET, "/", None, ANYONE),
        row(M::GET, "/join", None, ANYONE),
        row(M::GET, "/assets/{file}", None, ANYONE),
        row(M::GET, "/play", None, ANYONE),
        row(M::GET, "/console", None, ANYONE),
        row(M::GET, "/judge", None, ANYONE),
        row(M::GET, "/projector/{c}", None, ANYONE),
        row(M::GET, "/api/me", None, [401, 200, 200, 200, 200]),
        row(M::POST, "/api/auth/login", Json(json!({"username": "admin", "password": ADMIN_PASSWORD})), ANYONE),
        row(M::POST, "/api/auth/refresh", Json(json!({"refresh_token": "x.y.z"})), [401; 5]),
        // accounts
        row(M::GET, "/api/users", None, ORG_ONLY),
        row(
            M::POST,
            "/api/users",
            Json(json!({"username": "thuky2", "password": "mat-khau-dai", "role": "judge"})),
            ORG_CREATES,
        ),
        // contests
        row(M::GET, "/api/contests", None, [401, 403, 403, 200, 200]),
        row(M::POST, "/api/contests", Json(json!({"name": "Hội thi mới"})), ORG_CREATES),
        row(M::POST, "/api/demo", None, ORG_CREATES),
        row(M::GET, "/api/contests/{c}", None, [401, 200, 200, 200, 200]),
        row(M::PATCH, "/api/contests/{c}", Json(json!({"venue": "Nhà văn hóa"})), ORG_ONLY),
        // teams
        row(M::GET, "/api/contests/{c}/teams", None, STAFF),
        row(M::POST, "/api/contests/{c}/teams", Json(json!({"name": "Đội mới"})), ORG_CREATES),
        row(M::POST, "/api/contests/{c}/teams/bulk", Json(json!({"lines": ["Đội dán 1", "Đội dán 2"]})), ORG_CREATES),
        row(M::POST, "/api/contests/{c}/teams/import", Xlsx, ORG_CREATES),
        row(M::GET, "/api/contests/{c}/teams/{ta}", None, [401, 200, 403, 200, 200]),
        row(M::GET, "/api/contests/{c}/teams/{tb}", None, [401, 403, 200, 200, 200]),
        row(M::PATCH, "/api/contests/{c}/teams/{ta}", Json(json!({"unit": "Đảng ủy mới"})), ORG_ONLY),
        row(M::GET, "/api/contests/{c}/teams/{ta}/qr.svg", None, ORG_ONLY),
        row(M::POST, "/api/contests/{c}/teams/{t_spare}/code", None, ORG_ONLY),
        row(M::GET, "/api/contests/{c}/cards", None, ORG_ONLY),
        // contestants
        row(M::GET, "/api/contests/{c}/contestants", None, STAFF),
        row(M::PUT, "/api/contests/{c}/contestants/{xa}/captain", None, ORG_ONLY),
        // parts
        row(M::GET, "/api/contests/{c}/parts", None, STAFF),
        row(
            M::POST,
            "/api/contests/{c}/parts",
            Json(json!({"kind": "quiz", "title": "Phụ", "max_points": 10})),
            ORG_CREATES,
        ),
        row(M::GET, "/api/contests/{c}/parts/{p}", None, STAFF),
        row(M::PATCH, "/api/contests/{c}/parts/{p}", Json(json!({"title": "Khởi động"})), ORG_ONLY),
        // question banks: organisers only, but for study mode (documents, never answers)
        row(M::GET, "/api/banks", None, ORG_ONLY),
        row(M::GET, "/api/banks/{b}", None, ORG_ONLY),
        row(M::GET, "/api/banks/{b}/questions", None, ORG_ONLY),
        row(M::GET, "/api/banks/{b}/questions/{q}", None, ORG_ONLY),
        row(
            M::POST,
            "/api/banks/{b}/questions",
            Json(json!({"id": "rm-001", "section": "phan-2", "type": "true_false", "difficulty": 1,
                "prompt": "Chuyên đề 2024-2025 có 3 thành tố chính.", "answer": true,
                "source": {"document": "{doc}", "quote": "chuyên đề 2024-2025 có 3 thành tố chính"}})),
            ORG_CREATES,
        ),
        row(
            M::PUT,
            "/api/banks/{b}/questions/{q}",
            Json(json!({"section": "phan-2", "type": "true_false", "difficulty": 2,
                "prompt": "Chuyên đề 2024-2025 có 3 thành tố chính?", "answer": true,
                "source": {"document": "{doc}", "quote": "chuyên đề 2024-2025 có 3 thành tố chính"}})),
            ORG_ONLY,
        ),
        row(M::POST, "/api/banks/{b}/questions/{q_spare}/retire", None, ORG_ONLY),
        row(M::POST, "/api/banks/{b}/questions/{q_spare}/restore", None, ORG_ONLY),
        row(M::GET, "/api/banks/{b}/documents", None, [401, 200, 200, 200, 200]),
        row(M::GET, "/api/banks/{b}/documents/{doc}", None, [401, 200, 200, 200, 200]),
        row(M::GET, "/api/banks/template.xlsx", None, ORG_ONLY),
        row(M::GET, "/api/banks/{b}/export.xlsx", None, ORG_ONLY),
        row(
            M::POST,
            "/api/banks/import?bank=rieng&title=Ngân%20hàng%20riêng&format=aiken",
            Text("Đội thi thị trấn Ngã Sáu đạt giải gì?\nA. Giải nhất\nB. Giải nhì\nANSWER: A\n"),
            ORG_CREATES,
        ),
        // the questions of a part
        // (on the buzzer part: the quiz part {p} stays empty for the live rows below)
        row(M::GET, "/api/contests/{c}/parts/{p2}/questions", None, ORG_ONLY),
        row(M::PUT, "/api/contests/{c}/parts/{p2}/questions", Json(json!({"question_ids": ["{q}"]})), ORG_ONLY),
        row(
            M::POST,
            "/api/contests/{c}/parts/{p4}/draw",
            Json(json!({"seed": 7, "quotas": [{"section": "phan-1", "count": 2}]})),
            ORG_ONLY,
        ),
        row(M::GET, "/api/contests/{c}/parts/{p4}/draws", None, ORG_ONLY),
        // judges
        row(M::GET, "/api/contests/{c}/judges", None, ORG_ONLY),
        row(M::POST, "/api/contests/{c}/judges", Json(json!({"user_id": "{judge_user}"})), ORG_CREATES),
        row(M::POST, "/api/contests/{c}/judges/invite", Json(json!({"name": "GK 3"})), ORG_CREATES),
        row(M::POST, "/api/contests/{c}/judges/{j_spare}/reset", None, ORG_ONLY),
        row(M::POST, "/api/judges/accept", Json(json!({"token": "khong-dung"})), [401; 5]),
        // judged parts ({p3}: the world's judged part; the judge caller marks, nobody signs)
        row(M::GET, "/api/contests/{c}/parts/{p3}/order", None, STAFF),
        row(M::POST, "/api/contests/{c}/parts/{p3}/order", Json(json!({"seed": 7})), ORG_ONLY),
        row(M::GET, "/api/contests/{c}/parts/{p3}/judging", None, STAFF),
        row(
            M::PUT,
            "/api/contests/{c}/parts/{p3}/sheets/{ta}/marks/{crit}",
            Json(json!({"points": 10})),
            [401, 403, 403, 200, 403],
        ),
        row(M::DELETE, "/api/contests/{c}/parts/{p3}/sheets/{ta}/marks/{crit}", None, [401, 403, 403, 200, 403]),
        row(M::POST, "/api/contests/{c}/parts/{p3}/sheets/{ta}/sign", None, [401, 403, 403, 409, 403]),
        row(
            M::POST,
            "/api/contests/{c}/parts/{p3}/sheets/{ta}/judges/{j}/reopen",
            Json(json!({"reason": "Thử"})),
            LIVE_REFUSED,
        ),
        row(M::POST, "/api/contests/{c}/parts/{p3}/release", Json(json!({})), ORG_ONLY),
        // No judged part runs: nobody can go on stage.
        row(M::POST, "/api/contests/{c}/live/judged/performing", Json(json!({"team_id": "{ta}"})), LIVE_REFUSED),
        // joining (public)
        row(M::GET, "/api/join/{code_a}", None, ANYONE),
        row(M::POST, "/api/join", Json(json!({"code": "{code_a}", "name": "Khách"})), ANYONE),
        // live engine (the world's parts have no questions yet, so transitions are refused)
        row(M::GET, "/api/contests/{c}/live", None, [401, 200, 200, 200, 200]),
        row(M::GET, "/api/contests/{c}/scoreboard", None, [401, 200, 200, 200, 200]),
        row(M::POST, "/api/contests/{c}/parts/{p}/start", None, LIVE_REFUSED),
        row(M::POST, "/api/contests/{c}/parts/{p}/finish", None, LIVE_REFUSED),
        row(M::POST, "/api/contests/{c}/live/next", None, LIVE_REFUSED),
        row(M::POST, "/api/contests/{c}/live/pause", None, LIVE_REFUSED),
        row(M::POST, "/api/contests/{c}/live/resume", None, LIVE_REFUSED),
        row(M::POST, "/api/contests/{c}/live/close", None, LIVE_REFUSED),
        row(M::POST, "/api/contests/{c}/live/reveal", None, LIVE_REFUSED),
        row(M::POST, "/api/contests/{c}/live/void", Json(json!({"reason": "Sai đáp án"})), LIVE_REFUSED),
        row(M::POST, "/api/contests/{c}/live/buzzer/open", None, LIVE_REFUSED),
        // A judge may mark a buzzer answer too (refused here: nobody has the floor).
        row(M::POST, "/api/contests/{c}/live/buzzer/mark", Json(json!({"correct": true})), [401, 403, 403, 409, 409]),
        row(M::GET, "/api/contests/{c}/live/buzzes", None, STAFF),
        row(
            M::POST,
            "/api/contests/{c}/live/rescue",
            Json(json!({"all_last": true, "reason": "Cứu trợ"})),
            LIVE_REFUSED,
        ),
        row(
            M::POST,
            "/api/contests/{c}/answers",
            Json(json!({"submission_id": "s-1", "question_id": 1, "response": {"choice": 0}})),
            [401, 409, 409, 403, 403],
        ),
        row(
            M::POST,
            "/api/contests/{c}/adjustments",
            Json(json!({"team_id": "{ta}", "delta": 1.5, "reason": "Phúc khảo"})),
            ORG_ONLY,
        ),
        row(
            M::PUT,
            "/api/contests/{c}/tie-breakers",
            Json(json!({"tie_breakers": [{"kind": "answer_time"}]})),
            [401, 403, 403, 403, 204],
        ),
        row(M::GET, "/api/contests/{c}/audit", None, ORG_ONLY),
        row(M::POST, "/api/contests/{c}/projector", None, ORG_ONLY),
        // the public board's freeze and ceremony (the world's two teams are tied at 0, across
        // giải nhất: the shared prize is confirmed before the reveal)
        row(M::GET, "/api/contests/{c}/live/board", None, ORG_ONLY),
        row(M::POST, "/api/contests/{c}/live/board/freeze", None, ORG_ONLY),
        row(M::POST, "/api/contests/{c}/live/board/confirm-ties", None, ORG_ONLY),
        row(M::POST, "/api/contests/{c}/live/board/reveal", None, ORG_ONLY),
        row(M::POST, "/api/contests/{c}/live/board/unfreeze", None, ORG_ONLY),
        row(M::GET, "/api/contests/{c}/answers", None, STAFF),
        // results (no part of the world has finished: nothing to publish, nothing public)
        row(M::POST, "/api/contests/{c}/results/publish", Json(json!({})), LIVE_REFUSED),
        row(M::POST, "/api/contests/{c}/results/unpublish", Json(json!({"reason": "Thử"})), LIVE_REFUSED),
        row(M::GET, "/api/contests/{c}/results", None, STAFF),
        row(M::GET, "/api/contests/{c}/results/scores.xlsx", None, STAFF),
        row(M::GET, "/api/contests/{c}/results/{tbl}.csv", None, STAFF),
        row(M::GET, "/api/public/contests/{c}/results", None, [404; 5]),
        row(M::GET, "/results/{c}", None, [404; 5]),
        row(M::GET, "/results/{c}/minutes", None, ANYONE),
        // archives (an archive of another schema is refused before anything is read further)
        row(M::GET, "/api/contests/{c}/archive", None, ORG_ONLY),
        row(M::POST, "/api/contests/{c}/archive/jobs", None, [401, 403, 403, 403, 202]),
        row(M::POST, "/api/archives", Json(json!({"schema": "hoithi-archive/0"})), [401, 403, 403, 403, 400]),
        row(M::POST, "/api/archives/jobs", Json(json!({"schema": "hoithi-archive/0"})), [401, 403, 403, 403, 400]),
        row(M::GET, "/api/jobs/{job}", None, [401, 403, 403, 403, 404]),
        row(M::GET, "/api/jobs/{job}/file", None, [401, 403, 403, 403, 404]),
        // deletions of spare objects
        row(M::DELETE, "/api/contests/{c}/judges/{j_spare}", None, ORG_DELETES),
        row(M::DELETE, "/api/contests/{c}/parts/{p_spare}", None, ORG_DELETES),
        row(M::DELETE, "/api/contests/{c}/contestants/{x_spare}", None, ORG_DELETES),
        row(M::DELETE, "/api/contests/{c}/teams/{t_spare}", None, ORG_DELETES),
        row(M::DELETE, "/api/contests/{c_spare}", None, ORG_DELETES),
        // last: closing revokes the contestants' and the judge's tokens
        row(M::POST, "/api/contests/{c}/close", None, ORG_ONLY),
    ]
}

fn xlsx_team_list() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.write_string(0, 0, "Tên đội").unwrap();
    sheet.write_string(0, 1, "Đơn vị").unwrap();
    sheet.write_string(1, 0, "Đội nhập từ tệp").unwrap();
    sheet.write_string(1, 1, "Xã Tân Thành").unwrap();
    wb.save_to_buffer().unwrap()
}

fn fill(template: &str, vars: &[(&str, String)]) -> String {
    let mut s = template.to_owned();
    for (k, v) in vars {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

/// Placeholders inside JSON: a string that is exactly `{name}` of a number becomes the number.
fn fill_json(v: &Value, vars: &[(&str, String)]) -> Value {
    match v {
        Value::String(s) => {
            let filled = fill(s, vars);
            match filled.parse::<i64>() {
                Ok(n) if s.starts_with('{') && s.ends_with('}') => json!(n),
                _ => Value::String(filled),
            }
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| fill_json(x, vars)).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), fill_json(x, vars))).collect()),
        other => other.clone(),
    }
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: &Body,
    vars: &[(&str, String)],
) -> (StatusCode, Value) {
    let mut req = app.client.request(method, format!("{}{}", app.addr, path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req = match body {
        Body::None => req,
        Body::Json(v) => req.json(&fill_json(v, vars)),
        Body::Xlsx => req
            .header("content-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .body(xlsx_team_list()),
        Body::Text(t) => req.header("content-type", "text/plain; charset=utf-8").body(*t),
    };
    let res = req.send().await.unwrap();
    let s = res.status();
    let text = res.text().await.unwrap_or_default();
    (s, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// What an organiser sees of the contest: a refused call must leave it unchanged.
async fn snapshot(app: &TestApp, admin: &str, c: i64) -> Vec<Value> {
    let mut out = Vec::new();
    for p in ["", "/teams", "/parts", "/judges", "/contestants"] {
        out.push(app.get(&format!("/api/contests/{c}{p}"), Some(admin)).await.1);
    }
    out.push(app.get("/api/contests", Some(admin)).await.1);
    out.push(app.get("/api/users", Some(admin)).await.1);
    out
}

#[tokio::test]
async fn every_endpoint_answers_each_role_exactly_as_designed() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let admin = w.admin.clone();
    // The judge caller: invited to this contest.
    let (_, inv) =
        app.post(&format!("/api/contests/{}/judges/invite", w.contest), Some(&admin), json!({"name": "GK 1"})).await;
    let (_, judge) = app.post("/api/judges/accept", None, json!({"token": inv["token"]})).await;
    let judge_token = judge["token"].as_str().unwrap().to_owned();
    let (_, spare_inv) =
        app.post(&format!("/api/contests/{}/judges/invite", w.contest), Some(&admin), json!({"name": "GK 2"})).await;
    let (_, judge_user) = app
        .post("/api/users", Some(&admin), json!({"username": "giamkhao", "password": "mat-khau-gk", "role": "judge"}))
        .await;
    let c_spare = create_contest(&app, &admin, "Hội thi nháp").await;
    let (t_spare, code_spare) = create_team(&app, &admin, w.contest, "Đội nháp").await;
    let x_spare = join(&app, &code_spare, "Thí sinh nháp").await;
    let p_spare =
        create_part(&app, &admin, w.contest, json!({"kind": "quiz", "title": "Nháp", "max_points": 10})).await;

    let (_, banks) = app.get("/api/banks", Some(&admin)).await;
    let bank = banks[0]["id"].as_i64().unwrap();
    let (_, qs) = app.get(&format!("/api/banks/{bank}/questions"), Some(&admin)).await;
    let qs = qs.as_array().cloned().unwrap_or_else(|| qs["questions"].as_array().unwrap().clone());
    let (_, docs) = app.get(&format!("/api/banks/{bank}/documents"), Some(&admin)).await;

    let vars: Vec<(&str, String)> = vec![
        ("c_spare", c_spare.to_string()),
        ("t_spare", t_spare.to_string()),
        ("x_spare", x_spare["contestant_id"].to_string()),
        ("p_spare", p_spare.to_string()),
        ("j_spare", spare_inv["judge"]["id"].to_string()),
        ("judge_user", judge_user["id"].to_string()),
        ("code_a", w.code_a.clone()),
        ("file", "style.css".to_owned()),
        ("b", bank.to_string()),
        ("q", qs[0]["id"].to_string()),
        ("q_spare", qs[1]["id"].to_string()),
        ("doc", docs[0]["id"].as_str().unwrap().to_owned()),
        ("p2", w.parts[1].to_string()),
        ("p3", w.parts[2].to_string()),
        ("crit", "0".to_owned()),
        ("p4", w.parts[3].to_string()),
        ("tbl", "tong-hop".to_owned()),
        ("job", "0123456789abcdef".to_owned()),
        ("c", w.contest.to_string()),
        ("ta", w.team_a.to_string()),
        ("tb", w.team_b.to_string()),
        ("xa", w.contestant_a.to_string()),
        ("xb", w.contestant_b.to_string()),
        ("p", w.parts[0].to_string()),
        ("j", judge["judge_id"].to_string()),
    ];
    let callers: [(&str, Option<&str>); 5] = [
        ("anonymous", None),
        ("contestant A", Some(&w.token_a)),
        ("contestant B", Some(&w.token_b)),
        ("judge", Some(&judge_token)),
        ("organiser", Some(&admin)),
    ];
    let mut failures = Vec::new();
    for r in rows() {
        let path = fill(r.path, &vars);
        assert!(!path.contains('{'), "unfilled placeholder in {path}");
        let refused_by_all_but_organiser = r.expect[..4].iter().all(|s| *s >= 400);
        let before = if refused_by_all_but_organiser { Some(snapshot(&app, &admin, w.contest).await) } else { None };
        for (i, (who, token)) in callers.iter().enumerate() {
            if i == 4
                && let Some(before) = &before
            {
                let after = snapshot(&app, &admin, w.contest).await;
                if &after != before {
                    failures.push(format!("{} {}: a refused call changed something", r.method, r.path));
                }
            }
            let (s, b) = call(&app, r.method.clone(), &path, *token, &r.body, &vars).await;
            if s.as_u16() != r.expect[i] {
                failures.push(format!("{} {} as {who}: expected {}, got {s} {b}", r.method, r.path, r.expect[i]));
            }
            if s == StatusCode::UNAUTHORIZED && token.is_none() && r.path.starts_with("/api/contests") {
                assert_eq!(b["error"]["code"], "token_missing");
            }
        }
    }
    assert!(failures.is_empty(), "role matrix mismatches:\n{}", failures.join("\n"));
}

/// Every route the server documents is covered by a row, so the matrix stays complete.
#[tokio::test]
async fn the_matrix_covers_every_documented_route() {
    let app = spawn_app().await;
    let (_, doc) = app.get("/api/openapi.json", None).await;
    let covered: Vec<(String, String)> =
        rows().iter().map(|r| (r.method.as_str().to_lowercase(), normalise(r.path))).collect();
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if !covered.contains(&(method.clone(), normalise(path)))
                && !OWNED_ELSEWHERE.iter().any(|p| path.starts_with(p))
            {
                missing.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    assert!(missing.is_empty(), "routes without a role-matrix row:\n{}", missing.join("\n"));
}

/// Routes of areas whose rows are added when they are merged (see the module docs).
const OWNED_ELSEWHERE: &[&str] = &["/api/live"];

/// `{anything}` → `{}` and no query string, so templates and documented paths compare.
fn normalise(p: &str) -> String {
    let p = p.split('?').next().unwrap_or(p);
    let mut out = String::new();
    let mut in_brace = false;
    for ch in p.chars() {
        match ch {
            '{' => {
                in_brace = true;
                out.push_str("{}");
            }
            '}' => in_brace = false,
            _ if in_brace => {}
            _ => out.push(ch),
        }
    }
    out
}
