//! Contests, teams, parts and joining, through the API alone.
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::fixtures::{create_contest, create_part, create_team, four_parts, join, world};
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_contest_with_teams_and_four_parts_is_set_up_through_the_api() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (s, c) = app.get(&format!("/api/contests/{}", w.contest), Some(&w.admin)).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["status"], "setup");
    assert_eq!(c["captain_policy"], "first_join");
    assert_eq!(c["prize_scheme"].as_array().unwrap().len(), 4);
    assert_eq!(c["prize_scheme"][2], json!({"name": "Giải ba", "count": 2}));

    let (s, teams) = app.get(&format!("/api/contests/{}/teams", w.contest), Some(&w.admin)).await;
    assert_eq!(s, StatusCode::OK);
    let teams = teams.as_array().unwrap();
    assert_eq!(teams.len(), 2);
    for t in teams {
        let code = t["code"].as_str().unwrap();
        assert_eq!(code.len(), 6);
        assert!(code.chars().all(|c| "ABCDEFGHJKMNPQRSTUVWXYZ23456789".contains(c)), "{code}");
    }
    assert_ne!(w.code_a, w.code_b);

    let (s, parts) = app.get(&format!("/api/contests/{}/parts", w.contest), Some(&w.admin)).await;
    assert_eq!(s, StatusCode::OK);
    let kinds: Vec<_> = parts.as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds, ["quiz", "buzzer", "judged", "elimination"]);
    let positions: Vec<_> = parts.as_array().unwrap().iter().map(|p| p["position"].as_i64().unwrap()).collect();
    assert_eq!(positions, [1, 2, 3, 4]);
    assert_eq!(parts[0]["answer_policy"], "captain_only");
    assert_eq!(parts[0]["scoring"]["speed_bonus"]["kind"], "kahoot");
    assert_eq!(parts[2]["rubric"]["criteria"].as_array().unwrap().len(), 3);
    assert_eq!(parts[2]["weight"], 2.0);
    assert_eq!(parts[3]["status"], "pending");
}

#[tokio::test]
async fn joining_gives_a_token_bound_to_contest_team_and_contestant() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contest = create_contest(&app, &admin, "Hội thi").await;
    let (team, code) = create_team(&app, &admin, contest, "Đội Ngã Sáu").await;
    // Case, spaces and dashes do not matter when typing the code.
    let typed = format!("{}-{}", &code[..3], &code[3..]).to_lowercase();
    let first = join(&app, &typed, "  Nguyễn   Văn An ").await;
    assert_eq!(first["contest_id"], contest);
    assert_eq!(first["team_id"], team);
    assert_eq!(first["is_captain"], true, "first to join is captain by default");
    let second = join(&app, &code, "Lê Bình").await;
    assert_eq!(second["is_captain"], false);

    let (s, me) = app.get("/api/me", first["token"].as_str()).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["role"], "contestant");
    assert_eq!(me["name"], "Nguyễn Văn An");
    assert_eq!(me["team_id"], team);
    assert_eq!(me["contestant_id"], first["contestant_id"]);
    assert_eq!(me["is_captain"], true);

    let (s, landing) = app.get(&format!("/api/join/{code}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(landing["team_name"], "Đội Ngã Sáu");
    assert_eq!(landing["contest_name"], "Hội thi");

    let (s, list) = app.get(&format!("/api/contests/{contest}/contestants"), Some(&admin)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn join_refuses_bad_input_and_unknown_codes() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contest = create_contest(&app, &admin, "Hội thi").await;
    let (_, code) = create_team(&app, &admin, contest, "Đội A").await;
    let (s, b) = app.post("/api/join", None, json!({"code": code, "name": "  "})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"]["field"], "name");
    let (s, b) = app.post("/api/join", None, json!({"code": code})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"]["field"], "name");
    let (s, b) = app.post("/api/join", None, json!({"code": code, "name": "An", "team": 1})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"]["field"], "team");
    let wrong = if code == "AAAAAA" { "BBBBBB" } else { "AAAAAA" };
    let (s, b) = app.post("/api/join", None, json!({"code": wrong, "name": "An"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let (s, _) = app.post("/api/join", None, json!({"code": "0OO1IL", "name": "An"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = app.get(&format!("/api/contests/{contest}/contestants"), Some(&admin)).await;
    assert_eq!(list, json!([]), "nothing was created by refused joins");
}

#[tokio::test]
async fn duplicate_team_names_are_409_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contest = create_contest(&app, &admin, "Hội thi").await;
    create_team(&app, &admin, contest, "Đội Ngã Sáu").await;
    let (s, b) =
        app.post(&format!("/api/contests/{contest}/teams"), Some(&admin), json!({"name": "đội ngã  sáu"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["error"]["code"], "already_exists");
    assert!(b["error"]["message"].as_str().unwrap().contains("ngã sáu"), "{b}");
    let (_, teams) = app.get(&format!("/api/contests/{contest}/teams"), Some(&admin)).await;
    assert_eq!(teams.as_array().unwrap().len(), 1);
    // The same name in another contest is fine.
    let other = create_contest(&app, &admin, "Hội thi khác").await;
    create_team(&app, &admin, other, "Đội Ngã Sáu").await;
}

#[tokio::test]
async fn teams_and_parts_name_the_bad_field() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contest = create_contest(&app, &admin, "Hội thi").await;
    let teams = format!("/api/contests/{contest}/teams");
    let (s, b) = app.post(&teams, Some(&admin), json!({"name": "A", "members": ["An"], "captain": "Chi"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"]["field"], "captain");
    let (s, b) = app.post(&teams, Some(&admin), json!({"name": "A", "members": "An"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"]["field"], "members");
    let parts = format!("/api/contests/{contest}/parts");
    let cases = [
        (json!({"kind": "quiz", "title": "Q", "max_points": -1}), "max_points"),
        (json!({"kind": "karaoke", "title": "Q", "max_points": 10}), "kind"),
        (json!({"kind": "quiz", "title": " ", "max_points": 10}), "title"),
        (
            json!({"kind": "quiz", "title": "Q", "max_points": 10, "scoring": {"wrong_penalty": -2}}),
            "scoring.wrong_penalty",
        ),
        (json!({"kind": "quiz", "title": "Q", "max_points": 10, "scoring": {"bonus": 1}}), "scoring.bonus"),
        (json!({"kind": "quiz", "title": "Q", "max_points": 10, "scoring": {"reading_s": 121}}), "scoring.reading_s"),
        (json!({"kind": "judged", "title": "J", "max_points": 10}), "rubric.criteria"),
        (
            json!({"kind": "judged", "title": "J", "max_points": 10, "rubric": {"criteria": [{"name": "", "max_points": 5}]}}),
            "rubric.criteria[0].name",
        ),
        (json!({"kind": "quiz", "title": "Q", "max_points": 10, "time_per_question_s": -1}), "time_per_question_s"),
    ];
    for (body, field) in cases {
        let (s, b) = app.post(&parts, Some(&admin), body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} → {b}");
        assert_eq!(b["error"]["field"], field, "{body} → {b}");
    }
    let (_, list) = app.get(&parts, Some(&admin)).await;
    assert_eq!(list, json!([]));
    let (s, b) = app.post("/api/contests", Some(&admin), json!({"name": "X", "held_on": "15/05/2025"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"]["field"], "held_on");
    let (s, b) = app.post("/api/contests", Some(&admin), json!({"name": "X", "bank_ids": [424242]})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"]["field"], "bank_ids[0]");
    let (s, b) = app
        .post("/api/contests", Some(&admin), json!({"name": "X", "prize_scheme": [{"name": "Nhất", "count": 0}]}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"]["field"], "prize_scheme[0].count");
    let (_, all) = app.get("/api/contests", Some(&admin)).await;
    assert_eq!(all.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn contest_and_part_changes() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contest = create_contest(&app, &admin, "Hội thi").await;
    let (s, c) = app
        .request(
            Method::PATCH,
            &format!("/api/contests/{contest}"),
            Some(&admin),
            Some(json!({"venue": "Nhà văn hóa", "captain_policy": "organiser",
                        "prize_scheme": [{"name": "Giải nhất", "count": 1}, {"name": "Giải nhì", "count": 2}]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["venue"], "Nhà văn hóa");
    assert_eq!(c["captain_policy"], "organiser");
    assert_eq!(c["prize_scheme"][1]["count"], 2);
    assert_eq!(c["name"], "Hội thi");
    let quiz = four_parts().remove(0);
    let part = create_part(&app, &admin, contest, quiz).await;
    let path = format!("/api/contests/{contest}/parts/{part}");
    let (s, p) =
        app.request(Method::PATCH, &path, Some(&admin), Some(json!({"max_points": 80, "title": "Trắc nghiệm"}))).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["max_points"], 80.0);
    assert_eq!(p["title"], "Trắc nghiệm");
    let (s, _) = app.request(Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get(&path, Some(&admin)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_contest_draws_from_the_banks_it_names() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for slug in ["bank-test-1", "bank-test-2"] {
        app.state
            .db
            .execute_unprepared(&format!(
                "INSERT INTO banks (slug, title, campaign, year, origin, created_at) \
                 VALUES ('{slug}', 'Ngân hàng', 'Chuyên đề', '2025', 'test', 0)"
            ))
            .await
            .unwrap();
    }
    let ids: Vec<i64> = {
        let rows = app
            .state
            .db
            .query_all_raw(sea_orm::Statement::from_string(
                app.state.db.get_database_backend(),
                "SELECT id FROM banks WHERE slug LIKE 'bank-test-%' ORDER BY id",
            ))
            .await
            .unwrap();
        rows.iter().map(|r| r.try_get::<i32>("", "id").unwrap() as i64).collect()
    };
    let (s, c) =
        app.post("/api/contests", Some(&admin), json!({"name": "Hội thi", "bank_ids": [ids[1], ids[0], ids[1]]})).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["bank_ids"], json!([ids[0], ids[1]]));
    let path = format!("/api/contests/{}", c["id"]);
    let (s, c) = app.request(Method::PATCH, &path, Some(&admin), Some(json!({"bank_ids": [ids[1]]}))).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["bank_ids"], json!([ids[1]]));
    let (s, _) = app.request(Method::PATCH, &path, Some(&admin), Some(json!({"bank_ids": [ids[0], 999999]}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (_, c) = app.get(&path, Some(&admin)).await;
    assert_eq!(c["bank_ids"], json!([ids[1]]), "a refused change changes nothing");
}

#[tokio::test]
async fn a_started_part_refuses_score_altering_changes_naming_the_setting() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contest = create_contest(&app, &admin, "Hội thi").await;
    let quiz = four_parts().remove(0);
    let part = create_part(&app, &admin, contest, quiz).await;
    // The live engine starts parts; here the row is moved directly.
    use sea_orm::ConnectionTrait;
    app.state
        .db
        .execute_unprepared(&format!("UPDATE parts SET status = 'running', started_at = 1 WHERE id = {part}"))
        .await
        .unwrap();
    let path = format!("/api/contests/{contest}/parts/{part}");
    for (body, field) in [
        (json!({"max_points": 50}), "max_points"),
        (json!({"weight": 3}), "weight"),
        (json!({"scoring": {"wrong_penalty": 5}}), "scoring"),
        (json!({"answer_policy": "last_answer"}), "answer_policy"),
        (json!({"kind": "buzzer"}), "kind"),
        (json!({"time_per_question_s": 60}), "time_per_question_s"),
    ] {
        let (s, b) = app.request(Method::PATCH, &path, Some(&admin), Some(body.clone())).await;
        assert_eq!(s, StatusCode::CONFLICT, "{body} → {b}");
        assert_eq!(b["error"]["code"], "part_started");
        assert!(b["error"]["message"].as_str().unwrap().contains(field), "{b}");
    }
    let (_, p) = app.get(&path, Some(&admin)).await;
    assert_eq!(p["max_points"], 100.0, "nothing changed");
    // The same values, the title and the order may still be sent.
    let (s, p) = app
        .request(Method::PATCH, &path, Some(&admin), Some(json!({"title": "Phần 1", "max_points": 100, "position": 2})))
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["title"], "Phần 1");
    let (s, b) = app.request(Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(b["error"]["code"], "part_started");
}

#[tokio::test]
async fn a_hall_joining_at_once_gets_one_captain_per_team() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contest = create_contest(&app, &admin, "Hội thi").await;
    let (_, code_a) = create_team(&app, &admin, contest, "Đội A").await;
    let (_, code_b) = create_team(&app, &admin, contest, "Đội B").await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let code = if i % 2 == 0 { code_a.clone() } else { code_b.clone() };
        let client = app.client.clone();
        let url = format!("{}/api/join", app.addr);
        tasks.push(tokio::spawn(async move {
            let res =
                client.post(url).json(&json!({"code": code, "name": format!("Thí sinh {i}")})).send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }));
    }
    for t in tasks {
        let (s, b) = t.await.unwrap();
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let (_, list) = app.get(&format!("/api/contests/{contest}/contestants"), Some(&admin)).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 40);
    for team in list.iter().map(|x| x["team_id"].as_i64().unwrap()).collect::<std::collections::BTreeSet<_>>() {
        let captains = list.iter().filter(|x| x["team_id"] == team && x["is_captain"] == true).count();
        assert_eq!(captains, 1, "team {team}");
    }
}

#[tokio::test]
async fn oversized_malformed_and_unknown_input_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contest = create_contest(&app, &admin, "Hội thi").await;
    let big = "x".repeat(70 * 1024);
    let cases = [
        ("/api/contests", json!({"name": big}), StatusCode::PAYLOAD_TOO_LARGE, None),
        ("/api/contests", json!({"name": "X", "organiser": "me"}), StatusCode::BAD_REQUEST, Some("organiser")),
        ("/api/contests", json!({"name": 5}), StatusCode::BAD_REQUEST, Some("name")),
        (
            "/api/contests",
            json!({"name": "X", "captain_policy": "oldest"}),
            StatusCode::BAD_REQUEST,
            Some("captain_policy"),
        ),
        (
            &*format!("/api/contests/{contest}/teams"),
            json!({"name": "A", "members": [big]}),
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
        ),
        (
            &*format!("/api/contests/{contest}/teams"),
            json!({"name": "A", "color": "red"}),
            StatusCode::BAD_REQUEST,
            Some("color"),
        ),
        (
            &*format!("/api/contests/{contest}/parts"),
            json!({"kind": "quiz", "title": "Q", "max_points": 1, "rubric": {"criteria": [{"name": "a", "max_points": "x"}]}}),
            StatusCode::BAD_REQUEST,
            Some("rubric.criteria[0].max_points"),
        ),
        ("/api/join", json!({"code": "ABCDEF", "name": big}), StatusCode::PAYLOAD_TOO_LARGE, None),
    ];
    for (path, body, status, field) in cases {
        let (s, b) = app.post(path, Some(&admin), body).await;
        assert_eq!(s, status, "{path}: {b}");
        if let Some(f) = field {
            assert_eq!(b["error"]["field"], f, "{path}: {b}");
        }
    }
    // Not JSON at all.
    let res = app
        .client
        .post(format!("{}/api/contests", app.addr))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let b: serde_json::Value = res.json().await.unwrap();
    assert_eq!(b["error"]["code"], "malformed_json");
    let (_, all) = app.get("/api/contests", Some(&admin)).await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    for area in ["teams", "parts", "contestants"] {
        let (_, list) = app.get(&format!("/api/contests/{contest}/{area}"), Some(&admin)).await;
        assert_eq!(list, json!([]), "{area}");
    }
}

#[tokio::test]
async fn only_a_contest_being_set_up_can_be_deleted_and_a_closed_one_stays_closed() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let w = world(&app).await;
    let path = format!("/api/contests/{}", w.contest);
    app.state
        .db
        .execute_unprepared(&format!("UPDATE contests SET status = 'running' WHERE id = {}", w.contest))
        .await
        .unwrap();
    let (s, b) = app.request(Method::DELETE, &path, Some(&w.admin), None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["error"]["state"]["status"], "running");
    let (s, b) = app.request(Method::DELETE, &format!("{path}/teams/{}", w.team_a), Some(&w.admin), None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    let (s, _) = app.post(&format!("{path}/close"), Some(&w.admin), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = app.post(&format!("{path}/close"), Some(&w.admin), json!({})).await;
    assert_eq!((s, b["error"]["code"].as_str().unwrap()), (StatusCode::CONFLICT, "contest_closed"));
    let (s, b) = app.request(Method::PATCH, &path, Some(&w.admin), Some(json!({"name": "Khác"}))).await;
    assert_eq!((s, b["error"]["code"].as_str().unwrap()), (StatusCode::CONFLICT, "contest_closed"));
    let (s, b) = app
        .request(Method::PATCH, &format!("{path}/parts/{}", w.parts[0]), Some(&w.admin), Some(json!({"title": "X"})))
        .await;
    assert_eq!((s, b["error"]["code"].as_str().unwrap()), (StatusCode::CONFLICT, "contest_closed"));
    // A fresh contest with everything in it can be deleted.
    let (s, _) = app.post("/api/contests", Some(&w.admin), json!({"name": "Nháp"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let other = create_contest(&app, &w.admin, "Nháp 2").await;
    let (_, code) = create_team(&app, &w.admin, other, "Đội").await;
    let joined = join(&app, &code, "An").await;
    create_part(&app, &w.admin, other, four_parts().remove(2)).await;
    let (s, _) = app.request(Method::DELETE, &format!("/api/contests/{other}"), Some(&w.admin), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get(&format!("/api/contests/{other}"), Some(&w.admin)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, b) = app.get("/api/me", joined["token"].as_str()).await;
    assert_eq!((s, b["error"]["code"].as_str().unwrap()), (StatusCode::UNAUTHORIZED, "token_revoked"));
}

#[tokio::test]
async fn the_demo_contest_is_made_in_one_call_ready_to_run() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (s, d) = app.post("/api/demo", Some(&admin), json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let cid = d["contest"]["id"].as_i64().unwrap();
    assert_eq!(d["contest"]["name"], "Hội thi tìm hiểu (bản thử)");
    assert_eq!(d["contest"]["status"], "setup");
    let teams = d["teams"].as_array().unwrap();
    assert_eq!(teams.len(), 4);
    assert!(teams.iter().all(|t| t["code"].as_str().is_some_and(|c| c.len() == 6)), "{d}");
    assert!(d["projector"]["path"].as_str().unwrap().starts_with(&format!("/projector/{cid}#token=")));
    assert_eq!(d["part"]["kind"], "quiz");
    assert!(d["part"]["scoring"]["reading_s"].as_u64().unwrap() > 0);
    let pid = d["part"]["id"].as_i64().unwrap();
    let (s, q) = app.get(&format!("/api/contests/{cid}/parts/{pid}/questions"), Some(&admin)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(q["questions"].as_array().unwrap().len(), 5, "{q}");

    // the codes join, and the part starts and runs
    let (s, j) = app.post("/api/join", None, json!({"code": teams[0]["code"], "name": "Lan"})).await;
    assert_eq!(s, StatusCode::OK, "{j}");
    let (s, r) = app.post(&format!("/api/contests/{cid}/parts/{pid}/start"), Some(&admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, r) = app.post(&format!("/api/contests/{cid}/live/next"), Some(&admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");

    // a second demo is another contest; contestants may not make one
    let (s, d2) = app.post("/api/demo", Some(&admin), json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_ne!(d2["contest"]["id"], d["contest"]["id"]);
    let (s, _) = app.post("/api/demo", Some(j["token"].as_str().unwrap()), json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
