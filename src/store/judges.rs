//! Judges of a contest: assigned accounts and invited judges (one-time link tokens, of
//! which only a SHA-256 hash is kept).
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder,
};

use crate::entities::{judges, users};

pub async fn list(db: &impl ConnectionTrait, contest_id: i32) -> Result<Vec<judges::Model>, DbErr> {
    judges::Entity::find()
        .filter(judges::Column::ContestId.eq(contest_id))
        .order_by_asc(judges::Column::Id)
        .all(db)
        .await
}

pub async fn get(db: &impl ConnectionTrait, contest_id: i32, id: i32) -> Result<Option<judges::Model>, DbErr> {
    judges::Entity::find_by_id(id).filter(judges::Column::ContestId.eq(contest_id)).one(db).await
}

pub async fn by_user(db: &impl ConnectionTrait, contest_id: i32, user_id: i32) -> Result<Option<judges::Model>, DbErr> {
    judges::Entity::find()
        .filter(judges::Column::ContestId.eq(contest_id))
        .filter(judges::Column::UserId.eq(user_id))
        .one(db)
        .await
}

pub async fn by_invite_hash(db: &impl ConnectionTrait, hash: &str) -> Result<Option<judges::Model>, DbErr> {
    judges::Entity::find().filter(judges::Column::InviteHash.eq(hash)).one(db).await
}

pub async fn insert(
    db: &impl ConnectionTrait,
    contest_id: i32,
    user_id: Option<i32>,
    display_name: &str,
    invite_hash: Option<String>,
) -> Result<judges::Model, DbErr> {
    judges::ActiveModel {
        contest_id: Set(contest_id),
        user_id: Set(user_id),
        display_name: Set(display_name.to_owned()),
        invite_hash: Set(invite_hash),
        invite_used_at: Set(None),
        token_version: Set(0),
        created_at: Set(crate::now_ms()),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Marks an invitation used, only if it was not: returns false when someone used it first.
pub async fn use_invite(db: &impl ConnectionTrait, id: i32) -> Result<bool, DbErr> {
    let res = judges::Entity::update_many()
        .col_expr(judges::Column::InviteUsedAt, Expr::value(crate::now_ms()))
        .filter(judges::Column::Id.eq(id))
        .filter(judges::Column::InviteUsedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Revokes the judge's tokens; with `new_invite_hash`, a fresh invitation replaces the old.
pub async fn reset(db: &impl ConnectionTrait, j: &judges::Model, new_invite_hash: Option<String>) -> Result<(), DbErr> {
    let mut q = judges::Entity::update_many()
        .col_expr(judges::Column::TokenVersion, Expr::col(judges::Column::TokenVersion).add(1))
        .filter(judges::Column::Id.eq(j.id));
    if let Some(h) = new_invite_hash {
        q = q
            .col_expr(judges::Column::InviteHash, Expr::value(h))
            .col_expr(judges::Column::InviteUsedAt, Expr::value(Option::<i64>::None));
    }
    q.exec(db).await?;
    if let Some(uid) = j.user_id {
        users::Entity::update_many()
            .col_expr(users::Column::TokenVersion, Expr::col(users::Column::TokenVersion).add(1))
            .filter(users::Column::Id.eq(uid))
            .exec(db)
            .await?;
    }
    Ok(())
}

pub async fn delete(db: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    judges::Entity::delete_by_id(id).exec(db).await.map(|_| ())
}

pub async fn users(db: &impl ConnectionTrait) -> Result<Vec<users::Model>, DbErr> {
    users::Entity::find().order_by_asc(users::Column::Id).all(db).await
}
