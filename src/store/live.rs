//! What the live engine reads and writes: parts and their questions, answers (written in
//! batches by the group-commit writer), adjustments, the audit log and the contest's
//! tie-breakers.
use sea_orm::sea_query::{ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ActiveValue::Unchanged, ColumnTrait, Condition,
    ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use crate::entities::{
    adjustments, answers, audit_log, board_freezes, contests, part_questions, parts, settings, teams,
};

pub async fn contest(db: &impl ConnectionTrait, id: i32) -> Result<Option<contests::Model>, DbErr> {
    contests::Entity::find_by_id(id).one(db).await
}

/// Contests whose engine must run after a restart.
pub async fn running_contest_ids(db: &impl ConnectionTrait) -> Result<Vec<i32>, DbErr> {
    let rows = contests::Entity::find().filter(contests::Column::Status.eq("running")).all(db).await?;
    Ok(rows.into_iter().map(|c| c.id).collect())
}

pub async fn set_contest_status(db: &impl ConnectionTrait, id: i32, status: &str) -> Result<(), DbErr> {
    contests::Entity::update_many()
        .col_expr(contests::Column::Status, status.into())
        .filter(contests::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn set_part_status(
    db: &impl ConnectionTrait,
    part_id: i32,
    status: &str,
    started_at: Option<i64>,
    finished_at: Option<i64>,
) -> Result<(), DbErr> {
    let mut q = parts::Entity::update_many().col_expr(parts::Column::Status, status.into());
    if let Some(t) = started_at {
        q = q.col_expr(parts::Column::StartedAt, t.into());
    }
    if let Some(t) = finished_at {
        q = q.col_expr(parts::Column::FinishedAt, t.into());
    }
    q.filter(parts::Column::Id.eq(part_id)).exec(db).await.map(|_| ())
}

/// Every question of the given parts, in part order then position.
pub async fn questions_of_parts(
    db: &impl ConnectionTrait,
    part_ids: &[i32],
) -> Result<Vec<part_questions::Model>, DbErr> {
    if part_ids.is_empty() {
        return Ok(vec![]);
    }
    part_questions::Entity::find()
        .filter(part_questions::Column::PartId.is_in(part_ids.to_vec()))
        .order_by_asc(part_questions::Column::PartId)
        .order_by_asc(part_questions::Column::Position)
        .all(db)
        .await
}

/// Writes the live fields of a part question (status and its instants).
pub async fn save_question(db: &impl ConnectionTrait, q: &part_questions::Model) -> Result<(), DbErr> {
    part_questions::ActiveModel {
        id: Unchanged(q.id),
        status: Set(q.status.clone()),
        opened_at: Set(q.opened_at),
        deadline_at: Set(q.deadline_at),
        paused_at: Set(q.paused_at),
        closed_at: Set(q.closed_at),
        revealed_at: Set(q.revealed_at),
        void_reason: Set(q.void_reason.clone()),
        ..Default::default()
    }
    .update(db)
    .await
    .map(|_| ())
}

pub async fn teams_of_contest(db: &impl ConnectionTrait, contest_id: i32) -> Result<Vec<(i32, String)>, DbErr> {
    let rows = teams::Entity::find()
        .filter(teams::Column::ContestId.eq(contest_id))
        .order_by_asc(teams::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|t| (t.id, t.name)).collect())
}

/// Answers of the given questions in the order they were received.
pub async fn answers_of_questions(db: &impl ConnectionTrait, pq_ids: &[i32]) -> Result<Vec<answers::Model>, DbErr> {
    if pq_ids.is_empty() {
        return Ok(vec![]);
    }
    answers::Entity::find()
        .filter(answers::Column::PartQuestionId.is_in(pq_ids.to_vec()))
        .order_by_asc(answers::Column::ReceivedAt)
        .order_by_asc(answers::Column::Id)
        .all(db)
        .await
}

/// An answer as the writer stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAnswer {
    pub contest_id: i32,
    pub part_question_id: i32,
    pub team_id: i32,
    pub contestant_id: i32,
    pub submission_id: String,
    pub payload: String,
    pub star: bool,
    pub received_at: i64,
    pub elapsed_ms: i64,
}

/// Inserts a batch in one statement; a submission already stored is left alone. Returns
/// the number of rows inserted.
pub async fn insert_answers(db: &impl ConnectionTrait, batch: &[NewAnswer]) -> Result<u64, DbErr> {
    if batch.is_empty() {
        return Ok(0);
    }
    use answers::Column as C;
    let mut q = Query::insert();
    q.into_table(answers::Entity).columns([
        C::ContestId,
        C::PartQuestionId,
        C::TeamId,
        C::ContestantId,
        C::SubmissionId,
        C::Payload,
        C::Star,
        C::ReceivedAt,
        C::ElapsedMs,
    ]);
    for a in batch {
        q.values([
            a.contest_id.into(),
            a.part_question_id.into(),
            a.team_id.into(),
            a.contestant_id.into(),
            a.submission_id.clone().into(),
            a.payload.clone().into(),
            a.star.into(),
            a.received_at.into(),
            a.elapsed_ms.into(),
        ])
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    }
    q.on_conflict(OnConflict::columns([C::ContestantId, C::SubmissionId]).do_nothing().to_owned());
    Ok(db.execute(&q).await?.rows_affected())
}

/// The stored answers with the given (contestant, submission id) keys.
pub async fn answers_by_keys(db: &impl ConnectionTrait, keys: &[(i32, String)]) -> Result<Vec<answers::Model>, DbErr> {
    if keys.is_empty() {
        return Ok(vec![]);
    }
    let mut cond = Condition::any();
    for (c, s) in keys {
        cond = cond.add(answers::Column::ContestantId.eq(*c).and(answers::Column::SubmissionId.eq(s.clone())));
    }
    answers::Entity::find().filter(cond).all(db).await
}

pub async fn adjustments_of_contest(
    db: &impl ConnectionTrait,
    contest_id: i32,
) -> Result<Vec<adjustments::Model>, DbErr> {
    adjustments::Entity::find()
        .filter(adjustments::Column::ContestId.eq(contest_id))
        .order_by_asc(adjustments::Column::Id)
        .all(db)
        .await
}

pub async fn insert_adjustment(
    db: &impl ConnectionTrait,
    contest_id: i32,
    team_id: i32,
    part_id: Option<i32>,
    delta: f64,
    reason: &str,
    actor: &str,
) -> Result<adjustments::Model, DbErr> {
    adjustments::ActiveModel {
        id: NotSet,
        contest_id: Set(contest_id),
        team_id: Set(team_id),
        part_id: Set(part_id),
        delta: Set(delta),
        reason: Set(reason.to_owned()),
        actor: Set(actor.to_owned()),
        created_at: Set(crate::now_ms()),
    }
    .insert(db)
    .await
}

pub async fn audit(
    db: &impl ConnectionTrait,
    contest_id: i32,
    actor: &str,
    action: &str,
    detail: &serde_json::Value,
) -> Result<(), DbErr> {
    audit_log::ActiveModel {
        id: NotSet,
        contest_id: Set(Some(contest_id)),
        actor: Set(actor.to_owned()),
        action: Set(action.to_owned()),
        detail: Set(detail.to_string()),
        created_at: Set(crate::now_ms()),
    }
    .insert(db)
    .await
    .map(|_| ())
}

pub async fn audit_of_contest(db: &impl ConnectionTrait, contest_id: i32) -> Result<Vec<audit_log::Model>, DbErr> {
    audit_log::Entity::find()
        .filter(audit_log::Column::ContestId.eq(contest_id))
        .order_by_asc(audit_log::Column::Id)
        .all(db)
        .await
}

fn tie_key(contest_id: i32) -> String {
    format!("contest.{contest_id}.tie_breakers")
}

/// The contest's tie-breakers as stored JSON, if set.
pub async fn tie_breakers(db: &impl ConnectionTrait, contest_id: i32) -> Result<Option<String>, DbErr> {
    Ok(settings::Entity::find_by_id(tie_key(contest_id)).one(db).await?.map(|s| s.value))
}

pub async fn set_tie_breakers(db: &impl ConnectionTrait, contest_id: i32, json: &str) -> Result<(), DbErr> {
    settings::Entity::insert(settings::ActiveModel { key: Set(tie_key(contest_id)), value: Set(json.to_owned()) })
        .on_conflict(OnConflict::column(settings::Column::Key).update_column(settings::Column::Value).to_owned())
        .exec(db)
        .await
        .map(|_| ())
}

/// The frozen public board of a contest, if frozen.
pub async fn board_freeze(db: &impl ConnectionTrait, contest_id: i32) -> Result<Option<board_freezes::Model>, DbErr> {
    board_freezes::Entity::find_by_id(contest_id).one(db).await
}

pub async fn insert_board_freeze(db: &impl ConnectionTrait, row: board_freezes::Model) -> Result<(), DbErr> {
    board_freezes::Entity::insert(board_freezes::ActiveModel::from(row)).exec(db).await.map(|_| ())
}

pub async fn set_board_revealed(db: &impl ConnectionTrait, contest_id: i32, revealed: i32) -> Result<(), DbErr> {
    board_freezes::Entity::update_many()
        .col_expr(board_freezes::Column::Revealed, sea_orm::sea_query::Expr::value(revealed))
        .filter(board_freezes::Column::ContestId.eq(contest_id))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn set_board_ties_confirmed(db: &impl ConnectionTrait, contest_id: i32) -> Result<(), DbErr> {
    board_freezes::Entity::update_many()
        .col_expr(board_freezes::Column::TiesConfirmed, sea_orm::sea_query::Expr::value(true))
        .filter(board_freezes::Column::ContestId.eq(contest_id))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn delete_board_freeze(db: &impl ConnectionTrait, contest_id: i32) -> Result<(), DbErr> {
    board_freezes::Entity::delete_by_id(contest_id).exec(db).await.map(|_| ())
}
