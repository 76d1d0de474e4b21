//! The scores of a contest as derived from the database: per-question results of every
//! closed or revealed (not voided) question, adjustments and tie-breakers. The engine
//! keeps one of these up to date question by question; [`Scores::load`] rebuilds it from
//! scratch, which is how the board can always be recomputed and checked.
use std::collections::{HashMap, HashSet};

use sea_orm::{ConnectionTrait, DbErr};

use super::events::{BoardAdjustment, BoardDetail, BoardQuestion, PublicRow, TeamResult};
use super::kinds::judged::{JudgedScore, load_scores};
use crate::domain::elimination::{self, Counted, EliminationScoring, Outcome, Rescue};
use crate::domain::part::Scoring;
use crate::domain::question::{Question, Response};
use crate::domain::ranking::{self, Board, PartInfo, Tally, TieBreak};
use crate::domain::scoring::{CountedAnswer, QuestionResult, score_question};
use crate::entities::{adjustments, answers, buzzer_marks, part_questions, parts, rescues};
use crate::store;

pub struct QState {
    pub row: part_questions::Model,
    pub question: Option<Question>,
}

pub struct Scores {
    pub teams: Vec<(i32, String)>,
    pub parts: Vec<parts::Model>,
    pub questions: HashMap<i32, QState>,
    /// Results of scored questions (closed or revealed, not voided).
    pub results: HashMap<i32, Vec<QuestionResult>>,
    pub adjustments: Vec<adjustments::Model>,
    pub ties: Vec<TieBreak>,
    /// Part scores of judged parts: part → team → score (see `kinds::judged`).
    pub judged: HashMap<i32, HashMap<i32, JudgedScore>>,
    /// Elimination parts that have started, by part id.
    pub elimination: HashMap<i32, ElimState>,
}

/// A contestant on an elimination part's roster.
#[derive(Debug, Clone)]
pub struct Member {
    pub contestant_id: i32,
    pub team_id: i32,
    pub name: String,
}

/// What an elimination part's outcome is derived from, and the outcome (recomputed by
/// [`Scores::refresh_elimination`] whenever one of them changes).
pub struct ElimState {
    pub settings: EliminationScoring,
    pub roster: Vec<Member>,
    /// Contestant → index in `roster`.
    pub index: HashMap<i32, usize>,
    /// Scored questions → the contestants whose last answer was right.
    pub right: HashMap<i32, HashSet<i32>>,
    pub rescues: Vec<rescues::Model>,
    pub outcome: Outcome,
}

impl ElimState {
    pub fn new(settings: EliminationScoring, roster: Vec<Member>, rescues: Vec<rescues::Model>) -> Self {
        let index = roster.iter().enumerate().map(|(i, m)| (m.contestant_id, i)).collect();
        ElimState { settings, roster, index, right: HashMap::new(), rescues, outcome: Outcome::default() }
    }

    pub fn member(&self, contestant_id: i32) -> Option<&Member> {
        self.index.get(&contestant_id).and_then(|i| self.roster.get(*i))
    }
}

/// How a part counts on the board: its weight, its cap, whether it only breaks ties.
pub fn part_info(p: &parts::Model) -> PartInfo {
    PartInfo {
        id: p.id,
        title: p.title.clone(),
        weight: p.weight,
        max_points: p.max_points,
        tie_break: p.tie_break_teams.is_some(),
    }
}

/// The teams of a tie-break part (empty for an ordinary part).
pub fn tie_break_teams(p: &parts::Model) -> Vec<i32> {
    p.tie_break_teams.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default()
}

pub fn part_scoring(p: &parts::Model) -> Scoring {
    serde_json::from_str(&p.scoring).unwrap_or_default()
}

/// The answer of each team that counts: its last one received (answers arrive in order).
pub fn counted(answers: &[answers::Model]) -> Vec<CountedAnswer> {
    let mut last: HashMap<i32, &answers::Model> = HashMap::new();
    for a in answers {
        match last.get(&a.team_id) {
            Some(b) if (b.received_at, b.id) > (a.received_at, a.id) => {}
            _ => {
                last.insert(a.team_id, a);
            }
        }
    }
    let mut out: Vec<CountedAnswer> = last
        .into_values()
        .filter_map(|a| {
            let response: Response = serde_json::from_str(&a.payload).ok()?;
            Some(CountedAnswer {
                team_id: a.team_id,
                response,
                elapsed_ms: a.elapsed_ms,
                star: a.star,
                received_at: a.received_at,
                stored: a.id,
            })
        })
        .collect();
    out.sort_by_key(|a| a.team_id);
    out
}

/// The contestants whose last answer (by receive order) to a question is right: an
/// elimination part counts each contestant, not each team, and all or nothing.
pub fn right_contestants(question: &Question, answers: &[answers::Model]) -> HashSet<i32> {
    let mut last: HashMap<i32, &answers::Model> = HashMap::new();
    for a in answers {
        match last.get(&a.contestant_id) {
            Some(b) if (b.received_at, b.id) > (a.received_at, a.id) => {}
            _ => {
                last.insert(a.contestant_id, a);
            }
        }
    }
    last.into_values()
        .filter(|a| serde_json::from_str::<Response>(&a.payload).is_ok_and(|r| question.grade(&r, false).is_correct()))
        .map(|a| a.contestant_id)
        .collect()
}

impl Scores {
    pub async fn load(db: &impl ConnectionTrait, contest_id: i32) -> Result<Self, DbErr> {
        let teams = store::live::teams_of_contest(db, contest_id).await?;
        let parts = store::parts::list(db, contest_id).await?;
        let part_ids: Vec<i32> = parts.iter().map(|p| p.id).collect();
        let rows = store::live::questions_of_parts(db, &part_ids).await?;
        let scored: Vec<i32> =
            rows.iter().filter(|q| matches!(q.status.as_str(), "closed" | "revealed")).map(|q| q.id).collect();
        let answers = store::live::answers_of_questions(db, &scored).await?;
        let adjustments = store::live::adjustments_of_contest(db, contest_id).await?;
        let ties = match store::live::tie_breakers(db, contest_id).await? {
            Some(s) => serde_json::from_str(&s).unwrap_or_else(|_| vec![TieBreak::AnswerTime]),
            None => vec![TieBreak::AnswerTime],
        };
        let questions: HashMap<i32, QState> = rows
            .into_iter()
            .map(|row| {
                let question = serde_json::from_str::<Question>(&row.snapshot).ok();
                (row.id, QState { row, question })
            })
            .collect();
        let mut by_q: HashMap<i32, Vec<answers::Model>> = HashMap::new();
        for a in answers {
            by_q.entry(a.part_question_id).or_default().push(a);
        }
        let judged = load_scores(db, contest_id, &parts).await?;
        let mut s = Scores {
            teams,
            parts,
            questions,
            results: HashMap::new(),
            adjustments,
            ties,
            judged,
            elimination: HashMap::new(),
        };
        let started: Vec<(i32, i64)> = s
            .parts
            .iter()
            .filter(|p| p.kind == "elimination")
            .filter_map(|p| p.started_at.map(|t| (p.id, t)))
            .collect();
        for (part_id, started_at) in started {
            s.load_elimination(db, contest_id, part_id, started_at).await?;
        }
        let (buzzer, quiz): (Vec<i32>, Vec<i32>) = scored.into_iter().partition(|id| s.is_buzzer(*id));
        for id in quiz {
            let list = by_q.remove(&id).unwrap_or_default();
            s.score_with(id, &list);
        }
        let mut marks: HashMap<i32, Vec<buzzer_marks::Model>> = HashMap::new();
        for m in store::buzzer::marks_of_questions(db, &buzzer).await? {
            marks.entry(m.part_question_id).or_default().push(m);
        }
        for id in buzzer {
            s.score_buzzer(id, marks.get(&id).map(Vec::as_slice).unwrap_or_default());
        }
        s.refresh_elimination();
        Ok(s)
    }

    /// Reads an elimination part's roster and rescues (at its start, and on a restart).
    pub async fn load_elimination(
        &mut self,
        db: &impl ConnectionTrait,
        contest_id: i32,
        part_id: i32,
        started_at: i64,
    ) -> Result<(), DbErr> {
        let settings = self.parts.iter().find(|p| p.id == part_id).map(part_scoring).unwrap_or_default().elimination;
        let roster = store::elimination::roster(db, contest_id, started_at)
            .await?
            .into_iter()
            .map(|c| Member { contestant_id: c.id, team_id: c.team_id, name: c.name })
            .collect();
        let rescues = store::elimination::rescues_of_part(db, part_id).await?;
        self.elimination.insert(part_id, ElimState::new(settings, roster, rescues));
        Ok(())
    }

    /// Recomputes every elimination part's outcome from its roster, the right answers to
    /// its revealed questions and its rescues.
    pub fn refresh_elimination(&mut self) {
        let questions = &self.questions;
        for (part_id, e) in self.elimination.iter_mut() {
            let empty = HashSet::new();
            let counted: Vec<Counted> = questions
                .values()
                .filter(|q| q.row.part_id == *part_id && q.row.status == "revealed")
                .map(|q| Counted {
                    id: q.row.id,
                    position: q.row.position,
                    right: e.right.get(&q.row.id).unwrap_or(&empty),
                })
                .collect();
            let rescues: Vec<Rescue> = e
                .rescues
                .iter()
                .filter_map(|r| {
                    let q = questions.get(&r.after_question_id)?;
                    Some(Rescue { contestant_id: r.contestant_id, after_position: q.row.position })
                })
                .collect();
            let roster: Vec<i32> = e.roster.iter().map(|m| m.contestant_id).collect();
            e.outcome = elimination::replay(&roster, &counted, &rescues);
        }
    }

    /// Whether a question belongs to a buzzer part (scored from its marks, not answers).
    pub fn is_buzzer(&self, pq_id: i32) -> bool {
        self.questions
            .get(&pq_id)
            .and_then(|q| self.parts.iter().find(|p| p.id == q.row.part_id))
            .is_some_and(|p| p.kind == "buzzer")
    }

    /// Scores a buzzer question from its stored marks: each marked team earns the points
    /// its mark recorded (the question's points if right, minus the penalty if wrong).
    pub fn score_buzzer(&mut self, pq_id: i32, marks: &[buzzer_marks::Model]) {
        let results = marks
            .iter()
            .map(|m| QuestionResult {
                team_id: m.team_id,
                points: m.points,
                fraction: if m.correct { 1.0 } else { 0.0 },
                elapsed_ms: 0,
                star: false,
            })
            .collect();
        self.results.insert(pq_id, results);
    }

    /// Scores one question from its stored answers.
    pub fn score_with(&mut self, pq_id: i32, answers: &[answers::Model]) {
        let Some(q) = self.questions.get(&pq_id) else { return };
        let Some(question) = &q.question else { return };
        if let Some(e) = self.elimination.get_mut(&q.row.part_id) {
            e.right.insert(pq_id, right_contestants(question, answers));
            return;
        }
        let scoring = self.parts.iter().find(|p| p.id == q.row.part_id).map(part_scoring).unwrap_or_default();
        let results =
            score_question(&scoring, question, q.row.points, q.row.time_limit_s as i64 * 1000, &counted(answers));
        self.results.insert(pq_id, results);
    }

    fn part_finished(&self, part_id: i32) -> bool {
        self.parts.iter().any(|p| p.id == part_id && p.status == "finished")
    }

    /// Is this question's result on the board for this audience? Staff see closed
    /// questions; contestants only revealed ones (or any of a finished part).
    fn visible(&self, pq_id: i32, staff: bool) -> bool {
        self.questions.get(&pq_id).is_some_and(|q| match q.row.status.as_str() {
            "revealed" => true,
            "closed" => staff || self.part_finished(q.row.part_id),
            _ => false,
        })
    }

    pub fn tallies(&self, staff: bool) -> HashMap<i32, Tally> {
        let mut t: HashMap<i32, Tally> = HashMap::new();
        // Summed in question order: floating-point sums depend on the order, and the
        // live board must equal a recomputation to the cent (a HashMap's order differs
        // between the two).
        let mut pqs: Vec<&i32> = self.results.keys().collect();
        pqs.sort_unstable();
        for pq in pqs {
            let Some(results) = self.results.get(pq) else { continue };
            if !self.visible(*pq, staff) {
                continue;
            }
            let Some(part_id) = self.questions.get(pq).map(|q| q.row.part_id) else { continue };
            for r in results {
                let e = t.entry(r.team_id).or_default();
                *e.parts.entry(part_id).or_default() += r.points;
                e.answer_time_ms += r.elapsed_ms;
            }
        }
        // Judged parts: staff see a team's part score once every judge signed it; the
        // hall only once the organiser released it.
        let mut judged: Vec<(&i32, &HashMap<i32, JudgedScore>)> = self.judged.iter().collect();
        judged.sort_unstable_by_key(|(p, _)| **p);
        for (part_id, teams) in judged {
            for (team_id, s) in teams {
                if staff || s.released {
                    *t.entry(*team_id).or_default().parts.entry(*part_id).or_default() += s.score;
                }
            }
        }
        let mut elim: Vec<(&i32, &ElimState)> = self.elimination.iter().collect();
        elim.sort_unstable_by_key(|(p, _)| **p);
        for (part_id, e) in elim {
            let finished = self.part_finished(*part_id);
            let team_of: Vec<(i32, i32)> = e.roster.iter().map(|m| (m.contestant_id, m.team_id)).collect();
            let mut teams: Vec<_> = elimination::team_tallies(&e.outcome, &team_of).into_iter().collect();
            teams.sort_unstable_by_key(|(t, _)| *t);
            for (team, tally) in teams {
                let points = e.settings.team_points(tally, finished);
                if points != 0.0 {
                    *t.entry(team).or_default().parts.entry(*part_id).or_default() += points;
                }
            }
        }
        for a in &self.adjustments {
            let e = t.entry(a.team_id).or_default();
            match a.part_id {
                Some(p) => *e.parts.entry(p).or_default() += a.delta,
                None => e.extra += a.delta,
            }
        }
        t
    }

    pub fn board(&self, staff: bool) -> Board {
        let parts: Vec<PartInfo> = self.parts.iter().map(part_info).collect();
        ranking::build(&self.teams, &parts, &self.tallies(staff), &self.ties)
    }

    /// Rows of the public board that the live feed sends to phones.
    pub const LIVE_PUBLIC_ROWS: usize = 10;

    pub fn public_rows(board: &Board) -> Vec<PublicRow> {
        Self::public_top(board, usize::MAX)
    }

    /// The first `n` rows of the public board. The live feed to phones carries only the
    /// top of the board (each team's own rank comes in its `team_score`): a whole
    /// province's board sent to every phone would be megabytes per update.
    pub fn public_top(board: &Board, n: usize) -> Vec<PublicRow> {
        board
            .rows
            .iter()
            .take(n)
            .map(|r| PublicRow { rank: r.rank, team_id: r.team_id, team_name: r.team_name.clone(), total: r.total })
            .collect()
    }

    /// Every team's own results on the questions its audience may see, in question
    /// order, built in one pass (a flush serves thousands of teams).
    pub fn team_results(&self, staff: bool) -> HashMap<i32, Vec<TeamResult>> {
        let mut qs: Vec<(i32, i32, i32)> = self
            .results
            .keys()
            .filter(|pq| self.visible(**pq, staff))
            .filter_map(|pq| self.questions.get(pq).map(|q| (q.row.part_id, q.row.position, *pq)))
            .collect();
        qs.sort_unstable();
        let mut out: HashMap<i32, Vec<TeamResult>> = HashMap::new();
        for (_, _, pq) in qs {
            for r in self.results.get(&pq).map(Vec::as_slice).unwrap_or_default() {
                out.entry(r.team_id).or_default().push(TeamResult {
                    question_id: pq,
                    points: ranking::round2(r.points),
                    correct: r.is_correct(),
                    star: r.star,
                });
            }
        }
        out
    }

    /// The staff board's detail: every question as a column, each team's points on the
    /// scored ones, and the adjustments.
    pub fn detail(&self) -> BoardDetail {
        let order: HashMap<i32, usize> = self.parts.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
        let mut rows: Vec<&part_questions::Model> = self.questions.values().map(|q| &q.row).collect();
        rows.sort_by_key(|r| (order.get(&r.part_id).copied().unwrap_or(usize::MAX), r.position, r.id));
        let mut no: HashMap<i32, usize> = HashMap::new();
        let questions = rows
            .into_iter()
            .map(|r| {
                let n = no.entry(r.part_id).or_default();
                *n += 1;
                BoardQuestion { id: r.id, part_id: r.part_id, no: *n, status: r.status.clone(), points: r.points }
            })
            .collect();
        let adjustments = self
            .adjustments
            .iter()
            .map(|a| BoardAdjustment {
                id: a.id,
                team_id: a.team_id,
                part_id: a.part_id,
                delta: a.delta,
                reason: a.reason.clone(),
                actor: a.actor.clone(),
                created_at: a.created_at,
            })
            .collect();
        BoardDetail { questions, results: self.team_results(true).into_iter().collect(), adjustments }
    }
}
