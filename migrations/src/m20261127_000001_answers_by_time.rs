//! Answers are read by question in the order they arrived, and written in bursts of
//! thousands. The index on (question, team) put each new answer on a random page, so every
//! group commit rewrote one index page per answer; (question, received_at) grows at its end,
//! which is also the order the reads want.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_answers_question_team").table(Answers::Table).to_owned()).await?;
        m.create_index(
            Index::create()
                .name("ix_answers_question_received")
                .table(Answers::Table)
                .col(Answers::PartQuestionId)
                .col(Answers::ReceivedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_answers_question_received").table(Answers::Table).to_owned()).await?;
        m.create_index(
            Index::create()
                .name("ix_answers_question_team")
                .table(Answers::Table)
                .col(Answers::PartQuestionId)
                .col(Answers::TeamId)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden, Clone)]
enum Answers {
    Table,
    PartQuestionId,
    TeamId,
    ReceivedAt,
}
