//! A judged part (sân khấu hóa, hùng biện, chào hỏi) in the live engine. Judges mark on
//! their sheets over HTTP (`routes::judging`), each mark committed before its ack, so the
//! engine holds no marks: a judged part runs without questions, and its scores reach the
//! board through [`load_scores`] (how marks combine is `domain::judging`). When a sheet is
//! signed or reopened, the order drawn or a score released, the route tells the engine
//! ([`Engine::judging_changed`]): the board is recomputed (staff see a team's part score
//! as soon as every judge signed it; the projector and phones only once it is released),
//! and staff screens hear `judging` so their sheets and grids reload.
use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr};

use super::super::engine::{Control, Engine};
use super::super::events::Event;
use crate::domain::judging;
use crate::domain::part::Rubric;
use crate::entities::parts;
use crate::error::{ApiError, ApiResult};
use crate::store;

/// The live state of a running judged part: nothing beyond the part itself.
pub struct JudgedRun {
    pub part_id: i32,
}

impl JudgedRun {
    pub fn new(part: &parts::Model) -> Self {
        Self { part_id: part.id }
    }
}

/// A judged part can start once it has a rubric (the part form requires one).
pub fn ready_to_start(part: &parts::Model) -> Result<(), String> {
    let rubric: Rubric = serde_json::from_str(&part.rubric).unwrap_or_default();
    if rubric.criteria.is_empty() {
        return Err("the part has no rubric; add its criteria first".into());
    }
    Ok(())
}

/// One team's part score in a judged part, and whether the hall may see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JudgedScore {
    pub score: f64,
    pub released: bool,
}

/// The part scores of every judged part of the contest: part → team → score, for the
/// teams every judge has signed.
pub async fn load_scores(
    db: &impl ConnectionTrait,
    contest_id: i32,
    parts: &[parts::Model],
) -> Result<HashMap<i32, HashMap<i32, JudgedScore>>, DbErr> {
    let judged: Vec<&parts::Model> = parts.iter().filter(|p| p.kind == "judged").collect();
    if judged.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<i32> = judged.iter().map(|p| p.id).collect();
    let judges: Vec<i32> = store::judges::list(db, contest_id).await?.into_iter().map(|j| j.id).collect();
    let marks = store::judging::marks_of_parts(db, &ids).await?;
    let sheets = store::judging::sheets_of_parts(db, &ids).await?;
    let releases = store::judging::releases_of_parts(db, &ids).await?;
    let mut out = HashMap::new();
    for p in judged {
        let rubric: Rubric = serde_json::from_str(&p.rubric).unwrap_or_default();
        let by_team = judging::sheets_by_team(
            rubric.criteria.len(),
            marks.iter().filter(|m| m.part_id == p.id).map(|m| (m.judge_id, m.team_id, m.criterion, m.points)),
            sheets.iter().filter(|s| s.part_id == p.id).map(|s| (s.judge_id, s.team_id, s.signed_at.is_some())),
        );
        let scores: HashMap<i32, JudgedScore> = by_team
            .into_iter()
            .filter_map(|(team, sheets)| {
                let score = judging::combine(&rubric, &judges, &sheets).score?;
                let released = releases.iter().any(|r| r.part_id == p.id && r.team_id == team);
                Some((team, JudgedScore { score, released }))
            })
            .collect();
        out.insert(p.id, scores);
    }
    Ok(out)
}

impl Engine {
    /// The controls of a running judged part: it has no questions to open or close.
    pub(in crate::live) fn judged_control(&self, op: &Control) -> ApiResult<()> {
        Err(self.illegal(format!(
            "`{}` does not apply to a judged part: judges mark on their sheets, and the organiser releases the scores",
            op.name()
        )))
    }

    /// Sheets were signed or reopened, the order drawn or scores released: the board is
    /// recomputed and staff screens reload their sheets.
    pub(in crate::live) async fn judging_changed(&mut self, part_id: i32) -> ApiResult<()> {
        if !self.scores.parts.iter().any(|p| p.id == part_id) {
            // A part added after the engine loaded.
            self.scores.parts = store::parts::list(&self.db, self.contest_id).await?;
        }
        let scores = load_scores(&self.db, self.contest_id, &self.scores.parts).await?;
        self.scores.judged = scores;
        self.mark_board();
        self.out.staff.push(Event::Judging { part_id }.frame());
        Ok(())
    }

    pub(in crate::live) fn judged_check_answer(&self) -> ApiResult<(i64, bool)> {
        Err(ApiError::conflict("no_open_question", "a judged part has no questions to answer"))
    }
}
