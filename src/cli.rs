//! The command line: `serve` (the default), `migrate`, `user add`, `bank …`.
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::auth::password;
use crate::config::{DbSettings, ServeSettings};
use crate::startup::Application;
use crate::{db, store};

#[derive(Parser, Debug)]
#[command(name = "hoithi", version, about = "Study-campaign contest server (hội thi tìm hiểu)")]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(flatten)]
    pub serve: ServeSettings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args, Debug)]
pub struct GlobalArgs {
    /// Log level or filter (RUST_LOG overrides).
    #[arg(long, global = true, env = "HOITHI_LOG", default_value = "info")]
    pub log: String,
    /// `human` (the default) or `json`: one JSON object a line, for log collectors.
    #[arg(long, global = true, env = "HOITHI_LOG_FORMAT", value_enum, default_value_t = crate::telemetry::LogFormat::Human)]
    pub log_format: crate::telemetry::LogFormat,
    #[command(flatten)]
    pub db: DbSettings,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API, the pages and the live events (the default).
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Write a consistent copy of the database to FILE, also while a server runs
    /// (SQLite: VACUUM INTO; PostgreSQL: pg_dump).
    Backup { file: std::path::PathBuf },
    /// Replace the database with the backup FILE; refused while a server uses the data.
    Restore { file: std::path::PathBuf },
    /// Question banks: check, template, import, export.
    #[command(subcommand)]
    Bank(crate::bank::cli::BankCommand),
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add an organiser or judge account.
    Add {
        username: String,
        /// `organiser` or `judge`.
        #[arg(long, default_value = "organiser", value_parser = ["organiser", "judge"])]
        role: String,
        /// Password; read from HOITHI_NEW_PASSWORD or generated and printed when absent.
        #[arg(long, env = "HOITHI_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&cli.global.db, cli.serve).await,
        Command::Migrate => {
            let conn = db::connect(&cli.global.db).await?;
            db::migrate(&conn).await?;
            println!("migrations applied to {}", db::redact(&cli.global.db.url()));
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { file } => {
            let conn = db::connect(&cli.global.db).await?;
            crate::backup::backup_to(&conn, &cli.global.db.url(), &file).await?;
            println!("backup written to {}", file.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { file } => {
            crate::backup::restore(&cli.global.db, &file).await?;
            println!("restored {} into {}", file.display(), db::redact(&cli.global.db.url()));
            Ok(ExitCode::SUCCESS)
        }
        Command::Bank(cmd) => crate::bank::cli::run(&cli.global.db, cmd).await,
        Command::User(UserCommand::Add { username, role, password: pw }) => {
            let conn = db::connect(&cli.global.db).await?;
            db::migrate(&conn).await?;
            if store::accounts::user_by_name(&conn, &username).await?.is_some() {
                anyhow::bail!("a user named {username:?} already exists");
            }
            let (pw, generated) = match pw {
                Some(p) if p.len() >= 8 => (p, false),
                Some(_) => anyhow::bail!("the password must have at least 8 characters"),
                None => (password::generate(), true),
            };
            let hash = password::hash_blocking(pw.clone()).await?;
            store::accounts::create_user(&conn, &username, &hash, &role).await?;
            if generated {
                println!("{role} {username} added; password: {pw}");
            } else {
                println!("{role} {username} added");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn serve(dbs: &DbSettings, settings: ServeSettings) -> anyhow::Result<ExitCode> {
    let bind = settings.bind;
    let scheme = if settings.tls_cert.is_some() { "https" } else { "http" };
    let (app, boot) = Application::build(dbs, settings).await?;
    let host = if bind.ip().is_unspecified() { "localhost".to_owned() } else { bind.ip().to_string() };
    let url = format!("{scheme}://{host}:{}", app.port());
    println!("hoithi is serving on {url} (database: {})", db::redact(&dbs.url()));
    match boot {
        Some(b) => match b.generated_password {
            Some(pw) => println!("organiser login: {} / {pw}  (shown once; keep it safe)", b.admin_user),
            None => println!("organiser login: {} / (password from HOITHI_ADMIN_PASSWORD)", b.admin_user),
        },
        None => println!("organiser accounts already exist; sign in with yours"),
    }
    println!("console: {url}/");
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}
