//! The judge's marking sheet ("Phiếu chấm") in a real browser: a judge types marks with a
//! decimal comma, sees "Đã lưu" only once the server acknowledged each, sees a mark above
//! the maximum refused in words beside the field, keeps marking through a lost connection,
//! signs with a confirmation, and the sheet locks.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fixtures::{create_contest, create_part, create_team};
use crate::harness::{self, Screen};
use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_judge_marks_a_team_sees_each_mark_saved_signs_and_the_sheet_locks() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let cid = create_contest(&app, &admin, "Hội thi tìm hiểu chuyên đề năm 2025").await;
    let mut teams = Vec::new();
    for name in ["Thị trấn Ngã Sáu", "Xã Phú Hữu", "Xã Đông Phước"] {
        teams.push(create_team(&app, &admin, cid, name).await.0);
    }
    let pid = create_part(
        &app,
        &admin,
        cid,
        json!({"kind": "judged", "title": "Phần thi sân khấu hóa", "max_points": 100,
               "rubric": {"criteria": [{"name": "Nội dung kịch bản", "max_points": 50},
                                       {"name": "Diễn xuất, trang phục, đạo cụ", "max_points": 30},
                                       {"name": "Thời gian và ấn tượng chung", "max_points": 20}],
                          "aggregate": "trimmed_mean", "gap_threshold": 15}}),
    )
    .await;
    let (s, order) =
        app.post(&format!("/api/contests/{cid}/parts/{pid}/order"), Some(&admin), json!({"seed": 2025})).await;
    assert_eq!(s, StatusCode::OK, "{order}");
    let first = order["teams"][0]["team_id"].as_i64().unwrap();
    let first_name = order["teams"][0]["name"].as_str().unwrap().to_owned();
    let (s, u) = app
        .post(
            "/api/users",
            Some(&admin),
            json!({"username": "giamkhao1", "password": "mat-khau-giam-khao", "role": "judge"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    let (s, j) = app
        .post(
            &format!("/api/contests/{cid}/judges"),
            Some(&admin),
            json!({"user_id": u["id"], "name": "Nguyễn Văn Bình"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{j}");
    let judge_id = j["id"].as_i64().unwrap();
    let stored = |grid: &Value| -> Value {
        let t = grid["teams"].as_array().unwrap().iter().find(|t| t["team_id"] == first).unwrap();
        t["sheets"].as_array().unwrap().iter().find(|s| s["judge_id"] == judge_id).unwrap().clone()
    };

    let s = Screen::wide("judge-sheet", "judge").await;
    // A laptop or tablet, not the 1920 projector.
    let _ = s
        .driver
        .cdp()
        .send_raw(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": 1366, "height": 900, "deviceScaleFactor": 1, "mobile": false }),
        )
        .await;
    s.sign_in(&app.addr, "giamkhao1", "mat-khau-giam-khao", "/judge").await;
    s.click("#tab-sheets").await;
    // The teams in their drawn order, the first one's sheet open.
    s.wait_text("#sheet .sheet-team", &first_name, 10).await;
    let listed: Vec<Value> = s
        .js("return [...document.querySelectorAll('#sheet-teams .steam')].map(b => Number(b.dataset.team))")
        .await
        .as_array()
        .unwrap()
        .clone();
    let drawn: Vec<Value> = order["teams"].as_array().unwrap().iter().map(|t| t["team_id"].clone()).collect();
    assert_eq!(listed, drawn, "teams in the order drawn by lot");
    // The sheet's criteria are drawn once its marks are read: wait for them.
    s.wait_text("#sheet-table", "Diễn xuất, trang phục, đạo cụ", 10).await;
    // Every column header stays on one line ("ĐIỂM TỐI ĐA" used to wrap).
    let lines = s
        .js("return [...document.querySelectorAll('#sheet-table thead th')].map(th => { \
             const r = document.createRange(); r.selectNodeContents(th); return r.getClientRects().length; })")
        .await;
    assert_eq!(lines, json!([1, 1, 1, 1]), "header lines per column");
    s.shot("empty-sheet").await;

    // A decimal comma; "Đã lưu" once the server has it.
    s.fill("#mark-0", "45,5").await;
    s.wait_text("#mstate-0", "Đã lưu", 5).await;
    let (_, grid) = app.get(&format!("/api/contests/{cid}/parts/{pid}/judging"), Some(&admin)).await;
    assert_eq!(stored(&grid)["marks"], json!([45.5, null, null]), "saved means stored");

    // Above the maximum: refused beside the field, nothing saved.
    s.fill("#mark-1", "31").await;
    s.wait_text("#merr-1", "Vượt điểm tối đa (30)", 5).await;
    assert_eq!(s.text("#mstate-1").await, "Chưa lưu");
    s.shot("above-max").await;
    s.fill("#mark-1", "27,25").await;
    s.wait_text("#mstate-1", "Đã lưu", 5).await;
    assert_eq!(s.js("return document.querySelector('#merr-1').textContent").await, json!(""));
    assert!(
        s.js("return document.querySelector('#sign').disabled").await.as_bool().unwrap(),
        "not every criterion marked"
    );

    // The connection drops while the judge types: the mark waits and goes when it is back.
    s.offline(true).await;
    s.fill("#mark-2", "18").await;
    s.wait_text("#mstate-2", "Mất kết nối", 10).await;
    assert!(s.js("return document.querySelector('#sign').disabled").await.as_bool().unwrap(), "no signing unsaved");
    s.shot("offline-retrying").await;
    s.offline(false).await;
    s.wait_text("#mstate-2", "Đã lưu", 15).await;
    s.wait_text("#sheet-total", "90,75", 5).await;
    s.shot("all-saved").await;

    // Sign, after a confirmation naming the team and the total.
    s.click("#sign").await;
    let confirm = s.wait_text("#sheet-actions .confirm", "90,75", 5).await;
    assert!(confirm.contains(&first_name), "{confirm}");
    s.shot("confirm-sign").await;
    s.click("#sign-yes").await;
    s.wait_text("#sheet-stamp", "ĐÃ KÝ", 5).await;
    assert!(
        s.js("return [...document.querySelectorAll('#sheet input.mark')].every(i => i.disabled)")
            .await
            .as_bool()
            .unwrap()
    );
    s.wait_text(&format!("#sheet-teams .steam[data-team=\"{first}\"]"), "Đã ký", 5).await;
    s.shot("signed-locked").await;

    let (_, grid) = app.get(&format!("/api/contests/{cid}/parts/{pid}/judging"), Some(&admin)).await;
    let sheet = stored(&grid);
    assert_eq!(sheet["marks"], json!([45.5, 27.25, 18.0]));
    assert!(sheet["signed_at"].is_i64());
    // The judge's own token cannot change it any more.
    let token = app.login("giamkhao1", "mat-khau-giam-khao").await;
    let (st, e) = app
        .request(
            Method::PUT,
            &format!("/api/contests/{cid}/parts/{pid}/sheets/{first}/marks/0"),
            Some(&token),
            Some(json!({"points": 10})),
        )
        .await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("sheet_signed")));

    // The organiser reopens it: the sheet unlocks on the judge's screen by itself.
    let (st, _) = app
        .post(
            &format!("/api/contests/{cid}/parts/{pid}/sheets/{first}/judges/{judge_id}/reopen"),
            Some(&admin),
            json!({"reason": "Giám khảo đề nghị sửa điểm diễn xuất"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    s.wait_js("return !document.querySelector('#sheet-stamp') && !document.querySelector('#mark-0').disabled", 10)
        .await;
    s.shot("reopened").await;
    s.quit().await;
}

/// The organiser's side: a judged part made in the console with its rubric, the order drawn
/// with a seed, the marking grid showing who marked and signed, a flagged gap, a sheet
/// reopened with a reason, and the scores released.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organiser_builds_a_judged_part_draws_the_order_follows_the_grid_and_releases() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let cid = create_contest(&app, &admin, "Hội thi tìm hiểu chuyên đề năm 2025").await;
    let mut teams = Vec::new();
    for name in ["Thị trấn Ngã Sáu", "Xã Phú Hữu", "Xã Đông Phước"] {
        teams.push(create_team(&app, &admin, cid, name).await.0);
    }
    let mut judges = Vec::new();
    for i in 1..=2 {
        let (_, u) = app
            .post(
                "/api/users",
                Some(&admin),
                json!({"username": format!("gk{i}"), "password": "mat-khau-giam-khao", "role": "judge"}),
            )
            .await;
        let (_, j) = app
            .post(
                &format!("/api/contests/{cid}/judges"),
                Some(&admin),
                json!({"user_id": u["id"], "name": format!("Giám khảo {i}")}),
            )
            .await;
        judges.push((j["id"].as_i64().unwrap(), app.login(&format!("gk{i}"), "mat-khau-giam-khao").await));
    }

    let s = Screen::wide("judge-console", "console").await;
    s.sign_in(&app.addr, crate::helpers::ADMIN_USER, crate::helpers::ADMIN_PASSWORD, "/console").await;
    s.goto(&format!("{}/console#/{cid}/parts", app.addr)).await;
    s.click("#part-new").await;
    s.fill("#part-title", "Phần thi chào hỏi").await;
    s.js("const k = document.querySelector('#part-kind'); k.value = 'judged'; k.dispatchEvent(new Event('change')); return true").await;
    s.find("#rubric").await;
    s.fill("#rubric .r-name", "Nội dung").await;
    s.fill("#rubric .r-max", "60").await;
    s.click("#rubric-add").await;
    s.js("const n = document.querySelectorAll('#rubric .r-name'); n[1].value = ''; return true").await;
    s.js("const m = document.querySelectorAll('#rubric .r-max'); m[1].value = '40'; return true").await;
    s.fill("#rubric-gap", "10").await;
    // A criterion without a name is refused beside it.
    s.click("#part-save").await;
    s.wait_text("#rubric .field-error", "tên tiêu chí", 5).await;
    s.shot("rubric-refused").await;
    s.js("const n = document.querySelectorAll('#rubric .r-name'); n[1].value = 'Hình thức, trang phục'; return true")
        .await;
    s.click("#part-save").await;
    s.find("#part-judging #judging-grid").await;
    let parts: Value = app.get(&format!("/api/contests/{cid}/parts"), Some(&admin)).await.1;
    let pid = parts[0]["id"].as_i64().unwrap();
    assert_eq!(parts[0]["rubric"]["criteria"][1]["name"], "Hình thức, trang phục");
    assert_eq!(parts[0]["rubric"]["gap_threshold"].as_f64(), Some(10.0));

    s.fill("#order-seed", "15052025").await;
    s.click("#order-draw").await;
    s.wait_text("#order-seed-shown", "15052025", 5).await;
    let (_, order) = app.get(&format!("/api/contests/{cid}/parts/{pid}/order"), Some(&admin)).await;
    assert_eq!(order["seed"].as_i64(), Some(15052025));

    // The judges mark: team 0 fully by both (a gap of 15 > 10), team 1 half by judge 1.
    let mark = |j: usize, team: i64, c: i64, points: f64| {
        let (app, judges) = (&app, &judges);
        async move {
            let path = format!("/api/contests/{cid}/parts/{pid}/sheets/{team}/marks/{c}");
            let (st, b) = app.request(Method::PUT, &path, Some(&judges[j].1), Some(json!({"points": points}))).await;
            assert_eq!(st, StatusCode::OK, "{b}");
        }
    };
    mark(0, teams[0], 0, 50.0).await;
    mark(0, teams[0], 1, 30.0).await;
    mark(1, teams[0], 0, 40.0).await;
    mark(1, teams[0], 1, 25.0).await;
    mark(0, teams[1], 0, 45.0).await;
    for (_, token) in &judges {
        let (st, _) = app
            .post(&format!("/api/contests/{cid}/parts/{pid}/sheets/{}/sign", teams[0]), Some(token), json!({}))
            .await;
        assert_eq!(st, StatusCode::OK);
    }
    let row0 = format!("#judging-grid tr[data-team=\"{}\"]", teams[0]);
    s.wait_text(&format!("{row0} td.score"), "72,5", 10).await;
    s.wait_text("#judging-flags", "Thị trấn Ngã Sáu", 5).await;
    s.wait_text(&format!("#judging-grid tr[data-team=\"{}\"]", teams[1]), "1/2", 5).await;
    s.shot("grid-flagged").await;

    // Reopen judge 2's sheet with a reason.
    s.click(&format!("{row0} td.cell[data-judge=\"{}\"] .reopen", judges[1].0)).await;
    s.click("#reopen-submit").await;
    s.wait_text("#reopen-form .field-error", "lý do", 5).await;
    s.fill("#reopen-reason", "Giám khảo 2 xin chấm lại tiêu chí Hình thức").await;
    s.click("#reopen-submit").await;
    s.wait_js(
        &format!("return !document.querySelector('{row0} td.cell.signed[data-judge=\"{}\"]')", judges[1].0)
            .replace("\\\"", "\""),
        5,
    )
    .await;
    let (_, audit) = app.get(&format!("/api/contests/{cid}/audit"), Some(&admin)).await;
    assert!(audit.as_array().unwrap().iter().any(
        |e| e["action"] == "sheet_reopen" && e["detail"]["reason"] == "Giám khảo 2 xin chấm lại tiêu chí Hình thức"
    ));
    // Signed again; released from the console.
    let (st, _) = app
        .post(&format!("/api/contests/{cid}/parts/{pid}/sheets/{}/sign", teams[0]), Some(&judges[1].1), json!({}))
        .await;
    assert_eq!(st, StatusCode::OK);
    s.wait_text(&format!("{row0} td.score"), "72,5", 10).await;
    s.click("#release-all").await;
    s.wait_text(&format!("{row0} td.rel"), "Đã công bố", 5).await;
    s.shot("released").await;
    let (_, g) = app.get(&format!("/api/contests/{cid}/parts/{pid}/judging"), Some(&admin)).await;
    assert!(g["teams"].as_array().unwrap().iter().any(|t| t["team_id"] == teams[0] && t["released_at"].is_i64()));

    // Run live: the control room says the judges are marking, with no question to open.
    let (st, _) = app.post(&format!("/api/contests/{cid}/parts/{pid}/start"), Some(&admin), json!({})).await;
    assert_eq!(st, StatusCode::OK);
    s.goto(&format!("{}/console#/{cid}/live", app.addr)).await;
    s.wait_text("#live-judged", "đang chấm", 10).await;
    assert!(s.js("return document.querySelector('#live-next').disabled").await.as_bool().unwrap());
    s.shot("live-judged").await;
    s.quit().await;
}
