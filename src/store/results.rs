//! Published results (one row per published contest).
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

use crate::entities::result_publications as rp;

pub async fn get(db: &impl ConnectionTrait, contest_id: i32) -> Result<Option<rp::Model>, DbErr> {
    rp::Entity::find_by_id(contest_id).one(db).await
}

/// Publishes (or republishes) a contest's results.
pub async fn put(db: &impl ConnectionTrait, m: rp::Model) -> Result<(), DbErr> {
    rp::Entity::insert(rp::ActiveModel {
        contest_id: Set(m.contest_id),
        published_at: Set(m.published_at),
        actor: Set(m.actor),
        ties_confirmed: Set(m.ties_confirmed),
        snapshot: Set(m.snapshot),
    })
    .on_conflict(
        OnConflict::column(rp::Column::ContestId)
            .update_columns([
                rp::Column::PublishedAt,
                rp::Column::Actor,
                rp::Column::TiesConfirmed,
                rp::Column::Snapshot,
            ])
            .to_owned(),
    )
    .exec(db)
    .await
    .map(|_| ())
}

/// Unpublishes; false when nothing was published.
pub async fn delete(db: &impl ConnectionTrait, contest_id: i32) -> Result<bool, DbErr> {
    Ok(rp::Entity::delete_by_id(contest_id).exec(db).await?.rows_affected > 0)
}
