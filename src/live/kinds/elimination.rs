//! The elimination part (rung chuông vàng): each contestant answers on their own phone;
//! a wrong or missing answer eliminates them; the organiser can rescue (cứu trợ).
//!
//! Its live state is a quiz's question sequence ([`QuizRun`], driven by the quiz's own
//! open/get ready/reading/deadline/close/reveal helpers in `quiz.rs`) plus who answered
//! the open question. Who is in is not kept here: it is [`ElimState`]'s outcome in the
//! scores, replayed from the roster, the right answers of the revealed questions and the
//! stored rescues (`crate::domain::elimination`), so a restart and a recomputation give
//! the same eliminated set. An answer check is two hash lookups (on the roster, not out)
//! before the quiz's; answers go through the engine's group-commit writer like a quiz's.
//!
//! What each audience sees: everyone gets how many remain (the projector's big number);
//! staff get who was eliminated on the last question, by name, for a rescue; a team's
//! phones get where each of its members stands. Eliminations count only at the reveal,
//! so no phone learns the right answer from its standing before the organiser reveals it.
use std::collections::{HashMap, HashSet};

use serde_json::json;

use super::super::engine::{Answerer, Control, Engine, Viewer};
use super::super::events::{AnswerRequest, ElimMember, EliminationView, Event, MemberStanding};
use super::super::scores::ElimState;
use super::quiz::QuizRun;
use crate::domain::elimination::Standing;
use crate::domain::part::AnswerPolicy;
use crate::domain::question::Response;
use crate::entities::{answers, part_questions, parts, rescues};
use crate::error::{ApiError, ApiResult};
use crate::store;

/// How often staff and the projector hear the answer count of the open question.
const COUNT_EVERY_MS: i64 = 200;

/// Names carried by a rescue's announcement.
const RESCUE_NAMES: usize = 30;

/// Survivors are named once the part is over and at most this many remain.
const NAMED_SURVIVORS: usize = 50;

/// A running elimination part.
pub struct ElimRun {
    pub part_id: i32,
    /// The question sequence, as a quiz runs it.
    pub quiz: QuizRun,
    /// Contestants who answered the current question.
    answered: HashSet<i32>,
    count_dirty: bool,
    last_count: i64,
}

impl ElimRun {
    pub fn new(part: &parts::Model, questions: &[&part_questions::Model]) -> Self {
        let mut quiz = QuizRun::new(part, questions);
        // Every contestant answers for themselves.
        quiz.policy = AnswerPolicy::LastAnswer;
        ElimRun { part_id: part.id, quiz, answered: HashSet::new(), count_dirty: false, last_count: 0 }
    }

    pub fn restore(&mut self, a: answers::Model) {
        if Some(a.part_question_id) == self.quiz.current {
            self.answered.insert(a.contestant_id);
        }
    }

    pub fn stored(&mut self, m: &answers::Model) {
        if Some(m.part_question_id) == self.quiz.current && self.answered.insert(m.contestant_id) {
            self.count_dirty = true;
        }
    }
}

/// Each contestant's last answer (by receive order), for the reveal's distribution.
pub fn last_responses(answers: &[answers::Model]) -> Vec<Response> {
    let mut last: HashMap<i32, &answers::Model> = HashMap::new();
    for a in answers {
        if last.get(&a.contestant_id).is_none_or(|b| (b.received_at, b.id) <= (a.received_at, a.id)) {
            last.insert(a.contestant_id, a);
        }
    }
    last.into_values().filter_map(|a| serde_json::from_str(&a.payload).ok()).collect()
}

impl Engine {
    fn elim_run(&self) -> Option<&ElimRun> {
        match &self.running.as_ref()?.kind {
            super::KindState::Elimination(e) => Some(e),
            _ => None,
        }
    }

    fn elim_state(&self) -> Option<&ElimState> {
        self.scores.elimination.get(&self.elim_run()?.part_id)
    }

    /// The part has just started: its roster is the contestants who joined before now.
    pub(in crate::live) async fn elim_started(&mut self, now: i64) -> ApiResult<()> {
        let Some(part_id) = self.elim_run().map(|e| e.part_id) else { return Ok(()) };
        self.scores.load_elimination(&self.db, self.contest_id, part_id, now).await?;
        self.scores.refresh_elimination();
        self.send_elimination();
        Ok(())
    }

    /// The part is over: at most one contestant remains after a question, or every
    /// question has been asked and the last is revealed (or voided).
    fn elim_over(&self) -> bool {
        let (Some(run), Some(e)) = (self.elim_run(), self.elim_state()) else { return false };
        let settled = |id: &i32| {
            self.scores.questions.get(id).is_some_and(|q| matches!(q.row.status.as_str(), "revealed" | "voided"))
        };
        (e.outcome.last_question.is_some() && e.outcome.remaining() <= 1) || run.quiz.order.iter().all(settled)
    }

    /// The elimination part as `viewer` may see it (None when no elimination part runs).
    pub(in crate::live) fn elimination_view(&self, viewer: Viewer) -> Option<EliminationView> {
        let run = self.elim_run()?;
        let e = self.elim_state()?;
        let o = &e.outcome;
        let over = self.elim_over();
        let named = |id: &i32| {
            e.member(*id).map(|m| ElimMember {
                contestant_id: m.contestant_id,
                name: m.name.clone(),
                team_id: m.team_id,
                team_name: self.team_name(m.team_id),
            })
        };
        let survivors = if over && o.remaining() <= NAMED_SURVIVORS {
            e.roster
                .iter()
                .filter(|m| !o.out.contains_key(&m.contestant_id))
                .filter_map(|m| named(&m.contestant_id))
                .collect()
        } else {
            vec![]
        };
        Some(EliminationView {
            part_id: run.part_id,
            total: e.roster.len(),
            remaining: o.remaining(),
            answered: run.answered.len(),
            last_question_id: o.last_question,
            eliminated_last: o.eliminated_last.len(),
            over,
            eliminated: if viewer == Viewer::Staff {
                o.eliminated_last.iter().filter_map(named).collect()
            } else {
                vec![]
            },
            survivors,
            team: match viewer {
                Viewer::Team(t) => e
                    .roster
                    .iter()
                    .filter(|m| m.team_id == t)
                    .map(|m| MemberStanding { contestant_id: m.contestant_id, standing: o.standing(m.contestant_id) })
                    .collect(),
                _ => vec![],
            },
        })
    }

    fn team_name(&self, team_id: i32) -> String {
        self.scores.teams.iter().find(|(id, _)| *id == team_id).map(|(_, n)| n.clone()).unwrap_or_default()
    }

    /// Every screen hears the new standing: staff the named list, the projector the
    /// counts, each team's phones their members' standing (one small frame per team).
    fn send_elimination(&mut self) {
        if let Some(v) = self.elimination_view(Viewer::Staff) {
            self.out.staff.push(Event::Elimination { elimination: v }.frame());
        }
        if let Some(v) = self.elimination_view(Viewer::Audience) {
            self.out.audience.push(Event::Elimination { elimination: v }.frame());
        }
        let teams: Vec<i32> = self.scores.teams.iter().map(|(id, _)| *id).collect();
        for t in teams {
            if let Some(v) = self.elimination_view(Viewer::Team(t)) {
                self.out.teams.entry(t).or_default().push(Event::Elimination { elimination: v }.frame());
            }
        }
    }

    pub(in crate::live) fn elim_flush(&mut self, now: i64) {
        self.quiz_flush(now);
        let Some(q) = self.current_row().map(|q| q.id) else { return };
        let remaining = self.elim_state().map_or(0, |e| e.outcome.remaining());
        let Some(super::KindState::Elimination(run)) = self.running.as_mut().map(|r| &mut r.kind) else { return };
        if run.count_dirty && now - run.last_count >= COUNT_EVERY_MS {
            run.count_dirty = false;
            run.last_count = now;
            let f = Event::EliminationCount { question_id: q, answered: run.answered.len(), remaining }.frame();
            self.out.staff.push(f.clone());
            self.out.audience.push(f);
        }
    }

    /// Eliminations count once the question is revealed: a part cannot finish on a
    /// question that is closed but not revealed.
    pub(in crate::live) fn elim_can_finish(&self) -> ApiResult<()> {
        self.quiz_can_finish()?;
        if self.current_row().is_some_and(|q| q.status == "closed") {
            return Err(self.illegal("reveal the question first: its eliminations count once it is revealed"));
        }
        Ok(())
    }

    pub(in crate::live) async fn elim_control(&mut self, actor: &str, op: Control, now: i64) -> ApiResult<()> {
        match op {
            Control::Next => {
                if self.current_row().is_some_and(|q| q.status == "closed") {
                    return Err(self.illegal("reveal the question first: its eliminations count once it is revealed"));
                }
                if let Some(e) = self.elim_state()
                    && e.outcome.last_question.is_some()
                {
                    match e.outcome.remaining() {
                        0 => return Err(self.illegal("nobody remains: rescue contestants or finish the part")),
                        1 => return Err(self.illegal("one contestant remains: the part is over; finish it")),
                        _ => {}
                    }
                }
                self.quiz_control(actor, Control::Next, now).await?;
                if let Some(super::KindState::Elimination(run)) = self.running.as_mut().map(|r| &mut r.kind) {
                    run.answered.clear();
                    run.count_dirty = false;
                }
                self.send_elimination();
                Ok(())
            }
            Control::Reveal => {
                self.quiz_control(actor, Control::Reveal, now).await?;
                self.mark_board();
                self.send_elimination();
                Ok(())
            }
            Control::Rescue { contestant_ids, all_last, reason } => {
                self.rescue(actor, contestant_ids, all_last, &reason, now).await
            }
            op @ (Control::Pause | Control::Resume | Control::Close) => self.quiz_control(actor, op, now).await,
            other => Err(self.illegal(format!("{} is not a control of an elimination part", other.name()))),
        }
    }

    /// Brings eliminated contestants back for the next question, with the reason in the
    /// audit log and a row per contestant in `rescues`.
    async fn rescue(&mut self, actor: &str, ids: Vec<i32>, all_last: bool, reason: &str, now: i64) -> ApiResult<()> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ApiError::invalid("reason", "say why these contestants are rescued"));
        }
        if reason.chars().count() > 500 {
            return Err(ApiError::invalid("reason", "at most 500 characters"));
        }
        let Some(part_id) = self.elim_run().map(|r| r.part_id) else {
            return Err(self.illegal("no elimination part is running"));
        };
        if self.current_row().is_some_and(|q| matches!(q.status.as_str(), "open" | "closed")) {
            return Err(self.illegal("a question is being asked: reveal it before a rescue"));
        }
        let Some(e) = self.elim_state() else { return Err(self.illegal("no elimination part is running")) };
        let Some(after) = e.outcome.last_question else {
            return Err(self.illegal("no question has been revealed yet: nobody is eliminated"));
        };
        let chosen: Vec<i32> = if all_last {
            if !ids.is_empty() {
                return Err(ApiError::invalid("contestant_ids", "give contestants or all_last, not both"));
            }
            e.outcome.eliminated_last.clone()
        } else {
            if ids.is_empty() {
                return Err(ApiError::invalid("contestant_ids", "choose at least one eliminated contestant"));
            }
            let mut seen = HashSet::new();
            for (i, c) in ids.iter().enumerate() {
                if e.member(*c).is_none() {
                    return Err(ApiError::invalid(
                        format!("contestant_ids[{i}]"),
                        format!("contestant {c} is not in this part"),
                    ));
                }
                if e.outcome.standing(*c) != Standing::Out {
                    return Err(ApiError::invalid(
                        format!("contestant_ids[{i}]"),
                        format!("contestant {c} is not eliminated"),
                    ));
                }
                if !seen.insert(*c) {
                    return Err(ApiError::invalid(
                        format!("contestant_ids[{i}]"),
                        format!("contestant {c} is listed twice"),
                    ));
                }
            }
            ids
        };
        if chosen.is_empty() {
            return Err(self.illegal("nobody was eliminated on the last question"));
        }
        let names: Vec<String> =
            chosen.iter().take(RESCUE_NAMES).filter_map(|c| e.member(*c).map(|m| m.name.clone())).collect();
        let txn = sea_orm::TransactionTrait::begin(&self.db).await?;
        store::elimination::insert_rescues(&txn, self.contest_id, part_id, after, &chosen, reason, actor).await?;
        let detail = json!({ "part_id": part_id, "after_question_id": after, "contestant_ids": chosen, "all_last": all_last, "reason": reason });
        store::live::audit(&txn, self.contest_id, actor, "elimination_rescue", &detail).await?;
        txn.commit().await?;
        if let Some(e) = self.scores.elimination.get_mut(&part_id) {
            e.rescues.extend(chosen.iter().map(|c| rescues::Model {
                id: 0,
                contest_id: self.contest_id,
                part_id,
                contestant_id: *c,
                after_question_id: after,
                reason: reason.to_owned(),
                actor: actor.to_owned(),
                created_at: now,
            }));
        }
        self.mark_board();
        let remaining = self.elim_state().map_or(0, |e| e.outcome.remaining());
        self.send_all(Event::Rescued { part_id, count: chosen.len(), reason: reason.to_owned(), names, remaining });
        self.send_elimination();
        Ok(())
    }

    /// An answer from a contestant on the roster and still in, then the quiz's checks.
    pub(in crate::live) fn elim_check_answer(
        &self,
        by: &Answerer,
        req: &AnswerRequest,
        now: i64,
    ) -> ApiResult<(i64, bool)> {
        if let Some(e) = self.elim_state() {
            if e.member(by.contestant_id).is_none() {
                return Err(ApiError::conflict(
                    "not_in_part",
                    "you joined after this elimination part started; you can watch it",
                ));
            }
            if e.outcome.standing(by.contestant_id) == Standing::Out {
                return Err(ApiError::conflict(
                    "eliminated",
                    "you have been eliminated from this part; you can keep watching",
                ));
            }
        }
        self.quiz_check_answer(by, req, now)
    }
}
