//! The buzzer part's presses and marks. `buzzes` keeps every press the server took (and
//! each false start that locked a team) with its receive time and its place in the
//! server's receive order (`seq`, per question); `buzzer_marks` keeps the organiser's or
//! judge's right/wrong mark of the team that had the floor, with the points it earned.
//! The current round's opening and steal deadline are the question's `opened_at` and
//! `deadline_at`; its round is the number of wrong marks so far.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn to_question<T: IntoIden + Clone + 'static>(table: T, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from_tbl(table)
        .from_col(col)
        .to_tbl(PartQuestions::Table)
        .to_col(PartQuestions::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Buzzes::Table)
                .col(big_pk_auto(Buzzes::Id))
                .col(integer(Buzzes::ContestId))
                .col(integer(Buzzes::PartQuestionId))
                .col(integer(Buzzes::Round))
                .col(big_integer(Buzzes::Seq))
                .col(integer(Buzzes::TeamId))
                .col(integer(Buzzes::ContestantId))
                .col(big_integer(Buzzes::ReceivedAt))
                .col(boolean(Buzzes::FalseStart).default(false))
                .foreign_key(&mut to_question(Buzzes::Table, Buzzes::PartQuestionId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_buzzes_question_seq")
                .table(Buzzes::Table)
                .col(Buzzes::PartQuestionId)
                .col(Buzzes::Seq)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(BuzzerMarks::Table)
                .col(pk_auto(BuzzerMarks::Id))
                .col(integer(BuzzerMarks::ContestId))
                .col(integer(BuzzerMarks::PartQuestionId))
                .col(integer(BuzzerMarks::TeamId))
                .col(integer(BuzzerMarks::Round))
                .col(boolean(BuzzerMarks::Correct))
                .col(double(BuzzerMarks::Points))
                .col(string(BuzzerMarks::Actor))
                .col(big_integer(BuzzerMarks::CreatedAt))
                .foreign_key(&mut to_question(BuzzerMarks::Table, BuzzerMarks::PartQuestionId))
                .to_owned(),
        )
        .await?;
        // A team is marked at most once per question (a wrong mark locks it out).
        m.create_index(
            Index::create()
                .name("ux_buzzer_marks_question_team")
                .table(BuzzerMarks::Table)
                .col(BuzzerMarks::PartQuestionId)
                .col(BuzzerMarks::TeamId)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(BuzzerMarks::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Buzzes::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone)]
enum Buzzes {
    Table,
    Id,
    ContestId,
    PartQuestionId,
    Round,
    Seq,
    TeamId,
    ContestantId,
    ReceivedAt,
    FalseStart,
}

#[derive(DeriveIden, Clone)]
enum BuzzerMarks {
    Table,
    Id,
    ContestId,
    PartQuestionId,
    TeamId,
    Round,
    Correct,
    Points,
    Actor,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PartQuestions {
    Table,
    Id,
}
