//! What an elimination part reads and writes besides answers: its roster (the
//! contestants who had joined when it started) and its rescues.
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use crate::entities::{contestants, rescues};

/// The contestants of the contest who joined before `started_at` (the part's start), by id.
/// Revoked ones stay on it: they can no longer answer, so the next question eliminates them.
pub async fn roster(
    db: &impl ConnectionTrait,
    contest_id: i32,
    started_at: i64,
) -> Result<Vec<contestants::Model>, DbErr> {
    contestants::Entity::find()
        .filter(contestants::Column::ContestId.eq(contest_id))
        .filter(contestants::Column::JoinedAt.lt(started_at))
        .order_by_asc(contestants::Column::Id)
        .all(db)
        .await
}

pub async fn rescues_of_part(db: &impl ConnectionTrait, part_id: i32) -> Result<Vec<rescues::Model>, DbErr> {
    rescues::Entity::find().filter(rescues::Column::PartId.eq(part_id)).order_by_asc(rescues::Column::Id).all(db).await
}

/// One rescue row per contestant, all with the same question, reason and actor, in
/// chunks (a rescue of everyone eliminated may be thousands of rows).
pub async fn insert_rescues(
    db: &impl ConnectionTrait,
    contest_id: i32,
    part_id: i32,
    after_question_id: i32,
    contestant_ids: &[i32],
    reason: &str,
    actor: &str,
) -> Result<(), DbErr> {
    let now = crate::now_ms();
    for chunk in contestant_ids.chunks(1000) {
        let rows = chunk.iter().map(|c| rescues::ActiveModel {
            id: NotSet,
            contest_id: Set(contest_id),
            part_id: Set(part_id),
            contestant_id: Set(*c),
            after_question_id: Set(after_question_id),
            reason: Set(reason.to_owned()),
            actor: Set(actor.to_owned()),
            created_at: Set(now),
        });
        rescues::Entity::insert_many(rows).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Every rescue of the contest's elimination parts, by id (archives).
pub async fn rescues_of_contest(db: &impl ConnectionTrait, contest_id: i32) -> Result<Vec<rescues::Model>, DbErr> {
    rescues::Entity::find()
        .filter(rescues::Column::ContestId.eq(contest_id))
        .order_by_asc(rescues::Column::Id)
        .all(db)
        .await
}
