//! Results that people keep: the final ranking with prizes, each team's unit and members,
//! the breakdown per part and the score progression, as published on the public results
//! page, written into the score sheet (bảng điểm) and printed in the minutes (biên bản).
//!
//! Two scopes:
//! - [`Scope::FinishedParts`] — what is published: only parts whose status is `finished`
//!   count (their questions, and the adjustments made to them; adjustments to the contest
//!   total always count). A running part contributes nothing, so nothing of it can reach
//!   the public page, however the contest goes on after publication.
//! - [`Scope::Staff`] — what organisers and judges see: every closed or revealed question,
//!   exactly the staff scoreboard (`GET /api/contests/{cid}/scoreboard`).
pub mod sheet;

use std::collections::{HashMap, HashSet};

use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::contest::{Member, Prize, default_prizes};
use crate::domain::judging::{self, Sheet};
use crate::domain::part::Rubric;
use crate::domain::prizes::{self, Award, PrizeTie};
use crate::domain::ranking::{self, Board, PartScore, Tally};
use crate::entities::{contests, judges, teams};
use crate::live::scores::Scores;
use crate::store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    FinishedParts,
    Staff,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ResultsContest {
    pub id: i32,
    pub name: String,
    /// Organising unit (đơn vị tổ chức).
    pub unit: String,
    /// `YYYY-MM-DD` (may be empty).
    pub held_on: String,
    pub venue: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ResultsPart {
    pub part_id: i32,
    /// `quiz`, `buzzer`, `judged` or `elimination`.
    pub kind: String,
    pub title: String,
    pub position: i32,
    pub weight: f64,
    /// `pending`, `running` or `finished`.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ResultsRow {
    /// 1-based; teams level after every tie-breaker share a rank.
    pub rank: u32,
    pub team_id: i32,
    pub team_name: String,
    pub unit: String,
    pub members: Vec<String>,
    /// Σ weight·part score + adjustments to the total.
    pub total: f64,
    /// Score per part, in the order of `parts`.
    pub parts: Vec<PartScore>,
    /// The running total after each part (weighted), in the order of `parts`; the last
    /// one also holds the adjustments to the total, so it equals `total`.
    pub cumulative: Vec<f64>,
    pub prize: Option<Award>,
}

/// The results of a contest in one scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Results {
    pub contest: ResultsContest,
    /// The parts counted, in order.
    pub parts: Vec<ResultsPart>,
    /// Ranked, best first.
    pub rows: Vec<ResultsRow>,
    pub prize_scheme: Vec<Prize>,
    /// Ties at a prize boundary (see `domain::prizes`).
    pub ties: Vec<PrizeTie>,
    /// The organiser confirmed that tied teams share their prize.
    pub ties_confirmed: bool,
    /// When these results were computed (ms).
    pub computed_at: i64,
}

/// Everything the results are built from, read once.
pub struct Source {
    pub contest: contests::Model,
    pub teams: Vec<teams::Model>,
    pub judges: Vec<judges::Model>,
    pub scores: Scores,
    /// Old and new totals of each adjustment, from its audit entry.
    pub adjusted_totals: HashMap<i32, (f64, f64)>,
    /// Judges' sheets of each judged part: part → team → sheets (by judge id).
    pub sheets: HashMap<i32, HashMap<i32, Vec<Sheet>>>,
}

/// A score adjustment as the minutes and the score sheet show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AdjustmentView {
    pub id: i32,
    pub created_at: i64,
    pub team_id: i32,
    pub team_name: String,
    /// None: the contest total.
    pub part_id: Option<i32>,
    pub part_title: Option<String>,
    pub delta: f64,
    /// The team's total before and after, as the audit log recorded them.
    pub old_total: Option<f64>,
    pub new_total: Option<f64>,
    pub reason: String,
    pub actor: String,
}

impl Source {
    pub async fn load(db: &impl ConnectionTrait, contest: contests::Model) -> Result<Self, DbErr> {
        let teams = store::teams::list(db, contest.id).await?;
        let judges = store::judges::list(db, contest.id).await?;
        let scores = Scores::load(db, contest.id).await?;
        let mut adjusted_totals = HashMap::new();
        for a in store::live::audit_of_contest(db, contest.id).await? {
            if a.action != "score_adjust" {
                continue;
            }
            let Ok(d) = serde_json::from_str::<serde_json::Value>(&a.detail) else { continue };
            if let (Some(id), Some(old), Some(new)) =
                (d["adjustment_id"].as_i64(), d["old_total"].as_f64(), d["new_total"].as_f64())
            {
                adjusted_totals.insert(id as i32, (old, new));
            }
        }
        let judged: Vec<&crate::entities::parts::Model> = scores.parts.iter().filter(|p| p.kind == "judged").collect();
        let ids: Vec<i32> = judged.iter().map(|p| p.id).collect();
        let marks = store::judging::marks_of_parts(db, &ids).await?;
        let signed = store::judging::sheets_of_parts(db, &ids).await?;
        let sheets = judged
            .iter()
            .map(|p| {
                let rubric: Rubric = serde_json::from_str(&p.rubric).unwrap_or_default();
                let by_team = judging::sheets_by_team(
                    rubric.criteria.len(),
                    marks.iter().filter(|m| m.part_id == p.id).map(|m| (m.judge_id, m.team_id, m.criterion, m.points)),
                    signed.iter().filter(|s| s.part_id == p.id).map(|s| (s.judge_id, s.team_id, s.signed_at.is_some())),
                );
                (p.id, by_team)
            })
            .collect();
        Ok(Source { contest, teams, judges, scores, adjusted_totals, sheets })
    }

    pub fn adjustments(&self) -> Vec<AdjustmentView> {
        self.scores
            .adjustments
            .iter()
            .map(|a| {
                let totals = self.adjusted_totals.get(&a.id);
                AdjustmentView {
                    id: a.id,
                    created_at: a.created_at,
                    team_id: a.team_id,
                    team_name: self
                        .teams
                        .iter()
                        .find(|t| t.id == a.team_id)
                        .map(|t| t.name.clone())
                        .unwrap_or_default(),
                    part_id: a.part_id,
                    part_title: a
                        .part_id
                        .and_then(|p| self.scores.parts.iter().find(|x| x.id == p))
                        .map(|p| p.title.clone()),
                    delta: a.delta,
                    old_total: totals.map(|t| t.0),
                    new_total: totals.map(|t| t.1),
                    reason: a.reason.clone(),
                    actor: a.actor.clone(),
                }
            })
            .collect()
    }

    pub fn judge_names(&self) -> Vec<String> {
        self.judges.iter().map(|j| j.display_name.clone()).collect()
    }

    pub fn prize_scheme(&self) -> Vec<Prize> {
        serde_json::from_str(&self.contest.prize_scheme).unwrap_or_else(|_| default_prizes())
    }

    pub fn finished_parts(&self) -> HashSet<i32> {
        self.scores.parts.iter().filter(|p| p.status == "finished").map(|p| p.id).collect()
    }

    /// The ranked board of the scope.
    pub fn board(&self, scope: Scope) -> Board {
        match scope {
            Scope::Staff => self.scores.board(true),
            Scope::FinishedParts => {
                let finished = self.finished_parts();
                let parts: Vec<ranking::PartInfo> = self
                    .scores
                    .parts
                    .iter()
                    .filter(|p| finished.contains(&p.id))
                    .map(crate::live::scores::part_info)
                    .collect();
                ranking::build(&self.scores.teams, &parts, &self.finished_tallies(&finished), &self.scores.ties)
            }
        }
    }

    /// Like `Scores::tallies`, counting only the finished parts (summed in the same
    /// question order, so a finished contest gives the staff board to the cent).
    fn finished_tallies(&self, finished: &HashSet<i32>) -> HashMap<i32, Tally> {
        let mut t: HashMap<i32, Tally> = HashMap::new();
        let mut pqs: Vec<&i32> = self.scores.results.keys().collect();
        pqs.sort_unstable();
        for pq in pqs {
            let Some(part_id) = self.scores.questions.get(pq).map(|q| q.row.part_id) else { continue };
            if !finished.contains(&part_id) {
                continue;
            }
            for r in self.scores.results.get(pq).map(Vec::as_slice).unwrap_or_default() {
                let e = t.entry(r.team_id).or_default();
                *e.parts.entry(part_id).or_default() += r.points;
                e.answer_time_ms += r.elapsed_ms;
            }
        }
        for a in &self.scores.adjustments {
            match a.part_id {
                Some(p) if finished.contains(&p) => {
                    *t.entry(a.team_id).or_default().parts.entry(p).or_default() += a.delta;
                }
                Some(_) => {}
                None => t.entry(a.team_id).or_default().extra += a.delta,
            }
        }
        t
    }

    pub fn results(&self, scope: Scope, ties_confirmed: bool) -> Results {
        let board = self.board(scope);
        let scheme = self.prize_scheme();
        let ranked: Vec<(i32, u32)> = board.rows.iter().map(|r| (r.team_id, r.rank)).collect();
        let awards = prizes::award(&ranked, &scheme, ties_confirmed);
        let by_id: HashMap<i32, &teams::Model> = self.teams.iter().map(|t| (t.id, t)).collect();
        let parts: Vec<ResultsPart> = board
            .parts
            .iter()
            .filter_map(|bp| self.scores.parts.iter().find(|p| p.id == bp.part_id))
            .map(|p| ResultsPart {
                part_id: p.id,
                kind: p.kind.clone(),
                title: p.title.clone(),
                position: p.position,
                weight: p.weight,
                status: p.status.clone(),
            })
            .collect();
        let rows = board
            .rows
            .iter()
            .zip(awards.awards)
            .map(|(r, prize)| {
                let team = by_id.get(&r.team_id);
                let mut acc = 0.0;
                let mut cumulative: Vec<f64> = board
                    .parts
                    .iter()
                    .zip(&r.parts)
                    .map(|(bp, ps)| {
                        if !bp.tie_break {
                            acc += bp.weight * ps.score;
                        }
                        ranking::round2(acc)
                    })
                    .collect();
                if let Some(last) = cumulative.last_mut() {
                    *last = r.total;
                }
                ResultsRow {
                    rank: r.rank,
                    team_id: r.team_id,
                    team_name: r.team_name.clone(),
                    unit: team.map(|t| t.unit.clone()).unwrap_or_default(),
                    members: team.map(|t| member_names(&t.members)).unwrap_or_default(),
                    total: r.total,
                    parts: r.parts.clone(),
                    cumulative,
                    prize,
                }
            })
            .collect();
        Results {
            contest: ResultsContest {
                id: self.contest.id,
                name: self.contest.name.clone(),
                unit: self.contest.unit.clone(),
                held_on: self.contest.held_on.clone(),
                venue: self.contest.venue.clone(),
            },
            parts,
            rows,
            prize_scheme: scheme,
            ties: awards.ties,
            ties_confirmed,
            computed_at: crate::now_ms(),
        }
    }
}

/// Member names from the stored roster (captain first is not implied; stored order).
pub fn member_names(stored: &str) -> Vec<String> {
    serde_json::from_str::<Vec<Member>>(stored).map(|m| m.into_iter().map(|m| m.name).collect()).unwrap_or_default()
}

/// A server instant as the committee reads it: Vietnam time (UTC+7), `dd/mm/yyyy HH:MM:SS`.
pub fn vn_time(ms: i64) -> String {
    let Some(tz) = chrono::FixedOffset::east_opt(7 * 3600) else { return String::new() };
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&tz).format("%d/%m/%Y %H:%M:%S").to_string())
        .unwrap_or_default()
}
