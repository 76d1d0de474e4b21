//! Who owns a contest's live engine when several instances share one PostgreSQL database.
//!
//! Each contest has at most one row in `engine_leases`: the owning instance, the address
//! the others reach it at, an `epoch` raised at every takeover, and an expiry in the
//! database's own clock. The owner renews every lease it holds once a second
//! ([`RENEW_EVERY`]) for [`TTL`]; a lease that expired can be taken by any instance, which
//! raises the epoch and loads the engine from the database. A lease that expired is never
//! renewed, not even by its holder (a paused process wakes up to find it gone), so two
//! instances never both hold one.
//!
//! The owner also stops acting on its own: [`Guard::valid`] turns false [`TTL`] minus a
//! margin after the start of the last successful renewal, measured on this process's
//! monotonic clock, which stays shorter than the database's expiry. Answers are fenced in
//! the writer's transaction as well (`writer::fence`): a batch stores the answers of a
//! contest only while the lease row says this instance holds it, unexpired.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::sqlx::{self, PgPool, Row};

/// How long a lease lasts after each renewal.
pub const TTL: Duration = Duration::from_secs(3);
/// How often the owner renews its leases, and the others look for expired ones.
pub const RENEW_EVERY: Duration = Duration::from_millis(1000);
/// The owner stops acting this long before its lease expires in the database.
const MARGIN: Duration = Duration::from_millis(500);

/// This instance: a random id for its lifetime and the address the others reach it at.
#[derive(Debug, Clone)]
pub struct Me {
    pub id: String,
    pub url: String,
}

/// The lease of one engine this instance owns, as the engine sees it.
#[derive(Debug)]
pub struct Guard {
    pub contest_id: i32,
    pub epoch: i64,
    base: Instant,
    /// Milliseconds since `base` until which the engine may act.
    valid_until_ms: AtomicU64,
}

impl Guard {
    pub fn new(contest_id: i32, epoch: i64, renewed_at: Instant) -> Arc<Self> {
        let g = Arc::new(Guard { contest_id, epoch, base: Instant::now(), valid_until_ms: AtomicU64::new(0) });
        g.renewed(renewed_at);
        g
    }

    /// A renewal that was sent at `sent` succeeded.
    pub fn renewed(&self, sent: Instant) {
        let until = sent.saturating_duration_since(self.base) + TTL.saturating_sub(MARGIN);
        self.valid_until_ms.fetch_max(until.as_millis() as u64, Ordering::Relaxed);
    }

    /// The lease is lost: the engine stops at its next step.
    pub fn revoke(&self) {
        self.valid_until_ms.store(0, Ordering::Relaxed);
    }

    pub fn valid(&self) -> bool {
        (self.base.elapsed().as_millis() as u64) < self.valid_until_ms.load(Ordering::Relaxed)
    }
}

/// The lease of a contest as read from the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub owner: String,
    pub owner_url: String,
    pub epoch: i64,
    /// Not expired yet.
    pub live: bool,
}

pub enum Acquired {
    /// This instance holds the lease now, with this epoch.
    Mine(i64),
    /// Another instance holds it.
    Theirs(Holder),
}

fn ttl_s() -> f64 {
    TTL.as_secs_f64()
}

/// Takes the contest's lease when nobody holds it or it expired (raising the epoch), or
/// says who holds it. A lease held at this instance's own address belongs to an earlier
/// process on it (a restart: two processes cannot listen on one address), which is gone:
/// it is taken at once.
pub async fn acquire(pool: &PgPool, me: &Me, contest_id: i32) -> Result<Acquired, sqlx::Error> {
    let row = sqlx::query(
        "INSERT INTO engine_leases (contest_id, owner, owner_url, epoch, expires_at)
         VALUES ($1, $2, $3, 1, now() + make_interval(secs => $4))
         ON CONFLICT (contest_id) DO UPDATE
            SET owner = EXCLUDED.owner, owner_url = EXCLUDED.owner_url,
                epoch = engine_leases.epoch + 1, expires_at = EXCLUDED.expires_at
            WHERE engine_leases.expires_at < now() OR engine_leases.owner = EXCLUDED.owner
               OR engine_leases.owner_url = EXCLUDED.owner_url
         RETURNING epoch",
    )
    .bind(contest_id)
    .bind(&me.id)
    .bind(&me.url)
    .bind(ttl_s())
    .fetch_optional(pool)
    .await?;
    if let Some(r) = row {
        return Ok(Acquired::Mine(r.try_get("epoch")?));
    }
    match holder(pool, contest_id).await? {
        Some(h) => Ok(Acquired::Theirs(h)),
        // Released between the two statements: the next try takes it.
        None => Err(sqlx::Error::RowNotFound),
    }
}

pub async fn holder(pool: &PgPool, contest_id: i32) -> Result<Option<Holder>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT owner, owner_url, epoch, expires_at > now() AS live FROM engine_leases WHERE contest_id = $1",
    )
    .bind(contest_id)
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok(Holder {
            owner: r.try_get("owner")?,
            owner_url: r.try_get("owner_url")?,
            epoch: r.try_get("epoch")?,
            live: r.try_get("live")?,
        })
    })
    .transpose()
}

/// Renews the leases this instance still holds among `contests`; returns those renewed.
/// An expired lease is not renewed (see the module's comment).
pub async fn renew(pool: &PgPool, me: &Me, contests: &[i32]) -> Result<Vec<i32>, sqlx::Error> {
    if contests.is_empty() {
        return Ok(vec![]);
    }
    let rows = sqlx::query(
        "UPDATE engine_leases SET expires_at = now() + make_interval(secs => $3)
         WHERE owner = $1 AND contest_id = ANY($2) AND expires_at > now()
         RETURNING contest_id",
    )
    .bind(&me.id)
    .bind(contests)
    .bind(ttl_s())
    .fetch_all(pool)
    .await?;
    rows.iter().map(|r| r.try_get("contest_id")).collect()
}

/// Gives a lease up at once (a clean shutdown), so another instance takes it without
/// waiting for the expiry.
pub async fn release(pool: &PgPool, me: &Me, contest_id: i32) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM engine_leases WHERE owner = $1 AND contest_id = $2")
        .bind(&me.id)
        .bind(contest_id)
        .execute(pool)
        .await
        .map(|_| ())
}

/// Contests that need an owner: the running ones, with their lease if any.
pub async fn running(pool: &PgPool) -> Result<Vec<(i32, Option<Holder>)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT c.id, l.owner, l.owner_url, l.epoch, l.expires_at > now() AS live
         FROM contests c LEFT JOIN engine_leases l ON l.contest_id = c.id
         WHERE c.status = 'running'",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let id: i32 = r.try_get("id")?;
            let owner: Option<String> = r.try_get("owner")?;
            let h = match owner {
                Some(owner) => Some(Holder {
                    owner,
                    owner_url: r.try_get("owner_url")?,
                    epoch: r.try_get("epoch")?,
                    live: r.try_get("live")?,
                }),
                None => None,
            };
            Ok((id, h))
        })
        .collect()
}

/// Leases of the given contests (for the relays' check that their owner is still there).
pub async fn holders(pool: &PgPool, contests: &[i32]) -> Result<Vec<(i32, Holder)>, sqlx::Error> {
    if contests.is_empty() {
        return Ok(vec![]);
    }
    let rows = sqlx::query(
        "SELECT contest_id, owner, owner_url, epoch, expires_at > now() AS live
         FROM engine_leases WHERE contest_id = ANY($1)",
    )
    .bind(contests)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("contest_id")?,
                Holder {
                    owner: r.try_get("owner")?,
                    owner_url: r.try_get("owner_url")?,
                    epoch: r.try_get("epoch")?,
                    live: r.try_get("live")?,
                },
            ))
        })
        .collect()
}
