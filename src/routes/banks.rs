//! The organiser's question banks: list, search, create, edit and retire questions,
//! import and export spreadsheets, choose or draw a part's questions. Study mode
//! (documents only, never a question or an answer) is open to anyone signed in.
use std::collections::{HashMap, HashSet};

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, put, web};
use futures_util::StreamExt;
use rand::Rng;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Caller, Organiser};
use crate::bank::draw::{self, Candidate, Quota};
use crate::bank::format::{self, AnswerValue, Draft};
use crate::bank::{export, import};
use crate::domain::question::{Question, QuestionKind, Source};
use crate::entities::{banks, questions};
use crate::error::{ApiError, ApiResult};
use crate::routes::Json;
use crate::startup::AppState;
use crate::store;
use crate::store::banks::QuestionFilter;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(template)
        .service(import_file)
        .service(list_banks)
        .service(get_bank)
        .service(list_questions)
        .service(get_question)
        .service(create_question)
        .service(edit_question)
        .service(retire_question)
        .service(restore_question)
        .service(export_bank)
        .service(list_documents)
        .service(get_document)
        .service(get_part_questions)
        .service(set_part_questions)
        .service(draw_part_questions)
        .service(list_draws);
}

#[derive(Serialize, ToSchema)]
pub struct BankView {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub campaign: String,
    pub year: String,
    /// `shipped` (from question_banks/) or `organiser` (imported or created here).
    pub origin: String,
    /// Questions not retired.
    pub questions: u64,
}

#[derive(Serialize, ToSchema)]
pub struct SectionView {
    pub id: String,
    pub title: String,
}

#[derive(Serialize, ToSchema)]
pub struct DocumentMeta {
    pub id: String,
    pub title: String,
    pub publisher: String,
    pub date: String,
    pub author: String,
}

#[derive(Serialize, ToSchema)]
pub struct DocumentView {
    #[serde(flatten)]
    pub meta: DocumentMeta,
    pub body: String,
}

#[derive(Serialize, ToSchema)]
pub struct BankDetail {
    #[serde(flatten)]
    pub bank: BankView,
    pub sections: Vec<SectionView>,
    pub documents: Vec<DocumentMeta>,
}

/// A question with its answer, for organisers.
#[derive(Serialize, ToSchema)]
pub struct QuestionView {
    /// Database id (used by part question lists and draws).
    pub id: i32,
    pub bank_id: i32,
    /// Stable id within the bank.
    pub qid: String,
    pub section: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub difficulty: u8,
    pub points: f64,
    pub time_limit_s: u32,
    pub prompt: String,
    pub options: Vec<String>,
    /// As written in bank files: a letter, letters, a boolean or a number; absent for short_text.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub answer: Option<AnswerValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The solution with 0-based option indexes (what grading uses).
    #[schema(value_type = Object)]
    pub solution: Value,
    pub explanation: String,
    pub tags: Vec<String>,
    #[schema(value_type = Object)]
    pub source: Source,
    /// Groups of questions that answer each other: two of a group never meet in a contest.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Ids of questions of the bank that must not meet this one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub excludes: Vec<String>,
    pub version: i32,
    pub retired: bool,
    pub updated_at: i64,
}

fn view(m: &questions::Model, q: &Question) -> QuestionView {
    let d = format::draft_of(q);
    QuestionView {
        id: m.id,
        bank_id: m.bank_id,
        qid: q.qid.clone(),
        section: q.section.clone(),
        kind: q.kind().as_str().to_owned(),
        difficulty: q.difficulty,
        points: q.points,
        time_limit_s: q.time_limit_s,
        prompt: q.prompt.clone(),
        options: q.options.clone(),
        answer: d.answer,
        accepted: d.accepted,
        tolerance: d.tolerance,
        unit: q.unit.clone(),
        solution: serde_json::to_value(&q.solution).unwrap_or(Value::Null),
        explanation: q.explanation.clone(),
        tags: q.tags.clone(),
        source: q.source.clone(),
        groups: q.groups.clone(),
        excludes: q.excludes.clone(),
        version: m.version,
        retired: m.retired,
        updated_at: m.updated_at,
    }
}

async fn bank_or_404(state: &AppState, id: i32) -> ApiResult<banks::Model> {
    store::banks::bank_by_id(&state.db, id).await?.ok_or_else(|| ApiError::not_found(format!("no bank {id}")))
}

async fn bank_view(state: &AppState, b: banks::Model) -> ApiResult<BankView> {
    let n = store::banks::count_questions(&state.db, b.id).await?;
    Ok(BankView {
        id: b.id,
        slug: b.slug,
        title: b.title,
        campaign: b.campaign,
        year: b.year,
        origin: b.origin,
        questions: n,
    })
}

/// List question banks.
#[utoipa::path(tag = "banks", responses((status = 200, body = Vec<BankView>)), security(("bearer" = [])))]
#[get("/api/banks")]
async fn list_banks(state: web::Data<AppState>, _o: Organiser) -> ApiResult<HttpResponse> {
    let mut out = Vec::new();
    for b in store::banks::list_banks(&state.db).await? {
        out.push(bank_view(&state, b).await?);
    }
    Ok(HttpResponse::Ok().json(out))
}

/// A bank with its sections and documents (without their text).
#[utoipa::path(tag = "banks", params(("id" = i32, Path)), responses((status = 200, body = BankDetail), (status = 404)), security(("bearer" = [])))]
#[get("/api/banks/{id}")]
async fn get_bank(state: web::Data<AppState>, _o: Organiser, id: web::Path<i32>) -> ApiResult<HttpResponse> {
    let b = bank_or_404(&state, *id).await?;
    let sections = store::banks::sections(&state.db, b.id)
        .await?
        .into_iter()
        .map(|s| SectionView { id: s.slug, title: s.title })
        .collect();
    let documents = store::banks::documents(&state.db, b.id).await?.iter().map(doc_meta).collect();
    Ok(HttpResponse::Ok().json(BankDetail { bank: bank_view(&state, b).await?, sections, documents }))
}

fn doc_meta(d: &crate::entities::bank_documents::Model) -> DocumentMeta {
    DocumentMeta {
        id: d.slug.clone(),
        title: d.title.clone(),
        publisher: d.publisher.clone(),
        date: d.published_on.clone(),
        author: d.author.clone(),
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct QuestionQuery {
    /// Search in prompts and options, ignoring case and diacritics.
    pub q: Option<String>,
    pub section: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    pub difficulty: Option<i16>,
    /// Include retired questions.
    #[serde(default)]
    pub retired: bool,
}

/// A bank's questions with their answers; `q` searches prompts and options without
/// regard to case and diacritics.
#[utoipa::path(tag = "banks", params(("id" = i32, Path), QuestionQuery), responses((status = 200, body = Vec<QuestionView>)), security(("bearer" = [])))]
#[get("/api/banks/{id}/questions")]
async fn list_questions(
    state: web::Data<AppState>,
    _o: Organiser,
    id: web::Path<i32>,
    query: web::Query<QuestionQuery>,
) -> ApiResult<HttpResponse> {
    let b = bank_or_404(&state, *id).await?;
    if let Some(k) = &query.kind
        && QuestionKind::parse(k).is_none()
    {
        return Err(ApiError::invalid("type", format!("unknown type {k:?}")));
    }
    let f = QuestionFilter {
        search: query.q.clone(),
        section: query.section.clone(),
        kind: query.kind.clone(),
        difficulty: query.difficulty,
        include_retired: query.retired,
    };
    let rows = store::banks::questions(&state.db, b.id, &f).await?;
    let mut out = Vec::with_capacity(rows.len());
    for m in &rows {
        out.push(view(m, &store::banks::question_of(m, &b.slug)?));
    }
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Serialize, ToSchema)]
pub struct QuestionDetail {
    #[serde(flatten)]
    pub question: QuestionView,
    pub versions: Vec<VersionView>,
}

#[derive(Serialize, ToSchema)]
pub struct VersionView {
    pub version: i32,
    pub created_at: i64,
    #[schema(value_type = Object)]
    pub snapshot: Value,
}

async fn question_in_bank(state: &AppState, bank_id: i32, qid: i32) -> ApiResult<questions::Model> {
    match store::banks::question_by_id(&state.db, qid).await? {
        Some(m) if m.bank_id == bank_id => Ok(m),
        _ => Err(ApiError::not_found(format!("no question {qid} in bank {bank_id}"))),
    }
}

/// One question with every version it had.
#[utoipa::path(tag = "banks", params(("id" = i32, Path), ("question_id" = i32, Path)), responses((status = 200, body = QuestionDetail), (status = 404)), security(("bearer" = [])))]
#[get("/api/banks/{id}/questions/{question_id}")]
async fn get_question(
    state: web::Data<AppState>,
    _o: Organiser,
    path: web::Path<(i32, i32)>,
) -> ApiResult<HttpResponse> {
    let (bid, qid) = path.into_inner();
    let b = bank_or_404(&state, bid).await?;
    let m = question_in_bank(&state, b.id, qid).await?;
    let versions = store::banks::versions(&state.db, m.id)
        .await?
        .into_iter()
        .map(|v| VersionView {
            version: v.version,
            created_at: v.created_at,
            snapshot: serde_json::from_str(&v.snapshot).unwrap_or(Value::Null),
        })
        .collect();
    Ok(HttpResponse::Ok()
        .json(QuestionDetail { question: view(&m, &store::banks::question_of(&m, &b.slug)?), versions }))
}

/// A question as an organiser writes it (the bank file's fields).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionInput {
    /// Stable id within the bank; required to create, unchangeable afterwards.
    pub id: Option<String>,
    pub section: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub difficulty: i64,
    #[serde(default = "default_points")]
    pub points: f64,
    #[serde(default = "default_time")]
    pub time_limit_s: i64,
    pub prompt: String,
    #[serde(default)]
    pub options: Option<Vec<String>>,
    /// single: "B"; multiple: ["A","C"]; true_false: true/false; number: a number.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub answer: Option<AnswerValue>,
    /// short_text: the accepted answers.
    #[serde(default)]
    pub accepted: Option<Vec<String>>,
    #[serde(default)]
    pub tolerance: Option<f64>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub explanation: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub source: Option<Source>,
    /// Groups of questions that answer each other; absent on an edit keeps the old ones.
    #[serde(default)]
    pub groups: Option<Vec<String>>,
    /// Ids of questions of the bank that must not meet this one; absent on an edit keeps
    /// the old ones.
    #[serde(default)]
    pub excludes: Option<Vec<String>>,
}

fn default_points() -> f64 {
    10.0
}
fn default_time() -> i64 {
    20
}

/// Validates an input against the bank: shape, section, source, and that excluded ids are
/// questions of the bank. `old` is the question being edited: its groups and exclusions
/// stay unless the input gives new ones.
async fn validate(
    state: &AppState,
    b: &banks::Model,
    qid: &str,
    input: &QuestionInput,
    old: Option<&Question>,
) -> ApiResult<Question> {
    let draft = Draft {
        qid: qid.to_owned(),
        kind: input.kind.clone(),
        difficulty: input.difficulty,
        points: input.points,
        time_limit_s: input.time_limit_s,
        prompt: input.prompt.clone(),
        options: input.options.clone(),
        answer: input.answer.clone(),
        accepted: input.accepted.clone(),
        tolerance: input.tolerance,
        unit: input.unit.clone(),
        explanation: input.explanation.clone(),
        tags: input.tags.clone(),
        source: input.source.clone(),
        groups: input.groups.clone().or_else(|| old.map(|o| o.groups.clone())).unwrap_or_default(),
        excludes: input.excludes.clone().or_else(|| old.map(|o| o.excludes.clone())).unwrap_or_default(),
    };
    let sections = store::banks::sections(&state.db, b.id).await?;
    if !sections.iter().any(|s| s.slug == input.section) {
        let known: Vec<String> = sections.into_iter().map(|s| s.slug).collect();
        return Err(ApiError::invalid(
            "section",
            format!("unknown section {:?} (the bank has: {})", input.section, known.join(", ")),
        ));
    }
    let mut q = format::build(&draft, &b.slug, &input.section).map_err(|ps| {
        let field = ps.first().map_or("body", |p| p.0);
        ApiError::invalid(field, ps.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; "))
    })?;
    let docs: Vec<format::Document> =
        store::banks::documents(&state.db, b.id).await?.iter().map(store::banks::document_of).collect();
    if let Some((f, m)) = format::check_source(&q, &docs) {
        return Err(ApiError::invalid(f, m));
    }
    for x in &q.excludes {
        if store::banks::question_by_qid(&state.db, b.id, x).await?.is_none() {
            return Err(ApiError::invalid("excludes", format!("the bank has no question {x:?}")));
        }
    }
    // A group this change adds must be one another question of the bank already holds: a
    // group only one question holds clashes with nothing, so it is a typo or a leftover (the
    // checker refuses the same in a shipped bank). Groups the question already had are not
    // judged again, and taking a question out of a group is always allowed.
    let added: Vec<(usize, &String)> =
        q.groups.iter().enumerate().filter(|(_, g)| old.is_none_or(|o| !o.groups.contains(g))).collect();
    if !added.is_empty() {
        let all = store::banks::questions(
            &state.db,
            b.id,
            &store::banks::QuestionFilter { include_retired: true, ..Default::default() },
        )
        .await?;
        for (i, g) in added {
            let held = all.iter().any(|m| {
                m.qid != q.qid
                    && serde_json::from_str::<Vec<String>>(&m.exclusion_groups).is_ok_and(|gs| gs.contains(g))
            });
            if !held {
                return Err(ApiError::invalid_because(
                    format!("groups[{i}]"),
                    "group_of_one",
                    serde_json::json!({ "group": g }),
                    format!(
                        "group {g:?} would be held by this question alone (a group names questions that must not \
                         meet, so one question alone in it is a typo or a leftover): give a group that another \
                         question of the bank already has, or name the other question in `excludes`"
                    ),
                ));
            }
        }
    }
    if matches!(q.solution, crate::domain::question::Solution::ShortText { .. }) {
        q.abbreviations = store::banks::bank_abbreviations(&state.db, &b.slug).await?;
    }
    Ok(q)
}

/// Add a question to a bank (version 1).
#[utoipa::path(tag = "banks", params(("id" = i32, Path)), request_body = QuestionInput,
    responses((status = 201, body = QuestionView), (status = 400), (status = 409, description = "the id is taken")), security(("bearer" = [])))]
#[post("/api/banks/{id}/questions")]
async fn create_question(
    state: web::Data<AppState>,
    _o: Organiser,
    id: web::Path<i32>,
    body: Json<QuestionInput>,
) -> ApiResult<HttpResponse> {
    let b = bank_or_404(&state, *id).await?;
    let qid = body.id.clone().unwrap_or_default();
    let q = validate(&state, &b, &qid, &body, None).await?;
    if store::banks::question_by_qid(&state.db, b.id, &q.qid).await?.is_some() {
        return Err(ApiError::conflict("already_exists", format!("the bank already has a question {:?}", q.qid)));
    }
    let txn = state.db.begin().await?;
    let m = store::banks::insert_question(&txn, b.id, &q).await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(view(&m, &q)))
}

/// Edit a question: a new version; contests keep the version they asked.
#[utoipa::path(tag = "banks", params(("id" = i32, Path), ("question_id" = i32, Path)), request_body = QuestionInput,
    responses((status = 200, body = QuestionView), (status = 400), (status = 404)), security(("bearer" = [])))]
#[put("/api/banks/{id}/questions/{question_id}")]
async fn edit_question(
    state: web::Data<AppState>,
    _o: Organiser,
    path: web::Path<(i32, i32)>,
    body: Json<QuestionInput>,
) -> ApiResult<HttpResponse> {
    let (bid, qid) = path.into_inner();
    let b = bank_or_404(&state, bid).await?;
    let m = question_in_bank(&state, b.id, qid).await?;
    if let Some(new_id) = &body.id
        && new_id.trim() != m.qid
    {
        return Err(ApiError::invalid("id", format!("a question's id cannot change (it is {:?})", m.qid)));
    }
    let old = store::banks::question_of(&m, &b.slug).ok();
    let q = validate(&state, &b, &m.qid.clone(), &body, old.as_ref()).await?;
    if old.is_some_and(|old| old == q) {
        return Ok(HttpResponse::Ok().json(view(&m, &q)));
    }
    let txn = state.db.begin().await?;
    let m = store::banks::update_question(&txn, m, &q).await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(view(&m, &q)))
}

/// Retire a question: it stays in the contests that asked it but is never drawn again.
#[utoipa::path(tag = "banks", params(("id" = i32, Path), ("question_id" = i32, Path)), responses((status = 200, body = QuestionView), (status = 404)), security(("bearer" = [])))]
#[post("/api/banks/{id}/questions/{question_id}/retire")]
async fn retire_question(
    state: web::Data<AppState>,
    _o: Organiser,
    path: web::Path<(i32, i32)>,
) -> ApiResult<HttpResponse> {
    set_retired(&state, path.into_inner(), true).await
}

/// Bring a retired question back.
#[utoipa::path(tag = "banks", params(("id" = i32, Path), ("question_id" = i32, Path)), responses((status = 200, body = QuestionView), (status = 404)), security(("bearer" = [])))]
#[post("/api/banks/{id}/questions/{question_id}/restore")]
async fn restore_question(
    state: web::Data<AppState>,
    _o: Organiser,
    path: web::Path<(i32, i32)>,
) -> ApiResult<HttpResponse> {
    set_retired(&state, path.into_inner(), false).await
}

async fn set_retired(state: &AppState, (bid, qid): (i32, i32), retired: bool) -> ApiResult<HttpResponse> {
    let b = bank_or_404(state, bid).await?;
    let m = question_in_bank(state, b.id, qid).await?;
    let m = store::banks::set_retired(&state.db, m, retired).await?;
    let q = store::banks::question_of(&m, &b.slug)?;
    Ok(HttpResponse::Ok().json(view(&m, &q)))
}

/// Study mode: a bank's documents (never its questions).
#[utoipa::path(tag = "banks", params(("id" = i32, Path)), responses((status = 200, body = Vec<DocumentMeta>), (status = 404)), security(("bearer" = [])))]
#[get("/api/banks/{id}/documents")]
async fn list_documents(state: web::Data<AppState>, _c: Caller, id: web::Path<i32>) -> ApiResult<HttpResponse> {
    let b = bank_or_404(&state, *id).await?;
    let docs: Vec<DocumentMeta> = store::banks::documents(&state.db, b.id).await?.iter().map(doc_meta).collect();
    Ok(HttpResponse::Ok().json(docs))
}

/// Study mode: one document with its text.
#[utoipa::path(tag = "banks", params(("id" = i32, Path), ("doc" = String, Path)), responses((status = 200, body = DocumentView), (status = 404)), security(("bearer" = [])))]
#[get("/api/banks/{id}/documents/{doc}")]
async fn get_document(
    state: web::Data<AppState>,
    _c: Caller,
    path: web::Path<(i32, String)>,
) -> ApiResult<HttpResponse> {
    let (bid, doc) = path.into_inner();
    let b = bank_or_404(&state, bid).await?;
    let d = store::banks::documents(&state.db, b.id)
        .await?
        .into_iter()
        .find(|d| d.slug == doc)
        .ok_or_else(|| ApiError::not_found(format!("no document {doc:?} in bank {bid}")))?;
    Ok(HttpResponse::Ok().json(DocumentView { meta: doc_meta(&d), body: d.body }))
}

fn xlsx_response(bytes: Vec<u8>, filename: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, XLSX))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")))
        .body(bytes)
}

/// The XLSX import template (a "Câu hỏi" sheet with an example row and a "Hướng dẫn" sheet).
#[utoipa::path(tag = "banks", responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")), security(("bearer" = [])))]
#[get("/api/banks/template.xlsx")]
async fn template(_o: Organiser) -> ApiResult<HttpResponse> {
    Ok(xlsx_response(export::template().map_err(ApiError::internal)?, "mau-ngan-hang-cau-hoi.xlsx"))
}

/// A bank's questions as XLSX in the template's columns (re-importable).
#[utoipa::path(tag = "banks", params(("id" = i32, Path)), responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404)), security(("bearer" = [])))]
#[get("/api/banks/{id}/export.xlsx")]
async fn export_bank(state: web::Data<AppState>, _o: Organiser, id: web::Path<i32>) -> ApiResult<HttpResponse> {
    let b = bank_or_404(&state, *id).await?;
    let rows = store::banks::questions(&state.db, b.id, &QuestionFilter::default()).await?;
    let qs = rows.iter().map(|m| store::banks::question_of(m, &b.slug)).collect::<Result<Vec<_>, _>>()?;
    Ok(xlsx_response(export::to_xlsx(&qs).map_err(ApiError::internal)?, &format!("{}.xlsx", b.slug)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Bank id (slug); a new bank is created when unknown.
    pub bank: String,
    /// Title of a new bank.
    pub title: Option<String>,
    /// `xlsx`, `csv` or `aiken` (default: from the Content-Type).
    pub format: Option<String>,
    /// Section of Aiken questions (default `chung`).
    pub section: Option<String>,
}

/// Import questions from the raw file in the body (≤ 5 MB): all or nothing. Errors are
/// 400 `import_invalid` with `error.errors = [{sheet, row, column, message}]`.
#[utoipa::path(tag = "banks", params(ImportQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = import::ImportReport), (status = 400, description = "import_invalid: every problem, nothing imported"), (status = 413)), security(("bearer" = [])))]
#[post("/api/banks/import")]
async fn import_file(
    state: web::Data<AppState>,
    _o: Organiser,
    req: actix_web::HttpRequest,
    query: web::Query<ImportQuery>,
    mut payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let too_large =
        || ApiError::PayloadTooLarge(format!("the file is larger than {} MB", import::MAX_IMPORT_BYTES / 1024 / 1024));
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let fmt = match &query.format {
        Some(f) => import::Format::parse(f)
            .ok_or_else(|| ApiError::invalid("format", format!("unknown format {f:?}: use xlsx, csv or aiken")))?,
        None if ct.starts_with(XLSX) => import::Format::Xlsx,
        None if ct.starts_with("text/csv") => import::Format::Csv,
        None if ct.starts_with("text/plain") => import::Format::Aiken,
        None => return Err(ApiError::invalid("format", "say ?format=xlsx|csv|aiken or send a matching Content-Type")),
    };
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > import::MAX_IMPORT_BYTES) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("bad_body", format!("cannot read the body: {e}")))?;
        if body.len() + chunk.len() > import::MAX_IMPORT_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    if body.is_empty() {
        return Err(ApiError::bad_request("empty_body", "send the file as the request body"));
    }
    let section = query.section.clone().unwrap_or_else(|| "chung".into());
    let bytes = body.freeze();
    let parsed = match tokio::task::spawn_blocking(move || import::parse(fmt, &bytes, &section)).await {
        Ok(Ok(p)) => p,
        Ok(Err(errs)) => return Ok(invalid_import(&errs)),
        Err(e) => return Err(ApiError::internal(e)),
    };
    match import::apply(&state.db, query.bank.trim(), query.title.as_deref(), parsed).await {
        Ok(report) => Ok(HttpResponse::Created().json(report)),
        Err(import::ImportFailure::Invalid(errs)) => Ok(invalid_import(&errs)),
        Err(import::ImportFailure::Db(e)) => Err(e.into()),
    }
}

fn invalid_import(errs: &[import::ImportError]) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({ "error": {
        "code": "import_invalid",
        "message": format!("nothing imported:\n{}", import::render(errs)),
        "errors": errs,
    }}))
}

// ---- a part's questions

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartQuestionsInput {
    /// Question ids (`questions.id`), in the order they will be asked.
    pub question_ids: Vec<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct PartQuestionView {
    pub id: i32,
    pub position: i32,
    pub question_id: Option<i32>,
    pub question_version: Option<i32>,
    pub qid: String,
    pub section: String,
    pub points: f64,
    pub time_limit_s: i32,
    pub status: String,
    /// The question as it will be (or was) asked: the snapshot of its version.
    #[schema(value_type = Object)]
    pub question: Value,
}

#[derive(Serialize, ToSchema)]
pub struct PartQuestionsView {
    pub part_id: i32,
    /// The seed of a draw (absent for an explicit choice).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    pub questions: Vec<PartQuestionView>,
}

async fn pending_part(
    db: &impl sea_orm::ConnectionTrait,
    cid: i32,
    pid: i32,
) -> ApiResult<crate::entities::parts::Model> {
    let part = store::banks::part_in_contest(db, cid, pid)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no part {pid} in contest {cid}")))?;
    if part.status != "pending" {
        return Err(ApiError::Conflict {
            code: "part_started",
            message: format!("part {pid} is {}; its questions can no longer change", part.status),
            state: Some(json!({ "status": part.status })),
            reason: None,
        });
    }
    Ok(part)
}

/// Loads each chosen question with its bank's slug, in the given order.
async fn with_questions(state: &AppState, ids: &[i32]) -> ApiResult<Vec<(questions::Model, Question)>> {
    let mut slugs: HashMap<i32, String> = HashMap::new();
    let mut out = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let m = store::banks::question_by_id(&state.db, *id)
            .await?
            .ok_or_else(|| ApiError::invalid(format!("question_ids[{i}]"), format!("no question {id}")))?;
        if m.retired {
            return Err(ApiError::invalid(
                format!("question_ids[{i}]"),
                format!("question {id} ({}) is retired", m.qid),
            ));
        }
        let slug = match slugs.get(&m.bank_id) {
            Some(s) => s.clone(),
            None => {
                let s = bank_or_404(state, m.bank_id).await?.slug;
                slugs.insert(m.bank_id, s.clone());
                s
            }
        };
        let q = store::banks::question_of(&m, &slug)?;
        out.push((m, q));
    }
    Ok(out)
}

/// What a draw and the clash check need of a question row.
pub(crate) fn candidate(m: &questions::Model, bank: &str) -> Candidate {
    Candidate {
        id: m.id,
        bank: bank.to_owned(),
        qid: m.qid.clone(),
        section: m.section.clone(),
        difficulty: m.difficulty.clamp(0, 255) as u8,
        kind: QuestionKind::parse(&m.kind).unwrap_or(QuestionKind::Single),
        groups: serde_json::from_str(&m.exclusion_groups).unwrap_or_default(),
        excludes: serde_json::from_str(&m.excludes).unwrap_or_default(),
    }
}

/// The questions already in other parts of the contest, each with the part it is in.
async fn used_elsewhere(state: &AppState, cid: i32, pid: i32) -> ApiResult<Vec<(Candidate, i32)>> {
    let slugs: HashMap<i32, String> =
        store::banks::list_banks(&state.db).await?.into_iter().map(|b| (b.id, b.slug)).collect();
    let mut out = Vec::new();
    for (qid, part) in store::banks::used_in_other_parts(&state.db, cid, pid).await? {
        if let Some(m) = store::banks::question_by_id(&state.db, qid).await? {
            let bank = slugs.get(&m.bank_id).cloned().unwrap_or_default();
            out.push((candidate(&m, &bank), part));
        }
    }
    Ok(out)
}

fn clash_error(a: &Candidate, b: &Candidate, why: String, where_b: Option<i32>) -> ApiError {
    let place = match where_b {
        Some(part) => format!(", already in part {part} of this contest"),
        None => String::new(),
    };
    ApiError::Conflict {
        code: "questions_clash",
        message: format!(
            "question {} ({}) and question {} ({}{place}) answer each other ({why}); choose one of them",
            a.id, a.qid, b.id, b.qid
        ),
        state: Some(json!({ "questions": [
            { "id": a.id, "qid": a.qid },
            { "id": b.id, "qid": b.qid, "part_id": where_b },
        ], "reason": why })),
        reason: None,
    }
}

fn part_view(part_id: i32, seed: Option<i64>, rows: Vec<crate::entities::part_questions::Model>) -> PartQuestionsView {
    PartQuestionsView {
        part_id,
        seed,
        questions: rows
            .into_iter()
            .map(|r| {
                let question: Value = serde_json::from_str(&r.snapshot).unwrap_or(Value::Null);
                PartQuestionView {
                    id: r.id,
                    position: r.position,
                    question_id: r.question_id,
                    question_version: r.question_version,
                    qid: question["qid"].as_str().unwrap_or_default().to_owned(),
                    section: question["section"].as_str().unwrap_or_default().to_owned(),
                    points: r.points,
                    time_limit_s: r.time_limit_s,
                    status: r.status,
                    question,
                }
            })
            .collect(),
    }
}

/// A part's questions in order, each as the version it asks (with its answer).
#[utoipa::path(tag = "banks", params(("cid" = i32, Path), ("pid" = i32, Path)),
    responses((status = 200, body = PartQuestionsView), (status = 404)), security(("bearer" = [])))]
#[get("/api/contests/{cid}/parts/{pid}/questions")]
async fn get_part_questions(
    state: web::Data<AppState>,
    _o: Organiser,
    path: web::Path<(i32, i32)>,
) -> ApiResult<HttpResponse> {
    let (cid, pid) = path.into_inner();
    store::banks::part_in_contest(&state.db, cid, pid)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no part {pid} in contest {cid}")))?;
    let rows = store::banks::part_questions(&state.db, pid).await?;
    Ok(HttpResponse::Ok().json(part_view(pid, None, rows)))
}

/// Choose a pending part's questions explicitly (replaces its pending questions). A
/// question already used in another part of the contest is refused (409
/// `question_reused`), and so are two questions that answer each other (a shared group
/// or an exclusion in the bank), whether both are in this choice or one is already in
/// another part: 409 `questions_clash` names both.
#[utoipa::path(tag = "banks", params(("cid" = i32, Path), ("pid" = i32, Path)), request_body = PartQuestionsInput,
    responses((status = 200, body = PartQuestionsView), (status = 404), (status = 409, description = "part_started, question_reused or questions_clash")), security(("bearer" = [])))]
#[put("/api/contests/{cid}/parts/{pid}/questions")]
async fn set_part_questions(
    state: web::Data<AppState>,
    _o: Organiser,
    path: web::Path<(i32, i32)>,
    body: Json<PartQuestionsInput>,
) -> ApiResult<HttpResponse> {
    let (cid, pid) = path.into_inner();
    let part = pending_part(&state.db, cid, pid).await?;
    let mut seen = HashSet::new();
    for (i, id) in body.question_ids.iter().enumerate() {
        if !seen.insert(*id) {
            return Err(ApiError::invalid(format!("question_ids[{i}]"), format!("question {id} is listed twice")));
        }
    }
    let chosen = with_questions(&state, &body.question_ids).await?;
    let used = used_elsewhere(&state, cid, pid).await?;
    for (m, _) in &chosen {
        if let Some((_, other)) = used.iter().find(|(q, _)| q.id == m.id) {
            return Err(ApiError::conflict(
                "question_reused",
                format!("question {} ({}) is already used in part {other} of this contest", m.id, m.qid),
            ));
        }
    }
    let picked: Vec<Candidate> = chosen.iter().map(|(m, q)| candidate(m, &q.bank)).collect();
    for (i, a) in picked.iter().enumerate() {
        for b in &picked[i + 1..] {
            if let Some(why) = draw::clash(a, b) {
                return Err(clash_error(a, b, why, None));
            }
        }
        for (b, part) in &used {
            if let Some(why) = draw::clash(a, b) {
                return Err(clash_error(a, b, why, Some(*part)));
            }
        }
    }
    let txn = state.db.begin().await?;
    // the live engine may have started the part meanwhile
    pending_part(&txn, cid, pid).await?;
    let rows = store::banks::replace_part_questions(&txn, pid, &chosen, part.time_per_question_s).await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(part_view(pid, None, rows)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawInput {
    /// Generated (and returned) when absent.
    pub seed: Option<i64>,
    pub quotas: Vec<Quota>,
    /// Banks to draw from (ids). Default: the contest's banks, else every bank.
    pub banks: Option<Vec<i32>>,
}

/// Draw a pending part's questions by quotas and a seed; the same seed on the same banks
/// gives the same questions in the same order. Questions used in other parts of the
/// contest are never drawn, nor two questions that answer each other (a shared group or
/// an exclusion in the bank). An unsatisfiable quota names the short bucket.
#[utoipa::path(tag = "banks", params(("cid" = i32, Path), ("pid" = i32, Path)), request_body = DrawInput,
    responses((status = 200, body = PartQuestionsView), (status = 404), (status = 409, description = "part_started or quota_short")), security(("bearer" = [])))]
#[post("/api/contests/{cid}/parts/{pid}/draw")]
async fn draw_part_questions(
    state: web::Data<AppState>,
    _o: Organiser,
    path: web::Path<(i32, i32)>,
    body: Json<DrawInput>,
) -> ApiResult<HttpResponse> {
    let (cid, pid) = path.into_inner();
    let part = pending_part(&state.db, cid, pid).await?;
    if body.quotas.is_empty() {
        return Err(ApiError::invalid("quotas", "give at least one quota"));
    }
    for (i, q) in body.quotas.iter().enumerate() {
        if q.count == 0 || q.count > 500 {
            return Err(ApiError::invalid(format!("quotas[{i}].count"), "count must be 1..500"));
        }
        if q.difficulty.is_some_and(|d| !(1..=3).contains(&d)) {
            return Err(ApiError::invalid(format!("quotas[{i}].difficulty"), "difficulty must be 1..3"));
        }
    }
    let bank_ids: Vec<i32> = match &body.banks {
        Some(b) if !b.is_empty() => {
            for id in b {
                bank_or_404(&state, *id).await?;
            }
            b.clone()
        }
        _ => {
            let linked = store::banks::contest_bank_ids(&state.db, cid).await?;
            if linked.is_empty() {
                store::banks::list_banks(&state.db).await?.into_iter().map(|b| b.id).collect()
            } else {
                linked
            }
        }
    };
    let slugs: HashMap<i32, String> =
        store::banks::list_banks(&state.db).await?.into_iter().map(|b| (b.id, b.slug)).collect();
    let rows = store::banks::live_questions(&state.db, &bank_ids).await?;
    let candidates: Vec<Candidate> = rows
        .iter()
        .filter(|m| QuestionKind::parse(&m.kind).is_some())
        .filter_map(|m| Some(candidate(m, slugs.get(&m.bank_id)?)))
        .collect();
    let used: Vec<Candidate> = used_elsewhere(&state, cid, pid).await?.into_iter().map(|(c, _)| c).collect();
    let seed = body.seed.unwrap_or_else(|| rand::rng().random_range(0..i64::MAX));
    let ids = draw::draw(&candidates, &body.quotas, seed, &used).map_err(|short| ApiError::Conflict {
        code: "quota_short",
        message: format!(
            "not enough questions: {}",
            short.iter().map(|s| s.to_string()).collect::<Vec<_>>().join("; ")
        ),
        state: Some(json!({ "short": short })),
        reason: None,
    })?;
    let chosen = with_questions(&state, &ids).await?;
    let quotas = serde_json::to_string(&body.quotas).map_err(ApiError::internal)?;
    let txn = state.db.begin().await?;
    // the live engine may have started the part meanwhile
    pending_part(&txn, cid, pid).await?;
    let rows = store::banks::replace_part_questions(&txn, pid, &chosen, part.time_per_question_s).await?;
    store::banks::insert_draw(&txn, cid, pid, seed, &quotas, &ids).await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(part_view(pid, Some(seed), rows)))
}

#[derive(Serialize, ToSchema)]
pub struct DrawRecord {
    pub id: i32,
    pub seed: i64,
    #[schema(value_type = Vec<Object>)]
    pub quotas: Value,
    pub question_ids: Vec<i32>,
    pub created_at: i64,
}

/// Every draw made for a part, oldest first: the recorded seeds and quotas.
#[utoipa::path(tag = "banks", params(("cid" = i32, Path), ("pid" = i32, Path)),
    responses((status = 200, body = Vec<DrawRecord>), (status = 404)), security(("bearer" = [])))]
#[get("/api/contests/{cid}/parts/{pid}/draws")]
async fn list_draws(state: web::Data<AppState>, _o: Organiser, path: web::Path<(i32, i32)>) -> ApiResult<HttpResponse> {
    let (cid, pid) = path.into_inner();
    store::banks::part_in_contest(&state.db, cid, pid)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no part {pid} in contest {cid}")))?;
    let out: Vec<DrawRecord> = store::banks::draws_of_part(&state.db, pid)
        .await?
        .into_iter()
        .map(|d| DrawRecord {
            id: d.id,
            seed: d.seed,
            quotas: serde_json::from_str(&d.quotas).unwrap_or(Value::Null),
            question_ids: serde_json::from_str(&d.question_ids).unwrap_or_default(),
            created_at: d.created_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}
