//! Liveness and readiness probes, Prometheus metrics, and the console's health strip.
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::Organiser;
use crate::error::ApiError;
use crate::startup::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics).service(live_health);
}

/// The process is alive.
#[utoipa::path(tag = "health", responses((status = 200, description = "alive")))]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The database answers.
#[utoipa::path(tag = "health", responses((status = 200, description = "ready"), (status = 503, description = "database unreachable")))]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if crate::db::ping(&state.db).await {
        Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
    } else {
        Err(ApiError::Unavailable(anyhow::anyhow!("database ping failed")))
    }
}

/// Prometheus metrics (text format): requests, sockets, answers, commits, fan-out.
/// Organisers only here; `--metrics-bind` serves them without a token on another address.
#[utoipa::path(tag = "health", responses((status = 200, description = "Prometheus text format"), (status = 401), (status = 403)),
    security(("bearer" = [])))]
#[get("/metrics")]
async fn metrics(state: web::Data<AppState>, _o: Organiser) -> Result<HttpResponse, ApiError> {
    Ok(metrics_text(state).await)
}

/// The metrics, with the gauges read now.
pub async fn metrics_text(state: web::Data<AppState>) -> HttpResponse {
    use crate::monitor as m;
    let Some(handle) = m::handle() else {
        return actix_web::ResponseError::error_response(&ApiError::Unavailable(anyhow::anyhow!(
            "metrics are not recorded by this process"
        )));
    };
    let n = state.hub.observe().await;
    ::metrics::gauge!(m::SOCKETS, "role" => "staff").set(n.staff_sockets as f64);
    ::metrics::gauge!(m::SOCKETS, "role" => "contestant").set(n.phone_sockets as f64);
    ::metrics::gauge!(m::ENGINE_QUEUE).set(n.engine_queue as f64);
    ::metrics::gauge!(m::WRITER_QUEUE).set(n.writer_queue as f64);
    ::metrics::gauge!(m::STORAGE_OK).set(if n.storage_ok { 1.0 } else { 0.0 });
    handle.run_upkeep();
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(handle.render())
}

#[derive(Serialize, ToSchema)]
pub struct LiveHealth {
    /// Unix ms.
    pub server_time: i64,
    pub sockets: Sockets,
    /// Answers stored per second over the last 10 s.
    pub answers_per_s: f64,
    /// When the last group commit ended (Unix ms), and how long it took.
    pub last_commit_at: Option<i64>,
    pub last_commit_ms: f64,
    /// False while answers cannot be stored (the last commit failed: a full disk, a database
    /// that went away); answers are then refused with `storage_unavailable`.
    pub storage_ok: bool,
    /// Bytes free on the filesystem of the data directory.
    pub disk_free_bytes: Option<u64>,
    /// The newest backup in `<data dir>/backups` (Unix ms).
    pub last_backup_at: Option<i64>,
    /// Contests whose live engine is running, and what waits for them.
    pub engines: usize,
    pub engine_queue: usize,
    pub writer_queue: usize,
}

#[derive(Serialize, ToSchema)]
pub struct Sockets {
    pub total: usize,
    /// Organisers, judges, projectors.
    pub staff: usize,
    pub contestants: usize,
}

/// What the console's health strip shows during a live part.
#[utoipa::path(tag = "health", responses((status = 200, body = LiveHealth), (status = 401), (status = 403)),
    security(("bearer" = [])))]
#[get("/api/health/live")]
async fn live_health(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    organiser_even_without_storage(&req, &state).await?;
    let n = state.hub.observe().await;
    let dir = state.settings.data_dir.clone();
    let (disk_free_bytes, last_backup_at) = web::block(move || {
        (crate::monitor::disk_free(&dir), crate::backup::newest(&dir.join(crate::backup::DIR)).map(|b| b.at_ms))
    })
    .await
    .unwrap_or((None, None));
    Ok(HttpResponse::Ok().json(LiveHealth {
        server_time: crate::now_ms(),
        sockets: Sockets {
            total: n.staff_sockets + n.phone_sockets,
            staff: n.staff_sockets,
            contestants: n.phone_sockets,
        },
        answers_per_s: (state.answer_rate.per_second(n.stored) * 10.0).round() / 10.0,
        last_commit_at: n.last_commit_at_ms,
        last_commit_ms: n.last_commit_ms,
        storage_ok: n.storage_ok,
        disk_free_bytes,
        last_backup_at,
        engines: n.engines,
        engine_queue: n.engine_queue,
        writer_queue: n.writer_queue,
    }))
}

/// An organiser's token, checked as [`Organiser`] does. While the database cannot be
/// reached (PostgreSQL gone), the account behind the token cannot be read; then a valid,
/// signed organiser token is enough here, so that the health strip can still say that
/// storage fails. (It shows counts only.)
async fn organiser_even_without_storage(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    use crate::auth::{Role, TokenKind};
    match Organiser::extract(req).await {
        Err(ApiError::StorageUnavailable(e)) => {
            let token = crate::auth::bearer_token(req).ok_or(ApiError::StorageUnavailable(e))?;
            let c = state.keys.verify(&token)?;
            if c.kind == TokenKind::Access && c.role == Role::Organiser && c.uid.is_some() {
                Ok(())
            } else {
                Err(ApiError::forbidden("only organisers may do this"))
            }
        }
        other => other.map(|_| ()),
    }
}
