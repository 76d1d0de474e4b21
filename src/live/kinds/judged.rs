//! A judged part (sân khấu hóa, hùng biện, chào hỏi) in the live engine. Judges mark on
//! their sheets over HTTP (`routes::judging`), each mark committed before its ack, so the
//! engine holds no marks: a judged part runs without questions, and its scores reach the
//! board through [`load_scores`] (how marks combine is `domain::judging`). When a sheet is
//! signed or reopened, the order drawn or a score released, the route tells the engine
//! ([`Engine::judging_changed`]): the board is recomputed (staff see a team's part score
//! as soon as every judge signed it; the projector and phones only once it is released),
//! and staff screens hear `judging` so their sheets and grids reload.
//!
//! What the hall sees of a judged part lives here too: the team on stage now (set by the
//! organiser, stored in `judged_performing` and audited, sent to every screen as
//! `performing`), and the moment a score is released (`judged_released`, to the projector
//! and staff: the released teams' part scores and nothing else).
use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::super::Handle;
use super::super::engine::{Cmd, Control, Engine};
use super::super::events::Event;
use super::KindState;
use crate::domain::judging;
use crate::domain::part::Rubric;
use crate::entities::parts;
use crate::error::{ApiError, ApiResult};
use crate::store;

/// The live state of a running judged part: the part and the team on stage.
pub struct JudgedRun {
    pub part_id: i32,
    pub performing: Option<PerformingView>,
}

impl JudgedRun {
    pub fn new(part: &parts::Model) -> Self {
        Self { part_id: part.id, performing: None }
    }
}

/// The team performing now in a running judged part (every screen may see it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PerformingView {
    pub part_id: i32,
    pub team_id: i32,
    pub team_name: String,
    /// Its place in the drawn order of performance (1 = first); None before the draw or
    /// for a team added after it.
    pub slot: Option<i32>,
    /// How many teams perform.
    pub teams: usize,
    /// When it went on stage (server ms).
    pub since: i64,
}

/// A part score just released to the hall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReleasedScore {
    pub team_id: i32,
    pub team_name: String,
    pub score: f64,
}

/// What the routes of judged parts ask of the engine; each answers the team on stage after it.
#[derive(Debug, Serialize, Deserialize)]
pub enum JudgedOp {
    /// Put a team on stage (None: nobody).
    Perform { actor: String, team_id: Option<i32> },
    /// Scores were released (committed): the board follows and the hall gets the moment.
    Released { part_id: i32, team_ids: Vec<i32> },
}

impl Handle {
    /// A judged part's step that the engine decides (see [`JudgedOp`]).
    pub async fn judged(&self, op: JudgedOp) -> ApiResult<Option<PerformingView>> {
        match &self.route {
            crate::live::Route::Remote(r) => r.call(&crate::live::relay::RemoteCmd::Judged { op }).await,
            crate::live::Route::Local(_) => self.call(|reply| Cmd::Judged { op, reply }).await?,
        }
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

    fn judged_run(&mut self) -> Option<&mut JudgedRun> {
        match self.running.as_mut().map(|r| &mut r.kind) {
            Some(KindState::Judged(j)) => Some(j),
            _ => None,
        }
    }

    /// The team on stage, while a judged part runs.
    pub(in crate::live) fn performing_view(&self) -> Option<PerformingView> {
        match self.running.as_ref().map(|r| &r.kind) {
            Some(KindState::Judged(j)) => j.performing.clone(),
            _ => None,
        }
    }

    /// After a restart: the team that was on stage is on stage again.
    pub(in crate::live) async fn judged_after_restart(&mut self) -> ApiResult<()> {
        let Some(part_id) = self.judged_run().map(|j| j.part_id) else { return Ok(()) };
        let Some(row) = store::judging::performing(&self.db, part_id).await? else { return Ok(()) };
        let view = self.performing_of(part_id, row.team_id, row.since).await?;
        if let Some(j) = self.judged_run() {
            j.performing = view;
        }
        Ok(())
    }

    /// The view of `team_id` on stage in `part_id` (None when the team is not the contest's).
    async fn performing_of(&mut self, part_id: i32, team_id: i32, since: i64) -> ApiResult<Option<PerformingView>> {
        if !self.scores.teams.iter().any(|(id, _)| *id == team_id) {
            // A team added after the engine loaded.
            self.scores.teams = store::live::teams_of_contest(&self.db, self.contest_id).await?;
            self.mark_board();
        }
        let Some(name) = self.scores.teams.iter().find(|(id, _)| *id == team_id).map(|(_, n)| n.clone()) else {
            return Ok(None);
        };
        let order = store::judging::order(&self.db, part_id).await?;
        let drawn: Vec<i32> = order.and_then(|o| serde_json::from_str(&o.team_ids).ok()).unwrap_or_default();
        Ok(Some(PerformingView {
            part_id,
            team_id,
            team_name: name,
            slot: drawn.iter().position(|t| *t == team_id).and_then(|i| i32::try_from(i + 1).ok()),
            teams: self.scores.teams.len(),
            since,
        }))
    }

    pub(in crate::live) async fn judged_op(&mut self, op: JudgedOp) -> ApiResult<Option<PerformingView>> {
        match op {
            JudgedOp::Perform { actor, team_id } => self.perform(&actor, team_id).await,
            JudgedOp::Released { part_id, team_ids } => {
                self.judging_changed(part_id).await?;
                self.released(part_id, &team_ids);
                Ok(self.performing_view())
            }
        }
    }

    /// Puts a team on stage (or nobody): stored and audited first, then every screen hears
    /// it. The same team again changes nothing.
    async fn perform(&mut self, actor: &str, team_id: Option<i32>) -> ApiResult<Option<PerformingView>> {
        let Some((part_id, current)) = self.judged_run().map(|j| (j.part_id, j.performing.clone())) else {
            return Err(self.illegal("no judged part is running: a team goes on stage while its judged part runs"));
        };
        if current.as_ref().map(|p| p.team_id) == team_id {
            return Ok(current);
        }
        let now = crate::now_ms();
        let view =
            match team_id {
                Some(t) => Some(self.performing_of(part_id, t, now).await?.ok_or_else(|| {
                    ApiError::invalid("team_id", format!("contest {} has no team {t}", self.contest_id))
                })?),
                None => None,
            };
        let txn = self.db.begin().await?;
        store::judging::set_performing(&txn, part_id, team_id, now, actor).await?;
        store::live::audit(
            &txn,
            self.contest_id,
            actor,
            "judged_performing",
            &json!({
                "part_id": part_id, "team_id": team_id, "team": view.as_ref().map(|v| v.team_name.clone()),
                "slot": view.as_ref().and_then(|v| v.slot), "previous": current.map(|p| p.team_id),
            }),
        )
        .await?;
        txn.commit().await?;
        if let Some(j) = self.judged_run() {
            j.performing = view.clone();
        }
        self.send_all(Event::Performing { part_id, performing: view.clone() });
        Ok(view)
    }

    /// The release moment: the released teams' part scores, in the order given (the order
    /// of performance), to the projector and staff. Only scores the board holds as
    /// released go out; while the public board is frozen the hall hears nothing of them.
    fn released(&mut self, part_id: i32, team_ids: &[i32]) {
        let Some(scores) = self.scores.judged.get(&part_id) else { return };
        let teams: Vec<ReleasedScore> = team_ids
            .iter()
            .filter_map(|t| {
                let s = scores.get(t).filter(|s| s.released)?;
                let name = self.scores.teams.iter().find(|(id, _)| id == t)?.1.clone();
                Some(ReleasedScore { team_id: *t, team_name: name, score: s.score })
            })
            .collect();
        if teams.is_empty() {
            return;
        }
        let part = self.scores.parts.iter().find(|p| p.id == part_id);
        let rubric: Rubric = part.and_then(|p| serde_json::from_str(&p.rubric).ok()).unwrap_or_default();
        let frame = Event::JudgedReleased {
            part_id,
            title: part.map(|p| p.title.clone()).unwrap_or_default(),
            max_total: rubric.max_total(),
            teams,
        }
        .frame();
        self.out.staff.push(frame.clone());
        if !self.board_frozen() {
            self.out.audience.push(frame);
        }
    }
}
