use sea_orm::entity::prelude::*;

/// The team on stage in a judged part (no row: nobody).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "judged_performing")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub part_id: i32,
    pub team_id: i32,
    pub since: i64,
    pub actor: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
