//! Question banks: the shipped bank at start, the checker (CLI and start-up), search,
//! editing with versions, study mode, import/export and every kind of bad input.
use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with, test_settings};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/banks")
}

async fn shipped(app: &TestApp, token: &str) -> Value {
    let (s, banks) = app.get("/api/banks", Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{banks}");
    banks.as_array().unwrap().iter().find(|b| b["slug"] == "chuyen-de-2024-2025").cloned().expect("shipped bank")
}

async fn upload(app: &TestApp, token: &str, query: &str, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
    app.post_raw(&format!("/api/banks/import?{query}"), token, content_type, body).await
}

async fn download(app: &TestApp, token: &str, path: &str) -> Vec<u8> {
    let res = app.client.get(format!("{}{path}", app.addr)).bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], XLSX);
    res.bytes().await.unwrap().to_vec()
}

async fn bank_slugs(app: &TestApp, token: &str) -> Vec<String> {
    let (_, banks) = app.get("/api/banks", Some(token)).await;
    banks.as_array().unwrap().iter().map(|b| b["slug"].as_str().unwrap().to_owned()).collect()
}

// ---- the checker

fn run_check(path: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hoithi")).args(["bank", "check"]).arg(path).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn bank_check_passes_the_shipped_banks_and_prints_a_summary() {
    let (code, out) = run_check(&Path::new(env!("CARGO_MANIFEST_DIR")).join("question_banks"));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("chuyen-de-2024-2025: 88 questions"), "{out}");
    for s in ["phan-1", "phan-2", "phan-3", "lien-quan", "single", "multiple", "true_false", "short_text", "number"] {
        assert!(out.contains(s), "summary lacks {s}: {out}");
    }
    let (code, out) = run_check(&fixtures().join("good"));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("good: 2 questions"), "{out}");
}

/// Checks one fixture bank: exit code 1 and exactly the expected `file:line: message`.
fn check_fixture(name: &str, line: usize, needle: &str) {
    let dir = fixtures().join(name);
    let (code, out) = run_check(&dir);
    assert_eq!(code, 1, "{name} should fail: {out}");
    let hit = out.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("{name}: no {needle:?} in {out}"));
    let prefix = hit.split(": ").next().unwrap();
    assert!(prefix.ends_with(&format!(".toml:{line}")) || prefix.ends_with(&format!(".md:{line}")), "{name}: {hit}");
    assert!(prefix.starts_with(dir.to_str().unwrap()), "{hit}");
}

#[test]
fn check_reports_a_toml_syntax_error_with_its_line() {
    check_fixture("bad-toml", 13, "invalid basic string");
}

#[test]
fn check_reports_a_quote_missing_from_its_document() {
    check_fixture("bad-quote", 23, "q-2: quote not found in document \"bai-bao\"");
}

#[test]
fn check_reports_a_duplicate_id() {
    check_fixture("duplicate-id", 15, "q-1: duplicate id (first defined at");
}

#[test]
fn check_reports_an_unknown_section() {
    check_fixture("unknown-section", 1, "unknown section \"phan-9\"");
}

#[test]
fn check_reports_an_answer_out_of_range() {
    check_fixture("answer-out-of-range", 11, "answer \"D\" is out of range");
}

#[test]
fn check_reports_an_unknown_document() {
    check_fixture("unknown-document", 12, "unknown document \"bai-khac\"");
}

#[test]
fn check_reports_empty_and_duplicate_options() {
    check_fixture("bad-options", 10, "option B duplicates option A");
    check_fixture("bad-options", 10, "option C is empty");
}

#[test]
fn check_reports_a_missing_field() {
    check_fixture("missing-field", 3, "missing field `difficulty`");
}

#[test]
fn check_reports_a_file_that_is_not_utf8() {
    check_fixture("not-utf8", 2, "not valid UTF-8");
}

#[test]
fn check_reports_a_group_of_one_question() {
    // a typo splits the group in two: each half names no other question
    check_fixture("lonely-group", 12, "q-1: group \"ngã-sáu\" has no other question");
    check_fixture("lonely-group", 23, "q-2: group \"ngã-sau\" has no other question");
}

#[test]
fn check_reports_an_exclusion_of_an_unknown_question() {
    check_fixture("unknown-exclude", 12, "q-1: excludes \"q-3\", which is not a question of this bank");
}

#[test]
fn check_of_a_folder_reports_every_bad_bank() {
    let (code, out) = run_check(&fixtures());
    assert_eq!(code, 1);
    for name in ["bad-toml", "bad-quote", "duplicate-id", "unknown-section", "answer-out-of-range", "unknown-document"]
    {
        assert!(out.contains(&format!("/{name}/")), "{name} missing from {out}");
    }
    assert!(!out.contains("/good/"), "{out}");
}

#[tokio::test]
async fn a_bad_bank_stops_the_start_with_the_checker_messages() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let db = hoithi::db::connect_url(&url, Some(dir.path())).await.unwrap();
    let mut settings = test_settings();
    settings.banks = fixtures().join("bad-quote");
    let err = match hoithi::startup::Application::build_with_db(db, settings).await {
        Ok(_) => panic!("the server started with a bad bank"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("bad-quote/questions/phan-1.toml:23: q-2: quote not found"), "{err}");
}

#[tokio::test]
async fn a_missing_bank_folder_is_not_fatal() {
    let mut settings = test_settings();
    settings.banks = fixtures().join("no-such-folder");
    let app = spawn_app_with(settings).await;
    let token = app.admin_token().await;
    let (s, banks) = app.get("/api/banks", Some(&token)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(banks, json!([]));
}

// ---- the shipped bank in the server

#[tokio::test]
async fn the_shipped_bank_is_loaded_once_and_a_restart_changes_nothing() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let bank = shipped(&app, &token).await;
    assert_eq!(bank["questions"], 88);
    assert_eq!(bank["origin"], "shipped");
    let id = bank["id"].as_i64().unwrap();
    let (s, detail) = app.get(&format!("/api/banks/{id}"), Some(&token)).await;
    assert_eq!(s, StatusCode::OK);
    let sections: Vec<&str> =
        detail["sections"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(sections, ["phan-1", "phan-2", "phan-3", "lien-quan"]);
    assert_eq!(detail["documents"][0]["publisher"], "Báo Hậu Giang");

    let app = app.restart().await;
    let token = app.admin_token().await;
    let (_, qs) = app.get(&format!("/api/banks/{id}/questions"), Some(&token)).await;
    let qs = qs.as_array().unwrap();
    assert_eq!(qs.len(), 88);
    assert!(qs.iter().all(|q| q["version"] == 1), "a restart must not bump versions");
    assert_eq!(bank_slugs(&app, &token).await, ["chuyen-de-2024-2025"]);
}

#[tokio::test]
async fn questions_come_with_their_answers_and_sources() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let id = shipped(&app, &token).await["id"].as_i64().unwrap();
    let (s, qs) = app.get(&format!("/api/banks/{id}/questions?section=phan-1&type=number"), Some(&token)).await;
    assert_eq!(s, StatusCode::OK);
    let q = qs.as_array().unwrap().iter().find(|q| q["qid"] == "p1-006").expect("p1-006");
    assert_eq!(q["answer"], 3.0);
    assert_eq!(q["unit"], "nhiệm vụ");
    assert_eq!(q["solution"], json!({"kind": "number", "value": 3.0, "tolerance": 0.0}));
    assert_eq!(q["source"]["document"], "bao-hau-giang-2024-03-05");
    assert!(qs.as_array().unwrap().iter().all(|q| q["type"] == "number" && q["section"] == "phan-1"));
    let (s, e) = app.get(&format!("/api/banks/{id}/questions?type=essay"), Some(&token)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["field"], "type");
}

#[tokio::test]
async fn search_ignores_case_and_diacritics() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let id = shipped(&app, &token).await["id"].as_i64().unwrap();
    let find = |q: &'static str| {
        let app = &app;
        let token = &token;
        async move {
            let (s, v) = app.get(&format!("/api/banks/{id}/questions?q={}", urlencode(q)), Some(token)).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v.as_array().unwrap().iter().map(|q| q["qid"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    let a = find("ngã sáu").await;
    assert!(!a.is_empty());
    assert_eq!(find("NGA SAU").await, a);
    assert_eq!(find("  Ngã   Sáu ").await, a);
    let (_, qs) = app.get(&format!("/api/banks/{id}/questions"), Some(&token)).await;
    for q in qs.as_array().unwrap().iter().filter(|q| a.contains(&q["qid"].as_str().unwrap().to_owned())) {
        let text = format!("{} {}", q["prompt"], q["options"]);
        assert!(text.contains("Ngã Sáu") || text.to_lowercase().contains("ngã sáu"), "{text}");
    }
    assert!(find("không có cụm từ này xyzw").await.is_empty());
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

// ---- organisers' own questions

fn new_question() -> Value {
    json!({
        "id": "bt-001",
        "section": "phan-1",
        "type": "single",
        "difficulty": 2,
        "prompt": "Đơn vị nào được nêu trong bài viết?",
        "options": ["Thị trấn Ngã Sáu", "Thị trấn Mái Dầm"],
        "answer": "A",
        "source": {"document": "bao-hau-giang-2024-03-05", "quote": "Ngã Sáu"}
    })
}

#[tokio::test]
async fn create_edit_and_retire_a_question_keeps_every_version() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let id = shipped(&app, &token).await["id"].as_i64().unwrap();
    let (s, q) = app.post(&format!("/api/banks/{id}/questions"), Some(&token), new_question()).await;
    assert_eq!(s, StatusCode::CREATED, "{q}");
    assert_eq!(q["version"], 1);
    assert_eq!(q["points"], 10.0);
    assert_eq!(q["solution"], json!({"kind": "single", "option": 0}));
    let qid = q["id"].as_i64().unwrap();

    let (s, e) = app.post(&format!("/api/banks/{id}/questions"), Some(&token), new_question()).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");

    let mut edit = new_question();
    edit["answer"] = json!("B");
    edit["prompt"] = json!("Đơn vị nào KHÔNG được nêu?");
    let (s, q) =
        app.request(reqwest::Method::PUT, &format!("/api/banks/{id}/questions/{qid}"), Some(&token), Some(edit)).await;
    assert_eq!(s, StatusCode::OK, "{q}");
    assert_eq!(q["version"], 2);
    let (_, d) = app.get(&format!("/api/banks/{id}/questions/{qid}"), Some(&token)).await;
    let versions = d["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["snapshot"]["solution"]["option"], 0);
    assert_eq!(versions[1]["snapshot"]["solution"]["option"], 1);

    let (s, _) = app.post(&format!("/api/banks/{id}/questions/{qid}/retire"), Some(&token), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, qs) = app.get(&format!("/api/banks/{id}/questions?q=khong duoc neu"), Some(&token)).await;
    assert_eq!(qs, json!([]));
    let (_, qs) = app.get(&format!("/api/banks/{id}/questions?q=khong duoc neu&retired=true"), Some(&token)).await;
    assert_eq!(qs[0]["retired"], true);
}

#[tokio::test]
async fn a_bad_question_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let id = shipped(&app, &token).await["id"].as_i64().unwrap();
    let cases = [
        ("answer", json!("E"), "out of range"),
        ("section", json!("phan-9"), "unknown section"),
        ("options", json!(["Một", "MỘT"]), "duplicates"),
        ("difficulty", json!(4), "out of range"),
        ("source", json!({"document": "bao-hau-giang-2024-03-05", "quote": "không có trong bài"}), "not found"),
        ("source", json!({"document": "khong-co", "quote": "Ngã Sáu"}), "unknown document"),
    ];
    for (field, value, msg) in cases {
        let mut body = new_question();
        body[field] = value;
        let (s, e) = app.post(&format!("/api/banks/{id}/questions"), Some(&token), body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{field}: {e}");
        assert_eq!(e["error"]["field"], field, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains(msg), "{e}");
    }
    let (_, qs) = app.get(&format!("/api/banks/{id}/questions"), Some(&token)).await;
    assert_eq!(qs.as_array().unwrap().len(), 88, "nothing was added");
}

#[tokio::test]
async fn judges_get_nothing_of_the_organiser_api_but_everyone_may_study() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let id = shipped(&app, &token).await["id"].as_i64().unwrap();
    let hash = hoithi::auth::password::hash("mat-khau-giam-khao").unwrap();
    hoithi::store::accounts::create_user(&app.state.db, "giamkhao", &hash, "judge").await.unwrap();
    let judge = app.login("giamkhao", "mat-khau-giam-khao").await;
    for path in [
        "/api/banks".to_owned(),
        format!("/api/banks/{id}"),
        format!("/api/banks/{id}/questions"),
        format!("/api/banks/{id}/export.xlsx"),
        "/api/banks/template.xlsx".to_owned(),
    ] {
        let (s, _) = app.get(&path, Some(&judge)).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
        let (s, _) = app.get(&path, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
    }
    let (s, docs) = app.get(&format!("/api/banks/{id}/documents"), Some(&judge)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(docs[0]["id"], "bao-hau-giang-2024-03-05");
    let (s, doc) = app.get(&format!("/api/banks/{id}/documents/bao-hau-giang-2024-03-05"), Some(&judge)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["body"].as_str().unwrap().contains("Ngã Sáu"));
    assert_eq!(doc["author"], "Trường Sơn");
    let text = doc.to_string();
    assert!(!text.contains("\"answer\"") && !text.contains("\"solution\"") && !text.contains("\"questions\""));
    let (s, _) = app.get(&format!("/api/banks/{id}/documents/khong-co"), Some(&judge)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&format!("/api/banks/{id}/documents"), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

// ---- import and export

const CSV_OK: &str = "Mã câu hỏi,Phần,Loại,Độ khó,Câu hỏi,Phương án A,Phương án B,Phương án C,Đáp án,Thẻ\n\
    nh-1,chung,single,1,Thủ phủ tỉnh Hậu Giang?,Vị Thanh,Ngã Bảy,Long Mỹ,A,địa lý\n\
    nh-2,chung,multiple,2,Đơn vị cấp huyện của Hậu Giang?,Châu Thành,Cái Răng,Phụng Hiệp,\"A, C\",\n\
    nh-3,lich-su,true_false,1,Hậu Giang tái lập năm 2004.,,,,Đúng,\n\
    nh-4,lich-su,number,3,Hậu Giang tái lập năm nào?,,,,2004,\n\
    nh-5,lich-su,short_text,2,Tỉnh lỵ của Hậu Giang?,,,,Vị Thanh | thành phố Vị Thanh,\n";

#[tokio::test]
async fn csv_import_creates_a_bank_and_export_import_round_trips() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let (s, r) = upload(&app, &token, "bank=nha-lam&title=Câu%20hỏi%20nhà%20làm", "text/csv", CSV_OK.into()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["imported"], 5);
    assert_eq!(r["created_bank"], true);
    let id = r["bank_id"].as_i64().unwrap();
    let (_, detail) = app.get(&format!("/api/banks/{id}"), Some(&token)).await;
    assert_eq!(detail["origin"], "organiser");
    assert_eq!(detail["title"], "Câu hỏi nhà làm");
    assert_eq!(detail["sections"].as_array().unwrap().len(), 2);
    let (_, qs) = app.get(&format!("/api/banks/{id}/questions"), Some(&token)).await;
    let by = |qid: &str| qs.as_array().unwrap().iter().find(|q| q["qid"] == qid).unwrap().clone();
    assert_eq!(by("nh-2")["answer"], json!(["A", "C"]));
    assert_eq!(by("nh-3")["answer"], true);
    assert_eq!(by("nh-4")["answer"], 2004.0);
    assert_eq!(by("nh-5")["accepted"], json!(["Vị Thanh", "thành phố Vị Thanh"]));

    // export → import into a new bank → the same questions
    let bytes = download(&app, &token, &format!("/api/banks/{id}/export.xlsx")).await;
    let (s, r) = upload(&app, &token, "bank=nha-lam-2", XLSX, bytes).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["imported"], 5);
    let (_, qs2) = app.get(&format!("/api/banks/{}/questions", r["bank_id"]), Some(&token)).await;
    let strip = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|q| {
                let mut q = q.clone();
                for k in ["id", "bank_id", "updated_at"] {
                    q.as_object_mut().unwrap().remove(k);
                }
                q
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&qs2), strip(&qs));
}

#[tokio::test]
async fn the_shipped_bank_round_trips_through_export_and_import() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let id = shipped(&app, &token).await["id"].as_i64().unwrap();
    let bytes = download(&app, &token, &format!("/api/banks/{id}/export.xlsx")).await;
    // into a new bank without documents: the sources come along and are kept
    let (s, r) = upload(&app, &token, "bank=ban-sao", XLSX, bytes.clone()).await;
    // a bank without documents cannot prove the quotes: refused, naming a row and column
    assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
    assert!(r["error"]["errors"][0]["column"].as_str().unwrap().contains("Trích dẫn"), "{r}");
    // into the same bank: every id exists already
    let (s, r) = upload(&app, &token, "bank=chuyen-de-2024-2025", XLSX, bytes).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(r["error"]["errors"].as_array().unwrap().len(), 88);
    assert!(r["error"]["errors"][0]["message"].as_str().unwrap().contains("already has a question"));
    assert_eq!(r["error"]["errors"][0]["code"], "id_in_bank", "{r}");
    assert!(r["error"]["errors"][0]["params"]["id"].is_string(), "{r}");
    assert_eq!(bank_slugs(&app, &token).await, ["chuyen-de-2024-2025"]);
}

#[tokio::test]
async fn the_template_downloads_and_imports() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let bytes = download(&app, &token, "/api/banks/template.xlsx").await;
    use calamine::Reader;
    let wb: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
    assert_eq!(wb.sheet_names(), ["Câu hỏi", "Hướng dẫn"]);
    let (s, r) = upload(&app, &token, "bank=tu-mau", XLSX, bytes).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["imported"], 1);

    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("mau.xlsx");
    let status = Command::new(env!("CARGO_BIN_EXE_hoithi")).args(["bank", "template"]).arg(&file).status().unwrap();
    assert!(status.success());
    let wb: calamine::Xlsx<_> = calamine::open_workbook(&file).unwrap();
    assert_eq!(wb.sheet_names(), ["Câu hỏi", "Hướng dẫn"]);
}

#[tokio::test]
async fn aiken_import() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let text = "Sông nào chảy qua Vị Thanh?\nA. Sông Xà No\nB. Sông Hồng\nANSWER: A\n\nHậu Giang thuộc vùng nào?\nA) Tây Bắc\nB) Đồng bằng sông Cửu Long\nANSWER: B\n";
    let (s, r) = upload(&app, &token, "bank=aiken&format=aiken&section=dia-ly", "text/plain", text.into()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["imported"], 2);
    let (_, qs) = app.get(&format!("/api/banks/{}/questions?section=dia-ly", r["bank_id"]), Some(&token)).await;
    assert_eq!(qs.as_array().unwrap().len(), 2);
    let (s, r) = upload(&app, &token, "bank=aiken-2&format=aiken", "text/plain", "Hỏi?\nA. x\nB. y\n".into()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(r["error"]["errors"][0]["row"], 1);
    assert_eq!(r["error"]["errors"][0]["code"], "missing_answer_line", "{r}");
}

fn xlsx(build: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Câu hỏi").unwrap();
    for (c, h) in ["Mã câu hỏi", "Phần", "Loại", "Câu hỏi", "Phương án A", "Phương án B", "Đáp án"].iter().enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    build(ws);
    wb.save_to_buffer().unwrap()
}

fn row(ws: &mut rust_xlsxwriter::Worksheet, r: u32, cells: [&str; 7]) {
    for (c, v) in cells.iter().enumerate() {
        ws.write_string(r, c as u16, *v).unwrap();
    }
}

/// Uploads a bad file and checks the first error; nothing may be imported.
async fn refused(app: &TestApp, token: &str, ct: &str, body: Vec<u8>) -> Value {
    let (s, r) = upload(app, token, "bank=hong", ct, body).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
    assert_eq!(r["error"]["code"], "import_invalid", "{r}");
    assert!(r["error"]["message"].as_str().unwrap().starts_with("nothing imported"), "{r}");
    assert!(!bank_slugs(app, token).await.contains(&"hong".to_owned()), "a bank was created");
    r["error"]["errors"][0].clone()
}

#[tokio::test]
async fn xlsx_formula_cells_are_refused_naming_the_cell() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let body = xlsx(|ws| {
        row(ws, 1, ["f-1", "chung", "single", "Hỏi?", "Một", "Hai", "A"]);
        ws.write_formula(2, 6, "=G2").unwrap();
        row(ws, 2, ["f-2", "chung", "single", "Hỏi 2?", "Một", "Hai", "B"]);
        ws.write_formula(2, 3, "=CONCAT(\"a\",\"b\")").unwrap();
    });
    let e = refused(&app, &token, XLSX, body).await;
    assert_eq!(e["sheet"], "Câu hỏi");
    assert_eq!(e["row"], 3);
    assert_eq!(e["column"], "D");
    assert!(e["message"].as_str().unwrap().contains("formula"), "{e}");
}

#[tokio::test]
async fn xlsx_empty_rows_are_refused() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let body = xlsx(|ws| {
        row(ws, 1, ["e-1", "chung", "single", "Hỏi?", "Một", "Hai", "A"]);
        row(ws, 3, ["e-2", "chung", "single", "Hỏi 2?", "Một", "Hai", "B"]);
    });
    let e = refused(&app, &token, XLSX, body).await;
    assert_eq!(e["row"], 3);
    assert!(e["message"].as_str().unwrap().contains("empty row"), "{e}");
}

#[tokio::test]
async fn xlsx_missing_or_unknown_columns_are_refused() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["Mã câu hỏi", "Loại", "Nội dung", "Đáp án"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "x").unwrap();
    let errs = {
        let (s, r) = upload(&app, &token, "bank=hong", XLSX, wb.save_to_buffer().unwrap()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        r["error"]["errors"].as_array().unwrap().clone()
    };
    let msgs: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    assert!(
        msgs.iter().any(|m| m.contains("unknown column \\\"Nội dung\\\"") && m.contains("\"column\":\"C\"")),
        "{msgs:?}"
    );
    assert!(msgs.iter().any(|m| m.contains("\\\"Phần\\\" is missing")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("\\\"Câu hỏi\\\" is missing")), "{msgs:?}");
}

#[tokio::test]
async fn bad_cells_are_named_by_row_and_column_and_nothing_is_imported() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let body = xlsx(|ws| {
        row(ws, 1, ["ok-1", "chung", "single", "Hỏi?", "Một", "Hai", "A"]);
        row(ws, 2, ["ok-2", "chung", "single", "Hỏi?", "Một", "Hai", "C"]);
        row(ws, 3, ["ok-3", "chung", "essay", "Hỏi?", "", "", "A"]);
        row(ws, 4, ["ok-1", "chung", "true_false", "Hỏi?", "", "", "Có lẽ"]);
    });
    let (s, r) = upload(&app, &token, "bank=hong", XLSX, body).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
    let errs = r["error"]["errors"].as_array().unwrap();
    let has = |row: i64, col: &str, msg: &str| {
        errs.iter().any(|e| {
            e["row"] == row
                && e["column"].as_str().unwrap_or("").starts_with(col)
                && e["message"].as_str().unwrap().contains(msg)
        })
    };
    assert!(has(3, "G", "out of range"), "{r}");
    assert!(has(4, "C", "unknown type"), "{r}");
    assert!(has(5, "G", "neither Đúng nor Sai"), "{r}");
    assert!(!bank_slugs(&app, &token).await.contains(&"hong".to_owned()));
}

#[tokio::test]
async fn junk_instead_of_a_spreadsheet_is_refused() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let e = refused(&app, &token, XLSX, b"PK\x03\x04 this is not really a zip file".to_vec()).await;
    assert!(e["message"].as_str().unwrap().contains("not a readable XLSX"), "{e}");
    let e = refused(&app, &token, XLSX, vec![0u8; 1000]).await;
    assert_eq!(e["sheet"], "file");
}

#[tokio::test]
async fn non_utf8_csv_is_refused_naming_the_line() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let body = std::fs::read(fixtures().join("windows-1258.csv")).unwrap();
    let e = refused(&app, &token, "text/csv", body).await;
    assert_eq!(e["row"], 1);
    assert!(e["message"].as_str().unwrap().contains("not UTF-8"), "{e}");
}

#[tokio::test]
async fn a_huge_file_is_refused_with_413() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let mut body = CSV_OK.as_bytes().to_vec();
    body.resize(5 * 1024 * 1024 + 10, b' ');
    let (s, r) = upload(&app, &token, "bank=hong", "text/csv", body).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{r}");
    assert_eq!(r["error"]["code"], "payload_too_large");
    assert!(!bank_slugs(&app, &token).await.contains(&"hong".to_owned()));
}

#[tokio::test]
async fn import_into_an_existing_bank_checks_sections_and_sources() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let id = shipped(&app, &token).await["id"].as_i64().unwrap();
    let csv = "Mã câu hỏi,Phần,Loại,Câu hỏi,Phương án A,Phương án B,Đáp án,Tài liệu,Trích dẫn\n\
        x-1,phan-1,single,Hỏi?,Một,Hai,A,bao-hau-giang-2024-03-05,Ngã Sáu\n\
        x-2,phan-9,single,Hỏi?,Một,Hai,A,bao-hau-giang-2024-03-05,Ngã Sáu\n\
        x-3,phan-1,single,Hỏi?,Một,Hai,A,,\n";
    let (s, r) = upload(&app, &token, "bank=chuyen-de-2024-2025", "text/csv", csv.into()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
    let errs = r["error"]["errors"].as_array().unwrap();
    assert_eq!(errs.len(), 2, "{r}");
    assert_eq!(errs[0]["row"], 3);
    assert!(errs[0]["message"].as_str().unwrap().contains("unknown section"));
    assert_eq!(errs[1]["row"], 4);
    assert!(errs[1]["message"].as_str().unwrap().contains("source is missing"));
    let (_, qs) = app.get(&format!("/api/banks/{id}/questions"), Some(&token)).await;
    assert_eq!(qs.as_array().unwrap().len(), 88, "x-1 must not be imported alone");
    let good = "Mã câu hỏi,Phần,Loại,Câu hỏi,Phương án A,Phương án B,Đáp án,Tài liệu,Trích dẫn\n\
        x-1,phan-1,single,Hỏi?,Một,Hai,A,bao-hau-giang-2024-03-05,Ngã Sáu\n";
    let (s, r) = upload(&app, &token, "bank=chuyen-de-2024-2025", "text/csv", good.into()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["created_bank"], false);
}

// ---- a part's questions: explicit choice and draws

fn quotas() -> Value {
    json!([
        {"section": "phan-1", "difficulty": 1, "count": 2},
        {"section": "phan-3", "type": "true_false", "count": 3},
        {"section": "lien-quan", "count": 2}
    ])
}

fn qids(v: &Value) -> Vec<i64> {
    v["questions"].as_array().unwrap().iter().map(|q| q["question_id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn a_draw_is_reproducible_from_its_seed_and_meets_the_quotas() {
    let app = spawn_app().await;
    let w = crate::fixtures::world(&app).await;
    let (c, p) = (w.contest, w.parts[0]);
    let path = format!("/api/contests/{c}/parts/{p}/draw");
    let (s, first) = app.post(&path, Some(&w.admin), json!({"seed": 20250515, "quotas": quotas()})).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!(first["seed"], 20250515);
    let qs = first["questions"].as_array().unwrap();
    assert_eq!(qs.len(), 7);
    let positions: Vec<i64> = qs.iter().map(|q| q["position"].as_i64().unwrap()).collect();
    assert_eq!(positions, [1, 2, 3, 4, 5, 6, 7]);
    for q in &qs[..2] {
        assert_eq!(q["section"], "phan-1");
        assert_eq!(q["question"]["difficulty"], 1);
    }
    for q in &qs[2..5] {
        assert_eq!(q["section"], "phan-3");
        assert_eq!(q["question"]["solution"]["kind"], "true_false");
    }
    assert!(qs[5..].iter().all(|q| q["section"] == "lien-quan"));
    assert!(qs.iter().all(|q| q["status"] == "pending" && q["question_version"] == 1));
    // the quiz part sets 20 s per question
    assert!(qs.iter().all(|q| q["time_limit_s"] == 20), "{first}");

    // the same seed again: the same questions in the same order, replacing the first draw
    let (_, again) = app.post(&path, Some(&w.admin), json!({"seed": 20250515, "quotas": quotas()})).await;
    assert_eq!(qids(&again), qids(&first));
    let (_, stored) = app.get(&format!("/api/contests/{c}/parts/{p}/questions"), Some(&w.admin)).await;
    assert_eq!(qids(&stored), qids(&first));
    let (s, draws) = app.get(&format!("/api/contests/{c}/parts/{p}/draws"), Some(&w.admin)).await;
    assert_eq!(s, StatusCode::OK, "{draws}");
    assert_eq!(draws.as_array().unwrap().len(), 2);
    assert_eq!(draws[0]["seed"], 20250515);
    assert_eq!(draws[0]["quotas"][1]["type"], "true_false");
    assert_eq!(draws[0]["question_ids"], json!(qids(&first)));

    // no seed: one is generated and returned, and it reproduces the draw
    let (s, gen_) = app.post(&path, Some(&w.admin), json!({"quotas": quotas()})).await;
    assert_eq!(s, StatusCode::OK);
    let seed = gen_["seed"].as_i64().unwrap();
    let (_, rep) = app.post(&path, Some(&w.admin), json!({"seed": seed, "quotas": quotas()})).await;
    assert_eq!(qids(&rep), qids(&gen_));

    // other seeds give other draws (at least one of several)
    let mut differs = false;
    for seed in 1..6 {
        let (_, other) = app.post(&path, Some(&w.admin), json!({"seed": seed, "quotas": quotas()})).await;
        differs |= qids(&other) != qids(&first);
    }
    assert!(differs);
}

#[tokio::test]
async fn a_draw_never_repeats_a_question_of_the_contest() {
    let app = spawn_app().await;
    let w = crate::fixtures::world(&app).await;
    let c = w.contest;
    let body = json!({"seed": 7, "quotas": quotas()});
    let (s, a) = app.post(&format!("/api/contests/{c}/parts/{}/draw", w.parts[0]), Some(&w.admin), body.clone()).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let (s, b) = app.post(&format!("/api/contests/{c}/parts/{}/draw", w.parts[1]), Some(&w.admin), body).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let used = qids(&a);
    assert!(qids(&b).iter().all(|q| !used.contains(q)), "{a} {b}");
    // the elimination part sets 15 s per question
    assert!(b["questions"].as_array().unwrap().iter().all(|q| q["time_limit_s"] == 15));
    // an explicit choice reusing a question of another part is refused
    let (s, e) = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/contests/{c}/parts/{}/questions", w.parts[3]),
            Some(&w.admin),
            Some(json!({"question_ids": [used[0]]})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["code"], "question_reused");
    assert!(e["error"]["message"].as_str().unwrap().contains(&format!("part {}", w.parts[0])), "{e}");
}

/// The shipped bank's questions (organiser view) and its groups: group → database ids.
async fn groups_of_shipped(app: &TestApp, token: &str) -> (Vec<Value>, std::collections::BTreeMap<String, Vec<i64>>) {
    let bank = shipped(app, token).await;
    let (_, qs) = app.get(&format!("/api/banks/{}/questions", bank["id"]), Some(token)).await;
    let qs = qs.as_array().unwrap().clone();
    let mut groups: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
    for q in &qs {
        for g in q["groups"].as_array().cloned().unwrap_or_default() {
            groups.entry(g.as_str().unwrap().to_owned()).or_default().push(q["id"].as_i64().unwrap());
        }
    }
    (qs, groups)
}

async fn put_questions(app: &TestApp, w: &crate::fixtures::World, part: i64, ids: &[i64]) -> (StatusCode, Value) {
    app.request(
        reqwest::Method::PUT,
        &format!("/api/contests/{}/parts/{part}/questions", w.contest),
        Some(&w.admin),
        Some(json!({ "question_ids": ids })),
    )
    .await
}

#[tokio::test]
async fn a_manual_choice_of_two_questions_that_answer_each_other_is_refused_naming_both() {
    let app = spawn_app().await;
    let w = crate::fixtures::world(&app).await;
    let (qs, groups) = groups_of_shipped(&app, &w.admin).await;
    let (group, members) = groups.iter().find(|(_, m)| m.len() >= 2).expect("the shipped bank marks its groups");
    let (a, b) = (members[0], members[1]);
    let qid = |id: i64| qs.iter().find(|q| q["id"] == id).unwrap()["qid"].as_str().unwrap().to_owned();

    // both in one choice
    let (s, e) = put_questions(&app, &w, w.parts[0], &[a, b]).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["code"], "questions_clash");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(msg.contains(&qid(a)) && msg.contains(&qid(b)) && msg.contains(group.as_str()), "{msg}");
    assert_eq!(e["error"]["state"]["questions"][0]["id"], a);
    assert_eq!(e["error"]["state"]["questions"][1]["id"], b);
    let (_, stored) =
        app.get(&format!("/api/contests/{}/parts/{}/questions", w.contest, w.parts[0]), Some(&w.admin)).await;
    assert_eq!(stored["questions"], json!([]), "nothing is chosen");

    // one in a part, the other in another part of the same contest
    let (s, ok) = put_questions(&app, &w, w.parts[0], &[a]).await;
    assert_eq!(s, StatusCode::OK, "{ok}");
    let (s, e) = put_questions(&app, &w, w.parts[1], &[b]).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["code"], "questions_clash");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(msg.contains(&qid(a)) && msg.contains(&qid(b)), "{msg}");
    assert!(msg.contains(&format!("part {}", w.parts[0])), "{msg}");

    // an exclusion written by an organiser counts the same, either way round
    let bank = shipped(&app, &w.admin).await;
    let free: Vec<&Value> = qs.iter().filter(|q| q["groups"].is_null() && q["excludes"].is_null()).collect();
    let (x, y) = (free[0], free[1]);
    let mut input = json!({
        "section": x["section"], "type": x["type"], "difficulty": x["difficulty"], "points": x["points"],
        "time_limit_s": x["time_limit_s"], "prompt": x["prompt"], "explanation": x["explanation"],
        "tags": x["tags"], "source": x["source"], "excludes": [y["qid"]],
    });
    for k in ["options", "answer", "accepted", "tolerance", "unit"] {
        if !x[k].is_null() {
            input[k] = x[k].clone();
        }
    }
    let (s, edited) = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/banks/{}/questions/{}", bank["id"], x["id"]),
            Some(&w.admin),
            Some(input.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{edited}");
    assert_eq!(edited["excludes"], json!([y["qid"]]));
    let (s, e) = put_questions(&app, &w, w.parts[3], &[y["id"].as_i64().unwrap(), x["id"].as_i64().unwrap()]).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains(&format!(
            "{} excludes {}",
            x["qid"].as_str().unwrap(),
            y["qid"].as_str().unwrap()
        )),
        "{e}"
    );
    // an exclusion of a question the bank does not have is refused
    input["excludes"] = json!(["khong-co"]);
    let (s, e) = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/banks/{}/questions/{}", bank["id"], x["id"]),
            Some(&w.admin),
            Some(input),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["field"], "excludes");
}

#[tokio::test]
async fn a_draw_never_takes_two_questions_that_answer_each_other() {
    let app = spawn_app().await;
    let w = crate::fixtures::world(&app).await;
    let (_, groups) = groups_of_shipped(&app, &w.admin).await;
    assert!(!groups.is_empty());
    let group_of =
        |id: i64| -> Vec<&String> { groups.iter().filter(|(_, m)| m.contains(&id)).map(|(g, _)| g).collect() };
    let sections = ["phan-1", "phan-2", "phan-3", "lien-quan"];
    for seed in 0..8 {
        // two parts drawn in turn, each taking a share of every section
        let mut contest: Vec<i64> = Vec::new();
        for part in &w.parts[..2] {
            let quotas: Vec<Value> = sections.iter().map(|s| json!({"section": s, "count": 2})).collect();
            let (s, d) = app
                .post(
                    &format!("/api/contests/{}/parts/{part}/draw", w.contest),
                    Some(&w.admin),
                    json!({"seed": seed, "quotas": quotas}),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{d}");
            contest.extend(qids(&d));
        }
        let mut seen: std::collections::BTreeMap<&String, i64> = Default::default();
        for id in &contest {
            for g in group_of(*id) {
                if let Some(other) = seen.insert(g, *id) {
                    panic!("seed {seed}: questions {other} and {id} of group {g} were drawn into one contest");
                }
            }
        }
        // clear both parts for the next seed
        for part in &w.parts[..2] {
            let (s, _) = put_questions(&app, &w, *part, &[]).await;
            assert_eq!(s, StatusCode::OK);
        }
    }
}

#[tokio::test]
async fn an_unsatisfiable_quota_names_the_short_bucket() {
    let app = spawn_app().await;
    let w = crate::fixtures::world(&app).await;
    let path = format!("/api/contests/{}/parts/{}/draw", w.contest, w.parts[0]);
    let body = json!({"seed": 1, "quotas": [{"section": "phan-1", "difficulty": 3, "type": "number", "count": 40}]});
    let (s, e) = app.post(&path, Some(&w.admin), body).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["code"], "quota_short");
    let short = &e["error"]["state"]["short"][0];
    assert_eq!(short["bucket"], "phan-1 × difficulty 3 × number");
    assert_eq!(short["wanted"], 40);
    assert_eq!(short["short"].as_i64().unwrap(), 40 - short["available"].as_i64().unwrap());
    assert!(e["error"]["message"].as_str().unwrap().contains("phan-1 × difficulty 3 × number"));
    let (_, stored) =
        app.get(&format!("/api/contests/{}/parts/{}/questions", w.contest, w.parts[0]), Some(&w.admin)).await;
    assert_eq!(stored["questions"], json!([]), "nothing is drawn");
    let (s, e) = app.post(&path, Some(&w.admin), json!({"quotas": [{"section": "phan-1", "count": 0}]})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["field"], "quotas[0].count");
}

#[tokio::test]
async fn a_part_keeps_the_version_it_was_given() {
    let app = spawn_app().await;
    let w = crate::fixtures::world(&app).await;
    let bank = shipped(&app, &w.admin).await["id"].as_i64().unwrap();
    let (_, qs) = app.get(&format!("/api/banks/{bank}/questions?section=phan-2&type=single"), Some(&w.admin)).await;
    let q = &qs[0];
    let qid = q["id"].as_i64().unwrap();
    let path = format!("/api/contests/{}/parts/{}/questions", w.contest, w.parts[0]);
    let (s, set) = app.request(reqwest::Method::PUT, &path, Some(&w.admin), Some(json!({"question_ids": [qid]}))).await;
    assert_eq!(s, StatusCode::OK, "{set}");
    assert_eq!(set["questions"][0]["question"]["prompt"], q["prompt"]);

    let mut edit = json!({
        "section": q["section"], "type": "single", "difficulty": q["difficulty"], "points": q["points"],
        "time_limit_s": q["time_limit_s"], "prompt": "Câu hỏi đã sửa?", "options": q["options"], "answer": q["answer"],
        "source": q["source"]
    });
    edit["explanation"] = q["explanation"].clone();
    let (s, e) = app
        .request(reqwest::Method::PUT, &format!("/api/banks/{bank}/questions/{qid}"), Some(&w.admin), Some(edit))
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["version"], 2);
    let (_, stored) = app.get(&path, Some(&w.admin)).await;
    assert_eq!(stored["questions"][0]["question_version"], 1);
    assert_eq!(stored["questions"][0]["question"]["prompt"], q["prompt"]);

    // unknown, duplicate and retired questions are refused by name
    let (s, e) =
        app.request(reqwest::Method::PUT, &path, Some(&w.admin), Some(json!({"question_ids": [qid, qid]}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["field"], "question_ids[1]");
    let (s, e) =
        app.request(reqwest::Method::PUT, &path, Some(&w.admin), Some(json!({"question_ids": [999999]}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["field"], "question_ids[0]");
    // a contestant cannot see a part's questions
    let (s, _) = app.get(&path, Some(&w.token_a)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // but may study the bank's documents, which never carry questions or answers
    let (s, docs) = app.get(&format!("/api/banks/{bank}/documents"), Some(&w.token_a)).await;
    assert_eq!(s, StatusCode::OK, "{docs}");
    let (s, doc) = app.get(&format!("/api/banks/{bank}/documents/bao-hau-giang-2024-03-05"), Some(&w.token_a)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(doc["publisher"], "Báo Hậu Giang");
    assert!(!doc.to_string().contains("solution"));
    for p in [format!("/api/banks/{bank}/questions"), format!("/api/banks/{bank}/questions/{qid}")] {
        let (s, _) = app.get(&p, Some(&w.token_a)).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
    }
}

#[test]
fn cli_import_then_export_round_trips_and_a_bad_file_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let hoithi = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_hoithi"))
            .arg("--database-url")
            .arg(&db)
            .args(args)
            .env("HOITHI_LOG", "error")
            .output()
            .unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let csv = dir.path().join("cau-hoi.csv");
    std::fs::write(&csv, CSV_OK).unwrap();
    let (code, out) = hoithi(&["bank", "import", csv.to_str().unwrap(), "--bank", "cli"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("5 question(s) imported into cli"), "{out}");
    let xlsx = dir.path().join("cli.xlsx");
    let (code, out) = hoithi(&["bank", "export", "--bank", "cli", xlsx.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = hoithi(&["bank", "import", xlsx.to_str().unwrap(), "--bank", "cli-2"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("5 question(s) imported into cli-2"), "{out}");

    let bad = fixtures().join("windows-1258.csv");
    let (code, out) = hoithi(&["bank", "import", bad.to_str().unwrap(), "--bank", "cli-3"]);
    assert_eq!(code, 1);
    assert!(out.contains("windows-1258.csv: CSV, row 1: the file is not UTF-8"), "{out}");
    let (code, _) = hoithi(&["bank", "export", "--bank", "cli-3", xlsx.to_str().unwrap()]);
    assert_ne!(code, 0, "the bad import must not have created the bank");
}

/// Starts the server on `db_url` with the banks under `banks`; returns its address and a
/// handle to stop it.
async fn start_on(db_url: &str, data: &Path, banks: &Path) -> (String, actix_web::dev::ServerHandle) {
    let db = hoithi::db::connect_url(db_url, Some(data)).await.unwrap();
    let mut settings = test_settings();
    settings.banks = banks.to_owned();
    let (app, _) = hoithi::startup::Application::build_with_db(db, settings).await.unwrap();
    let addr = format!("http://127.0.0.1:{}", app.port());
    let handle = app.server_handle();
    tokio::spawn(app.run_until_stopped());
    (addr, handle)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[tokio::test]
async fn a_changed_bank_file_makes_a_new_version_and_organiser_edits_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let banks = dir.path().join("banks");
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("question_banks"), &banks);
    let db_url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let client = reqwest::Client::new();
    let login = |addr: String| {
        let client = client.clone();
        async move {
            let r: Value = client
                .post(format!("{addr}/api/auth/login"))
                .json(&json!({"username": crate::helpers::ADMIN_USER, "password": crate::helpers::ADMIN_PASSWORD}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            r["token"].as_str().unwrap().to_owned()
        }
    };
    let get = |addr: String, token: String, path: String| {
        let client = client.clone();
        async move {
            client.get(format!("{addr}{path}")).bearer_auth(token).send().await.unwrap().json::<Value>().await.unwrap()
        }
    };
    let find = |qs: &Value, qid: &str| qs.as_array().unwrap().iter().find(|q| q["qid"] == qid).cloned().unwrap();

    let (addr, handle) = start_on(&db_url, dir.path(), &banks).await;
    let token = login(addr.clone()).await;
    let list = get(addr.clone(), token.clone(), "/api/banks".into()).await;
    let bank = list[0]["id"].as_i64().unwrap();
    let qs_path = format!("/api/banks/{bank}/questions?retired=true");
    let qs = get(addr.clone(), token.clone(), qs_path.clone()).await;
    // an organiser edits p1-002, retires p1-004 and adds a question of their own
    let p2 = find(&qs, "p1-002");
    let mut edit = json!({
        "section": "phan-1", "type": "single", "difficulty": p2["difficulty"], "points": p2["points"],
        "time_limit_s": p2["time_limit_s"], "prompt": "Câu hỏi do ban tổ chức sửa?", "options": p2["options"],
        "answer": p2["answer"], "source": p2["source"], "tags": p2["tags"]
    });
    edit["explanation"] = p2["explanation"].clone();
    let r = client
        .put(format!("{addr}/api/banks/{bank}/questions/{}", p2["id"]))
        .bearer_auth(&token)
        .json(&edit)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let p4 = find(&qs, "p1-004");
    let r = client
        .post(format!("{addr}/api/banks/{bank}/questions/{}/retire", p4["id"]))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = client
        .post(format!("{addr}/api/banks/{bank}/questions"))
        .bearer_auth(&token)
        .json(&new_question())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    handle.stop(true).await;

    // the author changes p1-001 in its file
    let file = banks.join("chuyen-de-2024-2025/questions/phan-1.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let old_prompt = find(&qs, "p1-001")["prompt"].as_str().unwrap().to_owned();
    std::fs::write(&file, text.replacen(&old_prompt, "Câu hỏi p1-001 đã được tác giả sửa?", 1)).unwrap();

    let (addr, handle) = start_on(&db_url, dir.path(), &banks).await;
    let token = login(addr.clone()).await;
    let qs = get(addr.clone(), token.clone(), qs_path.clone()).await;
    let p1 = find(&qs, "p1-001");
    assert_eq!(p1["version"], 2);
    assert_eq!(p1["prompt"], "Câu hỏi p1-001 đã được tác giả sửa?");
    assert_eq!(find(&qs, "p1-002")["prompt"], "Câu hỏi do ban tổ chức sửa?");
    assert_eq!(find(&qs, "p1-002")["version"], 2);
    assert_eq!(find(&qs, "p1-004")["retired"], true);
    assert_eq!(find(&qs, "bt-001")["retired"], false);
    assert_eq!(find(&qs, "p1-003")["version"], 1);
    handle.stop(true).await;
}

#[tokio::test]
async fn a_group_only_one_question_would_hold_is_refused_naming_the_field_and_the_group() {
    let app = spawn_app().await;
    let w = crate::fixtures::world(&app).await;
    let bank = shipped(&app, &w.admin).await;
    let (qs, groups) = groups_of_shipped(&app, &w.admin).await;
    let free: Vec<&Value> = qs.iter().filter(|q| q["groups"].is_null() && q["excludes"].is_null()).collect();
    let x = free[0];
    let input_of = |x: &Value, groups: Value| {
        let mut input = json!({
            "section": x["section"], "type": x["type"], "difficulty": x["difficulty"], "points": x["points"],
            "time_limit_s": x["time_limit_s"], "prompt": x["prompt"], "explanation": x["explanation"],
            "tags": x["tags"], "source": x["source"], "groups": groups,
        });
        for k in ["options", "answer", "accepted", "tolerance", "unit"] {
            if !x[k].is_null() {
                input[k] = x[k].clone();
            }
        }
        input
    };
    let edit = |id: &Value, input: Value| {
        let path = format!("/api/banks/{}/questions/{}", bank["id"], id);
        let app = &app;
        let token = w.admin.clone();
        async move { app.request(reqwest::Method::PUT, &path, Some(&token), Some(input)).await }
    };
    let (_, before) = app.get(&format!("/api/banks/{}/questions/{}", bank["id"], x["id"]), Some(&w.admin)).await;

    // an edit naming a group no other question holds (a typo of a real one, here)
    let (real, members) = groups.iter().find(|(_, m)| m.len() >= 2).unwrap();
    let typo = format!("{real}-x");
    let (s, e) = edit(&x["id"], input_of(x, json!([real, typo]))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["field"], "groups[1]");
    assert_eq!(e["error"]["reason"], "group_of_one");
    assert_eq!(e["error"]["params"]["group"], typo.as_str());
    assert!(e["error"]["message"].as_str().unwrap().contains(&format!("{typo:?}")), "{e}");
    let (_, after) = app.get(&format!("/api/banks/{}/questions/{}", bank["id"], x["id"]), Some(&w.admin)).await;
    assert_eq!(after, before, "nothing changed");

    // a new question alone in a new group is refused the same way, and not created
    let mut new = input_of(x, json!(["nhom-moi"]));
    new["id"] = json!("org-001");
    let (s, e) = app.post(&format!("/api/banks/{}/questions", bank["id"]), Some(&w.admin), new.clone()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["field"], "groups[0]");
    assert_eq!(e["error"]["params"]["group"], "nhom-moi");
    let (_, listed) = app.get(&format!("/api/banks/{}/questions", bank["id"]), Some(&w.admin)).await;
    assert_eq!(listed.as_array().unwrap().len(), qs.len(), "nothing created");

    // joining a group another question holds is accepted, and the two then clash
    let (s, ok) = edit(&x["id"], input_of(x, json!([real]))).await;
    assert_eq!(s, StatusCode::OK, "{ok}");
    assert_eq!(ok["groups"], json!([real]));
    new["groups"] = json!([real]);
    let (s, created) = app.post(&format!("/api/banks/{}/questions", bank["id"]), Some(&w.admin), new).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let (s, e) = put_questions(&app, &w, w.parts[0], &[members[0], created["id"].as_i64().unwrap()]).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");

    // taking a question out of a group is allowed
    let (s, ok) = edit(&x["id"], input_of(x, json!([]))).await;
    assert_eq!(s, StatusCode::OK, "{ok}");
}
