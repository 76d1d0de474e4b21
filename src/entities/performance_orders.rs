use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "performance_orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub part_id: i32,
    pub seed: i64,
    /// JSON array of team ids in the order they perform.
    pub team_ids: String,
    pub actor: String,
    pub drawn_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
