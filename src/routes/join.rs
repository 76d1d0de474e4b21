//! Contestants join their team with its code (typed, or from the team's QR code) and a
//! name; they get a token bound to the contest, the team and themselves.
//!
//! Wrong codes count as failures for the per-IP limit; successful joins never do, since
//! a whole hall joins through one Wi-Fi address.
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Claims;
use crate::domain::contest::{CaptainPolicy, Member, clean, normalize_join_code};
use crate::domain::text::fold;
use crate::entities::{contests, teams};
use crate::error::{ApiError, ApiResult};
use crate::routes::Json;
use crate::startup::AppState;
use crate::store;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(join).service(landing);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    /// The team's join code (case and dashes do not matter).
    pub code: String,
    /// The contestant's name as it should appear.
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct JoinResponse {
    pub token: String,
    /// Unix time in milliseconds.
    pub expires_at: i64,
    pub contest_id: i32,
    pub team_id: i32,
    pub contestant_id: i32,
    pub is_captain: bool,
    pub contest_name: String,
    pub team_name: String,
}

#[derive(Serialize, ToSchema)]
pub struct JoinLanding {
    pub contest_id: i32,
    pub contest_name: String,
    pub contest_unit: String,
    pub contest_status: String,
    pub team_name: String,
    pub team_unit: String,
}

/// The team of a typed code. A wrong code spends one of the caller's address's guesses;
/// while it has none left, every code from it is answered 429, the right ones too.
async fn team_of_code(state: &AppState, req: &HttpRequest, raw: &str) -> ApiResult<(teams::Model, contests::Model)> {
    let ip = state.client_ip(req);
    state.guesses.check(ip)?;
    let found = match normalize_join_code(raw) {
        Some(code) => store::teams::by_code(&state.db, &code).await?,
        None => None,
    };
    found.ok_or_else(|| {
        state.guesses.fail(ip);
        ApiError::not_found(format!("no team has the join code {:?}; check the code on the team card", raw.trim()))
    })
}

/// Join a team: `{code, name}` → a contestant token for the contest.
#[utoipa::path(tag = "join", request_body = JoinRequest, responses(
    (status = 200, body = JoinResponse), (status = 400), (status = 404, description = "no team has that code"),
    (status = 409, description = "the contest is closed"), (status = 429, description = "too many wrong codes")))]
#[post("/api/join")]
async fn join(state: web::Data<AppState>, req: HttpRequest, body: Json<JoinRequest>) -> ApiResult<HttpResponse> {
    let name = clean(&body.name);
    if name.is_empty() {
        return Err(ApiError::invalid("name", "give your name"));
    }
    if name.chars().count() > 60 {
        return Err(ApiError::invalid("name", "at most 60 characters"));
    }
    let (team, contest) = team_of_code(&state, &req, &body.code).await?;
    if contest.status == store::contests::CLOSED {
        return Err(ApiError::conflict("contest_closed", format!("the contest {:?} is closed", contest.name)));
    }
    let policy = CaptainPolicy::parse(&contest.captain_policy).unwrap_or_default();
    let txn = state.db.begin().await?;
    store::teams::lock(&txn, team.id).await?;
    let vacant = !store::teams::has_captain(&txn, team.id).await?;
    let is_captain = vacant
        && match policy {
            CaptainPolicy::FirstJoin => true,
            CaptainPolicy::Organiser => {
                let members: Vec<Member> = serde_json::from_str(&team.members).unwrap_or_default();
                members.iter().any(|m| m.captain && fold(&m.name) == fold(&name))
            }
        };
    let person = store::teams::insert_contestant(&txn, contest.id, team.id, &name, is_captain).await?;
    txn.commit().await?;
    state.hub.joined(contest.id, team.id).await;
    let claims = Claims::contestant(person.id, team.id, contest.id, contest.token_version);
    Ok(HttpResponse::Ok().json(JoinResponse {
        token: state.keys.sign(&claims)?,
        expires_at: claims.exp * 1000,
        contest_id: contest.id,
        team_id: team.id,
        contestant_id: person.id,
        is_captain,
        contest_name: contest.name,
        team_name: team.name,
    }))
}

/// What a join code leads to (the page a team's QR code opens shows this before joining).
#[utoipa::path(tag = "join", responses((status = 200, body = JoinLanding), (status = 404), (status = 429)))]
#[get("/api/join/{code}")]
async fn landing(state: web::Data<AppState>, req: HttpRequest, code: web::Path<String>) -> ApiResult<HttpResponse> {
    let (team, contest) = team_of_code(&state, &req, &code).await?;
    Ok(HttpResponse::Ok().json(JoinLanding {
        contest_id: contest.id,
        contest_name: contest.name,
        contest_unit: contest.unit,
        contest_status: contest.status,
        team_name: team.name,
        team_unit: team.unit,
    }))
}
