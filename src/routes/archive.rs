//! Contest archives over HTTP: export a contest's full record as one JSON file, import
//! one as a new contest, and the background jobs that do either for big contests while
//! the console shows their progress (see `crate::archive`).
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::archive::jobs::{JobKind, JobView, Progress};
use crate::archive::{self, Archive, MAX_ARCHIVE_BYTES, check, export, import};
use crate::auth::Organiser;
use crate::error::{ApiError, ApiResult};
use crate::routes::contests::{ContestView, contest_or_404, view};
use crate::startup::AppState;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(export_archive)
        .service(start_export)
        .service(import_archive)
        .service(start_import)
        .service(job_status)
        .service(job_file);
}

fn actor(o: &Organiser) -> String {
    format!("organiser:{}", o.username)
}

fn attachment(name: &str) -> (header::HeaderName, String) {
    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))
}

/// CPU-heavy work (parsing or writing tens of megabytes of JSON) off the HTTP workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> ApiResult<T> + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(ApiError::internal)?
}

/// The contest's full record as one JSON file (`schema: "hoithi-archive/1"`):
/// configuration, teams and members, judges, the questions as asked, every answer with
/// its server time, adjustments, the audit log, the publication and the board. For a big
/// contest use the job (`POST …/archive/jobs`), which shows progress.
#[utoipa::path(tag = "archive", params(("cid" = i32, Path)), responses(
    (status = 200, description = "the archive, as an attachment", body = Archive),
    (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
#[get("/api/contests/{cid}/archive")]
async fn export_archive(state: web::Data<AppState>, o: Organiser, cid: web::Path<i32>) -> ApiResult<HttpResponse> {
    let cid = cid.into_inner();
    let a = export::export(&state.db, cid, &actor(&o), &Progress::none()).await?;
    let bytes = blocking(move || export::to_bytes(&a)).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(attachment(&export::file_name(cid)))
        .body(bytes))
}

/// Exports the contest in the background: answers 202 with the job; poll
/// `GET /api/jobs/{id}` until `state` is `done`, then download its `file`.
#[utoipa::path(tag = "archive", params(("cid" = i32, Path)), responses(
    (status = 202, body = JobView), (status = 409, description = "`busy`: too many jobs running"),
    (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
#[post("/api/contests/{cid}/archive/jobs")]
async fn start_export(state: web::Data<AppState>, o: Organiser, cid: web::Path<i32>) -> ApiResult<HttpResponse> {
    let c = contest_or_404(&state, cid.into_inner()).await?;
    let job = state.jobs.start(JobKind::Export, &actor(&o), Some(c.id))?;
    let (db, who, j) = (state.db.clone(), actor(&o), job.clone());
    let task = async move {
        let p = Progress::of(&j);
        let run = async {
            let a = export::export(&db, c.id, &who, &p).await?;
            p.phase("serializing");
            blocking(move || export::to_bytes(&a)).await
        };
        match run.await {
            Ok(bytes) => j.finish(Some((export::file_name(c.id), bytes.into())), None),
            Err(e) => j.fail(&e),
        }
    };
    if let Err(e) = archive::jobs::spawn(task) {
        job.fail(&e);
        return Err(e);
    }
    Ok(HttpResponse::Accepted().json(job.view()))
}

#[derive(Serialize, ToSchema)]
pub struct Imported {
    /// The new contest (closed, with `imported_from`).
    pub contest: ContestView,
}

/// Reads an archive from the body (at most 512 MB): JSON, checked whole.
async fn read_archive(payload: web::Payload) -> ApiResult<Archive> {
    let body = crate::routes::teams::read_body(payload, MAX_ARCHIVE_BYTES, "archive").await?;
    blocking(move || check::parse(&body)).await
}

/// Imports an archive as a new contest: new ids, the same name, record and results,
/// marked as imported and closed (it cannot run again). All or nothing: a different
/// schema version, malformed JSON, a reference to a record the archive does not hold or
/// results that do not add up are refused with 400, `field` naming the place
/// (`answers[17].team`, `results.rows[2].total`), and nothing is imported.
#[utoipa::path(tag = "archive", request_body(content = Archive, content_type = "application/json"), responses(
    (status = 201, body = Imported),
    (status = 400, description = "`invalid_input` with `field` the place in the archive and `reason` (`unsupported_schema`, `unknown_reference`, `duplicate_id`, `results_mismatch`, …); `malformed_json`"),
    (status = 409, description = "`contest_running` (SQLite: import when no contest runs)"),
    (status = 413), (status = 401), (status = 403)), security(("bearer" = [])))]
#[post("/api/archives")]
async fn import_archive(state: web::Data<AppState>, o: Organiser, payload: web::Payload) -> ApiResult<HttpResponse> {
    let a = read_archive(payload).await?;
    let c = import::import(&state.db, a, &actor(&o), &Progress::none()).await?;
    Ok(HttpResponse::Created().json(Imported { contest: view(&state, c).await? }))
}

/// Imports an archive in the background: the body is read and its JSON parsed first (a
/// malformed one or another schema version is refused at once, 400), then 202 with the
/// job; its `error` says why it failed, as `POST /api/archives` would, and its
/// `contest_id` is the new contest once `done`.
#[utoipa::path(tag = "archive", request_body(content = Archive, content_type = "application/json"), responses(
    (status = 202, body = JobView), (status = 400), (status = 409, description = "`busy`"), (status = 413),
    (status = 401), (status = 403)), security(("bearer" = [])))]
#[post("/api/archives/jobs")]
async fn start_import(state: web::Data<AppState>, o: Organiser, payload: web::Payload) -> ApiResult<HttpResponse> {
    let a = read_archive(payload).await?;
    let job = state.jobs.start(JobKind::Import, &actor(&o), None)?;
    let (db, who, j) = (state.db.clone(), actor(&o), job.clone());
    let task = async move {
        match import::import(&db, a, &who, &Progress::of(&j)).await {
            Ok(c) => j.finish(None, Some(c.id)),
            Err(e) => j.fail(&e),
        }
    };
    if let Err(e) = archive::jobs::spawn(task) {
        job.fail(&e);
        return Err(e);
    }
    Ok(HttpResponse::Accepted().json(job.view()))
}

fn job_or_404(state: &AppState, id: &str) -> ApiResult<std::sync::Arc<archive::jobs::Job>> {
    state.jobs.get(id).ok_or_else(|| {
        ApiError::not_found(format!("no job {id} (finished jobs are kept 30 minutes, and a restart forgets them)"))
    })
}

/// A background export or import: its state, progress (`done` of `total` records) and,
/// when finished, the file to download or the new contest; or why it failed.
#[utoipa::path(tag = "archive", params(("id" = String, Path)), responses((status = 200, body = JobView),
    (status = 404, description = "no such job (a restart forgets them)"), (status = 401), (status = 403)),
    security(("bearer" = [])))]
#[get("/api/jobs/{id}")]
async fn job_status(state: web::Data<AppState>, _o: Organiser, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(job_or_404(&state, &id)?.view()))
}

/// The file of a finished export.
#[utoipa::path(tag = "archive", params(("id" = String, Path)), responses(
    (status = 200, description = "the archive, as an attachment", body = Archive),
    (status = 404, description = "no such job"), (status = 409, description = "`not_ready`: still running or failed"),
    (status = 401), (status = 403)), security(("bearer" = [])))]
#[get("/api/jobs/{id}/file")]
async fn job_file(state: web::Data<AppState>, _o: Organiser, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let j = job_or_404(&state, &id)?;
    let (name, bytes) =
        j.file().ok_or_else(|| ApiError::conflict("not_ready", format!("job {} has no file (yet)", j.id)))?;
    Ok(HttpResponse::Ok().content_type("application/json").insert_header(attachment(&name)).body(bytes))
}
