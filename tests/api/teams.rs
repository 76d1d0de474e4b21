//! Team lists (pasted lines, XLSX), QR codes and cards, captains, and the per-IP limit on
//! wrong join codes.
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::fixtures::{create_contest, create_team, join};
use crate::helpers::{TestApp, spawn_app};

async fn team_names(app: &TestApp, token: &str, contest: i64) -> Vec<String> {
    let (_, teams) = app.get(&format!("/api/contests/{contest}/teams"), Some(token)).await;
    teams.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn pasted_lines_add_many_teams_or_none() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contest = create_contest(&app, &admin, "Hội thi").await;
    let path = format!("/api/contests/{contest}/teams/bulk");
    let text = "Thị trấn Ngã Sáu\tĐảng ủy thị trấn Ngã Sáu\tNguyễn An, Lê Bình*, Trần Chi\n\
                \n\
                Xã Phú Hữu | Đảng ủy xã Phú Hữu | Võ Dũng\n\
                Xã Đông Phú; Đảng ủy xã Đông Phú\n";
    let (s, b) = app.post_raw(&path, &admin, "text/plain; charset=utf-8", text.as_bytes().to_vec()).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let made = b.as_array().unwrap();
    assert_eq!(made.len(), 3);
    assert_eq!(made[0]["unit"], "Đảng ủy thị trấn Ngã Sáu");
    assert_eq!(made[0]["members"][1], json!({"name": "Lê Bình", "captain": true}));
    assert_eq!(made[2]["members"], json!([]));

    // A bad line refuses the whole list and names the line.
    let (s, b) = app.post_raw(&path, &admin, "text/plain", "Xã Mới\n | Không tên\n".as_bytes().to_vec()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(b["error"]["field"], "line 2");
    assert_eq!((&b["error"]["reason"], &b["error"]["params"]), (&json!("empty_team_name"), &json!({})), "{b}");
    let (_, b) = app.post_raw(&path, &admin, "text/plain", "A;b;An*, Bình*\nB|c|d|e\n".as_bytes().to_vec()).await;
    assert_eq!((&b["error"]["field"], &b["error"]["reason"]), (&json!("line 1"), &json!("two_captains")), "{b}");
    // A name already in the contest, or twice in the list: 409 naming it, nothing added.
    let (s, b) = app.post(&path, Some(&admin), json!({"lines": ["Xã Mới", "xã phú hữu"]})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("xã phú hữu"), "{b}");
    let (s, b) = app.post(&path, Some(&admin), json!({"lines": ["Xã Mới", "Xã Khác", "XÃ MỚI"]})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("lines[0]"), "{b}");
    assert_eq!(b["error"]["reason"], "duplicate_team", "{b}");
    assert_eq!(b["error"]["params"], json!({"name": "XÃ MỚI", "at": "lines[2]", "first": "lines[0]"}), "{b}");
    let (s, b) = app.post(&path, Some(&admin), json!({"lines": ["A", 3]})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"]["field"], "lines[1]");
    assert_eq!(team_names(&app, &admin, contest).await, ["Thị trấn Ngã Sáu", "Xã Phú Hữu", "Xã Đông Phú"]);
    // JSON lines work too.
    let (s, b) = app.post(&path, Some(&admin), json!({"lines": ["Xã Mới | Đảng ủy xã Mới | An*, Bình"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // Over 64 KB: 413.
    let big = "Đội\n".repeat(20_000);
    let (s, _) = app.post_raw(&path, &admin, "text/plain", big.into_bytes()).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(team_names(&app, &admin, contest).await.len(), 4);
}

fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[tokio::test]
async fn an_xlsx_list_adds_teams_and_a_bad_row_is_named() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contest = create_contest(&app, &admin, "Hội thi").await;
    let path = format!("/api/contests/{contest}/teams/import");
    let good = xlsx(&[
        &["STT", "Tên đội", "Đơn vị", "Thành viên", "Đội trưởng"],
        &["1", "Thị trấn Ngã Sáu", "Đảng ủy thị trấn Ngã Sáu", "Nguyễn An, Lê Bình", "Lê Bình"],
        &["2", "Xã Phú Hữu", "Đảng ủy xã Phú Hữu", "Võ Dũng*, Hồ Em", ""],
    ]);
    let (s, b) = app.post_raw(&path, &admin, XLSX, good).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b[0]["members"][1]["captain"], true);
    assert_eq!(b[1]["members"][0], json!({"name": "Võ Dũng", "captain": true}));

    let bad = xlsx(&[
        &["Tên đội", "Đơn vị", "Thành viên", "Đội trưởng"],
        &["Xã Đông Phú", "Đảng ủy xã Đông Phú", "An", ""],
        &["Xã Đông Thạnh", "", "An, Bình", "Chi"],
    ]);
    let (s, b) = app.post_raw(&path, &admin, XLSX, bad).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(b["error"]["field"], "row 3.captain");
    let (s, b) = app.post_raw(&path, &admin, XLSX, b"not a spreadsheet".to_vec()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(b["error"]["field"], "file");
    assert_eq!(team_names(&app, &admin, contest).await, ["Thị trấn Ngã Sáu", "Xã Phú Hữu"]);
}

#[tokio::test]
async fn qr_code_and_printable_cards_carry_the_join_url() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contest = create_contest(&app, &admin, "Hội thi tìm hiểu").await;
    let (team, code) = create_team(&app, &admin, contest, "Thị trấn Ngã Sáu").await;
    let res = app
        .client
        .get(format!("{}/api/contests/{contest}/teams/{team}/qr.svg", app.addr))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
    let svg = res.text().await.unwrap();
    assert!(svg.contains("<svg"), "{svg}");
    let res =
        app.client.get(format!("{}/api/contests/{contest}/cards", app.addr)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains("Thị trấn Ngã Sáu") && html.contains(&code), "{html}");
    assert!(html.contains("Mã tham gia") && html.contains("@media print"));
    assert!(html.contains(&format!("127.0.0.1:{}/join", app.port)), "the join URL uses the request's host");
    assert_eq!(html.matches("<svg").count(), 1);
    assert!(!html.contains("<?xml"));
}

#[tokio::test]
async fn the_organiser_names_the_captain_when_so_configured() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contest = create_contest(&app, &admin, "Hội thi").await;
    let (s, _) = app
        .request(
            Method::PATCH,
            &format!("/api/contests/{contest}"),
            Some(&admin),
            Some(json!({"captain_policy": "organiser"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, t) = app
        .post(
            &format!("/api/contests/{contest}/teams"),
            Some(&admin),
            json!({"name": "Đội A", "members": ["Nguyễn An", "Lê Bình"], "captain": "Lê Bình"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let code = t["code"].as_str().unwrap();
    let an = join(&app, code, "Nguyễn An").await;
    assert_eq!(an["is_captain"], false, "the first to join is not captain under this policy");
    let binh = join(&app, code, "le binh").await;
    assert_eq!(binh["is_captain"], true, "the named captain is recognised without diacritics");
    // The organiser can hand the captaincy to someone else.
    let (s, x) = app
        .request(
            Method::PUT,
            &format!("/api/contests/{contest}/contestants/{}/captain", an["contestant_id"]),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{x}");
    assert_eq!(x["is_captain"], true);
    let (_, me) = app.get("/api/me", binh["token"].as_str()).await;
    assert_eq!(me["is_captain"], false);
    let (_, me) = app.get("/api/me", an["token"].as_str()).await;
    assert_eq!(me["is_captain"], true);
}

#[tokio::test]
async fn team_changes_and_deletion() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contest = create_contest(&app, &admin, "Hội thi").await;
    let (a, _) = create_team(&app, &admin, contest, "Đội A").await;
    let (b, _) = create_team(&app, &admin, contest, "Đội B").await;
    let path = format!("/api/contests/{contest}/teams/{a}");
    let (s, t) =
        app.request(Method::PATCH, &path, Some(&admin), Some(json!({"unit": "Xã Mới", "captain": "Chi"}))).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["unit"], "Xã Mới");
    assert_eq!(t["members"][2], json!({"name": "Chi", "captain": true}));
    // New members: the captain stays if still a member, and is dropped quietly if not.
    let (s, t) = app.request(Method::PATCH, &path, Some(&admin), Some(json!({"members": ["Chi", "Dũng"]}))).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["members"], json!([{"name": "Chi", "captain": true}, {"name": "Dũng", "captain": false}]));
    let (s, t) = app.request(Method::PATCH, &path, Some(&admin), Some(json!({"members": ["An", "Dũng"]}))).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["members"], json!([{"name": "An", "captain": false}, {"name": "Dũng", "captain": false}]));
    let (s, e) = app.request(Method::PATCH, &path, Some(&admin), Some(json!({"name": "Đội B"}))).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    let (s, _) = app.request(Method::DELETE, &format!("/api/contests/{contest}/teams/{b}"), Some(&admin), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(team_names(&app, &admin, contest).await, ["Đội A"]);
}

#[tokio::test]
async fn organisers_may_choose_or_renew_join_codes_and_duplicates_are_409() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contest = create_contest(&app, &admin, "Hội thi").await;
    let teams = format!("/api/contests/{contest}/teams");
    let (s, a) = app.post(&teams, Some(&admin), json!({"name": "Đội A", "code": "ngs-234"})).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["code"], "NGS234");
    let other = create_contest(&app, &admin, "Hội thi khác").await;
    let (s, b) = app
        .post(&format!("/api/contests/{other}/teams"), Some(&admin), json!({"name": "Đội B", "code": "NGS234"}))
        .await;
    assert_eq!((s, b["error"]["code"].as_str().unwrap()), (StatusCode::CONFLICT, "already_exists"), "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("NGS234"));
    let (s, b) = app.post(&teams, Some(&admin), json!({"name": "Đội C", "code": "ABC0O1"})).await;
    assert_eq!((s, b["error"]["field"].as_str().unwrap()), (StatusCode::BAD_REQUEST, "code"));
    let (_, c) = app.post(&teams, Some(&admin), json!({"name": "Đội C"})).await;
    let (s, b) = app
        .request(Method::PATCH, &format!("{teams}/{}", c["id"]), Some(&admin), Some(json!({"code": "NGS234"})))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");

    let joined = join(&app, "NGS234", "An").await;
    let (s, renewed) = app.post(&format!("{teams}/{}/code", a["id"]), Some(&admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{renewed}");
    let fresh = renewed["code"].as_str().unwrap();
    assert_ne!(fresh, "NGS234");
    let (s, _) = app.post("/api/join", None, json!({"code": "NGS234", "name": "Bình"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "the old code no longer works");
    join(&app, fresh, "Bình").await;
    let (s, _) = app.get("/api/me", joined["token"].as_str()).await;
    assert_eq!(s, StatusCode::OK, "members who joined stay in");
}

#[tokio::test]
async fn a_member_reads_their_team_with_the_teammates_who_joined() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let contest = create_contest(&app, &admin, "Hội thi").await;
    let (a, code_a) = create_team(&app, &admin, contest, "Đội A").await;
    let (b, code_b) = create_team(&app, &admin, contest, "Đội B").await;
    let lan = join(&app, &code_a, "Lan").await;
    let minh = join(&app, &code_a, "Minh").await;
    join(&app, &code_b, "Khác").await;
    let token = lan["token"].as_str().unwrap();
    let (s, t) = app.get(&format!("/api/contests/{contest}/teams/{a}"), Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(
        t["joined"],
        json!([
            {"contestant_id": lan["contestant_id"], "name": "Lan", "is_captain": true},
            {"contestant_id": minh["contestant_id"], "name": "Minh", "is_captain": false},
        ])
    );
    assert_eq!(t["code"], code_a);
    // Removed contestants drop out of the list; another team stays closed to them.
    let x = minh["contestant_id"].as_i64().unwrap();
    let (s, _) =
        app.request(Method::DELETE, &format!("/api/contests/{contest}/contestants/{x}"), Some(&admin), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, t) = app.get(&format!("/api/contests/{contest}/teams/{a}"), Some(token)).await;
    assert_eq!(t["joined"].as_array().unwrap().len(), 1, "{t}");
    let (s, _) = app.get(&format!("/api/contests/{contest}/teams/{b}"), Some(token)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The list of teams does not carry it.
    let (_, all) = app.get(&format!("/api/contests/{contest}/teams"), Some(&admin)).await;
    assert!(all[0].get("joined").is_none(), "{all}");
}
