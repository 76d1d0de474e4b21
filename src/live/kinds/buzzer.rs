//! The buzzer part (giành quyền trả lời): teams race to press; the server's own receive
//! order decides who answers.
//!
//! Its live state is the part's question order, the open question and that question's
//! [`BuzzerQuestion`] (rounds, presses, false starts, marks: the rules are in
//! `crate::domain::buzzer`). Its controls open the next question (shown at once; the
//! buzzer opens by itself after the reading time, or when the organiser opens it), open
//! the buzzer (after a wrong answer: the steal window for the others), mark the team with
//! the floor right or wrong (organiser or judge), close, reveal and void. What it stores:
//! every press taken (and each false start that locks a team) in `buzzes`, in batches
//! written before anyone is told (a press is acknowledged and shown only once stored);
//! each mark in `buzzer_marks` with its audit entry, in one transaction with the
//! question's new live fields. Every screen gets the same view of the question (phase,
//! who has the floor, the order of the presses with their gaps, the marks); phones get
//! the first presses of the order only, and each presser its own place.
//!
//! With `scoring.buzzer.typed_answer`, the team with the floor types its answer on the
//! phone: an ordinary `answer` (socket or `POST …/answers`, with its submission id) that
//! the engine hands here instead of to the writer. It is matched like a quiz answer and
//! stored in `answers` together with the mark it earns, the mark's audit entry and the
//! question's new live fields, in one transaction, before the ack: right or wrong has the
//! organiser's mark's effects (points; or the penalty, the lockout and the steal round).
use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::time::Instant;
use utoipa::ToSchema;

use super::super::engine::{Answerer, Control, Engine, Viewer};
use super::super::events::{Ack, AnswerRequest, Event};
use super::super::scores::part_scoring;
use crate::domain::buzzer::{BuzzerQuestion, Outcome, Phase, Press, Refusal, TypedRefusal, judge_typed, mark_points};
use crate::domain::part::Scoring;
use crate::domain::question::{PublicQuestion, Response};
use crate::entities::{answers, buzzer_marks, part_questions, parts};
use crate::error::{ApiError, ApiResult};
use crate::now_ms;
use crate::store;

/// Presses received within this long of the first one waiting are stored in one
/// transaction (a burst of a thousand phones is a few commits, not a thousand).
const GROUP_COMMIT: Duration = Duration::from_millis(2);

/// How many presses of the order go to phones (the projector and staff get them all).
const PHONE_PRESSES: usize = 10;

/// A press of the buzzer, over the WebSocket (`{"type": "buzz", "question_id": …}`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuzzRequest {
    pub question_id: i32,
}

/// A press taken: the team's place in the round (1 = it has the floor) and its gap
/// after the round's first press.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BuzzAck {
    pub question_id: i32,
    pub round: u32,
    pub team_id: i32,
    pub place: usize,
    pub gap_ms: i64,
    /// Server time of the team's press.
    pub received_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BuzzPress {
    pub team_id: i32,
    pub team_name: String,
    /// 1-based, in the server's receive order.
    pub place: usize,
    /// After the round's first press.
    pub gap_ms: i64,
    pub received_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BuzzMark {
    pub team_id: i32,
    pub team_name: String,
    pub round: u32,
    pub correct: bool,
    pub points: f64,
}

/// The answer a team with the floor typed on its phone, with the mark it earned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BuzzTyped {
    pub team_id: i32,
    pub team_name: String,
    /// The member who typed it.
    pub contestant_id: i32,
    pub round: u32,
    /// As sent: `{"text": …}`, `{"number": …}`, `{"choice": …}`, …
    #[schema(value_type = Object)]
    pub response: Response,
    pub correct: bool,
    pub points: f64,
    pub received_at: i64,
}

/// A team kept from pressing by its false start, until `until` (None: this question).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FalseStartLock {
    pub team_id: i32,
    pub team_name: String,
    pub until: Option<i64>,
}

/// A buzzer question as every screen sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BuzzerView {
    pub question_id: i32,
    /// 1-based number within the part, of `total`.
    pub no: usize,
    pub total: usize,
    /// open | closed | revealed | voided
    pub status: String,
    /// waiting (buzzer not open) | reading (opens by itself at `opens_at`) | open |
    /// answering (a team has the floor) | closed
    pub phase: String,
    /// 0, then one more after each wrong answer (a steal round).
    pub round: u32,
    pub opens_at: Option<i64>,
    /// The end of a steal window.
    pub deadline_at: Option<i64>,
    pub points: f64,
    /// Points lost by a wrong answer.
    pub penalty: f64,
    pub question: Option<PublicQuestion>,
    /// The team with the floor (the round's first press), until it is marked.
    pub winner: Option<BuzzPress>,
    /// The presses of the current round in the server's receive order.
    pub presses: Vec<BuzzPress>,
    pub presses_total: usize,
    pub marks: Vec<BuzzMark>,
    /// The part takes typed answers: the team with the floor types its answer on the
    /// phone (`answer` with the open question's id) and it is marked by itself.
    pub typed_answer: bool,
    /// The typed answers of this question, each with its mark (they are stored
    /// together, so no screen sees an answer before its verdict).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<BuzzTyped>,
    /// Teams marked wrong on this question: they may not press again.
    pub locked_out: Vec<i32>,
    pub false_starts: Vec<FalseStartLock>,
    /// Only once revealed.
    #[schema(value_type = Object)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solution: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

/// A press waiting to be placed (several instances, see [`Engine::buzz`]).
struct Settling {
    at_us: i64,
    by: Answerer,
    req: BuzzRequest,
    reply: oneshot::Sender<ApiResult<BuzzAck>>,
}

/// A press decided in memory, waiting for its batch to be stored before anyone hears.
struct Pending {
    press: Option<(i32, Press)>,
    reply: oneshot::Sender<ApiResult<BuzzAck>>,
    result: ApiResult<BuzzAck>,
}

/// A running buzzer part.
pub struct BuzzerRun {
    pub scoring: Scoring,
    /// Question ids by position.
    pub order: Vec<i32>,
    pub current: Option<i32>,
    /// The current question's buzzer state (rebuilt from the database after a restart).
    pub q: Option<BuzzerQuestion>,
    /// The current question's stored marks (what its score is made of).
    marks: Vec<buzzer_marks::Model>,
    /// The current question's typed answers as stored (one per team at most: the
    /// answer is marked at once, and a marked team never has the floor again).
    typed: Vec<answers::Model>,
    pending: Vec<Pending>,
    first_pending: Option<Instant>,
    /// Presses not placed yet (several instances), in arrival order until sorted by stamp.
    settling: Vec<Settling>,
    /// The stamp of the last press placed: no later press is placed before it.
    placed_us: i64,
    /// The view changed; it goes out at the next flush.
    dirty: bool,
    /// Screens were told that the buzzer opened by itself after the reading time.
    open_announced: bool,
    /// The question's status in the last view sent (a void, decided outside this module,
    /// goes out at the next flush).
    sent_status: String,
}

impl BuzzerRun {
    pub fn new(part: &parts::Model, questions: &[&part_questions::Model]) -> Self {
        let (order, current) = super::question_order(questions);
        BuzzerRun {
            scoring: part_scoring(part),
            order,
            current,
            q: None,
            marks: vec![],
            typed: vec![],
            pending: vec![],
            first_pending: None,
            settling: vec![],
            placed_us: i64::MIN,
            dirty: false,
            open_announced: true,
            sent_status: String::new(),
        }
    }

    pub fn number(&self, id: i32) -> usize {
        super::number_in(&self.order, id)
    }
}

fn refusal(r: Refusal) -> ApiError {
    match r {
        Refusal::Closed => ApiError::conflict("buzzer_closed", "the question is over"),
        Refusal::WindowOver => ApiError::conflict("buzzer_closed", "the steal window is over"),
        Refusal::LockedOut => ApiError::conflict("locked_out", "your team answered this question wrong"),
        Refusal::FalseStartLocked { until } => ApiError::conflict_because(
            "buzzer_locked",
            "false_start_lock",
            json!({ "locked_until": until }),
            "your team pressed too early and must wait",
        ),
    }
}

fn typed_refusal(r: TypedRefusal) -> ApiError {
    match r {
        TypedRefusal::Off => ApiError::conflict(
            "typed_answer_off",
            "this buzzer part takes no typed answers: the team with the floor answers aloud",
        ),
        TypedRefusal::Closed => refusal(Refusal::Closed),
        TypedRefusal::LockedOut => refusal(Refusal::LockedOut),
        TypedRefusal::NoFloor => {
            ApiError::conflict("no_floor", "no team has the floor: press the buzzer first, the first press answers")
        }
        TypedRefusal::NotYourFloor { team_id } => ApiError::conflict_because(
            "not_your_floor",
            "not_your_floor",
            json!({ "floor_team_id": team_id }),
            format!("team {team_id} has the floor: only the team with the floor may answer"),
        ),
    }
}

fn false_start(until: Option<i64>, now: i64) -> ApiError {
    let locked_until = until.filter(|t| *t > now);
    ApiError::conflict_because(
        "false_start",
        "false_start",
        json!({ "locked_until": locked_until, "whole_question": until.is_none() }),
        "the buzzer is not open yet",
    )
}

impl Engine {
    fn buzzer(&self) -> Option<&BuzzerRun> {
        self.running.as_ref()?.kind.buzzer()
    }

    fn buzzer_mut(&mut self) -> Option<&mut BuzzerRun> {
        self.running.as_mut()?.kind.buzzer_mut()
    }

    fn buzzer_row(&self) -> Option<&part_questions::Model> {
        let id = self.buzzer()?.current?;
        self.scores.questions.get(&id).map(|q| &q.row)
    }

    /// Rebuilds the current question's presses and marks from the database; a steal
    /// window that ran out while the server was down closes the question now.
    pub(in crate::live) async fn buzzer_after_restart(&mut self) -> ApiResult<()> {
        let Some(row) = self.buzzer_row().cloned() else { return Ok(()) };
        let presses = store::buzzer::presses_of_questions(&self.db, &[row.id]).await?;
        let marks = store::buzzer::marks_of_questions(&self.db, &[row.id]).await?;
        let typed = store::live::answers_of_questions(&self.db, &[row.id]).await?;
        let now = now_ms();
        let Some(run) = self.buzzer_mut() else { return Ok(()) };
        let q = BuzzerQuestion::rebuild(
            run.scoring.buzzer.clone(),
            presses.iter().map(store::buzzer::press_of).collect(),
            marks.iter().map(store::buzzer::mark_of).collect(),
            row.opened_at,
            row.deadline_at,
            row.status != "open",
        );
        let over = row.status == "open" && (q.closed || q.window_over(now));
        run.open_announced = row.opened_at.is_none_or(|t| t <= now);
        run.q = Some(q);
        run.marks = marks;
        run.typed = typed;
        if over {
            self.buzzer_close("system", now).await?;
        }
        Ok(())
    }

    /// The current question's view for every screen (phones: the first presses only).
    pub(in crate::live) fn buzzer_view(&self, viewer: Viewer) -> Option<BuzzerView> {
        let v = self.buzzer_full_view(now_ms())?;
        Some(if matches!(viewer, Viewer::Team(_)) { for_phones(v) } else { v })
    }

    fn buzzer_full_view(&self, now: i64) -> Option<BuzzerView> {
        let run = self.buzzer()?;
        let id = run.current?;
        let qs = self.scores.questions.get(&id)?;
        let b = run.q.as_ref()?;
        let names: HashMap<i32, &str> = self.scores.teams.iter().map(|(id, n)| (*id, n.as_str())).collect();
        let name = |t: i32| names.get(&t).map_or_else(|| format!("#{t}"), |n| (*n).to_owned());
        let first = b.round_presses().next().map(|p| p.received_at);
        let presses: Vec<BuzzPress> = b
            .round_presses()
            .enumerate()
            .map(|(i, p)| BuzzPress {
                team_id: p.team_id,
                team_name: name(p.team_id),
                place: i + 1,
                gap_ms: p.received_at - first.unwrap_or(p.received_at),
                received_at: p.received_at,
            })
            .collect();
        let mut locks: Vec<FalseStartLock> = vec![];
        for p in b.presses.iter().filter(|p| p.false_start) {
            if locks.iter().any(|l| l.team_id == p.team_id) {
                continue;
            }
            if let Some(until) = b.false_start_lock(p.team_id, now) {
                locks.push(FalseStartLock { team_id: p.team_id, team_name: name(p.team_id), until });
            }
        }
        let revealed = qs.row.status == "revealed";
        let phase = if qs.row.status == "open" { b.phase(now) } else { Phase::Closed };
        Some(BuzzerView {
            question_id: id,
            no: run.number(id),
            total: run.order.len(),
            status: qs.row.status.clone(),
            phase: phase.as_str().into(),
            round: b.round,
            opens_at: b.opens_at,
            deadline_at: b.deadline_at,
            points: qs.row.points,
            penalty: run.scoring.wrong_penalty,
            question: qs.question.as_ref().map(|q| q.public()),
            winner: if phase == Phase::Answering { presses.first().cloned() } else { None },
            presses_total: presses.len(),
            presses,
            marks: b
                .marks
                .iter()
                .map(|m| BuzzMark {
                    team_id: m.team_id,
                    team_name: name(m.team_id),
                    round: m.round,
                    correct: m.correct,
                    points: m.points,
                })
                .collect(),
            typed_answer: b.settings.typed_answer,
            answers: run
                .typed
                .iter()
                .filter_map(|a| {
                    let mark = b.marks.iter().find(|m| m.team_id == a.team_id)?;
                    Some(BuzzTyped {
                        team_id: a.team_id,
                        team_name: name(a.team_id),
                        contestant_id: a.contestant_id,
                        round: mark.round,
                        response: serde_json::from_str(&a.payload).ok()?,
                        correct: mark.correct,
                        points: mark.points,
                        received_at: a.received_at,
                    })
                })
                .collect(),
            locked_out: b.marks.iter().filter(|m| !m.correct).map(|m| m.team_id).collect(),
            false_starts: locks,
            solution: if revealed {
                qs.question.as_ref().and_then(|x| serde_json::to_value(&x.solution).ok())
            } else {
                None
            },
            explanation: if revealed { qs.question.as_ref().map(|x| x.explanation.clone()) } else { None },
        })
    }

    /// Sends the current view to every screen now.
    fn buzzer_send(&mut self) {
        let Some(v) = self.buzzer_full_view(now_ms()) else { return };
        let full = Event::Buzzer { buzzer: Box::new(v.clone()) }.frame();
        self.out.staff.push(full.clone());
        self.out.audience.push(full);
        let status = v.status.clone();
        self.out.phones.push(Event::Buzzer { buzzer: Box::new(for_phones(v)) }.frame());
        if let Some(run) = self.buzzer_mut() {
            run.dirty = false;
            run.sent_status = status;
        }
    }

    pub(in crate::live) fn buzzer_flush(&mut self, _now: i64) {
        let status = self.buzzer_row().map(|r| r.status.clone());
        if self.buzzer().is_some_and(|r| r.dirty || status.is_some_and(|s| s != r.sent_status)) {
            self.buzzer_send();
        }
    }

    /// The next moment the buzzer must act by itself: store the waiting presses, open
    /// after the reading time, or end a steal window.
    pub(in crate::live) fn buzzer_next_wake(&self) -> Option<Instant> {
        let run = self.buzzer()?;
        let settled = run.settling.iter().map(|s| s.at_us).min().map(|at| {
            let settle = self.buzz_settle();
            let wait_us = (at + settle.as_micros() as i64 - crate::now_us()).max(0);
            Instant::now() + Duration::from_micros(wait_us as u64)
        });
        if let Some(t) = run.first_pending {
            return Some(settled.map_or(t + GROUP_COMMIT, |s| s.min(t + GROUP_COMMIT)));
        }
        if settled.is_some() {
            return settled;
        }
        let b = run.q.as_ref()?;
        if b.closed || self.buzzer_row().is_none_or(|r| r.status != "open") {
            return None;
        }
        let now = now_ms();
        let at = match (run.open_announced, b.opens_at, b.deadline_at) {
            (false, Some(o), _) => o,
            (_, _, Some(d)) if b.winner().is_none() => d + 1,
            _ => return None,
        };
        Some(Instant::now() + Duration::from_millis((at - now).max(0) as u64))
    }

    pub(in crate::live) async fn buzzer_on_timer(&mut self) {
        self.buzzer_settle(false);
        self.buzzer_commit().await;
        let now = now_ms();
        let Some(run) = self.buzzer_mut() else { return };
        if !run.open_announced && run.q.as_ref().and_then(|b| b.opens_at).is_some_and(|t| t <= now) {
            run.open_announced = true;
            self.buzzer_send();
        }
        if self.buzzer().and_then(|r| r.q.as_ref()).is_some_and(|b| b.window_over(now))
            && let Err(e) = self.buzzer_close("system", now).await
        {
            tracing::error!(error = %e, contest = self.contest_id, "cannot close the buzzer question");
        }
    }

    pub(in crate::live) fn buzzer_can_finish(&self) -> ApiResult<()> {
        if self.buzzer_row().is_some_and(|q| q.status == "open") {
            return Err(self.illegal("a question is open; close it first"));
        }
        Ok(())
    }

    // ---- presses

    /// A press. One instance alone decides it against memory at once, in its receive
    /// order. With several instances a press may come through another instance, stamped
    /// when that one received it (`at_us`): the owner then lets every press settle for
    /// `--buzz-settle-ms` after its stamp and places them in the order of their stamps,
    /// so that the hop between instances costs a relayed phone nothing. (A press whose
    /// stamp is older than the last one placed, a hop longer than the settle time or a
    /// clock behind, is placed next; a stamp in the future counts as now.) Either way a
    /// press is told only once its batch is stored.
    pub(in crate::live) fn buzz(
        &mut self,
        by: Answerer,
        req: BuzzRequest,
        at_us: Option<i64>,
        reply: oneshot::Sender<ApiResult<BuzzAck>>,
    ) {
        let settle = self.buzz_settle();
        let now_us = crate::now_us();
        match self.buzzer_mut() {
            Some(run) if !settle.is_zero() => {
                let at_us = at_us.unwrap_or(now_us).min(now_us).max(run.placed_us);
                run.settling.push(Settling { at_us, by, req, reply });
            }
            _ => self.place_press(by, req, now_ms(), reply),
        }
    }

    /// Places the presses that have settled (all of them with `all`), oldest stamp first.
    fn buzzer_settle(&mut self, all: bool) {
        let settle = self.buzz_settle();
        let Some(run) = self.buzzer_mut() else { return };
        if run.settling.is_empty() {
            return;
        }
        let due = crate::now_us() - settle.as_micros() as i64;
        // Stable: presses stamped in the same microsecond keep their arrival order.
        run.settling.sort_by_key(|s| s.at_us);
        let n = if all { run.settling.len() } else { run.settling.partition_point(|s| s.at_us <= due) };
        let ready: Vec<Settling> = run.settling.drain(..n).collect();
        if let Some(last) = ready.last() {
            run.placed_us = run.placed_us.max(last.at_us);
        }
        for s in ready {
            self.place_press(s.by, s.req, s.at_us.div_euclid(1000), s.reply);
        }
    }

    /// Decides a press received at `now` (ms) and queues its answer behind the batch.
    fn place_press(&mut self, by: Answerer, req: BuzzRequest, now: i64, reply: oneshot::Sender<ApiResult<BuzzAck>>) {
        let (result, press) = self.decide_press(by, &req, now);
        let Some(run) = self.buzzer_mut() else {
            let _ = reply.send(result);
            return;
        };
        if press.is_none() && run.pending.is_empty() {
            let _ = reply.send(result);
            return;
        }
        // Replies keep the receive order: behind any press still being stored.
        run.first_pending.get_or_insert_with(Instant::now);
        run.pending.push(Pending { press: press.map(|p| (req.question_id, p)), reply, result });
    }

    fn decide_press(
        &mut self,
        by: Answerer,
        req: &super::super::events::BuzzRequest,
        now: i64,
    ) -> (ApiResult<BuzzAck>, Option<Press>) {
        let current = self.buzzer_row().map(|r| (r.id, r.status == "open"));
        let Some(run) = self.buzzer_mut() else {
            return (Err(ApiError::conflict("no_open_question", "no buzzer question is open")), None);
        };
        let qid = match current {
            Some((id, true)) => id,
            Some((id, false)) if id == req.question_id => return (Err(refusal(Refusal::Closed)), None),
            _ => return (Err(ApiError::conflict("no_open_question", "no buzzer question is open")), None),
        };
        if qid != req.question_id {
            let e = ApiError::conflict(
                "question_not_open",
                format!("question {} is not the open question ({qid})", req.question_id),
            );
            return (Err(e), None);
        }
        let Some(b) = run.q.as_mut() else {
            return (Err(ApiError::conflict("no_open_question", "no buzzer question is open")), None);
        };
        let round = b.round;
        let ack = |place, gap_ms, received_at| BuzzAck {
            question_id: qid,
            round,
            team_id: by.team_id,
            place,
            gap_ms,
            received_at,
        };
        match b.press(by.team_id, by.contestant_id, now) {
            Outcome::Taken { place, gap_ms, press } => {
                run.dirty = true;
                (Ok(ack(place, gap_ms, press.received_at)), Some(press))
            }
            Outcome::Already { place, gap_ms } => {
                let at = b.round_presses().nth(place - 1).map_or(now, |p| p.received_at);
                (Ok(ack(place, gap_ms, at)), None)
            }
            Outcome::FalseStart { until, press } => {
                if press.is_some() {
                    run.dirty = true;
                }
                (Err(false_start(until, now)), press)
            }
            Outcome::Refused(r) => (Err(refusal(r)), None),
        }
    }

    /// Stores the waiting presses in one transaction, then tells the pressers, their
    /// teams and (when the floor was just taken) every screen.
    pub(in crate::live) async fn buzzer_commit(&mut self) {
        let Some(run) = self.buzzer_mut() else { return };
        if run.pending.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut run.pending);
        run.first_pending = None;
        let rows: Vec<(i32, Press)> = batch.iter().filter_map(|p| p.press.clone()).collect();
        let stored = store::buzzer::insert_presses(&self.db, self.contest_id, &rows).await;
        if let Err(e) = &stored {
            tracing::error!(error = %e, contest = self.contest_id, "cannot store buzzer presses");
            // Forget them: the presses were never taken.
            if let Some(b) = self.buzzer_mut().and_then(|r| r.q.as_mut()) {
                b.presses.retain(|p| !rows.iter().any(|(_, r)| r.seq == p.seq));
            }
        }
        let mut floor_taken = false;
        for p in batch {
            let result = match (&stored, p.result) {
                (Err(_), Ok(_)) if p.press.is_some() => {
                    Err(ApiError::Unavailable(anyhow::anyhow!("the press could not be stored; press again")))
                }
                (_, r) => r,
            };
            if stored.is_ok()
                && let (Some(_), Ok(ack)) = (&p.press, &result)
            {
                floor_taken |= ack.place == 1;
                let f = Event::TeamBuzzed { buzz: ack.clone() }.frame();
                self.out.teams.entry(ack.team_id).or_default().push(f);
            }
            let _ = p.reply.send(result);
        }
        if floor_taken {
            self.buzzer_send();
        }
    }

    // ---- controls

    pub(in crate::live) async fn buzzer_control(&mut self, actor: &str, op: Control, now: i64) -> ApiResult<()> {
        // The organiser acts on every press made so far.
        self.buzzer_settle(true);
        self.buzzer_commit().await;
        match op {
            Control::Next => self.buzzer_next(actor, now).await,
            Control::BuzzerOpen => self.buzzer_open(actor, now).await,
            Control::BuzzerMark { team_id, correct } => self.buzzer_mark(actor, team_id, correct, now).await,
            Control::Close => {
                if self.buzzer_row().is_none_or(|r| r.status != "open") {
                    return Err(self.illegal("no question is open"));
                }
                self.buzzer_close(actor, now).await
            }
            Control::Reveal => self.buzzer_reveal(actor, now).await,
            other => Err(self.illegal(format!("{} is not a control of a buzzer part", other.name()))),
        }
    }

    async fn buzzer_next(&mut self, actor: &str, now: i64) -> ApiResult<()> {
        let Some(run) = self.buzzer() else { return Err(self.illegal("no part is running")) };
        if let Some(q) = self.buzzer_row()
            && !matches!(q.status.as_str(), "closed" | "revealed" | "voided")
        {
            return Err(self.illegal("the current question is still open"));
        }
        let next = self.next_pending(&run.order)?;
        let reading = run.scoring.reading_ms();
        let settings = run.scoring.buzzer.clone();
        let Some(q) = self.scores.questions.get(&next) else { return Err(self.illegal("question vanished")) };
        let mut row = q.row.clone();
        let opens_at = (reading > 0).then_some(now + reading);
        row.status = "open".into();
        row.opened_at = opens_at;
        row.deadline_at = None;
        row.paused_at = None;
        self.commit_question(
            row.clone(),
            actor,
            "question_open",
            json!({ "question_id": next, "buzzer_opens_at": opens_at }),
        )
        .await?;
        if let Some(run) = self.buzzer_mut() {
            run.current = Some(next);
            run.q = Some(BuzzerQuestion::new(settings, opens_at));
            run.marks.clear();
            run.typed.clear();
            run.open_announced = opens_at.is_none();
        }
        self.buzzer_send();
        Ok(())
    }

    async fn buzzer_open(&mut self, actor: &str, now: i64) -> ApiResult<()> {
        let Some(row) = self.buzzer_row().filter(|r| r.status == "open").cloned() else {
            return Err(self.illegal("no question is open"));
        };
        let Some(mut b) = self.buzzer().and_then(|r| r.q.clone()) else {
            return Err(self.illegal("no question is open"));
        };
        if let Err(why) = b.open(now) {
            return Err(self.illegal(why));
        }
        let mut row = row;
        row.opened_at = b.opens_at;
        row.deadline_at = b.deadline_at;
        self.commit_question(
            row.clone(),
            actor,
            "buzzer_open",
            json!({ "question_id": row.id, "round": b.round, "opens_at": now, "deadline_at": b.deadline_at }),
        )
        .await?;
        if let Some(run) = self.buzzer_mut() {
            run.q = Some(b);
            run.open_announced = true;
        }
        self.buzzer_send();
        Ok(())
    }

    async fn buzzer_mark(&mut self, actor: &str, team_id: Option<i32>, correct: bool, now: i64) -> ApiResult<()> {
        self.buzzer_apply_mark(actor, team_id, correct, None, now).await
    }

    /// Marks the team with the floor and stores the mark with its audit entry and the
    /// question's new live fields in one transaction; a typed answer (`typed`) that
    /// earned the mark goes into the same transaction, so it is never stored unmarked.
    async fn buzzer_apply_mark(
        &mut self,
        actor: &str,
        team_id: Option<i32>,
        correct: bool,
        typed: Option<store::live::NewAnswer>,
        now: i64,
    ) -> ApiResult<()> {
        let Some(row) = self.buzzer_row().filter(|r| r.status == "open").cloned() else {
            return Err(self.illegal("no question is open"));
        };
        let Some(run) = self.buzzer() else { return Err(self.illegal("no part is running")) };
        let Some(mut b) = run.q.clone() else { return Err(self.illegal("no question is open")) };
        let points = mark_points(&run.scoring, row.points, correct);
        let mark = b.mark(team_id, correct, points, self.scores.teams.len()).map_err(|m| self.illegal(m))?;
        let mut new_row = row.clone();
        new_row.opened_at = b.opens_at;
        new_row.deadline_at = b.deadline_at;
        if b.closed {
            new_row.status = "closed".into();
            new_row.closed_at = Some(now);
        }
        let mut detail = json!({
            "question_id": row.id, "team_id": mark.team_id, "round": mark.round,
            "correct": correct, "points": points, "closes": b.closed,
        });
        if let Some(a) = &typed {
            detail["typed_answer"] = serde_json::from_str(&a.payload).unwrap_or(Value::Null);
            detail["submission_id"] = a.submission_id.clone().into();
            detail["contestant_id"] = a.contestant_id.into();
        }
        let txn = sea_orm::TransactionTrait::begin(&self.db).await?;
        let stored_answer = match &typed {
            Some(a) => {
                store::live::insert_answers(&txn, std::slice::from_ref(a)).await?;
                let key = [(a.contestant_id, a.submission_id.clone())];
                store::live::answers_by_keys(&txn, &key).await?.into_iter().next()
            }
            None => None,
        };
        let stored = store::buzzer::insert_mark(&txn, self.contest_id, row.id, &mark, actor).await?;
        store::live::save_question(&txn, &new_row).await?;
        store::live::audit(&txn, self.contest_id, actor, "buzzer_mark", &detail).await?;
        txn.commit().await?;
        let closed = b.closed;
        if let Some(q) = self.scores.questions.get_mut(&row.id) {
            q.row = new_row;
        }
        if let Some(run) = self.buzzer_mut() {
            run.q = Some(b);
            run.marks.push(stored);
            run.typed.extend(stored_answer);
        }
        if closed {
            self.buzzer_score(row.id);
        }
        self.buzzer_send();
        Ok(())
    }

    // ---- typed answers

    /// The typed answer of the team with the floor (an `answer` in a buzzer part): checked
    /// against memory, matched like a quiz answer, then stored with its mark before the
    /// ack. The engine keeps the ack for the submission id, so a resend gets it again.
    pub(in crate::live) async fn buzzer_answer(
        &mut self,
        by: Answerer,
        req: AnswerRequest,
        now: i64,
    ) -> ApiResult<Ack> {
        // A press still waiting for its batch may be the one that gave this team the floor
        // (one still settling has not given it yet).
        self.buzzer_settle(false);
        self.buzzer_commit().await;
        if req.star {
            return Err(ApiError::invalid("star", "a buzzer part has no star of hope"));
        }
        let current = self.buzzer_row().map(|r| (r.id, r.status == "open"));
        let qid = match current {
            Some((id, true)) => id,
            Some((id, false)) if id == req.question_id => return Err(refusal(Refusal::Closed)),
            _ => return Err(ApiError::conflict("no_open_question", "no buzzer question is open")),
        };
        if qid != req.question_id {
            return Err(ApiError::conflict(
                "question_not_open",
                format!("question {} is not the open question ({qid})", req.question_id),
            ));
        }
        let Some(b) = self.buzzer().and_then(|r| r.q.as_ref()) else {
            return Err(ApiError::conflict("no_open_question", "no buzzer question is open"));
        };
        let floor = b.may_type(by.team_id).map_err(typed_refusal)?;
        let elapsed_ms = (now - floor.received_at).max(0);
        let Some(question) = self.scores.questions.get(&qid).and_then(|q| q.question.as_ref()) else {
            return Err(ApiError::internal(anyhow::anyhow!("question {qid} has no readable snapshot")));
        };
        let correct = judge_typed(question, &req.response).map_err(|m| ApiError::invalid("response", m))?;
        let payload = serde_json::to_string(&req.response).map_err(ApiError::internal)?;
        let answer = store::live::NewAnswer {
            contest_id: self.contest_id,
            part_question_id: qid,
            team_id: by.team_id,
            contestant_id: by.contestant_id,
            submission_id: req.submission_id.clone(),
            payload,
            star: false,
            received_at: now,
            elapsed_ms,
        };
        let actor = format!("contestant:{}", by.contestant_id);
        self.buzzer_apply_mark(&actor, Some(by.team_id), correct, Some(answer), now).await?;
        Ok(Ack { submission_id: req.submission_id, question_id: qid, received_at: now, elapsed_ms, star: false })
    }

    /// Ends the current question: the marks so far are its score (nobody right: none).
    async fn buzzer_close(&mut self, actor: &str, now: i64) -> ApiResult<()> {
        let Some(mut row) = self.buzzer_row().filter(|r| r.status == "open").cloned() else { return Ok(()) };
        row.status = "closed".into();
        row.closed_at = Some(now);
        self.commit_question(row.clone(), actor, "question_close", json!({ "question_id": row.id })).await?;
        if let Some(b) = self.buzzer_mut().and_then(|r| r.q.as_mut()) {
            b.closed = true;
        }
        self.buzzer_score(row.id);
        self.buzzer_send();
        Ok(())
    }

    fn buzzer_score(&mut self, pq: i32) {
        let marks = self.buzzer().map(|r| r.marks.clone()).unwrap_or_default();
        self.scores.score_buzzer(pq, &marks);
        self.mark_board();
        self.flush();
    }

    async fn buzzer_reveal(&mut self, actor: &str, now: i64) -> ApiResult<()> {
        let Some(q) = self.buzzer_row().cloned() else { return Err(self.illegal("no question to reveal")) };
        if q.status != "closed" {
            return Err(self.illegal(format!("the question is {}; close it before revealing", q.status)));
        }
        let mut row = q;
        row.status = "revealed".into();
        row.revealed_at = Some(now);
        self.commit_question(row.clone(), actor, "question_reveal", json!({ "question_id": row.id })).await?;
        self.buzzer_send();
        self.mark_board();
        Ok(())
    }
}

/// The phones' copy of a view: the first presses of the order only.
fn for_phones(mut v: BuzzerView) -> BuzzerView {
    v.presses.truncate(PHONE_PRESSES);
    v
}
