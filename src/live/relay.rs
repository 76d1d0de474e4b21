//! Several instances on one PostgreSQL database behave as one server.
//!
//! Each contest's engine runs on the one instance holding its lease (`super::lease`); the
//! other instances **relay**:
//! - **Requests** (answers, presses, controls, snapshots…) that reach a relay go to the
//!   owner over HTTP (`POST /internal/live/{cid}` at the owner's advertised address, with a
//!   key derived from the shared signing secret) as a [`RemoteCmd`]. The owner runs them
//!   through its engine exactly as its own: the same server time, idempotency, captain and
//!   star rules, one writer, so an answer is stored once whichever instance took it. Its
//!   answer (or refusal, status and body unchanged) goes back to the caller.
//! - **Frames**: every post the owner's engine ships (see `fanout::Post`) is numbered and
//!   published with `NOTIFY hoithi_live`; a post over NOTIFY's 8,000-byte limit is stored
//!   in `relay_posts` and the notification carries its id. Each relay feeds the posts of
//!   the contests it serves to a fan-out of its own, so its sockets get the same frames.
//!   A relay's new socket gets the owner's snapshot, numbered: posts the relay applied
//!   after it are added from a short ring, posts it has not seen yet are waited for.
//! - **Revocations** (a removed contestant, a closed contest) are published too, so every
//!   instance closes the sockets they hit.
//!
//! A relay drops its sockets (they reconnect through the balancer and get a fresh
//! snapshot) whenever it cannot be sure it has every post: a gap in the numbers, the
//! listening connection lost, or a new owner (a higher epoch). A request the owner does
//! not answer is refused with 503 `unavailable` (a phone resends its answer with the same
//! submission id); the relay itself is dropped only when its calls have kept failing for
//! [`UNREACHABLE_FOR`], with no success in between: one call lost on an overloaded owner
//! must not cut thousands of phones (the cluster benchmark did exactly that), while a
//! lasting partition sends the relay's phones back through the balancer, where some land
//! on an instance that reaches the owner.
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::sqlx::{self, PgPool, Row};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use super::ceremony::BoardOp;
use super::engine::{Answerer, Control, Viewer};
use super::events::{Ack, AnswerRequest, BuzzRequest, Frame};
use super::fanout::{self, Conn, Fanout, Post};
use super::lease::Me;
use super::{Handle, Hub, Revoked};
use crate::domain::ranking::TieBreak;
use crate::error::{ApiError, ApiResult};

/// The PostgreSQL channel of posts and revocations.
pub const CHANNEL: &str = "hoithi_live";
/// Above this, a post is stored in `relay_posts` and referenced (NOTIFY takes < 8,000 bytes).
const NOTIFY_LIMIT: usize = 7_500;
/// The header carrying the instances' shared key on internal requests.
pub const KEY_HEADER: &str = "x-hoithi-relay-key";
/// How long a relay waits for the owner's answer.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// Posts a relay keeps for sockets whose snapshot is older than its last post.
const RING: usize = 256;
/// How long a new socket waits for the posts its snapshot is ahead of.
const WAIT_FOR_POSTS: Duration = Duration::from_secs(3);

/// A request for a contest's engine, sent by a relay to the owner.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum RemoteCmd {
    Control {
        actor: String,
        op: Control,
    },
    Answer {
        by: Answerer,
        req: AnswerRequest,
    },
    /// Answers taken by a relay, sent together (see [`Remote::answer`]); the owner's
    /// engine takes them in this order and answers with one [`Outcome`] each.
    Answers {
        items: Vec<(Answerer, AnswerRequest)>,
    },
    Buzz {
        by: Answerer,
        req: BuzzRequest,
        /// When the relay received the press (µs since the epoch, its clock): the owner
        /// places it by this, not by when it arrived (see `kinds::buzzer`).
        #[serde(default)]
        at_us: Option<i64>,
    },
    State {
        viewer: Viewer,
    },
    /// The snapshot a new socket starts from, with the number of the last post it holds.
    Snapshot {
        viewer: Viewer,
    },
    Scoreboard {
        viewer: Viewer,
    },
    Judging {
        part_id: i32,
    },
    Adjust {
        actor: String,
        team_id: i32,
        part_id: Option<i32>,
        delta: f64,
        reason: String,
    },
    SetTies {
        actor: String,
        ties: Vec<TieBreak>,
    },
    Board {
        actor: String,
        op: BoardOp,
    },
    Closed,
    Joined {
        team_id: i32,
    },
    Revoke {
        contestant_id: i32,
    },
    Judged {
        op: super::kinds::judged::JudgedOp,
    },
}

/// A snapshot with the number of the last post it includes.
#[derive(Debug, Serialize, Deserialize)]
pub struct Numbered {
    pub seq: u64,
    pub frames: Vec<String>,
}

/// Runs a relayed request on this instance's own engine (the owner's side).
pub async fn execute(h: &Handle, cmd: RemoteCmd) -> ApiResult<Value> {
    fn to<T: Serialize>(v: T) -> ApiResult<Value> {
        serde_json::to_value(v).map_err(ApiError::internal)
    }
    match cmd {
        RemoteCmd::Control { actor, op } => to(h.control(&actor, op).await?),
        RemoteCmd::Answer { by, req } => to(h.answer(by, req).await?),
        RemoteCmd::Answers { items } => {
            // Polled in order, so the engine receives them in the relay's order; each
            // finishes when its answer is stored (or refused).
            let done = futures_util::future::join_all(items.into_iter().map(|(by, req)| h.answer(by, req))).await;
            to(done.into_iter().map(Outcome::from).collect::<Vec<_>>())
        }
        RemoteCmd::Buzz { by, req, at_us } => to(h.buzz_at(by, req, at_us).await?),
        RemoteCmd::State { viewer } => to(h.state(viewer).await?),
        RemoteCmd::Snapshot { viewer } => {
            let (seq, frames) = h.numbered_snapshot(viewer).await?;
            to(Numbered { seq, frames: frames.iter().map(|f| f.to_string()).collect() })
        }
        RemoteCmd::Scoreboard { viewer } => h.scoreboard(viewer).await,
        RemoteCmd::Judging { part_id } => to(h.judging_changed(part_id).await?),
        RemoteCmd::Adjust { actor, team_id, part_id, delta, reason } => {
            h.adjust(&actor, team_id, part_id, delta, reason).await
        }
        RemoteCmd::SetTies { actor, ties } => to(h.set_tie_breakers(&actor, ties).await?),
        RemoteCmd::Board { actor, op } => to(h.board(&actor, op).await?),
        RemoteCmd::Closed => to(h.closed().await?),
        RemoteCmd::Joined { team_id } => to(h.joined(team_id).await?),
        RemoteCmd::Revoke { contestant_id } => to(h.revoke_contestant(contestant_id).await?),
        RemoteCmd::Judged { op } => to(h.judged(op).await?),
    }
}

/// What this instance needs to take part in a cluster.
pub struct Cluster {
    pub me: Me,
    pub pool: PgPool,
    /// The key internal requests carry (derived from the shared signing secret).
    pub key: String,
    client: reqwest::Client,
    relays: std::sync::Mutex<HashMap<i32, Arc<Remote>>>,
    publish: mpsc::UnboundedSender<Outgoing>,
    /// How long the owner of a buzzer part lets presses settle (`--buzz-settle-ms`).
    pub buzz_settle: Duration,
}

/// The key the instances share, from the token signing secret they share.
pub fn key_of(secret: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"hoithi relay key\0");
    h.update(secret);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl Cluster {
    pub fn new(me: Me, pool: PgPool, key: String, buzz_settle: Duration) -> Arc<Self> {
        let (publish, rx) = mpsc::unbounded_channel();
        let client = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .connect_timeout(Duration::from_secs(1))
            // Well below the owner's keep-alive (actix-web closes an idle connection after
            // 5 s): a request sent on a connection the owner is closing fails, and one
            // failed call drops the relay with all its sockets (found by the cluster benchmark).
            .pool_idle_timeout(Duration::from_secs(2))
            .build()
            .unwrap_or_default();
        let c = Arc::new(Cluster { me, pool, key, client, relays: Default::default(), publish, buzz_settle });
        tokio::spawn(publisher(c.pool.clone(), c.me.id.clone(), rx));
        c
    }

    /// Where the engine of `contest_id` ships its posts for the relays.
    pub fn outbox(&self, contest_id: i32, epoch: i64) -> Outbox {
        Outbox { contest_id, epoch, tx: self.publish.clone() }
    }

    /// The relay of a contest, while it is usable.
    pub fn relay(&self, contest_id: i32) -> Option<Arc<Remote>> {
        let relays = self.relays.lock().ok()?;
        relays.get(&contest_id).filter(|r| !r.is_dead()).cloned()
    }

    /// Starts relaying a contest whose engine runs on another instance.
    pub fn start_relay(self: &Arc<Self>, contest_id: i32, owner_url: String, epoch: i64) -> Arc<Remote> {
        let fan = Fanout::spawn();
        let (tx, rx) = mpsc::unbounded_channel();
        let (answers, answers_rx) = mpsc::unbounded_channel();
        let r = Arc::new(Remote {
            contest_id,
            owner_url,
            epoch,
            fan: fan.clone(),
            tx,
            dead: Arc::new(AtomicBool::new(false)),
            cluster: Arc::downgrade(self),
            failing_since: Default::default(),
            answers,
        });
        tokio::spawn(relay_task(rx, fan, r.dead.clone()));
        tokio::spawn(batch_answers(answers_rx, Arc::downgrade(&r)));
        if let Ok(mut relays) = self.relays.lock()
            && let Some(old) = relays.insert(contest_id, r.clone())
        {
            old.kill("replaced");
        }
        r
    }

    /// Stops relaying a contest: its sockets reconnect and find the current owner.
    pub fn drop_relay(&self, contest_id: i32, why: &str) {
        let r = self.relays.lock().ok().and_then(|mut m| m.remove(&contest_id));
        if let Some(r) = r {
            r.kill(why);
        }
    }

    /// Stops this relay (not a newer one of the same contest that replaced it).
    fn drop_this(&self, r: &Remote, why: &str) {
        if let Ok(mut m) = self.relays.lock()
            && m.get(&r.contest_id).is_some_and(|x| std::ptr::eq(Arc::as_ptr(x), r))
        {
            m.remove(&r.contest_id);
        }
        r.kill(why);
    }

    /// Every relay (for the lease loop's checks and the numbers).
    pub fn relays(&self) -> Vec<Arc<Remote>> {
        self.relays.lock().map(|m| m.values().cloned().collect()).unwrap_or_default()
    }

    /// Drops every relay: used when posts may have been missed (the listener reconnected).
    pub fn drop_all(&self, why: &str) {
        let all: Vec<Arc<Remote>> =
            self.relays.lock().map(|mut m| m.drain().map(|(_, r)| r).collect()).unwrap_or_default();
        for r in all {
            r.kill(why);
        }
    }

    /// Tells the other instances of a revocation.
    pub fn publish_revocation(&self, r: Revoked) {
        let _ = self.publish.send(Outgoing::Revoked(r));
    }

    /// Tells the other instances that someone joined a team (the owner tells its phones).
    pub fn publish_joined(&self, contest_id: i32, team_id: i32) {
        let _ = self.publish.send(Outgoing::Joined(contest_id, team_id));
    }

    /// Removes stored big posts nobody will fetch any more.
    pub async fn sweep_posts(&self) {
        let q = "DELETE FROM relay_posts WHERE created_at < now() - interval '2 minutes'";
        if let Err(e) = sqlx::query(q).execute(&self.pool).await {
            tracing::debug!(error = %e, "cannot remove old relay posts");
        }
    }
}

/// An engine's way to publish its posts.
#[derive(Clone)]
pub struct Outbox {
    contest_id: i32,
    epoch: i64,
    tx: mpsc::UnboundedSender<Outgoing>,
}

impl Outbox {
    pub fn send(&self, seq: u64, post: &Post) {
        let _ =
            self.tx.send(Outgoing::Post { contest_id: self.contest_id, epoch: self.epoch, seq, post: post.clone() });
    }
}

enum Outgoing {
    Post { contest_id: i32, epoch: i64, seq: u64, post: Post },
    Revoked(Revoked),
    Joined(i32, i32),
}

/// A post as it travels: frames as text.
#[derive(Serialize, Deserialize, Default)]
struct Wire {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    staff: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    audience: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    phones: Vec<String>,
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    teams: HashMap<i32, Vec<String>>,
}

impl Wire {
    fn of(p: &Post) -> Self {
        let text = |v: &Vec<Frame>| v.iter().map(|f| f.to_string()).collect::<Vec<_>>();
        Wire {
            staff: text(&p.staff),
            audience: text(&p.audience),
            phones: text(&p.phones),
            teams: p.teams.iter().map(|(t, v)| (*t, text(v))).collect(),
        }
    }

    fn post(self) -> Post {
        let frames = |v: Vec<String>| v.into_iter().map(Frame::from).collect::<Vec<_>>();
        Post {
            staff: frames(self.staff),
            audience: frames(self.audience),
            phones: frames(self.phones),
            teams: self.teams.into_iter().map(|(t, v)| (t, frames(v))).collect(),
        }
    }
}

/// One notification on [`CHANNEL`].
#[derive(Serialize, Deserialize)]
struct Note {
    /// The instance that sent it (its own notifications come back to it too).
    i: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    c: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    e: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s: Option<u64>,
    /// The post itself…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    p: Option<Wire>,
    /// …or the id of its row in `relay_posts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    r: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rev: Option<Revoked>,
    /// Someone joined: (contest, team).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    joined: Option<(i32, i32)>,
}

impl Note {
    fn from(me: &str) -> Self {
        Note { i: me.to_owned(), c: None, e: None, s: None, p: None, r: None, rev: None, joined: None }
    }
}

/// Publishes posts and revocations in the order they were made, on one connection.
async fn publisher(pool: PgPool, me: String, mut rx: mpsc::UnboundedReceiver<Outgoing>) {
    while let Some(out) = rx.recv().await {
        let note = match out {
            Outgoing::Revoked(r) => Note { rev: Some(r), ..Note::from(&me) },
            Outgoing::Joined(c, t) => Note { joined: Some((c, t)), ..Note::from(&me) },
            Outgoing::Post { contest_id, epoch, seq, post } => {
                Note { c: Some(contest_id), e: Some(epoch), s: Some(seq), p: Some(Wire::of(&post)), ..Note::from(&me) }
            }
        };
        if let Err(e) = publish(&pool, note).await {
            // The relays see the gap in the numbers and drop their sockets.
            tracing::warn!(error = %e, "cannot publish a live post to the other instances");
        }
    }
}

async fn publish(pool: &PgPool, mut note: Note) -> Result<(), sqlx::Error> {
    let mut text = serde_json::to_string(&note).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    if text.len() > NOTIFY_LIMIT
        && let Some(wire) = note.p.take()
    {
        let body = serde_json::to_string(&wire).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        let row = sqlx::query("INSERT INTO relay_posts (contest_id, body) VALUES ($1, $2) RETURNING id")
            .bind(note.c.unwrap_or_default())
            .bind(body)
            .fetch_one(pool)
            .await?;
        note.r = Some(row.try_get("id")?);
        text = serde_json::to_string(&note).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    }
    sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(text).execute(pool).await.map(|_| ())
}

/// Listens to the other instances' posts and revocations for as long as the hub lives.
pub async fn listen(hub: Weak<Hub>, cluster: Arc<Cluster>) {
    loop {
        let mut listener = match PgListener::connect_with(&cluster.pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen to the other instances; trying again");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %e, "cannot listen to the other instances; trying again");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => {
                    let Some(hub) = hub.upgrade() else { return };
                    on_note(&hub, &cluster, n.payload()).await;
                }
                Ok(None) => {
                    // Reconnected: notifications sent meanwhile are lost.
                    tracing::warn!("the connection listening to the other instances was lost");
                    cluster.drop_all("listener_lost");
                }
                Err(e) => {
                    tracing::warn!(error = %e, "listening to the other instances failed");
                    cluster.drop_all("listener_lost");
                    break;
                }
            }
            if hub.strong_count() == 0 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn on_note(hub: &Hub, cluster: &Cluster, payload: &str) {
    let note: Note = match serde_json::from_str(payload) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "an unreadable notification from another instance");
            return;
        }
    };
    if note.i == cluster.me.id {
        return;
    }
    if let Some(r) = note.rev {
        hub.apply_revocation(r).await;
        return;
    }
    if let Some((c, t)) = note.joined {
        if let Some(h) = hub.local(c).await {
            let _ = h.joined(t).await;
        }
        return;
    }
    let (Some(c), Some(e), Some(s)) = (note.c, note.e, note.s) else { return };
    let Some(relay) = cluster.relay(c) else { return };
    if e != relay.epoch {
        if e > relay.epoch {
            cluster.drop_relay(c, "new_owner");
        }
        return;
    }
    let wire = match (note.p, note.r) {
        (Some(w), _) => w,
        (None, Some(id)) => match fetch(&cluster.pool, id).await {
            Ok(w) => w,
            Err(err) => {
                tracing::warn!(error = %err, "cannot fetch a stored live post");
                cluster.drop_relay(c, "post_lost");
                return;
            }
        },
        (None, None) => return,
    };
    let _ = relay.tx.send(Job::Post(s, wire.post()));
}

async fn fetch(pool: &PgPool, id: i64) -> Result<Wire, sqlx::Error> {
    let row = sqlx::query("SELECT body FROM relay_posts WHERE id = $1").bind(id).fetch_one(pool).await?;
    let body: String = row.try_get("body")?;
    serde_json::from_str(&body).map_err(|e| sqlx::Error::Protocol(e.to_string()))
}

/// The relay of one contest whose engine runs on another instance.
pub struct Remote {
    pub contest_id: i32,
    pub owner_url: String,
    pub epoch: i64,
    pub fan: Fanout,
    tx: mpsc::UnboundedSender<Job>,
    dead: Arc<AtomicBool>,
    cluster: Weak<Cluster>,
    /// When the calls to the owner started failing (none succeeded since).
    failing_since: std::sync::Mutex<Option<Instant>>,
    /// Answers for the next batch ([`batch_answers`]).
    answers: mpsc::UnboundedSender<Waiting>,
}

/// How long a relay's calls may keep failing before it gives up on the owner.
pub const UNREACHABLE_FOR: Duration = Duration::from_secs(3);

enum Job {
    Post(u64, Post),
    Add { id: u64, conn: Conn, seq: u64, frames: Vec<Frame> },
}

fn owner_gone() -> ApiError {
    ApiError::Unavailable(anyhow::anyhow!("the instance running this contest cannot be reached; try again"))
}

/// One answer's fate in a batch: its ack, or the owner's refusal (status and body).
#[derive(Serialize, Deserialize)]
pub struct Outcome {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ack: Option<Ack>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<Value>,
}

impl From<ApiResult<Ack>> for Outcome {
    fn from(r: ApiResult<Ack>) -> Self {
        match r {
            Ok(ack) => Outcome { ack: Some(ack), status: None, error: None },
            Err(e) => Outcome {
                ack: None,
                status: Some(actix_web::ResponseError::status_code(&e).as_u16()),
                error: Some(e.body()),
            },
        }
    }
}

impl Outcome {
    fn into_result(self) -> ApiResult<Ack> {
        match (self.ack, self.error) {
            (Some(ack), _) => Ok(ack),
            (None, Some(body)) => Err(ApiError::Relayed { status: self.status.unwrap_or(500), body }),
            (None, None) => Err(ApiError::internal(anyhow::anyhow!("the owner answered neither an ack nor an error"))),
        }
    }
}

/// An answer waiting for the next batch.
struct Waiting {
    by: Answerer,
    req: AnswerRequest,
    reply: oneshot::Sender<ApiResult<Ack>>,
}

/// Batches a relay keeps in flight to the owner at once; answers arriving meanwhile wait
/// for the next.
const BATCHES_IN_FLIGHT: usize = 4;
/// The most answers in one batch (a few hundred KB of JSON).
const MAX_BATCH: usize = 1000;

/// Sends a relay's answers to the owner in batches, as the writer commits them: whatever
/// arrived while the batches in flight were out goes in the next. One HTTP request per
/// answer made the owner accept and serve thousands of connections from its relays in
/// the second after a question opens, and calls timed out (the cluster benchmark).
async fn batch_answers(mut rx: mpsc::UnboundedReceiver<Waiting>, remote: Weak<Remote>) {
    let slots = Arc::new(tokio::sync::Semaphore::new(BATCHES_IN_FLIGHT));
    while let Some(first) = rx.recv().await {
        let Ok(slot) = slots.clone().acquire_owned().await else { return };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH
            && let Ok(w) = rx.try_recv()
        {
            batch.push(w);
        }
        let Some(r) = remote.upgrade() else {
            for w in batch {
                let _ = w.reply.send(Err(owner_gone()));
            }
            return;
        };
        tokio::spawn(async move {
            let _slot = slot;
            let (items, replies): (Vec<_>, Vec<_>) = batch.into_iter().map(|w| ((w.by, w.req), w.reply)).unzip();
            let n = items.len();
            match r.call::<Vec<Outcome>>(&RemoteCmd::Answers { items }).await {
                Ok(outcomes) if outcomes.len() == n => {
                    for (o, reply) in outcomes.into_iter().zip(replies) {
                        let _ = reply.send(o.into_result());
                    }
                }
                Ok(outcomes) => {
                    tracing::error!(sent = n, got = outcomes.len(), "the owner answered a batch with another count");
                    for reply in replies {
                        let _ = reply.send(Err(owner_gone()));
                    }
                }
                Err(e) => {
                    for reply in replies {
                        let _ = reply.send(Err(match &e {
                            ApiError::Relayed { status, body } => {
                                ApiError::Relayed { status: *status, body: body.clone() }
                            }
                            _ => owner_gone(),
                        }));
                    }
                }
            }
        });
    }
}

impl Remote {
    pub fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Relaxed)
    }

    fn kill(&self, why: &str) {
        if !self.dead.swap(true, Ordering::Relaxed) {
            tracing::info!(contest = self.contest_id, why, "relay stopped; its sockets reconnect");
            self.fan.stop();
        }
    }

    /// Sends a request to the owner and reads its answer.
    pub async fn call<T: DeserializeOwned>(&self, cmd: &RemoteCmd) -> ApiResult<T> {
        let cluster = self.cluster.upgrade().ok_or_else(owner_gone)?;
        if self.is_dead() {
            return Err(owner_gone());
        }
        let url = format!("{}/internal/live/{}", self.owner_url, self.contest_id);
        let res = cluster.client.post(url).header(KEY_HEADER, &cluster.key).json(cmd).send().await;
        let res = match res {
            Ok(r) => r,
            Err(e) => {
                // With its causes ("{:#}"): "error sending request" alone does not say why.
                let error = format!("{:#}", anyhow::Error::new(e));
                tracing::warn!(contest = self.contest_id, owner = %self.owner_url, error, "the owner cannot be reached");
                let since = self.failing_since.lock().map(|mut f| *f.get_or_insert_with(Instant::now)).ok();
                if since.is_some_and(|t| t.elapsed() >= UNREACHABLE_FOR) {
                    cluster.drop_this(self, "owner_unreachable");
                }
                return Err(owner_gone());
            }
        };
        if let Ok(mut f) = self.failing_since.lock() {
            *f = None;
        }
        let status = res.status().as_u16();
        let body = res.bytes().await.map_err(|_| owner_gone())?;
        if status == 200 {
            return serde_json::from_slice(&body).map_err(ApiError::internal);
        }
        let body: Value = serde_json::from_slice(&body).unwrap_or_else(|_| json!({"error": {"code": "unavailable"}}));
        if body["error"]["code"] == "not_owner" {
            cluster.drop_this(self, "not_owner");
            return Err(owner_gone());
        }
        Err(ApiError::Relayed { status, body })
    }

    /// An answer, sent to the owner with the others that arrive meanwhile.
    pub async fn answer(&self, by: Answerer, req: AnswerRequest) -> ApiResult<Ack> {
        if self.is_dead() {
            return Err(owner_gone());
        }
        let (reply, rx) = oneshot::channel();
        self.answers.send(Waiting { by, req, reply }).map_err(|_| owner_gone())?;
        rx.await.map_err(|_| owner_gone())?
    }

    /// A new socket: the owner's numbered snapshot, then every post after it.
    pub async fn subscribe(&self, id: u64, conn: Conn) -> ApiResult<()> {
        let snap: Numbered = self.call(&RemoteCmd::Snapshot { viewer: conn.viewer }).await?;
        let frames = snap.frames.into_iter().map(Frame::from).collect();
        self.tx.send(Job::Add { id, conn, seq: snap.seq, frames }).map_err(|_| owner_gone())
    }
}

fn frames_for(viewer: Viewer, p: &Post) -> Vec<Frame> {
    match viewer {
        Viewer::Staff => p.staff.clone(),
        Viewer::Audience => p.audience.clone(),
        Viewer::Team(t) => p.phones.iter().chain(p.teams.get(&t).into_iter().flatten()).cloned().collect(),
    }
}

/// Feeds one relayed contest's fan-out in the owner's order (see the module's comment).
async fn relay_task(mut rx: mpsc::UnboundedReceiver<Job>, fan: Fanout, dead: Arc<AtomicBool>) {
    let mut last: Option<u64> = None;
    let mut ring: VecDeque<(u64, Post)> = VecDeque::new();
    let mut waiting: Vec<(Instant, u64, u64, Conn, Vec<Frame>)> = vec![];
    let stop = |fan: &Fanout| {
        dead.store(true, Ordering::Relaxed);
        fan.stop();
    };
    loop {
        let job = tokio::select! {
            job = rx.recv() => job,
            _ = tokio::time::sleep(Duration::from_millis(250)), if !waiting.is_empty() => {
                let now = Instant::now();
                let (late, keep): (Vec<_>, Vec<_>) = waiting.into_iter().partition(|w| now >= w.0);
                waiting = keep;
                for (_, _, _, conn, _) in late {
                    let _ = conn.kick.send(fanout::ENGINE_STOPPED);
                }
                continue;
            }
        };
        let Some(job) = job else { break };
        if dead.load(Ordering::Relaxed) {
            break;
        }
        match job {
            Job::Post(seq, post) => {
                match last {
                    Some(l) if seq <= l => continue,
                    Some(l) if seq != l + 1 => {
                        tracing::warn!(expected = l + 1, got = seq, "a relayed post was missed");
                        stop(&fan);
                        break;
                    }
                    _ => {}
                }
                last = Some(seq);
                fan.post(post.clone());
                ring.push_back((seq, post));
                if ring.len() > RING {
                    ring.pop_front();
                }
                let (ready, keep): (Vec<_>, Vec<_>) = waiting.into_iter().partition(|w| w.2 <= seq);
                waiting = keep;
                for (_, id, s, conn, frames) in ready {
                    add(&fan, &ring, seq, id, conn, s, frames);
                }
            }
            Job::Add { id, conn, seq, frames } => match last {
                None => {
                    last = Some(seq);
                    fan.add(id, conn, frames);
                }
                Some(l) if seq > l => waiting.push((Instant::now() + WAIT_FOR_POSTS, id, seq, conn, frames)),
                Some(l) => add(&fan, &ring, l, id, conn, seq, frames),
            },
        }
    }
}

/// Adds a socket whose snapshot holds posts up to `seq`, the relay being at `last`.
fn add(fan: &Fanout, ring: &VecDeque<(u64, Post)>, last: u64, id: u64, conn: Conn, seq: u64, mut frames: Vec<Frame>) {
    if seq < last {
        let covered = ring.front().is_some_and(|(first, _)| *first <= seq + 1);
        if !covered {
            let _ = conn.kick.send(fanout::ENGINE_STOPPED);
            return;
        }
        for (_, p) in ring.iter().filter(|(s, _)| *s > seq) {
            frames.extend(frames_for(conn.viewer, p));
        }
    }
    fan.add(id, conn, frames);
}

/// The owner's side of a relayed request: checks the key, finds this instance's own
/// engine of the contest (`not_owner` when it has none), runs the request.
pub async fn serve(hub: &Hub, key: Option<&str>, contest_id: i32, cmd: RemoteCmd) -> ApiResult<Value> {
    let Some(cluster) = hub.cluster() else {
        return Err(ApiError::not_found("this server runs alone"));
    };
    let ok = key.is_some_and(|k| {
        use sha2::{Digest, Sha256};
        // Compared as digests, so the time taken says nothing about the key.
        Sha256::digest(k.as_bytes()) == Sha256::digest(cluster.key.as_bytes())
    });
    if !ok {
        return Err(ApiError::unauthorized("token_invalid", "internal requests need the instances' shared key"));
    }
    let Some(h) = hub.local(contest_id).await else {
        return Err(ApiError::conflict("not_owner", "this instance does not run that contest's engine"));
    };
    execute(&h, cmd).await
}
