use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "questions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub bank_id: i32,
    pub qid: String,
    pub section: String,
    pub kind: String,
    pub prompt: String,
    pub options: String,
    pub answer: String,
    pub explanation: String,
    pub difficulty: i16,
    pub points: f64,
    pub time_limit_s: i32,
    pub tags: String,
    pub source_document: String,
    pub source_quote: String,
    pub search_text: String,
    pub version: i32,
    pub retired: bool,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
