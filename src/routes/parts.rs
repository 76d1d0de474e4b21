//! Parts (phần thi) of a contest and their settings. Once a part has started, settings
//! that would alter scores already given are frozen; its title and order may still change.
use actix_web::{HttpResponse, delete, get, patch, post, web};
use sea_orm::{ActiveValue::Set, IntoActiveModel};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::contests::{contest_or_404, ensure_open, ensure_staff_of};
use crate::auth::{Organiser, Staff};
use crate::domain::contest::clean;
use crate::domain::part::{AnswerPolicy, PartKind, Rubric, Scoring};
use crate::entities::parts;
use crate::error::{ApiError, ApiResult};
use crate::routes::Json;
use crate::startup::AppState;
use crate::store;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list).service(create).service(read).service(change).service(remove);
}

/// A part not yet started; the live engine moves it to `running` and `finished`.
pub const PENDING: &str = "pending";

#[derive(Serialize, ToSchema)]
pub struct PartView {
    pub id: i32,
    pub contest_id: i32,
    pub kind: PartKind,
    pub title: String,
    pub position: i32,
    pub max_points: f64,
    /// Weight of the part in the contest total.
    pub weight: f64,
    pub time_per_question_s: i32,
    pub scoring: Scoring,
    pub answer_policy: AnswerPolicy,
    pub rubric: Rubric,
    /// `pending`, `running` or `finished`.
    pub status: String,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// A tie-break part (câu hỏi phụ): the teams that play it. Empty: an ordinary part.
    pub tie_break_teams: Vec<i32>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPart {
    pub kind: PartKind,
    pub title: String,
    /// Order among the parts (1 = first); default: after the last.
    #[serde(default)]
    pub position: Option<i32>,
    pub max_points: f64,
    /// Default 1.
    #[serde(default)]
    pub weight: Option<f64>,
    /// Default 30 s; 0 keeps each question's own time limit from its bank.
    #[serde(default)]
    pub time_per_question_s: Option<i32>,
    #[serde(default)]
    pub scoring: Scoring,
    #[serde(default)]
    pub answer_policy: AnswerPolicy,
    /// Required (with criteria) for judged parts only.
    #[serde(default)]
    pub rubric: Rubric,
    /// Makes this a tie-break part (a quiz or buzzer part): only these teams' phones may
    /// answer, and its score is not added to the total; it only breaks ties (after the
    /// configured tie-breakers, unless they name it). Empty (default): an ordinary part.
    #[serde(default)]
    pub tie_break_teams: Vec<i32>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PartChange {
    pub kind: Option<PartKind>,
    pub title: Option<String>,
    pub position: Option<i32>,
    pub max_points: Option<f64>,
    pub weight: Option<f64>,
    pub time_per_question_s: Option<i32>,
    pub scoring: Option<Scoring>,
    pub answer_policy: Option<AnswerPolicy>,
    pub rubric: Option<Rubric>,
    /// `[]` makes it an ordinary part again.
    pub tie_break_teams: Option<Vec<i32>>,
}

pub(crate) fn part_view(p: parts::Model) -> PartView {
    let tie_break_teams = crate::live::scores::tie_break_teams(&p);
    PartView {
        id: p.id,
        contest_id: p.contest_id,
        kind: PartKind::parse(&p.kind).unwrap_or(PartKind::Quiz),
        title: p.title,
        position: p.position,
        max_points: p.max_points,
        weight: p.weight,
        time_per_question_s: p.time_per_question_s,
        scoring: serde_json::from_str(&p.scoring).unwrap_or_default(),
        answer_policy: AnswerPolicy::parse(&p.answer_policy).unwrap_or_default(),
        rubric: serde_json::from_str(&p.rubric).unwrap_or_default(),
        status: p.status,
        started_at: p.started_at,
        finished_at: p.finished_at,
        tie_break_teams,
    }
}

/// The settings of a part, checked as a whole.
struct Settings {
    kind: PartKind,
    title: String,
    position: i32,
    max_points: f64,
    weight: f64,
    time_per_question_s: i32,
    scoring: Scoring,
    answer_policy: AnswerPolicy,
    rubric: Rubric,
    tie_break_teams: Vec<i32>,
}

impl Settings {
    fn validate(mut self) -> ApiResult<Self> {
        self.title = clean(&self.title);
        if self.title.is_empty() {
            return Err(ApiError::invalid("title", "must not be empty"));
        }
        if self.title.chars().count() > 200 {
            return Err(ApiError::invalid("title", "at most 200 characters"));
        }
        if !(1..=1000).contains(&self.position) {
            return Err(ApiError::invalid("position", "must be between 1 and 1000"));
        }
        if !(self.max_points.is_finite() && self.max_points > 0.0 && self.max_points <= 100_000.0) {
            return Err(ApiError::invalid("max_points", "must be a number > 0 and ≤ 100000"));
        }
        if !(self.weight.is_finite() && (0.0..=100.0).contains(&self.weight)) {
            return Err(ApiError::invalid("weight", "must be a number between 0 and 100"));
        }
        // 0: every question keeps the time limit written in its bank.
        if !(0..=3600).contains(&self.time_per_question_s) {
            return Err(ApiError::invalid("time_per_question_s", "must be between 0 and 3600 seconds"));
        }
        self.scoring.validate().map_err(|(f, m)| ApiError::invalid(f, m))?;
        self.rubric.validate().map_err(|(f, m)| ApiError::invalid(f, m))?;
        match self.kind {
            PartKind::Judged if self.rubric.criteria.is_empty() => {
                return Err(ApiError::invalid("rubric.criteria", "a judged part needs at least one criterion"));
            }
            PartKind::Judged => {}
            _ if !self.rubric.criteria.is_empty() => {
                return Err(ApiError::invalid("rubric", "only judged parts have a rubric"));
            }
            _ => {}
        }
        match self.kind {
            PartKind::Elimination if self.scoring.star_of_hope => {
                return Err(ApiError::invalid("scoring.star_of_hope", "an elimination part has no star of hope"));
            }
            PartKind::Elimination => {}
            _ if !self.scoring.elimination.is_zero() => {
                return Err(ApiError::invalid("scoring.elimination", "only elimination parts have these settings"));
            }
            _ => {}
        }
        if !self.tie_break_teams.is_empty() {
            if !matches!(self.kind, PartKind::Quiz | PartKind::Buzzer) {
                return Err(ApiError::invalid("tie_break_teams", "only a quiz or buzzer part can be a tie-break part"));
            }
            for (i, id) in self.tie_break_teams.iter().enumerate() {
                if self.tie_break_teams[..i].contains(id) {
                    return Err(ApiError::invalid(
                        format!("tie_break_teams[{i}]"),
                        format!("team {id} is listed twice"),
                    ));
                }
            }
            if self.tie_break_teams.len() < 2 {
                return Err(ApiError::invalid("tie_break_teams", "a tie-break part is played by at least 2 teams"));
            }
        }
        Ok(self)
    }

    /// Every team of a tie-break part must be a team of the contest; then they are kept
    /// in id order.
    async fn check_teams(mut self, state: &AppState, contest_id: i32) -> ApiResult<Self> {
        if self.tie_break_teams.is_empty() {
            return Ok(self);
        }
        let teams = store::teams::list(&state.db, contest_id).await?;
        for (i, id) in self.tie_break_teams.iter().enumerate() {
            if !teams.iter().any(|t| t.id == *id) {
                return Err(ApiError::invalid(
                    format!("tie_break_teams[{i}]"),
                    format!("no team {id} in this contest"),
                ));
            }
        }
        self.tie_break_teams.sort_unstable();
        Ok(self)
    }

    fn tie_break_json(&self) -> ApiResult<Option<String>> {
        if self.tie_break_teams.is_empty() { Ok(None) } else { Self::json(&self.tie_break_teams).map(Some) }
    }

    fn json(v: &impl Serialize) -> ApiResult<String> {
        serde_json::to_string(v).map_err(ApiError::internal)
    }
}

async fn part_or_404(state: &AppState, cid: i32, pid: i32) -> ApiResult<parts::Model> {
    store::parts::get(&state.db, cid, pid)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("contest {cid} has no part {pid}")))
}

/// Parts of a contest, in order (organisers and its judges).
#[utoipa::path(tag = "parts", responses((status = 200, body = Vec<PartView>), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
#[get("/api/contests/{id}/parts")]
async fn list(state: web::Data<AppState>, staff: Staff, id: web::Path<i32>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    ensure_staff_of(&state, &staff, id).await?;
    contest_or_404(&state, id).await?;
    let rows = store::parts::list(&state.db, id).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(part_view).collect::<Vec<_>>()))
}

/// Add a part.
#[utoipa::path(tag = "parts", request_body = NewPart, responses(
    (status = 201, body = PartView), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[post("/api/contests/{id}/parts")]
async fn create(
    state: web::Data<AppState>,
    _o: Organiser,
    id: web::Path<i32>,
    body: Json<NewPart>,
) -> ApiResult<HttpResponse> {
    let c = contest_or_404(&state, id.into_inner()).await?;
    ensure_open(&c)?;
    let existing = store::parts::list(&state.db, c.id).await?;
    let b = body.0;
    let s = Settings {
        kind: b.kind,
        title: b.title,
        position: b.position.unwrap_or_else(|| existing.iter().map(|p| p.position).max().unwrap_or(0) + 1),
        max_points: b.max_points,
        weight: b.weight.unwrap_or(1.0),
        time_per_question_s: b.time_per_question_s.unwrap_or(30),
        scoring: b.scoring,
        answer_policy: b.answer_policy,
        rubric: b.rubric,
        tie_break_teams: b.tie_break_teams,
    }
    .validate()?
    .check_teams(&state, c.id)
    .await?;
    let m = parts::ActiveModel {
        contest_id: Set(c.id),
        kind: Set(s.kind.as_str().to_owned()),
        title: Set(s.title.clone()),
        position: Set(s.position),
        max_points: Set(s.max_points),
        weight: Set(s.weight),
        time_per_question_s: Set(s.time_per_question_s),
        scoring: Set(Settings::json(&s.scoring)?),
        answer_policy: Set(s.answer_policy.as_str().to_owned()),
        rubric: Set(Settings::json(&s.rubric)?),
        status: Set(PENDING.to_owned()),
        started_at: Set(None),
        finished_at: Set(None),
        tie_break_teams: Set(s.tie_break_json()?),
        ..Default::default()
    };
    let p = store::parts::insert(&state.db, m).await?;
    Ok(HttpResponse::Created().json(part_view(p)))
}

/// One part (organisers and the contest's judges).
#[utoipa::path(tag = "parts", responses((status = 200, body = PartView), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
#[get("/api/contests/{id}/parts/{part_id}")]
async fn read(state: web::Data<AppState>, staff: Staff, path: web::Path<(i32, i32)>) -> ApiResult<HttpResponse> {
    let (cid, pid) = path.into_inner();
    ensure_staff_of(&state, &staff, cid).await?;
    Ok(HttpResponse::Ok().json(part_view(part_or_404(&state, cid, pid).await?)))
}

/// Change a part. After it has started, a change of a setting that would alter scores
/// already given (kind, points, weight, time, scoring, answer policy, rubric) is refused
/// with 409 `part_started` naming the setting; the title and order may still change.
/// Once judges have marked a judged part, its kind and rubric no longer change (409
/// `marks_exist`).
#[utoipa::path(tag = "parts", request_body = PartChange, responses(
    (status = 200, body = PartView), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[patch("/api/contests/{id}/parts/{part_id}")]
async fn change(
    state: web::Data<AppState>,
    _o: Organiser,
    path: web::Path<(i32, i32)>,
    body: Json<PartChange>,
) -> ApiResult<HttpResponse> {
    let (cid, pid) = path.into_inner();
    let c = contest_or_404(&state, cid).await?;
    ensure_open(&c)?;
    let p = part_or_404(&state, cid, pid).await?;
    let cur = part_view(p.clone());
    let b = body.0;
    let s = Settings {
        kind: b.kind.unwrap_or(cur.kind),
        title: b.title.unwrap_or_else(|| cur.title.clone()),
        position: b.position.unwrap_or(cur.position),
        max_points: b.max_points.unwrap_or(cur.max_points),
        weight: b.weight.unwrap_or(cur.weight),
        time_per_question_s: b.time_per_question_s.unwrap_or(cur.time_per_question_s),
        scoring: b.scoring.unwrap_or_else(|| cur.scoring.clone()),
        answer_policy: b.answer_policy.unwrap_or(cur.answer_policy),
        rubric: b.rubric.unwrap_or_else(|| cur.rubric.clone()),
        tie_break_teams: b.tie_break_teams.unwrap_or_else(|| cur.tie_break_teams.clone()),
    }
    .validate()?
    .check_teams(&state, cid)
    .await?;
    if p.status != PENDING {
        let changed = [
            ("kind", s.kind != cur.kind),
            ("max_points", s.max_points != cur.max_points),
            ("weight", s.weight != cur.weight),
            ("time_per_question_s", s.time_per_question_s != cur.time_per_question_s),
            ("scoring", s.scoring != cur.scoring),
            ("answer_policy", s.answer_policy != cur.answer_policy),
            ("rubric", s.rubric != cur.rubric),
            ("tie_break_teams", s.tie_break_teams != cur.tie_break_teams),
        ];
        if let Some((field, _)) = changed.iter().find(|(_, c)| *c) {
            return Err(ApiError::conflict(
                "part_started",
                format!(
                    "part {pid} is {}: `{field}` can no longer change, it would alter scores already given \
                     (the title and order still can)",
                    p.status
                ),
            ));
        }
    }
    if (s.rubric != cur.rubric || s.kind != cur.kind) && store::judging::count_marks(&state.db, p.id).await? > 0 {
        let field = if s.kind != cur.kind { "kind" } else { "rubric" };
        return Err(ApiError::conflict(
            "marks_exist",
            format!("judges have marked part {pid}: `{field}` can no longer change, it would alter their marks"),
        ));
    }
    let mut m = p.into_active_model();
    m.tie_break_teams = Set(s.tie_break_json()?);
    m.kind = Set(s.kind.as_str().to_owned());
    m.title = Set(s.title);
    m.position = Set(s.position);
    m.max_points = Set(s.max_points);
    m.weight = Set(s.weight);
    m.time_per_question_s = Set(s.time_per_question_s);
    m.scoring = Set(Settings::json(&s.scoring)?);
    m.answer_policy = Set(s.answer_policy.as_str().to_owned());
    m.rubric = Set(Settings::json(&s.rubric)?);
    let p = store::parts::update(&state.db, m).await?;
    Ok(HttpResponse::Ok().json(part_view(p)))
}

/// Delete a part that has not started.
#[utoipa::path(tag = "parts", responses((status = 204), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[delete("/api/contests/{id}/parts/{part_id}")]
async fn remove(state: web::Data<AppState>, _o: Organiser, path: web::Path<(i32, i32)>) -> ApiResult<HttpResponse> {
    let (cid, pid) = path.into_inner();
    let p = part_or_404(&state, cid, pid).await?;
    if p.status != PENDING {
        return Err(ApiError::conflict(
            "part_started",
            format!("part {pid} is {}; only a pending part can be deleted", p.status),
        ));
    }
    let marks = store::judging::count_marks(&state.db, p.id).await?;
    if marks > 0 {
        return Err(ApiError::conflict(
            "marks_exist",
            format!("judges have given {marks} marks in part {pid}; it can no longer be deleted"),
        ));
    }
    let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
    store::parts::delete(&txn, p.id).await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
