//! Small key/value settings kept in the database (e.g. the generated token secret).
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

use crate::entities::settings;

pub async fn get(db: &impl ConnectionTrait, key: &str) -> Result<Option<String>, DbErr> {
    Ok(settings::Entity::find_by_id(key.to_owned()).one(db).await?.map(|s| s.value))
}

pub async fn insert(db: &impl ConnectionTrait, key: &str, value: &str) -> Result<(), DbErr> {
    settings::Entity::insert(settings::ActiveModel { key: Set(key.to_owned()), value: Set(value.to_owned()) })
        .exec(db)
        .await
        .map(|_| ())
}
