use sea_orm::entity::prelude::*;

/// A right/wrong mark of the team that had the floor on a buzzer question.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "buzzer_marks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub contest_id: i32,
    pub part_question_id: i32,
    pub team_id: i32,
    pub round: i32,
    pub correct: bool,
    pub points: f64,
    pub actor: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
