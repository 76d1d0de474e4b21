//! The hall's big screen and the judge panel, driven through the API while a real browser
//! watches: what the projector shows at each step of a quiz part (get ready, reading time,
//! answers coming in, a server restart, the distribution, the reveal, the board, a score
//! correction, a voided question, the end of the part), and the judge's live board.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{self, Screen};
use crate::helpers::{TestApp, spawn_app};

const XSS: &str = "<img src=x onerror=alert(1)>";

struct Hall {
    cid: i64,
    pid: i64,
    admin: String,
    /// (team id, a member's token)
    teams: Vec<(i64, String)>,
    questions: Vec<i64>,
}

/// A contest of three teams (one named like an attack) and a quiz part of three questions
/// with a get-ready and a reading time, all through the API.
async fn hall(app: &TestApp) -> Hall {
    let admin = app.admin_token().await;
    let (s, c) = app
        .post(
            "/api/contests",
            Some(&admin),
            json!({"name": "Hội thi tìm hiểu chuyên đề năm 2025", "unit": "Huyện ủy Châu Thành", "held_on": "2025-05-15", "venue": "Hội trường huyện"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_i64().unwrap();
    let (s, p) = app
        .post(
            &format!("/api/contests/{cid}/parts"),
            Some(&admin),
            json!({"kind": "quiz", "title": "Phần thi Khởi động", "max_points": 100, "weight": 1, "time_per_question_s": 0,
                   "answer_policy": "last_answer", "scoring": {"get_ready_s": 2, "reading_s": 3}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let pid = p["id"].as_i64().unwrap();
    let csv = "Mã câu hỏi,Phần,Loại,Độ khó,Điểm,Thời gian (giây),Câu hỏi,Phương án A,Phương án B,Phương án C,Phương án D,Đáp án,Giải thích\n\
        kd-1,phan-1,single,1,10,40,Chuyên đề năm 2025 đề cao việc phát huy điều gì để tận dụng thời kỳ vàng của đất nước?,Nguồn vốn nước ngoài,Nội lực,Tài nguyên thiên nhiên,Lao động giá rẻ,B,Chuyên đề nhấn mạnh phát huy nội lực và tận dụng thời kỳ vàng để phát triển.\n\
        kd-2,phan-1,single,1,10,40,Tỉnh nào tổ chức hội thi được nêu trong bài viết?,Cần Thơ,Sóc Trăng,Hậu Giang,Bạc Liêu,C,Bài viết nói về tỉnh Hậu Giang.\n\
        kd-3,phan-1,true_false,1,10,40,Hội thi có phần thi sân khấu hóa.,,,,,Đúng,\n";
    let (s, b) = app.post_raw("/api/banks/import?bank=khoi-dong&format=csv", &admin, "text/csv", csv.into()).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let bank = b["bank_id"].as_i64().unwrap();
    let (_, qs) = app.get(&format!("/api/banks/{bank}/questions"), Some(&admin)).await;
    let mut qs: Vec<(String, i64)> = qs
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (q["qid"].as_str().or(q["id_in_bank"].as_str()).unwrap_or_default().to_owned(), q["id"].as_i64().unwrap())
        })
        .collect();
    qs.sort();
    let ids: Vec<i64> = qs.iter().map(|q| q.1).collect();
    let b = crate::fixtures::set_part_questions(app, &admin, cid, pid, &ids).await;
    let questions = b["questions"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    let mut teams = vec![];
    for name in ["Đội Vị Thanh", XSS, "Đội Long Mỹ"] {
        let (s, t) = app
            .post(
                &format!("/api/contests/{cid}/teams"),
                Some(&admin),
                json!({"name": name, "unit": "Đảng ủy", "members": ["An"]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        let (s, j) = app.post("/api/join", None, json!({"code": t["code"], "name": "An"})).await;
        assert_eq!(s, StatusCode::OK, "{j}");
        teams.push((t["id"].as_i64().unwrap(), j["token"].as_str().unwrap().to_owned()));
    }
    Hall { cid, pid, admin, teams, questions }
}

impl Hall {
    async fn control(&self, app: &TestApp, what: &str, body: Option<Value>) -> Value {
        let path = match what {
            "start" | "finish" => format!("/api/contests/{}/parts/{}/{what}", self.cid, self.pid),
            _ => format!("/api/contests/{}/live/{what}", self.cid),
        };
        let (s, b) = app.request(Method::POST, &path, Some(&self.admin), body).await;
        assert_eq!(s, StatusCode::OK, "{what}: {b}");
        b
    }

    async fn answer(&self, app: &TestApp, team: usize, q: i64, choice: usize) {
        let (s, b) = app
            .post(
                &format!("/api/contests/{}/answers", self.cid),
                Some(&self.teams[team].1),
                json!({"submission_id": format!("s-{team}-{q}"), "question_id": q, "response": {"choice": choice}}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }

    async fn adjust(&self, app: &TestApp, team: usize, delta: f64, reason: &str) {
        let (s, b) = app
            .post(
                &format!("/api/contests/{}/adjustments", self.cid),
                Some(&self.admin),
                json!({"team_id": self.teams[team].0, "delta": delta, "reason": reason}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
}

/// The team names of the projector's board, top first.
async fn board_names(s: &Screen) -> Vec<String> {
    let v = s.js("return [...document.querySelectorAll('#board .prow .pname')].map(e => e.textContent)").await;
    v.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_projector_follows_a_quiz_part_by_itself_through_a_restart() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let h = hall(&app).await;
    let (s, link) = app.post(&format!("/api/contests/{}/projector", h.cid), Some(&h.admin), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{link}");
    let path = link["path"].as_str().unwrap();
    let p = Screen::wide("projector", "projector").await;
    p.goto(&format!("{}{path}&hold=6", app.addr)).await;

    // Before the start: the contest's name and the standings, the attack shown as text.
    p.wait_text("#contest-name", "Hội thi tìm hiểu chuyên đề năm 2025", 10).await;
    p.wait_js("return document.querySelectorAll('#board .prow').length === 3", 10).await;
    assert!(board_names(&p).await.contains(&XSS.to_owned()));
    assert_eq!(p.js("return document.querySelectorAll('#stage img').length").await, json!(0));
    let url = p.js("return location.href").await;
    assert!(!url.as_str().unwrap().contains("token="), "the token leaves the address bar: {url}");
    p.shot("before-start").await;

    // Get ready: the number counts down.
    h.control(&app, "start", None).await;
    h.control(&app, "next", None).await;
    p.find("#scene-ready").await;
    p.wait_text("#ready-no", "Câu 1", 5).await;
    p.shot("get-ready").await;

    // Reading time: the question and options, the ring counting down to the opening.
    p.wait_text("#question", "thời kỳ vàng", 5).await;
    p.wait_js("return document.querySelector('#countdown').dataset.phase === 'reading'", 5).await;
    assert_eq!(p.text("#countdown-cap").await.to_lowercase(), "đọc câu hỏi");
    let opts = p
        .js("return [...document.querySelectorAll('#options .opt')].map(o => o.dataset.key + ':' + o.textContent)")
        .await;
    assert_eq!(opts[1], "B:BNội lực", "{opts}");
    assert_eq!(p.text("#q-no").await, "Câu 1/3");
    p.shot("reading").await;

    // Answering: the ring counts the answer time; the answered count grows.
    p.wait_js("return ['answering', 'hurry'].includes(document.querySelector('#countdown').dataset.phase)", 6).await;
    let q1 = h.questions[0];
    h.answer(&app, 0, q1, 1).await;
    h.answer(&app, 1, q1, 2).await;
    p.wait_text("#answered", "2/3", 5).await;
    assert_eq!(p.js("return document.querySelector('#answered').textContent").await, json!("2/3 đội đã trả lời"));
    let left: i64 = p.text("#countdown-num").await.parse().unwrap();
    assert!((30..=40).contains(&left), "{left}");
    p.shot("answering").await;

    // The server restarts mid-question: the projector comes back by itself to the same
    // question with the same deadline.
    let deadline = p.js("return document.querySelector('#countdown').dataset.deadline").await;
    let connects = p.js("return Number(document.querySelector('#stage').dataset.connects)").await.as_i64().unwrap();
    let app = app.restart().await;
    p.wait_js(&format!("return Number(document.querySelector('#stage').dataset.connects) > {connects}"), 20).await;
    p.wait_js("return document.querySelector('#conn').dataset.status === 'open'", 10).await;
    assert_eq!(p.js("return document.querySelector('#countdown').dataset.deadline").await, deadline);
    assert!(p.text("#question").await.contains("thời kỳ vàng"));
    p.wait_text("#answered", "2/3", 5).await;
    p.shot("after-restart").await;

    // Closed: the distribution, nothing highlighted yet.
    h.control(&app, "close", None).await;
    p.find("#dist").await;
    let count = |k: &str| format!("return document.querySelector('#dist-chart g[data-key=\"{k}\"]').dataset.count");
    assert_eq!(p.js(&count("B")).await, json!("1"));
    assert_eq!(p.js(&count("C")).await, json!("1"));
    assert_eq!(p.js(&count("A")).await, json!("0"));
    assert_eq!(p.js("return document.querySelectorAll('#dist-chart .right').length").await, json!(0));
    assert!(p.js("return document.querySelector('#solution').hidden").await.as_bool().unwrap());
    assert_eq!(p.text("#countdown-cap").await, "HẾT GIỜ");
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    p.shot("closed-distribution").await;

    // Revealed: the right bar lights up, the explanation shows.
    h.control(&app, "reveal", None).await;
    p.wait_js("return document.querySelector('#dist-chart g.right')?.dataset.key === 'B'", 5).await;
    assert_eq!(p.js("return document.querySelectorAll('#dist-chart g.right').length").await, json!(1));
    p.wait_text("#explanation", "phát huy nội lực", 5).await;
    assert_eq!(p.text("#solution-key").await, "B");
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    p.shot("revealed").await;

    // Then the standings: the team that was right leads.
    p.find("#scene-board").await;
    p.wait_js("return document.querySelector('#board .prow .pname')?.textContent === 'Đội Vị Thanh'", 10).await;
    assert_eq!(p.text("#board .prow .ptotal").await, "10");
    p.shot("board").await;

    // A correction moves a team up, with the rows sliding to their places.
    h.adjust(&app, 2, 15.0, "Phúc khảo: cộng điểm phần chào hỏi").await;
    p.wait_js("return document.querySelector('#board .prow .pname')?.textContent === 'Đội Long Mỹ'", 10).await;
    assert_eq!(board_names(&p).await, vec!["Đội Long Mỹ", "Đội Vị Thanh", XSS]);
    assert!(p.js("return document.querySelector('#board .prow').classList.contains('up')").await.as_bool().unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(900)).await;
    p.shot("board-after-correction").await;

    // A voided question says so, then the standings come back.
    h.control(&app, "next", None).await;
    p.wait_text("#question", "Tỉnh nào tổ chức", 10).await;
    h.control(&app, "void", Some(json!({"reason": "Câu hỏi có hai đáp án đúng"}))).await;
    p.find("#scene-voided").await;
    p.wait_text("#voided-reason", "hai đáp án đúng", 5).await;
    p.shot("voided").await;

    // The end of the part: the standings under its title.
    h.control(&app, "finish", None).await;
    p.wait_text("#board-title", "Kết thúc Phần thi Khởi động", 10).await;
    p.shot("part-finished").await;
    p.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projector_without_a_valid_link_says_so() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, c) = app.post("/api/contests", Some(&admin), json!({"name": "Hội thi thử"})).await;
    let cid = c["id"].as_i64().unwrap();
    let p = Screen::wide("projector-invalid", "projector").await;
    for path in [format!("/projector/{cid}"), format!("/projector/{cid}#token=abc.def.ghi")] {
        p.goto(&format!("{}{path}", app.addr)).await;
        p.js("sessionStorage.clear(); localStorage.clear(); return true").await;
        p.goto(&format!("{}{path}", app.addr)).await;
        p.wait_text("#scene-invalid", "Liên kết màn hình chiếu không hợp lệ — mở lại từ trang điều hành", 10).await;
    }
    // Another contest's link is not this contest's.
    let (_, link) = app.post(&format!("/api/contests/{cid}/projector"), Some(&admin), json!({})).await;
    let token = link["token"].as_str().unwrap();
    p.goto(&format!("{}/projector/{}#token={token}", app.addr, cid + 1)).await;
    p.wait_text("#scene-invalid", "không hợp lệ", 10).await;
    p.shot("invalid-link").await;
    p.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_judge_signs_in_and_watches_the_live_board_with_each_questions_points() {
    if !harness::available() {
        return;
    }
    let app = spawn_app().await;
    let h = hall(&app).await;
    let (s, u) = app
        .post(
            "/api/users",
            Some(&h.admin),
            json!({"username": "giamkhao1", "password": "mat-khau-giam-khao", "role": "judge"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    let (s, j) = app
        .post(
            &format!("/api/contests/{}/judges", h.cid),
            Some(&h.admin),
            json!({"user_id": u["id"], "name": "Nguyễn Văn Bình"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{j}");

    let s = Screen::wide("judge", "judge").await;
    s.sign_in(&app.addr, "giamkhao1", "mat-khau-giam-khao", "/judge").await;
    s.wait_text("#contest-list", "Hội thi tìm hiểu chuyên đề năm 2025", 10).await;
    s.wait_js("return document.querySelectorAll('#judge-board tbody tr').length === 3", 10).await;
    assert!(s.text("#judge-board").await.contains(XSS));
    s.shot("before-start").await;

    h.control(&app, "start", None).await;
    h.control(&app, "next", None).await;
    let q1 = h.questions[0];
    tokio::time::sleep(std::time::Duration::from_millis(5200)).await;
    h.answer(&app, 0, q1, 1).await;
    h.answer(&app, 1, q1, 3).await;
    s.wait_text("#now-answered", "2/3 đội đã trả lời", 5).await;
    s.shot("answering").await;
    h.control(&app, "close", None).await;
    let cell = |team: usize| format!("#judge-board tr[data-team=\"{}\"] td.qcell[data-q=\"{q1}\"]", h.teams[team].0);
    s.wait_text(&cell(0), "10", 10).await;
    assert!(
        s.js(&format!("return document.querySelector('{}').classList.contains('ok')", cell(0)))
            .await
            .as_bool()
            .unwrap()
    );
    assert_eq!(s.text(&cell(1)).await, "0");
    assert!(
        s.js(&format!("return document.querySelector('{}').classList.contains('bad')", cell(1)))
            .await
            .as_bool()
            .unwrap()
    );
    let first = s.text("#judge-board tbody tr td.team").await;
    assert_eq!(first, "Đội Vị Thanh");
    h.adjust(&app, 2, -2.0, "Vi phạm quy chế: dùng điện thoại ngoài giờ").await;
    s.wait_text("#adjust-count", "1", 10).await;
    s.shot("board-closed").await;
    s.click("#tab-adjust").await;
    s.wait_text("#judge-adjustments", "Vi phạm quy chế", 5).await;
    assert!(s.text("#judge-adjustments").await.contains("−2"));
    s.shot("adjustments").await;
    s.click("#tab-sheets").await;
    s.wait_text("#sheets", "Phiếu chấm", 5).await;
    s.shot("marking-sheets").await;

    // An invited judge: the link becomes a session on this panel.
    let (st, inv) = app
        .post(&format!("/api/contests/{}/judges/invite", h.cid), Some(&h.admin), json!({"name": "Trần Thị Mai"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{inv}");
    let token = inv["token"].as_str().unwrap();
    s.js("localStorage.removeItem('hoithi.staff'); return true").await;
    s.goto(&format!("{}/judge?invite={token}", app.addr)).await;
    s.wait_js("return document.querySelectorAll('#judge-board tbody tr').length === 3", 10).await;
    s.wait_text(&cell(0), "10", 10).await;
    s.goto(&format!("{}/judge?invite={token}", app.addr)).await;
    s.wait_text("#gate", "đã được dùng", 10).await;
    s.quit().await;
}
