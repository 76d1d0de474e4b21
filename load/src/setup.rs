//! The organiser's side, over the public API: sign in, create the contest, its teams and
//! a quiz part with questions from the shipped bank, run the part, read back the answers.
use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, anyhow};
use reqwest::{Client, Method};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Clone)]
pub struct Api {
    base: String,
    http: Client,
    token: String,
}

pub struct Contest {
    pub id: i64,
    pub part_id: i64,
    /// Join code of each team.
    pub codes: Vec<String>,
}

pub struct Opened {
    pub deadline_at: i64,
}

#[derive(Deserialize)]
pub struct StoredAnswer {
    pub question_id: i32,
    pub contestant_id: i32,
    pub submission_id: String,
    pub received_at: i64,
}

pub struct Stored {
    pub answers: Vec<StoredAnswer>,
    pub deadlines: HashMap<i32, i64>,
}

impl Api {
    pub async fn new(base: &str, user: &str, password: &str) -> anyhow::Result<Self> {
        // The server drops a keep-alive connection idle for 5 s (actix's default); the
        // organiser's calls come about that far apart (one per question's deadline), so a
        // pooled connection must be dropped before: reusing one the server is closing fails
        // with "connection closed before message completed".
        let http = Client::builder()
            .timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(256)
            .pool_idle_timeout(Duration::from_secs(2))
            .build()?;
        let mut api = Self { base: base.trim_end_matches('/').to_owned(), http, token: String::new() };
        let login = api
            .call(Method::POST, "/api/auth/login", Some(json!({"username": user, "password": password})))
            .await
            .context("organiser sign-in (check --admin-user/--admin-password)")?;
        api.token = login["token"].as_str().ok_or_else(|| anyhow!("no token in the login answer"))?.to_owned();
        Ok(api)
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let mut req = self.http.request(method.clone(), format!("{}{path}", self.base));
        if !self.token.is_empty() {
            req = req.bearer_auth(&self.token);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.with_context(|| format!("{method} {path}"))?;
        let status = res.status();
        let text = res.text().await?;
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if !status.is_success() {
            return Err(anyhow!("{method} {path} answered {status}: {v}"));
        }
        Ok(v)
    }

    /// A contest with `teams` teams and one quiz part (any member answers, the last
    /// answer counts) holding `questions` questions of the shipped bank, each shown
    /// `reading_s` seconds before answering opens.
    pub async fn create_contest(
        &self,
        teams: usize,
        questions: usize,
        window_ms: u64,
        reading_s: u32,
    ) -> anyhow::Result<Contest> {
        let limit_s = window_ms.div_ceil(1000) as i64 + 2;
        let part = json!({
            "kind": "quiz", "title": "Phần thi trắc nghiệm", "max_points": 1000,
            "time_per_question_s": limit_s, "answer_policy": "last_answer",
            "scoring": { "reading_s": reading_s },
        });
        self.create_contest_with(teams, questions, part).await
    }

    /// A contest with `teams` teams and the part `part` (its settings as in
    /// `POST /api/contests/{id}/parts`) holding `questions` questions of the shipped bank.
    pub async fn create_contest_with(&self, teams: usize, questions: usize, part: Value) -> anyhow::Result<Contest> {
        let c = self
            .call(
                Method::POST,
                "/api/contests",
                Some(json!({
                    "name": format!("Hội thi thử tải {}", uuid::Uuid::new_v4().simple()),
                    "unit": "Ban Tuyên giáo",
                    "held_on": "2026-11-26",
                    "venue": "Hội trường",
                })),
            )
            .await?;
        let id = c["id"].as_i64().ok_or_else(|| anyhow!("no contest id: {c}"))?;
        for chunk in (0..teams).collect::<Vec<_>>().chunks(200) {
            let lines: Vec<String> = chunk.iter().map(|i| format!("Đội {:05}", i + 1)).collect();
            self.call(Method::POST, &format!("/api/contests/{id}/teams/bulk"), Some(json!({ "lines": lines }))).await?;
        }
        let list = self.call(Method::GET, &format!("/api/contests/{id}/teams"), None).await?;
        let codes: Vec<String> = list
            .as_array()
            .or_else(|| list["teams"].as_array())
            .ok_or_else(|| anyhow!("no team list: {list}"))?
            .iter()
            .filter_map(|t| t["code"].as_str().map(str::to_owned))
            .collect();
        anyhow::ensure!(codes.len() == teams, "expected {teams} teams, the server lists {}", codes.len());
        let part = self.call(Method::POST, &format!("/api/contests/{id}/parts"), Some(part)).await?;
        let part_id = part["id"].as_i64().ok_or_else(|| anyhow!("no part id: {part}"))?;
        let ids = self.question_ids(questions).await?;
        self.call(
            Method::PUT,
            &format!("/api/contests/{id}/parts/{part_id}/questions"),
            Some(json!({ "question_ids": ids })),
        )
        .await?;
        Ok(Contest { id, part_id, codes })
    }

    async fn question_ids(&self, n: usize) -> anyhow::Result<Vec<i64>> {
        let banks = self.call(Method::GET, "/api/banks", None).await?;
        let bank = banks
            .as_array()
            .and_then(|b| b.first())
            .and_then(|b| b["id"].as_i64())
            .ok_or_else(|| anyhow!("the server has no question bank"))?;
        let qs = self.call(Method::GET, &format!("/api/banks/{bank}/questions"), None).await?;
        let all = qs.as_array().or_else(|| qs["questions"].as_array()).ok_or_else(|| anyhow!("no question list"))?;
        // Questions that answer each other (a shared group, or one excluding the other)
        // may not meet in a contest: take the first n that clash with none taken before.
        let strings = |q: &Value, k: &str| -> Vec<String> {
            q[k].as_array()
                .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        let mut ids = vec![];
        let (mut groups, mut qids, mut excluded) = (vec![], vec![], vec![]);
        for q in all {
            let (Some(id), Some(qid)) = (q["id"].as_i64(), q["qid"].as_str().or_else(|| q["question_id"].as_str()))
            else {
                continue;
            };
            let (g, x) = (strings(q, "groups"), strings(q, "excludes"));
            let clash = g.iter().any(|g| groups.contains(g))
                || x.iter().any(|x| qids.contains(x))
                || excluded.contains(&qid.to_owned());
            if clash || q["retired"] == true {
                continue;
            }
            ids.push(id);
            groups.extend(g);
            excluded.extend(x);
            qids.push(qid.to_owned());
            if ids.len() == n {
                break;
            }
        }
        anyhow::ensure!(ids.len() == n, "the bank has only {} questions that may meet", ids.len());
        Ok(ids)
    }

    /// The same signed-in organiser at another address: another instance of a cluster,
    /// or another balancer in front of it (the instances share their signing secret).
    pub fn at(&self, base: &str) -> Api {
        Api { base: base.trim_end_matches('/').to_owned(), ..self.clone() }
    }

    /// Joins one phone; returns its token.
    pub async fn join(&self, code: &str, name: &str) -> anyhow::Result<String> {
        let res = self
            .http
            .post(format!("{}/api/join", self.base))
            .json(&json!({"code": code, "name": name}))
            .send()
            .await
            .context("POST /api/join")?;
        let status = res.status();
        let v: Value = res.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status.is_success(), "join answered {status}: {v}");
        v["token"].as_str().map(str::to_owned).ok_or_else(|| anyhow!("no token in the join answer"))
    }

    /// Tokens for the judges' and projector's sockets: one invited judge per socket
    /// but the last, which is the organiser (the projector runs from the console).
    pub async fn watcher_tokens(&self, contest: i64, n: usize) -> anyhow::Result<Vec<String>> {
        let mut out = Vec::with_capacity(n);
        for i in 0..n.saturating_sub(1) {
            let inv = self
                .call(
                    Method::POST,
                    &format!("/api/contests/{contest}/judges/invite"),
                    Some(json!({"name": format!("Giám khảo {}", i + 1)})),
                )
                .await?;
            let token = inv["token"].as_str().ok_or_else(|| anyhow!("no invitation token: {inv}"))?;
            let acc = self.call(Method::POST, "/api/judges/accept", Some(json!({"token": token}))).await?;
            out.push(acc["token"].as_str().ok_or_else(|| anyhow!("no judge token: {acc}"))?.to_owned());
        }
        if n > 0 {
            out.push(self.token.clone());
        }
        Ok(out)
    }

    pub async fn start_part(&self, contest: i64, part: i64) -> anyhow::Result<()> {
        self.call(Method::POST, &format!("/api/contests/{contest}/parts/{part}/start"), None).await.map(|_| ())
    }

    pub async fn finish_part(&self, contest: i64, part: i64) -> anyhow::Result<()> {
        self.call(Method::POST, &format!("/api/contests/{contest}/parts/{part}/finish"), None).await.map(|_| ())
    }

    pub async fn next(&self, contest: i64) -> anyhow::Result<Opened> {
        let s = self.call(Method::POST, &format!("/api/contests/{contest}/live/next"), None).await?;
        let q = &s["question"];
        Ok(Opened { deadline_at: q["deadline_at"].as_i64().ok_or_else(|| anyhow!("no deadline: {s}"))? })
    }

    /// Closes the open question; a question the server already closed at its deadline is fine.
    pub async fn close(&self, contest: i64) -> anyhow::Result<()> {
        match self.call(Method::POST, &format!("/api/contests/{contest}/live/close"), None).await {
            Ok(_) => Ok(()),
            Err(e) if e.to_string().contains("no question is open") => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub async fn reveal(&self, contest: i64) -> anyhow::Result<()> {
        self.call(Method::POST, &format!("/api/contests/{contest}/live/reveal"), None).await.map(|_| ())
    }

    /// Every stored answer of the contest and each question's deadline.
    pub async fn stored_answers(&self, contest: i64) -> anyhow::Result<Stored> {
        let v = self.call(Method::GET, &format!("/api/contests/{contest}/answers"), None).await?;
        let answers: Vec<StoredAnswer> = serde_json::from_value(v["answers"].clone()).context("answers list")?;
        let deadlines = v["questions"]
            .as_array()
            .map(|qs| qs.iter().filter_map(|q| Some((q["id"].as_i64()? as i32, q["deadline_at"].as_i64()?))).collect())
            .unwrap_or_default();
        Ok(Stored { answers, deadlines })
    }
}
