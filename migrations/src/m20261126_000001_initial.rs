//! The first schema: accounts, banks and questions, contests with their teams, judges
//! and parts, and the live record (answers, adjustments, audit log).
//!
//! Instants are stored as `BIGINT` milliseconds since the Unix epoch (server clock), so
//! deadlines compare exactly on SQLite and PostgreSQL alike. JSON documents are stored
//! as text and parsed by the domain code.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(pk_auto(Users::Id))
                .col(string_uniq(Users::Username))
                .col(string(Users::PasswordHash))
                .col(string(Users::Role))
                .col(integer(Users::TokenVersion).default(0))
                .col(big_integer(Users::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Settings::Table)
                .col(string(Settings::Key).primary_key())
                .col(text(Settings::Value))
                .to_owned(),
        )
        .await?;

        // ---- question banks
        m.create_table(
            Table::create()
                .table(Banks::Table)
                .col(pk_auto(Banks::Id))
                .col(string_uniq(Banks::Slug))
                .col(string(Banks::Title))
                .col(text(Banks::Campaign))
                .col(string(Banks::Year))
                .col(string(Banks::Origin))
                .col(big_integer(Banks::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(BankSections::Table)
                .col(pk_auto(BankSections::Id))
                .col(integer(BankSections::BankId))
                .col(string(BankSections::Slug))
                .col(text(BankSections::Title))
                .col(integer(BankSections::Position))
                .foreign_key(&mut fk(BankSections::Table, BankSections::BankId, Banks::Table, Banks::Id))
                .to_owned(),
        )
        .await?;
        unique(m, "ux_bank_sections_slug", BankSections::Table, &[BankSections::BankId, BankSections::Slug]).await?;
        m.create_table(
            Table::create()
                .table(BankDocuments::Table)
                .col(pk_auto(BankDocuments::Id))
                .col(integer(BankDocuments::BankId))
                .col(string(BankDocuments::Slug))
                .col(text(BankDocuments::Title))
                .col(string(BankDocuments::Publisher))
                .col(string(BankDocuments::PublishedOn))
                .col(string(BankDocuments::Author))
                .col(text(BankDocuments::Body))
                .foreign_key(&mut fk(BankDocuments::Table, BankDocuments::BankId, Banks::Table, Banks::Id))
                .to_owned(),
        )
        .await?;
        unique(m, "ux_bank_documents_slug", BankDocuments::Table, &[BankDocuments::BankId, BankDocuments::Slug])
            .await?;
        m.create_table(
            Table::create()
                .table(Questions::Table)
                .col(pk_auto(Questions::Id))
                .col(integer(Questions::BankId))
                .col(string(Questions::Qid))
                .col(string(Questions::Section))
                .col(string(Questions::Kind))
                .col(text(Questions::Prompt))
                .col(text(Questions::Options))
                .col(text(Questions::Answer))
                .col(text(Questions::Explanation))
                .col(small_integer(Questions::Difficulty))
                .col(double(Questions::Points))
                .col(integer(Questions::TimeLimitS))
                .col(text(Questions::Tags))
                .col(string(Questions::SourceDocument))
                .col(text(Questions::SourceQuote))
                .col(text(Questions::SearchText))
                .col(integer(Questions::Version).default(1))
                .col(boolean(Questions::Retired).default(false))
                .col(big_integer(Questions::UpdatedAt))
                .foreign_key(&mut fk(Questions::Table, Questions::BankId, Banks::Table, Banks::Id))
                .to_owned(),
        )
        .await?;
        unique(m, "ux_questions_qid", Questions::Table, &[Questions::BankId, Questions::Qid]).await?;
        m.create_table(
            Table::create()
                .table(QuestionVersions::Table)
                .col(pk_auto(QuestionVersions::Id))
                .col(integer(QuestionVersions::QuestionId))
                .col(integer(QuestionVersions::Version))
                .col(text(QuestionVersions::Snapshot))
                .col(big_integer(QuestionVersions::CreatedAt))
                .foreign_key(&mut fk(
                    QuestionVersions::Table,
                    QuestionVersions::QuestionId,
                    Questions::Table,
                    Questions::Id,
                ))
                .to_owned(),
        )
        .await?;
        unique(
            m,
            "ux_question_versions",
            QuestionVersions::Table,
            &[QuestionVersions::QuestionId, QuestionVersions::Version],
        )
        .await?;

        // ---- contests
        m.create_table(
            Table::create()
                .table(Contests::Table)
                .col(pk_auto(Contests::Id))
                .col(string(Contests::Name))
                .col(string(Contests::Unit))
                .col(string(Contests::HeldOn))
                .col(string(Contests::Venue))
                .col(text(Contests::PrizeScheme))
                .col(string(Contests::CaptainPolicy))
                .col(string(Contests::Status))
                .col(integer(Contests::TokenVersion).default(0))
                .col(big_integer(Contests::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ContestBanks::Table)
                .col(integer(ContestBanks::ContestId))
                .col(integer(ContestBanks::BankId))
                .primary_key(Index::create().col(ContestBanks::ContestId).col(ContestBanks::BankId))
                .foreign_key(&mut fk(ContestBanks::Table, ContestBanks::ContestId, Contests::Table, Contests::Id))
                .foreign_key(&mut fk(ContestBanks::Table, ContestBanks::BankId, Banks::Table, Banks::Id))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Teams::Table)
                .col(pk_auto(Teams::Id))
                .col(integer(Teams::ContestId))
                .col(string(Teams::Name))
                .col(string(Teams::Unit))
                .col(string_uniq(Teams::Code))
                .col(text(Teams::Members))
                .col(big_integer(Teams::CreatedAt))
                .foreign_key(&mut fk(Teams::Table, Teams::ContestId, Contests::Table, Contests::Id))
                .to_owned(),
        )
        .await?;
        unique(m, "ux_teams_name", Teams::Table, &[Teams::ContestId, Teams::Name]).await?;
        m.create_table(
            Table::create()
                .table(Contestants::Table)
                .col(pk_auto(Contestants::Id))
                .col(integer(Contestants::ContestId))
                .col(integer(Contestants::TeamId))
                .col(string(Contestants::Name))
                .col(boolean(Contestants::IsCaptain).default(false))
                .col(boolean(Contestants::Revoked).default(false))
                .col(big_integer(Contestants::JoinedAt))
                .foreign_key(&mut fk(Contestants::Table, Contestants::ContestId, Contests::Table, Contests::Id))
                .foreign_key(&mut fk(Contestants::Table, Contestants::TeamId, Teams::Table, Teams::Id))
                .to_owned(),
        )
        .await?;
        index(m, "ix_contestants_team", Contestants::Table, &[Contestants::TeamId]).await?;
        m.create_table(
            Table::create()
                .table(Judges::Table)
                .col(pk_auto(Judges::Id))
                .col(integer(Judges::ContestId))
                .col(integer_null(Judges::UserId))
                .col(string(Judges::DisplayName))
                .col(string_null(Judges::InviteHash).unique_key())
                .col(big_integer_null(Judges::InviteUsedAt))
                .col(integer(Judges::TokenVersion).default(0))
                .col(big_integer(Judges::CreatedAt))
                .foreign_key(&mut fk(Judges::Table, Judges::ContestId, Contests::Table, Contests::Id))
                .foreign_key(&mut fk(Judges::Table, Judges::UserId, Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Parts::Table)
                .col(pk_auto(Parts::Id))
                .col(integer(Parts::ContestId))
                .col(string(Parts::Kind))
                .col(string(Parts::Title))
                .col(integer(Parts::Position))
                .col(double(Parts::MaxPoints))
                .col(double(Parts::Weight))
                .col(integer(Parts::TimePerQuestionS))
                .col(text(Parts::Scoring))
                .col(string(Parts::AnswerPolicy))
                .col(text(Parts::Rubric))
                .col(string(Parts::Status))
                .col(big_integer_null(Parts::StartedAt))
                .col(big_integer_null(Parts::FinishedAt))
                .foreign_key(&mut fk(Parts::Table, Parts::ContestId, Contests::Table, Contests::Id))
                .to_owned(),
        )
        .await?;
        index(m, "ix_parts_contest", Parts::Table, &[Parts::ContestId]).await?;
        m.create_table(
            Table::create()
                .table(PartQuestions::Table)
                .col(pk_auto(PartQuestions::Id))
                .col(integer(PartQuestions::PartId))
                .col(integer(PartQuestions::Position))
                .col(integer_null(PartQuestions::QuestionId))
                .col(integer_null(PartQuestions::QuestionVersion))
                .col(text(PartQuestions::Snapshot))
                .col(double(PartQuestions::Points))
                .col(integer(PartQuestions::TimeLimitS))
                .col(string(PartQuestions::Status))
                .col(big_integer_null(PartQuestions::OpenedAt))
                .col(big_integer_null(PartQuestions::DeadlineAt))
                .col(big_integer_null(PartQuestions::PausedAt))
                .col(big_integer_null(PartQuestions::ClosedAt))
                .col(big_integer_null(PartQuestions::RevealedAt))
                .col(text_null(PartQuestions::VoidReason))
                .foreign_key(&mut fk(PartQuestions::Table, PartQuestions::PartId, Parts::Table, Parts::Id))
                .foreign_key(&mut fk(PartQuestions::Table, PartQuestions::QuestionId, Questions::Table, Questions::Id))
                .to_owned(),
        )
        .await?;
        unique(m, "ux_part_questions_pos", PartQuestions::Table, &[PartQuestions::PartId, PartQuestions::Position])
            .await?;
        m.create_table(
            Table::create()
                .table(Draws::Table)
                .col(pk_auto(Draws::Id))
                .col(integer(Draws::ContestId))
                .col(integer_null(Draws::PartId))
                .col(big_integer(Draws::Seed))
                .col(text(Draws::Quotas))
                .col(text(Draws::QuestionIds))
                .col(big_integer(Draws::CreatedAt))
                .foreign_key(&mut fk(Draws::Table, Draws::ContestId, Contests::Table, Contests::Id))
                .to_owned(),
        )
        .await?;

        // ---- the live record
        m.create_table(
            Table::create()
                .table(Answers::Table)
                .col(big_pk_auto(Answers::Id))
                .col(integer(Answers::ContestId))
                .col(integer(Answers::PartQuestionId))
                .col(integer(Answers::TeamId))
                .col(integer(Answers::ContestantId))
                .col(string(Answers::SubmissionId))
                .col(text(Answers::Payload))
                .col(boolean(Answers::Star).default(false))
                .col(big_integer(Answers::ReceivedAt))
                .col(big_integer(Answers::ElapsedMs))
                .foreign_key(&mut fk(Answers::Table, Answers::PartQuestionId, PartQuestions::Table, PartQuestions::Id))
                .foreign_key(&mut fk(Answers::Table, Answers::ContestantId, Contestants::Table, Contestants::Id))
                .to_owned(),
        )
        .await?;
        unique(m, "ux_answers_submission", Answers::Table, &[Answers::ContestantId, Answers::SubmissionId]).await?;
        index(m, "ix_answers_question_team", Answers::Table, &[Answers::PartQuestionId, Answers::TeamId]).await?;
        m.create_table(
            Table::create()
                .table(Adjustments::Table)
                .col(pk_auto(Adjustments::Id))
                .col(integer(Adjustments::ContestId))
                .col(integer(Adjustments::TeamId))
                .col(integer_null(Adjustments::PartId))
                .col(double(Adjustments::Delta))
                .col(text(Adjustments::Reason))
                .col(string(Adjustments::Actor))
                .col(big_integer(Adjustments::CreatedAt))
                .foreign_key(&mut fk(Adjustments::Table, Adjustments::ContestId, Contests::Table, Contests::Id))
                .foreign_key(&mut fk(Adjustments::Table, Adjustments::TeamId, Teams::Table, Teams::Id))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(big_pk_auto(AuditLog::Id))
                .col(integer_null(AuditLog::ContestId))
                .col(string(AuditLog::Actor))
                .col(string(AuditLog::Action))
                .col(text(AuditLog::Detail))
                .col(big_integer(AuditLog::CreatedAt))
                .to_owned(),
        )
        .await?;
        index(m, "ix_audit_contest", AuditLog::Table, &[AuditLog::ContestId]).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "audit_log",
            "adjustments",
            "answers",
            "draws",
            "part_questions",
            "parts",
            "judges",
            "contestants",
            "teams",
            "contest_banks",
            "contests",
            "question_versions",
            "questions",
            "bank_documents",
            "bank_sections",
            "banks",
            "settings",
            "users",
        ] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
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

async fn unique<T: IntoIden + Clone + 'static, C: IntoIden + Clone + 'static>(
    m: &SchemaManager<'_>,
    name: &str,
    table: T,
    cols: &[C],
) -> Result<(), DbErr> {
    let mut idx = Index::create().name(name).table(table).unique().to_owned();
    for c in cols {
        idx.col(c.clone());
    }
    m.create_index(idx).await
}

async fn index<T: IntoIden + Clone + 'static, C: IntoIden + Clone + 'static>(
    m: &SchemaManager<'_>,
    name: &str,
    table: T,
    cols: &[C],
) -> Result<(), DbErr> {
    let mut idx = Index::create().name(name).table(table).to_owned();
    for c in cols {
        idx.col(c.clone());
    }
    m.create_index(idx).await
}

#[derive(DeriveIden, Clone)]
enum Users {
    Table,
    Id,
    Username,
    PasswordHash,
    Role,
    TokenVersion,
    CreatedAt,
}
#[derive(DeriveIden, Clone)]
enum Settings {
    Table,
    Key,
    Value,
}
#[derive(DeriveIden, Clone)]
enum Banks {
    Table,
    Id,
    Slug,
    Title,
    Campaign,
    Year,
    Origin,
    CreatedAt,
}
#[derive(DeriveIden, Clone)]
enum BankSections {
    Table,
    Id,
    BankId,
    Slug,
    Title,
    Position,
}
#[derive(DeriveIden, Clone)]
enum BankDocuments {
    Table,
    Id,
    BankId,
    Slug,
    Title,
    Publisher,
    PublishedOn,
    Author,
    Body,
}
#[derive(DeriveIden, Clone)]
enum Questions {
    Table,
    Id,
    BankId,
    Qid,
    Section,
    Kind,
    Prompt,
    Options,
    Answer,
    Explanation,
    Difficulty,
    Points,
    TimeLimitS,
    Tags,
    SourceDocument,
    SourceQuote,
    SearchText,
    Version,
    Retired,
    UpdatedAt,
}
#[derive(DeriveIden, Clone)]
enum QuestionVersions {
    Table,
    Id,
    QuestionId,
    Version,
    Snapshot,
    CreatedAt,
}
#[derive(DeriveIden, Clone)]
enum Contests {
    Table,
    Id,
    Name,
    Unit,
    HeldOn,
    Venue,
    PrizeScheme,
    CaptainPolicy,
    Status,
    TokenVersion,
    CreatedAt,
}
#[derive(DeriveIden, Clone)]
enum ContestBanks {
    Table,
    ContestId,
    BankId,
}
#[derive(DeriveIden, Clone)]
enum Teams {
    Table,
    Id,
    ContestId,
    Name,
    Unit,
    Code,
    Members,
    CreatedAt,
}
#[derive(DeriveIden, Clone)]
enum Contestants {
    Table,
    Id,
    ContestId,
    TeamId,
    Name,
    IsCaptain,
    Revoked,
    JoinedAt,
}
#[derive(DeriveIden, Clone)]
enum Judges {
    Table,
    Id,
    ContestId,
    UserId,
    DisplayName,
    InviteHash,
    InviteUsedAt,
    TokenVersion,
    CreatedAt,
}
#[derive(DeriveIden, Clone)]
enum Parts {
    Table,
    Id,
    ContestId,
    Kind,
    Title,
    Position,
    MaxPoints,
    Weight,
    TimePerQuestionS,
    Scoring,
    AnswerPolicy,
    Rubric,
    Status,
    StartedAt,
    FinishedAt,
}
#[derive(DeriveIden, Clone)]
enum PartQuestions {
    Table,
    Id,
    PartId,
    Position,
    QuestionId,
    QuestionVersion,
    Snapshot,
    Points,
    TimeLimitS,
    Status,
    OpenedAt,
    DeadlineAt,
    PausedAt,
    ClosedAt,
    RevealedAt,
    VoidReason,
}
#[derive(DeriveIden, Clone)]
enum Draws {
    Table,
    Id,
    ContestId,
    PartId,
    Seed,
    Quotas,
    QuestionIds,
    CreatedAt,
}
#[derive(DeriveIden, Clone)]
enum Answers {
    Table,
    Id,
    ContestId,
    PartQuestionId,
    TeamId,
    ContestantId,
    SubmissionId,
    Payload,
    Star,
    ReceivedAt,
    ElapsedMs,
}
#[derive(DeriveIden, Clone)]
enum Adjustments {
    Table,
    Id,
    ContestId,
    TeamId,
    PartId,
    Delta,
    Reason,
    Actor,
    CreatedAt,
}
#[derive(DeriveIden, Clone)]
enum AuditLog {
    Table,
    Id,
    ContestId,
    Actor,
    Action,
    Detail,
    CreatedAt,
}
