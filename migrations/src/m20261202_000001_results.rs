//! Published results: one row per contest whose results the organiser has published,
//! holding the snapshot that the public results page serves. Unpublishing deletes the
//! row (the audit log keeps who, when and why).
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ResultPublications::Table)
                .col(integer(ResultPublications::ContestId).primary_key())
                .col(big_integer(ResultPublications::PublishedAt))
                .col(string(ResultPublications::Actor))
                .col(boolean(ResultPublications::TiesConfirmed).default(false))
                .col(text(ResultPublications::Snapshot))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_result_publications_contest")
                        .from(ResultPublications::Table, ResultPublications::ContestId)
                        .to(Contests::Table, Contests::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ResultPublications::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ResultPublications {
    Table,
    ContestId,
    PublishedAt,
    Actor,
    TiesConfirmed,
    Snapshot,
}

#[derive(DeriveIden)]
enum Contests {
    Table,
    Id,
}
