//! Start-up: check every bank under the configured folder (a bad bank stops the start
//! with the checker's messages) and sync the shipped banks into the database.
use std::path::Path;

use anyhow::anyhow;
use sea_orm::{DatabaseConnection, TransactionTrait};

use super::check;
use crate::store;

pub async fn load(db: &DatabaseConnection, root: &Path) -> anyhow::Result<()> {
    if !root.is_dir() {
        tracing::warn!(path = %root.display(), "no question bank folder; starting without shipped banks");
        return Ok(());
    }
    let root_owned = root.to_owned();
    let banks = tokio::task::spawn_blocking(move || check::check_all(&root_owned)).await?.map_err(|problems| {
        anyhow!("the question banks under {} have problems:\n{}", root.display(), check::render(&problems))
    })?;
    for bank in &banks {
        let txn = db.begin().await?;
        let stats = store::banks::sync_bank(&txn, bank).await?;
        txn.commit().await?;
        tracing::info!(bank = %bank.meta.id, questions = bank.questions.len(), inserted = stats.inserted,
            updated = stats.updated, retired = stats.retired, "question bank loaded");
    }
    Ok(())
}
