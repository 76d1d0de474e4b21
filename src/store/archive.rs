//! What a contest archive reads and writes: the answers of a contest page by page (an
//! archive of 10,000 phones holds hundreds of thousands), and the rows of an imported
//! contest with the times and values they had on the exporting server (the ordinary
//! inserts stamp "now").
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::entities::{
    adjustments, answers, audit_log, buzzer_marks, buzzes, contestants, contests, judge_marks, judge_sheets,
    judged_releases, judges, part_questions, parts, performance_orders, rescues, teams,
};

pub async fn count_answers(db: &impl ConnectionTrait, contest_id: i32) -> Result<u64, DbErr> {
    answers::Entity::find().filter(answers::Column::ContestId.eq(contest_id)).count(db).await
}

/// Up to `limit` answers of the contest with an id above `after`, by id.
pub async fn answers_after(
    db: &impl ConnectionTrait,
    contest_id: i32,
    after: i64,
    limit: u64,
) -> Result<Vec<answers::Model>, DbErr> {
    answers::Entity::find()
        .filter(answers::Column::ContestId.eq(contest_id))
        .filter(answers::Column::Id.gt(after))
        .order_by_asc(answers::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Inserts a row with every value as given except its id, which the database chooses.
macro_rules! insert_as_is {
    ($name:ident, $module:ident) => {
        pub async fn $name(db: &impl ConnectionTrait, m: $module::Model) -> Result<$module::Model, DbErr> {
            let mut a = $module::ActiveModel::from(m).reset_all();
            a.id = NotSet;
            a.insert(db).await
        }
    };
}

insert_as_is!(insert_contest, contests);
insert_as_is!(insert_team, teams);
insert_as_is!(insert_contestant, contestants);
insert_as_is!(insert_judge, judges);
insert_as_is!(insert_part, parts);
insert_as_is!(insert_part_question, part_questions);
insert_as_is!(insert_adjustment, adjustments);
insert_as_is!(insert_audit, audit_log);
insert_as_is!(insert_mark, judge_marks);
insert_as_is!(insert_sheet, judge_sheets);
insert_as_is!(insert_rescue, rescues);
insert_as_is!(insert_buzz, buzzes);
insert_as_is!(insert_buzzer_mark, buzzer_marks);

/// Inserts a row keyed by other records (no id of its own) with every value as given.
macro_rules! insert_keyed {
    ($name:ident, $module:ident) => {
        pub async fn $name(db: &impl ConnectionTrait, m: $module::Model) -> Result<(), DbErr> {
            $module::Entity::insert($module::ActiveModel::from(m).reset_all()).exec_without_returning(db).await?;
            Ok(())
        }
    };
}

insert_keyed!(insert_order, performance_orders);
insert_keyed!(insert_release, judged_releases);

/// The contest's judges with their usernames: the account's, or the one kept from the
/// server an imported contest came from.
pub async fn judges_with_usernames(
    db: &impl ConnectionTrait,
    contest_id: i32,
) -> Result<Vec<(judges::Model, Option<String>)>, DbErr> {
    let list = super::judges::list(db, contest_id).await?;
    let mut out = Vec::with_capacity(list.len());
    for j in list {
        let name = match j.user_id {
            Some(uid) => super::accounts::user_by_id(db, uid).await?.map(|u| u.username),
            None => j.archived_username.clone(),
        };
        out.push((j, name));
    }
    Ok(out)
}
