//! Contest archives: a contest created by importing an archive records where it came from
//! (`contests.imported_from`, a JSON object; null for contests made here), and a judge of
//! such a contest keeps the username their account had on the exporting server
//! (`judges.archived_username`): the account itself does not travel, so the imported judge
//! is linked to no account here. One column per statement: SQLite alters one at a time.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Contests::Table)
                .add_column(ColumnDef::new(Contests::ImportedFrom).text().null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Judges::Table)
                .add_column(ColumnDef::new(Judges::ArchivedUsername).string().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Judges::Table).drop_column(Judges::ArchivedUsername).to_owned()).await?;
        m.alter_table(Table::alter().table(Contests::Table).drop_column(Contests::ImportedFrom).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Contests {
    Table,
    ImportedFrom,
}

#[derive(DeriveIden)]
enum Judges {
    Table,
    ArchivedUsername,
}
