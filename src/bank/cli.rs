//! `hoithi bank …`: check bank folders, write the import template, import and export.
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use super::{check, import};
use crate::config::DbSettings;
use crate::{db, store};

#[derive(Subcommand, Debug)]
pub enum BankCommand {
    /// Check every bank under PATH; print each problem as `file:line: message`.
    Check {
        #[arg(default_value = "question_banks")]
        path: PathBuf,
    },
    /// Write the XLSX import template.
    Template { out: PathBuf },
    /// Import an XLSX, CSV or Aiken file into a bank (created when new), all or nothing.
    Import {
        file: PathBuf,
        /// Bank id (slug).
        #[arg(long)]
        bank: String,
        /// Title of a new bank.
        #[arg(long)]
        title: Option<String>,
        /// `xlsx`, `csv` or `aiken` (default: from the file's extension).
        #[arg(long)]
        format: Option<String>,
    },
    /// Export a bank's questions to XLSX (the template's columns).
    Export {
        #[arg(long)]
        bank: String,
        out: PathBuf,
    },
}

pub async fn run(dbs: &DbSettings, cmd: BankCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        BankCommand::Check { path } => Ok(match check::check_all(&path) {
            Ok(banks) if banks.is_empty() => {
                eprintln!("{}: no bank found (a bank is a folder with a bank.toml)", path.display());
                ExitCode::FAILURE
            }
            Ok(banks) => {
                for b in &banks {
                    print!("{}", check::summary(b));
                }
                ExitCode::SUCCESS
            }
            Err(problems) => {
                for p in &problems {
                    println!("{p}");
                }
                eprintln!("{} problem(s) found", problems.len());
                ExitCode::FAILURE
            }
        }),
        BankCommand::Template { out } => {
            std::fs::write(&out, super::export::template()?)?;
            println!("template written to {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        BankCommand::Import { file, bank, title, format } => {
            let fmt = format
                .or_else(|| file.extension().map(|e| e.to_string_lossy().into_owned()))
                .and_then(|f| import::Format::parse(&f))
                .ok_or_else(|| anyhow::anyhow!("say --format xlsx, csv or aiken"))?;
            let meta = std::fs::metadata(&file)?;
            if meta.len() > import::MAX_IMPORT_BYTES as u64 {
                anyhow::bail!("{}: larger than {} MB", file.display(), import::MAX_IMPORT_BYTES / 1024 / 1024);
            }
            let bytes = std::fs::read(&file)?;
            let conn = db::connect(dbs).await?;
            db::migrate(&conn).await?;
            let parsed = match import::parse(fmt, &bytes, "chung") {
                Ok(p) => p,
                Err(errs) => return Ok(fail(&file, &errs)),
            };
            match import::apply(&conn, &bank, title.as_deref(), parsed).await {
                Ok(r) => {
                    println!("{} question(s) imported into {}", r.imported, r.bank);
                    Ok(ExitCode::SUCCESS)
                }
                Err(import::ImportFailure::Invalid(errs)) => Ok(fail(&file, &errs)),
                Err(import::ImportFailure::Db(e)) => Err(e.into()),
            }
        }
        BankCommand::Export { bank, out } => {
            let conn = db::connect(dbs).await?;
            db::migrate(&conn).await?;
            let b =
                store::banks::bank_by_slug(&conn, &bank).await?.ok_or_else(|| anyhow::anyhow!("no bank {bank:?}"))?;
            let rows = store::banks::questions(&conn, b.id, &Default::default()).await?;
            let qs = rows.iter().map(|m| store::banks::question_of(m, &b.slug)).collect::<Result<Vec<_>, _>>()?;
            std::fs::write(&out, super::export::to_xlsx(&qs)?)?;
            println!("{} question(s) exported to {}", qs.len(), out.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn fail(file: &std::path::Path, errs: &[import::ImportError]) -> ExitCode {
    for e in errs {
        println!("{}: {e}", file.display());
    }
    eprintln!("nothing imported");
    ExitCode::FAILURE
}
