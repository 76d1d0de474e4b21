//! The quiz (trả lời trắc nghiệm): every team answers each timed question at once.
//!
//! Its live state is the part's question order, the open question and each team's
//! counted answer to it; its controls open the next question (after an optional "get
//! ready" countdown and reading time), pause, resume, close, reveal and void; what it
//! stores is each question's live fields (opening, deadline, pause, status) with an
//! audit entry, and the answers through the engine's group-commit writer. Phones see the
//! question (never its answer) from its showing time on, the count of teams that
//! answered and their own team's answer; staff also see which teams answered; the
//! solution and explanation go out only at the reveal.
use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::super::engine::{Answerer, Control, Engine, Viewer};
use super::super::events::{AnswerRequest, Event, QuestionView, TeamAnswer};
use super::super::scores::part_scoring;
use crate::domain::part::{AnswerPolicy, Scoring};
use crate::domain::question::Response;
use crate::domain::ranking::round2;
use crate::domain::text::fold;
use crate::entities::{answers, part_questions, parts};
use crate::error::{ApiError, ApiResult};
use crate::now_ms;
use crate::store;

/// Phones count down locally from `deadline_at`; this periodic countdown only re-syncs
/// their clocks and answer counts, so it is rare: each one is a write to every socket.
const COUNTDOWN_EVERY_MS: i64 = 3000;

/// How often a team's phones hear the team's answer when it changed. Each time is a write
/// to every phone of every team that answered since: at 5 a second (the board's pace) it
/// cost as many writes as opening a question five times a second, which slowed the acks of
/// an answer window (measured in BENCHMARKS.md); once a second is soon enough for a
/// teammate to see what the team chose.
const TEAM_ANSWER_EVERY_MS: i64 = 1000;

/// A running quiz part.
pub struct QuizRun {
    pub scoring: Scoring,
    pub policy: AnswerPolicy,
    /// Question ids by position.
    pub order: Vec<i32>,
    pub current: Option<i32>,
    /// The question has been announced: its "get ready" countdown is over and it has gone
    /// out to every screen (answering opens at `opened_at`, after the reading time).
    pub announced: bool,
    pub star_used: HashMap<i32, i32>,
    /// Each team's counted answer to the current question (its last one stored).
    pub team_answer: HashMap<i32, TeamAnswer>,
    /// The answer count changed since staff were last told.
    count_dirty: bool,
    /// Teams whose answer to the open question changed since they were last told.
    teams_answered: std::collections::HashSet<i32>,
    last_team_answers: i64,
    last_countdown: i64,
}

impl QuizRun {
    /// The live state of a part from its stored questions: the current question is the
    /// last one asked.
    pub fn new(part: &parts::Model, questions: &[&part_questions::Model]) -> Self {
        let (order, current) = super::question_order(questions);
        let scoring = part_scoring(part);
        let announced = current
            .and_then(|id| questions.iter().find(|q| q.id == id))
            .and_then(|q| q.opened_at)
            .is_none_or(|t| scoring.shown_at(t) <= now_ms());
        QuizRun {
            scoring,
            policy: AnswerPolicy::parse(&part.answer_policy).unwrap_or_default(),
            order,
            current,
            announced,
            star_used: HashMap::new(),
            team_answer: HashMap::new(),
            count_dirty: false,
            teams_answered: Default::default(),
            last_team_answers: 0,
            last_countdown: 0,
        }
    }

    /// A stored answer of this part, read back after a restart.
    pub fn restore(&mut self, a: answers::Model) {
        if !self.order.contains(&a.part_question_id) {
            return;
        }
        if a.star {
            self.star_used.entry(a.team_id).or_insert(a.part_question_id);
        }
        if Some(a.part_question_id) == self.current
            && let Ok(response) = serde_json::from_str::<Response>(&a.payload)
        {
            self.team_answer.insert(a.team_id, team_answer(&a, response));
        }
    }

    /// An answer the writer stored: it becomes its team's counted answer if it is newer.
    pub fn stored(&mut self, m: &answers::Model) {
        if self.current != Some(m.part_question_id) {
            return;
        }
        let Ok(response) = serde_json::from_str::<Response>(&m.payload) else { return };
        if self.team_answer.get(&m.team_id).is_none_or(|a| a.received_at <= m.received_at) {
            self.team_answer.insert(m.team_id, team_answer(m, response));
            self.count_dirty = true;
            self.teams_answered.insert(m.team_id);
        }
    }

    /// The number (1-based) of a question in the part.
    pub fn number(&self, id: i32) -> usize {
        super::number_in(&self.order, id)
    }
}

fn team_answer(a: &answers::Model, response: Response) -> TeamAnswer {
    TeamAnswer {
        question_id: a.part_question_id,
        contestant_id: a.contestant_id,
        submission_id: a.submission_id.clone(),
        response,
        star: a.star,
        received_at: a.received_at,
        elapsed_ms: a.elapsed_ms,
    }
}

impl Engine {
    pub(in crate::live) fn quiz(&self) -> Option<&QuizRun> {
        self.running.as_ref()?.kind.quiz()
    }

    pub(in crate::live) fn quiz_mut(&mut self) -> Option<&mut QuizRun> {
        self.running.as_mut()?.kind.quiz_mut()
    }

    pub(in crate::live) fn current_row(&self) -> Option<&part_questions::Model> {
        let id = self.quiz()?.current?;
        self.scores.questions.get(&id).map(|q| &q.row)
    }

    /// A question whose deadline passed while the server was down is closed now.
    pub(in crate::live) async fn quiz_after_restart(&mut self) -> ApiResult<()> {
        let now = now_ms();
        if let Some(q) = self.current_row().cloned()
            && q.status == "open"
            && q.paused_at.is_none()
            && q.deadline_at.is_some_and(|d| d < now)
        {
            self.close_current("system", now).await?;
        }
        Ok(())
    }

    /// The current question as `viewer` may see it.
    pub(in crate::live) fn quiz_question_view(&self, viewer: Viewer) -> Option<QuestionView> {
        let now = now_ms();
        let r = self.quiz()?;
        let id = r.current?;
        let q = self.scores.questions.get(&id)?;
        let shows_at = q.row.opened_at.map(|t| r.scoring.shown_at(t));
        let shown = shows_at.is_some_and(|t| t <= now);
        let revealed = q.row.status == "revealed";
        let remaining_ms = match (q.row.status.as_str(), q.row.deadline_at, q.row.paused_at) {
            ("open", Some(d), Some(p)) => Some((d - p).max(0)),
            ("open", Some(d), None) => Some((d - now).max(0)),
            _ => None,
        };
        Some(QuestionView {
            id,
            no: r.number(id),
            status: q.row.status.clone(),
            shows_at,
            opens_at: q.row.opened_at,
            deadline_at: q.row.deadline_at,
            paused_at: q.row.paused_at,
            remaining_ms,
            question: if shown { q.question.as_ref().map(|x| x.public()) } else { None },
            answered_teams: r.team_answer.len(),
            solution: if revealed {
                q.question.as_ref().and_then(|x| serde_json::to_value(&x.solution).ok())
            } else {
                None
            },
            explanation: if revealed { q.question.as_ref().map(|x| x.explanation.clone()) } else { None },
            // Not for phones: a reconnect storm would count every team's answer per phone.
            distribution: if matches!(q.row.status.as_str(), "closed" | "revealed")
                && !matches!(viewer, Viewer::Team(_))
            {
                distribution(r.team_answer.values().map(|a| &a.response))
            } else {
                vec![]
            },
        })
    }

    /// Coalesced quiz updates: the answer count and countdown. Staff screens (console,
    /// judges, projector) get the answer count as it changes, at most 5 times a second;
    /// phones get the countdown every few seconds: each of their updates costs a write to
    /// thousands of sockets. A team's phones hear their team's answer once a second.
    pub(in crate::live) fn quiz_flush(&mut self, now: i64) {
        let total_teams = self.scores.teams.len();
        let phones = self.listening().2;
        let Some(q) = self.current_row().cloned() else { return };
        let Some(run) = self.running.as_mut().and_then(|r| r.kind.quiz_mut()) else { return };
        if q.status == "open" && q.paused_at.is_none() && q.opened_at.is_some_and(|t| t <= now) {
            let phones_due = now - run.last_countdown >= COUNTDOWN_EVERY_MS;
            if run.count_dirty || phones_due {
                let deadline_at = q.deadline_at.unwrap_or(now);
                let mut answered: Vec<i32> = run.team_answer.keys().copied().collect();
                answered.sort_unstable();
                let answered_teams = answered.len();
                let countdown = |answered| Event::Countdown {
                    question_id: q.id,
                    deadline_at,
                    remaining_ms: (deadline_at - now).max(0),
                    answered_teams,
                    total_teams,
                    answered,
                };
                let public = countdown(None).frame();
                self.out.staff.push(countdown(Some(answered)).frame());
                self.out.audience.push(public.clone());
                run.count_dirty = false;
                if phones_due {
                    self.out.phones.push(public);
                    run.last_countdown = now;
                }
            }
        }
        if !run.teams_answered.is_empty() && now - run.last_team_answers >= TEAM_ANSWER_EVERY_MS {
            run.last_team_answers = now;
            let teams = std::mem::take(&mut run.teams_answered);
            if phones {
                for t in teams {
                    if let Some(a) = run.team_answer.get(&t) {
                        let f = Event::TeamAnswer { answer: a.clone() }.frame();
                        self.out.teams.entry(t).or_default().push(f);
                    }
                }
            }
        }
    }

    /// The next moment the quiz must act by itself: the end of the reading time (the
    /// question is announced) or the deadline.
    pub(in crate::live) fn quiz_next_wake(&self) -> Option<Instant> {
        let run = self.quiz()?;
        let q = self.current_row()?;
        if q.status != "open" {
            return None;
        }
        let now = now_ms();
        let at = match (run.announced, q.opened_at, q.paused_at, q.deadline_at) {
            (false, Some(o), _, _) => run.scoring.shown_at(o),
            (true, _, None, Some(d)) => d + 1,
            _ => return None,
        };
        Some(Instant::now() + Duration::from_millis((at - now).max(0) as u64))
    }

    pub(in crate::live) async fn quiz_on_timer(&mut self) {
        let now = now_ms();
        let Some(q) = self.current_row().cloned() else { return };
        if let Some(run) = self.quiz_mut()
            && !run.announced
            && q.opened_at.is_some_and(|t| run.scoring.shown_at(t) <= now)
        {
            run.announced = true;
            self.announce(&q);
        }
        if q.status == "open"
            && q.paused_at.is_none()
            && q.deadline_at.is_some_and(|d| d < now)
            && let Err(e) = self.close_current("system", now).await
        {
            tracing::error!(error = %e, contest = self.contest_id, "cannot close the question at its deadline");
        }
    }

    fn announce(&mut self, q: &part_questions::Model) {
        let Some(run) = self.quiz() else { return };
        let Some(question) = self.scores.questions.get(&q.id).and_then(|s| s.question.as_ref()) else { return };
        let opened_at = q.opened_at.unwrap_or_default();
        let e = Event::QuestionOpened {
            question_id: q.id,
            no: run.number(q.id),
            total: run.order.len(),
            question: question.public(),
            shown_at: run.scoring.shown_at(opened_at),
            opened_at,
            deadline_at: q.deadline_at.unwrap_or_default(),
        };
        self.send_all(e);
    }

    /// A part can finish once no question is open.
    pub(in crate::live) fn quiz_can_finish(&self) -> ApiResult<()> {
        if self.current_row().is_some_and(|q| q.status == "open") {
            return Err(self.illegal("a question is open; close it first"));
        }
        Ok(())
    }

    // ---- controls

    pub(in crate::live) async fn quiz_control(&mut self, actor: &str, op: Control, now: i64) -> ApiResult<()> {
        let action = op.name();
        match op {
            Control::Next => self.open_next(actor, now).await,
            Control::Pause => {
                let q = self.open_current()?;
                if q.paused_at.is_some() {
                    return Err(self.illegal("the question is already paused"));
                }
                if q.opened_at.is_some_and(|t| t > now) {
                    return Err(self.illegal("the question is not open yet (get ready or reading time)"));
                }
                let mut row = q.clone();
                row.paused_at = Some(now);
                let remaining = row.deadline_at.map_or(0, |d| (d - now).max(0));
                self.commit_question(
                    row.clone(),
                    actor,
                    action,
                    json!({ "question_id": row.id, "remaining_ms": remaining }),
                )
                .await?;
                self.send_all(Event::Paused { question_id: row.id, paused_at: now, remaining_ms: remaining });
                Ok(())
            }
            Control::Resume => {
                let q = self.open_current()?;
                let Some(paused_at) = q.paused_at else { return Err(self.illegal("the question is not paused")) };
                let mut row = q.clone();
                row.paused_at = None;
                row.deadline_at = row.deadline_at.map(|d| d + (now - paused_at));
                // The opening moves too, so the time taken (measured from the opening)
                // leaves the pause out and stays within the time limit.
                row.opened_at = row.opened_at.map(|o| o + (now - paused_at));
                let deadline_at = row.deadline_at.unwrap_or(now);
                self.commit_question(
                    row.clone(),
                    actor,
                    action,
                    json!({ "question_id": row.id, "deadline_at": deadline_at }),
                )
                .await?;
                self.send_all(Event::Resumed { question_id: row.id, deadline_at });
                Ok(())
            }
            Control::Close => {
                self.open_current()?;
                self.close_current(actor, now).await
            }
            Control::Reveal => self.reveal(actor, now).await,
            other => Err(self.illegal(format!("{} is not a control of a quiz part", other.name()))),
        }
    }

    fn open_current(&self) -> ApiResult<&part_questions::Model> {
        match self.current_row() {
            Some(q) if q.status == "open" => Ok(q),
            _ => Err(self.illegal("no question is open")),
        }
    }

    async fn open_next(&mut self, actor: &str, now: i64) -> ApiResult<()> {
        let Some(run) = self.quiz() else { return Err(self.illegal("no part is running")) };
        if let Some(q) = self.current_row()
            && !matches!(q.status.as_str(), "closed" | "revealed" | "voided")
        {
            return Err(self.illegal("the current question is still open"));
        }
        let next = self.next_pending(&run.order)?;
        let get_ready = i64::from(run.scoring.get_ready_s) * 1000;
        let reading = run.scoring.reading_ms();
        let no = run.number(next);
        let Some(q) = self.scores.questions.get(&next) else { return Err(self.illegal("question vanished")) };
        let mut row = q.row.clone();
        let opened_at = now + get_ready + reading;
        row.status = "open".into();
        row.opened_at = Some(opened_at);
        row.deadline_at = Some(opened_at + i64::from(row.time_limit_s) * 1000);
        row.paused_at = None;
        self.commit_question(
            row.clone(),
            actor,
            "question_open",
            json!({ "question_id": next, "opened_at": opened_at, "deadline_at": row.deadline_at }),
        )
        .await?;
        if let Some(run) = self.quiz_mut() {
            run.current = Some(next);
            run.team_answer.clear();
            run.teams_answered.clear();
            run.announced = get_ready == 0;
            run.last_countdown = now;
        }
        if get_ready > 0 {
            self.send_all(Event::GetReady { question_id: next, no, shows_at: now + get_ready, opens_at: opened_at });
        } else {
            self.announce(&row);
        }
        Ok(())
    }

    pub(in crate::live) async fn close_current(&mut self, actor: &str, now: i64) -> ApiResult<()> {
        let Some(q) = self.current_row().cloned() else { return Ok(()) };
        if q.status != "open" {
            return Ok(());
        }
        let mut row = q;
        row.status = "closed".into();
        row.closed_at = Some(now);
        self.commit_question(row.clone(), actor, "question_close", json!({ "question_id": row.id })).await?;
        let mut dist = vec![];
        if let Some(run) = self.quiz_mut() {
            run.announced = true;
            dist = distribution(run.team_answer.values().map(|a| &a.response));
        }
        self.send_all(Event::Closed { question_id: row.id, closed_at: now, distribution: dist });
        self.to_score.insert(row.id);
        self.score_ready().await;
        // The board after a close is what the hall waits for: send it now, not at the
        // next coalescing tick.
        self.flush();
        Ok(())
    }

    async fn reveal(&mut self, actor: &str, now: i64) -> ApiResult<()> {
        let Some(q) = self.current_row().cloned() else { return Err(self.illegal("no question to reveal")) };
        if q.status != "closed" {
            return Err(self.illegal(format!("the question is {}; close it before revealing", q.status)));
        }
        if self.to_score.contains(&q.id) {
            return Err(self.illegal("the last answers are still being stored; try again in a moment"));
        }
        let answers = store::live::answers_of_questions(&self.db, &[q.id]).await?;
        let mut row = q;
        row.status = "revealed".into();
        row.revealed_at = Some(now);
        self.commit_question(row.clone(), actor, "question_reveal", json!({ "question_id": row.id })).await?;
        let Some(question) = self.scores.questions.get(&row.id).and_then(|s| s.question.clone()) else { return Ok(()) };
        // An elimination part counts each contestant's last answer, a quiz each team's.
        let distribution = if self.running.as_ref().is_some_and(|r| matches!(r.kind, super::KindState::Elimination(_)))
        {
            distribution(super::elimination::last_responses(&answers).iter())
        } else {
            distribution(super::super::scores::counted(&answers).iter().map(|a| &a.response))
        };
        self.send_all(Event::Revealed {
            question_id: row.id,
            solution: serde_json::to_value(&question.solution).unwrap_or(Value::Null),
            explanation: question.explanation.clone(),
            distribution,
        });
        self.mark_board();
        Ok(())
    }

    /// Voids an asked question (of the running part or an earlier one): it scores
    /// nothing for anyone.
    pub(in crate::live) async fn void(
        &mut self,
        actor: &str,
        question_id: Option<i32>,
        reason: &str,
        now: i64,
    ) -> ApiResult<()> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ApiError::invalid("reason", "say why the question is voided"));
        }
        let id = match question_id.or_else(|| self.quiz().and_then(|r| r.current)) {
            Some(id) => id,
            None => return Err(self.illegal("no question to void")),
        };
        let Some(q) = self.scores.questions.get(&id) else {
            return Err(ApiError::not_found(format!("no question {id} in this contest")));
        };
        if !matches!(q.row.status.as_str(), "open" | "closed" | "revealed") {
            return Err(
                self.illegal(format!("question {id} is {}; only an asked question can be voided", q.row.status))
            );
        }
        let mut row = q.row.clone();
        let old = row.status.clone();
        row.status = "voided".into();
        row.void_reason = Some(reason.to_owned());
        if row.closed_at.is_none() {
            row.closed_at = Some(now);
        }
        self.commit_question(
            row,
            actor,
            "question_void",
            json!({ "question_id": id, "reason": reason, "old_status": old }),
        )
        .await?;
        self.scores.results.remove(&id);
        self.to_score.remove(&id);
        self.send_all(Event::Voided { question_id: id, reason: reason.to_owned() });
        self.mark_board();
        Ok(())
    }

    // ---- answers

    /// Validates an answer against the live state only (no database): returns the
    /// question's opening time and whether the star is staked.
    pub(in crate::live) fn quiz_check_answer(
        &self,
        by: &Answerer,
        req: &AnswerRequest,
        now: i64,
    ) -> ApiResult<(i64, bool)> {
        let Some(run) = self.quiz() else {
            return Err(ApiError::conflict("no_open_question", "no question is open"));
        };
        if self
            .scores
            .questions
            .get(&req.question_id)
            .is_some_and(|q| matches!(q.row.status.as_str(), "closed" | "revealed" | "voided"))
        {
            return Err(ApiError::conflict("deadline_passed", "the time for this question is over"));
        }
        let Some(q) = self.current_row().filter(|q| q.status == "open") else {
            return Err(ApiError::conflict("no_open_question", "no question is open"));
        };
        if q.id != req.question_id {
            return Err(ApiError::conflict(
                "question_not_open",
                format!("question {} is not the open question ({})", req.question_id, q.id),
            ));
        }
        let opened_at = q.opened_at.unwrap_or(now);
        if now < opened_at {
            return Err(ApiError::conflict("not_open_yet", "the question is not open yet"));
        }
        if q.paused_at.is_some() {
            return Err(ApiError::conflict("paused", "the question is paused"));
        }
        if q.deadline_at.is_some_and(|d| now > d) {
            return Err(ApiError::conflict("deadline_passed", "the time for this question is over"));
        }
        if run.policy == AnswerPolicy::CaptainOnly && !by.is_captain {
            return Err(ApiError::forbidden("only the team captain may answer in this part"));
        }
        if let Some(question) = self.scores.questions.get(&q.id).and_then(|s| s.question.as_ref()) {
            question.check_response(&req.response).map_err(|m| ApiError::invalid("response", m))?;
        }
        if req.star {
            if !run.scoring.star_of_hope {
                return Err(ApiError::conflict("star_not_allowed", "this part has no star of hope"));
            }
            if run.star_used.get(&by.team_id).is_some_and(|pq| *pq != q.id) {
                return Err(ApiError::conflict("star_used", "the team has already used its star of hope in this part"));
            }
        }
        Ok((opened_at, req.star))
    }
}

/// How many teams gave each answer, most given first (at most 20 kinds).
pub fn distribution<'a>(responses: impl Iterator<Item = &'a Response>) -> Vec<(String, usize)> {
    let mut dist: HashMap<String, usize> = HashMap::new();
    for r in responses {
        *dist.entry(response_key(r)).or_default() += 1;
    }
    let mut out: Vec<(String, usize)> = dist.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out.truncate(20);
    out
}

/// How an answer shows in the reveal's distribution.
fn response_key(r: &Response) -> String {
    fn letter(i: usize) -> String {
        u8::try_from(i).ok().filter(|i| *i < 26).map_or_else(|| i.to_string(), |i| char::from(b'A' + i).to_string())
    }
    match r {
        Response::Choice { choice } => letter(*choice),
        Response::Choices { choices } => {
            let mut c = choices.clone();
            c.sort_unstable();
            c.dedup();
            c.into_iter().map(letter).collect::<Vec<_>>().join("+")
        }
        Response::Bool { value } => value.to_string(),
        Response::Text { text } => fold(text),
        Response::Number { number } => round2(*number).to_string(),
    }
}
