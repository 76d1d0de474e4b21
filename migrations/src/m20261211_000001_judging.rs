//! Judged parts (sân khấu hóa, hùng biện, chào hỏi): the order of performance drawn by lot,
//! each judge's marks per team and criterion, each judge's sheet per team (signed or not),
//! and which teams' part scores the organiser released to the hall.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One row per part: the last draw (earlier ones are in the audit log).
        m.create_table(
            Table::create()
                .table(PerformanceOrders::Table)
                .col(integer(PerformanceOrders::PartId).primary_key())
                .col(big_integer(PerformanceOrders::Seed))
                .col(text(PerformanceOrders::TeamIds))
                .col(string(PerformanceOrders::Actor))
                .col(big_integer(PerformanceOrders::DrawnAt))
                .foreign_key(&mut fk(PerformanceOrders::Table, PerformanceOrders::PartId, Parts::Table, Parts::Id))
                .to_owned(),
        )
        .await?;
        // Criterion is the index in the part's rubric (the rubric cannot change once marked).
        m.create_table(
            Table::create()
                .table(JudgeMarks::Table)
                .col(pk_auto(JudgeMarks::Id))
                .col(integer(JudgeMarks::PartId))
                .col(integer(JudgeMarks::JudgeId))
                .col(integer(JudgeMarks::TeamId))
                .col(integer(JudgeMarks::Criterion))
                .col(double(JudgeMarks::Points))
                .col(big_integer(JudgeMarks::UpdatedAt))
                .foreign_key(&mut fk(JudgeMarks::Table, JudgeMarks::PartId, Parts::Table, Parts::Id))
                .foreign_key(&mut fk(JudgeMarks::Table, JudgeMarks::JudgeId, Judges::Table, Judges::Id))
                .foreign_key(&mut fk(JudgeMarks::Table, JudgeMarks::TeamId, Teams::Table, Teams::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_judge_marks_key")
                .table(JudgeMarks::Table)
                .unique()
                .col(JudgeMarks::PartId)
                .col(JudgeMarks::TeamId)
                .col(JudgeMarks::JudgeId)
                .col(JudgeMarks::Criterion)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(JudgeSheets::Table)
                .col(pk_auto(JudgeSheets::Id))
                .col(integer(JudgeSheets::PartId))
                .col(integer(JudgeSheets::JudgeId))
                .col(integer(JudgeSheets::TeamId))
                .col(big_integer_null(JudgeSheets::SignedAt))
                .foreign_key(&mut fk(JudgeSheets::Table, JudgeSheets::PartId, Parts::Table, Parts::Id))
                .foreign_key(&mut fk(JudgeSheets::Table, JudgeSheets::JudgeId, Judges::Table, Judges::Id))
                .foreign_key(&mut fk(JudgeSheets::Table, JudgeSheets::TeamId, Teams::Table, Teams::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_judge_sheets_key")
                .table(JudgeSheets::Table)
                .unique()
                .col(JudgeSheets::PartId)
                .col(JudgeSheets::TeamId)
                .col(JudgeSheets::JudgeId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(JudgedReleases::Table)
                .col(integer(JudgedReleases::PartId))
                .col(integer(JudgedReleases::TeamId))
                .col(string(JudgedReleases::Actor))
                .col(big_integer(JudgedReleases::ReleasedAt))
                .primary_key(Index::create().col(JudgedReleases::PartId).col(JudgedReleases::TeamId))
                .foreign_key(&mut fk(JudgedReleases::Table, JudgedReleases::PartId, Parts::Table, Parts::Id))
                .foreign_key(&mut fk(JudgedReleases::Table, JudgedReleases::TeamId, Teams::Table, Teams::Id))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(JudgedReleases::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(JudgeSheets::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(JudgeMarks::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(PerformanceOrders::Table).to_owned()).await
    }
}

fn fk<T: IntoIden + Clone + 'static>(
    from: T,
    col: impl IntoIden,
    to: impl IntoIden,
    to_col: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from_tbl(from)
        .from_col(col)
        .to_tbl(to)
        .to_col(to_col)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[derive(DeriveIden, Clone)]
enum PerformanceOrders {
    Table,
    PartId,
    Seed,
    TeamIds,
    Actor,
    DrawnAt,
}

#[derive(DeriveIden, Clone)]
enum JudgeMarks {
    Table,
    Id,
    PartId,
    JudgeId,
    TeamId,
    Criterion,
    Points,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum JudgeSheets {
    Table,
    Id,
    PartId,
    JudgeId,
    TeamId,
    SignedAt,
}

#[derive(DeriveIden, Clone)]
enum JudgedReleases {
    Table,
    PartId,
    TeamId,
    Actor,
    ReleasedAt,
}

#[derive(DeriveIden)]
enum Parts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Judges {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
}
