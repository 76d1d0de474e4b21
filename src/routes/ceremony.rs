//! The public board at the end of the contest: freeze it, reveal it team by team from the
//! bottom up on the projector (the awards ceremony), confirm shared prizes, unfreeze.
//! The rules are in `live::ceremony`; every call answers the staff view of the ceremony.
use actix_web::{HttpResponse, get, post, web};

use crate::auth::Organiser;
use crate::error::ApiResult;
use crate::live::ceremony::{BoardOp, CeremonyView};
use crate::startup::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(board).service(freeze).service(reveal).service(confirm_ties).service(unfreeze);
}

async fn run(state: &AppState, o: &Organiser, cid: i32, op: BoardOp) -> ApiResult<HttpResponse> {
    let h = state.hub.handle(cid).await?;
    Ok(HttpResponse::Ok().json(h.board(&format!("organiser:{}", o.username), op).await?))
}

/// The public board's state: frozen or live, and the ceremony (every team of the frozen
/// board, bottom first, with its prize; how many are revealed).
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), responses((status = 200, body = CeremonyView)), security(("bearer" = [])))]
#[get("/api/contests/{cid}/live/board")]
async fn board(state: web::Data<AppState>, o: Organiser, path: web::Path<i32>) -> ApiResult<HttpResponse> {
    run(&state, &o, path.into_inner(), BoardOp::View).await
}

/// Freeze the public board: the projector and every phone keep the board as it is now
/// (the console and judges keep the live one). Stored and audited; a restart keeps it.
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), responses(
    (status = 200, body = CeremonyView), (status = 409, description = "already frozen")), security(("bearer" = [])))]
#[post("/api/contests/{cid}/live/board/freeze")]
async fn freeze(state: web::Data<AppState>, o: Organiser, path: web::Path<i32>) -> ApiResult<HttpResponse> {
    run(&state, &o, path.into_inner(), BoardOp::Freeze).await
}

/// Reveal the next team of the frozen board, from the bottom up: its rank, name, total and
/// prize go to the projector. 409 `prize_tie_pending` when that team is tied across a
/// prize boundary and the shared prize is not confirmed yet.
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), responses(
    (status = 200, body = CeremonyView), (status = 409, description = "not frozen, every team revealed, or a prize tie to confirm")),
    security(("bearer" = [])))]
#[post("/api/contests/{cid}/live/board/reveal")]
async fn reveal(state: web::Data<AppState>, o: Organiser, path: web::Path<i32>) -> ApiResult<HttpResponse> {
    run(&state, &o, path.into_inner(), BoardOp::Reveal).await
}

/// Confirm that the teams tied at a prize boundary on the frozen board share the prize
/// (đồng giải). Audited.
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), responses(
    (status = 200, body = CeremonyView), (status = 409, description = "not frozen, or no tie at a prize boundary")),
    security(("bearer" = [])))]
#[post("/api/contests/{cid}/live/board/confirm-ties")]
async fn confirm_ties(state: web::Data<AppState>, o: Organiser, path: web::Path<i32>) -> ApiResult<HttpResponse> {
    run(&state, &o, path.into_inner(), BoardOp::ConfirmTies).await
}

/// Unfreeze: the board is live again everywhere.
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), responses(
    (status = 200, body = CeremonyView), (status = 409, description = "not frozen")), security(("bearer" = [])))]
#[post("/api/contests/{cid}/live/board/unfreeze")]
async fn unfreeze(state: web::Data<AppState>, o: Organiser, path: web::Path<i32>) -> ApiResult<HttpResponse> {
    run(&state, &o, path.into_inner(), BoardOp::Unfreeze).await
}
