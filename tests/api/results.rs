//! Results that people keep, through the real server: publishing and unpublishing (with
//! the audit trail), the public results (JSON and the page with its Open Graph tags),
//! prizes with a tie at a prize boundary, and the score sheet (XLSX read back with
//! calamine and checked against the scoreboard, CSV with a byte order mark).
use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::spawn_app;
use crate::results_fixture::setup;

fn row_of(results: &Value, team: i64) -> &Value {
    results["rows"].as_array().unwrap().iter().find(|r| r["team_id"] == team).unwrap()
}

#[tokio::test]
async fn results_are_public_only_once_published_and_never_count_a_running_part() {
    let app = spawn_app().await;
    let w = setup(&app).await;
    let p = |i: usize, q: usize| w.questions[i][q].1;

    // Nothing is public before publication; nothing to publish before a part finishes.
    assert_eq!(w.public(&app).await.0, StatusCode::NOT_FOUND);
    let (s, html, csp) = w.page(&app).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(csp.contains("script-src 'self'"));
    assert!(!html.contains("Hội thi") || !html.contains("og:title"), "{html}");
    let (s, b) = w.post(&app, "/results/publish", json!({})).await;
    assert_eq!((s, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("no_results")), "{b}");

    // Part 1: team 1 right twice, team 2 once, team 3 never.
    w.run_part(&app, 0, [&[0, 1], &[0]]).await;
    let (s, b) = w.post(&app, "/results/publish", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["publication"]["actor"], "organiser:admin");
    let (s, r) = w.public(&app).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["parts"].as_array().unwrap().len(), 1);
    let ranks: Vec<(i64, i64, f64, Option<&str>)> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["team_id"].as_i64().unwrap(),
                x["rank"].as_i64().unwrap(),
                x["total"].as_f64().unwrap(),
                x["prize"]["name"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        ranks,
        vec![
            (w.teams[0], 1, p(0, 0) + p(0, 1), Some("Giải nhất")),
            (w.teams[1], 2, p(0, 0), Some("Giải nhì")),
            (w.teams[2], 3, 0.0, Some("Giải ba")),
        ]
    );
    let first = row_of(&r, w.teams[0]);
    assert_eq!(first["unit"], "Xã số 1");
    assert_eq!(first["members"], json!(["An", "Bình", "Chi"]));
    assert_eq!(first["cumulative"], json!([p(0, 0) + p(0, 1)]));
    let (s, html, _) = w.page(&app).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("<meta property=\"og:title\" content=\"Kết quả Hội thi &lt;img src=x onerror=alert(1)&gt; &quot;Đội&quot; &amp; &#39;co&#39;\">"), "{html}");
    assert!(html.contains("og:description\" content=\"Giải nhất: Đội 1."), "{html}");
    assert!(!html.contains("<img src=x"), "{html}");

    // Part 2 runs: publishing is refused and the public results stay as published, with
    // nothing of the running part, even once one of its questions is closed.
    w.control(&app, &format!("/parts/{}/start", w.parts[1])).await;
    w.ask(&app, 1, 0, &[2]).await;
    let (s, b) = w.post(&app, "/results/publish", json!({})).await;
    assert_eq!((s, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("part_running")), "{b}");
    let (_, again) = w.public(&app).await;
    assert_eq!(again, r);
    // The staff view already counts the closed question of the running part.
    let (s, staff) = app.get(&format!("/api/contests/{}/results", w.cid), Some(&w.admin)).await;
    assert_eq!(s, StatusCode::OK, "{staff}");
    assert_eq!(row_of(&staff["current"], w.teams[2])["total"], json!(2.0 * p(1, 0)));
    assert_eq!(staff["published"], r);

    // Finish part 2 with a tie for giải nhì and no tie-breaker: publishing needs confirmation.
    w.ask(&app, 1, 1, &[0]).await;
    w.control(&app, &format!("/parts/{}/finish", w.parts[1])).await;
    let (s, _) = app
        .request(
            Method::PUT,
            &format!("/api/contests/{}/tie-breakers", w.cid),
            Some(&w.admin),
            Some(json!({"tie_breakers": []})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // Team 2 (p(0,0)) gets what makes it level with team 3 (2·p(1,0)): a phúc khảo.
    let delta = 2.0 * p(1, 0) - p(0, 0);
    let (s, b) =
        w.post(&app, "/adjustments", json!({"team_id": w.teams[1], "delta": delta, "reason": "Phúc khảo câu 2"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let t1 = p(0, 0) + p(0, 1) + 2.0 * p(1, 1);
    let level = 2.0 * p(1, 0);
    assert!(t1 > level, "team 1 stays first");
    let (s, b) = w.post(&app, "/results/publish", json!({})).await;
    assert_eq!((s, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("prize_tie")), "{b}");
    let tie = &b["error"]["state"]["ties"][0];
    assert_eq!(
        (tie["rank"].as_i64(), tie["prize"].as_str(), tie["places"].as_i64()),
        (Some(2), Some("Giải nhì"), Some(1))
    );
    let (s, b) = w.post(&app, "/results/publish", json!({"confirm_ties": true})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, r) = w.public(&app).await;
    assert_eq!(r["parts"].as_array().unwrap().len(), 2);
    for t in [1, 2] {
        let row = row_of(&r, w.teams[t]);
        assert_eq!((row["rank"].as_i64(), row["total"].as_f64()), (Some(2), Some(level)), "{row}");
        assert_eq!(row["prize"], json!({"level": 1, "name": "Giải nhì", "shared": true, "pending": false}));
    }
    assert_eq!(row_of(&r, w.teams[2])["cumulative"], json!([0.0, level]));

    // Unpublish needs a reason, is audited, and takes everything public down.
    let (s, b) = w.post(&app, "/results/unpublish", json!({"reason": "  "})).await;
    assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("reason")), "{b}");
    let (s, _) = w.post(&app, "/results/unpublish", json!({"reason": "Chờ phúc khảo"})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(w.public(&app).await.0, StatusCode::NOT_FOUND);
    assert_eq!(w.page(&app).await.0, StatusCode::NOT_FOUND);
    let (s, b) = w.post(&app, "/results/unpublish", json!({"reason": "Lần nữa"})).await;
    assert_eq!((s, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_published")));
    let (_, audit) = app.get(&format!("/api/contests/{}/audit", w.cid), Some(&w.admin)).await;
    let actions: Vec<(&str, &Value)> =
        audit.as_array().unwrap().iter().map(|e| (e["action"].as_str().unwrap(), &e["detail"])).collect();
    assert_eq!(actions.iter().filter(|a| a.0 == "results_publish").count(), 2);
    let un = actions.iter().find(|a| a.0 == "results_unpublish").unwrap();
    assert_eq!(un.1["reason"], "Chờ phúc khảo");
    // An unknown contest is the same 404 as an unpublished one.
    assert_eq!(app.get("/api/public/contests/999999/results", None).await.0, StatusCode::NOT_FOUND);
}

fn num(d: &Data) -> Option<f64> {
    match d {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        _ => None,
    }
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn the_score_sheet_holds_the_scoreboard_as_numbers_and_the_csv_has_a_bom() {
    let app = spawn_app().await;
    let w = setup(&app).await;
    w.run_part(&app, 0, [&[0, 1], &[0, 2]]).await;
    w.run_part(&app, 1, [&[1], &[1, 2]]).await;
    let (s, b) = w
        .post(
            &app,
            "/adjustments",
            json!({"team_id": w.teams[2], "part_id": w.parts[0], "delta": -1.5, "reason": "Vi phạm quy chế"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, board) = app.get(&format!("/api/contests/{}/scoreboard", w.cid), Some(&w.admin)).await;
    let board = &board["board"];

    let res = app
        .client
        .get(format!("{}/api/contests/{}/results/scores.xlsx", app.addr, w.cid))
        .bearer_auth(&w.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains(".xlsx"));
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let names = wb.sheet_names().to_vec();
    assert_eq!(names, vec!["Tổng hợp", "Phần 1 - Khởi động", "Phần 2 - Tăng tốc", "Điều chỉnh"]);

    // Tổng hợp: every number equals the scoreboard's, in its order.
    let sum = wb.worksheet_range("Tổng hợp").unwrap();
    let head: Vec<String> = sum.rows().next().unwrap().iter().map(text).collect();
    assert_eq!(head, vec!["Hạng", "Đội", "Đơn vị", "Khởi động", "Tăng tốc", "Tổng điểm", "Giải"]);
    let rows: Vec<&[Data]> = sum.rows().skip(1).collect();
    let brows = board["rows"].as_array().unwrap();
    assert_eq!(rows.len(), brows.len());
    let mut part_score: HashMap<(String, i64), f64> = HashMap::new();
    for (x, b) in rows.iter().zip(brows) {
        assert_eq!(num(&x[0]), b["rank"].as_f64(), "rank is a number");
        assert_eq!(text(&x[1]), b["team_name"].as_str().unwrap());
        for (i, ps) in b["parts"].as_array().unwrap().iter().enumerate() {
            assert_eq!(num(&x[3 + i]), ps["score"].as_f64(), "{b}");
            part_score.insert((text(&x[1]), ps["part_id"].as_i64().unwrap()), ps["score"].as_f64().unwrap());
        }
        assert_eq!(num(&x[5]), b["total"].as_f64());
    }
    assert_eq!(text(&rows[0][6]), "Giải nhất");

    // Each part sheet: the points per question plus the adjustment make the part score;
    // right answers earn the question's points.
    for (pi, name) in [(0usize, "Phần 1 - Khởi động"), (1, "Phần 2 - Tăng tốc")] {
        let r = wb.worksheet_range(name).unwrap();
        let head: Vec<String> = r.rows().next().unwrap().iter().map(text).collect();
        assert_eq!(head, vec!["Hạng", "Đội", "Câu 1", "Câu 2", "Điều chỉnh", "Điểm phần thi"]);
        for x in r.rows().skip(1) {
            let team = text(&x[1]);
            let q: Vec<f64> = x[2..4].iter().map(|d| num(d).unwrap_or(0.0)).collect();
            let adj = num(&x[4]).unwrap_or(0.0);
            let score = num(&x[5]).unwrap();
            assert!((q.iter().sum::<f64>() + adj - score).abs() < 0.005, "{name} {team}");
            assert_eq!(score, part_score[&(team.clone(), w.parts[pi])], "{name} {team}");
            for (qi, v) in q.iter().enumerate() {
                assert!(*v == 0.0 || *v == w.questions[pi][qi].1, "{name} {team} {v}");
            }
        }
    }
    let adj = wb.worksheet_range("Điều chỉnh").unwrap();
    let rows: Vec<&[Data]> = adj.rows().skip(1).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (text(&rows[0][2]), text(&rows[0][3]), num(&rows[0][4])),
        ("Đội 3".into(), "Khởi động".into(), Some(-1.5))
    );
    assert_eq!(text(&rows[0][7]), "Vi phạm quy chế");
    assert_eq!(text(&rows[0][8]), "admin");
    assert!(num(&rows[0][5]).is_some() && num(&rows[0][6]).is_some());
    assert_eq!(num(&rows[0][6]).unwrap() - num(&rows[0][5]).unwrap(), -1.5);

    // CSV: UTF-8 with a BOM, the same header; unknown tables are 404.
    let res = app
        .client
        .get(format!("{}/api/contests/{}/results/tong-hop.csv", app.addr, w.cid))
        .bearer_auth(&w.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let body = res.bytes().await.unwrap();
    assert!(body.starts_with(b"\xEF\xBB\xBF"));
    let s = String::from_utf8(body[3..].to_vec()).unwrap();
    assert!(s.starts_with("Hạng,Đội,Đơn vị,Khởi động,Tăng tốc,Tổng điểm,Giải\n"), "{s}");
    for key in ["phan-1", "phan-2", "dieu-chinh"] {
        let (st, _) = app.get(&format!("/api/contests/{}/results/{key}.csv", w.cid), Some(&w.admin)).await;
        assert_eq!(st, StatusCode::OK, "{key}");
    }
    let (st, _) = app.get(&format!("/api/contests/{}/results/khong-co.csv", w.cid), Some(&w.admin)).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // The staff view lists the tables, the adjustments and the judges.
    let (_, staff) = app.get(&format!("/api/contests/{}/results", w.cid), Some(&w.admin)).await;
    let keys: Vec<&str> = staff["tables"].as_array().unwrap().iter().map(|t| t["key"].as_str().unwrap()).collect();
    assert_eq!(keys, vec!["tong-hop", "phan-1", "phan-2", "dieu-chinh"]);
    assert_eq!(staff["adjustments"][0]["reason"], "Vi phạm quy chế");
    assert!(staff["publication"].is_null());
}

/// A judged part's sheet holds every judge's mark on every criterion and their total, the
/// combined score and the rule that combined them, all equal to the judging grid's.
#[tokio::test]
async fn the_score_sheet_of_a_judged_part_holds_each_judges_marks_and_the_combined_score() {
    let app = spawn_app().await;
    let w = crate::judging::judged_world(&app, 5, 2, "trimmed_mean", 0.0).await;
    let (a, b) = (w.teams[0], w.teams[1]);
    // Team A totals 70, 80, 85.5, 90, 99 → (80 + 85.5 + 90) / 3 = 85.17; team B 60…68 → 64.
    let sheets_a = [[40.0, 20.0, 10.0], [45.0, 20.0, 15.0], [45.5, 25.0, 15.0], [50.0, 25.0, 15.0], [50.0, 30.0, 19.0]];
    let sheets_b =
        [[30.0, 20.0, 10.0], [31.0, 21.0, 10.0], [32.0, 22.0, 10.0], [33.0, 23.0, 10.0], [34.0, 24.0, 10.25]];
    for j in 0..5 {
        w.mark_all(&app, j, a, sheets_a[j]).await;
        w.mark_all(&app, j, b, sheets_b[j]).await;
        assert_eq!(w.sign(&app, j, a).await.0, StatusCode::OK);
        assert_eq!(w.sign(&app, j, b).await.0, StatusCode::OK);
    }
    let grid = w.grid(&app, &w.admin).await;

    let res = app
        .client
        .get(format!("{}/api/contests/{}/results/scores.xlsx", app.addr, w.contest))
        .bearer_auth(&w.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let name = "Phần 1 - Phần thi sân khấu hóa";
    assert!(wb.sheet_names().iter().any(|n| n == name), "{:?}", wb.sheet_names());
    let r = wb.worksheet_range(name).unwrap();
    let rows: Vec<&[Data]> = r.rows().collect();
    let head: Vec<String> = rows[0].iter().map(text).collect();
    let criteria = ["Nội dung (50)", "Hình thức (30)", "Thời gian (20)"];
    let judges = grid["judges"].as_array().unwrap();
    assert_eq!(judges.len(), 5);
    let mut expected = vec!["Hạng".to_owned(), "Đội".to_owned()];
    for j in judges {
        let jn = j["name"].as_str().unwrap();
        expected.extend(criteria.iter().map(|c| format!("{jn}: {c}")));
        expected.push(format!("{jn}: Tổng"));
    }
    expected.extend(["Điểm tổng hợp", "Điều chỉnh", "Điểm phần thi"].map(String::from));
    assert_eq!(head, expected);

    let teams = grid["teams"].as_array().unwrap();
    let mut seen = 0;
    for x in &rows[1..] {
        let Some(t) = teams.iter().find(|t| t["name"].as_str() == Some(text(&x[1]).as_str())) else { continue };
        seen += 1;
        for (ji, j) in judges.iter().enumerate() {
            let sheet = t["sheets"].as_array().unwrap().iter().find(|s| s["judge_id"] == j["id"]).unwrap();
            let col = 2 + ji * 4;
            for c in 0..3 {
                assert_eq!(num(&x[col + c]), sheet["marks"][c].as_f64(), "{} judge {ji} criterion {c}", t["name"]);
            }
            assert_eq!(num(&x[col + 3]), sheet["total"].as_f64(), "{} judge {ji} total", t["name"]);
        }
        assert_eq!(num(&x[22]), t["score"].as_f64(), "{} combined", t["name"]);
        assert_eq!(num(&x[24]), t["score"].as_f64(), "{} part score", t["name"]);
    }
    assert_eq!(seen, 2, "a row per team");
    // The numbers themselves, not only their agreement with the grid.
    let score_of = |id: i64| teams.iter().find(|t| t["team_id"] == id).unwrap()["score"].as_f64();
    assert_eq!((score_of(a), score_of(b)), (Some(85.17), Some(64.0)));
    let a_row = rows.iter().find(|x| text(&x[1]) == "Thị trấn Ngã Sáu").unwrap();
    assert_eq!(num(&a_row[2 + 2 * 4]), Some(45.5));
    assert_eq!(num(&a_row[2 + 4 * 4 + 3]), Some(99.0));
    assert_eq!(num(&a_row[22]), Some(85.17));
    // The rule, below the table.
    let note = rows.iter().map(|x| text(&x[0])).find(|s| s.starts_with("Cách tính")).unwrap();
    assert!(note.contains("Trung bình cộng sau khi bỏ điểm cao nhất và thấp nhất (5 giám khảo)"), "{note}");

    // The CSV of the part has the same marks and the rule as its last record.
    let csv = app
        .client
        .get(format!("{}/api/contests/{}/results/phan-1.csv", app.addr, w.contest))
        .bearer_auth(&w.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    let body = csv.text().await.unwrap();
    assert!(body.lines().last().unwrap().starts_with("Cách tính điểm tổng hợp: Trung bình cộng sau khi bỏ"), "{body}");
    assert!(body.contains(",45.5,"), "{body}");
}
