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
    /// JSON list of the groups of questions that must not meet this one.
    pub exclusion_groups: String,
    /// JSON list of ids (qids) of the same bank that must not meet this one.
    pub excludes: String,
    pub version: i32,
    pub retired: bool,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
