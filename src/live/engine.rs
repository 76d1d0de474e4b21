//! The owner task of one contest's live state: the running part, its current question
//! with absolute deadline, who answered, and the scores. Every organiser decision is
//! written to the database (with an audit entry) before it takes effect; answers are
//! validated here against memory only and handed to the group-commit writer.
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::ceremony::{self, BoardOp, CeremonyView};
use super::events::{Ack, AnswerRequest, Event, Frame, PartView, StateView, TeamResult};
use super::fanout::{Conn, Fanout, Post};
use super::kinds::{self, KindState};
use super::scores::Scores;
use super::writer::{Committed, WriteReq};
use crate::domain::ranking::{Board, TieBreak};
use crate::error::{ApiError, ApiResult};
use crate::now_ms;
use crate::store;

/// Who is looking: staff see everything, a team sees its own details, the audience (the
/// hall's projector) sees what every phone sees and the live answer count, never a
/// team's details or a closed question's points before the reveal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Viewer {
    Staff,
    Audience,
    Team(i32),
}

#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct Answerer {
    pub contestant_id: i32,
    pub team_id: i32,
    pub is_captain: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum Control {
    StartPart(i32),
    FinishPart(i32),
    Next,
    Pause,
    Resume,
    Close,
    Reveal,
    Void {
        question_id: Option<i32>,
        reason: String,
    },
    /// Elimination: bring eliminated contestants back (the chosen ones, or everyone
    /// eliminated on the last question).
    Rescue {
        contestant_ids: Vec<i32>,
        all_last: bool,
        reason: String,
    },
    /// Buzzer: opens the buzzer of the current question now (after a wrong answer: the
    /// steal window for the other teams).
    BuzzerOpen,
    /// Buzzer: marks the team that has the floor right or wrong (`team_id`, when given,
    /// must be that team).
    BuzzerMark {
        team_id: Option<i32>,
        correct: bool,
    },
}

impl Control {
    pub(in crate::live) fn name(&self) -> &'static str {
        match self {
            Control::StartPart(_) => "part_start",
            Control::FinishPart(_) => "part_finish",
            Control::Next => "question_open",
            Control::Pause => "question_pause",
            Control::Resume => "question_resume",
            Control::Close => "question_close",
            Control::Reveal => "question_reveal",
            Control::Void { .. } => "question_void",
            Control::Rescue { .. } => "elimination_rescue",
            Control::BuzzerOpen => "buzzer_open",
            Control::BuzzerMark { .. } => "buzzer_mark",
        }
    }
}

pub enum Cmd {
    Control {
        actor: String,
        op: Control,
        reply: oneshot::Sender<ApiResult<StateView>>,
    },
    Answer {
        by: Answerer,
        req: AnswerRequest,
        reply: oneshot::Sender<ApiResult<Ack>>,
    },
    /// A press of a buzzer part's buzzer.
    Buzz {
        by: Answerer,
        req: super::events::BuzzRequest,
        /// When the press was received (µs since the epoch), by this instance or a relay.
        at_us: Option<i64>,
        reply: oneshot::Sender<ApiResult<super::events::BuzzAck>>,
    },
    /// A new socket: it gets a snapshot, then everything posted after it.
    Subscribe {
        id: u64,
        conn: Conn,
        reply: oneshot::Sender<()>,
    },
    State {
        viewer: Viewer,
        reply: oneshot::Sender<StateView>,
    },
    /// A snapshot, with the number of the last post it holds (see `super::relay`).
    Snapshot {
        viewer: Viewer,
        reply: oneshot::Sender<(u64, Vec<Frame>)>,
    },
    Scoreboard {
        viewer: Viewer,
        reply: oneshot::Sender<Value>,
    },
    Adjust {
        actor: String,
        team_id: i32,
        part_id: Option<i32>,
        delta: f64,
        reason: String,
        reply: oneshot::Sender<ApiResult<Value>>,
    },
    SetTies {
        actor: String,
        ties: Vec<TieBreak>,
        reply: oneshot::Sender<ApiResult<()>>,
    },
    /// The public board: freeze, reveal, unfreeze (`super::ceremony`).
    Board {
        actor: String,
        op: BoardOp,
        reply: oneshot::Sender<ApiResult<CeremonyView>>,
    },
    /// The contest was closed: its status is read again and everyone gets the state.
    Closed {
        reply: oneshot::Sender<()>,
    },
    /// Someone joined a team: its open phones hear of it (the waiting room's member list).
    Joined {
        team_id: i32,
    },
    /// A removed contestant: answers from a socket still open are refused.
    Revoke {
        contestant_id: i32,
        reply: oneshot::Sender<()>,
    },
    /// A judged part's sheets, order or releases changed (see `kinds::judged`).
    Judging {
        part_id: i32,
        reply: oneshot::Sender<ApiResult<()>>,
    },
    /// A judged part's step decided by the engine: the team on stage, a release's moment.
    Judged {
        op: kinds::judged::JudgedOp,
        reply: oneshot::Sender<ApiResult<Option<kinds::judged::PerformingView>>>,
    },
    Stop {
        reply: oneshot::Sender<()>,
    },
}

enum Seen {
    Acked(Ack),
    Pending { pq: i32, waiters: Vec<oneshot::Sender<ApiResult<Ack>>> },
}

/// The running part: its id and its kind's live state.
pub(in crate::live) struct Running {
    pub part_id: i32,
    pub kind: KindState,
}

/// With several instances: the lease this engine runs under, and where its posts go for
/// the other instances' sockets (see `super::lease` and `super::relay`).
pub struct Owned {
    pub guard: std::sync::Arc<super::lease::Guard>,
    pub outbox: super::relay::Outbox,
    /// How long a buzzer press waits to be placed (`--buzz-settle-ms`).
    pub buzz_settle: Duration,
}

/// How often coalesced updates (answer counts, scoreboard) go out: at most 5 per second.
const FLUSH_EVERY: Duration = Duration::from_millis(200);
pub struct Engine {
    pub(in crate::live) db: DatabaseConnection,
    pub(in crate::live) contest_id: i32,
    pub(in crate::live) contest_status: String,
    pub(in crate::live) contest_name: String,
    pub(in crate::live) writer: mpsc::Sender<WriteReq>,
    pub(in crate::live) back_tx: mpsc::UnboundedSender<Committed>,
    pub(in crate::live) scores: Scores,
    pub(in crate::live) running: Option<Running>,
    pub(in crate::live) fan: Fanout,
    /// What this step decided to send; shipped to the fan-out at the end of the step.
    pub(in crate::live) out: Post,
    /// The contestants' board frames (public top and each team's own), built once per
    /// board change and reused for every connecting phone.
    phone_board: Option<PhoneBoard>,
    seen: HashMap<(i32, String), Seen>,
    pub(in crate::live) in_flight: HashMap<i32, usize>,
    pub(in crate::live) to_score: HashSet<i32>,
    pub(in crate::live) board_dirty: bool,
    pub(in crate::live) revoked: HashSet<i32>,
    /// The public board frozen by the organiser (`super::ceremony`).
    pub(in crate::live) frozen: Option<ceremony::Frozen>,
    /// With several instances: the lease and the outbox.
    owned: Option<Owned>,
    /// Posts shipped so far: each post's number, for the relays.
    post_seq: u64,
}

impl Engine {
    /// Loads a contest from the database; a question whose deadline passed while the
    /// server was down is closed now.
    pub async fn load(
        db: DatabaseConnection,
        contest_id: i32,
        writer: mpsc::Sender<WriteReq>,
        back_tx: mpsc::UnboundedSender<Committed>,
        owned: Option<Owned>,
    ) -> ApiResult<Self> {
        let contest = store::live::contest(&db, contest_id)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no contest {contest_id}")))?;
        let scores = Scores::load(&db, contest_id).await?;
        let frozen = ceremony::load(&db, contest_id).await?;
        let mut e = Engine {
            db,
            contest_id,
            contest_status: contest.status,
            contest_name: contest.name,
            writer,
            back_tx,
            scores,
            running: None,
            fan: Fanout::spawn(),
            out: Post::default(),
            phone_board: None,
            seen: HashMap::new(),
            in_flight: HashMap::new(),
            to_score: HashSet::new(),
            board_dirty: false,
            revoked: HashSet::new(),
            frozen,
            owned,
            post_seq: 0,
        };
        if let Some(p) = e.scores.parts.iter().find(|p| p.status == "running").map(|p| p.id) {
            e.set_running(p);
        }
        e.restore_answers().await?;
        e.kind_after_restart().await?;
        Ok(e)
    }

    fn set_running(&mut self, part_id: i32) {
        let Some(part) = self.scores.parts.iter().find(|p| p.id == part_id) else { return };
        let questions: Vec<_> =
            self.scores.questions.values().filter(|q| q.row.part_id == part_id).map(|q| &q.row).collect();
        match KindState::new(part, &questions) {
            Ok(kind) => self.running = Some(Running { part_id, kind }),
            Err(e) => tracing::error!(contest = self.contest_id, part = part_id, error = %e, "cannot run the part"),
        }
    }

    /// Rebuilds the dedup table (every answer of the contest, so a retry long after its
    /// question closed still gets its ack) and the running part's view of its answers.
    async fn restore_answers(&mut self) -> ApiResult<()> {
        let ids: Vec<i32> = self.scores.questions.keys().copied().collect();
        let answers = store::live::answers_of_questions(&self.db, &ids).await?;
        let mut run = self.running.as_mut();
        for a in answers {
            let ack = Ack {
                submission_id: a.submission_id.clone(),
                question_id: a.part_question_id,
                received_at: a.received_at,
                elapsed_ms: a.elapsed_ms,
                star: a.star,
            };
            self.seen.insert((a.contestant_id, a.submission_id.clone()), Seen::Acked(ack));
            if let Some(run) = run.as_deref_mut() {
                run.kind.restore(a);
            }
        }
        Ok(())
    }

    /// The fan-out of this contest's sockets (the hub sends revocations to it).
    pub fn fanout(&self) -> Fanout {
        self.fan.clone()
    }

    pub async fn run(mut self, mut rx: mpsc::Receiver<Cmd>, mut back_rx: mpsc::UnboundedReceiver<Committed>) {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            let wake = self.kind_next_wake();
            // Every step first checks the lease (with several instances): a process that was
            // paused past its lease wakes up here and stops instead of acting.
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    None => break,
                    Some(Cmd::Stop { reply }) => { let _ = reply.send(()); break; }
                    Some(_) if !self.lease_ok() => break,
                    Some(cmd) => self.handle(cmd).await,
                },
                Some(c) = back_rx.recv() => self.on_committed(c).await,
                _ = tick.tick() => if self.lease_ok() { self.flush() } else { break },
                _ = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => {
                    if !self.lease_ok() { break }
                    self.kind_on_timer().await
                }
            }
            self.ship();
        }
        if self.lease_ok() {
            self.ship();
        } else {
            tracing::warn!(contest = self.contest_id, "the engine stops: its lease is gone");
        }
        // Sockets reconnect to whichever engine serves the contest next.
        self.fan.stop();
    }

    /// Hands what this step decided to the fan-out, as one post (and, with several
    /// instances, to the other instances, numbered).
    fn ship(&mut self) {
        if !self.out.is_empty() {
            let post = std::mem::take(&mut self.out);
            if let Some(o) = &self.owned {
                self.post_seq += 1;
                o.outbox.send(self.post_seq, &post);
            }
            self.fan.post(post);
        }
    }

    /// How long a buzzer press settles before it is placed: zero alone (no press comes
    /// through another instance), `--buzz-settle-ms` with several instances.
    pub(in crate::live) fn buzz_settle(&self) -> Duration {
        self.owned.as_ref().map_or(Duration::ZERO, |o| o.buzz_settle)
    }

    /// Whether this engine may act: always alone; with several instances, while its lease holds.
    fn lease_ok(&self) -> bool {
        self.owned.as_ref().is_none_or(|o| o.guard.valid())
    }

    /// Whether anyone may be listening for staff, audience and phone frames: the sockets
    /// of this instance, or (with several instances) those of the others, which this one
    /// cannot count.
    pub(in crate::live) fn listening(&self) -> (bool, bool, bool) {
        let remote = self.owned.is_some();
        let c = &self.fan.counts;
        (
            remote || c.staff.load(Relaxed) > 0,
            remote || c.audience.load(Relaxed) > 0,
            remote || c.phones.load(Relaxed) > 0,
        )
    }

    async fn handle(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Control { actor, op, reply } => {
                let r = self.control(&actor, op).await.map(|_| self.state(Viewer::Staff));
                let _ = reply.send(r);
            }
            Cmd::Answer { by, req, reply } => self.answer(by, req, reply).await,
            Cmd::Buzz { by, req, at_us, reply } => {
                if self.revoked.contains(&by.contestant_id) {
                    let _ =
                        reply.send(Err(ApiError::unauthorized("token_revoked", "you were removed from the contest")));
                } else {
                    self.buzz(by, req, at_us, reply);
                }
            }
            Cmd::Subscribe { id, conn, reply } => {
                let viewer = conn.viewer;
                if let Viewer::Team(t) = viewer {
                    self.ensure_team(t).await;
                }
                // Posts decided before the snapshot must reach the fan-out before the socket.
                self.ship();
                let snapshot = self.snapshot(viewer);
                self.fan.add(id, conn, snapshot);
                let _ = reply.send(());
            }
            Cmd::State { viewer, reply } => {
                let _ = reply.send(self.state(viewer));
            }
            Cmd::Snapshot { viewer, reply } => {
                if let Viewer::Team(t) = viewer {
                    self.ensure_team(t).await;
                }
                // The snapshot holds every post shipped so far, and nothing after.
                self.ship();
                let _ = reply.send((self.post_seq, self.snapshot(viewer)));
            }
            Cmd::Scoreboard { viewer, reply } => {
                let _ = reply.send(self.scoreboard_json(viewer));
            }
            Cmd::Adjust { actor, team_id, part_id, delta, reason, reply } => {
                let _ = reply.send(self.adjust(&actor, team_id, part_id, delta, &reason).await);
            }
            Cmd::SetTies { actor, ties, reply } => {
                let _ = reply.send(self.set_ties(&actor, ties).await);
            }
            Cmd::Board { actor, op, reply } => {
                let _ = reply.send(self.board_control(&actor, op).await);
            }
            Cmd::Closed { reply } => {
                match store::live::contest(&self.db, self.contest_id).await {
                    Ok(Some(c)) => {
                        self.contest_status = c.status;
                        self.contest_name = c.name;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::error!(error = %e, contest = self.contest_id, "cannot read the contest's status")
                    }
                }
                self.send_all(Event::State { state: Box::new(self.state(Viewer::Staff)) });
                let _ = reply.send(());
            }
            Cmd::Joined { team_id } => {
                // A team created after the engine loaded (the console was open meanwhile)
                // joins the board now, not only once one of its phones connects.
                self.ensure_team(team_id).await;
                let f = Event::TeamChanged { team_id }.frame();
                self.out.teams.entry(team_id).or_default().push(f);
            }
            Cmd::Revoke { contestant_id, reply } => {
                self.revoked.insert(contestant_id);
                let _ = reply.send(());
            }
            Cmd::Judging { part_id, reply } => {
                let _ = reply.send(self.judging_changed(part_id).await);
            }
            Cmd::Judged { op, reply } => {
                let _ = reply.send(self.judged_op(op).await);
            }
            Cmd::Stop { reply } => {
                let _ = reply.send(());
            }
        }
    }

    /// A team that joined after the engine loaded.
    async fn ensure_team(&mut self, team_id: i32) {
        if !self.scores.teams.iter().any(|(id, _)| *id == team_id)
            && let Ok(t) = store::live::teams_of_contest(&self.db, self.contest_id).await
        {
            self.scores.teams = t;
            self.mark_board();
        }
    }

    // ---- views

    fn part_view(&self) -> Option<PartView> {
        let run = self.running.as_ref()?;
        let p = self.scores.parts.iter().find(|p| p.id == run.part_id)?;
        Some(PartView {
            id: p.id,
            title: p.title.clone(),
            kind: p.kind.clone(),
            status: p.status.clone(),
            answer_policy: p.answer_policy.clone(),
            questions: run.kind.questions(),
            star_of_hope: run.kind.star_of_hope(),
            tie_break_teams: super::scores::tie_break_teams(p),
        })
    }

    pub fn state(&self, viewer: Viewer) -> StateView {
        let question = self.kind_question_view(viewer);
        let my_answer = match viewer {
            Viewer::Team(t) => self.quiz().and_then(|r| r.team_answer.get(&t).cloned()),
            _ => None,
        };
        StateView {
            contest_id: self.contest_id,
            contest_status: self.contest_status.clone(),
            contest_name: self.contest_name.clone(),
            part: self.part_view(),
            question,
            my_answer,
            total_teams: self.scores.teams.len(),
            elimination: self.elimination_view(viewer),
            buzzer: self.buzzer_view(viewer),
            performing: self.performing_view(),
        }
    }

    pub(in crate::live) fn state_json(&self) -> Value {
        serde_json::to_value(self.state(Viewer::Staff)).unwrap_or(Value::Null)
    }

    pub(in crate::live) fn illegal(&self, msg: impl Into<String>) -> ApiError {
        ApiError::invalid_state(msg, self.state_json())
    }

    fn snapshot(&mut self, viewer: Viewer) -> Vec<Frame> {
        let mut out = vec![Event::State { state: Box::new(self.state(viewer)) }.frame()];
        match viewer {
            Viewer::Staff => out.push(self.staff_board().frame()),
            Viewer::Audience => {
                let public = self.audience_frame();
                out.push(public);
            }
            Viewer::Team(t) => {
                let pb = self.phone_board();
                out.push(pb.public_frame());
                out.push(pb.team_frame(t));
            }
        }
        out.extend(self.ceremony_snapshot(viewer));
        out
    }

    /// The contestants' view of the board, rebuilt after a change (a reconnect storm of ten
    /// thousand phones must not rank two thousand teams ten thousand times). While the
    /// board is frozen it is the frozen one.
    fn phone_board(&mut self) -> &PhoneBoard {
        let scores = &self.scores;
        let frozen = &self.frozen;
        self.phone_board.get_or_insert_with(|| match frozen {
            Some(f) => {
                let board = f.snap.board.clone();
                PhoneBoard { index: TeamIndex::new(&board), results: f.snap.results.clone(), board }
            }
            None => {
                let board = scores.board(false);
                PhoneBoard { index: TeamIndex::new(&board), results: scores.team_results(false), board }
            }
        })
    }

    /// The staff board, without its detail (the judge panel fetches it when it changes).
    fn staff_board(&self) -> Event {
        Event::Scoreboard { board: self.scores.board(true), detail: None }
    }

    /// The projector's board: every team (a hall pages through them), and there are only
    /// a few audience sockets, unlike phones, which get the top of the board.
    fn audience_frame(&mut self) -> Frame {
        Event::PublicScoreboard { rows: Scores::public_rows(&self.phone_board().board) }.frame()
    }

    /// The scores changed: the board goes out at the next flush.
    pub(in crate::live) fn mark_board(&mut self) {
        self.scores.refresh_elimination();
        self.board_dirty = true;
        self.phone_board = None;
    }

    fn scoreboard_json(&mut self, viewer: Viewer) -> Value {
        match viewer {
            Viewer::Staff => json!({ "board": self.scores.board(true), "detail": self.scores.detail() }),
            Viewer::Audience => json!({ "rows": Scores::public_rows(&self.phone_board().board) }),
            Viewer::Team(t) => {
                let pb = self.phone_board();
                json!({ "rows": Scores::public_rows(&pb.board), "team": team_score(&pb.index, &pb.results, t) })
            }
        }
    }

    pub(in crate::live) fn send_all(&mut self, e: Event) {
        self.out.all(e.frame());
    }

    /// Coalesced updates: the running part's own (answer counts, countdowns), then the
    /// scoreboard, at most 5 times a second.
    pub(in crate::live) fn flush(&mut self) {
        self.kind_flush(now_ms());
        if self.board_dirty {
            self.board_dirty = false;
            if self.listening().0 {
                self.out.staff.push(self.staff_board().frame());
            }
            // A frozen public board does not move (the ceremony posts it when it changes).
            if !self.board_frozen() {
                self.post_public_board();
            }
        }
    }

    /// The contestants' and the projector's board frames, to whoever is connected.
    pub(in crate::live) fn post_public_board(&mut self) {
        self.phone_board = None;
        let (_, audience, phones) = self.listening();
        if phones {
            let pb = self.phone_board();
            let public = pb.public_frame();
            let teams: Vec<(i32, Frame)> =
                pb.board.rows.iter().map(|r| (r.team_id, pb.team_frame(r.team_id))).collect();
            self.out.phones.push(public);
            for (t, f) in teams {
                self.out.teams.entry(t).or_default().push(f);
            }
        }
        if audience {
            let public = self.audience_frame();
            self.out.audience.push(public);
        }
    }

    // ---- decisions

    /// Writes the question's new live fields and the audit entry in one transaction,
    /// then applies them in memory.
    pub(in crate::live) async fn commit_question(
        &mut self,
        row: crate::entities::part_questions::Model,
        actor: &str,
        action: &str,
        detail: Value,
    ) -> ApiResult<()> {
        let txn = self.db.begin().await?;
        store::live::save_question(&txn, &row).await?;
        store::live::audit(&txn, self.contest_id, actor, action, &detail).await?;
        txn.commit().await?;
        if let Some(q) = self.scores.questions.get_mut(&row.id) {
            q.row = row;
        }
        Ok(())
    }

    async fn control(&mut self, actor: &str, op: Control) -> ApiResult<()> {
        let now = now_ms();
        match op {
            Control::StartPart(part_id) => self.start_part(actor, part_id, now).await,
            Control::FinishPart(part_id) => self.finish_part(actor, part_id, now).await,
            Control::Void { question_id, reason } => self.void(actor, question_id, &reason, now).await,
            op => self.kind_control(actor, op, now).await,
        }
    }

    async fn start_part(&mut self, actor: &str, part_id: i32, now: i64) -> ApiResult<()> {
        if let Some(c) = store::live::contest(&self.db, self.contest_id).await? {
            self.contest_status = c.status;
        }
        if self.contest_status == store::contests::CLOSED {
            return Err(self.illegal("the contest is closed"));
        }
        // The part list may have changed since the engine loaded.
        let fresh = Scores::load(&self.db, self.contest_id).await?;
        self.scores = fresh;
        let Some(part) = self.scores.parts.iter().find(|p| p.id == part_id).cloned() else {
            return Err(ApiError::not_found(format!("no part {part_id} in this contest")));
        };
        if let Some(r) = &self.running {
            return Err(self.illegal(format!("part {} is running; finish it first", r.part_id)));
        }
        if part.status != "pending" {
            return Err(self.illegal(format!("the part is {}, not pending", part.status)));
        }
        let questions: Vec<_> =
            self.scores.questions.values().filter(|q| q.row.part_id == part_id).map(|q| &q.row).collect();
        if let Err(why) = kinds::ready_to_start(&part, &questions) {
            return Err(self.illegal(why));
        }
        let txn = self.db.begin().await?;
        store::live::set_part_status(&txn, part_id, "running", Some(now), None).await?;
        let first = self.contest_status == store::contests::SETUP;
        if first {
            store::live::set_contest_status(&txn, self.contest_id, store::contests::RUNNING).await?;
        }
        store::live::audit(&txn, self.contest_id, actor, "part_start", &json!({ "part_id": part_id })).await?;
        txn.commit().await?;
        if first {
            self.contest_status = store::contests::RUNNING.into();
        }
        if let Some(p) = self.scores.parts.iter_mut().find(|p| p.id == part_id) {
            p.status = "running".into();
            p.started_at = Some(now);
        }
        self.set_running(part_id);
        self.kind_started(now).await?;
        if let Some(pv) = self.part_view() {
            self.send_all(Event::PartStarted { part: pv });
        }
        self.send_all(Event::State { state: Box::new(self.state(Viewer::Staff)) });
        self.mark_board();
        Ok(())
    }

    async fn finish_part(&mut self, actor: &str, part_id: i32, now: i64) -> ApiResult<()> {
        match &self.running {
            Some(r) if r.part_id == part_id => {}
            _ => return Err(self.illegal(format!("part {part_id} is not running"))),
        }
        self.kind_can_finish()?;
        let txn = self.db.begin().await?;
        store::live::set_part_status(&txn, part_id, "finished", None, Some(now)).await?;
        store::live::audit(&txn, self.contest_id, actor, "part_finish", &json!({ "part_id": part_id })).await?;
        txn.commit().await?;
        if let Some(p) = self.scores.parts.iter_mut().find(|p| p.id == part_id) {
            p.status = "finished".into();
            p.finished_at = Some(now);
        }
        self.running = None;
        self.send_all(Event::PartFinished { part_id });
        self.mark_board();
        Ok(())
    }

    /// Scores closed questions whose last answers are committed.
    pub(in crate::live) async fn score_ready(&mut self) {
        let ready: Vec<i32> =
            self.to_score.iter().filter(|id| self.in_flight.get(id).copied().unwrap_or(0) == 0).copied().collect();
        for id in ready {
            match store::live::answers_of_questions(&self.db, &[id]).await {
                Ok(answers) => {
                    self.to_score.remove(&id);
                    if self.scores.questions.get(&id).is_some_and(|q| q.row.status != "voided") {
                        self.scores.score_with(id, &answers);
                        self.mark_board();
                    }
                }
                Err(e) => tracing::error!(error = %e, question = id, "cannot load answers to score"),
            }
        }
    }

    async fn adjust(
        &mut self,
        actor: &str,
        team_id: i32,
        part_id: Option<i32>,
        delta: f64,
        reason: &str,
    ) -> ApiResult<Value> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ApiError::invalid("reason", "say why the score is corrected"));
        }
        if !delta.is_finite() || delta == 0.0 || delta.abs() > 1e6 {
            return Err(ApiError::invalid("delta", "must be a non-zero number of points"));
        }
        self.ensure_team(team_id).await;
        if !self.scores.teams.iter().any(|(id, _)| *id == team_id) {
            return Err(ApiError::invalid("team_id", format!("no team {team_id} in this contest")));
        }
        if let Some(p) = part_id
            && !self.scores.parts.iter().any(|x| x.id == p)
        {
            return Err(ApiError::invalid("part_id", format!("no part {p} in this contest")));
        }
        let total = |s: &Scores| s.board(true).rows.iter().find(|r| r.team_id == team_id).map_or(0.0, |r| r.total);
        let old_total = total(&self.scores);
        let txn = self.db.begin().await?;
        let adj = store::live::insert_adjustment(&txn, self.contest_id, team_id, part_id, delta, reason, actor).await?;
        self.scores.adjustments.push(adj.clone());
        let new_total = total(&self.scores);
        let detail = json!({ "adjustment_id": adj.id, "team_id": team_id, "part_id": part_id, "delta": delta, "reason": reason, "old_total": old_total, "new_total": new_total });
        let written = async {
            store::live::audit(&txn, self.contest_id, actor, "score_adjust", &detail).await?;
            txn.commit().await
        }
        .await;
        if let Err(e) = written {
            self.scores.adjustments.pop();
            return Err(e.into());
        }
        self.mark_board();
        Ok(detail)
    }

    async fn set_ties(&mut self, actor: &str, ties: Vec<TieBreak>) -> ApiResult<()> {
        for (i, t) in ties.iter().enumerate() {
            if let TieBreak::Part { part_id } = t
                && !self.scores.parts.iter().any(|p| p.id == *part_id)
            {
                return Err(ApiError::invalid(
                    format!("tie_breakers[{i}].part_id"),
                    format!("no part {part_id} in this contest"),
                ));
            }
        }
        let json = serde_json::to_string(&ties).map_err(ApiError::internal)?;
        let txn = self.db.begin().await?;
        store::live::set_tie_breakers(&txn, self.contest_id, &json).await?;
        store::live::audit(&txn, self.contest_id, actor, "tie_breakers", &json!({ "tie_breakers": ties })).await?;
        txn.commit().await?;
        self.scores.ties = ties;
        self.mark_board();
        Ok(())
    }

    // ---- answers

    async fn answer(&mut self, by: Answerer, req: AnswerRequest, reply: oneshot::Sender<ApiResult<Ack>>) {
        if self.revoked.contains(&by.contestant_id) {
            let _ = reply.send(Err(ApiError::unauthorized("token_revoked", "you were removed from the contest")));
            return;
        }
        let key = (by.contestant_id, req.submission_id.clone());
        match self.seen.get_mut(&key) {
            Some(Seen::Acked(a)) => {
                let _ = reply.send(Ok(a.clone()));
                return;
            }
            Some(Seen::Pending { waiters, .. }) => {
                waiters.push(reply);
                return;
            }
            None => {}
        }
        let now = now_ms();
        let bad_id = req.submission_id.trim().is_empty() || req.submission_id.len() > 64;
        if !bad_id && self.running.as_ref().is_some_and(|r| r.kind.buzzer().is_some()) {
            // A buzzer part's typed answer is stored with its mark (`kinds::buzzer`).
            let r = self.buzzer_answer(by, req, now).await;
            if let Ok(ack) = &r {
                self.seen.insert(key, Seen::Acked(ack.clone()));
            }
            let _ = reply.send(r);
            return;
        }
        let checked = if bad_id {
            Err(ApiError::invalid("submission_id", "must be 1 to 64 characters"))
        } else {
            self.tie_break_check(by.team_id).and_then(|_| self.kind_check_answer(&by, &req, now))
        };
        let (opened_at, star) = match checked {
            Ok(x) => x,
            Err(e) => {
                let _ = reply.send(Err(e));
                return;
            }
        };
        let payload = match serde_json::to_string(&req.response) {
            Ok(p) => p,
            Err(e) => {
                let _ = reply.send(Err(ApiError::internal(e)));
                return;
            }
        };
        if star && let Some(run) = self.quiz_mut() {
            run.star_used.entry(by.team_id).or_insert(req.question_id);
        }
        self.seen.insert(key, Seen::Pending { pq: req.question_id, waiters: vec![reply] });
        *self.in_flight.entry(req.question_id).or_default() += 1;
        let write = WriteReq {
            answer: store::live::NewAnswer {
                contest_id: self.contest_id,
                part_question_id: req.question_id,
                team_id: by.team_id,
                contestant_id: by.contestant_id,
                submission_id: req.submission_id,
                payload,
                star,
                received_at: now,
                elapsed_ms: (now - opened_at).max(0),
            },
            back: self.back_tx.clone(),
        };
        if let Err(e) = self.writer.send(write).await {
            let w = e.0;
            self.on_committed(Committed {
                key: (w.answer.contestant_id, w.answer.submission_id),
                result: Err(super::writer::WriteError::ShuttingDown),
            })
            .await;
        }
    }

    async fn on_committed(&mut self, c: Committed) {
        let Some(Seen::Pending { pq, waiters }) = self.seen.remove(&c.key) else { return };
        if let Some(n) = self.in_flight.get_mut(&pq) {
            *n = n.saturating_sub(1);
        }
        match c.result {
            Ok(m) => {
                let ack = Ack {
                    submission_id: m.submission_id.clone(),
                    question_id: m.part_question_id,
                    received_at: m.received_at,
                    elapsed_ms: m.elapsed_ms,
                    star: m.star,
                };
                if let Some(run) = &mut self.running {
                    run.kind.stored(&m);
                }
                for w in waiters {
                    let _ = w.send(Ok(ack.clone()));
                }
                self.seen.insert(c.key, Seen::Acked(ack));
            }
            Err(e) => {
                for w in waiters {
                    let _ = w.send(Err(e.clone().into()));
                }
            }
        }
        if self.to_score.contains(&pq) {
            self.score_ready().await;
        }
    }
}

/// The board as contestants see it, with each team's rank and own results.
struct PhoneBoard {
    board: Board,
    index: TeamIndex,
    results: HashMap<i32, Vec<TeamResult>>,
}

impl PhoneBoard {
    fn public_frame(&self) -> Frame {
        Event::PublicScoreboard { rows: Scores::public_top(&self.board, Scores::LIVE_PUBLIC_ROWS) }.frame()
    }

    fn team_frame(&self, team_id: i32) -> Frame {
        team_score(&self.index, &self.results, team_id).frame()
    }
}

/// Rank and total of each team on a board.
struct TeamIndex(HashMap<i32, (u32, f64)>);

impl TeamIndex {
    fn new(board: &Board) -> Self {
        TeamIndex(board.rows.iter().map(|r| (r.team_id, (r.rank, r.total))).collect())
    }
}

fn team_score(index: &TeamIndex, results: &HashMap<i32, Vec<TeamResult>>, team_id: i32) -> Event {
    let (rank, total) = index.0.get(&team_id).copied().unwrap_or((0, 0.0));
    Event::TeamScore { team_id, total, rank, results: results.get(&team_id).cloned().unwrap_or_default() }
}
