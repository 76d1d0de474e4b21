use sea_orm::entity::prelude::*;

/// A press of a buzzer part, in the server's receive order (`seq`, per question).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "buzzes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub contest_id: i32,
    pub part_question_id: i32,
    pub round: i32,
    pub seq: i64,
    pub team_id: i32,
    pub contestant_id: i32,
    pub received_at: i64,
    pub false_start: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
