//! The live engine: one owner task per contest ([`engine::Engine`]), reached through a
//! cloneable [`Handle`]; the [`Hub`] finds or starts a contest's engine, resumes running
//! contests at start, and owns the group-commit writer shared by all contests.
pub mod ceremony;
pub mod engine;
pub mod events;
pub mod fanout;
pub mod kinds;
pub mod lease;
pub mod relay;
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// The way into one contest's engine: its own task on this instance, or the instance
/// that owns it (see [`relay`]).
#[derive(Clone)]
pub struct Handle {
    route: Route,
    fan: fanout::Fanout,
}

#[derive(Clone)]
enum Route {
    Local(mpsc::Sender<Cmd>),
    Remote(Arc<relay::Remote>),
}

fn stopped() -> ApiError {
    ApiError::Unavailable(anyhow::anyhow!("the live engine of this contest has stopped"))
}

/// Runs the request on the local engine, or sends it to the owner as a [`relay::RemoteCmd`].
macro_rules! route {
    ($self:ident, |$reply:ident| $local:expr, $remote:expr) => {
        match &$self.route {
            Route::Local(_) => $self.call(|$reply| $local).await,
            Route::Remote(r) => r.call(&$remote).await,
        }
    };
}

impl Handle {
    fn remote(r: Arc<relay::Remote>) -> Self {
        Handle { fan: r.fan.clone(), route: Route::Remote(r) }
    }

    async fn call<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Cmd) -> ApiResult<T> {
        let Route::Local(tx) = &self.route else { return Err(stopped()) };
        let (reply, rx) = oneshot::channel();
        tx.send(make(reply)).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())
    }

    pub async fn control(&self, actor: &str, op: Control) -> ApiResult<StateView> {
        let actor = actor.to_owned();
        match &self.route {
            Route::Local(_) => self.call(|reply| Cmd::Control { actor, op, reply }).await?,
            Route::Remote(r) => r.call(&relay::RemoteCmd::Control { actor, op }).await,
        }
    }

    pub async fn answer(&self, by: Answerer, req: AnswerRequest) -> ApiResult<Ack> {
        match &self.route {
            Route::Local(_) => {
                let r = self.call(|reply| Cmd::Answer { by, req, reply }).await.and_then(|r| r);
                crate::monitor::count_answer(&r);
                r
            }
            Route::Remote(remote) => remote.answer(by, req).await,
        }
    }

    /// A press of the buzzer: taken in the engine's receive order, acknowledged once stored.
    pub async fn buzz(&self, by: Answerer, req: events::BuzzRequest) -> ApiResult<events::BuzzAck> {
        // Stamped here, when this instance received it: the owner places a relayed press
        // by this time (several instances).
        let at_us = Some(crate::now_us());
        self.buzz_at(by, req, at_us).await
    }

    /// A press received at `at_us` (by a relay; `None`: now).
    pub async fn buzz_at(
        &self,
        by: Answerer,
        req: events::BuzzRequest,
        at_us: Option<i64>,
    ) -> ApiResult<events::BuzzAck> {
        match &self.route {
            Route::Local(_) => self.call(|reply| Cmd::Buzz { by, req, at_us, reply }).await.and_then(|r| r),
            Route::Remote(r) => r.call(&relay::RemoteCmd::Buzz { by, req, at_us }).await,
        }
    }

    /// Registers an open socket: it gets a snapshot, then every event after it.
    pub async fn subscribe(&self, id: u64, conn: fanout::Conn) -> ApiResult<()> {
        match &self.route {
            Route::Local(_) => self.call(|reply| Cmd::Subscribe { id, conn, reply }).await,
            Route::Remote(r) => r.subscribe(id, conn).await,
        }
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
        route!(self, |reply| Cmd::State { viewer, reply }, relay::RemoteCmd::State { viewer })
    }

    pub async fn snapshot(&self, viewer: Viewer) -> ApiResult<Vec<Frame>> {
        Ok(self.numbered_snapshot(viewer).await?.1)
    }

    /// The snapshot and the number of the last post it holds (see [`relay`]).
    pub async fn numbered_snapshot(&self, viewer: Viewer) -> ApiResult<(u64, Vec<Frame>)> {
        match &self.route {
            Route::Local(_) => self.call(|reply| Cmd::Snapshot { viewer, reply }).await,
            Route::Remote(r) => {
                let n: relay::Numbered = r.call(&relay::RemoteCmd::Snapshot { viewer }).await?;
                Ok((n.seq, n.frames.into_iter().map(Frame::from).collect()))
            }
        }
    }

    pub async fn scoreboard(&self, viewer: Viewer) -> ApiResult<Value> {
        route!(self, |reply| Cmd::Scoreboard { viewer, reply }, relay::RemoteCmd::Scoreboard { viewer })
    }

    /// A judged part's sheets, order or releases changed: the board follows.
    pub async fn judging_changed(&self, part_id: i32) -> ApiResult<()> {
        match &self.route {
            Route::Local(_) => self.call(|reply| Cmd::Judging { part_id, reply }).await?,
            Route::Remote(r) => r.call(&relay::RemoteCmd::Judging { part_id }).await,
        }
    }

    pub async fn adjust(
        &self,
        actor: &str,
        team_id: i32,
        part_id: Option<i32>,
        delta: f64,
        reason: String,
    ) -> ApiResult<Value> {
        let actor = actor.to_owned();
        match &self.route {
            Route::Local(_) => self.call(|reply| Cmd::Adjust { actor, team_id, part_id, delta, reason, reply }).await?,
            Route::Remote(r) => r.call(&relay::RemoteCmd::Adjust { actor, team_id, part_id, delta, reason }).await,
        }
    }

    pub async fn set_tie_breakers(&self, actor: &str, ties: Vec<TieBreak>) -> ApiResult<()> {
        let actor = actor.to_owned();
        match &self.route {
            Route::Local(_) => self.call(|reply| Cmd::SetTies { actor, ties, reply }).await?,
            Route::Remote(r) => r.call(&relay::RemoteCmd::SetTies { actor, ties }).await,
        }
    }

    /// Freeze, reveal, confirm ties, unfreeze, or read the state of the public board.
    pub async fn board(&self, actor: &str, op: ceremony::BoardOp) -> ApiResult<ceremony::CeremonyView> {
        let actor = actor.to_owned();
        match &self.route {
            Route::Local(_) => self.call(|reply| Cmd::Board { actor, op, reply }).await?,
            Route::Remote(r) => r.call(&relay::RemoteCmd::Board { actor, op }).await,
        }
    }

    /// The contest was closed: the engine reads its status again.
    pub async fn closed(&self) -> ApiResult<()> {
        route!(self, |reply| Cmd::Closed { reply }, relay::RemoteCmd::Closed)
    }

    /// Someone joined a team: its phones hear of it.
    pub async fn joined(&self, team_id: i32) -> ApiResult<()> {
        match &self.route {
            Route::Local(tx) => tx.send(Cmd::Joined { team_id }).await.map_err(|_| stopped()),
            Route::Remote(r) => r.call(&relay::RemoteCmd::Joined { team_id }).await,
        }
    }

    /// A removed contestant: the engine refuses their answers from now on.
    pub async fn revoke_contestant(&self, contestant_id: i32) -> ApiResult<()> {
        route!(self, |reply| Cmd::Revoke { contestant_id, reply }, relay::RemoteCmd::Revoke { contestant_id })
    }

    fn is_stopped(&self) -> bool {
        match &self.route {
            Route::Local(tx) => tx.is_closed(),
            Route::Remote(r) => r.is_dead(),
        }
    }

    fn queued(&self) -> usize {
        match &self.route {
            Route::Local(tx) => tx.max_capacity() - tx.capacity(),
            Route::Remote(_) => 0,
        }
    }
}

/// One engine running on this instance.
struct Local {
    h: Handle,
    task: JoinHandle<()>,
    /// Its lease, with several instances.
    guard: Option<Arc<lease::Guard>>,
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
    engines: Mutex<HashMap<i32, Local>>,
    writer: std::sync::Mutex<Option<mpsc::Sender<writer::WriteReq>>>,
    writer_task: Mutex<Option<JoinHandle<()>>>,
    stats: Arc<writer::Stats>,
    /// Recent revocations, numbered, for sockets that were opening while one was made.
    revocations: std::sync::Mutex<(u64, std::collections::VecDeque<(u64, Revoked)>)>,
    next_socket: std::sync::atomic::AtomicU64,
    /// With PostgreSQL: the other instances on the same database (see [`relay`]).
    cluster: Option<Arc<relay::Cluster>>,
    /// The leases of this instance's engines, apart from `engines`, whose lock a slow
    /// engine start holds: renewals must never wait for that.
    leases: std::sync::Mutex<HashMap<i32, (Arc<lease::Guard>, Handle)>>,
    /// Set when the shutdown begins.
    stopping: std::sync::atomic::AtomicBool,
}

/// Revocations remembered for sockets that were being opened meanwhile.
const RECENT_REVOCATIONS: usize = 1024;

impl Hub {
    /// `cluster`: with PostgreSQL, this instance's part in the cluster of instances on
    /// the same database; its engines then hold leases, and it relays the others'.
    pub fn new(db: DatabaseConnection, cluster: Option<Arc<relay::Cluster>>) -> Arc<Self> {
        let stats = Arc::new(writer::Stats::default());
        let fence = cluster.as_ref().map(|c| Arc::<str>::from(c.me.id.as_str()));
        let (tx, task) = writer::spawn(db.clone(), stats.clone(), fence);
        let hub = Arc::new(Hub {
            stats,
            db,
            engines: Mutex::new(HashMap::new()),
            writer: std::sync::Mutex::new(Some(tx)),
            writer_task: Mutex::new(Some(task)),
            revocations: std::sync::Mutex::new((0, std::collections::VecDeque::new())),
            next_socket: std::sync::atomic::AtomicU64::new(1),
            cluster: cluster.clone(),
            leases: Default::default(),
            stopping: Default::default(),
        });
        if let Some(c) = cluster {
            tokio::spawn(relay::listen(Arc::downgrade(&hub), c));
            tokio::spawn(lease_loop(Arc::downgrade(&hub)));
        }
        hub
    }

    /// After [`Hub::shutdown`]: nothing starts any more.
    fn is_shut_down(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn cluster(&self) -> Option<&Arc<relay::Cluster>> {
        self.cluster.as_ref()
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

    /// Closes the open sockets the revocation hits, on every instance; a removed
    /// contestant's answers are refused by the contest's engine from now on. Call after
    /// the revocation is committed.
    pub async fn revoke(&self, r: Revoked) {
        if let Some(c) = &self.cluster {
            c.publish_revocation(r);
        }
        self.apply_revocation(r).await;
    }

    /// A revocation made here or on another instance: this instance's sockets and engines.
    pub async fn apply_revocation(&self, r: Revoked) {
        if let Ok(mut recent) = self.revocations.lock() {
            recent.0 += 1;
            let n = recent.0;
            recent.1.push_back((n, r));
            if recent.1.len() > RECENT_REVOCATIONS {
                recent.1.pop_front();
            }
        }
        // A judge account may follow several contests: every fan-out checks its sockets.
        let mut fans: Vec<fanout::Fanout> = self.engines.lock().await.values().map(|l| l.h.fan.clone()).collect();
        if let Some(c) = &self.cluster {
            fans.extend(c.relays().iter().map(|r| r.fan.clone()));
        }
        for f in &fans {
            f.revoke(r);
        }
        let contest_id = match r {
            Revoked::Contestant { contest_id, .. } | Revoked::Contest { contest_id } => contest_id,
            _ => return,
        };
        // The owner's engine (on whichever instance it runs) takes it from here.
        let Some(h) = self.local(contest_id).await else { return };
        let _ = match r {
            Revoked::Contestant { contestant_id, .. } => h.revoke_contestant(contestant_id).await,
            _ => h.closed().await,
        };
    }

    /// Tells the phones of a team that someone joined it, when the contest's engine runs
    /// (a phone in the waiting room has its socket open, so it does); joins are rare.
    pub async fn joined(&self, contest_id: i32, team_id: i32) {
        if let Some(h) = self.local(contest_id).await {
            let _ = h.joined(team_id).await;
        } else if let Some(c) = &self.cluster {
            // The engine may run on another instance: its owner tells the phones, wherever they are.
            c.publish_joined(contest_id, team_id);
        }
    }

    /// This instance's own running engine of a contest, if it has one.
    pub async fn local(&self, contest_id: i32) -> Option<Handle> {
        self.engines.lock().await.get(&contest_id).filter(|l| !l.task.is_finished()).map(|l| l.h.clone())
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
        for l in self.engines.lock().await.values() {
            if l.task.is_finished() {
                continue;
            }
            n.staff_sockets += l.h.fan.counts.staff.load(Relaxed);
            n.phone_sockets += l.h.fan.counts.phones.load(Relaxed);
            n.engine_queue += l.h.queued();
            n.engines += 1;
        }
        if let Some(c) = &self.cluster {
            for r in c.relays() {
                n.staff_sockets += r.fan.counts.staff.load(Relaxed);
                n.phone_sockets += r.fan.counts.phones.load(Relaxed);
            }
        }
        if let Ok(w) = self.writer.lock()
            && let Some(tx) = w.as_ref()
        {
            n.writer_queue = tx.max_capacity() - tx.capacity();
        }
        n
    }

    /// Starts the engine of every running contest, with the deadlines it had (with several
    /// instances: of those no other instance holds).
    pub async fn resume(&self) -> anyhow::Result<()> {
        if self.cluster.is_some() {
            self.sweep_tick().await;
            return Ok(());
        }
        for id in crate::store::live::running_contest_ids(&self.db).await? {
            // One broken contest must not keep the others (or the server) down; its
            // engine is tried again on the next request that needs it.
            if let Err(e) = self.handle(id).await {
                tracing::error!(contest = id, error = ?e, "cannot resume the contest's live engine");
            }
        }
        Ok(())
    }

    /// The contest's engine: this instance's own, started from the database if it is not
    /// running yet, or (with several instances) the relay to the instance that owns it.
    pub async fn handle(&self, contest_id: i32) -> ApiResult<Handle> {
        let mut engines = self.engines.lock().await;
        if let Some(l) = engines.get(&contest_id)
            && !l.task.is_finished()
        {
            return Ok(l.h.clone());
        }
        // A server shutting down starts nothing (and takes no lease).
        if self.is_shut_down() {
            return Err(ApiError::Unavailable(anyhow::anyhow!("the server is shutting down")));
        }
        let writer = self
            .writer
            .lock()
            .map_err(|_| ApiError::internal(anyhow::anyhow!("writer lock poisoned")))?
            .clone()
            .ok_or_else(|| ApiError::Unavailable(anyhow::anyhow!("the server is shutting down")))?;
        let owned = match &self.cluster {
            None => None,
            Some(c) => {
                if let Some(r) = c.relay(contest_id) {
                    return Ok(Handle::remote(r));
                }
                let sent = std::time::Instant::now();
                match lease::acquire(&c.pool, &c.me, contest_id).await {
                    Ok(lease::Acquired::Mine(epoch)) => {
                        tracing::info!(contest = contest_id, epoch, "this instance runs the contest's engine");
                        Some(engine::Owned {
                            guard: lease::Guard::new(contest_id, epoch, sent),
                            outbox: c.outbox(contest_id, epoch),
                            buzz_settle: c.buzz_settle,
                        })
                    }
                    Ok(lease::Acquired::Theirs(h)) if h.live => {
                        return Ok(Handle::remote(c.start_relay(contest_id, h.owner_url, h.epoch)));
                    }
                    Ok(lease::Acquired::Theirs(_)) => {
                        return Err(ApiError::Unavailable(anyhow::anyhow!(
                            "another instance is taking this contest over; try again"
                        )));
                    }
                    Err(e) => return Err(lease_error(contest_id, e)),
                }
            }
        };
        let (back_tx, back_rx) = mpsc::unbounded_channel();
        let guard = owned.as_ref().map(|o| o.guard.clone());
        let engine = match Engine::load(self.db.clone(), contest_id, writer, back_tx, owned).await {
            Ok(e) => e,
            Err(e) => {
                if let (Some(c), Some(_)) = (&self.cluster, &guard) {
                    let _ = lease::release(&c.pool, &c.me, contest_id).await;
                }
                return Err(e);
            }
        };
        let (tx, rx) = mpsc::channel(ENGINE_QUEUE);
        let fan = engine.fanout();
        let task = tokio::spawn(engine.run(rx, back_rx));
        let h = Handle { route: Route::Local(tx), fan };
        if let (Some(g), Ok(mut leases)) = (&guard, self.leases.lock()) {
            leases.insert(contest_id, (g.clone(), h.clone()));
        }
        engines.insert(contest_id, Local { h: h.clone(), task, guard });
        Ok(h)
    }

    /// With several instances, once a second: renews this instance's leases (an engine
    /// whose lease is lost stops, and its sockets reconnect to the new owner).
    async fn renew_tick(&self) {
        let Some(c) = self.cluster.clone() else { return };
        let owned: Vec<(i32, Arc<lease::Guard>, Handle)> = match self.leases.lock() {
            Ok(mut leases) => {
                leases.retain(|_, (_, h)| !h.is_stopped());
                leases.iter().map(|(id, (g, h))| (*id, g.clone(), h.clone())).collect()
            }
            Err(_) => return,
        };
        let ids: Vec<i32> = owned.iter().map(|o| o.0).collect();
        let sent = std::time::Instant::now();
        match tokio::time::timeout(lease::RENEW_EVERY, lease::renew(&c.pool, &c.me, &ids)).await {
            Ok(Ok(renewed)) => {
                for (id, guard, h) in &owned {
                    if renewed.contains(id) {
                        guard.renewed(sent);
                    } else {
                        tracing::warn!(contest = id, "the lease was lost: this instance stops the contest's engine");
                        guard.revoke();
                        stop_engine(h);
                    }
                }
            }
            failed => {
                tracing::warn!(error = ?failed.err().map(|_| "timed out"), "cannot renew the leases");
                for (id, guard, h) in &owned {
                    if !guard.valid() {
                        tracing::warn!(contest = id, "the lease expired unrenewed: the engine stops");
                        stop_engine(h);
                    }
                }
            }
        }
    }

    /// With several instances, once a second (apart from the renewals, which a slow
    /// takeover must not delay): drops the relays whose owner changed or is gone, and takes
    /// over running contests whose lease expired (the owner died or lost the database).
    async fn sweep_tick(&self) {
        let Some(c) = self.cluster.clone() else { return };
        // Relays whose owner changed or whose lease expired.
        let relays = c.relays();
        let relayed: Vec<i32> = relays.iter().map(|r| r.contest_id).collect();
        if let Ok(holders) = lease::holders(&c.pool, &relayed).await {
            for r in &relays {
                let current = holders.iter().find(|(id, _)| *id == r.contest_id).map(|(_, h)| h);
                if current.is_none_or(|h| !h.live || h.epoch != r.epoch) {
                    c.drop_relay(r.contest_id, "owner_changed");
                }
            }
        }
        // Running contests nobody holds: the first instance to ask takes them.
        match lease::running(&c.pool).await {
            Ok(running) => {
                for (id, holder) in running {
                    if holder.is_some_and(|h| h.live) || self.local(id).await.is_some() {
                        continue;
                    }
                    if let Err(e) = self.handle(id).await {
                        tracing::debug!(contest = id, error = %e, "cannot take the contest over");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the running contests' leases"),
        }
    }

    /// Stops every engine, then lets the writer store what it was given and waits for it.
    pub async fn shutdown(&self) {
        self.stopping.store(true, std::sync::atomic::Ordering::Relaxed);
        let engines: Vec<(i32, Local)> = self.engines.lock().await.drain().collect();
        for (id, l) in engines {
            if let Route::Local(tx) = &l.h.route {
                let (reply, rx) = oneshot::channel();
                if tx.send(Cmd::Stop { reply }).await.is_ok() {
                    let _ = rx.await;
                }
            }
            drop(l.h);
            let _ = l.task.await;
            // Another instance takes the contest at once instead of waiting for the expiry.
            if let (Some(c), Some(_)) = (&self.cluster, &l.guard) {
                let _ = lease::release(&c.pool, &c.me, id).await;
            }
        }
        if let Some(c) = &self.cluster {
            c.drop_all("shutdown");
        }
        if let Ok(mut w) = self.writer.lock() {
            w.take();
        }
        if let Some(task) = self.writer_task.lock().await.take() {
            let _ = task.await;
        }
    }
}

/// Tells an engine to stop now, without waiting for it.
fn stop_engine(h: &Handle) {
    if let Route::Local(tx) = &h.route {
        let (reply, _) = oneshot::channel();
        let _ = tx.try_send(Cmd::Stop { reply });
    }
}

fn lease_error(contest_id: i32, e: sea_orm::sqlx::Error) -> ApiError {
    if let sea_orm::sqlx::Error::Database(d) = &e
        && d.code().as_deref() == Some("23503")
    {
        return ApiError::not_found(format!("no contest {contest_id}"));
    }
    tracing::warn!(contest = contest_id, error = %e, "cannot read or take the contest's lease");
    ApiError::StorageUnavailable(anyhow::anyhow!("cannot reach the database to find this contest's engine: {e}"))
}

/// The lease loops of a hub with several instances: renewals (see [`Hub::renew_tick`])
/// and, beside them, takeovers ([`Hub::sweep_tick`]).
async fn lease_loop(hub: std::sync::Weak<Hub>) {
    let sweeper = {
        let hub = hub.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(lease::RENEW_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut n: u64 = 0;
            loop {
                tick.tick().await;
                let Some(hub) = hub.upgrade() else { return };
                if hub.is_shut_down() {
                    return;
                }
                hub.sweep_tick().await;
                n += 1;
                if n.is_multiple_of(30)
                    && let Some(c) = hub.cluster()
                {
                    c.sweep_posts().await;
                }
            }
        })
    };
    let mut tick = tokio::time::interval(lease::RENEW_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(hub) = hub.upgrade() else { break };
        if hub.is_shut_down() {
            break;
        }
        hub.renew_tick().await;
    }
    sweeper.abort();
}
