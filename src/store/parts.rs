//! Parts of a contest and their settings.
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::entities::parts;

pub async fn list(db: &impl ConnectionTrait, contest_id: i32) -> Result<Vec<parts::Model>, DbErr> {
    parts::Entity::find()
        .filter(parts::Column::ContestId.eq(contest_id))
        .order_by_asc(parts::Column::Position)
        .order_by_asc(parts::Column::Id)
        .all(db)
        .await
}

pub async fn get(db: &impl ConnectionTrait, contest_id: i32, id: i32) -> Result<Option<parts::Model>, DbErr> {
    parts::Entity::find_by_id(id).filter(parts::Column::ContestId.eq(contest_id)).one(db).await
}

pub async fn insert(db: &impl ConnectionTrait, m: parts::ActiveModel) -> Result<parts::Model, DbErr> {
    m.insert(db).await
}

pub async fn update(db: &impl ConnectionTrait, m: parts::ActiveModel) -> Result<parts::Model, DbErr> {
    m.update(db).await
}

/// Deletes a part that never started (its assigned questions go with it).
pub async fn delete(db: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    use crate::entities::part_questions;
    part_questions::Entity::delete_many().filter(part_questions::Column::PartId.eq(id)).exec(db).await?;
    parts::Entity::delete_by_id(id).exec(db).await.map(|_| ())
}
