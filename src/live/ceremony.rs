//! The whole contest's public board at the end: freeze, the awards ceremony, unfreeze.
//!
//! - **Freeze**: the organiser freezes the public board. The projector and every phone
//!   keep the board as it was at that moment (the public board and each team's own rank,
//!   total and results), while the console and the judges keep the live one. The frozen
//!   board is stored (`board_freezes`, audited) so a restart keeps it.
//! - **Reveal**: one step at a time, from the bottom of the frozen board up, the next team's
//!   rank, name, total and prize go to the projector (the awards ceremony). A step whose
//!   team is in a tie at a prize boundary waits until the organiser confirms that the tied
//!   teams share the prize (or unfreezes, breaks the tie and freezes again).
//! - **Unfreeze**: the board is live again for everyone.
//!
//! Who sees what: staff get every row of the frozen board with its prize (bottom first),
//! so the console can say who comes next; the projector gets the revealed rows only;
//! phones only that the board is frozen (their board frames carry the frozen board).
use std::collections::HashMap;

use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::engine::Engine;
use super::events::{Event, TeamResult};
use crate::domain::contest::{Prize, default_prizes};
use crate::domain::prizes::{self, Award, PrizeTie};
use crate::domain::ranking::Board;
use crate::entities::board_freezes;
use crate::error::{ApiError, ApiResult};
use crate::now_ms;
use crate::store;

/// What the organiser does with the public board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BoardOp {
    /// Only read the ceremony's state.
    View,
    Freeze,
    /// Reveal the next team from the bottom of the frozen board.
    Reveal,
    /// The tied teams at a prize boundary share the prize (đồng giải).
    ConfirmTies,
    Unfreeze,
}

impl BoardOp {
    fn action(self) -> &'static str {
        match self {
            BoardOp::View => "board_view",
            BoardOp::Freeze => "board_freeze",
            BoardOp::Reveal => "board_reveal",
            BoardOp::ConfirmTies => "board_confirm_ties",
            BoardOp::Unfreeze => "board_unfreeze",
        }
    }
}

/// What is stored of a frozen board: what the audience saw at that moment, and the prize
/// scheme then in force.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(in crate::live) struct Snapshot {
    pub board: Board,
    pub results: HashMap<i32, Vec<TeamResult>>,
    pub prize_scheme: Vec<Prize>,
}

/// The frozen public board of a contest.
pub(in crate::live) struct Frozen {
    pub frozen_at: i64,
    pub snap: Snapshot,
    /// Teams revealed so far, from the bottom.
    pub revealed: usize,
    pub ties_confirmed: bool,
}

impl Frozen {
    fn from_row(row: board_freezes::Model) -> Option<Self> {
        let snap: Snapshot = serde_json::from_str(&row.snapshot).ok()?;
        Some(Frozen {
            frozen_at: row.frozen_at,
            revealed: (row.revealed.max(0) as usize).min(snap.board.rows.len()),
            ties_confirmed: row.ties_confirmed,
            snap,
        })
    }

    fn awards(&self) -> prizes::Awards {
        let ranked: Vec<(i32, u32)> = self.snap.board.rows.iter().map(|r| (r.team_id, r.rank)).collect();
        prizes::award(&ranked, &self.snap.prize_scheme, self.ties_confirmed)
    }

    /// Every row, bottom first (the order of the reveal), with its prize.
    fn steps(&self) -> Vec<CeremonyRow> {
        let awards = self.awards();
        self.snap
            .board
            .rows
            .iter()
            .zip(awards.awards)
            .rev()
            .map(|(r, prize)| CeremonyRow {
                rank: r.rank,
                team_id: r.team_id,
                team_name: r.team_name.clone(),
                total: r.total,
                prize,
            })
            .collect()
    }
}

/// One team as the ceremony announces it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CeremonyRow {
    pub rank: u32,
    pub team_id: i32,
    pub team_name: String,
    pub total: f64,
    pub prize: Option<Award>,
}

/// The state of the public board and its ceremony.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CeremonyView {
    pub frozen: bool,
    pub frozen_at: Option<i64>,
    /// Teams on the frozen board.
    pub teams: usize,
    /// Teams revealed so far, from the bottom.
    pub revealed: usize,
    /// Bottom first, in the order of the reveal: the revealed rows (projector), or every
    /// row of the frozen board (staff, to see who comes next); empty for phones.
    pub steps: Vec<CeremonyRow>,
    /// Ties at a prize boundary on the frozen board (see `domain::prizes`).
    pub ties: Vec<PrizeTie>,
    pub ties_confirmed: bool,
}

/// Who a ceremony frame is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    Staff,
    Projector,
    Phones,
}

/// Reads the stored freeze of a contest (at start and after a restart).
pub(in crate::live) async fn load(db: &impl sea_orm::ConnectionTrait, contest_id: i32) -> ApiResult<Option<Frozen>> {
    let row = store::live::board_freeze(db, contest_id).await?;
    Ok(row.and_then(|r| {
        let f = Frozen::from_row(r);
        if f.is_none() {
            tracing::error!(contest = contest_id, "the stored frozen board cannot be read; the board is live");
        }
        f
    }))
}

impl Engine {
    /// Is the public board frozen?
    pub(in crate::live) fn board_frozen(&self) -> bool {
        self.frozen.is_some()
    }

    fn ceremony_view(&self, to: Audience) -> CeremonyView {
        let Some(f) = &self.frozen else {
            return CeremonyView {
                frozen: false,
                frozen_at: None,
                teams: 0,
                revealed: 0,
                steps: Vec::new(),
                ties: Vec::new(),
                ties_confirmed: false,
            };
        };
        let steps = match to {
            Audience::Staff => f.steps(),
            Audience::Projector => f.steps().into_iter().take(f.revealed).collect(),
            Audience::Phones => Vec::new(),
        };
        CeremonyView {
            frozen: true,
            frozen_at: Some(f.frozen_at),
            teams: f.snap.board.rows.len(),
            revealed: f.revealed,
            steps,
            ties: if to == Audience::Phones { Vec::new() } else { f.awards().ties },
            ties_confirmed: f.ties_confirmed,
        }
    }

    /// The ceremony frame for a newly connected socket (only while the board is frozen).
    pub(in crate::live) fn ceremony_snapshot(&self, viewer: super::Viewer) -> Option<super::events::Frame> {
        self.frozen.as_ref()?;
        let to = match viewer {
            super::Viewer::Staff => Audience::Staff,
            super::Viewer::Audience => Audience::Projector,
            super::Viewer::Team(_) => Audience::Phones,
        };
        Some(Event::Ceremony { ceremony: self.ceremony_view(to) }.frame())
    }

    fn post_ceremony(&mut self) {
        let staff = Event::Ceremony { ceremony: self.ceremony_view(Audience::Staff) }.frame();
        let projector = Event::Ceremony { ceremony: self.ceremony_view(Audience::Projector) }.frame();
        let phones = Event::Ceremony { ceremony: self.ceremony_view(Audience::Phones) }.frame();
        self.out.staff.push(staff);
        self.out.audience.push(projector);
        self.out.phones.push(phones);
    }

    /// Refuses an answer from a team that does not play the running tie-break part.
    pub(in crate::live) fn tie_break_check(&self, team_id: i32) -> ApiResult<()> {
        let Some(run) = &self.running else { return Ok(()) };
        let Some(part) = self.scores.parts.iter().find(|p| p.id == run.part_id) else { return Ok(()) };
        if part.tie_break_teams.is_none() {
            return Ok(());
        }
        if super::scores::tie_break_teams(part).contains(&team_id) {
            return Ok(());
        }
        Err(ApiError::forbidden("this tie-break part is only for the teams tied on points; your team does not play it"))
    }

    pub(in crate::live) async fn board_control(&mut self, actor: &str, op: BoardOp) -> ApiResult<CeremonyView> {
        match op {
            BoardOp::View => {}
            BoardOp::Freeze => self.freeze(actor).await?,
            BoardOp::Reveal => self.reveal_next(actor).await?,
            BoardOp::ConfirmTies => self.confirm_ties(actor).await?,
            BoardOp::Unfreeze => self.unfreeze(actor).await?,
        }
        if op != BoardOp::View {
            self.post_ceremony();
        }
        Ok(self.ceremony_view(Audience::Staff))
    }

    fn not_frozen(&self) -> ApiError {
        ApiError::invalid_state("the public board is not frozen", json!(self.ceremony_view(Audience::Staff)))
    }

    async fn freeze(&mut self, actor: &str) -> ApiResult<()> {
        if self.frozen.is_some() {
            return Err(ApiError::invalid_state(
                "the public board is already frozen",
                json!(self.ceremony_view(Audience::Staff)),
            ));
        }
        let contest = store::live::contest(&self.db, self.contest_id)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no contest {}", self.contest_id)))?;
        let prize_scheme: Vec<Prize> = serde_json::from_str(&contest.prize_scheme).unwrap_or_else(|_| default_prizes());
        // Exactly what phones and the projector see now.
        let board = self.scores.board(false);
        let results = self.scores.team_results(false);
        let snap = Snapshot { board, results, prize_scheme };
        let now = now_ms();
        let row = board_freezes::Model {
            contest_id: self.contest_id,
            frozen_at: now,
            actor: actor.to_owned(),
            revealed: 0,
            ties_confirmed: false,
            snapshot: serde_json::to_string(&snap).map_err(ApiError::internal)?,
        };
        let top: Vec<_> = snap.board.rows.iter().take(3).map(|r| json!([r.rank, r.team_id, r.total])).collect();
        let txn = self.db.begin().await?;
        store::live::insert_board_freeze(&txn, row).await?;
        store::live::audit(
            &txn,
            self.contest_id,
            actor,
            BoardOp::Freeze.action(),
            &json!({ "frozen_at": now, "teams": snap.board.rows.len(), "top": top }),
        )
        .await?;
        txn.commit().await?;
        self.frozen = Some(Frozen { frozen_at: now, snap, revealed: 0, ties_confirmed: false });
        self.post_public_board();
        Ok(())
    }

    async fn reveal_next(&mut self, actor: &str) -> ApiResult<()> {
        let Some(f) = &self.frozen else { return Err(self.not_frozen()) };
        let steps = f.steps();
        let Some(next) = steps.get(f.revealed).cloned() else {
            return Err(ApiError::invalid_state(
                "every team has been revealed",
                json!(self.ceremony_view(Audience::Staff)),
            ));
        };
        if next.prize.as_ref().is_some_and(|p| p.pending) {
            return Err(ApiError::conflict(
                "prize_tie_pending",
                format!(
                    "{} is tied at rank {} across the last place of {}: confirm that the tied teams share it \
                     (confirm-ties), or unfreeze, break the tie and freeze again",
                    next.team_name,
                    next.rank,
                    next.prize.as_ref().map_or("", |p| p.name.as_str())
                ),
            ));
        }
        let revealed = f.revealed + 1;
        let txn = self.db.begin().await?;
        store::live::set_board_revealed(&txn, self.contest_id, revealed as i32).await?;
        store::live::audit(
            &txn,
            self.contest_id,
            actor,
            BoardOp::Reveal.action(),
            &json!({ "step": revealed, "team_id": next.team_id, "rank": next.rank, "total": next.total,
                     "prize": next.prize.as_ref().map(|p| p.name.clone()) }),
        )
        .await?;
        txn.commit().await?;
        if let Some(f) = &mut self.frozen {
            f.revealed = revealed;
        }
        Ok(())
    }

    async fn confirm_ties(&mut self, actor: &str) -> ApiResult<()> {
        let Some(f) = &self.frozen else { return Err(self.not_frozen()) };
        let ties = f.awards().ties;
        if ties.is_empty() {
            return Err(ApiError::invalid_state(
                "no teams are tied at a prize boundary",
                json!(self.ceremony_view(Audience::Staff)),
            ));
        }
        let txn = self.db.begin().await?;
        store::live::set_board_ties_confirmed(&txn, self.contest_id).await?;
        store::live::audit(&txn, self.contest_id, actor, BoardOp::ConfirmTies.action(), &json!({ "ties": ties }))
            .await?;
        txn.commit().await?;
        if let Some(f) = &mut self.frozen {
            f.ties_confirmed = true;
        }
        Ok(())
    }

    async fn unfreeze(&mut self, actor: &str) -> ApiResult<()> {
        let Some(f) = &self.frozen else { return Err(self.not_frozen()) };
        let detail = json!({ "frozen_at": f.frozen_at, "revealed": f.revealed });
        let txn = self.db.begin().await?;
        store::live::delete_board_freeze(&txn, self.contest_id).await?;
        store::live::audit(&txn, self.contest_id, actor, BoardOp::Unfreeze.action(), &detail).await?;
        txn.commit().await?;
        self.frozen = None;
        self.post_public_board();
        Ok(())
    }
}
