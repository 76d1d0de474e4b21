//! Auth extractors. A handler that takes `Organiser` cannot be reached without a valid,
//! unrevoked organiser token; the same for `Judge` and `Contestant`. `Staff` accepts an
//! organiser or a judge, `Caller` anyone signed in.
//!
//! Every request re-reads the row that can revoke its token (user, judge, contestant or
//! contest), so removing a contestant, resetting a judge or closing a contest takes
//! effect at once.
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use futures_util::future::LocalBoxFuture;

use super::token::{Claims, Role, TokenKind};
use crate::error::ApiError;
use crate::startup::AppState;
use crate::store;

#[derive(Debug, Clone)]
pub struct Organiser {
    pub user_id: i32,
    pub username: String,
}

#[derive(Debug, Clone)]
pub struct Judge {
    /// Account of a judge who signs in with a password.
    pub user_id: Option<i32>,
    /// Judge row of an invitation, bound to `contest_id`.
    pub judge_id: Option<i32>,
    pub contest_id: Option<i32>,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Contestant {
    pub contestant_id: i32,
    pub team_id: i32,
    pub contest_id: i32,
    pub name: String,
    pub is_captain: bool,
}

/// An organiser or a judge.
#[derive(Debug, Clone)]
pub enum Staff {
    Organiser(Organiser),
    Judge(Judge),
}

/// Anyone with a valid token.
#[derive(Debug, Clone)]
pub enum Caller {
    Organiser(Organiser),
    Judge(Judge),
    Contestant(Contestant),
}

impl Contestant {
    /// Refuses a token bound to another contest.
    pub fn ensure_contest(&self, contest_id: i32) -> Result<(), ApiError> {
        if self.contest_id == contest_id {
            Ok(())
        } else {
            Err(ApiError::unauthorized("token_wrong_contest", "the token belongs to another contest"))
        }
    }
}

impl Judge {
    /// An invited judge is bound to one contest; a judge account must be assigned to it.
    pub async fn ensure_contest(&self, state: &AppState, contest_id: i32) -> Result<(), ApiError> {
        match (self.contest_id, self.user_id) {
            (Some(c), _) if c == contest_id => Ok(()),
            (Some(_), _) => Err(ApiError::unauthorized("token_wrong_contest", "the token belongs to another contest")),
            (None, Some(uid)) if store::accounts::judge_assigned(&state.db, uid, contest_id).await? => Ok(()),
            _ => Err(ApiError::forbidden("this judge is not a judge of that contest")),
        }
    }
}

/// The bearer token of a request: `Authorization: Bearer …`, or `?token=` on the live
/// WebSocket (browsers cannot set headers there).
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    if let Some(h) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        let h = h.to_str().ok()?;
        let (scheme, token) = h.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned());
    }
    if req.path() == "/api/live" {
        let q = web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string()).ok()?;
        return q.get("token").cloned();
    }
    None
}

async fn authenticate(state: web::Data<AppState>, token: Option<String>) -> Result<Caller, ApiError> {
    let token =
        token.ok_or_else(|| ApiError::unauthorized("token_missing", "sign in first: no bearer token was sent"))?;
    let claims = state.keys.verify(&token)?;
    resolve(&state, &claims).await
}

/// Turns verified claims into a caller, checking that the token was not revoked.
pub async fn resolve(state: &AppState, c: &Claims) -> Result<Caller, ApiError> {
    let revoked = || ApiError::unauthorized("token_revoked", "the token was revoked; sign in or join again");
    if c.kind != TokenKind::Access {
        return Err(ApiError::unauthorized("token_wrong_kind", "a refresh token cannot be used to call the API"));
    }
    match c.role {
        Role::Organiser | Role::Judge if c.uid.is_some() => {
            let uid = c.uid.unwrap_or_default();
            let user = store::accounts::user_by_id(&state.db, uid).await?.ok_or_else(revoked)?;
            if user.token_version != c.ver || user.role != role_name(c.role) {
                return Err(revoked());
            }
            Ok(match c.role {
                Role::Organiser => Caller::Organiser(Organiser { user_id: user.id, username: user.username }),
                _ => Caller::Judge(Judge {
                    user_id: Some(user.id),
                    judge_id: None,
                    contest_id: None,
                    name: user.username,
                }),
            })
        }
        Role::Judge => {
            let (Some(jid), Some(cid)) = (c.jid, c.cid) else { return Err(revoked()) };
            let judge = store::accounts::judge_by_id(&state.db, jid).await?.ok_or_else(revoked)?;
            if judge.token_version != c.ver || judge.contest_id != cid {
                return Err(revoked());
            }
            Ok(Caller::Judge(Judge {
                user_id: None,
                judge_id: Some(jid),
                contest_id: Some(cid),
                name: judge.display_name,
            }))
        }
        Role::Contestant => {
            let (Some(xid), Some(tid), Some(cid)) = (c.xid, c.tid, c.cid) else { return Err(revoked()) };
            let (person, contest_ver) =
                store::accounts::contestant_with_contest_version(&state.db, xid).await?.ok_or_else(revoked)?;
            if person.revoked || person.team_id != tid || person.contest_id != cid || contest_ver != c.ver {
                return Err(revoked());
            }
            Ok(Caller::Contestant(Contestant {
                contestant_id: xid,
                team_id: tid,
                contest_id: cid,
                name: person.name,
                is_captain: person.is_captain,
            }))
        }
        Role::Organiser => Err(revoked()),
        Role::Audience => Err(ApiError::forbidden("a projector link only follows the live screen (GET /api/live)")),
    }
}

pub fn role_name(r: Role) -> &'static str {
    match r {
        Role::Organiser => "organiser",
        Role::Judge => "judge",
        Role::Contestant => "contestant",
        Role::Audience => "audience",
    }
}

fn extract<T: 'static>(
    req: &HttpRequest,
    pick: fn(Caller) -> Result<T, ApiError>,
) -> LocalBoxFuture<'static, Result<T, ApiError>> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let token = bearer_token(req);
    Box::pin(async move {
        let state = state.ok_or_else(|| ApiError::internal(anyhow::anyhow!("application state missing")))?;
        pick(authenticate(state, token).await?)
    })
}

fn not_allowed(who: &str) -> ApiError {
    ApiError::forbidden(format!("only {who} may do this"))
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        extract(req, Ok)
    }
}

impl FromRequest for Organiser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        extract(req, |c| match c {
            Caller::Organiser(o) => Ok(o),
            _ => Err(not_allowed("organisers")),
        })
    }
}

impl FromRequest for Judge {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        extract(req, |c| match c {
            Caller::Judge(j) => Ok(j),
            _ => Err(not_allowed("judges")),
        })
    }
}

impl FromRequest for Contestant {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        extract(req, |c| match c {
            Caller::Contestant(x) => Ok(x),
            _ => Err(not_allowed("contestants")),
        })
    }
}

impl FromRequest for Staff {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        extract(req, |c| match c {
            Caller::Organiser(o) => Ok(Staff::Organiser(o)),
            Caller::Judge(j) => Ok(Staff::Judge(j)),
            Caller::Contestant(_) => Err(not_allowed("organisers and judges")),
        })
    }
}
