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
    s.goto(&format!("{}/", app.addr)).await;
    s.fill("#u", "giamkhao1").await;
    s.fill("#p", "mat-khau-giam-khao").await;
    s.click("#login button").await;
    s.wait_js("return location.pathname === '/judge'", 10).await;
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
    assert!(s.text("#sheet-table").await.contains("Diễn xuất, trang phục, đạo cụ"));
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
