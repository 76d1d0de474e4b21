//! What the hall sees of a judged part: the team on stage now (`POST …/live/judged/performing`,
//! stored and audited, heard by the projector, the phones and staff, kept over a restart)
//! and the moment part scores are released (`judged_released`: the released teams' scores
//! only, to the projector and staff, not while the public board is frozen).
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::join;
use crate::helpers::{TestApp, Ws, ws_until};
use crate::judging::{Judged, judged_world};

fn performing_path(w: &Judged) -> String {
    format!("/api/contests/{}/live/judged/performing", w.contest)
}

async fn audit_entries(app: &TestApp, w: &Judged, action: &str) -> Vec<Value> {
    let (s, audit) = app.get(&format!("/api/contests/{}/audit", w.contest), Some(&w.admin)).await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    let entries = audit.as_array().or(audit["entries"].as_array()).unwrap();
    entries
        .iter()
        .filter(|e| e["action"] == action)
        .map(|e| match &e["detail"] {
            Value::String(s) => serde_json::from_str(s).unwrap(),
            d => d.clone(),
        })
        .collect()
}

async fn projector_ws(app: &TestApp, w: &Judged) -> Ws {
    let (s, link) = app.post(&format!("/api/contests/{}/projector", w.contest), Some(&w.admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{link}");
    let mut ws = app.ws(link["token"].as_str().unwrap()).await;
    ws_until(&mut ws, 5, |v| v["type"] == "state").await;
    ws
}

async fn staff_ws(app: &TestApp, w: &Judged) -> Ws {
    let mut ws = app.ws(&format!("{}&contest_id={}", w.admin, w.contest)).await;
    ws_until(&mut ws, 5, |v| v["type"] == "state").await;
    ws
}

async fn draw_and_start(app: &TestApp, w: &Judged) -> Vec<i64> {
    let (s, order) = app
        .post(&format!("/api/contests/{}/parts/{}/order", w.contest, w.part), Some(&w.admin), json!({"seed": 13}))
        .await;
    assert_eq!(s, StatusCode::OK, "{order}");
    let (s, st) =
        app.post(&format!("/api/contests/{}/parts/{}/start", w.contest, w.part), Some(&w.admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{st}");
    order["teams"].as_array().unwrap().iter().map(|t| t["team_id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn the_organiser_puts_the_next_team_on_stage_every_screen_hears_it_and_a_restart_keeps_it() {
    let app = crate::helpers::spawn_app().await;
    let w = judged_world(&app, 2, 3, "mean", 0.0).await;
    let path = performing_path(&w);
    // No judged part runs yet: refused with the state, nothing stored.
    let (s, e) = app.post(&path, Some(&w.admin), json!({"team_id": w.teams[0]})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("invalid_state")), "{e}");
    let order = draw_and_start(&app, &w).await;
    let (first, second) = (order[0], order[1]);
    let first_idx = w.teams.iter().position(|t| *t == first).unwrap();
    let phone = join(&app, &w.codes[first_idx], "Lê Thị Hoa").await;
    let mut phone_ws = app.ws(phone["token"].as_str().unwrap()).await;
    ws_until(&mut phone_ws, 5, |v| v["type"] == "state").await;
    let mut projector = projector_ws(&app, &w).await;
    let mut staff = staff_ws(&app, &w).await;

    // Bad input: named, refused, nothing changed.
    let (s, e) = app.post(&path, Some(&w.admin), json!({"team_id": 999_999})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("team_id")), "{e}");
    let (s, e) = app.post(&path, Some(&w.admin), json!({"team": first})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    let (s, e) = app.post(&path, Some(&w.admin), json!({"team_id": "một"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    // Judges and contestants may not.
    assert_eq!(app.post(&path, Some(&w.judges[0].1), json!({"team_id": first})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        app.post(&path, Some(phone["token"].as_str().unwrap()), json!({"team_id": first})).await.0,
        StatusCode::FORBIDDEN
    );
    let (_, st) = app.get(&format!("/api/contests/{}/live", w.contest), Some(&w.admin)).await;
    assert!(st["performing"].is_null(), "{st}");
    assert!(audit_entries(&app, &w, "judged_performing").await.is_empty());

    // The first team of the draw goes on stage.
    let (s, r) = app.post(&path, Some(&w.admin), json!({"team_id": first})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let p = &r["performing"];
    assert_eq!((p["team_id"].as_i64(), p["slot"].as_i64(), p["teams"].as_i64()), (Some(first), Some(1), Some(3)));
    assert_eq!(p["team_name"], json!(["Thị trấn Ngã Sáu", "Xã Phú Hữu", "Xã Đông Phước"][first_idx]));
    for ws in [&mut phone_ws, &mut projector, &mut staff] {
        let m = ws_until(ws, 5, |v| v["type"] == "performing").await;
        assert_eq!((m["part_id"].as_i64(), m["performing"]["team_id"].as_i64()), (Some(w.part), Some(first)), "{m}");
    }
    // The same team again changes nothing; the next one replaces it, both audited.
    assert_eq!(app.post(&path, Some(&w.admin), json!({"team_id": first})).await.0, StatusCode::OK);
    let (s, r) = app.post(&path, Some(&w.admin), json!({"team_id": second})).await;
    assert_eq!((s, r["performing"]["slot"].as_i64()), (StatusCode::OK, Some(2)), "{r}");
    let m = ws_until(&mut projector, 5, |v| v["type"] == "performing").await;
    assert_eq!(m["performing"]["team_id"].as_i64(), Some(second), "the repeat sent nothing: {m}");
    let audit = audit_entries(&app, &w, "judged_performing").await;
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!((audit[0]["team_id"].as_i64(), audit[0]["previous"].as_i64()), (Some(first), None));
    assert_eq!((audit[1]["team_id"].as_i64(), audit[1]["previous"].as_i64()), (Some(second), Some(first)));
    assert_eq!(audit[1]["part_id"].as_i64(), Some(w.part));

    // A screen that connects now, and the server after a restart, know who is on stage.
    let mut late = app.ws(&format!("{}&contest_id={}", w.admin, w.contest)).await;
    let st = ws_until(&mut late, 5, |v| v["type"] == "state").await;
    assert_eq!(st["state"]["performing"]["team_id"].as_i64(), Some(second), "{st}");
    drop((late, projector, staff, phone_ws));
    let app = app.restart().await;
    let (_, st) = app.get(&format!("/api/contests/{}/live", w.contest), Some(&w.admin)).await;
    assert_eq!((st["performing"]["team_id"].as_i64(), st["performing"]["slot"].as_i64()), (Some(second), Some(2)));
    let mut projector = projector_ws(&app, &w).await;

    // Nobody on stage; then the part finishes and the stage is gone.
    let (s, r) = app.post(&path, Some(&w.admin), json!({"team_id": null})).await;
    assert_eq!((s, r["performing"].is_null()), (StatusCode::OK, true), "{r}");
    let m = ws_until(&mut projector, 5, |v| v["type"] == "performing").await;
    assert!(m["performing"].is_null(), "{m}");
    assert_eq!(app.post(&path, Some(&w.admin), json!({"team_id": first})).await.0, StatusCode::OK);
    let (s, _) =
        app.post(&format!("/api/contests/{}/parts/{}/finish", w.contest, w.part), Some(&w.admin), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, st) = app.get(&format!("/api/contests/{}/live", w.contest), Some(&w.admin)).await;
    assert!(st["performing"].is_null(), "{st}");
    let (s, e) = app.post(&path, Some(&w.admin), json!({"team_id": second})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("invalid_state")), "{e}");
}

#[tokio::test]
async fn a_release_shows_the_hall_each_released_teams_score_and_nothing_unreleased() {
    let app = crate::helpers::spawn_app().await;
    let w = judged_world(&app, 2, 3, "mean", 0.0).await;
    let order = draw_and_start(&app, &w).await;
    let mut projector = projector_ws(&app, &w).await;
    let mut staff = staff_ws(&app, &w).await;
    let phone = join(&app, &w.codes[0], "Phạm Văn Tâm").await;
    let mut phone_ws = app.ws(phone["token"].as_str().unwrap()).await;
    ws_until(&mut phone_ws, 5, |v| v["type"] == "state").await;
    // Totals: team 0: 85.5 and 84.84 → 85.17; team 1: 70 and 71 → 70.5; team 2 marked, not signed.
    let sheets = [
        [[45.5, 25.0, 15.0], [44.84, 25.0, 15.0]],
        [[40.0, 20.0, 10.0], [41.0, 20.0, 10.0]],
        [[30.0, 20.0, 10.0], [30.0, 20.0, 10.0]],
    ];
    for (t, (team, marks)) in w.teams.iter().zip(sheets).enumerate() {
        for (j, m) in marks.into_iter().enumerate() {
            w.mark_all(&app, j, *team, m).await;
            if t < 2 {
                assert_eq!(w.sign(&app, j, *team).await.0, StatusCode::OK);
            }
        }
    }
    let release = format!("/api/contests/{}/parts/{}/release", w.contest, w.part);
    let (s, r) = app.post(&release, Some(&w.admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let m = ws_until(&mut projector, 10, |v| v["type"] == "judged_released").await;
    assert_eq!((m["part_id"].as_i64(), m["title"].as_str()), (Some(w.part), Some("Phần thi sân khấu hóa")));
    assert_eq!(m["max_total"].as_f64(), Some(100.0));
    // The two released teams, in the order of performance, with their part scores and nothing more.
    let expected: Vec<i64> = order.iter().copied().filter(|t| *t != w.teams[2]).collect();
    let got: Vec<i64> = m["teams"].as_array().unwrap().iter().map(|t| t["team_id"].as_i64().unwrap()).collect();
    assert_eq!(got, expected, "{m}");
    for t in m["teams"].as_array().unwrap() {
        let keys: Vec<&String> = t.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 3, "team_id, team_name, score only: {t}");
        let want = if t["team_id"] == w.teams[0] { 85.17 } else { 70.5 };
        assert_eq!(t["score"].as_f64(), Some(want), "{t}");
    }
    let s = ws_until(&mut staff, 10, |v| v["type"] == "judged_released").await;
    assert_eq!(s["teams"], m["teams"]);

    // Releasing again releases nothing and shows nothing; team 2, once signed, comes alone.
    let (_, r) = app.post(&release, Some(&w.admin), json!({})).await;
    assert_eq!(r["released"], json!([]));
    assert_eq!(w.sign(&app, 0, w.teams[2]).await.0, StatusCode::OK);
    assert_eq!(w.sign(&app, 1, w.teams[2]).await.0, StatusCode::OK);
    let (_, r) = app.post(&release, Some(&w.admin), json!({"team_ids": [w.teams[2]]})).await;
    assert_eq!(r["released"], json!([w.teams[2]]));
    let m = ws_until(&mut projector, 10, |v| v["type"] == "judged_released").await;
    assert_eq!(m["teams"], json!([{"team_id": w.teams[2], "team_name": "Xã Đông Phước", "score": 60.0}]));

    // While the public board is frozen the hall hears nothing of a release (staff do).
    let (s, b) = app.post(&format!("/api/contests/{}/live/board/freeze", w.contest), Some(&w.admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let reopen =
        format!("/api/contests/{}/parts/{}/sheets/{}/judges/{}/reopen", w.contest, w.part, w.teams[1], w.judges[0].0);
    assert_eq!(app.post(&reopen, Some(&w.admin), json!({"reason": "Chấm lại"})).await.0, StatusCode::OK);
    assert_eq!(w.sign(&app, 0, w.teams[1]).await.0, StatusCode::OK);
    let (_, r) = app.post(&release, Some(&w.admin), json!({})).await;
    assert_eq!(r["released"], json!([w.teams[1]]));
    ws_until(&mut staff, 10, |v| v["type"] == "judged_released" && v["teams"][0]["team_id"] == w.teams[1]).await;
    // The next thing the projector hears is the team on stage, not the release.
    app.post(&performing_path(&w), Some(&w.admin), json!({"team_id": w.teams[0]})).await;
    let m = ws_until(&mut projector, 10, |v| v["type"] == "judged_released" || v["type"] == "performing").await;
    assert_eq!(m["type"], "performing", "{m}");
    // Phones never hear a release (their board is the team's own business).
    let m = ws_until(&mut phone_ws, 10, |v| v["type"] == "judged_released" || v["type"] == "performing").await;
    assert_eq!(m["type"], "performing", "{m}");
}
