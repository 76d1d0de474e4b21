//! Accounts (organisers and judges with a password), invited judges and contestants, as
//! far as signing in and checking tokens needs them.
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
};

use crate::entities::{contestants, contests, judges, users};

pub async fn user_by_id(db: &impl ConnectionTrait, id: i32) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find_by_id(id).one(db).await
}

pub async fn user_by_name(db: &impl ConnectionTrait, username: &str) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find().filter(users::Column::Username.eq(username)).one(db).await
}

pub async fn count_organisers(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    users::Entity::find().filter(users::Column::Role.eq("organiser")).count(db).await
}

pub async fn create_user(
    db: &impl ConnectionTrait,
    username: &str,
    password_hash: &str,
    role: &str,
) -> Result<users::Model, DbErr> {
    users::ActiveModel {
        username: Set(username.to_owned()),
        password_hash: Set(password_hash.to_owned()),
        role: Set(role.to_owned()),
        token_version: Set(0),
        created_at: Set(crate::now_ms()),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn judge_by_id(db: &impl ConnectionTrait, id: i32) -> Result<Option<judges::Model>, DbErr> {
    judges::Entity::find_by_id(id).one(db).await
}

/// Is the judge account `user_id` a judge of `contest_id`?
pub async fn judge_assigned(db: &impl ConnectionTrait, user_id: i32, contest_id: i32) -> Result<bool, DbErr> {
    Ok(judges::Entity::find()
        .filter(judges::Column::UserId.eq(user_id))
        .filter(judges::Column::ContestId.eq(contest_id))
        .count(db)
        .await?
        > 0)
}

/// The contestant and the token version of their contest.
pub async fn contestant_with_contest_version(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<(contestants::Model, i32)>, DbErr> {
    let Some(person) = contestants::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
    let Some(contest) = contests::Entity::find_by_id(person.contest_id).one(db).await? else { return Ok(None) };
    Ok(Some((person, contest.token_version)))
}
