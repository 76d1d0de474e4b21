//! Judged parts: the drawn order of performance, judges' marks and sheets, and released
//! part scores. A mark and a signature touch the same sheet row first ([`lock_sheet`]),
//! so a mark can never slip in after the sheet was signed.
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};

use crate::entities::{judge_marks, judge_sheets, judged_performing, judged_releases, performance_orders};

pub async fn order(db: &impl ConnectionTrait, part_id: i32) -> Result<Option<performance_orders::Model>, DbErr> {
    performance_orders::Entity::find_by_id(part_id).one(db).await
}

/// Stores a drawn order, replacing an earlier draw of the same part.
pub async fn save_order(
    db: &impl ConnectionTrait,
    part_id: i32,
    seed: i64,
    team_ids: &[i32],
    actor: &str,
) -> Result<(), DbErr> {
    use performance_orders::Column as C;
    performance_orders::Entity::insert(performance_orders::ActiveModel {
        part_id: Set(part_id),
        seed: Set(seed),
        team_ids: Set(serde_json::to_string(team_ids).unwrap_or_else(|_| "[]".into())),
        actor: Set(actor.to_owned()),
        drawn_at: Set(crate::now_ms()),
    })
    .on_conflict(OnConflict::column(C::PartId).update_columns([C::Seed, C::TeamIds, C::Actor, C::DrawnAt]).to_owned())
    .exec(db)
    .await
    .map(|_| ())
}

pub async fn count_marks(db: &impl ConnectionTrait, part_id: i32) -> Result<u64, DbErr> {
    judge_marks::Entity::find().filter(judge_marks::Column::PartId.eq(part_id)).count(db).await
}

pub async fn marks_of_parts(db: &impl ConnectionTrait, part_ids: &[i32]) -> Result<Vec<judge_marks::Model>, DbErr> {
    if part_ids.is_empty() {
        return Ok(vec![]);
    }
    judge_marks::Entity::find()
        .filter(judge_marks::Column::PartId.is_in(part_ids.to_vec()))
        .order_by_asc(judge_marks::Column::Id)
        .all(db)
        .await
}

pub async fn sheets_of_parts(db: &impl ConnectionTrait, part_ids: &[i32]) -> Result<Vec<judge_sheets::Model>, DbErr> {
    if part_ids.is_empty() {
        return Ok(vec![]);
    }
    judge_sheets::Entity::find()
        .filter(judge_sheets::Column::PartId.is_in(part_ids.to_vec()))
        .order_by_asc(judge_sheets::Column::Id)
        .all(db)
        .await
}

pub async fn releases_of_parts(
    db: &impl ConnectionTrait,
    part_ids: &[i32],
) -> Result<Vec<judged_releases::Model>, DbErr> {
    if part_ids.is_empty() {
        return Ok(vec![]);
    }
    judged_releases::Entity::find().filter(judged_releases::Column::PartId.is_in(part_ids.to_vec())).all(db).await
}

/// The marks of one judge's sheet, by criterion.
pub async fn marks_of_sheet(
    db: &impl ConnectionTrait,
    part_id: i32,
    judge_id: i32,
    team_id: i32,
) -> Result<Vec<judge_marks::Model>, DbErr> {
    judge_marks::Entity::find()
        .filter(judge_marks::Column::PartId.eq(part_id))
        .filter(judge_marks::Column::JudgeId.eq(judge_id))
        .filter(judge_marks::Column::TeamId.eq(team_id))
        .order_by_asc(judge_marks::Column::Criterion)
        .all(db)
        .await
}

/// Makes sure the sheet row exists and takes its write lock for the rest of the
/// transaction (a row lock on PostgreSQL, the database's write lock on SQLite), then reads
/// it: a concurrent signature or mark of the same sheet waits for this transaction.
pub async fn lock_sheet(
    db: &impl ConnectionTrait,
    part_id: i32,
    judge_id: i32,
    team_id: i32,
) -> Result<judge_sheets::Model, DbErr> {
    use judge_sheets::Column as C;
    judge_sheets::Entity::insert(judge_sheets::ActiveModel {
        id: NotSet,
        part_id: Set(part_id),
        judge_id: Set(judge_id),
        team_id: Set(team_id),
        signed_at: Set(None),
    })
    .on_conflict_do_nothing_on([C::PartId, C::TeamId, C::JudgeId])
    .exec(db)
    .await?;
    judge_sheets::Entity::update_many()
        .col_expr(C::SignedAt, Expr::col(C::SignedAt))
        .filter(C::PartId.eq(part_id))
        .filter(C::JudgeId.eq(judge_id))
        .filter(C::TeamId.eq(team_id))
        .exec(db)
        .await?;
    judge_sheets::Entity::find()
        .filter(C::PartId.eq(part_id))
        .filter(C::JudgeId.eq(judge_id))
        .filter(C::TeamId.eq(team_id))
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("judge sheet".into()))
}

/// Writes one mark (insert or replace): the same mark sent twice is stored once.
pub async fn put_mark(
    db: &impl ConnectionTrait,
    part_id: i32,
    judge_id: i32,
    team_id: i32,
    criterion: i32,
    points: f64,
) -> Result<(), DbErr> {
    use judge_marks::Column as C;
    judge_marks::Entity::insert(judge_marks::ActiveModel {
        id: NotSet,
        part_id: Set(part_id),
        judge_id: Set(judge_id),
        team_id: Set(team_id),
        criterion: Set(criterion),
        points: Set(points),
        updated_at: Set(crate::now_ms()),
    })
    .on_conflict(
        OnConflict::columns([C::PartId, C::TeamId, C::JudgeId, C::Criterion])
            .update_columns([C::Points, C::UpdatedAt])
            .to_owned(),
    )
    .exec(db)
    .await
    .map(|_| ())
}

pub async fn delete_mark(
    db: &impl ConnectionTrait,
    part_id: i32,
    judge_id: i32,
    team_id: i32,
    criterion: i32,
) -> Result<(), DbErr> {
    use judge_marks::Column as C;
    judge_marks::Entity::delete_many()
        .filter(C::PartId.eq(part_id))
        .filter(C::JudgeId.eq(judge_id))
        .filter(C::TeamId.eq(team_id))
        .filter(C::Criterion.eq(criterion))
        .exec(db)
        .await
        .map(|_| ())
}

/// Signs (`Some(at)`) or reopens (`None`) a sheet.
pub async fn set_signed(db: &impl ConnectionTrait, sheet_id: i32, at: Option<i64>) -> Result<(), DbErr> {
    judge_sheets::Entity::update_many()
        .col_expr(judge_sheets::Column::SignedAt, Expr::value(at))
        .filter(judge_sheets::Column::Id.eq(sheet_id))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn release(db: &impl ConnectionTrait, part_id: i32, team_id: i32, actor: &str) -> Result<(), DbErr> {
    use judged_releases::Column as C;
    judged_releases::Entity::insert(judged_releases::ActiveModel {
        part_id: Set(part_id),
        team_id: Set(team_id),
        actor: Set(actor.to_owned()),
        released_at: Set(crate::now_ms()),
    })
    .on_conflict_do_nothing_on([C::PartId, C::TeamId])
    .exec(db)
    .await
    .map(|_| ())
}

/// Takes a team's part score off the hall's screens; true when it was released.
pub async fn unrelease(db: &impl ConnectionTrait, part_id: i32, team_id: i32) -> Result<bool, DbErr> {
    let r = judged_releases::Entity::delete_many()
        .filter(judged_releases::Column::PartId.eq(part_id))
        .filter(judged_releases::Column::TeamId.eq(team_id))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

/// The drawn orders of the given parts (archives).
pub async fn orders_of_parts(
    db: &impl ConnectionTrait,
    part_ids: &[i32],
) -> Result<Vec<performance_orders::Model>, DbErr> {
    if part_ids.is_empty() {
        return Ok(vec![]);
    }
    performance_orders::Entity::find()
        .filter(performance_orders::Column::PartId.is_in(part_ids.to_vec()))
        .order_by_asc(performance_orders::Column::PartId)
        .all(db)
        .await
}

/// The team on stage in a judged part, if any.
pub async fn performing(db: &impl ConnectionTrait, part_id: i32) -> Result<Option<judged_performing::Model>, DbErr> {
    judged_performing::Entity::find_by_id(part_id).one(db).await
}

/// Puts a team on stage (`Some`), replacing the one before, or nobody (`None`).
pub async fn set_performing(
    db: &impl ConnectionTrait,
    part_id: i32,
    team_id: Option<i32>,
    since: i64,
    actor: &str,
) -> Result<(), DbErr> {
    use judged_performing::Column as C;
    let Some(team_id) = team_id else {
        judged_performing::Entity::delete_by_id(part_id).exec(db).await?;
        return Ok(());
    };
    judged_performing::Entity::insert(judged_performing::ActiveModel {
        part_id: Set(part_id),
        team_id: Set(team_id),
        since: Set(since),
        actor: Set(actor.to_owned()),
    })
    .on_conflict(OnConflict::column(C::PartId).update_columns([C::TeamId, C::Since, C::Actor]).to_owned())
    .exec(db)
    .await
    .map(|_| ())
}
