//! Writing one contest's events to its open sockets, on every core.
//!
//! actix-web runs one single-threaded runtime per worker thread, and a socket's actix-ws
//! session lives on the worker that accepted it: a write into the session wakes that
//! worker's task for the connection. So a contest's fan-out is **sharded by worker**: one
//! shard task per worker that has sockets of the contest, spawned on that worker's own
//! runtime, writing only that worker's sockets. Each worker's core then writes its own
//! share of a question's ten thousand phones, in parallel with the others, and no write
//! wakes a task on another thread.
//! - A socket joins the shard of the worker whose handler opened it: [`Conn::new`] notes
//!   the worker it runs on (its thread and runtime), and [`Fanout::add`] (called by the
//!   engine, on whatever thread the engine runs) starts that worker's shard with its first
//!   socket.
//! - A post is built once and shared (`Arc`) by every shard; each shard receives adds and
//!   posts through its own queue in the order the engine made them, so a socket still gets
//!   its snapshot and then every post after it, in order.
//! - Revocations and the engine's stop go to every shard; a removal goes to the socket's own.
//! - [`Counts`] are totals over the shards (each shard adds what changed in its own).
//!
//! Within a shard, opening a question is one write to each of its phones, so the cost per
//! socket is what sets how long the last phone waits:
//! - a frame is serialized once by the engine and the same bytes go to every socket;
//! - no task per socket wakes up to forward it (the socket's own task only reads);
//! - staff and audience sockets (console, judges, projector) are written first, as soon as a post arrives;
//! - phones are written in chunks with a yield between them, so answers arriving during a
//!   burst are read and acknowledged between chunks instead of after the whole burst;
//! - everything the engine decides in one step (say `closed`, the public board and each
//!   team's own score) is one [`Post`], so each phone gets one write, not three.
//!
//! A socket whose outgoing queue is full (a phone that stopped reading) is closed rather
//! than waited for: it reconnects and gets a fresh snapshot.
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::ThreadId;

use actix_ws::Session;
use futures_util::FutureExt;
use tokio::sync::{mpsc, oneshot};

use super::events::Frame;
use super::{Holder, Revoked, Viewer};

/// Phones written before the fan-out lets other tasks (answers, acks) run.
///
/// An answer that arrives during a burst crosses the worker's run queue about six times
/// (read, parse, engine, commit back, ack, write), and each time it waits behind the
/// sockets the last chunk woke. With 128 that was about 1.5 ms a hop: acks sent while a
/// question reached 10,000 phones had p50 15–20 ms. With 32 they have 3–6 ms, and the
/// burst itself takes no longer (a yield costs one `epoll_wait`). Measured in BENCHMARKS.md.
const CHUNK: usize = 32;

/// Why the fan-out closed a socket (the close frame's reason).
pub const REVOKED: &str = "token_revoked";
pub const TOO_SLOW: &str = "too_slow";
pub const ENGINE_STOPPED: &str = "engine_stopped";

/// The worker thread a socket was opened on, and its runtime.
#[derive(Clone)]
struct Worker {
    thread: ThreadId,
    rt: Option<tokio::runtime::Handle>,
}

impl Worker {
    fn current() -> Self {
        Worker { thread: std::thread::current().id(), rt: tokio::runtime::Handle::try_current().ok() }
    }
}

/// One open socket.
pub struct Conn {
    pub session: Session,
    /// Staff sockets get the staff frames; a team's phones the phone frames and their own.
    pub viewer: Viewer,
    pub holder: Holder,
    /// Tells the socket's task to close with this reason.
    pub kick: oneshot::Sender<&'static str>,
    /// Where the socket lives: its shard runs there.
    worker: Worker,
}

impl Conn {
    /// A socket opened by the handler running now, on this worker: this worker's shard
    /// will write it.
    pub fn new(session: Session, viewer: Viewer, holder: Holder, kick: oneshot::Sender<&'static str>) -> Self {
        Conn { session, viewer, holder, kick, worker: Worker::current() }
    }
}

/// What one step of the engine sends: frames for the staff sockets, frames for every phone,
/// and then each team's own frame to its phones.
#[derive(Default, Clone)]
pub struct Post {
    pub staff: Vec<Frame>,
    /// The hall's projector: what the audience may see (the public board, no team's details).
    pub audience: Vec<Frame>,
    pub phones: Vec<Frame>,
    pub teams: HashMap<i32, Vec<Frame>>,
}

impl Post {
    pub fn is_empty(&self) -> bool {
        self.staff.is_empty() && self.audience.is_empty() && self.phones.is_empty() && self.teams.is_empty()
    }

    pub fn all(&mut self, f: Frame) {
        self.staff.push(f.clone());
        self.audience.push(f.clone());
        self.phones.push(f);
    }

    fn for_phones(&self) -> bool {
        !self.phones.is_empty() || !self.teams.is_empty()
    }
}

/// A post shared by every shard. When the last shard is done with it, the time from the
/// engine's post to the last phone write (over all shards) is recorded.
struct Sent {
    post: Post,
    t0: std::time::Instant,
    /// Some shard had phones to write it to.
    to_phones: AtomicBool,
}

impl Drop for Sent {
    fn drop(&mut self) {
        if self.to_phones.load(Ordering::Relaxed) {
            metrics::histogram!(crate::monitor::FANOUT_SECONDS).record(self.t0.elapsed().as_secs_f64());
        }
    }
}

enum Job {
    /// A new socket; its snapshot goes out before anything posted after it.
    Add {
        id: u64,
        conn: Conn,
        snapshot: Vec<Frame>,
    },
    Remove {
        id: u64,
    },
    Post(Arc<Sent>),
    Revoke(Revoked),
    /// The engine stopped: every socket is closed so that it reconnects to the new one.
    Stop,
}

/// Open sockets, for the engine to skip building frames nobody would get: totals over
/// every shard.
#[derive(Debug, Default)]
pub struct Counts {
    pub staff: AtomicUsize,
    pub audience: AtomicUsize,
    pub phones: AtomicUsize,
}

/// The way into a shard's task.
struct ShardTx {
    thread: ThreadId,
    tx: mpsc::UnboundedSender<Job>,
}

/// The shards of one contest's fan-out.
#[derive(Default)]
struct Shards {
    list: Vec<ShardTx>,
    /// The worker of each open socket, for [`Fanout::remove`].
    worker_of: HashMap<u64, ThreadId>,
    /// Shards started so far (names them in the log).
    started: usize,
    /// The engine stopped: a socket added now is dropped (it reconnects).
    stopped: bool,
}

/// The way into a contest's fan-out (all its shards).
#[derive(Clone)]
pub struct Fanout {
    shards: Arc<Mutex<Shards>>,
    pub counts: Arc<Counts>,
}

impl Fanout {
    /// A fan-out with no socket yet: each worker's shard starts with its first socket.
    pub fn spawn() -> Self {
        Fanout { shards: Arc::default(), counts: Arc::default() }
    }

    fn lock(&self) -> MutexGuard<'_, Shards> {
        // Nothing panics while holding the lock; a poisoned one is still consistent.
        self.shards.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Shards running now: the workers that hold sockets of this contest (or did).
    pub fn shards(&self) -> usize {
        self.lock().list.iter().filter(|sh| !sh.tx.is_closed()).count()
    }

    pub fn add(&self, id: u64, conn: Conn, snapshot: Vec<Frame>) {
        let mut s = self.lock();
        if s.stopped {
            // Dropping the socket's kick sender tells it to reconnect.
            return;
        }
        let worker = conn.worker.clone();
        let i = match s.list.iter().position(|sh| sh.thread == worker.thread && !sh.tx.is_closed()) {
            Some(i) => i,
            None => {
                // A worker that ended (its runtime gone) leaves a closed shard behind.
                s.list.retain(|sh| !sh.tx.is_closed());
                s.started += 1;
                let tx = start_shard(&worker, s.started, self.counts.clone());
                s.list.push(ShardTx { thread: worker.thread, tx });
                s.list.len() - 1
            }
        };
        // A shard that could not start drops the socket, which reconnects.
        if s.list[i].tx.send(Job::Add { id, conn, snapshot }).is_ok() {
            s.worker_of.insert(id, worker.thread);
        }
    }

    pub fn remove(&self, id: u64) {
        let mut s = self.lock();
        if let Some(thread) = s.worker_of.remove(&id)
            && let Some(sh) = s.list.iter().find(|sh| sh.thread == thread)
        {
            let _ = sh.tx.send(Job::Remove { id });
        }
    }

    pub fn post(&self, p: Post) {
        if p.is_empty() {
            return;
        }
        let sent = Arc::new(Sent { post: p, t0: std::time::Instant::now(), to_phones: AtomicBool::new(false) });
        let s = self.lock();
        for sh in &s.list {
            let _ = sh.tx.send(Job::Post(sent.clone()));
        }
    }

    pub fn revoke(&self, r: Revoked) {
        for sh in &self.lock().list {
            let _ = sh.tx.send(Job::Revoke(r));
        }
    }

    pub fn stop(&self) {
        let mut s = self.lock();
        s.stopped = true;
        s.worker_of.clear();
        for sh in s.list.drain(..) {
            let _ = sh.tx.send(Job::Stop);
        }
    }
}

/// Starts a shard on the worker's runtime (or, for a socket opened outside any runtime,
/// on the caller's).
fn start_shard(worker: &Worker, number: usize, counts: Arc<Counts>) -> mpsc::UnboundedSender<Job> {
    let (tx, rx) = mpsc::unbounded_channel();
    let shard = Shard {
        number,
        staff: HashMap::new(),
        phones: Vec::new(),
        free: Vec::new(),
        slot_of: HashMap::new(),
        seq: 0,
        active: VecDeque::new(),
        cursor: 0,
        counts,
        published: (0, 0, 0),
    };
    // Unconstrained: tokio's cooperative budget would make a send into a free queue
    // report "not ready" after a hundred-odd sockets in one poll; the task yields
    // between chunks by itself.
    let task = tokio::task::unconstrained(shard.run(rx));
    match worker.rt.clone().or_else(|| tokio::runtime::Handle::try_current().ok()) {
        Some(rt) => {
            rt.spawn(task);
        }
        // No runtime to run it on: the receiver is dropped, and the socket with it.
        None => tracing::error!("the fan-out cannot start a shard outside a runtime"),
    }
    tx
}

struct Slot {
    id: u64,
    conn: Conn,
    /// Posts numbered above this reach the socket; earlier ones are in its snapshot.
    since: u64,
}

/// A post on its way to this shard's phones.
struct Active {
    seq: u64,
    sent: Arc<Sent>,
    /// Phone slots that existed when the post arrived (later ones are newer sockets).
    len: usize,
    /// The slot the post starts at (the cursor when it arrived): it passes the slots from
    /// there to `len`, then from 0 back to here, each once.
    from: usize,
    /// Slots below `len` the post has yet to pass.
    left: usize,
    t0: std::time::Instant,
}

impl Active {
    /// Whether slot `i` is still ahead of the post.
    fn pending(&self, i: usize) -> bool {
        self.left > 0 && i < self.len && (i + self.len - self.from) % self.len >= self.len - self.left
    }
}

/// One worker's share of a contest's sockets, written by a task on that worker.
struct Shard {
    /// Names the shard in the log.
    number: usize,
    staff: HashMap<u64, Conn>,
    phones: Vec<Option<Slot>>,
    free: Vec<usize>,
    slot_of: HashMap<u64, usize>,
    /// Posts this shard has received (numbers them for the snapshots of new sockets).
    seq: u64,
    active: VecDeque<Active>,
    /// The next phone slot to write: every post on its way moves with it, so a phone gets
    /// all the posts that reached it in one write, oldest first.
    cursor: usize,
    counts: Arc<Counts>,
    /// This shard's (staff, audience, phones) as last added to `counts`.
    published: (usize, usize, usize),
}

/// Writes the frames without waiting; false when the socket is gone or its queue is full
/// (the phone stopped reading): either way it is dropped.
fn write_all<'a>(session: &mut Session, frames: impl IntoIterator<Item = &'a Frame>) -> bool {
    frames.into_iter().all(|f| matches!(session.text(f.clone()).now_or_never(), Some(Ok(()))))
}

fn kick(conn: Conn, reason: &'static str) {
    let _ = conn.kick.send(reason);
}

/// Moves a shared total from `old` to `new` (this shard's share of it): the addition
/// first, so that a reader never sees it wrap below zero.
fn publish(total: &AtomicUsize, old: usize, new: usize) {
    if new > old {
        total.fetch_add(new - old, Ordering::Relaxed);
    } else if old > new {
        total.fetch_sub(old - new, Ordering::Relaxed);
    }
}

impl Shard {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Job>) {
        loop {
            if self.active.is_empty() {
                match rx.recv().await {
                    Some(job) => {
                        if !self.apply(job) {
                            break;
                        }
                    }
                    None => break,
                }
            }
            // Whatever else arrived: staff frames go out now, phones join the queue.
            loop {
                match rx.try_recv() {
                    Ok(job) => {
                        if !self.apply(job) {
                            return self.close();
                        }
                    }
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        if self.active.is_empty() {
                            return self.close();
                        }
                        break;
                    }
                }
            }
            if !self.active.is_empty() {
                self.step();
                tokio::task::yield_now().await;
            }
        }
        self.close();
    }

    /// The shard ends: its sockets leave the totals (dropping them tells them to reconnect).
    fn close(&mut self) {
        self.staff.clear();
        self.phones.clear();
        self.slot_of.clear();
        self.count();
    }

    /// Applies one job; false when the fan-out must end.
    fn apply(&mut self, job: Job) -> bool {
        match job {
            Job::Add { id, mut conn, snapshot } => {
                if !write_all(&mut conn.session, &snapshot) {
                    kick(conn, TOO_SLOW);
                    return true;
                }
                match conn.viewer {
                    Viewer::Staff | Viewer::Audience => {
                        self.staff.insert(id, conn);
                    }
                    Viewer::Team(_) => {
                        let slot = Slot { id, conn, since: self.seq };
                        let i = match self.free.pop() {
                            Some(i) => {
                                self.phones[i] = Some(slot);
                                i
                            }
                            None => {
                                self.phones.push(Some(slot));
                                self.phones.len() - 1
                            }
                        };
                        self.slot_of.insert(id, i);
                    }
                }
            }
            Job::Remove { id } => {
                self.staff.remove(&id);
                if let Some(i) = self.slot_of.remove(&id) {
                    self.phones[i] = None;
                    self.free.push(i);
                }
            }
            Job::Post(sent) => {
                self.seq += 1;
                let post = &sent.post;
                if !post.staff.is_empty() || !post.audience.is_empty() {
                    let mut dropped = vec![];
                    for (id, conn) in &mut self.staff {
                        let frames = match conn.viewer {
                            Viewer::Audience => &post.audience,
                            _ => &post.staff,
                        };
                        if !write_all(&mut conn.session, frames) {
                            dropped.push(*id);
                        }
                    }
                    for id in dropped {
                        if let Some(c) = self.staff.remove(&id) {
                            kick(c, TOO_SLOW);
                        }
                    }
                }
                if post.for_phones() && !self.slot_of.is_empty() {
                    sent.to_phones.store(true, Ordering::Relaxed);
                    let len = self.phones.len();
                    self.active.push_back(Active {
                        seq: self.seq,
                        sent,
                        len,
                        from: if self.cursor < len { self.cursor } else { 0 },
                        left: len,
                        t0: std::time::Instant::now(),
                    });
                }
            }
            Job::Revoke(r) => {
                let hit: Vec<u64> =
                    self.staff.iter().filter(|(_, c)| c.holder.is_hit_by(r)).map(|(id, _)| *id).collect();
                for id in hit {
                    if let Some(c) = self.staff.remove(&id) {
                        kick(c, REVOKED);
                    }
                }
                for i in 0..self.phones.len() {
                    if self.phones[i].as_ref().is_some_and(|s| s.conn.holder.is_hit_by(r)) {
                        self.drop_slot(i, REVOKED);
                    }
                }
            }
            Job::Stop => {
                for (_, c) in self.staff.drain() {
                    kick(c, ENGINE_STOPPED);
                }
                for i in 0..self.phones.len() {
                    self.drop_slot(i, ENGINE_STOPPED);
                }
                self.count();
                return false;
            }
        }
        self.count();
        true
    }

    fn count(&mut self) {
        let audience = self.staff.values().filter(|c| c.viewer == Viewer::Audience).count();
        let now = (self.staff.len() - audience, audience, self.slot_of.len());
        let (staff, aud, phones) = self.published;
        publish(&self.counts.staff, staff, now.0);
        publish(&self.counts.audience, aud, now.1);
        publish(&self.counts.phones, phones, now.2);
        self.published = now;
    }

    fn drop_slot(&mut self, i: usize, reason: &'static str) {
        if let Some(s) = self.phones[i].take() {
            self.slot_of.remove(&s.id);
            self.free.push(i);
            kick(s.conn, reason);
        }
    }

    /// Writes the next chunk of phones: each gets every post on its way that it has not had,
    /// oldest first. A post that arrives while others are half-way starts where they are and
    /// wraps around (passing each slot once), so a phone's posts still arrive in order and a
    /// burst of posts (a part starting and its first question opening) costs each phone one
    /// write, not one per post.
    fn step(&mut self) {
        let n = self.phones.len();
        if self.cursor >= n {
            self.cursor = 0;
        }
        let (start, stop) = (self.cursor, (self.cursor + CHUNK).min(n));
        let mut slow = vec![];
        // The posts still on their way to the slot being written (indexes into `active`).
        let mut due = Vec::with_capacity(self.active.len());
        for i in start..stop {
            due.clear();
            for (k, a) in self.active.iter_mut().enumerate() {
                if a.pending(i) {
                    a.left -= 1;
                    due.push(k);
                }
            }
            let Some(slot) = self.phones[i].as_mut() else { continue };
            let Viewer::Team(team) = slot.conn.viewer else { continue };
            let since = slot.since;
            let active = &self.active;
            // Posts made before the socket came are in its snapshot.
            let frames = due
                .iter()
                .map(|k| &active[*k])
                .filter(|a| since < a.seq)
                .flat_map(|a| a.sent.post.phones.iter().chain(a.sent.post.teams.get(&team).into_iter().flatten()));
            if !write_all(&mut slot.conn.session, frames) {
                slow.push(i);
            }
        }
        self.cursor = stop;
        let shard = self.number;
        self.active.retain(|a| {
            if a.left == 0 {
                tracing::debug!(shard, phones = a.len, took_ms = a.t0.elapsed().as_secs_f64() * 1e3, "post written");
            }
            a.left > 0
        });
        for i in slow {
            self.drop_slot(i, TOO_SLOW);
        }
        if !self.active.is_empty() {
            return;
        }
        // Every post is out: trim trailing empty slots so that bursts scan live phones only.
        while self.phones.last().is_some_and(|s| s.is_none()) {
            self.phones.pop();
        }
        let len = self.phones.len();
        self.free.retain(|i| *i < len);
    }
}
