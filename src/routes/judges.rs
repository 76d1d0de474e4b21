//! Accounts (organisers add organisers and judges) and the judges of a contest: assigned
//! accounts, or invitation links whose one-time token signs a judge in to one contest.
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use base64::Engine;
use rand::RngCore;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::contests::{contest_or_404, ensure_open};
use crate::auth::{Claims, Organiser, password};
use crate::entities::{judges, users};
use crate::error::{ApiError, ApiResult};
use crate::routes::Json;
use crate::startup::AppState;
use crate::store;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_user)
        .service(list_users)
        .service(list)
        .service(assign)
        .service(invite)
        .service(accept)
        .service(reset)
        .service(remove);
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: i32,
    pub username: String,
    /// `organiser` or `judge`.
    pub role: String,
    pub created_at: i64,
}

impl From<users::Model> for UserView {
    fn from(u: users::Model) -> Self {
        Self { id: u.id, username: u.username, role: u.role, created_at: u.created_at }
    }
}

#[derive(Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AccountRole {
    Organiser,
    Judge,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    /// At least 8 characters.
    pub password: String,
    pub role: AccountRole,
}

/// Add an organiser or judge account.
#[utoipa::path(tag = "accounts", request_body = NewUser, responses(
    (status = 201, body = UserView), (status = 400), (status = 401), (status = 403), (status = 409)),
    security(("bearer" = [])))]
#[post("/api/users")]
async fn create_user(state: web::Data<AppState>, _o: Organiser, body: Json<NewUser>) -> ApiResult<HttpResponse> {
    let b = body.0;
    let username = b.username.trim().to_owned();
    if username.chars().count() < 2 || username.chars().count() > 64 || username.chars().any(char::is_whitespace) {
        return Err(ApiError::invalid("username", "2 to 64 characters, no spaces"));
    }
    if b.password.chars().count() < 8 || b.password.len() > 256 {
        return Err(ApiError::invalid("password", "8 to 256 characters"));
    }
    if store::accounts::user_by_name(&state.db, &username).await?.is_some() {
        return Err(ApiError::conflict("already_exists", format!("the username {username:?} is taken")));
    }
    let role = match b.role {
        AccountRole::Organiser => "organiser",
        AccountRole::Judge => "judge",
    };
    let hash = password::hash_blocking(b.password).await.map_err(ApiError::internal)?;
    let u = store::accounts::create_user(&state.db, &username, &hash, role).await?;
    Ok(HttpResponse::Created().json(UserView::from(u)))
}

/// All accounts.
#[utoipa::path(tag = "accounts", responses((status = 200, body = Vec<UserView>), (status = 401), (status = 403)),
    security(("bearer" = [])))]
#[get("/api/users")]
async fn list_users(state: web::Data<AppState>, _o: Organiser) -> ApiResult<HttpResponse> {
    let rows = store::judges::users(&state.db).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(UserView::from).collect::<Vec<_>>()))
}

#[derive(Serialize, ToSchema)]
pub struct JudgeView {
    pub id: i32,
    pub contest_id: i32,
    /// The judge's account, when they sign in with a password.
    pub user_id: Option<i32>,
    /// Name shown on score sheets.
    pub name: String,
    /// Signs in by invitation link.
    pub invited: bool,
    /// When the invitation was used (it works once).
    pub invite_used_at: Option<i64>,
    pub created_at: i64,
}

impl From<judges::Model> for JudgeView {
    fn from(j: judges::Model) -> Self {
        Self {
            id: j.id,
            contest_id: j.contest_id,
            user_id: j.user_id,
            name: j.display_name,
            invited: j.invite_hash.is_some(),
            invite_used_at: j.invite_used_at,
            created_at: j.created_at,
        }
    }
}

/// Judges of a contest.
#[utoipa::path(tag = "judges", responses((status = 200, body = Vec<JudgeView>), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
#[get("/api/contests/{id}/judges")]
async fn list(state: web::Data<AppState>, _o: Organiser, id: web::Path<i32>) -> ApiResult<HttpResponse> {
    let c = contest_or_404(&state, id.into_inner()).await?;
    let rows = store::judges::list(&state.db, c.id).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(JudgeView::from).collect::<Vec<_>>()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignJudge {
    /// A judge account.
    pub user_id: i32,
    /// Name shown on score sheets; default: the username.
    #[serde(default, alias = "display_name")]
    pub name: Option<String>,
}

fn display_name(v: &str) -> ApiResult<String> {
    let v = crate::domain::contest::clean(v);
    if v.is_empty() {
        return Err(ApiError::invalid("name", "must not be empty"));
    }
    if v.chars().count() > 100 {
        return Err(ApiError::invalid("name", "at most 100 characters"));
    }
    Ok(v)
}

/// Make a judge account a judge of this contest.
#[utoipa::path(tag = "judges", request_body = AssignJudge, responses(
    (status = 201, body = JudgeView), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[post("/api/contests/{id}/judges")]
async fn assign(
    state: web::Data<AppState>,
    _o: Organiser,
    id: web::Path<i32>,
    body: Json<AssignJudge>,
) -> ApiResult<HttpResponse> {
    let c = contest_or_404(&state, id.into_inner()).await?;
    ensure_open(&c)?;
    let user = store::accounts::user_by_id(&state.db, body.user_id)
        .await?
        .filter(|u| u.role == "judge")
        .ok_or_else(|| ApiError::invalid("user_id", format!("there is no judge account {}", body.user_id)))?;
    let name = display_name(body.name.as_deref().unwrap_or(&user.username))?;
    if store::judges::by_user(&state.db, c.id, user.id).await?.is_some() {
        return Err(ApiError::conflict(
            "already_exists",
            format!("{:?} is already a judge of contest {}", user.username, c.id),
        ));
    }
    let j = store::judges::insert(&state.db, c.id, Some(user.id), &name, None).await?;
    Ok(HttpResponse::Created().json(JudgeView::from(j)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteJudge {
    /// Name shown on score sheets.
    #[serde(alias = "display_name")]
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct Invitation {
    pub judge: JudgeView,
    /// One-time invitation token: exchange it at `POST /api/judges/accept`. Shown only now.
    pub token: String,
    /// Link to send to the judge.
    pub url: String,
}

/// A random one-time token and the SHA-256 hash that is stored instead of it.
fn new_invite() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_invite(&token);
    (token, hash)
}

fn hash_invite(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn invite_url(req: &HttpRequest, token: &str) -> String {
    let info = req.connection_info();
    format!("{}://{}/judge?invite={token}", info.scheme(), info.host())
}

/// Invite a judge: a one-time link that signs them in to this contest only.
#[utoipa::path(tag = "judges", request_body = InviteJudge, responses(
    (status = 201, body = Invitation), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[post("/api/contests/{id}/judges/invite")]
async fn invite(
    state: web::Data<AppState>,
    _o: Organiser,
    id: web::Path<i32>,
    req: HttpRequest,
    body: Json<InviteJudge>,
) -> ApiResult<HttpResponse> {
    let c = contest_or_404(&state, id.into_inner()).await?;
    ensure_open(&c)?;
    let name = display_name(&body.name)?;
    let (token, hash) = new_invite();
    let j = store::judges::insert(&state.db, c.id, None, &name, Some(hash)).await?;
    Ok(HttpResponse::Created().json(Invitation { judge: j.into(), url: invite_url(&req, &token), token }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvite {
    pub token: String,
}

#[derive(Serialize, ToSchema)]
pub struct JudgeSession {
    pub token: String,
    /// Unix time in milliseconds.
    pub expires_at: i64,
    pub role: String,
    pub contest_id: i32,
    pub judge_id: i32,
}

/// Use an invitation: its one-time token becomes a judge token bound to the contest.
/// A second use is refused.
#[utoipa::path(tag = "judges", request_body = AcceptInvite, responses(
    (status = 200, body = JudgeSession), (status = 400), (status = 401, description = "unknown invitation"),
    (status = 409, description = "already used, or the contest is closed"), (status = 429)))]
#[post("/api/judges/accept")]
async fn accept(state: web::Data<AppState>, req: HttpRequest, body: Json<AcceptInvite>) -> ApiResult<HttpResponse> {
    let ip = state.client_ip(&req);
    state.guesses.check(ip)?;
    let Some(j) = store::judges::by_invite_hash(&state.db, &hash_invite(body.token.trim())).await? else {
        state.guesses.fail(ip);
        return Err(ApiError::unauthorized("invite_unknown", "this invitation link is not valid"));
    };
    let c = contest_or_404(&state, j.contest_id).await?;
    ensure_open(&c)?;
    let txn = state.db.begin().await?;
    if !store::judges::use_invite(&txn, j.id).await? {
        return Err(ApiError::conflict("invite_used", "this invitation link was already used; ask for a new one"));
    }
    txn.commit().await?;
    let claims = Claims::judge_invited(j.id, j.contest_id, j.token_version);
    Ok(HttpResponse::Ok().json(JudgeSession {
        token: state.keys.sign(&claims)?,
        expires_at: claims.exp * 1000,
        role: "judge".into(),
        contest_id: j.contest_id,
        judge_id: j.id,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct JudgeReset {
    pub judge: JudgeView,
    /// For an invited judge: the new one-time invitation token (the old link no longer works).
    pub token: Option<String>,
    pub url: Option<String>,
}

/// Reset a judge: every token they hold stops working. An invited judge gets a new
/// invitation link; a judge account must sign in again.
#[utoipa::path(tag = "judges", responses((status = 200, body = JudgeReset), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
#[post("/api/contests/{id}/judges/{judge_id}/reset")]
async fn reset(
    state: web::Data<AppState>,
    _o: Organiser,
    path: web::Path<(i32, i32)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (cid, jid) = path.into_inner();
    let j = judge_or_404(&state, cid, jid).await?;
    let fresh = j.invite_hash.is_some().then(new_invite);
    let txn = state.db.begin().await?;
    store::judges::reset(&txn, &j, fresh.as_ref().map(|(_, h)| h.clone())).await?;
    txn.commit().await?;
    state.hub.revoke(crate::live::Revoked::Judge { judge_id: j.id, user_id: j.user_id }).await;
    let j = judge_or_404(&state, cid, jid).await?;
    Ok(HttpResponse::Ok().json(JudgeReset {
        judge: j.into(),
        url: fresh.as_ref().map(|(t, _)| invite_url(&req, t)),
        token: fresh.map(|(t, _)| t),
    }))
}

async fn judge_or_404(state: &AppState, cid: i32, jid: i32) -> ApiResult<judges::Model> {
    store::judges::get(&state.db, cid, jid)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("contest {cid} has no judge {jid}")))
}

/// Remove a judge from the contest; their access to it ends at once.
#[utoipa::path(tag = "judges", responses((status = 204), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[delete("/api/contests/{id}/judges/{judge_id}")]
async fn remove(state: web::Data<AppState>, _o: Organiser, path: web::Path<(i32, i32)>) -> ApiResult<HttpResponse> {
    let (cid, jid) = path.into_inner();
    let j = judge_or_404(&state, cid, jid).await?;
    store::judges::delete(&state.db, j.id).await?;
    // A judge account keeps its other contests: only its sockets on this one close.
    state.hub.revoke(crate::live::Revoked::Judge { judge_id: j.id, user_id: None }).await;
    if let Some(user_id) = j.user_id {
        state.hub.revoke(crate::live::Revoked::JudgeAccountIn { contest_id: cid, user_id }).await;
    }
    Ok(HttpResponse::NoContent().finish())
}
