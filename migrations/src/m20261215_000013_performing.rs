//! The team on stage in a judged part: one row per part while a team performs (set by the
//! organiser, "Đội tiếp theo lên sân khấu"), so a restart keeps the projector and the
//! phones showing who performs now. No row: nobody is on stage.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(JudgedPerforming::Table)
                .col(integer(JudgedPerforming::PartId).primary_key())
                .col(integer(JudgedPerforming::TeamId))
                .col(big_integer(JudgedPerforming::Since))
                .col(string(JudgedPerforming::Actor))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_judged_performing_part")
                        .from(JudgedPerforming::Table, JudgedPerforming::PartId)
                        .to(Parts::Table, Parts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_judged_performing_team")
                        .from(JudgedPerforming::Table, JudgedPerforming::TeamId)
                        .to(Teams::Table, Teams::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(JudgedPerforming::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum JudgedPerforming {
    Table,
    PartId,
    TeamId,
    Since,
    Actor,
}

#[derive(DeriveIden)]
enum Parts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
}
