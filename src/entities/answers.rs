use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "answers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub contest_id: i32,
    pub part_question_id: i32,
    pub team_id: i32,
    pub contestant_id: i32,
    pub submission_id: String,
    pub payload: String,
    pub star: bool,
    pub received_at: i64,
    pub elapsed_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
