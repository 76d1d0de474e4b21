//! Several instances on one PostgreSQL database: `engine_leases` says which instance owns
//! each contest's live engine (with a fencing `epoch` raised at every takeover and an
//! expiry renewed by the owner's heartbeat), and `relay_posts` holds the owner's posts too
//! large for one NOTIFY (8,000 bytes) for the other instances to fetch. SQLite serves one
//! instance only, so neither table exists there.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        db.execute_unprepared(
            "CREATE TABLE engine_leases (
                contest_id INTEGER PRIMARY KEY REFERENCES contests (id) ON DELETE CASCADE,
                owner TEXT NOT NULL,
                owner_url TEXT NOT NULL,
                epoch BIGINT NOT NULL,
                expires_at TIMESTAMPTZ NOT NULL
            )",
        )
        .await?;
        db.execute_unprepared(
            "CREATE TABLE relay_posts (
                id BIGSERIAL PRIMARY KEY,
                contest_id INTEGER NOT NULL,
                body TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        db.execute_unprepared("DROP TABLE IF EXISTS relay_posts").await?;
        db.execute_unprepared("DROP TABLE IF EXISTS engine_leases").await?;
        Ok(())
    }
}
