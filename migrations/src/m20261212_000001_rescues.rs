//! Rescues (cứu trợ) of an elimination part: each row brings one eliminated contestant
//! back after a question, with who decided it and why. Who is in is derived from the
//! stored answers and these rows (`src/domain/elimination.rs`).
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Rescues::Table)
                .col(pk_auto(Rescues::Id))
                .col(integer(Rescues::ContestId))
                .col(integer(Rescues::PartId))
                .col(integer(Rescues::ContestantId))
                .col(integer(Rescues::AfterQuestionId))
                .col(text(Rescues::Reason))
                .col(string(Rescues::Actor))
                .col(big_integer(Rescues::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_rescues_contest")
                        .from(Rescues::Table, Rescues::ContestId)
                        .to(Contests::Table, Contests::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_rescues_part")
                        .from(Rescues::Table, Rescues::PartId)
                        .to(Parts::Table, Parts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_rescues_part").table(Rescues::Table).col(Rescues::PartId).to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Rescues::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Rescues {
    Table,
    Id,
    ContestId,
    PartId,
    ContestantId,
    AfterQuestionId,
    Reason,
    Actor,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Contests {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Parts {
    Table,
    Id,
}
