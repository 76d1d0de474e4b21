//! Schema migrations for hoithi. They describe tables with sea-query only and never
//! depend on the entity code, so an old migration keeps meaning what it meant.
pub use sea_orm_migration::prelude::*;

mod m20261126_000001_initial;
mod m20261127_000001_answers_by_time;
mod m20261201_000001_question_groups;
mod m20261202_000001_results;
mod m20261203_000002_buzzer;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_initial::Migration),
            Box::new(m20261127_000001_answers_by_time::Migration),
            Box::new(m20261201_000001_question_groups::Migration),
            Box::new(m20261202_000001_results::Migration),
            Box::new(m20261203_000002_buzzer::Migration),
        ]
    }
}
