//! Results that people keep: publishing (and unpublishing) a contest's results, the
//! public results (JSON and the shareable page with its Open Graph tags), the score
//! sheet (XLSX and CSV) and the data of the minutes (biên bản).
//!
//! What is public is the snapshot taken at publication, counting finished parts only
//! (see `crate::results`): until the organiser publishes, and after unpublishing, the
//! public addresses answer 404 exactly as for a contest that does not exist.
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::{Organiser, Staff};
use crate::domain::prizes::PrizeTie;
use crate::entities::result_publications;
use crate::error::{ApiError, ApiResult};
use crate::results::sheet::{self, Table};
use crate::results::{AdjustmentView, Results, Scope, Source};
use crate::routes::Json;
use crate::routes::contests::{contest_or_404, ensure_staff_of};
use crate::startup::AppState;
use crate::store;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(publish)
        .service(unpublish)
        .service(staff_results)
        .service(score_sheet)
        .service(score_csv)
        .service(public_results)
        .service(results_page)
        .service(minutes_page);
}

fn actor(o: &Organiser) -> String {
    format!("organiser:{}", o.username)
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// Confirms that teams tied at a prize boundary share the prize (đồng giải).
    /// Without it, such a tie refuses publication with 409 `prize_tie`.
    #[serde(default)]
    pub confirm_ties: bool,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct Publication {
    pub published_at: i64,
    /// Who published (`organiser:<username>`).
    pub actor: String,
    pub ties_confirmed: bool,
}

#[derive(Serialize, ToSchema)]
pub struct PublishResponse {
    pub publication: Publication,
    /// What the public page now shows.
    pub results: Results,
}

/// Publish the contest's results (again, to refresh them): the snapshot of the finished
/// parts becomes public at `/results/{cid}`. Refused while a part is running, before any
/// part has finished, and — unless `confirm_ties` — when teams are tied at a prize boundary.
#[utoipa::path(tag = "results", params(("cid" = i32, Path)), request_body = PublishRequest, responses(
    (status = 200, body = PublishResponse),
    (status = 409, description = "`part_running`, `no_results`, or `prize_tie` (with the ties in `state.ties`)"),
    (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
#[post("/api/contests/{cid}/results/publish")]
async fn publish(
    state: web::Data<AppState>,
    o: Organiser,
    cid: web::Path<i32>,
    body: Json<PublishRequest>,
) -> ApiResult<HttpResponse> {
    let c = contest_or_404(&state, cid.into_inner()).await?;
    let src = Source::load(&state.db, c).await?;
    if let Some(p) = src.scores.parts.iter().find(|p| p.status == "running") {
        return Err(ApiError::conflict(
            "part_running",
            format!("part {} ({}) is running; publish when it has finished", p.id, p.title),
        ));
    }
    if src.finished_parts().is_empty() {
        return Err(ApiError::conflict("no_results", "no part has finished yet: there are no results to publish"));
    }
    let results = src.results(Scope::FinishedParts, body.confirm_ties);
    if !results.ties.is_empty() && !body.confirm_ties {
        return Err(tie_error(&results.ties));
    }
    let published_at = crate::now_ms();
    let row = result_publications::Model {
        contest_id: src.contest.id,
        published_at,
        actor: actor(&o),
        ties_confirmed: body.confirm_ties,
        snapshot: serde_json::to_string(&results).map_err(ApiError::internal)?,
    };
    let winner = results.rows.first().map(|r| r.team_name.clone());
    let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
    store::results::put(&txn, row.clone()).await?;
    store::live::audit(
        &txn,
        src.contest.id,
        &row.actor,
        "results_publish",
        &json!({ "ties_confirmed": row.ties_confirmed, "ties": results.ties, "parts": results.parts.iter().map(|p| p.part_id).collect::<Vec<_>>(), "first": winner }),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(PublishResponse {
        publication: Publication { published_at, actor: row.actor, ties_confirmed: row.ties_confirmed },
        results,
    }))
}

fn tie_error(ties: &[PrizeTie]) -> ApiError {
    let t = &ties[0];
    ApiError::Conflict {
        code: "prize_tie",
        message: format!(
            "{} teams are tied at rank {} for {} with {} place(s) left: break the tie or publish with confirm_ties",
            t.team_ids.len(),
            t.rank,
            t.prize,
            t.places
        ),
        state: Some(json!({ "ties": ties })),
        reason: None,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnpublishRequest {
    /// Why (kept in the audit log).
    pub reason: String,
}

/// Take the results off the public page, with a reason (audited).
#[utoipa::path(tag = "results", params(("cid" = i32, Path)), request_body = UnpublishRequest, responses(
    (status = 204), (status = 400, description = "no reason"), (status = 409, description = "`not_published`"),
    (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
#[post("/api/contests/{cid}/results/unpublish")]
async fn unpublish(
    state: web::Data<AppState>,
    o: Organiser,
    cid: web::Path<i32>,
    body: Json<UnpublishRequest>,
) -> ApiResult<HttpResponse> {
    let c = contest_or_404(&state, cid.into_inner()).await?;
    let reason = crate::domain::contest::clean(&body.reason);
    if reason.is_empty() {
        return Err(ApiError::invalid("reason", "say why the results are taken down"));
    }
    if reason.chars().count() > 500 {
        return Err(ApiError::invalid("reason", "at most 500 characters"));
    }
    let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
    if !store::results::delete(&txn, c.id).await? {
        return Err(ApiError::conflict("not_published", format!("the results of contest {} are not published", c.id)));
    }
    store::live::audit(&txn, c.id, &actor(&o), "results_unpublish", &json!({ "reason": reason })).await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize, ToSchema)]
pub struct SheetTable {
    /// `…/results/{key}.csv`.
    pub key: String,
    pub title: String,
}

#[derive(Serialize, ToSchema)]
pub struct StaffResults {
    /// Every closed question counts (the staff scoreboard), with prizes as they would be.
    pub current: Results,
    /// The publication, if the results are published.
    pub publication: Option<Publication>,
    /// What the public page shows.
    pub published: Option<Results>,
    pub adjustments: Vec<AdjustmentView>,
    /// Judges of the contest (names).
    pub judges: Vec<String>,
    /// The score sheet's tables, each also as CSV.
    pub tables: Vec<SheetTable>,
}

/// The results as organisers and the contest's judges see them: the current ranking with
/// prizes, the publication, adjustments and judges (what the minutes print).
#[utoipa::path(tag = "results", params(("cid" = i32, Path)), responses((status = 200, body = StaffResults),
    (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
#[get("/api/contests/{cid}/results")]
async fn staff_results(state: web::Data<AppState>, staff: Staff, cid: web::Path<i32>) -> ApiResult<HttpResponse> {
    let cid = cid.into_inner();
    ensure_staff_of(&state, &staff, cid).await?;
    let c = contest_or_404(&state, cid).await?;
    let publication = store::results::get(&state.db, cid).await?;
    let confirmed = publication.as_ref().is_some_and(|p| p.ties_confirmed);
    let src = Source::load(&state.db, c).await?;
    let current = src.results(Scope::Staff, confirmed);
    let tables = sheet::tables(&src, &current).into_iter().map(|t| SheetTable { key: t.key, title: t.title }).collect();
    Ok(HttpResponse::Ok().json(StaffResults {
        published: publication.as_ref().and_then(|p| serde_json::from_str(&p.snapshot).ok()),
        publication: publication.map(|p| Publication {
            published_at: p.published_at,
            actor: p.actor,
            ties_confirmed: p.ties_confirmed,
        }),
        adjustments: src.adjustments(),
        judges: src.judge_names(),
        current,
        tables,
    }))
}

async fn staff_tables(state: &AppState, staff: &Staff, cid: i32) -> ApiResult<(Results, Vec<Table>)> {
    ensure_staff_of(state, staff, cid).await?;
    let c = contest_or_404(state, cid).await?;
    let confirmed = store::results::get(&state.db, cid).await?.is_some_and(|p| p.ties_confirmed);
    let src = Source::load(&state.db, c).await?;
    let results = src.results(Scope::Staff, confirmed);
    let tables = sheet::tables(&src, &results);
    Ok((results, tables))
}

fn attachment(name: &str) -> (header::HeaderName, String) {
    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))
}

/// The score sheet (bảng điểm) as an XLSX workbook: "Tổng hợp" (rank, team, unit, part
/// scores, total, prize), one sheet per part, "Điều chỉnh" (adjustments). Counts every
/// closed question, like the staff scoreboard. Organisers and the contest's judges.
#[utoipa::path(tag = "results", params(("cid" = i32, Path)), responses(
    (status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
#[get("/api/contests/{cid}/results/scores.xlsx")]
async fn score_sheet(state: web::Data<AppState>, staff: Staff, cid: web::Path<i32>) -> ApiResult<HttpResponse> {
    let cid = cid.into_inner();
    let (results, tables) = staff_tables(&state, &staff, cid).await?;
    let bytes = sheet::xlsx(&results, &tables).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header(attachment(&format!("bang-diem-hoi-thi-{cid}.xlsx")))
        .body(bytes))
}

/// One table of the score sheet as CSV (UTF-8 with a byte order mark): `tong-hop`,
/// `phan-1` … `phan-N` (the parts in order), `dieu-chinh`.
#[utoipa::path(tag = "results", params(("cid" = i32, Path), ("table" = String, Path, description = "tong-hop, phan-N or dieu-chinh")),
    responses((status = 200, description = "the table", content_type = "text/csv"),
    (status = 401), (status = 403), (status = 404, description = "no such contest or table")), security(("bearer" = [])))]
#[get("/api/contests/{cid}/results/{table}.csv")]
async fn score_csv(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(i32, String)>,
) -> ApiResult<HttpResponse> {
    let (cid, key) = path.into_inner();
    let (_, tables) = staff_tables(&state, &staff, cid).await?;
    let t = tables.iter().find(|t| t.key == key).ok_or_else(|| ApiError::not_found(format!("no table {key}")))?;
    let bytes = sheet::csv(t).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(attachment(&format!("bang-diem-hoi-thi-{cid}-{key}.csv")))
        .body(bytes))
}

async fn published(state: &AppState, cid: i32) -> ApiResult<Option<Results>> {
    Ok(store::results::get(&state.db, cid).await?.and_then(|p| serde_json::from_str(&p.snapshot).ok()))
}

/// The published results of a contest, for anyone: 404 unless published.
#[utoipa::path(tag = "results", params(("cid" = i32, Path)), responses((status = 200, body = Results),
    (status = 404, description = "no contest, or its results are not published")))]
#[get("/api/public/contests/{cid}/results")]
async fn public_results(state: web::Data<AppState>, cid: web::Path<i32>) -> ApiResult<HttpResponse> {
    let cid = cid.into_inner();
    match published(&state, cid).await? {
        Some(r) => Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-cache")).json(r)),
        None => Err(ApiError::not_found(format!("no published results for contest {cid}"))),
    }
}

/// The `<head>` tags of the public results page: title and Open Graph, every value escaped.
pub fn results_head(r: Option<&Results>, url: &str) -> String {
    use crate::web::escape;
    let Some(r) = r else {
        return "<title>Kết quả hội thi — hoithi</title>\n<meta name=\"robots\" content=\"noindex\">".into();
    };
    let title = format!("Kết quả {}", r.contest.name);
    let winners: Vec<&str> = r
        .rows
        .iter()
        .filter(|x| x.prize.as_ref().is_some_and(|p| p.level == 0))
        .map(|x| x.team_name.as_str())
        .collect();
    let description = match (winners.as_slice(), r.rows.first().and_then(|x| x.prize.as_ref())) {
        ([], _) | (_, None) => format!("{} đội tham gia. {}", r.rows.len(), r.contest.unit),
        (w, Some(p)) => format!("{}: {}. {} đội tham gia.", p.name, w.join(", "), r.rows.len()),
    };
    format!(
        "<title>{t}</title>\n<meta name=\"description\" content=\"{d}\">\n<meta property=\"og:type\" content=\"website\">\n\
         <meta property=\"og:title\" content=\"{t}\">\n<meta property=\"og:description\" content=\"{d}\">\n\
         <meta property=\"og:url\" content=\"{u}\">\n<meta property=\"og:locale\" content=\"vi_VN\">\n\
         <meta name=\"twitter:card\" content=\"summary\">",
        t = escape(&title),
        d = escape(&description),
        u = escape(url)
    )
}

/// The public results page: final ranking with prizes, each team's unit and members, the
/// breakdown per part and a score progression chart. Its `<head>` carries the contest's
/// name and winner as Open Graph tags, so a shared link shows them. 404 (a page saying
/// so) unless the results are published.
#[utoipa::path(tag = "pages", params(("contest_id" = i32, Path)), responses((status = 200, description = "HTML page"),
    (status = 404, description = "HTML page: the results are not published")))]
#[get("/results/{contest_id}")]
async fn results_page(req: HttpRequest, state: web::Data<AppState>, cid: web::Path<String>) -> ApiResult<HttpResponse> {
    let r = match cid.parse::<i32>() {
        Ok(id) => published(&state, id).await?,
        Err(_) => None,
    };
    let info = req.connection_info();
    let url = format!("{}://{}{}", info.scheme(), info.host(), req.path());
    let status = if r.is_some() { StatusCode::OK } else { StatusCode::NOT_FOUND };
    Ok(crate::web::rendered("results/index.html", "<!--head-->", &results_head(r.as_ref(), &url), status))
}

/// The minutes (biên bản) of a contest, a printable A4 page; its data needs an
/// organiser's or the contest's judge's sign-in (fetched by the page with the token).
#[utoipa::path(tag = "pages", params(("contest_id" = i32, Path)), responses((status = 200, description = "HTML page")))]
#[get("/results/{contest_id}/minutes")]
async fn minutes_page(req: HttpRequest, _cid: web::Path<String>) -> HttpResponse {
    crate::web::file(&req, "results/minutes.html")
}
