//! Contests, the banks they draw from, and closing them (which revokes contestants' and
//! invited judges' tokens by bumping token versions).
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::entities::{banks, contest_banks, contests, judges};

pub struct NewContest<'a> {
    pub name: &'a str,
    pub unit: &'a str,
    pub held_on: &'a str,
    pub venue: &'a str,
    pub prize_scheme: &'a str,
    pub captain_policy: &'a str,
}

pub async fn insert(db: &impl ConnectionTrait, c: NewContest<'_>) -> Result<contests::Model, DbErr> {
    contests::ActiveModel {
        name: Set(c.name.to_owned()),
        unit: Set(c.unit.to_owned()),
        held_on: Set(c.held_on.to_owned()),
        venue: Set(c.venue.to_owned()),
        prize_scheme: Set(c.prize_scheme.to_owned()),
        captain_policy: Set(c.captain_policy.to_owned()),
        status: Set(SETUP.to_owned()),
        token_version: Set(0),
        created_at: Set(crate::now_ms()),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Status of a contest being set up; the live engine sets `running`, closing sets `closed`.
/// A contest's lifecycle: `setup` when created, `running` from the start of its first
/// part (set by the live engine), `closed` when the organiser closes it.
pub const SETUP: &str = "setup";
pub const RUNNING: &str = "running";
pub const CLOSED: &str = "closed";

pub async fn get(db: &impl ConnectionTrait, id: i32) -> Result<Option<contests::Model>, DbErr> {
    contests::Entity::find_by_id(id).one(db).await
}

pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<contests::Model>, DbErr> {
    contests::Entity::find().order_by_asc(contests::Column::Id).all(db).await
}

/// Contests the judge account `user_id` is assigned to.
pub async fn list_for_judge(db: &impl ConnectionTrait, user_id: i32) -> Result<Vec<contests::Model>, DbErr> {
    let ids: Vec<i32> = judges::Entity::find()
        .select_only()
        .column(judges::Column::ContestId)
        .filter(judges::Column::UserId.eq(user_id))
        .into_tuple()
        .all(db)
        .await?;
    contests::Entity::find().filter(contests::Column::Id.is_in(ids)).order_by_asc(contests::Column::Id).all(db).await
}

pub async fn update(db: &impl ConnectionTrait, m: contests::ActiveModel) -> Result<contests::Model, DbErr> {
    m.update(db).await
}

pub async fn delete(db: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    contests::Entity::delete_by_id(id).exec(db).await.map(|_| ())
}

pub async fn bank_ids(db: &impl ConnectionTrait, contest_id: i32) -> Result<Vec<i32>, DbErr> {
    contest_banks::Entity::find()
        .select_only()
        .column(contest_banks::Column::BankId)
        .filter(contest_banks::Column::ContestId.eq(contest_id))
        .order_by_asc(contest_banks::Column::BankId)
        .into_tuple()
        .all(db)
        .await
}

/// The ids among `ids` that name no bank.
pub async fn unknown_banks(db: &impl ConnectionTrait, ids: &[i32]) -> Result<Vec<i32>, DbErr> {
    let found: Vec<i32> = banks::Entity::find()
        .select_only()
        .column(banks::Column::Id)
        .filter(banks::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.iter().copied().filter(|i| !found.contains(i)).collect())
}

/// Replaces the banks a contest draws from.
pub async fn set_banks(db: &impl ConnectionTrait, contest_id: i32, ids: &[i32]) -> Result<(), DbErr> {
    contest_banks::Entity::delete_many().filter(contest_banks::Column::ContestId.eq(contest_id)).exec(db).await?;
    let mut seen = Vec::new();
    for &bank_id in ids {
        if seen.contains(&bank_id) {
            continue;
        }
        seen.push(bank_id);
        contest_banks::ActiveModel { contest_id: Set(contest_id), bank_id: Set(bank_id) }.insert(db).await?;
    }
    Ok(())
}

/// Locks the contest for the rest of the transaction (see `teams::lock` for why a write).
pub async fn lock(db: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    contests::Entity::update_many()
        .col_expr(contests::Column::Name, Expr::col(contests::Column::Name))
        .filter(contests::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Closes a contest: its contestants' tokens and its invited judges' tokens stop working.
pub async fn close(db: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    contests::Entity::update_many()
        .col_expr(contests::Column::Status, Expr::value(CLOSED))
        .col_expr(contests::Column::TokenVersion, Expr::col(contests::Column::TokenVersion).add(1))
        .filter(contests::Column::Id.eq(id))
        .exec(db)
        .await?;
    judges::Entity::update_many()
        .col_expr(judges::Column::TokenVersion, Expr::col(judges::Column::TokenVersion).add(1))
        .filter(judges::Column::ContestId.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
