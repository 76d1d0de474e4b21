//! The screens around the judged and buzzer parts and the contest's ending, in real
//! browsers: the team on stage and the release moment (console → projector and phones),
//! the judge's Đúng / Sai during a buzzer part, and the console's prize scheme (with "the
//! remaining teams") and tie-break part fields.
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::buzzer::press;
use crate::fixtures::{create_contest, create_part, create_team};
use crate::harness::{self, Screen};
use crate::helpers::{ADMIN_PASSWORD, ADMIN_USER, TestApp, spawn_app};

/// A judge account assigned to the contest: (judge id, token, username).
async fn judge(app: &TestApp, admin: &str, cid: i64, i: usize) -> (i64, String, String) {
    let username = format!("giamkhao{i}");
    let (s, u) = app
        .post(
            "/api/users",
            Some(admin),
            json!({"username": username, "password": "mat-khau-giam-khao", "role": "judge"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    let (s, j) = app
        .post(
            &format!("/api/contests/{cid}/judges"),
            Some(admin),
            json!({"user_id": u["id"], "name": format!("Giám khảo {i}")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{j}");
    (j["id"].as_i64().unwrap(), app.login(&username, "mat-khau-giam-khao").await, username)
}

async fn console(app: &TestApp, test: &str, at: &str) -> Screen {
    let s = Screen::wide(test, "console").await;
    s.sign_in(&app.addr, ADMIN_USER, ADMIN_PASSWORD, "/console").await;
    s.goto(&format!("{}/console#{at}", app.addr)).await;
    s
}

/// Waits until the entrance animations have played (looping ones aside), for a fair screenshot.
async fn settle(s: &Screen) {
    s.wait_js(
        "return document.getAnimations().every(a => a.playState !== 'running' || a.effect.getTiming().iterations === Infinity)",
        5,
    )
    .await;
}

async fn phone(app: &TestApp, test: &str, name: &str, code: &str, who: &str) -> Screen {
    let p = Screen::phone(test, name).await;
    p.join(&app.addr, code, who).await;
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_projector_and_phones_show_the_team_on_stage_and_each_released_score_as_a_moment() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let cid = create_contest(&app, &admin, "Hội thi tìm hiểu chuyên đề năm 2025").await;
    let mut teams = Vec::new();
    for name in ["Thị trấn Ngã Sáu", "Xã Phú Hữu", "Xã Đông Phước"] {
        let (id, code) = create_team(&app, &admin, cid, name).await;
        teams.push((id, name.to_owned(), code));
    }
    let pid = create_part(
        &app,
        &admin,
        cid,
        json!({"kind": "judged", "title": "Phần thi sân khấu hóa", "max_points": 100,
               "rubric": {"criteria": [{"name": "Nội dung kịch bản", "max_points": 50},
                                       {"name": "Diễn xuất, trang phục, đạo cụ", "max_points": 30},
                                       {"name": "Thời gian và ấn tượng chung", "max_points": 20}],
                          "aggregate": "mean", "gap_threshold": 0}}),
    )
    .await;
    let judges = [judge(&app, &admin, cid, 1).await, judge(&app, &admin, cid, 2).await];
    let (s, order) =
        app.post(&format!("/api/contests/{cid}/parts/{pid}/order"), Some(&admin), json!({"seed": 7})).await;
    assert_eq!(s, StatusCode::OK, "{order}");
    let drawn: Vec<(i64, String, String)> = order["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| teams.iter().find(|x| x.0 == t["team_id"].as_i64().unwrap()).unwrap().clone())
        .collect();
    let (first, second) = (drawn[0].clone(), drawn[1].clone());
    let (s, st) = app.post(&format!("/api/contests/{cid}/parts/{pid}/start"), Some(&admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{st}");

    let (_, link) = app.post(&format!("/api/contests/{cid}/projector"), Some(&admin), json!({})).await;
    let p = Screen::wide("judged-stage", "projector").await;
    p.goto(&format!("{}{}", app.addr, link["path"].as_str().unwrap())).await;
    let one = phone(&app, "judged-stage", "phone-first", &first.2, "Ngọc").await;
    let two = phone(&app, "judged-stage", "phone-second", &second.2, "Tâm").await;
    let con = console(&app, "judged-stage", &format!("/{cid}/live")).await;

    // Before anyone performs: the board, inviting the teams to get ready.
    p.wait_text("#board-sub", "chuẩn bị lên sân khấu", 10).await;
    con.wait_text("#stage-next", "Mời đội đầu tiên lên sân khấu", 10).await;
    con.wait_text("#stage-next", &first.1, 5).await;
    con.shot("1-before").await;

    // N calls the first team of the draw: the projector, both phones and the console show it.
    con.js("document.activeElement && document.activeElement.blur(); return true").await;
    con.js("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'n'})); return true").await;
    p.wait_text("#stage-name", &first.1, 10).await;
    p.wait_text("#stage-slot", "Tiết mục 1/3", 5).await;
    assert_eq!(p.js("return document.querySelector('#stage-kicker').textContent").await, json!("Đang biểu diễn"));
    settle(&p).await;
    p.shot("2-on-stage").await;
    one.wait_text("#on-stage-name", "Đội bạn đang biểu diễn", 10).await;
    settle(&one).await;
    one.shot("2-our-turn").await;
    two.wait_text("#on-stage-name", &first.1, 10).await;
    settle(&two).await;
    two.shot("2-other-team").await;
    con.wait_text("#stage-now-name", &first.1, 5).await;
    con.wait_text("#stage-next", &second.1, 5).await;
    con.shot("2-first-on-stage").await;

    // The next team: clicking the button.
    con.click("#stage-next").await;
    p.wait_text("#stage-name", &second.1, 10).await;
    two.wait_text("#on-stage-name", "Đội bạn đang biểu diễn", 10).await;
    one.wait_text("#on-stage-name", &second.1, 10).await;
    let (_, audit) = app.get(&format!("/api/contests/{cid}/audit"), Some(&admin)).await;
    let calls: Vec<&Value> = audit.as_array().unwrap().iter().filter(|e| e["action"] == "judged_performing").collect();
    assert_eq!(calls.len(), 2, "{audit}");

    // The judges sign the first team (85.5 and 84.84: 85,17); the console releases it.
    for (j, marks) in [(0, [45.5, 25.0, 15.0]), (1, [44.84, 25.0, 15.0])] {
        for (c, points) in marks.iter().enumerate() {
            let path = format!("/api/contests/{cid}/parts/{pid}/sheets/{}/marks/{c}", first.0);
            let (s, b) =
                app.request(reqwest::Method::PUT, &path, Some(&judges[j].1), Some(json!({"points": points}))).await;
            assert_eq!(s, StatusCode::OK, "{b}");
        }
        let (s, _) = app
            .post(&format!("/api/contests/{cid}/parts/{pid}/sheets/{}/sign", first.0), Some(&judges[j].1), json!({}))
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    let row = format!("#stage-list li[data-team=\"{}\"]", first.0);
    con.wait_text(&row, "85,17", 10).await;
    con.shot("3-score-ready").await;
    // Nothing of it on the projector before the release.
    assert_eq!(p.js("return document.querySelector('#release-card') === null").await, json!(true));
    con.click(&format!("{row} .stage-release")).await;
    p.wait_text("#release-name", &first.1, 10).await;
    p.wait_js("return document.querySelector('#release-score.done')", 10).await;
    assert_eq!(p.text("#release-score").await, "85,17");
    p.wait_text("#scene-release", "điểm", 1).await;
    settle(&p).await;
    p.shot("4-release-moment").await;
    con.wait_text(&row, "Đã công bố", 5).await;
    con.shot("4-released").await;
    // Then the screen goes back to the team on stage.
    p.wait_text("#stage-name", &second.1, 15).await;
    settle(&p).await;
    p.shot("5-back-on-stage").await;

    // The part finishes: the phones leave the stage, the projector shows the board with the score.
    let (s, _) = app.post(&format!("/api/contests/{cid}/parts/{pid}/finish"), Some(&admin), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    p.wait_text("#board", &first.1, 10).await;
    p.wait_text("#board", "85,17", 10).await;
    settle(&p).await;
    p.shot("6-board").await;
    one.wait_js("return !document.querySelector('#on-stage')", 10).await;
    for s in [p, one, two, con] {
        s.quit().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_judge_marks_the_team_with_the_floor_right_or_wrong_with_big_buttons() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let cid = create_contest(&app, &admin, "Hội thi Rung chuông tri thức 2025").await;
    let pid = create_part(
        &app,
        &admin,
        cid,
        json!({"kind": "buzzer", "title": "Phần thi Giành quyền trả lời", "max_points": 100, "weight": 1,
               "time_per_question_s": 0, "scoring": {"wrong_penalty": 5, "buzzer": {"steal_s": 0, "false_start_lockout_s": 3}}}),
    )
    .await;
    let csv = "Mã câu hỏi,Phần,Loại,Độ khó,Điểm,Thời gian (giây),Câu hỏi,Phương án A,Phương án B,Phương án C,Phương án D,Đáp án,Giải thích\n\
        gq-1,phan-1,single,1,10,40,Đại hội đại biểu toàn quốc lần thứ XIII của Đảng xác định mấy đột phá chiến lược?,Hai,Ba,Bốn,Năm,B,\n";
    let (s, b) = app.post_raw("/api/banks/import?bank=gianh-quyen&format=csv", &admin, "text/csv", csv.into()).await;
    assert_eq!(s.as_u16(), 201, "{b}");
    let (_, qs) = app.get(&format!("/api/banks/{}/questions", b["bank_id"]), Some(&admin)).await;
    let ids: Vec<i64> = qs.as_array().unwrap().iter().map(|q| q["id"].as_i64().unwrap()).collect();
    crate::fixtures::set_part_questions(&app, &admin, cid, pid, &ids).await;
    let mut sockets = Vec::new();
    let mut names = Vec::new();
    for name in ["Xã Tân Phú Thạnh", "Thị trấn Mái Dầm"] {
        let (id, code) = create_team(&app, &admin, cid, name).await;
        let j = crate::fixtures::join(&app, &code, "Bảo").await;
        sockets.push(app.ws(j["token"].as_str().unwrap()).await);
        names.push((id, name.to_owned()));
    }
    let (_, _, username) = judge(&app, &admin, cid, 1).await;
    let (s, b) = app.post(&format!("/api/contests/{cid}/parts/{pid}/start"), Some(&admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{b}");

    let s = Screen::wide("judge-buzzer", "judge").await;
    let _ = s
        .driver
        .cdp()
        .send_raw(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": 1366, "height": 900, "deviceScaleFactor": 1, "mobile": false }),
        )
        .await;
    s.sign_in(&app.addr, &username, "mat-khau-giam-khao", "/judge").await;

    // The question is shown: nobody has the floor, the buttons wait.
    let control = |what: &str| format!("/api/contests/{cid}/live/{what}");
    let (_, st) = app.post(&control("next"), Some(&admin), json!({})).await;
    let q = st["buzzer"]["question_id"].as_i64().unwrap();
    s.wait_text("#jb-floor", "Chưa đội nào giành quyền trả lời", 10).await;
    assert_eq!(s.js("return document.querySelector('#jb-right').disabled").await, json!(true));
    s.shot("1-waiting").await;

    // Team A takes the floor: its name, large, and the buttons.
    app.post(&control("buzzer/open"), Some(&admin), json!({})).await;
    let first = press(&mut sockets[0], q).await;
    assert_eq!(first["buzz"]["place"], 1, "{first}");
    s.wait_text("#jb-floor-name", &names[0].1, 10).await;
    s.wait_js("return !document.querySelector('#jb-wrong').disabled", 5).await;
    s.shot("2-floor").await;
    s.click("#jb-wrong").await;
    s.wait_text("#jb-msg", &format!("Đã chấm {}: Sai.", names[0].1), 5).await;
    s.wait_text("#jb-marks", "−5", 5).await;
    s.shot("3-marked-wrong").await;

    // The steal: team B takes the floor; the judge's network drops as they mark: the
    // refusal is said beside the buttons, and the mark goes once the network is back.
    app.post(&control("buzzer/open"), Some(&admin), json!({})).await;
    let steal = press(&mut sockets[1], q).await;
    assert_eq!(steal["buzz"]["place"], 1, "{steal}");
    s.wait_text("#jb-floor-name", &names[1].1, 10).await;
    s.offline(true).await;
    s.click("#jb-right").await;
    s.wait_text("#jb-msg", "kết nối", 10).await;
    s.shot("4-offline-refused").await;
    s.offline(false).await;
    s.wait_js("return !document.querySelector('#jb-right').disabled", 10).await;
    s.click("#jb-right").await;
    s.wait_text("#jb-msg", &format!("Đã chấm {}: Đúng.", names[1].1), 10).await;
    s.wait_text("#jb-phase", "Câu hỏi đã kết thúc", 5).await;
    s.shot("5-marked-right").await;

    // The marks are the judge's: stored and on the board.
    let (_, audit) = app.get(&format!("/api/contests/{cid}/audit"), Some(&admin)).await;
    let marks: Vec<&Value> = audit.as_array().unwrap().iter().filter(|e| e["action"] == "buzzer_mark").collect();
    assert_eq!(marks.len(), 2, "{audit}");
    assert!(marks.iter().all(|e| e["actor"].as_str().unwrap().starts_with("judge:")), "{marks:?}");
    let (_, board) = app.get(&format!("/api/contests/{cid}/scoreboard"), Some(&admin)).await;
    let total = |t: i64| {
        board["board"]["rows"].as_array().unwrap().iter().find(|r| r["team_id"] == t).unwrap()["total"].as_f64()
    };
    assert_eq!((total(names[0].0), total(names[1].0)), (Some(-5.0), Some(10.0)));
    s.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organiser_sets_a_prize_scheme_for_the_remaining_teams_and_a_tie_break_part_for_the_tied() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let cid = create_contest(&app, &admin, "Hội thi tìm hiểu chuyên đề năm 2025").await;
    let mut teams = Vec::new();
    for (name, points) in
        [("Thị trấn Ngã Sáu", 30.0), ("Xã Phú Hữu", 30.0), ("Xã Đông Phước", 20.0), ("Xã Phú Tân", 10.0)]
    {
        let (id, _) = create_team(&app, &admin, cid, name).await;
        let (s, b) = app
            .post(
                &format!("/api/contests/{cid}/adjustments"),
                Some(&admin),
                json!({"team_id": id, "delta": points, "reason": "Điểm phần thi viết"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        teams.push((id, name));
    }

    // The prize scheme: the last level takes every remaining team.
    let con = console(&app, "console-awards", &format!("/{cid}/overview")).await;
    con.wait_js("return document.querySelectorAll('#prize-rows .prize-row').length === 4", 10).await;
    con.js("document.querySelector('#prize-card').scrollIntoView(); return true").await;
    con.click("#prize-rows .prize-row:last-child .pz-rest").await;
    assert_eq!(
        con.js("return document.querySelector('#prize-rows .prize-row:last-child .pz-count').disabled").await,
        json!(true)
    );
    con.wait_text("#prize-preview", "Từ hạng 5: Giải khuyến khích", 5).await;
    // A level without a name is refused beside its field.
    con.fill("#prize-rows .prize-row:nth-child(2) .pz-name", " ").await;
    con.click("#prize-save").await;
    con.wait_text("#prize-rows .prize-row:nth-child(2) .field-error", "Hãy nhập tên giải", 5).await;
    con.shot("1-prize-refused").await;
    con.fill("#prize-rows .prize-row:nth-child(2) .pz-name", "Giải nhì").await;
    con.click("#prize-save").await;
    con.wait_text("#prize-msg", "Đã lưu cơ cấu giải", 5).await;
    con.shot("2-prize-saved").await;
    let (_, c) = app.get(&format!("/api/contests/{cid}"), Some(&admin)).await;
    assert_eq!(
        c["prize_scheme"],
        json!([{"name": "Giải nhất", "count": 1}, {"name": "Giải nhì", "count": 1}, {"name": "Giải ba", "count": 2},
               {"name": "Giải khuyến khích", "count": 0, "rest": true}])
    );

    // A tie-break part for the two teams level on top, as a buzzer part.
    con.goto(&format!("{}/console#/{cid}/parts", app.addr)).await;
    con.click("#part-new").await;
    con.fill("#part-title", "Câu hỏi phụ").await;
    con.js("const k = document.querySelector('#part-kind'); k.value = 'buzzer'; k.dispatchEvent(new Event('change')); return true").await;
    con.click("#part-tiebreak-on").await;
    con.wait_text("#tiebreak-ties", "Hạng 1: Thị trấn Ngã Sáu, Xã Phú Hữu", 5).await;
    // One team is not a tie-break.
    con.click(&format!("#tiebreak-teams label[data-team=\"{}\"]", teams[0].0)).await;
    con.click("#part-save").await;
    con.wait_text("#part-tiebreak .field-error", "ít nhất hai đội", 5).await;
    con.shot("3-tiebreak-refused").await;
    con.click("#tiebreak-ties .tb-pick").await;
    con.shot("4-tiebreak-chosen").await;
    con.click("#part-save").await;
    con.wait_text("#part-list", "Câu hỏi phụ", 10).await;
    let (_, parts) = app.get(&format!("/api/contests/{cid}/parts"), Some(&admin)).await;
    let part = parts.as_array().unwrap().iter().find(|p| p["title"] == "Câu hỏi phụ").unwrap();
    assert_eq!(part["kind"], "buzzer");
    let mut tied = vec![teams[0].0, teams[1].0];
    tied.sort();
    assert_eq!(part["tie_break_teams"], json!(tied));
    con.wait_js("return document.querySelector('#part-tiebreak-on').checked", 5).await;
    con.shot("5-tiebreak-saved").await;
    con.quit().await;
}
