use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "board_freezes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub contest_id: i32,
    pub frozen_at: i64,
    pub actor: String,
    /// Teams revealed so far, from the bottom of the frozen board.
    pub revealed: i32,
    pub ties_confirmed: bool,
    /// JSON: the frozen public board and each team's own results at freeze time.
    pub snapshot: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
