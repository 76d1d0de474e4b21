//! Judged parts (sân khấu hóa, hùng biện, chào hỏi) over HTTP: the order of performance
//! drawn by lot, judges' marks (one call per mark, answered only after the commit), signing
//! and reopening sheets, the marking grid, and releasing part scores to the hall. How marks
//! combine is in [`crate::domain::judging`].
use std::collections::HashMap;

use actix_web::{HttpResponse, delete, get, post, put, web};
use rand::Rng;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::contests::{contest_or_404, ensure_open, ensure_staff_of};
use crate::auth::{Judge, Organiser, Staff};
use crate::domain::judging::{self, MAX_SEED, MarkError, Sheet};
use crate::domain::part::{PartKind, Rubric};
use crate::entities::{contests, judges, parts};
use crate::error::{ApiError, ApiResult};
use crate::live::kinds::judged::{JudgedOp, PerformingView};
use crate::routes::Json;
use crate::startup::AppState;
use crate::store;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(read_order)
        .service(draw_order)
        .service(overview)
        .service(put_mark)
        .service(delete_mark)
        .service(sign)
        .service(reopen)
        .service(release)
        .service(performing);
}

fn organiser_actor(o: &Organiser) -> String {
    format!("organiser:{}", o.username)
}

fn judge_actor(j: &judges::Model) -> String {
    format!("judge:{}#{}", j.display_name, j.id)
}

/// A judged part of the contest, with its rubric.
async fn judged_part(state: &AppState, cid: i32, pid: i32) -> ApiResult<(parts::Model, Rubric)> {
    let p = store::parts::get(&state.db, cid, pid)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("contest {cid} has no part {pid}")))?;
    if p.kind != PartKind::Judged.as_str() {
        return Err(ApiError::conflict(
            "not_judged",
            format!("part {pid} is a {} part; only judged parts have marks and an order of performance", p.kind),
        ));
    }
    let rubric = serde_json::from_str(&p.rubric).unwrap_or_default();
    Ok((p, rubric))
}

/// The judge row of the caller in this contest.
async fn judge_in(state: &AppState, j: &Judge, cid: i32) -> ApiResult<judges::Model> {
    j.ensure_contest(state, cid).await?;
    let row = match (j.judge_id, j.user_id) {
        (Some(jid), _) => store::judges::get(&state.db, cid, jid).await?,
        (None, Some(uid)) => store::judges::by_user(&state.db, cid, uid).await?,
        _ => None,
    };
    row.ok_or_else(|| ApiError::forbidden("this judge is not a judge of that contest"))
}

async fn team_in(state: &AppState, c: &contests::Model, team_id: i32) -> ApiResult<String> {
    store::live::teams_of_contest(&state.db, c.id)
        .await?
        .into_iter()
        .find(|(id, _)| *id == team_id)
        .map(|(_, name)| name)
        .ok_or_else(|| ApiError::invalid("team_id", format!("contest {} has no team {team_id}", c.id)))
}

/// Tells the contest's live engine that the judging of a part changed, so the board and
/// the staff screens follow. The change is already committed: a failure here is logged,
/// not reported to the caller (the board catches up at the next change or restart).
async fn tell_engine(state: &AppState, cid: i32, pid: i32) {
    let r = match state.hub.handle(cid).await {
        Ok(h) => h.judging_changed(pid).await,
        Err(e) => Err(e),
    };
    if let Err(e) = r {
        tracing::warn!(error = %e, contest = cid, part = pid, "the live engine did not take the judging change");
    }
}

// ---------------------------------------------------------------- order of performance

#[derive(Serialize, ToSchema)]
pub struct OrderTeam {
    /// 1 = performs first; None for a team added after the draw (it performs last).
    pub slot: Option<i32>,
    pub team_id: i32,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct OrderView {
    pub part_id: i32,
    /// False until the organiser draws: teams are then listed in the order they were added.
    pub drawn: bool,
    /// The seed of the draw: the same seed on the same teams gives the same order.
    pub seed: Option<i64>,
    pub drawn_at: Option<i64>,
    pub actor: Option<String>,
    pub teams: Vec<OrderTeam>,
}

async fn order_view(state: &AppState, cid: i32, part_id: i32) -> ApiResult<OrderView> {
    let teams = store::live::teams_of_contest(&state.db, cid).await?;
    let drawn = store::judging::order(&state.db, part_id).await?;
    let ids: Vec<i32> = drawn.as_ref().and_then(|o| serde_json::from_str(&o.team_ids).ok()).unwrap_or_default();
    let names: HashMap<i32, String> = teams.iter().cloned().collect();
    let mut out: Vec<OrderTeam> = ids
        .iter()
        .filter(|id| names.contains_key(id))
        .enumerate()
        .map(|(i, id)| OrderTeam {
            slot: Some(i as i32 + 1),
            team_id: *id,
            name: names.get(id).cloned().unwrap_or_default(),
        })
        .collect();
    for (id, name) in teams {
        if !ids.contains(&id) {
            out.push(OrderTeam { slot: None, team_id: id, name });
        }
    }
    Ok(OrderView {
        part_id,
        drawn: drawn.is_some(),
        seed: drawn.as_ref().map(|o| o.seed),
        drawn_at: drawn.as_ref().map(|o| o.drawn_at),
        actor: drawn.map(|o| o.actor),
        teams: out,
    })
}

/// The order of performance of a judged part (organisers and the contest's judges).
#[utoipa::path(tag = "judging", responses((status = 200, body = OrderView), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[get("/api/contests/{id}/parts/{part_id}/order")]
async fn read_order(state: web::Data<AppState>, staff: Staff, path: web::Path<(i32, i32)>) -> ApiResult<HttpResponse> {
    let (cid, pid) = path.into_inner();
    ensure_staff_of(&state, &staff, cid).await?;
    let (p, _) = judged_part(&state, cid, pid).await?;
    Ok(HttpResponse::Ok().json(order_view(&state, cid, p.id).await?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct DrawOrder {
    /// 0 to 2^53 − 1; default: a random seed, recorded.
    #[serde(default)]
    pub seed: Option<i64>,
}

/// Draw the order of performance by lot (bốc thăm) with a given or random seed; it is
/// stored with the seed and audited. A redraw replaces it, but only while no judge has
/// marked the part (409 `marks_exist` after).
#[utoipa::path(tag = "judging", request_body = DrawOrder, responses(
    (status = 200, body = OrderView), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[post("/api/contests/{id}/parts/{part_id}/order")]
async fn draw_order(
    state: web::Data<AppState>,
    o: Organiser,
    path: web::Path<(i32, i32)>,
    body: Json<DrawOrder>,
) -> ApiResult<HttpResponse> {
    let (cid, pid) = path.into_inner();
    let c = contest_or_404(&state, cid).await?;
    ensure_open(&c)?;
    let (p, _) = judged_part(&state, cid, pid).await?;
    let seed = match body.seed {
        Some(s) if !(0..=MAX_SEED).contains(&s) => {
            return Err(ApiError::invalid("seed", format!("must be a whole number from 0 to {MAX_SEED}")));
        }
        Some(s) => s,
        None => rand::rng().random_range(0..=MAX_SEED),
    };
    let teams: Vec<i32> = store::live::teams_of_contest(&state.db, cid).await?.into_iter().map(|(id, _)| id).collect();
    if teams.is_empty() {
        return Err(ApiError::conflict("no_teams", format!("contest {cid} has no teams to draw")));
    }
    let order = judging::draw_order(&teams, seed);
    let txn = state.db.begin().await?;
    let marks = store::judging::count_marks(&txn, p.id).await?;
    if marks > 0 {
        return Err(ApiError::conflict(
            "marks_exist",
            format!("judges have already marked part {pid} ({marks} marks): the order can no longer be redrawn"),
        ));
    }
    let previous = store::judging::order(&txn, p.id).await?;
    store::judging::save_order(&txn, p.id, seed, &order, &organiser_actor(&o)).await?;
    store::live::audit(
        &txn,
        cid,
        &organiser_actor(&o),
        "performance_order_draw",
        &json!({
            "part_id": p.id, "seed": seed, "team_ids": order,
            "previous": previous.map(|o| json!({"seed": o.seed, "team_ids": serde_json::from_str::<serde_json::Value>(&o.team_ids).ok()})),
        }),
    )
    .await?;
    txn.commit().await?;
    tell_engine(&state, cid, p.id).await;
    Ok(HttpResponse::Ok().json(order_view(&state, cid, p.id).await?))
}

// ---------------------------------------------------------------- the marking grid

#[derive(Serialize, ToSchema)]
pub struct JudgeRef {
    pub id: i32,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct SheetView {
    pub judge_id: i32,
    pub team_id: i32,
    /// One per criterion, None where not marked. A judge sees another judge's marks only
    /// once every judge has signed the team (`hidden` until then).
    pub marks: Vec<Option<f64>>,
    /// Criteria marked.
    pub marked: usize,
    /// Sum of the marks (None when hidden).
    pub total: Option<f64>,
    pub signed_at: Option<i64>,
    pub hidden: bool,
}

#[derive(Serialize, ToSchema)]
pub struct TeamJudging {
    pub team_id: i32,
    pub name: String,
    /// Place in the order of performance (None before the draw, or for a team added after).
    pub slot: Option<i32>,
    /// One per judge of the contest, in the order of `judges`.
    pub sheets: Vec<SheetView>,
    /// Judges who signed this team's sheet.
    pub signed: usize,
    /// The part score: once every judge has signed.
    pub score: Option<f64>,
    /// Largest gap between two signed totals (organisers; judges once all signed).
    pub gap: Option<f64>,
    /// The gap is above the rubric's threshold: re-marking is advised.
    pub flagged: bool,
    /// When the organiser released the score to the hall's screens.
    pub released_at: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct JudgingView {
    pub part_id: i32,
    pub title: String,
    pub status: String,
    pub rubric: Rubric,
    pub max_total: f64,
    pub order: OrderView,
    pub judges: Vec<JudgeRef>,
    /// The caller's judge id (judges only).
    pub me: Option<i32>,
    /// Teams in the order of performance.
    pub teams: Vec<TeamJudging>,
}

async fn judging_view(
    state: &AppState,
    cid: i32,
    p: &parts::Model,
    rubric: &Rubric,
    me: Option<i32>,
) -> ApiResult<JudgingView> {
    let order = order_view(state, cid, p.id).await?;
    let judges = store::judges::list(&state.db, cid).await?;
    let judge_ids: Vec<i32> = judges.iter().map(|j| j.id).collect();
    let marks = store::judging::marks_of_parts(&state.db, &[p.id]).await?;
    let sheet_rows = store::judging::sheets_of_parts(&state.db, &[p.id]).await?;
    let signed_at: HashMap<(i32, i32), i64> =
        sheet_rows.iter().filter_map(|s| s.signed_at.map(|t| ((s.team_id, s.judge_id), t))).collect();
    let released: HashMap<i32, i64> = store::judging::releases_of_parts(&state.db, &[p.id])
        .await?
        .into_iter()
        .map(|r| (r.team_id, r.released_at))
        .collect();
    let n = rubric.criteria.len();
    let by_team = judging::sheets_by_team(
        n,
        marks.iter().map(|m| (m.judge_id, m.team_id, m.criterion, m.points)),
        sheet_rows.iter().map(|s| (s.judge_id, s.team_id, s.signed_at.is_some())),
    );
    let teams = order
        .teams
        .iter()
        .map(|t| {
            let sheets: &[Sheet] = by_team.get(&t.team_id).map(Vec::as_slice).unwrap_or_default();
            let outcome = judging::combine(rubric, &judge_ids, sheets);
            let all_signed = outcome.score.is_some();
            let views = judges
                .iter()
                .map(|j| {
                    let s = sheets.iter().find(|s| s.judge_id == j.id);
                    let hidden = me.is_some_and(|me| me != j.id) && !all_signed;
                    let marks = match s {
                        Some(s) if !hidden => s.marks.clone(),
                        _ => vec![None; n],
                    };
                    SheetView {
                        judge_id: j.id,
                        team_id: t.team_id,
                        marked: s.map(Sheet::marked).unwrap_or(0),
                        total: if hidden { None } else { Some(s.map(Sheet::total).unwrap_or(0.0)) },
                        marks,
                        signed_at: signed_at.get(&(t.team_id, j.id)).copied(),
                        hidden,
                    }
                })
                .collect();
            let judge_blind = me.is_some() && !all_signed;
            TeamJudging {
                team_id: t.team_id,
                name: t.name.clone(),
                slot: t.slot,
                sheets: views,
                signed: outcome.signed,
                score: outcome.score,
                gap: if judge_blind { None } else { outcome.gap },
                flagged: !judge_blind && outcome.flagged,
                released_at: released.get(&t.team_id).copied(),
            }
        })
        .collect();
    Ok(JudgingView {
        part_id: p.id,
        title: p.title.clone(),
        status: p.status.clone(),
        max_total: rubric.max_total(),
        rubric: rubric.clone(),
        order,
        judges: judges.into_iter().map(|j| JudgeRef { id: j.id, name: j.display_name }).collect(),
        me,
        teams,
    })
}

/// The marking grid of a judged part: every team (in the order of performance) × every
/// judge, with marks, signatures, part scores, gap flags and releases. Organisers see
/// everything; a judge sees their own marks, and another judge's marks of a team only once
/// every judge has signed that team.
#[utoipa::path(tag = "judging", responses((status = 200, body = JudgingView), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[get("/api/contests/{id}/parts/{part_id}/judging")]
async fn overview(state: web::Data<AppState>, staff: Staff, path: web::Path<(i32, i32)>) -> ApiResult<HttpResponse> {
    let (cid, pid) = path.into_inner();
    ensure_staff_of(&state, &staff, cid).await?;
    let (p, rubric) = judged_part(&state, cid, pid).await?;
    let me = match &staff {
        Staff::Organiser(_) => None,
        Staff::Judge(j) => Some(judge_in(&state, j, cid).await?.id),
    };
    Ok(HttpResponse::Ok().json(judging_view(&state, cid, &p, &rubric, me).await?))
}

// ---------------------------------------------------------------- marks and signatures

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkBody {
    /// 0 to the criterion's maximum, at most two decimals (8.5).
    pub points: f64,
}

/// The acknowledgement of a mark: sent only after it is committed to the database.
#[derive(Serialize, ToSchema)]
pub struct MarkAck {
    pub team_id: i32,
    pub criterion: i32,
    /// The stored mark (None after a delete).
    pub points: Option<f64>,
    /// The judge's total for the team now.
    pub total: f64,
    pub marked: usize,
    pub criteria: usize,
    pub saved_at: i64,
}

fn mark_error(e: MarkError, rubric: &Rubric, criterion: i32, team_id: i32, points: f64) -> ApiError {
    let name = usize::try_from(criterion).ok().and_then(|i| rubric.criteria.get(i)).map(|c| c.name.clone());
    let params = json!({"criterion": criterion, "criterion_name": name, "team_id": team_id, "value": points});
    match e {
        MarkError::UnknownCriterion { count } => ApiError::invalid_because(
            "criterion",
            e.code(),
            json!({"criterion": criterion, "team_id": team_id, "count": count}),
            format!("criterion {criterion} does not exist: the rubric has criteria 0 to {}", count.saturating_sub(1)),
        ),
        MarkError::AboveMax { max } => {
            let mut params = params;
            params["max"] = json!(max);
            ApiError::invalid_because(
                "points",
                e.code(),
                params,
                format!(
                    "{points} for team {team_id} on criterion {criterion} ({}) is above its maximum {max}",
                    name.unwrap_or_default()
                ),
            )
        }
        MarkError::Negative => ApiError::invalid_because(
            "points",
            e.code(),
            params,
            format!("{points} for team {team_id} on criterion {criterion}: a mark is never negative"),
        ),
        MarkError::NotFinite => ApiError::invalid_because("points", e.code(), params, "a mark must be a number"),
        MarkError::TooPrecise => ApiError::invalid_because(
            "points",
            e.code(),
            params,
            format!("{points} for team {team_id} on criterion {criterion}: at most two decimals"),
        ),
    }
}

fn signed_error(team_id: i32, signed_at: i64) -> ApiError {
    ApiError::conflict_because(
        "sheet_signed",
        "sheet_signed",
        json!({"team_id": team_id, "signed_at": signed_at}),
        format!("your sheet for team {team_id} is signed and locked; only an organiser can reopen it"),
    )
}

async fn write_mark(
    state: &AppState,
    j: &Judge,
    path: (i32, i32, i32, i32),
    points: Option<f64>,
) -> ApiResult<HttpResponse> {
    let (cid, pid, team_id, criterion) = path;
    let c = contest_or_404(state, cid).await?;
    let judge = judge_in(state, j, cid).await?;
    ensure_open(&c)?;
    let (p, rubric) = judged_part(state, cid, pid).await?;
    let points = match points {
        Some(x) => Some(
            usize::try_from(criterion)
                .map_err(|_| MarkError::UnknownCriterion { count: rubric.criteria.len() })
                .and_then(|i| judging::check_mark(&rubric, i, x))
                .map_err(|e| mark_error(e, &rubric, criterion, team_id, x))?,
        ),
        None if !(0..rubric.criteria.len() as i32).contains(&criterion) => {
            return Err(mark_error(
                MarkError::UnknownCriterion { count: rubric.criteria.len() },
                &rubric,
                criterion,
                team_id,
                0.0,
            ));
        }
        None => None,
    };
    team_in(state, &c, team_id).await?;
    let txn = state.db.begin().await?;
    let sheet = store::judging::lock_sheet(&txn, p.id, judge.id, team_id).await?;
    if let Some(at) = sheet.signed_at {
        return Err(signed_error(team_id, at));
    }
    match points {
        Some(x) => store::judging::put_mark(&txn, p.id, judge.id, team_id, criterion, x).await?,
        None => store::judging::delete_mark(&txn, p.id, judge.id, team_id, criterion).await?,
    }
    let marks = store::judging::marks_of_sheet(&txn, p.id, judge.id, team_id).await?;
    txn.commit().await?;
    let s = judging::sheets_by_team(
        rubric.criteria.len(),
        marks.iter().map(|m| (m.judge_id, m.team_id, m.criterion, m.points)),
        [],
    );
    let sheet = s.get(&team_id).and_then(|v| v.first());
    Ok(HttpResponse::Ok().json(MarkAck {
        team_id,
        criterion,
        points,
        total: sheet.map(Sheet::total).unwrap_or(0.0),
        marked: sheet.map(Sheet::marked).unwrap_or(0),
        criteria: rubric.criteria.len(),
        saved_at: crate::now_ms(),
    }))
}

/// Mark one team on one criterion (the criterion's index in the rubric). Answered only
/// after the mark is committed; the same mark sent again changes nothing. A mark out of
/// range is refused (400, `field` = `points` or `criterion`, with the criterion, team and
/// value in `params`); a signed sheet refuses changes (409 `sheet_signed`).
#[utoipa::path(tag = "judging", request_body = MarkBody, responses(
    (status = 200, body = MarkAck), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[put("/api/contests/{id}/parts/{part_id}/sheets/{team_id}/marks/{criterion}")]
async fn put_mark(
    state: web::Data<AppState>,
    j: Judge,
    path: web::Path<(i32, i32, i32, i32)>,
    body: Json<MarkBody>,
) -> ApiResult<HttpResponse> {
    write_mark(&state, &j, path.into_inner(), Some(body.points)).await
}

/// Clear one mark of an unsigned sheet.
#[utoipa::path(tag = "judging", responses(
    (status = 200, body = MarkAck), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[delete("/api/contests/{id}/parts/{part_id}/sheets/{team_id}/marks/{criterion}")]
async fn delete_mark(
    state: web::Data<AppState>,
    j: Judge,
    path: web::Path<(i32, i32, i32, i32)>,
) -> ApiResult<HttpResponse> {
    write_mark(&state, &j, path.into_inner(), None).await
}

/// Sign your sheet for a team: every criterion must be marked (409 `sheet_incomplete`
/// naming the first one missing). A signed sheet is locked; signing again changes nothing.
#[utoipa::path(tag = "judging", responses(
    (status = 200, body = SheetView), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[post("/api/contests/{id}/parts/{part_id}/sheets/{team_id}/sign")]
async fn sign(state: web::Data<AppState>, j: Judge, path: web::Path<(i32, i32, i32)>) -> ApiResult<HttpResponse> {
    let (cid, pid, team_id) = path.into_inner();
    let c = contest_or_404(&state, cid).await?;
    let judge = judge_in(&state, &j, cid).await?;
    ensure_open(&c)?;
    let (p, rubric) = judged_part(&state, cid, pid).await?;
    team_in(&state, &c, team_id).await?;
    let txn = state.db.begin().await?;
    let row = store::judging::lock_sheet(&txn, p.id, judge.id, team_id).await?;
    let marks = store::judging::marks_of_sheet(&txn, p.id, judge.id, team_id).await?;
    let sheet = judging::sheets_by_team(
        rubric.criteria.len(),
        marks.iter().map(|m| (m.judge_id, m.team_id, m.criterion, m.points)),
        [(judge.id, team_id, row.signed_at.is_some())],
    )
    .remove(&team_id)
    .and_then(|mut v| v.pop())
    .unwrap_or(Sheet { judge_id: judge.id, marks: vec![None; rubric.criteria.len()], signed: false });
    let signed_at = match row.signed_at {
        Some(at) => at,
        None => {
            if let Some(i) = sheet.first_missing() {
                let name = rubric.criteria.get(i).map(|c| c.name.clone()).unwrap_or_default();
                return Err(ApiError::conflict_because(
                    "sheet_incomplete",
                    "criterion_unmarked",
                    json!({"team_id": team_id, "criterion": i, "criterion_name": name}),
                    format!("criterion {i} ({name}) of team {team_id} is not marked yet: mark every criterion first"),
                ));
            }
            let at = crate::now_ms();
            store::judging::set_signed(&txn, row.id, Some(at)).await?;
            store::live::audit(
                &txn,
                cid,
                &judge_actor(&judge),
                "sheet_sign",
                &json!({"part_id": p.id, "team_id": team_id, "judge_id": judge.id, "marks": sheet.marks, "total": sheet.total()}),
            )
            .await?;
            at
        }
    };
    txn.commit().await?;
    tell_engine(&state, cid, p.id).await;
    Ok(HttpResponse::Ok().json(SheetView {
        judge_id: judge.id,
        team_id,
        marked: sheet.marked(),
        total: Some(sheet.total()),
        marks: sheet.marks,
        signed_at: Some(signed_at),
        hidden: false,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenBody {
    /// Why (kept in the audit log with the sheet as it was).
    pub reason: String,
}

/// Reopen a judge's signed sheet so they can change it: organisers only, with a reason
/// kept in the audit log together with the marks as they were. If the team's part score
/// had been released, it is taken off the hall's screens until released again.
#[utoipa::path(tag = "judging", request_body = ReopenBody, responses(
    (status = 200, body = SheetView), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[post("/api/contests/{id}/parts/{part_id}/sheets/{team_id}/judges/{judge_id}/reopen")]
async fn reopen(
    state: web::Data<AppState>,
    o: Organiser,
    path: web::Path<(i32, i32, i32, i32)>,
    body: Json<ReopenBody>,
) -> ApiResult<HttpResponse> {
    let (cid, pid, team_id, judge_id) = path.into_inner();
    let c = contest_or_404(&state, cid).await?;
    ensure_open(&c)?;
    let (p, rubric) = judged_part(&state, cid, pid).await?;
    let reason = crate::domain::contest::clean(&body.reason);
    if reason.is_empty() {
        return Err(ApiError::invalid("reason", "say why the sheet is reopened"));
    }
    if reason.chars().count() > 500 {
        return Err(ApiError::invalid("reason", "at most 500 characters"));
    }
    let judge = store::judges::get(&state.db, cid, judge_id)
        .await?
        .ok_or_else(|| ApiError::invalid("judge_id", format!("contest {cid} has no judge {judge_id}")))?;
    team_in(&state, &c, team_id).await?;
    let txn = state.db.begin().await?;
    let row = store::judging::lock_sheet(&txn, p.id, judge.id, team_id).await?;
    let Some(was_signed) = row.signed_at else {
        return Err(ApiError::conflict_because(
            "sheet_not_signed",
            "sheet_not_signed",
            json!({"team_id": team_id, "judge_id": judge.id}),
            format!("{}'s sheet for team {team_id} is not signed: there is nothing to reopen", judge.display_name),
        ));
    };
    let marks = store::judging::marks_of_sheet(&txn, p.id, judge.id, team_id).await?;
    let sheet = judging::sheets_by_team(
        rubric.criteria.len(),
        marks.iter().map(|m| (m.judge_id, m.team_id, m.criterion, m.points)),
        [],
    )
    .remove(&team_id)
    .and_then(|mut v| v.pop())
    .unwrap_or(Sheet { judge_id: judge.id, marks: vec![None; rubric.criteria.len()], signed: true });
    store::judging::set_signed(&txn, row.id, None).await?;
    let withdrawn = store::judging::unrelease(&txn, p.id, team_id).await?;
    store::live::audit(
        &txn,
        cid,
        &organiser_actor(&o),
        "sheet_reopen",
        &json!({
            "part_id": p.id, "team_id": team_id, "judge_id": judge.id, "judge": judge.display_name,
            "reason": reason, "marks": sheet.marks, "total": sheet.total(), "signed_at": was_signed,
            "release_withdrawn": withdrawn,
        }),
    )
    .await?;
    txn.commit().await?;
    tell_engine(&state, cid, p.id).await;
    Ok(HttpResponse::Ok().json(SheetView {
        judge_id: judge.id,
        team_id,
        marked: sheet.marked(),
        total: Some(sheet.total()),
        marks: sheet.marks,
        signed_at: None,
        hidden: false,
    }))
}

// ---------------------------------------------------------------- release

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ReleaseBody {
    /// The teams to release; default: every team whose part score exists.
    #[serde(default)]
    pub team_ids: Option<Vec<i32>>,
}

#[derive(Serialize, ToSchema)]
pub struct ReleaseResult {
    /// Teams released now (already released ones are not repeated).
    pub released: Vec<i32>,
    pub judging: JudgingView,
}

/// Release part scores to the projector and phones (before, only staff see them). A team
/// named whose score does not exist yet (a judge has not signed) is refused with 409
/// `score_missing` naming it, and nothing is released.
#[utoipa::path(tag = "judging", request_body = ReleaseBody, responses(
    (status = 200, body = ReleaseResult), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[post("/api/contests/{id}/parts/{part_id}/release")]
async fn release(
    state: web::Data<AppState>,
    o: Organiser,
    path: web::Path<(i32, i32)>,
    body: Json<ReleaseBody>,
) -> ApiResult<HttpResponse> {
    let (cid, pid) = path.into_inner();
    let c = contest_or_404(&state, cid).await?;
    ensure_open(&c)?;
    let (p, rubric) = judged_part(&state, cid, pid).await?;
    let view = judging_view(&state, cid, &p, &rubric, None).await?;
    let wanted: Vec<&TeamJudging> = match &body.team_ids {
        Some(ids) => {
            let mut out = Vec::new();
            for (i, id) in ids.iter().enumerate() {
                let t = view.teams.iter().find(|t| t.team_id == *id).ok_or_else(|| {
                    ApiError::invalid(format!("team_ids[{i}]"), format!("contest {cid} has no team {id}"))
                })?;
                if t.score.is_none() {
                    return Err(ApiError::conflict_because(
                        "score_missing",
                        "score_missing",
                        json!({"team_id": id, "team": t.name, "signed": t.signed, "judges": view.judges.len()}),
                        format!(
                            "team {id} ({}) has no part score yet: {} of {} judges signed",
                            t.name,
                            t.signed,
                            view.judges.len()
                        ),
                    ));
                }
                out.push(t);
            }
            out
        }
        None => view.teams.iter().filter(|t| t.score.is_some()).collect(),
    };
    let fresh: Vec<i32> = wanted.iter().filter(|t| t.released_at.is_none()).map(|t| t.team_id).collect();
    let actor = organiser_actor(&o);
    let txn = state.db.begin().await?;
    for id in &fresh {
        store::judging::release(&txn, p.id, *id, &actor).await?;
    }
    if !fresh.is_empty() {
        let scores: Vec<_> = wanted
            .iter()
            .filter(|t| fresh.contains(&t.team_id))
            .map(|t| json!({"team_id": t.team_id, "score": t.score}))
            .collect();
        store::live::audit(&txn, cid, &actor, "judged_release", &json!({"part_id": p.id, "teams": scores})).await?;
    }
    txn.commit().await?;
    // The engine recomputes the board, then shows the hall the scores released now.
    let r = match state.hub.handle(cid).await {
        Ok(h) => h.judged(JudgedOp::Released { part_id: p.id, team_ids: fresh.clone() }).await.map(|_| ()),
        Err(e) => Err(e),
    };
    if let Err(e) = r {
        tracing::warn!(error = %e, contest = cid, part = p.id, "the live engine did not take the release");
    }
    let judging = judging_view(&state, cid, &p, &rubric, None).await?;
    Ok(HttpResponse::Ok().json(ReleaseResult { released: fresh, judging }))
}

// ---------------------------------------------------------------- the team on stage

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PerformingBody {
    /// The team going on stage; null (or absent) leaves the stage empty.
    #[serde(default)]
    pub team_id: Option<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct PerformingResult {
    /// The team on stage now (null: nobody).
    pub performing: Option<PerformingView>,
}

/// Put a team on stage in the running judged part ("Đội tiếp theo lên sân khấu"): stored
/// and audited (`judged_performing`), then the projector, every phone (the team's own say
/// "Đội bạn đang biểu diễn") and staff screens hear `performing`. 409 `invalid_state` when
/// no judged part runs; 400 (`team_id`) for a team not in the contest.
#[utoipa::path(tag = "judging", request_body = PerformingBody, responses(
    (status = 200, body = PerformingResult), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[post("/api/contests/{id}/live/judged/performing")]
async fn performing(
    state: web::Data<AppState>,
    o: Organiser,
    path: web::Path<i32>,
    body: Json<PerformingBody>,
) -> ApiResult<HttpResponse> {
    let cid = path.into_inner();
    let c = contest_or_404(&state, cid).await?;
    ensure_open(&c)?;
    let h = state.hub.handle(cid).await?;
    let performing = h.judged(JudgedOp::Perform { actor: organiser_actor(&o), team_id: body.team_id }).await?;
    Ok(HttpResponse::Ok().json(PerformingResult { performing }))
}
