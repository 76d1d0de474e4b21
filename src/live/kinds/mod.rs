//! The kinds of part, each in its own module with the same shape: its live state, the
//! controls it accepts, what it stores and what each audience may see. The engine
//! (`super::engine`) owns the loop (commands, timers, the group-commit writer, the
//! fan-out, restart from the database) and hands each step to the running part's kind
//! through the dispatch below; a kind's rules never reach into another's.
pub mod buzzer;
pub mod elimination;
pub mod judged;
pub mod quiz;

use tokio::time::Instant;

use super::engine::{Answerer, Control, Engine, Viewer};
use super::events::{AnswerRequest, QuestionView};
use crate::entities::{answers, part_questions, parts};
use crate::error::{ApiError, ApiResult};

/// The live state of the running part, by kind. One per running contest, so the size of
/// the largest kind does not matter.
#[allow(clippy::large_enum_variant)]
pub enum KindState {
    Quiz(quiz::QuizRun),
    Judged(judged::JudgedRun),
    /// An elimination part runs a quiz's question sequence for individuals.
    Elimination(elimination::ElimRun),
    Buzzer(buzzer::BuzzerRun),
}

impl KindState {
    /// The live state of a part about to run (or running when the server restarted), or
    /// why it cannot run.
    pub fn new(part: &parts::Model, questions: &[&part_questions::Model]) -> Result<Self, String> {
        match part.kind.as_str() {
            "quiz" => Ok(KindState::Quiz(quiz::QuizRun::new(part, questions))),
            "judged" => Ok(KindState::Judged(judged::JudgedRun::new(part))),
            "elimination" => Ok(KindState::Elimination(elimination::ElimRun::new(part, questions))),
            "buzzer" => Ok(KindState::Buzzer(buzzer::BuzzerRun::new(part, questions))),
            other => Err(format!("a {other} part cannot be run yet")),
        }
    }

    pub fn quiz(&self) -> Option<&quiz::QuizRun> {
        match self {
            KindState::Quiz(q) => Some(q),
            KindState::Judged(_) => None,
            KindState::Elimination(e) => Some(&e.quiz),
            KindState::Buzzer(_) => None,
        }
    }

    pub fn quiz_mut(&mut self) -> Option<&mut quiz::QuizRun> {
        match self {
            KindState::Quiz(q) => Some(q),
            KindState::Judged(_) => None,
            KindState::Elimination(e) => Some(&mut e.quiz),
            KindState::Buzzer(_) => None,
        }
    }

    pub fn buzzer(&self) -> Option<&buzzer::BuzzerRun> {
        match self {
            KindState::Buzzer(b) => Some(b),
            _ => None,
        }
    }

    pub fn buzzer_mut(&mut self) -> Option<&mut buzzer::BuzzerRun> {
        match self {
            KindState::Buzzer(b) => Some(b),
            _ => None,
        }
    }

    /// The questions of the part (0 for parts without questions).
    pub fn questions(&self) -> usize {
        match self {
            KindState::Quiz(q) => q.order.len(),
            KindState::Judged(_) => 0,
            KindState::Elimination(e) => e.quiz.order.len(),
            KindState::Buzzer(b) => b.order.len(),
        }
    }

    /// Whether phones offer the star of hope in this part.
    pub fn star_of_hope(&self) -> bool {
        match self {
            KindState::Quiz(q) => q.scoring.star_of_hope,
            KindState::Judged(_) => false,
            KindState::Elimination(_) => false,
            KindState::Buzzer(_) => false,
        }
    }

    /// A stored answer read back after a restart.
    pub fn restore(&mut self, a: answers::Model) {
        match self {
            KindState::Quiz(q) => q.restore(a),
            KindState::Judged(_) => {}
            KindState::Elimination(e) => e.restore(a),
            KindState::Buzzer(_) => {}
        }
    }

    /// An answer the writer has just stored.
    pub fn stored(&mut self, a: &answers::Model) {
        match self {
            KindState::Quiz(q) => q.stored(a),
            KindState::Judged(_) => {}
            KindState::Elimination(e) => e.stored(a),
            KindState::Buzzer(_) => {}
        }
    }
}

/// A part's questions by position, and the current one: the last one asked.
pub fn question_order(questions: &[&part_questions::Model]) -> (Vec<i32>, Option<i32>) {
    let mut order: Vec<(i32, i32)> = questions.iter().map(|q| (q.position, q.id)).collect();
    order.sort_unstable();
    let order: Vec<i32> = order.into_iter().map(|(_, id)| id).collect();
    let current =
        order.iter().rev().find(|id| questions.iter().any(|q| q.id == **id && q.status != "pending")).copied();
    (order, current)
}

/// The number (1-based) of a question in its part's order (0 if it is not there).
pub fn number_in(order: &[i32], id: i32) -> usize {
    order.iter().position(|x| *x == id).map_or(0, |i| i + 1)
}

/// What a part needs before it can start.
pub fn ready_to_start(part: &parts::Model, questions: &[&part_questions::Model]) -> Result<(), String> {
    match part.kind.as_str() {
        "quiz" | "elimination" | "buzzer" if !questions.iter().any(|q| q.status == "pending") => {
            Err("the part has no questions; assign questions first".into())
        }
        "quiz" | "elimination" | "buzzer" => Ok(()),
        "judged" => judged::ready_to_start(part),
        other => Err(format!("a {other} part cannot be run yet")),
    }
}

/// The running part's kind handles each step of the engine.
impl Engine {
    /// The next question of a part's order not asked yet.
    pub(in crate::live) fn next_pending(&self, order: &[i32]) -> ApiResult<i32> {
        order
            .iter()
            .find(|id| self.scores.questions.get(id).is_some_and(|q| q.row.status == "pending"))
            .copied()
            .ok_or_else(|| self.illegal("no more questions in this part"))
    }

    pub(in crate::live) async fn kind_after_restart(&mut self) -> ApiResult<()> {
        match self.running.as_ref().map(|r| &r.kind) {
            Some(KindState::Quiz(_) | KindState::Elimination(_)) => self.quiz_after_restart().await,
            Some(KindState::Buzzer(_)) => self.buzzer_after_restart().await,
            Some(KindState::Judged(_)) => self.judged_after_restart().await,
            None => Ok(()),
        }
    }

    /// The part has just started (its status is stored).
    pub(in crate::live) async fn kind_started(&mut self, now: i64) -> ApiResult<()> {
        match self.running.as_ref().map(|r| &r.kind) {
            Some(KindState::Elimination(_)) => self.elim_started(now).await,
            _ => Ok(()),
        }
    }

    pub(in crate::live) async fn kind_control(&mut self, actor: &str, op: Control, now: i64) -> ApiResult<()> {
        match self.running.as_ref().map(|r| &r.kind) {
            Some(KindState::Quiz(_)) => self.quiz_control(actor, op, now).await,
            Some(KindState::Judged(_)) => self.judged_control(&op),
            Some(KindState::Elimination(_)) => self.elim_control(actor, op, now).await,
            Some(KindState::Buzzer(_)) => self.buzzer_control(actor, op, now).await,
            // Without a running part, the quiz's controls say what is missing.
            None => self.quiz_control(actor, op, now).await,
        }
    }

    pub(in crate::live) fn kind_question_view(&self, viewer: Viewer) -> Option<QuestionView> {
        match self.running.as_ref().map(|r| &r.kind) {
            Some(KindState::Quiz(_) | KindState::Elimination(_)) => self.quiz_question_view(viewer),
            Some(KindState::Judged(_) | KindState::Buzzer(_)) | None => None,
        }
    }

    pub(in crate::live) fn kind_flush(&mut self, now: i64) {
        match self.running.as_ref().map(|r| &r.kind) {
            Some(KindState::Quiz(_)) => self.quiz_flush(now),
            Some(KindState::Buzzer(_)) => self.buzzer_flush(now),
            Some(KindState::Elimination(_)) => self.elim_flush(now),
            Some(KindState::Judged(_)) | None => {}
        }
    }

    pub(in crate::live) fn kind_next_wake(&self) -> Option<Instant> {
        match self.running.as_ref().map(|r| &r.kind) {
            Some(KindState::Buzzer(_)) => self.buzzer_next_wake(),
            Some(KindState::Quiz(_) | KindState::Elimination(_)) => self.quiz_next_wake(),
            Some(KindState::Judged(_)) | None => None,
        }
    }

    pub(in crate::live) async fn kind_on_timer(&mut self) {
        match self.running.as_ref().map(|r| &r.kind) {
            Some(KindState::Buzzer(_)) => self.buzzer_on_timer().await,
            Some(KindState::Quiz(_) | KindState::Elimination(_)) => self.quiz_on_timer().await,
            Some(KindState::Judged(_)) | None => {}
        }
    }

    pub(in crate::live) fn kind_can_finish(&self) -> ApiResult<()> {
        match self.running.as_ref().map(|r| &r.kind) {
            Some(KindState::Quiz(_)) => self.quiz_can_finish(),
            Some(KindState::Buzzer(_)) => self.buzzer_can_finish(),
            Some(KindState::Elimination(_)) => self.elim_can_finish(),
            Some(KindState::Judged(_)) | None => Ok(()),
        }
    }

    /// Validates an answer against the live state: returns when the question opened (the
    /// time taken is measured from it) and whether the star is staked.
    pub(in crate::live) fn kind_check_answer(
        &self,
        by: &Answerer,
        req: &AnswerRequest,
        now: i64,
    ) -> ApiResult<(i64, bool)> {
        match self.running.as_ref().map(|r| &r.kind) {
            Some(KindState::Quiz(_)) => self.quiz_check_answer(by, req, now),
            Some(KindState::Judged(_)) => self.judged_check_answer(),
            Some(KindState::Elimination(_)) => self.elim_check_answer(by, req, now),
            Some(KindState::Buzzer(_)) => {
                Err(ApiError::conflict("no_open_question", "a buzzer part takes presses, not answers"))
            }
            None => Err(ApiError::conflict("no_open_question", "no question is open")),
        }
    }
}
