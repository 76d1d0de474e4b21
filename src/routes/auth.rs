//! Signing in (organisers and judges with an account), refreshing, and `GET /api/me`.
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, Claims, Role, TokenKind, password};
use crate::error::{ApiError, ApiResult};
use crate::routes::Json;
use crate::startup::AppState;
use crate::store;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(login).service(refresh).service(me);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub token: String,
    /// Unix time in milliseconds.
    pub expires_at: i64,
    pub role: String,
    /// Organisers only: exchange at `/api/auth/refresh` for a new access token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// Sign in as an organiser or judge.
#[utoipa::path(tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = TokenResponse), (status = 401, description = "wrong username or password"),
    (status = 429, description = "too many failed attempts")))]
#[post("/api/auth/login")]
#[tracing::instrument(skip_all, fields(username = %body.username))]
async fn login(state: web::Data<AppState>, req: HttpRequest, body: Json<LoginRequest>) -> ApiResult<HttpResponse> {
    // Failed sign-ins are limited per (address, username); the check comes first so that a
    // guesser learns nothing while waiting.
    let ip = state.client_ip(&req);
    state.signins.check(ip, &body.username)?;
    let wrong = || {
        state.signins.fail(ip, &body.username);
        ApiError::unauthorized("wrong_credentials", "wrong username or password")
    };
    let user = store::accounts::user_by_name(&state.db, &body.username).await?;
    // Verify against a dummy hash when the user is unknown, so timing does not tell.
    let phc = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| DUMMY_HASH.clone());
    let ok = password::verify_blocking(body.password.clone(), phc).await;
    let user = match user {
        Some(u) if ok => u,
        _ => return Err(wrong()),
    };
    let claims = match user.role.as_str() {
        "organiser" => Claims::organiser(user.id, user.token_version, TokenKind::Access),
        "judge" => Claims::judge_account(user.id, user.token_version),
        _ => return Err(wrong()),
    };
    state.signins.succeed(ip, &body.username);
    let refresh_token = match claims.role {
        Role::Organiser => {
            Some(state.keys.sign(&Claims::organiser(user.id, user.token_version, TokenKind::Refresh))?)
        }
        _ => None,
    };
    Ok(HttpResponse::Ok().json(TokenResponse {
        token: state.keys.sign(&claims)?,
        expires_at: claims.exp * 1000,
        role: user.role,
        refresh_token,
    }))
}

/// A hash of a random string, verified against when the username is unknown.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| password::hash(&password::generate()).unwrap_or_default());

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Exchange an organiser's refresh token for a new access token.
#[utoipa::path(tag = "auth", request_body = RefreshRequest, responses((status = 200, body = TokenResponse), (status = 401)))]
#[post("/api/auth/refresh")]
async fn refresh(state: web::Data<AppState>, body: Json<RefreshRequest>) -> ApiResult<HttpResponse> {
    let claims = state.keys.verify(&body.refresh_token)?;
    let (TokenKind::Refresh, Role::Organiser, Some(uid)) = (claims.kind, claims.role, claims.uid) else {
        return Err(ApiError::unauthorized("token_wrong_kind", "send an organiser refresh token"));
    };
    let user = store::accounts::user_by_id(&state.db, uid)
        .await?
        .filter(|u| u.token_version == claims.ver && u.role == "organiser")
        .ok_or_else(|| ApiError::unauthorized("token_revoked", "the token was revoked; sign in again"))?;
    let access = Claims::organiser(user.id, user.token_version, TokenKind::Access);
    Ok(HttpResponse::Ok().json(TokenResponse {
        token: state.keys.sign(&access)?,
        expires_at: access.exp * 1000,
        role: user.role,
        refresh_token: None,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub role: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contest_id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contestant_id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judge_id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_captain: Option<bool>,
}

/// Who the bearer token belongs to.
#[utoipa::path(tag = "auth", responses((status = 200, body = Me), (status = 401)), security(("bearer" = [])))]
#[get("/api/me")]
async fn me(caller: Caller) -> HttpResponse {
    let me = match caller {
        Caller::Organiser(o) => Me {
            role: "organiser".into(),
            name: o.username,
            user_id: Some(o.user_id),
            contest_id: None,
            team_id: None,
            contestant_id: None,
            judge_id: None,
            is_captain: None,
        },
        Caller::Judge(j) => Me {
            role: "judge".into(),
            name: j.name,
            user_id: j.user_id,
            contest_id: j.contest_id,
            team_id: None,
            contestant_id: None,
            judge_id: j.judge_id,
            is_captain: None,
        },
        Caller::Contestant(c) => Me {
            role: "contestant".into(),
            name: c.name,
            user_id: None,
            contest_id: Some(c.contest_id),
            team_id: Some(c.team_id),
            contestant_id: Some(c.contestant_id),
            judge_id: None,
            is_captain: Some(c.is_captain),
        },
    };
    HttpResponse::Ok().json(me)
}
