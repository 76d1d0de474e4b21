use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "judges")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub contest_id: i32,
    pub user_id: Option<i32>,
    pub display_name: String,
    pub invite_hash: Option<String>,
    pub invite_used_at: Option<i64>,
    pub token_version: i32,
    pub created_at: i64,
    /// The judge's username on the server an imported contest came from.
    pub archived_username: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
