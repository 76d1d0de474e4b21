//! The buzzer part in real browsers: a phone presses the huge button and sees its place
//! ("Bạn bấm thứ 2"), takes the steal ("Đội bạn giành quyền trả lời!"), is told its
//! false start; the projector shows the team with the floor large and the order with the
//! gaps; the console marks right and wrong with its keyboard shortcuts.
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::harness::{self, Screen};
use crate::helpers::{ADMIN_PASSWORD, ADMIN_USER, TestApp, Ws, spawn_app};

struct Hall {
    cid: i64,
    admin: String,
    /// (team id, name, join code, token of a member who joined over the API)
    teams: Vec<(i64, String, String, String)>,
}

async fn hall(app: &TestApp) -> Hall {
    let csv = "Mã câu hỏi,Phần,Loại,Độ khó,Điểm,Thời gian (giây),Câu hỏi,Phương án A,Phương án B,Phương án C,Phương án D,Đáp án,Giải thích\n\
        gq-1,phan-1,single,1,10,40,Đại hội đại biểu toàn quốc lần thứ XIII của Đảng xác định mấy đột phá chiến lược?,Hai,Ba,Bốn,Năm,B,\n\
        gq-2,phan-1,single,1,10,40,Ngày thành lập Đoàn TNCS Hồ Chí Minh là ngày nào?,26/3/1931,19/5/1941,2/9/1945,3/2/1930,A,\n";
    hall_with(app, json!({"wrong_penalty": 5, "buzzer": {"steal_s": 15, "false_start_lockout_s": 3}}), csv).await
}

/// A contest with one started buzzer part (`scoring`) holding the `gq-` questions of `csv`.
async fn hall_with(app: &TestApp, scoring: Value, csv: &str) -> Hall {
    let admin = app.admin_token().await;
    let (s, c) = app
        .post(
            "/api/contests",
            Some(&admin),
            json!({"name": "Hội thi Rung chuông tri thức 2025", "unit": "Huyện đoàn Châu Thành", "held_on": "2025-05-15", "venue": "Nhà văn hóa huyện"}),
        )
        .await;
    assert_eq!(s.as_u16(), 201, "{c}");
    let cid = c["id"].as_i64().unwrap();
    let (s, p) = app
        .post(
            &format!("/api/contests/{cid}/parts"),
            Some(&admin),
            json!({"kind": "buzzer", "title": "Phần thi Giành quyền trả lời", "max_points": 100, "weight": 1,
                   "time_per_question_s": 0, "scoring": scoring}),
        )
        .await;
    assert_eq!(s.as_u16(), 201, "{p}");
    let pid = p["id"].as_i64().unwrap();
    let (s, b) = app.post_raw("/api/banks/import?bank=gianh-quyen&format=csv", &admin, "text/csv", csv.into()).await;
    assert_eq!(s.as_u16(), 201, "{b}");
    let bank = b["bank_id"].as_i64().unwrap();
    let (_, qs) = app.get(&format!("/api/banks/{bank}/questions"), Some(&admin)).await;
    let mut qs: Vec<(String, i64)> = qs
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (q["qid"].as_str().or(q["id_in_bank"].as_str()).unwrap_or_default().to_owned(), q["id"].as_i64().unwrap())
        })
        .filter(|q| q.0.starts_with("gq-"))
        .collect();
    qs.sort();
    let ids: Vec<i64> = qs.iter().map(|q| q.1).collect();
    crate::fixtures::set_part_questions(app, &admin, cid, pid, &ids).await;
    let mut teams = vec![];
    for name in ["Xã Tân Phú Thạnh", "Thị trấn Mái Dầm", "Xã Đông Phước"] {
        let (s, t) = app
            .post(
                &format!("/api/contests/{cid}/teams"),
                Some(&admin),
                json!({"name": name, "unit": "Đoàn xã", "members": []}),
            )
            .await;
        assert_eq!(s.as_u16(), 201, "{t}");
        let code = t["code"].as_str().unwrap().to_owned();
        let (s, j) = app.post("/api/join", None, json!({"code": code, "name": "Bảo"})).await;
        assert_eq!(s.as_u16(), 200, "{j}");
        teams.push((t["id"].as_i64().unwrap(), name.to_owned(), code, j["token"].as_str().unwrap().to_owned()));
    }
    let (s, b) =
        app.request(reqwest::Method::POST, &format!("/api/contests/{cid}/parts/{pid}/start"), Some(&admin), None).await;
    assert_eq!(s.as_u16(), 200, "{b}");
    Hall { cid, admin, teams }
}

impl Hall {
    async fn control(&self, app: &TestApp, what: &str, body: Option<Value>) -> Value {
        let (s, b) = app
            .request(reqwest::Method::POST, &format!("/api/contests/{}/live/{what}", self.cid), Some(&self.admin), body)
            .await;
        assert_eq!(s.as_u16(), 200, "{what}: {b}");
        b
    }
}

/// A team presses over its own socket (another phone in the hall).
pub(crate) async fn press(ws: &mut Ws, qid: i64) -> Value {
    ws.send(Message::Text(json!({"type": "buzz", "question_id": qid}).to_string().into())).await.unwrap();
    loop {
        let t = match ws.next().await {
            Some(Ok(Message::Text(t))) => t,
            // The server's pings (every 15 s) are answered by the socket itself.
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("socket ended: {other:?}"),
        };
        let v: Value = serde_json::from_str(&t).unwrap();
        if v["type"] == "buzzed" || v["type"] == "error" {
            return v;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_presses_the_buzzer_and_the_projector_shows_who_has_the_floor() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let h = hall(&app).await;
    let (a_id, a_name, a_code, _) = h.teams[0].clone();
    let (b_id, b_name, _, b_token) = h.teams[1].clone();
    let mut other = app.ws(&b_token).await;

    let (_, link) = app.post(&format!("/api/contests/{}/projector", h.cid), Some(&h.admin), json!({})).await;
    let p = Screen::wide("buzzer", "projector").await;
    p.goto(&format!("{}{}", app.addr, link["path"].as_str().unwrap())).await;
    let phone = Screen::phone("buzzer", "phone").await;
    phone.join(&app.addr, &a_code, "Ngọc").await;
    let console = Screen::wide("buzzer", "console").await;
    console.sign_in(&app.addr, ADMIN_USER, ADMIN_PASSWORD, "/console").await;
    console.goto(&format!("{}/console#/{}/live", app.addr, h.cid)).await;

    // The question is shown; the buzzer waits for the organiser.
    let st = h.control(&app, "next", None).await;
    let q1 = st["buzzer"]["question_id"].as_i64().unwrap();
    phone.wait_text("#buzz-sub", "Chờ hiệu lệnh", 10).await;
    phone.wait_text("#buzz-q", "đột phá chiến lược", 5).await;
    phone.shot("1-waiting").await;
    p.wait_text("#scene-buzzer", "Chờ hiệu lệnh", 10).await;
    p.wait_text("#bz-prompt", "đột phá chiến lược", 5).await;
    p.shot("1-question").await;
    console.wait_text("#live-buzz-phase", "Chuông chưa mở", 10).await;

    // B (the organiser's shortcut) opens it: every screen says so.
    console.js("document.activeElement && document.activeElement.blur(); return true").await;
    console.js("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'b'})); return true").await;
    phone.wait_js("return !!document.querySelector('#buzz.live')", 5).await;
    phone.wait_text("#buzz-sub", "bấm ngay", 5).await;
    phone.shot("2-open").await;
    p.wait_text("#scene-buzzer", "bấm ngay", 5).await;

    // Another team is first; the phone presses second and sees its place.
    let first = press(&mut other, q1).await;
    assert_eq!(first["buzz"]["place"], 1, "{first}");
    phone.wait_text("#buzz-title", &format!("{b_name} giành quyền trả lời"), 5).await;
    phone.js("document.querySelector('#buzz').dispatchEvent(new PointerEvent('pointerdown', {bubbles: true})); return true").await;
    let line = phone.wait_text("#buzz-banner", "Bạn bấm thứ 2", 5).await;
    assert!(line.contains("chậm hơn") && line.contains("ms"), "{line}");
    phone.shot("3-second").await;
    p.wait_text("#bz-winner-name", &b_name, 5).await;
    p.wait_text("#bz-order", &a_name, 5).await;
    let gap = p.text("#bz-order li:first-child .bz-gap").await;
    assert!(gap.starts_with('+') && gap.ends_with(" ms"), "{gap}");
    // The order on the projector is the stored order.
    let (_, stored) = app.get(&format!("/api/contests/{}/live/buzzes", h.cid), Some(&h.admin)).await;
    let stored: Vec<i64> = stored.as_array().unwrap().iter().map(|r| r["team_id"].as_i64().unwrap()).collect();
    assert_eq!(stored, vec![b_id, a_id]);
    p.shot("3-winner").await;
    console.wait_text("#live-floor", &b_name, 5).await;
    console.wait_text("#live-buzz-order", &a_name, 5).await;
    console.shot("3-floor").await;

    // X: wrong. The steal opens (B again); the phone takes it.
    console.js("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'x'})); return true").await;
    p.wait_text("#bz-marks", "−5", 5).await;
    console
        .wait_js("return document.querySelector('#live-buzzer-open .ctl-label').textContent.includes('đội khác')", 5)
        .await;
    console.js("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'b'})); return true").await;
    phone.wait_text("#stage", "Cơ hội cho các đội còn lại", 5).await;
    phone.shot("4-steal").await;
    let e = press(&mut other, q1).await;
    assert_eq!(e["error"]["code"], "locked_out", "{e}");
    phone.js("document.querySelector('#buzz').dispatchEvent(new PointerEvent('pointerdown', {bubbles: true})); return true").await;
    phone.wait_text("#buzz-title", "Đội bạn giành quyền trả lời!", 5).await;
    phone.shot("5-floor").await;
    p.wait_text("#bz-winner-name", &a_name, 5).await;
    p.shot("5-steal-winner").await;

    // D: right. +10 for the phone's team, then the reveal.
    console.js("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'd'})); return true").await;
    phone.wait_text("#buzz-title", "Đúng!", 5).await;
    phone.wait_text("#buzz-banner", "+10 điểm", 5).await;
    p.wait_text("#bz-result", &format!("{a_name} trả lời đúng"), 5).await;
    console.shot("6-marked").await;
    h.control(&app, "reveal", None).await;
    p.wait_text("#bz-result", "Đáp án: B. Ba", 5).await;
    p.shot("6-revealed").await;
    phone.wait_text("#buzz-banner", "Đáp án", 5).await;
    phone.shot("6-right").await;

    // The next question: pressing before the buzzer opens is a false start.
    h.control(&app, "next", None).await;
    phone.wait_text("#buzz-sub", "Chờ hiệu lệnh", 10).await;
    phone.js("document.querySelector('#buzz').dispatchEvent(new PointerEvent('pointerdown', {bubbles: true})); return true").await;
    phone.wait_text("#buzz-sub", "Bấm sớm — chờ", 5).await;
    phone.shot("7-false-start").await;
    // The board: the phone's team +10, the other −5, equal to a recomputation.
    let (_, live) = app.get(&format!("/api/contests/{}/scoreboard", h.cid), Some(&h.admin)).await;
    let (_, again) = app.get(&format!("/api/contests/{}/scoreboard?recompute=true", h.cid), Some(&h.admin)).await;
    assert_eq!(live["board"], again["board"]);
    let total =
        |t: i64| live["board"]["rows"].as_array().unwrap().iter().find(|r| r["team_id"] == t).unwrap()["total"].clone();
    assert_eq!((total(a_id), total(b_id)), (json!(10.0), json!(-5.0)));
    phone.quit().await;
    p.quit().await;
    console.quit().await;
}

/// A team sends a typed answer over its own socket and waits for the ack or the refusal.
async fn type_answer(ws: &mut Ws, qid: i64, sid: &str, response: Value) -> Value {
    let msg = json!({"type": "answer", "submission_id": sid, "question_id": qid, "response": response});
    ws.send(Message::Text(msg.to_string().into())).await.unwrap();
    loop {
        let t = match ws.next().await {
            Some(Ok(Message::Text(t))) => t,
            // The server's pings (every 15 s) are answered by the socket itself.
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("socket ended: {other:?}"),
        };
        let v: Value = serde_json::from_str(&t).unwrap();
        if v["type"] == "ack" || v["type"] == "error" {
            return v;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_team_with_the_floor_types_its_answer_on_the_phone() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let csv = "Mã câu hỏi,Phần,Loại,Độ khó,Điểm,Thời gian (giây),Câu hỏi,Phương án A,Phương án B,Phương án C,Phương án D,Đáp án,Giải thích\n\
        gq-1,phan-1,short_text,1,10,40,Ngày 2/9/1945 Chủ tịch Hồ Chí Minh đọc Tuyên ngôn độc lập tại quảng trường nào?,,,,,Ba Đình|Quảng trường Ba Đình,\n\
        gq-2,phan-1,number,1,10,40,Đoàn TNCS Hồ Chí Minh được thành lập vào năm nào?,,,,,1931,\n";
    let scoring =
        json!({"wrong_penalty": 5, "buzzer": {"steal_s": 0, "false_start_lockout_s": 0, "typed_answer": true}});
    let h = hall_with(&app, scoring, csv).await;
    let (a_id, a_name, a_code, _) = h.teams[0].clone();
    let (b_id, b_name, _, b_token) = h.teams[1].clone();
    let mut other = app.ws(&b_token).await;

    let (_, link) = app.post(&format!("/api/contests/{}/projector", h.cid), Some(&h.admin), json!({})).await;
    let p = Screen::wide("buzzer_typed", "projector").await;
    p.goto(&format!("{}{}", app.addr, link["path"].as_str().unwrap())).await;
    let phone = Screen::phone("buzzer_typed", "phone").await;
    phone.join(&app.addr, &a_code, "Ngọc").await;
    let console = Screen::wide("buzzer_typed", "console").await;
    console.sign_in(&app.addr, ADMIN_USER, ADMIN_PASSWORD, "/console").await;
    console.goto(&format!("{}/console#/{}/live", app.addr, h.cid)).await;

    // Question 1 (a short answer): the phone takes the floor and gets a field.
    let st = h.control(&app, "next", None).await;
    let q1 = st["buzzer"]["question_id"].as_i64().unwrap();
    h.control(&app, "buzzer/open", None).await;
    phone.wait_js("return !!document.querySelector('#buzz.live')", 10).await;
    phone.js("document.querySelector('#buzz').dispatchEvent(new PointerEvent('pointerdown', {bubbles: true})); return true").await;
    phone.wait_text("#buzz-title", "Đội bạn giành quyền trả lời!", 5).await;
    phone.wait_js("return !!document.querySelector('#typed-input')", 5).await;
    console.wait_text("#live-typing", "Đội đang nhập câu trả lời", 5).await;
    p.wait_text("#bz-winner", "Đội đang nhập câu trả lời", 5).await;
    // Another team cannot answer for it.
    let e = type_answer(&mut other, q1, "b-q1", json!({"text": "Ba Đình"})).await;
    assert_eq!(e["error"]["code"], "not_your_floor", "{e}");
    // An empty answer is stopped on the phone, in Vietnamese beside the field.
    phone.click("#typed-send").await;
    phone.wait_text("#typed-status", "Hãy nhập câu trả lời", 5).await;
    phone.fill("#typed-input", "quang truong ba dinh").await;
    phone.shot("1-floor-typing").await;
    phone.click("#typed-send").await;
    // Matched like a quiz answer (no diacritics): right, +10.
    phone.wait_text("#buzz-title", "Đúng!", 5).await;
    let banner = phone.wait_text("#buzz-banner", "+10 điểm", 5).await;
    assert!(banner.contains("Đội bạn trả lời: “quang truong ba dinh”"), "{banner}");
    phone.shot("2-right").await;
    p.wait_text("#bz-result", &format!("{a_name} trả lời đúng"), 5).await;
    p.wait_text("#bz-typed", "quang truong ba dinh", 5).await;
    p.shot("2-right").await;
    console.wait_text("#live-typed", "quang truong ba dinh", 5).await;
    console.shot("2-typed").await;

    // Question 2 (a number): the other team takes the floor and types a wrong year.
    h.control(&app, "reveal", None).await;
    let st = h.control(&app, "next", None).await;
    let q2 = st["buzzer"]["question_id"].as_i64().unwrap();
    h.control(&app, "buzzer/open", None).await;
    phone.wait_js("return !!document.querySelector('#buzz.live')", 10).await;
    assert_eq!(press(&mut other, q2).await["buzz"]["place"], 1);
    let line = phone.wait_text("#buzz-banner", &format!("{b_name} giành quyền trả lời"), 5).await;
    assert!(line.contains("Đội đang nhập câu trả lời"), "{line}");
    phone.shot("3-other-typing").await;
    let ack = type_answer(&mut other, q2, "b-q2", json!({"number": 1930})).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    p.wait_text("#bz-typed", "1930", 5).await;
    p.shot("3-wrong").await;
    // The steal: the phone takes it; a number it cannot read is stopped on the phone.
    h.control(&app, "buzzer/open", None).await;
    phone.wait_js("return !!document.querySelector('#buzz.live')", 10).await;
    phone.js("document.querySelector('#buzz').dispatchEvent(new PointerEvent('pointerdown', {bubbles: true})); return true").await;
    phone.wait_js("return !!document.querySelector('#typed-input')", 5).await;
    phone.fill("#typed-input", "năm 1931").await;
    phone.wait_text("#typed-read", "Chưa đọc được số này", 5).await;
    phone.click("#typed-send").await;
    phone.shot("4-not-a-number").await;
    // Nothing was sent: the floor is still the phone's and nothing is stored for it.
    let (_, st) = app.get(&format!("/api/contests/{}/live", h.cid), Some(&h.admin)).await;
    assert_eq!(st["buzzer"]["winner"]["team_id"], a_id, "{st}");
    assert_eq!(st["buzzer"]["answers"].as_array().map(Vec::len), Some(1), "only the other team's: {st}");
    phone.fill("#typed-input", "1931").await;
    phone.wait_text("#typed-read", "1931", 5).await;
    phone.click("#typed-send").await;
    phone.wait_text("#buzz-title", "Đúng!", 5).await;
    phone.shot("5-steal-right").await;
    console.wait_text("#live-typed", "1930", 5).await;
    console.wait_text("#live-typed", "1931", 5).await;
    console.shot("5-typed").await;

    // The board follows the automatic marks: the phone's team +20, the other −5.
    let (_, live) = app.get(&format!("/api/contests/{}/scoreboard", h.cid), Some(&h.admin)).await;
    let (_, again) = app.get(&format!("/api/contests/{}/scoreboard?recompute=true", h.cid), Some(&h.admin)).await;
    assert_eq!(live["board"], again["board"]);
    let total =
        |t: i64| live["board"]["rows"].as_array().unwrap().iter().find(|r| r["team_id"] == t).unwrap()["total"].clone();
    assert_eq!((total(a_id), total(b_id)), (json!(20.0), json!(-5.0)));
    phone.quit().await;
    p.quit().await;
    console.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_sets_up_a_buzzer_part_with_typed_answers() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let cid = crate::fixtures::create_contest(&app, &admin, "Hội thi Rung chuông tri thức 2025").await;
    let s = Screen::wide("buzzer_part_form", "console").await;
    s.sign_in(&app.addr, ADMIN_USER, ADMIN_PASSWORD, "/console").await;
    s.goto(&format!("{}/console#/{cid}/parts", app.addr)).await;
    s.click("#part-new").await;
    s.fill("#part-title", "Phần thi Giành quyền trả lời").await;
    s.js("const k = document.querySelector('#part-kind'); k.value = 'buzzer'; k.dispatchEvent(new Event('change')); return true").await;
    s.find("#part-buzzer").await;
    // Too long a steal window is refused beside its field, in Vietnamese.
    s.fill("#part-bz-steal", "400").await;
    s.click("#part-bz-typed").await;
    s.click("#part-save").await;
    s.wait_text("#part-buzzer .field-error", "từ 0 đến 300", 5).await;
    s.shot("refused").await;
    s.fill("#part-bz-steal", "20").await;
    s.click("#part-save").await;
    let mut parts = Value::Null;
    for _ in 0..50 {
        parts = app.get(&format!("/api/contests/{cid}/parts"), Some(&admin)).await.1;
        if parts.as_array().is_some_and(|p| !p.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(parts[0]["kind"], "buzzer", "{parts}");
    assert_eq!(
        parts[0]["scoring"]["buzzer"],
        json!({"steal_s": 20, "false_start_lockout_s": 3, "false_start_whole_question": false, "typed_answer": true}),
        "{parts}"
    );
    // The saved part shows its settings again.
    s.wait_js("return document.querySelector('#part-bz-typed') && document.querySelector('#part-bz-typed').checked && document.querySelector('#part-bz-steal').value === '20'", 5).await;
    s.shot("saved").await;
    s.quit().await;
}
