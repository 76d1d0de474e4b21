//! Contests (hội thi): creating, reading, changing, deleting and closing them.
use actix_web::{HttpResponse, delete, get, patch, post, web};
use sea_orm::{ActiveValue::Set, IntoActiveModel, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, Organiser, Staff};
use crate::domain::contest::{CaptainPolicy, Prize, clean, default_prizes, validate_prizes};
use crate::entities::contests;
use crate::error::{ApiError, ApiResult};
use crate::routes::Json;
use crate::startup::AppState;
use crate::store;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create).service(demo).service(list).service(read).service(change).service(remove).service(close);
}

#[derive(Serialize, ToSchema)]
pub struct ContestView {
    pub id: i32,
    pub name: String,
    /// Organising unit (đơn vị tổ chức).
    pub unit: String,
    /// Date held, `YYYY-MM-DD` (may be empty).
    pub held_on: String,
    pub venue: String,
    /// Banks the questions are drawn from.
    pub bank_ids: Vec<i32>,
    pub prize_scheme: Vec<Prize>,
    pub captain_policy: CaptainPolicy,
    /// `setup`, `running` or `closed`.
    pub status: String,
    pub created_at: i64,
    /// Set when the contest was imported from an archive (it is then closed: a record).
    pub imported_from: Option<crate::archive::ImportedFrom>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContest {
    pub name: String,
    #[serde(default)]
    pub unit: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub held_on: String,
    #[serde(default)]
    pub venue: String,
    #[serde(default)]
    pub bank_ids: Vec<i32>,
    /// Default: 1 nhất, 1 nhì, 2 ba, 2 khuyến khích.
    #[serde(default)]
    pub prize_scheme: Option<Vec<Prize>>,
    #[serde(default)]
    pub captain_policy: CaptainPolicy,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ContestChange {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub held_on: Option<String>,
    pub venue: Option<String>,
    pub bank_ids: Option<Vec<i32>>,
    pub prize_scheme: Option<Vec<Prize>>,
    pub captain_policy: Option<CaptainPolicy>,
}

pub(crate) async fn view(state: &AppState, c: contests::Model) -> ApiResult<ContestView> {
    let bank_ids = store::contests::bank_ids(&state.db, c.id).await?;
    Ok(ContestView {
        id: c.id,
        bank_ids,
        prize_scheme: serde_json::from_str(&c.prize_scheme).unwrap_or_default(),
        captain_policy: CaptainPolicy::parse(&c.captain_policy).unwrap_or_default(),
        name: c.name,
        unit: c.unit,
        held_on: c.held_on,
        venue: c.venue,
        status: c.status,
        created_at: c.created_at,
        imported_from: c.imported_from.as_deref().and_then(|s| serde_json::from_str(s).ok()),
    })
}

/// The contest, or 404.
pub(crate) async fn contest_or_404(state: &AppState, id: i32) -> ApiResult<contests::Model> {
    store::contests::get(&state.db, id).await?.ok_or_else(|| ApiError::not_found(format!("no contest {id}")))
}

/// Refuses changes to a closed contest.
pub(crate) fn ensure_open(c: &contests::Model) -> ApiResult<()> {
    if c.status == store::contests::CLOSED {
        return Err(ApiError::conflict("contest_closed", format!("contest {} is closed", c.id)));
    }
    Ok(())
}

/// Staff who may read contest `id`: any organiser, or a judge of that contest.
pub(crate) async fn ensure_staff_of(state: &AppState, staff: &Staff, id: i32) -> ApiResult<()> {
    match staff {
        Staff::Organiser(_) => Ok(()),
        Staff::Judge(j) => j.ensure_contest(state, id).await,
    }
}

/// Anyone who may read contest `id`: organisers, its judges and its contestants.
pub(crate) async fn ensure_member_of(state: &AppState, caller: &Caller, id: i32) -> ApiResult<()> {
    match caller {
        Caller::Organiser(_) => Ok(()),
        Caller::Judge(j) => j.ensure_contest(state, id).await,
        Caller::Contestant(c) => c.ensure_contest(id),
    }
}

fn text(field: &str, value: &str, max: usize, required: bool) -> ApiResult<String> {
    let v = clean(value);
    if required && v.is_empty() {
        return Err(ApiError::invalid(field, "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(ApiError::invalid(field, format!("at most {max} characters")));
    }
    Ok(v)
}

fn date(value: &str) -> ApiResult<String> {
    let v = value.trim();
    if !v.is_empty() && chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_err() {
        return Err(ApiError::invalid("held_on", format!("{v:?} is not a date of the form YYYY-MM-DD")));
    }
    Ok(v.to_owned())
}

fn prizes_json(p: &[Prize]) -> ApiResult<String> {
    validate_prizes(p).map_err(|(f, m)| ApiError::invalid(f, m))?;
    serde_json::to_string(p).map_err(ApiError::internal)
}

async fn check_banks(state: &AppState, ids: &[i32]) -> ApiResult<()> {
    let unknown = store::contests::unknown_banks(&state.db, ids).await?;
    if let Some(bad) = unknown.first() {
        let i = ids.iter().position(|x| x == bad).unwrap_or_default();
        return Err(ApiError::invalid(format!("bank_ids[{i}]"), format!("there is no bank {bad}")));
    }
    Ok(())
}

/// Create a contest.
#[utoipa::path(tag = "contests", request_body = NewContest, responses(
    (status = 201, body = ContestView), (status = 400), (status = 401), (status = 403)), security(("bearer" = [])))]
#[post("/api/contests")]
async fn create(state: web::Data<AppState>, _o: Organiser, body: Json<NewContest>) -> ApiResult<HttpResponse> {
    let b = body.0;
    let name = text("name", &b.name, 200, true)?;
    let unit = text("unit", &b.unit, 200, false)?;
    let venue = text("venue", &b.venue, 200, false)?;
    let held_on = date(&b.held_on)?;
    let prizes = prizes_json(&b.prize_scheme.unwrap_or_else(default_prizes))?;
    check_banks(&state, &b.bank_ids).await?;
    let txn = state.db.begin().await?;
    let c = store::contests::insert(
        &txn,
        store::contests::NewContest {
            name: &name,
            unit: &unit,
            held_on: &held_on,
            venue: &venue,
            prize_scheme: &prizes,
            captain_policy: b.captain_policy.as_str(),
        },
    )
    .await?;
    store::contests::set_banks(&txn, c.id, &b.bank_ids).await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(view(&state, c).await?))
}

/// Contests: all of them for organisers, their own for judges.
#[utoipa::path(tag = "contests", responses((status = 200, body = Vec<ContestView>), (status = 401), (status = 403)),
    security(("bearer" = [])))]
#[get("/api/contests")]
async fn list(state: web::Data<AppState>, staff: Staff) -> ApiResult<HttpResponse> {
    let rows = match &staff {
        Staff::Organiser(_) => store::contests::list(&state.db).await?,
        Staff::Judge(j) => match (j.contest_id, j.user_id) {
            (Some(cid), _) => store::contests::get(&state.db, cid).await?.into_iter().collect(),
            (None, Some(uid)) => store::contests::list_for_judge(&state.db, uid).await?,
            _ => Vec::new(),
        },
    };
    let mut out = Vec::with_capacity(rows.len());
    for c in rows {
        out.push(view(&state, c).await?);
    }
    Ok(HttpResponse::Ok().json(out))
}

/// One contest: for organisers, its judges and its contestants.
#[utoipa::path(tag = "contests", responses((status = 200, body = ContestView), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
#[get("/api/contests/{id}")]
async fn read(state: web::Data<AppState>, caller: Caller, id: web::Path<i32>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    ensure_member_of(&state, &caller, id).await?;
    let c = contest_or_404(&state, id).await?;
    Ok(HttpResponse::Ok().json(view(&state, c).await?))
}

/// Change a contest's settings (not once it is closed).
#[utoipa::path(tag = "contests", request_body = ContestChange, responses(
    (status = 200, body = ContestView), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[patch("/api/contests/{id}")]
async fn change(
    state: web::Data<AppState>,
    _o: Organiser,
    id: web::Path<i32>,
    body: Json<ContestChange>,
) -> ApiResult<HttpResponse> {
    let c = contest_or_404(&state, id.into_inner()).await?;
    ensure_open(&c)?;
    let b = body.0;
    let cid = c.id;
    let mut m = c.into_active_model();
    if let Some(v) = &b.name {
        m.name = Set(text("name", v, 200, true)?);
    }
    if let Some(v) = &b.unit {
        m.unit = Set(text("unit", v, 200, false)?);
    }
    if let Some(v) = &b.venue {
        m.venue = Set(text("venue", v, 200, false)?);
    }
    if let Some(v) = &b.held_on {
        m.held_on = Set(date(v)?);
    }
    if let Some(p) = &b.prize_scheme {
        m.prize_scheme = Set(prizes_json(p)?);
    }
    if let Some(p) = b.captain_policy {
        m.captain_policy = Set(p.as_str().to_owned());
    }
    if let Some(ids) = &b.bank_ids {
        check_banks(&state, ids).await?;
    }
    let txn = state.db.begin().await?;
    let c = store::contests::update(&txn, m).await?;
    if let Some(ids) = &b.bank_ids {
        store::contests::set_banks(&txn, cid, ids).await?;
    }
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(view(&state, c).await?))
}

/// Delete a contest that is still being set up, with everything in it.
#[utoipa::path(tag = "contests", responses((status = 204), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[delete("/api/contests/{id}")]
async fn remove(state: web::Data<AppState>, _o: Organiser, id: web::Path<i32>) -> ApiResult<HttpResponse> {
    let c = contest_or_404(&state, id.into_inner()).await?;
    if c.status != store::contests::SETUP {
        return Err(ApiError::invalid_state(
            format!("contest {} is {}; only a contest being set up can be deleted", c.id, c.status),
            serde_json::json!({ "status": c.status }),
        ));
    }
    store::contests::delete(&state.db, c.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Close a contest: no more joins or changes; contestants' and invited judges' tokens are revoked.
#[utoipa::path(tag = "contests", responses((status = 200, body = ContestView), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[post("/api/contests/{id}/close")]
async fn close(state: web::Data<AppState>, _o: Organiser, id: web::Path<i32>) -> ApiResult<HttpResponse> {
    let c = contest_or_404(&state, id.into_inner()).await?;
    ensure_open(&c)?;
    let txn = state.db.begin().await?;
    store::contests::close(&txn, c.id).await?;
    txn.commit().await?;
    state.hub.revoke(crate::live::Revoked::Contest { contest_id: c.id }).await;
    let c = contest_or_404(&state, c.id).await?;
    Ok(HttpResponse::Ok().json(view(&state, c).await?))
}

/// What the one-click demo made: the contest, its teams with their join codes, the quiz
/// part and the projector link.
#[derive(Serialize, ToSchema)]
pub struct DemoContest {
    pub contest: ContestView,
    pub teams: Vec<crate::routes::teams::TeamView>,
    pub part: crate::routes::parts::PartView,
    pub projector: crate::routes::live::ProjectorLink,
}

/// The demo's teams: name and unit.
const DEMO_TEAMS: [(&str, &str); 4] = [
    ("Đội Sen Hồng", "Chi đoàn Văn phòng"),
    ("Đội Sao Vàng", "Chi đoàn Kỹ thuật"),
    ("Đội Tre Xanh", "Chi đoàn Kinh doanh"),
    ("Đội Bình Minh", "Chi đoàn Tài chính"),
];

/// The kinds of the demo's five questions, in the order they are asked: a bit of everything
/// a phone can answer with one tap or a number.
const DEMO_KINDS: [&str; 5] = ["single", "true_false", "multiple", "single", "number"];

/// A whole demo contest in one call, for a fresh install: four teams, a quiz part of five
/// questions from the shipped bank (a few seconds of reading time, star of hope) and the
/// projector link. Everything is written in one transaction.
#[utoipa::path(tag = "contests", responses((status = 201, body = DemoContest), (status = 401), (status = 403)),
    security(("bearer" = [])))]
#[post("/api/demo")]
async fn demo(state: web::Data<AppState>, _o: Organiser) -> ApiResult<HttpResponse> {
    use crate::domain::part::{AnswerPolicy, PartKind, Rubric, Scoring, SpeedBonus};
    use crate::entities::parts;

    // The questions: from the shipped banks, easy first, one of each kind in DEMO_KINDS.
    let banks = store::banks::list_banks(&state.db).await?;
    let shipped: Vec<_> = banks.iter().filter(|b| b.origin == "shipped").collect();
    let from = if shipped.is_empty() { banks.iter().collect() } else { shipped };
    let ids: Vec<i32> = from.iter().map(|b| b.id).collect();
    let mut pool = store::banks::live_questions(&state.db, &ids).await?;
    pool.sort_by_key(|m| (m.difficulty, m.id));
    // Two questions that answer each other (a shared group, an exclusion) never meet.
    let slug_of = |bank_id: i32| from.iter().find(|b| b.id == bank_id).map(|b| b.slug.clone()).unwrap_or_default();
    let mut chosen: Vec<crate::entities::questions::Model> = Vec::new();
    let fits = |m: &crate::entities::questions::Model, chosen: &[crate::entities::questions::Model]| {
        let c = crate::routes::banks::candidate(m, &slug_of(m.bank_id));
        chosen
            .iter()
            .all(|o| crate::bank::draw::clash(&c, &crate::routes::banks::candidate(o, &slug_of(o.bank_id))).is_none())
    };
    for kind in DEMO_KINDS {
        if let Some(i) = pool.iter().position(|m| m.kind == kind && fits(m, &chosen)) {
            chosen.push(pool.remove(i));
        }
    }
    while chosen.len() < DEMO_KINDS.len() {
        let Some(i) = pool.iter().position(|m| fits(m, &chosen)) else { break };
        chosen.push(pool.remove(i));
    }
    let mut questions = Vec::with_capacity(chosen.len());
    for m in chosen {
        let q = store::banks::question_of(&m, &slug_of(m.bank_id))?;
        questions.push((m, q));
    }

    let scoring = Scoring {
        speed_bonus: SpeedBonus::Kahoot,
        star_of_hope: true,
        get_ready_s: 3,
        reading_s: 5,
        ..Scoring::default()
    };
    let today = chrono::Local::now().format("%Y-%m-%d").to_string();
    let txn = state.db.begin().await?;
    let c = store::contests::insert(
        &txn,
        store::contests::NewContest {
            name: "Hội thi tìm hiểu (bản thử)",
            unit: "Ban tổ chức",
            held_on: &today,
            venue: "Hội trường",
            prize_scheme: &prizes_json(&default_prizes())?,
            captain_policy: CaptainPolicy::default().as_str(),
        },
    )
    .await?;
    store::contests::set_banks(&txn, c.id, &ids).await?;
    let mut teams = Vec::with_capacity(DEMO_TEAMS.len());
    for (name, unit) in DEMO_TEAMS {
        teams.push(store::teams::insert(&txn, c.id, name, unit, "[]", None).await?);
    }
    let part = store::parts::insert(
        &txn,
        parts::ActiveModel {
            contest_id: Set(c.id),
            kind: Set(PartKind::Quiz.as_str().to_owned()),
            title: Set("Phần thi trắc nghiệm".to_owned()),
            position: Set(1),
            max_points: Set(100.0),
            weight: Set(1.0),
            time_per_question_s: Set(20),
            scoring: Set(serde_json::to_string(&scoring).map_err(ApiError::internal)?),
            answer_policy: Set(AnswerPolicy::default().as_str().to_owned()),
            rubric: Set(serde_json::to_string(&Rubric::default()).map_err(ApiError::internal)?),
            status: Set(crate::routes::parts::PENDING.to_owned()),
            started_at: Set(None),
            finished_at: Set(None),
            ..Default::default()
        },
    )
    .await?;
    store::banks::replace_part_questions(&txn, part.id, &questions, part.time_per_question_s).await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(DemoContest {
        projector: crate::routes::live::projector_link_for(&state, c.id)?,
        contest: view(&state, c).await?,
        teams: teams.into_iter().map(|t| crate::routes::teams::team_view(t, true)).collect(),
        part: crate::routes::parts::part_view(part),
    }))
}
