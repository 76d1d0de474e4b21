//! The live engine: one owner task per contest ([`engine::Engine`]), reached through a
//! cloneable [`Handle`]; the [`Hub`] finds or starts a contest's engine, resumes running
//! contests at start, and owns the group-commit writer shared by all contests.
pub mod ceremony;
pub mod engine;
pub mod events;
pub mod fanout;
pub mod kinds;
pub mod scores;
pub mod session;
pub mod writer;

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::DatabaseConnection;
use serde_json::Value;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::domain::ranking::TieBreak;
use crate::error::{ApiError, ApiResult};
pub use engine::{Answerer, Control, Viewer};
use engine::{Cmd, Engine};
use events::{Ack, AnswerRequest, Frame, StateView};

/// Tokens that stopped working, announced to every open socket so the affected ones
/// close (with reason `token_revoked`) instead of running until they next reconnect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// A removed contestant.
    Contestant { contest_id: i32, contestant_id: i32 },
    /// A reset or removed judge: the invitation's judge row and, for a judge account,
    /// every token of that account.
    Judge { judge_id: i32, user_id: Option<i32> },
    /// A judge account taken off one contest (its other contests go on).
    JudgeAccountIn { contest_id: i32, user_id: i32 },
    /// A closed contest: every contestant's and invited judge's token.
    Contest { contest_id: i32 },
}

/// Who is behind one socket, to match against [`Revoked`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Holder {
    pub contest_id: i32,
    pub contestant_id: Option<i32>,
    /// The judge row of an invited judge.
    pub judge_id: Option<i32>,
    /// The account of a judge who signs in with a password.
    pub judge_user_id: Option<i32>,
}

impl Holder {
    pub fn is_hit_by(&self, r: Revoked) -> bool {
        match r {
            Revoked::Contestant { contest_id, contestant_id } => {
                self.contest_id == contest_id && self.contestant_id == Some(contestant_id)
            }
            Revoked::Judge { judge_id, user_id } => {
                self.judge_id == Some(judge_id) || (user_id.is_some() && self.judge_user_id == user_id)
            }
            Revoked::JudgeAccountIn { contest_id, user_id } => {
                self.contest_id == contest_id && self.judge_user_id == Some(user_id)
            }
            Revoked::Contest { contest_id } => {
                self.contest_id == contest_id && (self.contestant_id.is_some() || self.judge_id.is_some())
            }
        }
    }
}

/// Commands waiting for one contest's engine.
const ENGINE_QUEUE: usize = 8192;

/// The way into one contest's engine.
#[derive(Clone)]
pub struct Handle {
    tx: mpsc::Sender<Cmd>,
    fan: fanout::Fanout,
}

fn stopped() -> ApiError {
    ApiError::Unavailable(anyhow::anyhow!("the live engine of this contest has stopped"))
}

impl Handle {
    async fn call<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Cmd) -> ApiResult<T> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(make(tx)).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())
    }

    pub async fn control(&self, actor: &str, op: Control) -> ApiResult<StateView> {
        self.call(|reply| Cmd::Control { actor: actor.to_owned(), op, reply }).await?
    }

    pub async fn answer(&self, by: Answerer, req: AnswerRequest) -> ApiResult<Ack> {
        let r = self.call(|reply| Cmd::Answer { by, req, reply }).await.and_then(|r| r);
        crate::monitor::count_answer(&r);
        r
    }

    /// A press of the buzzer: taken in the engine's receive order, acknowledged once stored.
    pub async fn buzz(&self, by: Answerer, req: events::BuzzRequest) -> ApiResult<events::BuzzAck> {
        self.call(|reply| Cmd::Buzz { by, req, reply }).await.and_then(|r| r)
    }

    /// Registers an open socket: it gets a snapshot, then every event after it.
    pub async fn subscribe(&self, id: u64, conn: fanout::Conn) -> ApiResult<()> {
        self.call(|reply| Cmd::Subscribe { id, conn, reply }).await
    }

    /// Forgets a socket that closed.
    pub fn unsubscribe(&self, id: u64) {
        self.fan.remove(id);
    }

    /// The contest's fan-out: its socket counts and shards.
    pub fn fanout(&self) -> &fanout::Fanout {
        &self.fan
    }

    pub async fn state(&self, viewer: Viewer) -> ApiResult<StateView> {
        self.call(|reply| Cmd::State { viewer, reply }).await
    }

    pub async fn snapshot(&self, viewer: Viewer) -> ApiResult<Vec<Frame>> {
        self.call(|reply| Cmd::Snapshot { viewer, reply }).await
    }

    pub async fn scoreboard(&self, viewer: Viewer) -> ApiResult<Value> {
        self.call(|reply| Cmd::Scoreboard { viewer, reply }).await
    }

    /// A judged part's sheets, order or releases changed: the board follows.
    pub async fn judging_changed(&self, part_id: i32) -> ApiResult<()> {
        self.call(|reply| Cmd::Judging { part_id, reply }).await?
    }

    pub async fn adjust(
        &self,
        actor: &str,
        team_id: i32,
        part_id: Option<i32>,
        delta: f64,
        reason: String,
    ) -> ApiResult<Value> {
        self.call(|reply| Cmd::Adjust { actor: actor.to_owned(), team_id, part_id, delta, reason, reply }).await?
    }

    pub async fn set_tie_breakers(&self, actor: &str, ties: Vec<TieBreak>) -> ApiResult<()> {
        self.call(|reply| Cmd::SetTies { actor: actor.to_owned(), ties, reply }).await?
    }

    /// Freeze, reveal, confirm ties, unfreeze, or read the state of the public board.
    pub async fn board(&self, actor: &str, op: ceremony::BoardOp) -> ApiResult<ceremony::CeremonyView> {
        self.call(|reply| Cmd::Board { actor: actor.to_owned(), op, reply }).await?
    }
}

/// A reading of the live side (see [`Hub::observe`]).
#[derive(Debug, Clone, Default)]
pub struct LiveNumbers {
    pub engines: usize,
    pub staff_sockets: usize,
    pub phone_sockets: usize,
    pub engine_queue: usize,
    pub writer_queue: usize,
    /// Answers stored since start.
    pub stored: u64,
    pub last_commit_at_ms: Option<i64>,
    pub last_commit_ms: f64,
    pub storage_ok: bool,
}

/// Every contest's engine, and the writer they share.
pub struct Hub {
    db: DatabaseConnection,
    engines: Mutex<HashMap<i32, (Handle, JoinHandle<()>)>>,
    writer: std::sync::Mutex<Option<mpsc::Sender<writer::WriteReq>>>,
    writer_task: Mutex<Option<JoinHandle<()>>>,
    stats: Arc<writer::Stats>,
    /// Recent revocations, numbered, for sockets that were opening while one was made.
    revocations: std::sync::Mutex<(u64, std::collections::VecDeque<(u64, Revoked)>)>,
    next_socket: std::sync::atomic::AtomicU64,
}

/// Revocations remembered for sockets that were being opened meanwhile.
const RECENT_REVOCATIONS: usize = 1024;

impl Hub {
    pub fn new(db: DatabaseConnection) -> Arc<Self> {
        let stats = Arc::new(writer::Stats::default());
        let (tx, task) = writer::spawn(db.clone(), stats.clone());
        Arc::new(Hub {
            stats,
            db,
            engines: Mutex::new(HashMap::new()),
            writer: std::sync::Mutex::new(Some(tx)),
            writer_task: Mutex::new(Some(task)),
            revocations: std::sync::Mutex::new((0, std::collections::VecDeque::new())),
            next_socket: std::sync::atomic::AtomicU64::new(1),
        })
    }

    /// A number for a new socket.
    pub fn socket_id(&self) -> u64 {
        self.next_socket.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    /// The number of revocations so far: read it before checking a token, then ask
    /// [`Hub::revoked_since`] once the socket is registered.
    pub fn revocation_mark(&self) -> u64 {
        self.revocations.lock().map_or(0, |r| r.0)
    }

    /// Whether a revocation made after `mark` hits the holder (or too many were made to
    /// tell, in which case the socket should reconnect and have its token checked again).
    pub fn revoked_since(&self, mark: u64, holder: &Holder) -> bool {
        let Ok(r) = self.revocations.lock() else { return true };
        if r.0 > mark + r.1.len() as u64 {
            return true;
        }
        r.1.iter().any(|(n, rev)| *n > mark && holder.is_hit_by(*rev))
    }

    /// Closes the open sockets the revocation hits; a removed contestant's answers are
    /// refused by the contest's engine from now on. Call after the revocation is committed.
    pub async fn revoke(&self, r: Revoked) {
        if let Ok(mut recent) = self.revocations.lock() {
            recent.0 += 1;
            let n = recent.0;
            recent.1.push_back((n, r));
            if recent.1.len() > RECENT_REVOCATIONS {
                recent.1.pop_front();
            }
        }
        // A judge account may follow several contests: every fan-out checks its sockets.
        let handles: Vec<Handle> = self.engines.lock().await.values().map(|(h, _)| h.clone()).collect();
        for h in &handles {
            h.fan.revoke(r);
        }
        let contest_id = match r {
            Revoked::Contestant { contest_id, .. } | Revoked::Contest { contest_id } => contest_id,
            _ => return,
        };
        let Some(h) = self.engines.lock().await.get(&contest_id).map(|(h, _)| h.clone()) else { return };
        let _ = match r {
            Revoked::Contestant { contestant_id, .. } => h.call(|reply| Cmd::Revoke { contestant_id, reply }).await,
            _ => h.call(|reply| Cmd::Closed { reply }).await,
        };
    }

    /// Tells the phones of a team that someone joined it, when the contest's engine runs
    /// (a phone in the waiting room has its socket open, so it does); joins are rare.
    pub async fn joined(&self, contest_id: i32, team_id: i32) {
        let Some(h) = self.engines.lock().await.get(&contest_id).map(|(h, _)| h.clone()) else { return };
        let _ = h.tx.send(Cmd::Joined { team_id }).await;
    }

    /// (commits, answers) the group-commit writer has stored since start.
    pub fn writer_stats(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.stats.batches.load(Relaxed), self.stats.answers.load(Relaxed))
    }

    /// Answers stored since start.
    pub fn stored(&self) -> u64 {
        self.stats.stored.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// What the live side is doing now: sockets, queues, the writer's last commit.
    pub async fn observe(&self) -> LiveNumbers {
        use std::sync::atomic::Ordering::Relaxed;
        let mut n = LiveNumbers {
            stored: self.stats.stored.load(Relaxed),
            last_commit_at_ms: Some(self.stats.last_commit_at_ms.load(Relaxed)).filter(|t| *t > 0),
            last_commit_ms: self.stats.last_commit_us.load(Relaxed) as f64 / 1e3,
            storage_ok: !self.stats.failing.load(Relaxed),
            ..LiveNumbers::default()
        };
        for (h, task) in self.engines.lock().await.values() {
            if task.is_finished() {
                continue;
            }
            n.staff_sockets += h.fan.counts.staff.load(Relaxed);
            n.phone_sockets += h.fan.counts.phones.load(Relaxed);
            n.engine_queue += h.tx.max_capacity() - h.tx.capacity();
            n.engines += 1;
        }
        if let Ok(w) = self.writer.lock()
            && let Some(tx) = w.as_ref()
        {
            n.writer_queue = tx.max_capacity() - tx.capacity();
        }
        n
    }

    /// Starts the engine of every running contest, with the deadlines it had.
    pub async fn resume(&self) -> anyhow::Result<()> {
        for id in crate::store::live::running_contest_ids(&self.db).await? {
            // One broken contest must not keep the others (or the server) down; its
            // engine is tried again on the next request that needs it.
            if let Err(e) = self.handle(id).await {
                tracing::error!(contest = id, error = ?e, "cannot resume the contest's live engine");
            }
        }
        Ok(())
    }

    /// The contest's engine, started from the database if it is not running yet.
    pub async fn handle(&self, contest_id: i32) -> ApiResult<Handle> {
        let mut engines = self.engines.lock().await;
        if let Some((h, task)) = engines.get(&contest_id)
            && !task.is_finished()
        {
            return Ok(h.clone());
        }
        let writer = self
            .writer
            .lock()
            .map_err(|_| ApiError::internal(anyhow::anyhow!("writer lock poisoned")))?
            .clone()
            .ok_or_else(|| ApiError::Unavailable(anyhow::anyhow!("the server is shutting down")))?;
        let (back_tx, back_rx) = mpsc::unbounded_channel();
        let engine = Engine::load(self.db.clone(), contest_id, writer, back_tx).await?;
        let (tx, rx) = mpsc::channel(ENGINE_QUEUE);
        let fan = engine.fanout();
        let task = tokio::spawn(engine.run(rx, back_rx));
        let h = Handle { tx, fan };
        engines.insert(contest_id, (h.clone(), task));
        Ok(h)
    }

    /// Stops every engine, then lets the writer store what it was given and waits for it.
    pub async fn shutdown(&self) {
        let engines: Vec<(Handle, JoinHandle<()>)> = self.engines.lock().await.drain().map(|(_, v)| v).collect();
        for (h, task) in engines {
            let (tx, rx) = oneshot::channel();
            if h.tx.send(Cmd::Stop { reply: tx }).await.is_ok() {
                let _ = rx.await;
            }
            drop(h);
            let _ = task.await;
        }
        if let Ok(mut w) = self.writer.lock() {
            w.take();
        }
        if let Some(task) = self.writer_task.lock().await.take() {
            let _ = task.await;
        }
    }
}
