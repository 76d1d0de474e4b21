//! Teams (with their join codes) and the contestants who joined them.
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::domain::contest::new_join_code;
use crate::entities::{contestants, contests, teams};

pub async fn list(db: &impl ConnectionTrait, contest_id: i32) -> Result<Vec<teams::Model>, DbErr> {
    teams::Entity::find().filter(teams::Column::ContestId.eq(contest_id)).order_by_asc(teams::Column::Id).all(db).await
}

pub async fn get(db: &impl ConnectionTrait, contest_id: i32, id: i32) -> Result<Option<teams::Model>, DbErr> {
    teams::Entity::find_by_id(id).filter(teams::Column::ContestId.eq(contest_id)).one(db).await
}

/// The team of a join code and its contest.
pub async fn by_code(db: &impl ConnectionTrait, code: &str) -> Result<Option<(teams::Model, contests::Model)>, DbErr> {
    let Some(team) = teams::Entity::find().filter(teams::Column::Code.eq(code)).one(db).await? else {
        return Ok(None);
    };
    Ok(contests::Entity::find_by_id(team.contest_id).one(db).await?.map(|c| (team, c)))
}

/// The team of `contest_id` named exactly `name`, other than `except`.
pub async fn by_name(
    db: &impl ConnectionTrait,
    contest_id: i32,
    name: &str,
    except: Option<i32>,
) -> Result<Option<teams::Model>, DbErr> {
    let mut q =
        teams::Entity::find().filter(teams::Column::ContestId.eq(contest_id)).filter(teams::Column::Name.eq(name));
    if let Some(id) = except {
        q = q.filter(teams::Column::Id.ne(id));
    }
    q.one(db).await
}

/// A join code no team has yet. Checked before inserting, so a collision never aborts
/// the surrounding transaction (PostgreSQL cannot continue one after an error).
pub async fn free_code(db: &impl ConnectionTrait) -> Result<String, DbErr> {
    for _ in 0..20 {
        let code = new_join_code();
        if teams::Entity::find().filter(teams::Column::Code.eq(code.as_str())).count(db).await? == 0 {
            return Ok(code);
        }
    }
    Err(DbErr::Custom("could not find a free join code in 20 attempts".into()))
}

pub async fn insert(
    db: &impl ConnectionTrait,
    contest_id: i32,
    name: &str,
    unit: &str,
    members_json: &str,
    code: Option<&str>,
) -> Result<teams::Model, DbErr> {
    let code = match code {
        Some(c) => c.to_owned(),
        None => free_code(db).await?,
    };
    teams::ActiveModel {
        contest_id: Set(contest_id),
        name: Set(name.to_owned()),
        unit: Set(unit.to_owned()),
        code: Set(code),
        members: Set(members_json.to_owned()),
        created_at: Set(crate::now_ms()),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn update(db: &impl ConnectionTrait, m: teams::ActiveModel) -> Result<teams::Model, DbErr> {
    m.update(db).await
}

pub async fn delete(db: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    contestants::Entity::delete_many().filter(contestants::Column::TeamId.eq(id)).exec(db).await?;
    teams::Entity::delete_by_id(id).exec(db).await.map(|_| ())
}

/// Locks the team for the rest of the transaction, so two members joining at once cannot
/// both become captain. A no-op write rather than `SELECT … FOR UPDATE`: on SQLite a
/// transaction that starts with a read cannot later write once another writer committed
/// (SQLITE_BUSY_SNAPSHOT), while one that starts with a write waits its turn; on
/// PostgreSQL the write takes the row lock.
pub async fn lock(db: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    teams::Entity::update_many()
        .col_expr(teams::Column::Code, Expr::col(teams::Column::Code))
        .filter(teams::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Gives the team a fresh join code; the old one stops working.
pub async fn new_code(db: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    let code = free_code(db).await?;
    teams::Entity::update_many()
        .col_expr(teams::Column::Code, Expr::value(code))
        .filter(teams::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

// ---- contestants

pub async fn contestants(db: &impl ConnectionTrait, contest_id: i32) -> Result<Vec<contestants::Model>, DbErr> {
    contestants::Entity::find()
        .filter(contestants::Column::ContestId.eq(contest_id))
        .order_by_asc(contestants::Column::Id)
        .all(db)
        .await
}

pub async fn contestant(
    db: &impl ConnectionTrait,
    contest_id: i32,
    id: i32,
) -> Result<Option<contestants::Model>, DbErr> {
    contestants::Entity::find_by_id(id).filter(contestants::Column::ContestId.eq(contest_id)).one(db).await
}

/// Does the team have a captain among its members still in play?
pub async fn has_captain(db: &impl ConnectionTrait, team_id: i32) -> Result<bool, DbErr> {
    Ok(contestants::Entity::find()
        .filter(contestants::Column::TeamId.eq(team_id))
        .filter(contestants::Column::IsCaptain.eq(true))
        .filter(contestants::Column::Revoked.eq(false))
        .count(db)
        .await?
        > 0)
}

pub async fn insert_contestant(
    db: &impl ConnectionTrait,
    contest_id: i32,
    team_id: i32,
    name: &str,
    is_captain: bool,
) -> Result<contestants::Model, DbErr> {
    contestants::ActiveModel {
        contest_id: Set(contest_id),
        team_id: Set(team_id),
        name: Set(name.to_owned()),
        is_captain: Set(is_captain),
        revoked: Set(false),
        joined_at: Set(crate::now_ms()),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Revokes a contestant: their token stops working at once.
pub async fn revoke_contestant(db: &impl ConnectionTrait, id: i32) -> Result<(), DbErr> {
    contestants::Entity::update_many()
        .col_expr(contestants::Column::Revoked, Expr::value(true))
        .col_expr(contestants::Column::IsCaptain, Expr::value(false))
        .filter(contestants::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Makes `id` the one captain of `team_id`.
pub async fn set_captain(db: &impl ConnectionTrait, team_id: i32, id: i32) -> Result<(), DbErr> {
    contestants::Entity::update_many()
        .col_expr(contestants::Column::IsCaptain, Expr::value(false))
        .filter(contestants::Column::TeamId.eq(team_id))
        .exec(db)
        .await?;
    contestants::Entity::update_many()
        .col_expr(contestants::Column::IsCaptain, Expr::value(true))
        .filter(contestants::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Ids of the team's members still in play, oldest first.
pub async fn active_member_ids(db: &impl ConnectionTrait, team_id: i32) -> Result<Vec<i32>, DbErr> {
    contestants::Entity::find()
        .select_only()
        .column(contestants::Column::Id)
        .filter(contestants::Column::TeamId.eq(team_id))
        .filter(contestants::Column::Revoked.eq(false))
        .order_by_asc(contestants::Column::Id)
        .into_tuple()
        .all(db)
        .await
}
