//! The answer record of a contest (biên bản): every stored answer with the question's
//! deadline, for appeals (phúc khảo) and for checking that nothing acknowledged was lost.
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Staff;
use crate::error::{ApiError, ApiResult};
use crate::routes::contests::ensure_staff_of;
use crate::startup::AppState;
use crate::store;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(answer_record);
}

#[derive(Serialize, ToSchema)]
pub struct RecordQuestion {
    pub id: i32,
    pub part_id: i32,
    pub position: i32,
    pub status: String,
    pub opened_at: Option<i64>,
    pub deadline_at: Option<i64>,
    pub void_reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RecordAnswer {
    pub question_id: i32,
    pub team_id: i32,
    pub contestant_id: i32,
    pub submission_id: String,
    #[schema(value_type = Object)]
    pub response: serde_json::Value,
    pub star: bool,
    /// Server time of receipt (ms): what decided whether it was on time.
    pub received_at: i64,
    pub elapsed_ms: i64,
}

#[derive(Serialize, ToSchema)]
pub struct AnswerRecord {
    pub questions: Vec<RecordQuestion>,
    pub answers: Vec<RecordAnswer>,
}

/// Every stored answer of the contest, in the order received, with each question's
/// opening and deadline. Organisers and the contest's judges only.
#[utoipa::path(tag = "live", params(("cid" = i32, Path)), responses((status = 200, body = AnswerRecord),
    (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
#[get("/api/contests/{cid}/answers")]
async fn answer_record(state: web::Data<AppState>, staff: Staff, cid: web::Path<i32>) -> ApiResult<HttpResponse> {
    let cid = cid.into_inner();
    store::live::contest(&state.db, cid).await?.ok_or_else(|| ApiError::not_found(format!("no contest {cid}")))?;
    ensure_staff_of(&state, &staff, cid).await?;
    let parts = store::parts::list(&state.db, cid).await?;
    let part_ids: Vec<i32> = parts.iter().map(|p| p.id).collect();
    let questions = store::live::questions_of_parts(&state.db, &part_ids).await?;
    let ids: Vec<i32> = questions.iter().map(|q| q.id).collect();
    let answers = store::live::answers_of_questions(&state.db, &ids).await?;
    Ok(HttpResponse::Ok().json(AnswerRecord {
        questions: questions
            .into_iter()
            .map(|q| RecordQuestion {
                id: q.id,
                part_id: q.part_id,
                position: q.position,
                status: q.status,
                opened_at: q.opened_at,
                deadline_at: q.deadline_at,
                void_reason: q.void_reason,
            })
            .collect(),
        answers: answers
            .into_iter()
            .map(|a| RecordAnswer {
                question_id: a.part_question_id,
                team_id: a.team_id,
                contestant_id: a.contestant_id,
                submission_id: a.submission_id,
                response: serde_json::from_str(&a.payload).unwrap_or(serde_json::Value::Null),
                star: a.star,
                received_at: a.received_at,
                elapsed_ms: a.elapsed_ms,
            })
            .collect(),
    }))
}
