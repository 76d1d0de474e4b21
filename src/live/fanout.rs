//! Writing one contest's events to its open sockets.
//!
//! One task per contest owns the list of open sockets and writes every frame straight into
//! each socket's actix-ws session. Opening a question is one write to each of ten thousand
//! phones, so the cost per socket is what sets how long the last phone waits:
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
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// One open socket.
pub struct Conn {
    pub session: Session,
    /// Staff sockets get the staff frames; a team's phones the phone frames and their own.
    pub viewer: Viewer,
    pub holder: Holder,
    /// Tells the socket's task to close with this reason.
    pub kick: oneshot::Sender<&'static str>,
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
    Post(Post),
    Revoke(Revoked),
    /// The engine stopped: every socket is closed so that it reconnects to the new one.
    Stop,
}

/// Open sockets, for the engine to skip building frames nobody would get.
#[derive(Debug, Default)]
pub struct Counts {
    pub staff: AtomicUsize,
    pub audience: AtomicUsize,
    pub phones: AtomicUsize,
}

/// The way into a contest's fan-out task.
#[derive(Clone)]
pub struct Fanout {
    tx: mpsc::UnboundedSender<Job>,
    pub counts: Arc<Counts>,
}

impl Fanout {
    pub fn spawn() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let counts = Arc::new(Counts::default());
        let task = Task {
            staff: HashMap::new(),
            phones: Vec::new(),
            free: Vec::new(),
            slot_of: HashMap::new(),
            seq: 0,
            active: VecDeque::new(),
            cursor: 0,
            counts: counts.clone(),
        };
        // Unconstrained: tokio's cooperative budget would make a send into a free queue
        // report "not ready" after a hundred-odd sockets in one poll; the task yields
        // between chunks by itself.
        tokio::spawn(tokio::task::unconstrained(task.run(rx)));
        Fanout { tx, counts }
    }

    pub fn add(&self, id: u64, conn: Conn, snapshot: Vec<Frame>) {
        let _ = self.tx.send(Job::Add { id, conn, snapshot });
    }

    pub fn remove(&self, id: u64) {
        let _ = self.tx.send(Job::Remove { id });
    }

    pub fn post(&self, p: Post) {
        if !p.is_empty() {
            let _ = self.tx.send(Job::Post(p));
        }
    }

    pub fn revoke(&self, r: Revoked) {
        let _ = self.tx.send(Job::Revoke(r));
    }

    pub fn stop(&self) {
        let _ = self.tx.send(Job::Stop);
    }
}

struct Slot {
    id: u64,
    conn: Conn,
    /// Posts numbered above this reach the socket; earlier ones are in its snapshot.
    since: u64,
}

/// A post on its way to the phones.
struct Active {
    seq: u64,
    post: Post,
    /// Phone slots that existed when the post arrived (later ones are newer sockets).
    len: usize,
    /// Slots below `len` the post has yet to pass.
    left: usize,
    t0: std::time::Instant,
}

struct Task {
    staff: HashMap<u64, Conn>,
    phones: Vec<Option<Slot>>,
    free: Vec<usize>,
    slot_of: HashMap<u64, usize>,
    seq: u64,
    active: VecDeque<Active>,
    /// The next phone slot to write: every post on its way moves with it, so a phone gets
    /// all the posts that reached it in one write, oldest first.
    cursor: usize,
    counts: Arc<Counts>,
}

/// Writes the frames without waiting; false when the socket is gone or its queue is full
/// (the phone stopped reading): either way it is dropped.
fn write_all<'a>(session: &mut Session, frames: impl IntoIterator<Item = &'a Frame>) -> bool {
    frames.into_iter().all(|f| matches!(session.text(f.clone()).now_or_never(), Some(Ok(()))))
}

fn kick(conn: Conn, reason: &'static str) {
    let _ = conn.kick.send(reason);
}

impl Task {
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
                            return;
                        }
                    }
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        if self.active.is_empty() {
                            return;
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
            Job::Post(post) => {
                self.seq += 1;
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
                    let len = self.phones.len();
                    self.active.push_back(Active {
                        seq: self.seq,
                        post,
                        len,
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

    fn count(&self) {
        let audience = self.staff.values().filter(|c| c.viewer == Viewer::Audience).count();
        self.counts.staff.store(self.staff.len() - audience, Ordering::Relaxed);
        self.counts.audience.store(audience, Ordering::Relaxed);
        self.counts.phones.store(self.slot_of.len(), Ordering::Relaxed);
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
    /// wraps around, so a phone's posts still arrive in order and a burst of posts (a part
    /// starting and its first question opening) costs each phone one write, not one per post.
    fn step(&mut self) {
        let n = self.phones.len();
        if self.cursor >= n {
            self.cursor = 0;
        }
        let (start, stop) = (self.cursor, (self.cursor + CHUNK).min(n));
        let mut slow = vec![];
        for i in start..stop {
            let Some(slot) = self.phones[i].as_mut() else { continue };
            let Viewer::Team(team) = slot.conn.viewer else { continue };
            let since = slot.since;
            let frames = self
                .active
                .iter()
                .filter(|a| i < a.len && a.left > 0 && since < a.seq)
                .flat_map(|a| a.post.phones.iter().chain(a.post.teams.get(&team).into_iter().flatten()));
            if !write_all(&mut slot.conn.session, frames) {
                slow.push(i);
            }
        }
        self.cursor = stop;
        for a in &mut self.active {
            let passed = stop.min(a.len).saturating_sub(start);
            a.left = a.left.saturating_sub(passed);
        }
        self.active.retain(|a| {
            if a.left == 0 {
                metrics::histogram!(crate::monitor::FANOUT_SECONDS).record(a.t0.elapsed().as_secs_f64());
                tracing::debug!(phones = a.len, took_ms = a.t0.elapsed().as_secs_f64() * 1e3, "post written");
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
