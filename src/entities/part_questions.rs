use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "part_questions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub part_id: i32,
    pub position: i32,
    pub question_id: Option<i32>,
    pub question_version: Option<i32>,
    pub snapshot: String,
    pub points: f64,
    pub time_limit_s: i32,
    pub status: String,
    pub opened_at: Option<i64>,
    pub deadline_at: Option<i64>,
    pub paused_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub revealed_at: Option<i64>,
    pub void_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
