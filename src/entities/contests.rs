use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "contests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub unit: String,
    pub held_on: String,
    pub venue: String,
    pub prize_scheme: String,
    pub captain_policy: String,
    pub status: String,
    pub token_version: i32,
    pub created_at: i64,
    /// Where an imported contest came from (JSON `ImportedFrom`); None when made here.
    pub imported_from: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
