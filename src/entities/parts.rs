use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "parts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub contest_id: i32,
    pub kind: String,
    pub title: String,
    pub position: i32,
    pub max_points: f64,
    pub weight: f64,
    pub time_per_question_s: i32,
    pub scoring: String,
    pub answer_policy: String,
    pub rubric: String,
    pub status: String,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// A tie-break part: the JSON array of the teams that play it (NULL: an ordinary part).
    pub tie_break_teams: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
