//! The whole contest's ranking and its awards ceremony:
//! - `parts.tie_break_teams`: a JSON array of team ids when the part is a tie-break part
//!   (played only by those teams, not added to the total); NULL for an ordinary part.
//! - `board_freezes`: the public board frozen by the organiser (one row per frozen
//!   contest), with the snapshot that the projector and phones keep showing and how far
//!   the bottom-up reveal has gone, so a restart keeps both.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Parts::Table).add_column(text_null(Parts::TieBreakTeams)).to_owned())
            .await?;
        m.create_table(
            Table::create()
                .table(BoardFreezes::Table)
                .col(integer(BoardFreezes::ContestId).primary_key())
                .col(big_integer(BoardFreezes::FrozenAt))
                .col(string(BoardFreezes::Actor))
                .col(integer(BoardFreezes::Revealed).default(0))
                .col(boolean(BoardFreezes::TiesConfirmed).default(false))
                .col(text(BoardFreezes::Snapshot))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_board_freezes_contest")
                        .from(BoardFreezes::Table, BoardFreezes::ContestId)
                        .to(Contests::Table, Contests::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(BoardFreezes::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Parts::Table).drop_column(Parts::TieBreakTeams).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Parts {
    Table,
    TieBreakTeams,
}

#[derive(DeriveIden)]
enum BoardFreezes {
    Table,
    ContestId,
    FrozenAt,
    Actor,
    Revealed,
    TiesConfirmed,
    Snapshot,
}

#[derive(DeriveIden)]
enum Contests {
    Table,
    Id,
}
