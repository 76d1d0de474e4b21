//! Contest archives through the real server: export → import into a fresh database (a
//! second server) → export gives the same document once ids are set aside; hand-edited
//! archives are refused naming the place, and nothing is imported; the background jobs
//! report progress and offer the file.
use std::collections::HashMap;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::elimination::round;
use crate::fixtures::create_part;
use crate::helpers::{TestApp, spawn_app, ws_send, ws_until};
use crate::judging::{Judged, add_judges};
use crate::live::{Fixture, question, seed, seed_kind};
use crate::results_fixture::{Setup, setup};
use hoithi::domain::question::Solution;

/// A contest with a record worth keeping: two finished parts (one question voided),
/// adjustments to a part and to the total, tie-breakers, an invited judge and a judge
/// account, published results; then closed.
async fn finished_contest(app: &TestApp) -> Setup {
    let w = setup(app).await;
    w.run_part(app, 0, [&[0, 1], &[0]]).await;
    w.control(app, &format!("/parts/{}/start", w.parts[1])).await;
    w.ask(app, 1, 0, &[1, 2]).await;
    w.ask(app, 1, 1, &[2]).await;
    let (s, b) =
        w.post(app, "/live/void", json!({"question_id": w.questions[1][1].0, "reason": "Câu hỏi có hai đáp án"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    w.control(app, &format!("/parts/{}/finish", w.parts[1])).await;
    let (s, b) = app
        .request(
            Method::PUT,
            &format!("/api/contests/{}/tie-breakers", w.cid),
            Some(&w.admin),
            Some(json!({"tie_breakers": [{"kind": "part", "part_id": w.parts[1]}, {"kind": "answer_time"}]})),
        )
        .await;
    assert!(s.is_success(), "{b}");
    for body in [
        json!({"team_id": w.teams[2], "delta": 2.5, "reason": "Phúc khảo câu 2"}),
        json!({"team_id": w.teams[0], "part_id": w.parts[0], "delta": -1, "reason": "Vi phạm quy chế"}),
    ] {
        let (s, b) = w.post(app, "/adjustments", body).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let (s, b) = w.post(app, "/judges/invite", json!({"name": "Giám khảo Lan"})).await;
    assert!(s.is_success(), "{b}");
    let (s, u) = app
        .post(
            "/api/users",
            Some(&w.admin),
            json!({"username": "gk-minh", "password": "mat-khau-gk-1", "role": "judge"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    let (s, b) = w.post(app, "/judges", json!({"user_id": u["id"], "name": "Giám khảo Minh"})).await;
    assert!(s.is_success(), "{b}");
    let (s, b) = w.post(app, "/results/publish", json!({"confirm_ties": true})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    w.control(app, "/close").await;
    w
}

async fn export(app: &TestApp, token: &str, cid: i64) -> Value {
    let res =
        app.client.get(format!("{}/api/contests/{cid}/archive", app.addr)).bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cd = res.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert_eq!(cd, format!("attachment; filename=\"luu-tru-hoi-thi-{cid}.json\""));
    res.json().await.unwrap()
}

async fn import_raw(app: &TestApp, token: &str, body: Vec<u8>) -> (StatusCode, Value) {
    app.post_raw("/api/archives", token, "application/json", body).await
}

async fn import(app: &TestApp, token: &str, a: &Value) -> (StatusCode, Value) {
    import_raw(app, token, serde_json::to_vec(a).unwrap()).await
}

async fn contest_count(app: &TestApp, token: &str) -> usize {
    app.get("/api/contests", Some(token)).await.1.as_array().unwrap().len()
}

/// Every id of the archive replaced by the record's place in its list, and every
/// reference by the place of the record it names: two archives of the same record from
/// different databases are then equal. Drops only what says when and where the archive
/// was made (`exported_at`, `contest.imported_from`); the data stays.
fn normalise(a: &Value) -> Value {
    let mut a = a.clone();
    let places = |list: &str| -> HashMap<i64, i64> {
        // The judged and elimination sections are absent when empty.
        a[list]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, x)| (x["id"].as_i64().unwrap(), i as i64))
            .collect()
    };
    let m: HashMap<&str, HashMap<i64, i64>> = [
        "teams",
        "contestants",
        "judges",
        "parts",
        "questions",
        "answers",
        "adjustments",
        "audit",
        "marks",
        "sheets",
        "rescues",
        "buzzes",
        "buzzer_marks",
    ]
    .into_iter()
    .map(|l| (l, places(l)))
    .collect();
    let swap = |v: &mut Value, list: &str| {
        if let Some(n) = v.as_i64() {
            let place = m[list].get(&n).unwrap_or_else(|| panic!("{list} id {n} is not in the archive"));
            *v = json!(format!("{list}#{place}"));
        }
    };
    for (list, refs) in [
        ("teams", &[][..]),
        ("contestants", &[("team", "teams")][..]),
        ("judges", &[][..]),
        ("parts", &[][..]),
        ("questions", &[("part", "parts")][..]),
        ("answers", &[("question", "questions"), ("team", "teams"), ("contestant", "contestants")][..]),
        ("adjustments", &[("team", "teams"), ("part", "parts")][..]),
        ("audit", &[][..]),
        ("marks", &[("part", "parts"), ("judge", "judges"), ("team", "teams")][..]),
        ("sheets", &[("part", "parts"), ("judge", "judges"), ("team", "teams")][..]),
        ("rescues", &[("part", "parts"), ("contestant", "contestants"), ("after_question", "questions")][..]),
        ("buzzes", &[("question", "questions"), ("team", "teams"), ("contestant", "contestants")][..]),
        ("buzzer_marks", &[("question", "questions"), ("team", "teams")][..]),
    ] {
        for x in a[list].as_array_mut().into_iter().flatten() {
            swap(&mut x["id"], list);
            for (field, target) in refs {
                swap(&mut x[*field], target);
            }
        }
    }
    fn detail(v: &mut Value, swap: &dyn Fn(&mut Value, &str)) {
        match v {
            Value::Object(o) => {
                for (k, x) in o.iter_mut() {
                    match k.as_str() {
                        "team_id" => swap(x, "teams"),
                        "part_id" => swap(x, "parts"),
                        "question_id" => swap(x, "questions"),
                        "adjustment_id" => swap(x, "adjustments"),
                        "judge_id" => swap(x, "judges"),
                        "contestant_id" => swap(x, "contestants"),
                        "after_question_id" => swap(x, "questions"),
                        "contestant_ids" => x.as_array_mut().unwrap().iter_mut().for_each(|y| swap(y, "contestants")),
                        "team_ids" => x.as_array_mut().unwrap().iter_mut().for_each(|y| swap(y, "teams")),
                        "parts" if x.is_array() => x.as_array_mut().unwrap().iter_mut().for_each(|y| swap(y, "parts")),
                        _ => detail(x, swap),
                    }
                }
            }
            Value::Array(l) => l.iter_mut().for_each(|x| detail(x, swap)),
            _ => {}
        }
    }
    for x in a["audit"].as_array_mut().unwrap() {
        detail(&mut x["detail"], &swap);
    }
    for t in a["tie_breakers"].as_array_mut().unwrap() {
        if t.get("part_id").is_some() {
            swap(&mut t["part_id"], "parts");
        }
    }
    for x in a["releases"].as_array_mut().into_iter().flatten() {
        swap(&mut x["part"], "parts");
        swap(&mut x["team"], "teams");
    }
    for x in a["performance_orders"].as_array_mut().into_iter().flatten() {
        swap(&mut x["part"], "parts");
        x["teams"].as_array_mut().unwrap().iter_mut().for_each(|y| swap(y, "teams"));
    }
    for r in a["results"]["rows"].as_array_mut().unwrap() {
        swap(&mut r["team"], "teams");
        for p in r["parts"].as_array_mut().unwrap() {
            swap(&mut p["part"], "parts");
        }
    }
    let o = a.as_object_mut().unwrap();
    o.remove("exported_at");
    o["contest"].as_object_mut().unwrap().remove("imported_from");
    o["contest"]["id"] = json!("contest");
    a
}

fn totals(board: &Value) -> Vec<(String, f64, i64)> {
    board["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (r["team_name"].as_str().unwrap().to_owned(), r["total"].as_f64().unwrap(), r["rank"].as_i64().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn an_archive_round_trips_through_a_fresh_database_with_the_same_results() {
    let app = spawn_app().await;
    let w = finished_contest(&app).await;
    let a1 = export(&app, &w.admin, w.cid).await;

    // What the archive holds.
    assert_eq!(a1["schema"], "hoithi-archive/1");
    assert_eq!(a1["contest"]["status"], "closed");
    assert_eq!(a1["teams"].as_array().unwrap().len(), 3);
    assert_eq!(a1["teams"][0]["members"][0]["name"], "An");
    assert_eq!(a1["contestants"].as_array().unwrap().len(), 3);
    assert_eq!(a1["questions"].as_array().unwrap().len(), 4);
    assert_eq!(a1["questions"][0]["question"]["prompt"], "Câu một?");
    assert_eq!(a1["questions"][3]["status"], "voided");
    assert_eq!(a1["questions"][3]["void_reason"], "Câu hỏi có hai đáp án");
    let answers = a1["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 12, "three teams answered four questions");
    for x in answers {
        assert!(x["received_at"].as_i64().unwrap() > 1_700_000_000_000, "{x}");
        assert!(x["elapsed_ms"].as_i64().unwrap() >= 0, "{x}");
        assert!(x["submission_id"].as_str().unwrap().starts_with("s-"), "{x}");
        assert!(x["response"]["choice"].is_u64(), "{x}");
    }
    let judges: Vec<(&str, Option<&str>)> = a1["judges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| (j["name"].as_str().unwrap(), j["username"].as_str()))
        .collect();
    assert_eq!(judges, [("Giám khảo Lan", None), ("Giám khảo Minh", Some("gk-minh"))]);
    let text = a1.to_string();
    assert!(!text.contains("argon2") && !text.contains("password"), "no password hash travels");
    for t in a1["teams"].as_array().unwrap() {
        assert!(t.get("code").is_none(), "join codes do not travel: {t}");
    }
    let adj: Vec<(&str, &str)> = a1["adjustments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["reason"].as_str().unwrap(), x["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(adj, [("Phúc khảo câu 2", "organiser:admin"), ("Vi phạm quy chế", "organiser:admin")]);
    let actions: Vec<&str> = a1["audit"].as_array().unwrap().iter().map(|x| x["action"].as_str().unwrap()).collect();
    for a in ["part_start", "question_open", "question_void", "score_adjust", "tie_breakers", "results_publish"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    assert_eq!(a1["publication"]["actor"], "organiser:admin");
    assert_eq!(a1["tie_breakers"][0]["part_id"], w.parts[1]);
    let (_, board1) = app.get(&format!("/api/contests/{}/scoreboard", w.cid), Some(&w.admin)).await;
    let board1 = board1.get("board").cloned().unwrap_or(board1);
    let archived: Vec<(String, f64, i64)> = a1["results"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (r["team_name"].as_str().unwrap().to_owned(), r["total"].as_f64().unwrap(), r["rank"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(archived, totals(&board1), "the archive's results are the scoreboard");

    let (s, pub1) = w.public(&app).await;
    assert_eq!(s, StatusCode::OK);
    let (_, staff1) = app.get(&format!("/api/contests/{}/results", w.cid), Some(&w.admin)).await;

    // Into a fresh database on another server.
    let other = spawn_app().await;
    let admin2 = other.admin_token().await;
    let before = contest_count(&other, &admin2).await;
    let (s, b) = import(&other, &admin2, &a1).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(contest_count(&other, &admin2).await, before + 1);
    let c2 = b["contest"]["id"].as_i64().unwrap();
    assert_eq!(b["contest"]["name"], a1["contest"]["name"]);
    assert_eq!(b["contest"]["status"], "closed", "an imported contest cannot run again");
    assert_eq!(b["contest"]["imported_from"]["contest_id"], w.cid);
    assert_eq!(b["contest"]["imported_from"]["imported_by"], "organiser:admin");
    let (_, board2) = other.get(&format!("/api/contests/{c2}/scoreboard?recompute=true"), Some(&admin2)).await;
    let board2 = board2.get("board").cloned().unwrap_or(board2);
    assert_eq!(totals(&board2), totals(&board1), "same results");
    // A closed contest: no part starts again.
    let (_, parts2) = other.get(&format!("/api/contests/{c2}/parts"), Some(&admin2)).await;
    let p2 = parts2.as_array().unwrap()[0]["id"].as_i64().unwrap();
    let (s, _) =
        other.request(Method::POST, &format!("/api/contests/{c2}/parts/{p2}/start"), Some(&admin2), None).await;
    assert!(s.is_client_error(), "{s}");
    // The published results and the minutes' adjustments (old and new totals) came along.
    let (s, pub2) = other.get(&format!("/api/public/contests/{c2}/results"), None).await;
    assert_eq!(s, StatusCode::OK, "{pub2}");
    let public_rows = |r: &Value| -> Vec<(String, f64, Value)> {
        r["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| (x["team_name"].as_str().unwrap().to_owned(), x["total"].as_f64().unwrap(), x["prize"].clone()))
            .collect()
    };
    assert_eq!(public_rows(&pub2), public_rows(&pub1));
    let (_, staff2) = other.get(&format!("/api/contests/{c2}/results"), Some(&admin2)).await;
    let totals_of = |s: &Value| -> Vec<(Value, Value, Value)> {
        s["adjustments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| (x["reason"].clone(), x["old_total"].clone(), x["new_total"].clone()))
            .collect()
    };
    assert!(totals_of(&staff1).iter().all(|x| x.1.is_number()), "{staff1}");
    assert_eq!(totals_of(&staff2), totals_of(&staff1));

    // Export again: the same document, ids aside.
    let a2 = export(&other, &admin2, c2).await;
    assert_eq!(a2["contest"]["imported_from"]["contest_id"], w.cid);
    assert_ne!(a2["answers"][0]["id"], Value::Null);
    let (n1, n2) = (normalise(&a1), normalise(&a2));
    if n1 != n2 {
        for key in n1.as_object().unwrap().keys() {
            assert_eq!(n1[key], n2[key], "section {key} differs");
        }
    }
    assert_eq!(n1, n2);

    // And back into the first server beside the original (join codes do not collide).
    let (s, b) = import(&app, &w.admin, &a2).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_ne!(b["contest"]["id"].as_i64().unwrap(), w.cid);
}

/// An answer index whose team is `team` (archive id).
fn answer_of(a: &Value, team: &Value) -> usize {
    a["answers"].as_array().unwrap().iter().position(|x| &x["team"] == team).unwrap()
}

#[tokio::test]
async fn a_hand_edited_archive_is_refused_naming_the_place_and_nothing_is_imported() {
    let app = spawn_app().await;
    let w = finished_contest(&app).await;
    let a = export(&app, &w.admin, w.cid).await;
    let count = contest_count(&app, &w.admin).await;
    let team1 = a["teams"][1]["id"].clone();
    let k = answer_of(&a, &team1);

    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit, &str, &str)> = vec![
        (
            "another schema version",
            Box::new(|a| a["schema"] = json!("hoithi-archive/2")),
            "schema",
            "unsupported_schema",
        ),
        ("no schema", Box::new(|a| drop(a.as_object_mut().unwrap().remove("schema"))), "schema", "not_an_archive"),
        (
            "an answer of a team the archive does not hold",
            Box::new(move |a| a["answers"][k]["team"] = json!(987654)),
            "answers[{k}].team",
            "unknown_reference",
        ),
        (
            "a member of a missing team",
            Box::new(|a| {
                let teams = a["teams"].as_array_mut().unwrap();
                teams.remove(1);
            }),
            "contestants[1].team",
            "unknown_reference",
        ),
        (
            "an answer to a question the archive does not hold",
            Box::new(move |a| a["answers"][k]["question"] = json!(987654)),
            "answers[{k}].question",
            "unknown_reference",
        ),
        (
            "a question taken out",
            Box::new(|a| drop(a["questions"].as_array_mut().unwrap().remove(0))),
            "answers[0].question",
            "unknown_reference",
        ),
        (
            "an answer given by a member of another team",
            Box::new(move |a| a["answers"][k]["contestant"] = a["contestants"][0]["id"].clone()),
            "answers[{k}].contestant",
            "contestant_of_other_team",
        ),
        (
            "a total that does not add up",
            Box::new(|a| {
                let t = a["results"]["rows"][0]["total"].as_f64().unwrap();
                a["results"]["rows"][0]["total"] = json!(t + 1.0);
            }),
            "results.rows[0].total",
            "results_mismatch",
        ),
        (
            "a part score that does not add up",
            Box::new(|a| a["results"]["rows"][2]["parts"][0]["score"] = json!(55.5)),
            "results.rows[2].parts[0].score",
            "results_mismatch",
        ),
        (
            "a wrong answer turned right without changing the results",
            Box::new(|a| {
                let i = a["answers"].as_array().unwrap().iter().position(|x| x["response"]["choice"] == 1).unwrap();
                a["answers"][i]["response"] = json!({"choice": 0});
            }),
            "results.rows[",
            "results_mismatch",
        ),
        (
            "a judge's mark of a quiz part",
            Box::new(|a| {
                a["marks"] = json!([{"id": 1, "part": a["parts"][0]["id"], "judge": a["judges"][0]["id"],
                                     "team": a["teams"][0]["id"], "criterion": 0, "points": 1, "updated_at": 0}])
            }),
            "marks[0].part",
            "wrong_part_kind",
        ),
        (
            "a duplicated team id",
            Box::new(|a| a["teams"][1]["id"] = a["teams"][0]["id"].clone()),
            "teams[1].id",
            "duplicate_id",
        ),
    ];
    for (what, edit, place, reason) in cases {
        let mut b = a.clone();
        edit(&mut b);
        let (s, e) = import(&app, &w.admin, &b).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{what}: {e}");
        let place = place.replace("{k}", &k.to_string());
        let field = e["error"]["field"].as_str().unwrap_or_default();
        assert!(field.starts_with(&place), "{what}: field {field:?}, expected {place:?}: {e}");
        assert_eq!(e["error"]["reason"], reason, "{what}: {e}");
        assert!(!e["error"]["message"].as_str().unwrap().is_empty());
        assert_eq!(contest_count(&app, &w.admin).await, count, "{what}: nothing is imported");
    }

    // The schema refusal says what it found and what it reads.
    let mut b = a.clone();
    b["schema"] = json!("hoithi-archive/2");
    let (_, e) = import(&app, &w.admin, &b).await;
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(msg.contains("hoithi-archive/2") && msg.contains("hoithi-archive/1"), "{msg}");
    // Malformed JSON, and a field of the wrong type named by its path.
    let mut text = serde_json::to_vec(&a).unwrap();
    text.truncate(text.len() / 2);
    let (s, e) = import_raw(&app, &w.admin, text).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("malformed_json")), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("line"), "{e}");
    let mut b = a.clone();
    b["answers"][3]["received_at"] = json!("hôm qua");
    let (s, e) = import(&app, &w.admin, &b).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("answers[3].received_at")), "{e}");
    assert_eq!(contest_count(&app, &w.admin).await, count);
    let (s, _) = app.get("/api/contests", Some(&w.admin)).await;
    assert_eq!(s, StatusCode::OK);

    // The unaltered archive still imports.
    let (s, b) = import(&app, &w.admin, &a).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(contest_count(&app, &w.admin).await, count + 1);
}

async fn wait_job(app: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..200 {
        let (s, j) = app.get(&format!("/api/jobs/{id}"), Some(token)).await;
        assert_eq!(s, StatusCode::OK, "{j}");
        if j["state"] != "running" {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {id} did not finish");
}

#[tokio::test]
async fn background_jobs_report_progress_and_offer_the_file() {
    let app = spawn_app().await;
    let w = finished_contest(&app).await;
    let (s, j) = app.post(&format!("/api/contests/{}/archive/jobs", w.cid), Some(&w.admin), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{j}");
    assert_eq!((j["kind"].as_str(), j["contest_id"].as_i64()), (Some("export"), Some(w.cid)));
    let j = wait_job(&app, &w.admin, j["id"].as_str().unwrap()).await;
    assert_eq!(j["state"], "done", "{j}");
    // 3 teams, 3 contestants, 2 judges, 2 parts, 4 questions, 12 answers, 2 adjustments,
    // the audit log, and the board (one per team).
    let audit = export(&app, &w.admin, w.cid).await["audit"].as_array().unwrap().len() as u64;
    assert_eq!(j["total"].as_u64().unwrap(), 3 + 3 + 2 + 2 + 4 + 12 + 2 + audit + 3, "{j}");
    assert_eq!(j["done"], j["total"]);
    let file = j["file"].as_str().unwrap();
    let res = app.client.get(format!("{}{file}", app.addr)).bearer_auth(&w.admin).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-disposition"],
        format!("attachment; filename=\"luu-tru-hoi-thi-{}.json\"", w.cid)
    );
    let bytes = res.bytes().await.unwrap();
    assert_eq!(j["bytes"].as_u64(), Some(bytes.len() as u64));
    let a: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(normalise(&a), normalise(&export(&app, &w.admin, w.cid).await));

    // Import in the background.
    let (s, j) = app.post_raw("/api/archives/jobs", &w.admin, "application/json", bytes.to_vec()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{j}");
    assert_eq!(j["kind"], "import");
    let j = wait_job(&app, &w.admin, j["id"].as_str().unwrap()).await;
    assert_eq!(j["state"], "done", "{j}");
    assert_eq!(j["done"], j["total"]);
    let c = j["contest_id"].as_i64().unwrap();
    let (_, contest) = app.get(&format!("/api/contests/{c}"), Some(&w.admin)).await;
    assert_eq!(contest["imported_from"]["contest_id"], w.cid);

    // A refused import fails its job with the place; nothing is imported.
    let count = contest_count(&app, &w.admin).await;
    let mut b = a.clone();
    b["results"]["rows"][1]["total"] = json!(1234.5);
    let (s, j) =
        app.post_raw("/api/archives/jobs", &w.admin, "application/json", serde_json::to_vec(&b).unwrap()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{j}");
    let j = wait_job(&app, &w.admin, j["id"].as_str().unwrap()).await;
    assert_eq!(j["state"], "failed", "{j}");
    assert_eq!(j["error"]["field"], "results.rows[1].total", "{j}");
    assert_eq!(j["error"]["reason"], "results_mismatch", "{j}");
    assert_eq!(contest_count(&app, &w.admin).await, count);
    // Another schema is refused before any job starts.
    b["schema"] = json!("hoithi-archive/0");
    let (s, e) =
        app.post_raw("/api/archives/jobs", &w.admin, "application/json", serde_json::to_vec(&b).unwrap()).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("schema")), "{e}");

    let (s, e) = app.get("/api/jobs/nope", Some(&w.admin)).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
}

/// An archive of 10,000 phones (2,000 teams of five, each phone answering 20 questions:
/// 200,000 answers) built from a real archive's question and part, imported and exported
/// through the background jobs, with the times printed. Every answer is wrong, so every
/// team has 0 and the same answer time: all rank 1. Run by hand:
/// `cargo test --test api big_archive -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "a measurement: minutes on a small machine"]
async fn a_big_archive_of_10000_phones_imports_and_exports_with_progress() {
    let app = spawn_app().await;
    let w = finished_contest(&app).await;
    let small = export(&app, &w.admin, w.cid).await;
    let (teams, per_team, questions) = (2000i64, 5i64, 20i64);
    let mut a = small.clone();
    let mut part = small["parts"][0].clone();
    part["id"] = json!(1);
    a["parts"] = json!([part]);
    a["tie_breakers"] = json!([{"kind": "answer_time"}]);
    a["adjustments"] = json!([]);
    a["audit"] = json!([]);
    a["judges"] = json!([]);
    a["publication"] = Value::Null;
    a["teams"] = (1..=teams)
        .map(
            |t| json!({"id": t, "name": format!("Đội {t}"), "unit": format!("Xã {t}"), "members": [], "created_at": 1}),
        )
        .collect();
    a["contestants"] = (1..=teams * per_team)
        .map(|c| json!({"id": c, "team": (c - 1) / per_team + 1, "name": format!("Thí sinh {c}"), "is_captain": false, "revoked": false, "joined_at": 2}))
        .collect();
    let q0 = small["questions"][0].clone();
    a["questions"] = (1..=questions)
        .map(|q| {
            let mut x = q0.clone();
            x["id"] = json!(q);
            x["part"] = json!(1);
            x["position"] = json!(q);
            x["status"] = json!("closed");
            x
        })
        .collect();
    let mut answers = Vec::with_capacity((teams * per_team * questions) as usize);
    for q in 1..=questions {
        for c in 1..=teams * per_team {
            answers.push(
                json!({"id": answers.len() + 1, "question": q, "team": (c - 1) / per_team + 1, "contestant": c,
                "submission_id": format!("q{q}-c{c}"), "response": {"choice": 1}, "star": false,
                "received_at": 1_800_000_000_000i64 + q * 60_000 + c, "elapsed_ms": 1000}),
            );
        }
    }
    a["answers"] = Value::Array(answers);
    a["results"] = json!({"rows": (1..=teams).map(|t| json!({"rank": 1, "team": t, "team_name": format!("Đội {t}"), "total": 0.0, "parts": [{"part": 1, "score": 0.0}]})).collect::<Vec<_>>()});
    let body = serde_json::to_vec(&a).unwrap();
    println!("archive: {} answers, {:.1} MB", teams * per_team * questions, body.len() as f64 / 1e6);

    let t0 = std::time::Instant::now();
    let (s, j) = app.post_raw("/api/archives/jobs", &w.admin, "application/json", body).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{j}");
    let upload = t0.elapsed();
    let mut seen = vec![];
    let id = j["id"].as_str().unwrap().to_owned();
    let j = loop {
        let (_, j) = app.get(&format!("/api/jobs/{id}"), Some(&w.admin)).await;
        seen.push((j["done"].as_u64().unwrap(), j["total"].as_u64().unwrap(), j["phase"].as_str().unwrap().to_owned()));
        if j["state"] != "running" {
            break j;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(j["state"], "done", "{j}");
    let import_s = t0.elapsed();
    let partial = seen.iter().filter(|(d, t, _)| *t > 0 && d > &0 && d < t).count();
    println!(
        "import: upload+parse {upload:?}, total {import_s:?}; {} polls, {partial} part-way: {:?}",
        seen.len(),
        seen.iter().step_by(seen.len().div_ceil(8).max(1)).collect::<Vec<_>>()
    );
    assert!(seen.windows(2).all(|x| x[0].0 <= x[1].0), "progress never goes back");
    assert!(partial > 0, "the bar moved part-way");
    let c = j["contest_id"].as_i64().unwrap();

    let t1 = std::time::Instant::now();
    let (s, j) = app.post(&format!("/api/contests/{c}/archive/jobs"), Some(&w.admin), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{j}");
    let j = wait_job_long(&app, &w.admin, j["id"].as_str().unwrap()).await;
    assert_eq!(j["state"], "done", "{j}");
    println!("export: {:?}, {:.1} MB", t1.elapsed(), j["bytes"].as_f64().unwrap() / 1e6);
    let res = app
        .client
        .get(format!("{}{}", app.addr, j["file"].as_str().unwrap()))
        .bearer_auth(&w.admin)
        .send()
        .await
        .unwrap();
    let back: Value = res.json().await.unwrap();
    assert_eq!(back["answers"].as_array().unwrap().len(), (teams * per_team * questions) as usize);
    assert_eq!(normalise(&back)["answers"], normalise(&a)["answers"]);
}

async fn wait_job_long(app: &TestApp, token: &str, id: &str) -> Value {
    loop {
        let (_, j) = app.get(&format!("/api/jobs/{id}"), Some(token)).await;
        if j["state"] != "running" {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A contest whose record needs the judged and elimination sections: an elimination part
/// in which a rescue brought a contestant back, and a judged part with a drawn order that
/// two judges marked and signed for both teams, released to the hall; then closed.
async fn judged_and_elimination_contest(app: &TestApp) -> (Fixture, Judged) {
    let qs = (0..2).map(|i| question(i, Solution::Single { option: 0 }, 60)).collect();
    let f = seed(app, 2, 2, json!({}), "last_answer", qs).await;
    let (s, b) = app
        .request(
            Method::PATCH,
            &format!("/api/contests/{}/parts/{}", f.cid, f.pid),
            Some(&f.admin),
            Some(json!({"kind": "elimination", "scoring": {"elimination": {"points_per_survivor": 10, "points_per_question": 1}}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let cid = f.cid as i64;
    let part = create_part(
        app,
        &f.admin,
        cid,
        json!({"kind": "judged", "title": "Phần thi sân khấu hóa", "max_points": 100,
               "rubric": {"criteria": [{"name": "Nội dung", "max_points": 50}, {"name": "Hình thức", "max_points": 30},
                                       {"name": "Thời gian", "max_points": 20}],
                          "aggregate": "mean", "gap_threshold": 0}}),
    )
    .await;
    let judges = add_judges(app, &f.admin, cid, 2).await;
    let w = Judged {
        admin: f.admin.clone(),
        contest: cid,
        part,
        teams: f.teams.iter().map(|t| t.id as i64).collect(),
        codes: vec![],
        judges,
    };

    // Elimination: 1-2 is out after Q1 and rescued; 2-2 is out after Q2.
    f.control(app, "start").await;
    round(app, &f, f.questions[0], &[(0, 0, 0), (0, 1, 2), (1, 0, 0), (1, 1, 0)]).await;
    let (s, b) = app
        .post(
            &format!("/api/contests/{}/live/rescue", f.cid),
            Some(&f.admin),
            json!({"all_last": true, "reason": "Lỗi mạng"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    round(app, &f, f.questions[1], &[(0, 0, 0), (0, 1, 0), (1, 0, 0), (1, 1, 1)]).await;
    f.control(app, "finish").await;

    // Judged: the order drawn with a seed, both judges mark and sign both teams, released.
    let (s, b) =
        app.post(&format!("/api/contests/{cid}/parts/{part}/order"), Some(&f.admin), json!({"seed": 20251130})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    for (t, &team) in w.teams.iter().enumerate() {
        for j in 0..2 {
            w.mark_all(app, j, team, [40.0 - t as f64, 20.0 + j as f64, 15.5]).await;
            let (s, b) = w.sign(app, j, team).await;
            assert_eq!(s, StatusCode::OK, "{b}");
        }
    }
    let (s, b) = app.post(&format!("/api/contests/{cid}/parts/{part}/release"), Some(&f.admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app.request(Method::POST, &format!("/api/contests/{cid}/close"), Some(&f.admin), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    (f, w)
}

/// The part score of `part` in each row of a board, by team name.
fn part_scores(board: &Value, part: i64) -> Vec<(String, f64)> {
    board["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let p = r["parts"].as_array().unwrap().iter().find(|p| p["part_id"] == part).map(|p| p["score"].clone());
            (r["team_name"].as_str().unwrap().to_owned(), p.and_then(|p| p.as_f64()).unwrap_or(0.0))
        })
        .collect()
}

#[tokio::test]
async fn judged_marks_and_elimination_rescues_travel_and_give_the_same_board() {
    let app = spawn_app().await;
    let (f, w) = judged_and_elimination_contest(&app).await;
    let cid = f.cid as i64;
    let a1 = export(&app, &f.admin, cid).await;

    assert_eq!(a1["marks"].as_array().unwrap().len(), 12, "2 judges × 2 teams × 3 criteria");
    assert_eq!(a1["sheets"].as_array().unwrap().len(), 4);
    assert!(a1["sheets"].as_array().unwrap().iter().all(|s| s["signed_at"].is_i64()), "{}", a1["sheets"]);
    assert_eq!(a1["releases"].as_array().unwrap().len(), 2);
    assert_eq!(a1["performance_orders"][0]["seed"], 20251130);
    assert_eq!(a1["performance_orders"][0]["part"], w.part);
    let rescues = a1["rescues"].as_array().unwrap();
    assert_eq!(rescues.len(), 1, "{rescues:?}");
    assert_eq!(
        (rescues[0]["reason"].as_str(), rescues[0]["after_question"].as_i64()),
        (Some("Lỗi mạng"), Some(f.questions[0] as i64))
    );
    let (_, board1) = app.get(&format!("/api/contests/{cid}/scoreboard"), Some(&f.admin)).await;
    let board1 = board1.get("board").cloned().unwrap_or(board1);
    let judged1 = part_scores(&board1, w.part);
    assert!(judged1.iter().all(|(_, s)| *s > 0.0), "both teams have a judged part score: {judged1:?}");

    // Into a fresh database on another server: the same board, part by part.
    let other = spawn_app().await;
    let admin2 = other.admin_token().await;
    let (s, b) = import(&other, &admin2, &a1).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let c2 = b["contest"]["id"].as_i64().unwrap();
    let (_, board2) = other.get(&format!("/api/contests/{c2}/scoreboard?recompute=true"), Some(&admin2)).await;
    let board2 = board2.get("board").cloned().unwrap_or(board2);
    assert_eq!(totals(&board2), totals(&board1), "same results");
    let a2 = export(&other, &admin2, c2).await;
    let part2 = a2["parts"][1]["id"].as_i64().unwrap();
    assert_eq!(part_scores(&board2, part2), judged1);
    // The judges' grid on the new server shows the signed, released sheets.
    let (s, grid) = other.get(&format!("/api/contests/{c2}/parts/{part2}/judging"), Some(&admin2)).await;
    assert_eq!(s, StatusCode::OK, "{grid}");
    assert!(grid["teams"].as_array().unwrap().iter().all(|t| t["released_at"].is_i64()), "{grid}");

    // Export again: the same document, ids aside.
    let (n1, n2) = (normalise(&a1), normalise(&a2));
    if n1 != n2 {
        for key in n1.as_object().unwrap().keys() {
            assert_eq!(n1[key], n2[key], "section {key} differs");
        }
    }
    assert_eq!(n1, n2);

    // Without its marks, or without its rescue, the archive's board does not add up.
    let before = contest_count(&other, &admin2).await;
    for section in ["marks", "rescues"] {
        let mut bad = a1.clone();
        bad.as_object_mut().unwrap().remove(section);
        let (s, e) = import(&other, &admin2, &bad).await;
        assert_eq!(
            (s, e["error"]["reason"].as_str()),
            (StatusCode::BAD_REQUEST, Some("results_mismatch")),
            "{section}: {e}"
        );
        assert!(e["error"]["field"].as_str().unwrap().starts_with("results.rows["), "{e}");
    }
    // A hand-edited mark of a judge the archive does not hold is refused naming the place.
    let mut bad = a1.clone();
    bad["marks"][3]["judge"] = json!(987_654);
    let (s, e) = import(&other, &admin2, &bad).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("marks[3].judge")), "{e}");
    assert_eq!(e["error"]["reason"], "unknown_reference", "{e}");
    let mut bad = a1.clone();
    bad["marks"][5]["criterion"] = json!(3);
    let (s, e) = import(&other, &admin2, &bad).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("marks[5].criterion")), "{e}");
    let mut bad = a1.clone();
    bad["rescues"][0]["contestant"] = json!(987_654);
    let (s, e) = import(&other, &admin2, &bad).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("rescues[0].contestant")), "{e}");
    assert_eq!(contest_count(&other, &admin2).await, before, "nothing was imported");
}

/// A buzzer press over the phone's socket, waiting for its answer.
async fn buzz(ws: &mut crate::helpers::Ws, qid: i32) -> Value {
    ws_send(ws, json!({"type": "buzz", "question_id": qid})).await;
    ws_until(ws, 10, |v| v["type"] == "buzzed" || v["type"] == "error").await
}

#[tokio::test]
async fn buzzer_presses_and_marks_travel_and_give_the_same_board() {
    let app = spawn_app().await;
    let qs = vec![question(0, Solution::Single { option: 1 }, 30)];
    let f = seed_kind(&app, "buzzer", 3, 1, json!({"wrong_penalty": 5}), "last_answer", qs).await;
    let cid = f.cid as i64;
    let (b, c) = (f.teams[1].id as i64, f.teams[2].id as i64);
    let mut wb = app.ws(&f.member(1, 0).token).await;
    let mut wc = app.ws(&f.member(2, 0).token).await;
    let live = |path: &str| format!("/api/contests/{cid}/live/{path}");
    f.control(&app, "start").await;
    f.control(&app, "next").await;
    let q = f.questions[0];
    // B presses first and is wrong; C takes the steal and is right.
    let (s, body) = app.request(Method::POST, &live("buzzer/open"), Some(&f.admin), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(buzz(&mut wb, q).await["buzz"]["place"], 1);
    let (s, body) = app
        .request(Method::POST, &live("buzzer/mark"), Some(&f.admin), Some(json!({"correct": false, "team_id": b})))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = app.request(Method::POST, &live("buzzer/open"), Some(&f.admin), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(buzz(&mut wc, q).await["buzz"]["place"], 1);
    let (s, body) = app
        .request(Method::POST, &live("buzzer/mark"), Some(&f.admin), Some(json!({"correct": true, "team_id": c})))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    f.control(&app, "finish").await;
    let (s, body) = app.request(Method::POST, &format!("/api/contests/{cid}/close"), Some(&f.admin), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");

    let a1 = export(&app, &f.admin, cid).await;
    let buzzes = a1["buzzes"].as_array().unwrap();
    assert_eq!(buzzes.len(), 2, "{buzzes:?}");
    assert_eq!((buzzes[0]["team"].as_i64(), buzzes[1]["team"].as_i64()), (Some(b), Some(c)));
    let marks = a1["buzzer_marks"].as_array().unwrap();
    assert_eq!(marks.len(), 2, "{marks:?}");
    assert_eq!((marks[0]["correct"].as_bool(), marks[0]["points"].as_f64()), (Some(false), Some(-5.0)));
    assert_eq!((marks[1]["correct"].as_bool(), marks[1]["team"].as_i64()), (Some(true), Some(c)));
    let (_, board1) = app.get(&format!("/api/contests/{cid}/scoreboard"), Some(&f.admin)).await;
    let board1 = board1.get("board").cloned().unwrap_or(board1);
    let scores1 = part_scores(&board1, f.pid as i64);
    assert!(scores1.iter().any(|(_, s)| *s > 0.0) && scores1.iter().any(|(_, s)| *s < 0.0), "{scores1:?}");

    // Into a fresh database on another server: the same board, part by part.
    let other = spawn_app().await;
    let admin2 = other.admin_token().await;
    let (s, body) = import(&other, &admin2, &a1).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let c2 = body["contest"]["id"].as_i64().unwrap();
    let (_, board2) = other.get(&format!("/api/contests/{c2}/scoreboard?recompute=true"), Some(&admin2)).await;
    let board2 = board2.get("board").cloned().unwrap_or(board2);
    assert_eq!(totals(&board2), totals(&board1), "same results");
    let a2 = export(&other, &admin2, c2).await;
    assert_eq!(part_scores(&board2, a2["parts"][0]["id"].as_i64().unwrap()), scores1);
    let (n1, n2) = (normalise(&a1), normalise(&a2));
    if n1 != n2 {
        for key in n1.as_object().unwrap().keys() {
            assert_eq!(n1[key], n2[key], "section {key} differs");
        }
    }
    assert_eq!(n1, n2);

    // Without its marks the board does not add up; bad references name the place.
    let before = contest_count(&other, &admin2).await;
    let mut bad = a1.clone();
    bad.as_object_mut().unwrap().remove("buzzer_marks");
    let (s, e) = import(&other, &admin2, &bad).await;
    assert_eq!((s, e["error"]["reason"].as_str()), (StatusCode::BAD_REQUEST, Some("results_mismatch")), "{e}");
    let mut bad = a1.clone();
    bad["buzzer_marks"][0]["team"] = json!(987_654);
    let (s, e) = import(&other, &admin2, &bad).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("buzzer_marks[0].team")), "{e}");
    let mut bad = a1.clone();
    bad["buzzes"][1]["contestant"] = buzzes[0]["contestant"].clone();
    let (s, e) = import(&other, &admin2, &bad).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("buzzes[1].contestant")), "{e}");
    assert_eq!(e["error"]["reason"], "contestant_of_other_team", "{e}");
    let mut bad = a1.clone();
    bad["parts"][0]["kind"] = json!("quiz");
    let (s, e) = import(&other, &admin2, &bad).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("buzzes[0].question")), "{e}");
    assert_eq!(e["error"]["reason"], "wrong_part_kind", "{e}");
    assert_eq!(contest_count(&other, &admin2).await, before, "nothing was imported");
}
