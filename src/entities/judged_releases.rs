use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "judged_releases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub part_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub team_id: i32,
    pub actor: String,
    pub released_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
