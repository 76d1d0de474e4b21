//! Questions that answer each other must not meet in one contest: each question row keeps
//! the groups it belongs to and the ids it excludes (JSON lists), so a draw and a manual
//! choice can refuse the pair without reading every version's snapshot. One column per
//! statement: SQLite alters one column at a time.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [Questions::ExclusionGroups, Questions::Excludes] {
            m.alter_table(
                Table::alter()
                    .table(Questions::Table)
                    .add_column(ColumnDef::new(col).text().not_null().default("[]"))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [Questions::ExclusionGroups, Questions::Excludes] {
            m.alter_table(Table::alter().table(Questions::Table).drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Questions {
    Table,
    ExclusionGroups,
    Excludes,
}
