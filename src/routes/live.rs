//! Running a contest live: the organiser's controls, answers over HTTP (when the socket
//! is down), the scoreboard, score adjustments with their audit trail, and the live
//! WebSocket for every role.
//!
//! Scoreboard visibility: organisers and judges get the full board (every part, every
//! closed question). Contestants get the ranks and totals of all teams counting revealed
//! questions only, plus their own team's per-question results — never another team's.
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::token::{Claims, Role};
use crate::auth::{self as extract, Caller, Contestant, Organiser, Staff};
use crate::domain::ranking::{Board, TieBreak};
use crate::error::{ApiError, ApiResult};
use crate::live::events::{Ack, AnswerRequest, StateView};
use crate::live::fanout::Conn;
use crate::live::scores::Scores;
use crate::live::{Answerer, Control, Holder, Viewer, session};
use crate::routes::Json;
use crate::routes::contests::ensure_staff_of;
use crate::startup::AppState;
use crate::store;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(start_part)
        .service(finish_part)
        .service(next)
        .service(pause)
        .service(resume)
        .service(close)
        .service(reveal)
        .service(void)
        .service(rescue)
        .service(buzzer_open)
        .service(buzzer_mark)
        .service(buzzes)
        .service(live_state)
        .service(answer)
        .service(scoreboard)
        .service(adjust)
        .service(audit)
        .service(tie_breakers)
        .service(projector_link)
        .service(live_ws);
}

/// Another instance relays a request for a contest whose engine runs here (several
/// instances on one PostgreSQL database, see `live::relay`). Not part of the public API:
/// it needs the instances' shared key.
///
/// Registered at `/internal/live/{cid}` (POST) with a body limit of its own,
/// [`MAX_INTERNAL_BYTES`]: a relay sends its answers in batches.
pub async fn internal_live(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<i32>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let key = req.headers().get(crate::live::relay::KEY_HEADER).and_then(|v| v.to_str().ok());
    let cmd: crate::live::relay::RemoteCmd = crate::routes::json::parse(&body)?;
    let v = crate::live::relay::serve(&state.hub, key, path.into_inner(), cmd).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Largest body another instance may send: a batch of up to a thousand answers.
pub const MAX_INTERNAL_BYTES: usize = 4 << 20;

fn actor(o: &Organiser) -> String {
    format!("organiser:{}", o.username)
}

/// Which view a caller gets of a contest, after checking the caller belongs to it.
async fn viewer(state: &AppState, caller: &Caller, contest_id: i32) -> ApiResult<Viewer> {
    match caller {
        Caller::Organiser(_) => Ok(Viewer::Staff),
        Caller::Judge(j) => {
            j.ensure_contest(state, contest_id).await?;
            Ok(Viewer::Staff)
        }
        Caller::Contestant(c) => {
            c.ensure_contest(contest_id)?;
            Ok(Viewer::Team(c.team_id))
        }
    }
}

async fn control(state: &AppState, o: &Organiser, contest_id: i32, op: Control) -> ApiResult<HttpResponse> {
    let h = state.hub.handle(contest_id).await?;
    Ok(HttpResponse::Ok().json(h.control(&actor(o), op).await?))
}

/// Start a part: it becomes the contest's running part (the contest starts running).
#[utoipa::path(tag = "live", params(("cid" = i32, Path), ("pid" = i32, Path)), responses(
    (status = 200, body = StateView), (status = 409, description = "illegal transition; carries the current state")), security(("bearer" = [])))]
#[post("/api/contests/{cid}/parts/{pid}/start")]
async fn start_part(state: web::Data<AppState>, o: Organiser, path: web::Path<(i32, i32)>) -> ApiResult<HttpResponse> {
    let (cid, pid) = path.into_inner();
    control(&state, &o, cid, Control::StartPart(pid)).await
}

/// Finish the running part (no question may be open).
#[utoipa::path(tag = "live", params(("cid" = i32, Path), ("pid" = i32, Path)), responses(
    (status = 200, body = StateView), (status = 409, description = "illegal transition; carries the current state")), security(("bearer" = [])))]
#[post("/api/contests/{cid}/parts/{pid}/finish")]
async fn finish_part(state: web::Data<AppState>, o: Organiser, path: web::Path<(i32, i32)>) -> ApiResult<HttpResponse> {
    let (cid, pid) = path.into_inner();
    control(&state, &o, cid, Control::FinishPart(pid)).await
}

/// Open the next question of the running part (after the part's "get ready" countdown).
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), responses(
    (status = 200, body = StateView), (status = 409, description = "illegal transition; carries the current state")), security(("bearer" = [])))]
#[post("/api/contests/{cid}/live/next")]
async fn next(state: web::Data<AppState>, o: Organiser, path: web::Path<i32>) -> ApiResult<HttpResponse> {
    control(&state, &o, path.into_inner(), Control::Next).await
}

/// Pause the open question; its deadline moves by the length of the pause.
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), responses(
    (status = 200, body = StateView), (status = 409, description = "illegal transition; carries the current state")), security(("bearer" = [])))]
#[post("/api/contests/{cid}/live/pause")]
async fn pause(state: web::Data<AppState>, o: Organiser, path: web::Path<i32>) -> ApiResult<HttpResponse> {
    control(&state, &o, path.into_inner(), Control::Pause).await
}

/// Resume the paused question.
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), responses(
    (status = 200, body = StateView), (status = 409, description = "illegal transition; carries the current state")), security(("bearer" = [])))]
#[post("/api/contests/{cid}/live/resume")]
async fn resume(state: web::Data<AppState>, o: Organiser, path: web::Path<i32>) -> ApiResult<HttpResponse> {
    control(&state, &o, path.into_inner(), Control::Resume).await
}

/// Close the open question before its deadline.
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), responses(
    (status = 200, body = StateView), (status = 409, description = "illegal transition; carries the current state")), security(("bearer" = [])))]
#[post("/api/contests/{cid}/live/close")]
async fn close(state: web::Data<AppState>, o: Organiser, path: web::Path<i32>) -> ApiResult<HttpResponse> {
    control(&state, &o, path.into_inner(), Control::Close).await
}

/// Reveal the closed question's answer and the distribution of answers.
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), responses(
    (status = 200, body = StateView), (status = 409, description = "illegal transition; carries the current state")), security(("bearer" = [])))]
#[post("/api/contests/{cid}/live/reveal")]
async fn reveal(state: web::Data<AppState>, o: Organiser, path: web::Path<i32>) -> ApiResult<HttpResponse> {
    control(&state, &o, path.into_inner(), Control::Reveal).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidRequest {
    /// Defaults to the current question.
    #[serde(default)]
    pub question_id: Option<i32>,
    pub reason: String,
}

/// Void an asked question with a reason; it no longer counts and the scores are recomputed.
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), request_body = VoidRequest, responses(
    (status = 200, body = StateView), (status = 409, description = "illegal transition; carries the current state")), security(("bearer" = [])))]
#[post("/api/contests/{cid}/live/void")]
async fn void(
    state: web::Data<AppState>,
    o: Organiser,
    path: web::Path<i32>,
    body: Json<VoidRequest>,
) -> ApiResult<HttpResponse> {
    let Json(VoidRequest { question_id, reason }) = body;
    control(&state, &o, path.into_inner(), Control::Void { question_id, reason }).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescueRequest {
    /// The eliminated contestants to bring back (or leave empty with `all_last`).
    #[serde(default)]
    pub contestant_ids: Vec<i32>,
    /// Everyone eliminated on the last revealed question.
    #[serde(default)]
    pub all_last: bool,
    pub reason: String,
}

/// Elimination: rescue (cứu trợ) eliminated contestants with a reason (kept in the audit
/// log); they are back in for the next question.
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), request_body = RescueRequest, responses(
    (status = 200, body = StateView), (status = 400, description = "names the field: reason, contestant_ids[i]"),
    (status = 409, description = "illegal transition; carries the current state")), security(("bearer" = [])))]
#[post("/api/contests/{cid}/live/rescue")]
async fn rescue(
    state: web::Data<AppState>,
    o: Organiser,
    path: web::Path<i32>,
    body: Json<RescueRequest>,
) -> ApiResult<HttpResponse> {
    let Json(RescueRequest { contestant_ids, all_last, reason }) = body;
    if contestant_ids.len() > 100_000 {
        return Err(ApiError::invalid("contestant_ids", "at most 100000 contestants"));
    }
    control(&state, &o, path.into_inner(), Control::Rescue { contestant_ids, all_last, reason }).await
}

/// Buzzer part: open the buzzer of the current question now; after a wrong answer this
/// opens the steal window to the other teams (`scoring.buzzer.steal_s`).
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), responses(
    (status = 200, body = StateView), (status = 409, description = "illegal transition; carries the current state")), security(("bearer" = [])))]
#[post("/api/contests/{cid}/live/buzzer/open")]
async fn buzzer_open(state: web::Data<AppState>, o: Organiser, path: web::Path<i32>) -> ApiResult<HttpResponse> {
    control(&state, &o, path.into_inner(), Control::BuzzerOpen).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRequest {
    pub correct: bool,
    /// The team the marker saw with the floor; refused (409) if another team has it.
    #[serde(default)]
    pub team_id: Option<i32>,
}

/// Buzzer part: mark the team with the floor right (the question's points; the question
/// ends) or wrong (minus `scoring.wrong_penalty`; the team is locked out of the question).
/// Organisers and the contest's judges.
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), request_body = MarkRequest, responses(
    (status = 200, body = StateView), (status = 409, description = "nobody has the floor, or another team has it")), security(("bearer" = [])))]
#[post("/api/contests/{cid}/live/buzzer/mark")]
async fn buzzer_mark(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<i32>,
    body: Json<MarkRequest>,
) -> ApiResult<HttpResponse> {
    let cid = path.into_inner();
    ensure_staff_of(&state, &staff, cid).await?;
    let who = match &staff {
        Staff::Organiser(o) => actor(o),
        Staff::Judge(j) => format!("judge:{}", j.name),
    };
    let Json(MarkRequest { correct, team_id }) = body;
    let h = state.hub.handle(cid).await?;
    Ok(HttpResponse::Ok().json(h.control(&who, Control::BuzzerMark { team_id, correct }).await?))
}

/// A stored press of the buzzer.
#[derive(Serialize, ToSchema)]
pub struct StoredPress {
    pub part_question_id: i32,
    pub round: i32,
    /// The server's receive order within the question.
    pub seq: i64,
    pub team_id: i32,
    pub contestant_id: i32,
    pub received_at: i64,
    pub false_start: bool,
}

/// Every stored press of the buzzer in the contest, question by question, in the server's
/// receive order (organisers and judges).
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), responses((status = 200, body = Vec<StoredPress>)), security(("bearer" = [])))]
#[get("/api/contests/{cid}/live/buzzes")]
async fn buzzes(state: web::Data<AppState>, staff: Staff, path: web::Path<i32>) -> ApiResult<HttpResponse> {
    let cid = path.into_inner();
    ensure_staff_of(&state, &staff, cid).await?;
    let rows = store::buzzer::presses_of_contest(&state.db, cid).await?;
    let out: Vec<StoredPress> = rows
        .into_iter()
        .map(|b| StoredPress {
            part_question_id: b.part_question_id,
            round: b.round,
            seq: b.seq,
            team_id: b.team_id,
            contestant_id: b.contestant_id,
            received_at: b.received_at,
            false_start: b.false_start,
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

/// The live state as the caller may see it (contestants also get their team's answer).
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), responses((status = 200, body = StateView)), security(("bearer" = [])))]
#[get("/api/contests/{cid}/live")]
async fn live_state(state: web::Data<AppState>, caller: Caller, path: web::Path<i32>) -> ApiResult<HttpResponse> {
    let cid = path.into_inner();
    let v = viewer(&state, &caller, cid).await?;
    let h = state.hub.handle(cid).await?;
    Ok(HttpResponse::Ok().json(h.state(v).await?))
}

/// Answer the open question over HTTP (when the WebSocket is down). The same
/// `submission_id` sent again is counted once and gets the same ack.
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), request_body = AnswerRequest, responses(
    (status = 200, body = Ack, description = "stored durably"),
    (status = 409, description = "deadline_passed, no_open_question, question_not_open, paused, star_used …"),
    (status = 503, description = "storage_unavailable: nothing was stored (full disk, database unreachable); send the same submission_id again after Retry-After")),
    security(("bearer" = [])))]
#[post("/api/contests/{cid}/answers")]
async fn answer(
    state: web::Data<AppState>,
    c: Contestant,
    path: web::Path<i32>,
    body: Json<AnswerRequest>,
) -> ApiResult<HttpResponse> {
    let cid = path.into_inner();
    c.ensure_contest(cid)?;
    let h = state.hub.handle(cid).await?;
    let by = Answerer { contestant_id: c.contestant_id, team_id: c.team_id, is_captain: c.is_captain };
    Ok(HttpResponse::Ok().json(h.answer(by, body.0).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct BoardQuery {
    /// Staff only: rebuild the board from the stored answers and adjustments instead of
    /// the live engine's running tally.
    #[serde(default)]
    pub recompute: bool,
}

/// The scoreboard: full for organisers and judges; ranks, totals and the own team's
/// details for contestants.
#[utoipa::path(tag = "live", params(("cid" = i32, Path), BoardQuery), responses((status = 200, description = "{board, detail} for staff (detail: every question, each team's points per question, the adjustments), {rows, team} for contestants")), security(("bearer" = [])))]
#[get("/api/contests/{cid}/scoreboard")]
async fn scoreboard(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i32>,
    q: web::Query<BoardQuery>,
) -> ApiResult<HttpResponse> {
    let cid = path.into_inner();
    let v = viewer(&state, &caller, cid).await?;
    if q.recompute {
        if v != Viewer::Staff {
            return Err(ApiError::forbidden("only organisers and judges may recompute the board"));
        }
        if store::live::contest(&state.db, cid).await?.is_none() {
            return Err(ApiError::not_found(format!("no contest {cid}")));
        }
        let board: Board = Scores::load(&state.db, cid).await?.board(true);
        return Ok(HttpResponse::Ok().json(serde_json::json!({ "board": board })));
    }
    let h = state.hub.handle(cid).await?;
    Ok(HttpResponse::Ok().json(h.scoreboard(v).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustRequest {
    pub team_id: i32,
    /// The part whose score changes; none for the contest total.
    #[serde(default)]
    pub part_id: Option<i32>,
    /// Points added (negative to take away).
    pub delta: f64,
    /// Why (e.g. the outcome of a phúc khảo).
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct AdjustResponse {
    pub adjustment_id: i32,
    pub team_id: i32,
    pub part_id: Option<i32>,
    pub delta: f64,
    pub reason: String,
    pub old_total: f64,
    pub new_total: f64,
}

/// Correct a team's score with a reason; the audit log keeps who, when, why, old and new.
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), request_body = AdjustRequest, responses(
    (status = 200, body = AdjustResponse), (status = 400, description = "bad team, part, delta or reason")), security(("bearer" = [])))]
#[post("/api/contests/{cid}/adjustments")]
async fn adjust(
    state: web::Data<AppState>,
    o: Organiser,
    path: web::Path<i32>,
    body: Json<AdjustRequest>,
) -> ApiResult<HttpResponse> {
    let h = state.hub.handle(path.into_inner()).await?;
    let Json(AdjustRequest { team_id, part_id, delta, reason }) = body;
    Ok(HttpResponse::Ok().json(h.adjust(&actor(&o), team_id, part_id, delta, reason).await?))
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub actor: String,
    pub action: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub created_at: i64,
}

/// The contest's audit log, oldest first.
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), responses((status = 200, body = Vec<AuditEntry>)), security(("bearer" = [])))]
#[get("/api/contests/{cid}/audit")]
async fn audit(state: web::Data<AppState>, _o: Organiser, path: web::Path<i32>) -> ApiResult<HttpResponse> {
    let cid = path.into_inner();
    if store::live::contest(&state.db, cid).await?.is_none() {
        return Err(ApiError::not_found(format!("no contest {cid}")));
    }
    let rows = store::live::audit_of_contest(&state.db, cid).await?;
    let out: Vec<AuditEntry> = rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            actor: r.actor,
            action: r.action,
            detail: serde_json::from_str(&r.detail).unwrap_or(serde_json::Value::String(r.detail)),
            created_at: r.created_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TieBreakersRequest {
    pub tie_breakers: Vec<TieBreak>,
}

/// Set the tie-breakers of the contest's ranking (default: total answer time).
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), request_body = TieBreakersRequest, responses((status = 204)), security(("bearer" = [])))]
#[put("/api/contests/{cid}/tie-breakers")]
async fn tie_breakers(
    state: web::Data<AppState>,
    o: Organiser,
    path: web::Path<i32>,
    body: Json<TieBreakersRequest>,
) -> ApiResult<HttpResponse> {
    if body.tie_breakers.len() > 8 {
        return Err(ApiError::invalid("tie_breakers", "at most 8 tie-breakers"));
    }
    let h = state.hub.handle(path.into_inner()).await?;
    h.set_tie_breakers(&actor(&o), body.0.tie_breakers).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct LiveQuery {
    /// Organisers and judges with an account: which contest to follow.
    pub contest_id: Option<i32>,
    /// The bearer token, for browsers that cannot set headers on a WebSocket.
    pub token: Option<String>,
}

/// The live WebSocket. Contestants and invited judges follow their own contest;
/// organisers and judge accounts name it with `?contest_id=`.
#[utoipa::path(tag = "live", params(LiveQuery), responses(
    (status = 101, description = "switching to the WebSocket protocol"), (status = 401)), security(("bearer" = [])))]
#[get("/api/live")]
async fn live_ws(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    q: web::Query<LiveQuery>,
) -> ApiResult<HttpResponse> {
    let token = extract::bearer_token(&req)
        .ok_or_else(|| ApiError::unauthorized("token_missing", "sign in first: no bearer token was sent"))?;
    let mark = state.hub.revocation_mark();
    let claims = state.keys.verify(&token)?;
    if claims.role == Role::Audience {
        return audience_ws(req, body, &state, claims.cid.unwrap_or_default()).await;
    }
    let caller = extract::resolve(&state, &claims).await?;
    let (contest_id, who) = match &caller {
        Caller::Contestant(c) => (
            c.contest_id,
            Some(Answerer { contestant_id: c.contestant_id, team_id: c.team_id, is_captain: c.is_captain }),
        ),
        Caller::Judge(j) if j.contest_id.is_some() => (j.contest_id.unwrap_or_default(), None),
        _ => (q.contest_id.ok_or_else(|| ApiError::invalid("contest_id", "say which contest to follow"))?, None),
    };
    let v = viewer(&state, &caller, contest_id).await?;
    let holder = match &caller {
        Caller::Contestant(c) => Holder { contest_id, contestant_id: Some(c.contestant_id), ..Holder::default() },
        Caller::Judge(j) => Holder { contest_id, judge_id: j.judge_id, judge_user_id: j.user_id, ..Holder::default() },
        Caller::Organiser(_) => Holder { contest_id, ..Holder::default() },
    };
    let (res, session, stream) = actix_ws::handle(&req, body)
        .map_err(|e| ApiError::bad_request("not_a_websocket", format!("open this URL as a WebSocket: {e}")))?;
    let id = state.hub.socket_id();
    let (h, kick) = subscribe(&state, contest_id, id, |kick| Conn::new(session.clone(), v, holder, kick)).await?;
    // A revocation made while the token was being checked did not find this socket yet.
    if state.hub.revoked_since(mark, &holder) {
        h.unsubscribe(id);
        actix_web::rt::spawn(session.close(Some(session::close_reason(session::REVOKED_REASON))));
        return Ok(res);
    }
    let ctx = session::Ctx { handle: h, viewer: v, who, id, kick, silence_limit: state.settings.ws_silence() };
    actix_web::rt::spawn(session::run(session, stream, ctx));
    Ok(res)
}

/// How long a new socket waits for its contest when the instance running it cannot be
/// reached (several instances: the owner just died and its lease has not run out yet).
const WAIT_FOR_OWNER: std::time::Duration = std::time::Duration::from_secs(6);

/// Subscribes a new socket to its contest's frames. With several instances, a socket that
/// arrives while the contest's owner is gone waits (its upgrade is answered late) until
/// another instance has taken the contest over, instead of being refused: refused phones
/// back off further at each try (`web/shared/live.js`) and came back seconds after the
/// takeover (BENCHMARKS.md, "Failover").
async fn subscribe(
    state: &AppState,
    contest_id: i32,
    id: u64,
    conn: impl Fn(tokio::sync::oneshot::Sender<&'static str>) -> Conn,
) -> ApiResult<(crate::live::Handle, tokio::sync::oneshot::Receiver<&'static str>)> {
    let started = std::time::Instant::now();
    let later = |e: &ApiError| {
        state.hub.cluster().is_some()
            && started.elapsed() < WAIT_FOR_OWNER
            && matches!(e, ApiError::Unavailable(_) | ApiError::Relayed { status: 503, .. })
    };
    loop {
        let (kick_tx, kick) = tokio::sync::oneshot::channel();
        let tried = match state.hub.handle(contest_id).await {
            Ok(h) => h.subscribe(id, conn(kick_tx)).await.map(|()| h),
            Err(e) => Err(e),
        };
        match tried {
            Ok(h) => return Ok((h, kick)),
            Err(e) if later(&e) => tokio::time::sleep(std::time::Duration::from_millis(250)).await,
            Err(e) => return Err(e),
        }
    }
}

/// The projector's socket: the audience's view of one contest, with no one behind it to
/// revoke (the link shows only what the hall sees anyway).
async fn audience_ws(
    req: HttpRequest,
    body: web::Payload,
    state: &AppState,
    contest_id: i32,
) -> ApiResult<HttpResponse> {
    if store::live::contest(&state.db, contest_id).await?.is_none() {
        return Err(ApiError::not_found(format!("no contest {contest_id}")));
    }
    let (res, session, stream) = actix_ws::handle(&req, body)
        .map_err(|e| ApiError::bad_request("not_a_websocket", format!("open this URL as a WebSocket: {e}")))?;
    let id = state.hub.socket_id();
    let holder = Holder { contest_id, ..Holder::default() };
    let (h, kick) =
        subscribe(state, contest_id, id, |kick| Conn::new(session.clone(), Viewer::Audience, holder, kick)).await?;
    let ctx = session::Ctx {
        handle: h,
        viewer: Viewer::Audience,
        who: None,
        id,
        kick,
        silence_limit: state.settings.ws_silence(),
    };
    actix_web::rt::spawn(session::run(session, stream, ctx));
    Ok(res)
}

#[derive(Serialize, ToSchema)]
pub struct ProjectorLink {
    /// A view-only token: it opens `GET /api/live` as the audience and nothing else.
    pub token: String,
    /// The projector page with the token in the fragment (never sent to a server or a log).
    pub path: String,
    pub expires_at: i64,
}

/// The hall's projector link: the live screen as the audience sees it (no join codes, no
/// answer before the reveal, no team's details), for a laptop that holds no organiser power.
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), responses((status = 200, body = ProjectorLink)), security(("bearer" = [])))]
#[post("/api/contests/{cid}/projector")]
async fn projector_link(state: web::Data<AppState>, _o: Organiser, path: web::Path<i32>) -> ApiResult<HttpResponse> {
    let cid = path.into_inner();
    if store::live::contest(&state.db, cid).await?.is_none() {
        return Err(ApiError::not_found(format!("no contest {cid}")));
    }
    Ok(HttpResponse::Ok().json(projector_link_for(&state, cid)?))
}

/// Signs a view-only projector link for contest `cid`.
pub(crate) fn projector_link_for(state: &AppState, cid: i32) -> ApiResult<ProjectorLink> {
    let claims = Claims::audience(cid);
    let token = state.keys.sign(&claims)?;
    Ok(ProjectorLink { path: format!("/projector/{cid}#token={token}"), token, expires_at: claims.exp * 1000 })
}
