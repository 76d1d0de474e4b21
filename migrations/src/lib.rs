//! Schema migrations for hoithi. They describe tables with sea-query only and never
//! depend on the entity code, so an old migration keeps meaning what it meant.
pub use sea_orm_migration::prelude::*;

mod m20261126_000001_initial;
mod m20261127_000001_answers_by_time;
mod m20261201_000001_question_groups;
mod m20261202_000001_results;
mod m20261210_000001_archive;
mod m20261211_000001_judging;
mod m20261212_000001_rescues;
mod m20261213_000001_ceremony;
mod m20261214_000001_buzzer;
mod m20261215_000001_engine_leases;
mod m20261215_000013_performing;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_initial::Migration),
            Box::new(m20261127_000001_answers_by_time::Migration),
            Box::new(m20261201_000001_question_groups::Migration),
            Box::new(m20261202_000001_results::Migration),
            Box::new(m20261210_000001_archive::Migration),
            Box::new(m20261211_000001_judging::Migration),
            Box::new(m20261212_000001_rescues::Migration),
            Box::new(m20261213_000001_ceremony::Migration),
            Box::new(m20261214_000001_buzzer::Migration),
            Box::new(m20261215_000001_engine_leases::Migration),
            Box::new(m20261215_000013_performing::Migration),
        ]
    }
}
