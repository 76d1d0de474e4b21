//! What the buzzer part stores: presses (in batches, in the server's receive order) and
//! marks. The audit entry of a mark goes through [`super::live::audit`] in the same
//! transaction.
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};

use crate::domain::buzzer::{Mark, Press};
use crate::entities::{buzzer_marks, buzzes};

/// Stores a batch of presses in one statement.
pub async fn insert_presses(db: &impl ConnectionTrait, contest_id: i32, batch: &[(i32, Press)]) -> Result<(), DbErr> {
    if batch.is_empty() {
        return Ok(());
    }
    use buzzes::Column as C;
    let mut q = Query::insert();
    q.into_table(buzzes::Entity).columns([
        C::ContestId,
        C::PartQuestionId,
        C::Round,
        C::Seq,
        C::TeamId,
        C::ContestantId,
        C::ReceivedAt,
        C::FalseStart,
    ]);
    for (pq, p) in batch {
        q.values([
            contest_id.into(),
            (*pq).into(),
            (p.round as i32).into(),
            p.seq.into(),
            p.team_id.into(),
            p.contestant_id.into(),
            p.received_at.into(),
            p.false_start.into(),
        ])
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    }
    db.execute(&q).await.map(|_| ())
}

/// The stored presses of some questions, each question's in receive order.
pub async fn presses_of_questions(db: &impl ConnectionTrait, pq_ids: &[i32]) -> Result<Vec<buzzes::Model>, DbErr> {
    if pq_ids.is_empty() {
        return Ok(vec![]);
    }
    buzzes::Entity::find()
        .filter(buzzes::Column::PartQuestionId.is_in(pq_ids.iter().copied()))
        .order_by_asc(buzzes::Column::PartQuestionId)
        .order_by_asc(buzzes::Column::Seq)
        .all(db)
        .await
}

/// Every stored press of a contest, question by question, in receive order.
pub async fn presses_of_contest(db: &impl ConnectionTrait, contest_id: i32) -> Result<Vec<buzzes::Model>, DbErr> {
    buzzes::Entity::find()
        .filter(buzzes::Column::ContestId.eq(contest_id))
        .order_by_asc(buzzes::Column::PartQuestionId)
        .order_by_asc(buzzes::Column::Seq)
        .all(db)
        .await
}

pub async fn insert_mark(
    db: &impl ConnectionTrait,
    contest_id: i32,
    pq: i32,
    m: &Mark,
    actor: &str,
) -> Result<buzzer_marks::Model, DbErr> {
    buzzer_marks::ActiveModel {
        id: NotSet,
        contest_id: Set(contest_id),
        part_question_id: Set(pq),
        team_id: Set(m.team_id),
        round: Set(m.round as i32),
        correct: Set(m.correct),
        points: Set(m.points),
        actor: Set(actor.to_owned()),
        created_at: Set(crate::now_ms()),
    }
    .insert(db)
    .await
}

/// The stored marks of some questions, in the order they were given.
pub async fn marks_of_questions(db: &impl ConnectionTrait, pq_ids: &[i32]) -> Result<Vec<buzzer_marks::Model>, DbErr> {
    if pq_ids.is_empty() {
        return Ok(vec![]);
    }
    buzzer_marks::Entity::find()
        .filter(buzzer_marks::Column::PartQuestionId.is_in(pq_ids.iter().copied()))
        .order_by_asc(buzzer_marks::Column::Id)
        .all(db)
        .await
}

pub fn press_of(m: &buzzes::Model) -> Press {
    Press {
        seq: m.seq,
        round: m.round.max(0) as u32,
        team_id: m.team_id,
        contestant_id: m.contestant_id,
        received_at: m.received_at,
        false_start: m.false_start,
    }
}

pub fn mark_of(m: &buzzer_marks::Model) -> Mark {
    Mark { team_id: m.team_id, round: m.round.max(0) as u32, correct: m.correct, points: m.points }
}
