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

use super::events::{Ack, AnswerRequest, Event, Frame, PartView, QuestionView, StateView, TeamAnswer, TeamResult};
use super::fanout::{Conn, Fanout, Post};
use super::scores::{Scores, part_scoring};
use super::writer::{Committed, WriteReq};
use crate::domain::part::{AnswerPolicy, Scoring};
use crate::domain::question::Response;
use crate::domain::ranking::{Board, TieBreak, round2};
use crate::domain::text::fold;
use crate::error::{ApiError, ApiResult};
use crate::now_ms;
use crate::store;

/// Who is looking: staff see everything, a team sees its own details, the audience (the
/// hall's projector) sees what every phone sees and the live answer count, never a
/// team's details or a closed question's points before the reveal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Staff,
    Audience,
    Team(i32),
}

#[derive(Debug, Clone, Copy)]
pub struct Answerer {
    pub contestant_id: i32,
    pub team_id: i32,
    pub is_captain: bool,
}

#[derive(Debug, Clone)]
pub enum Control {
    StartPart(i32),
    FinishPart(i32),
    Next,
    Pause,
    Resume,
    Close,
    Reveal,
    Void { question_id: Option<i32>, reason: String },
}

impl Control {
    fn name(&self) -> &'static str {
        match self {
            Control::StartPart(_) => "part_start",
            Control::FinishPart(_) => "part_finish",
            Control::Next => "question_open",
            Control::Pause => "question_pause",
            Control::Resume => "question_resume",
            Control::Close => "question_close",
            Control::Reveal => "question_reveal",
            Control::Void { .. } => "question_void",
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
    Snapshot {
        viewer: Viewer,
        reply: oneshot::Sender<Vec<Frame>>,
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
    Stop {
        reply: oneshot::Sender<()>,
    },
}

enum Seen {
    Acked(Ack),
    Pending { pq: i32, waiters: Vec<oneshot::Sender<ApiResult<Ack>>> },
}

struct Running {
    part_id: i32,
    scoring: Scoring,
    policy: AnswerPolicy,
    /// Question ids by position.
    order: Vec<i32>,
    current: Option<i32>,
    /// The question has been announced: its "get ready" countdown is over and it has gone
    /// out to every screen (answering opens at `opened_at`, after the reading time).
    announced: bool,
    star_used: HashMap<i32, i32>,
    team_answer: HashMap<i32, TeamAnswer>,
}

/// How often coalesced updates (answer counts, scoreboard) go out: at most 5 per second.
const FLUSH_EVERY: Duration = Duration::from_millis(200);
/// Phones count down locally from `deadline_at`; this periodic countdown only re-syncs
/// their clocks and answer counts, so it is rare: each one is a write to every socket.
const COUNTDOWN_EVERY_MS: i64 = 3000;

/// How often a team's phones hear the team's answer when it changed. Each time is a write
/// to every phone of every team that answered since: at 5 a second (the board's pace) it
/// cost as many writes as opening a question five times a second, which slowed the acks of
/// an answer window (measured in BENCHMARKS.md); once a second is soon enough for a
/// teammate to see what the team chose.
const TEAM_ANSWER_EVERY_MS: i64 = 1000;

pub struct Engine {
    db: DatabaseConnection,
    contest_id: i32,
    contest_status: String,
    contest_name: String,
    writer: mpsc::Sender<WriteReq>,
    back_tx: mpsc::UnboundedSender<Committed>,
    scores: Scores,
    running: Option<Running>,
    fan: Fanout,
    /// What this step decided to send; shipped to the fan-out at the end of the step.
    out: Post,
    /// The contestants' board frames (public top and each team's own), built once per
    /// board change and reused for every connecting phone.
    phone_board: Option<PhoneBoard>,
    seen: HashMap<(i32, String), Seen>,
    in_flight: HashMap<i32, usize>,
    to_score: HashSet<i32>,
    board_dirty: bool,
    count_dirty: bool,
    /// Teams whose answer to the open question changed since they were last told.
    teams_answered: HashSet<i32>,
    last_team_answers: i64,
    last_countdown: i64,
    revoked: HashSet<i32>,
}

impl Engine {
    /// Loads a contest from the database; a question whose deadline passed while the
    /// server was down is closed now.
    pub async fn load(
        db: DatabaseConnection,
        contest_id: i32,
        writer: mpsc::Sender<WriteReq>,
        back_tx: mpsc::UnboundedSender<Committed>,
    ) -> ApiResult<Self> {
        let contest = store::live::contest(&db, contest_id)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no contest {contest_id}")))?;
        let scores = Scores::load(&db, contest_id).await?;
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
            count_dirty: false,
            teams_answered: HashSet::new(),
            last_team_answers: 0,
            last_countdown: 0,
            revoked: HashSet::new(),
        };
        if let Some(p) = e.scores.parts.iter().find(|p| p.status == "running").map(|p| p.id) {
            e.set_running(p);
        }
        e.restore_answers().await?;
        if e.running.is_some() {
            let now = now_ms();
            if let Some(q) = e.current_row().cloned()
                && q.status == "open"
                && q.paused_at.is_none()
                && q.deadline_at.is_some_and(|d| d < now)
            {
                e.close_current("system", now).await?;
            }
        }
        Ok(e)
    }

    fn set_running(&mut self, part_id: i32) {
        let Some(part) = self.scores.parts.iter().find(|p| p.id == part_id) else { return };
        let mut order: Vec<(i32, i32)> = self
            .scores
            .questions
            .values()
            .filter(|q| q.row.part_id == part_id)
            .map(|q| (q.row.position, q.row.id))
            .collect();
        order.sort_unstable();
        let order: Vec<i32> = order.into_iter().map(|(_, id)| id).collect();
        let current = order
            .iter()
            .rev()
            .find(|id| self.scores.questions.get(id).is_some_and(|q| q.row.status != "pending"))
            .copied();
        let scoring = part_scoring(part);
        let announced = current
            .and_then(|id| self.scores.questions.get(&id))
            .and_then(|q| q.row.opened_at)
            .is_none_or(|t| scoring.shown_at(t) <= now_ms());
        self.running = Some(Running {
            part_id,
            scoring,
            policy: AnswerPolicy::parse(&part.answer_policy).unwrap_or_default(),
            order,
            current,
            announced,
            star_used: HashMap::new(),
            team_answer: HashMap::new(),
        });
    }

    /// Rebuilds the dedup table (every answer of the contest, so a retry long after its
    /// question closed still gets its ack), star usage and the current question's answers.
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
            let Some(run) = run.as_deref_mut().filter(|r| r.order.contains(&a.part_question_id)) else { continue };
            if a.star {
                run.star_used.entry(a.team_id).or_insert(a.part_question_id);
            }
            if Some(a.part_question_id) == run.current
                && let Ok(response) = serde_json::from_str::<Response>(&a.payload)
            {
                run.team_answer.insert(
                    a.team_id,
                    TeamAnswer {
                        question_id: a.part_question_id,
                        contestant_id: a.contestant_id,
                        submission_id: a.submission_id,
                        response,
                        star: a.star,
                        received_at: a.received_at,
                        elapsed_ms: a.elapsed_ms,
                    },
                );
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
            let wake = self.next_wake();
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    None => break,
                    Some(Cmd::Stop { reply }) => { let _ = reply.send(()); break; }
                    Some(cmd) => self.handle(cmd).await,
                },
                Some(c) = back_rx.recv() => self.on_committed(c).await,
                _ = tick.tick() => self.flush(),
                _ = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => self.on_timer().await,
            }
            self.ship();
        }
        self.ship();
        // Sockets reconnect to whichever engine serves the contest next.
        self.fan.stop();
    }

    /// Hands what this step decided to the fan-out, as one post.
    fn ship(&mut self) {
        if !self.out.is_empty() {
            self.fan.post(std::mem::take(&mut self.out));
        }
    }

    async fn handle(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Control { actor, op, reply } => {
                let r = self.control(&actor, op).await.map(|_| self.state(Viewer::Staff));
                let _ = reply.send(r);
            }
            Cmd::Answer { by, req, reply } => self.answer(by, req, reply).await,
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
                let _ = reply.send(self.snapshot(viewer));
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
                let f = Event::TeamChanged { team_id }.frame();
                self.out.teams.entry(team_id).or_default().push(f);
            }
            Cmd::Revoke { contestant_id, reply } => {
                self.revoked.insert(contestant_id);
                let _ = reply.send(());
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

    fn current_row(&self) -> Option<&crate::entities::part_questions::Model> {
        let id = self.running.as_ref()?.current?;
        self.scores.questions.get(&id).map(|q| &q.row)
    }

    fn part_view(&self) -> Option<PartView> {
        let run = self.running.as_ref()?;
        let p = self.scores.parts.iter().find(|p| p.id == run.part_id)?;
        Some(PartView {
            id: p.id,
            title: p.title.clone(),
            kind: p.kind.clone(),
            status: p.status.clone(),
            answer_policy: p.answer_policy.clone(),
            questions: run.order.len(),
            star_of_hope: run.scoring.star_of_hope,
        })
    }

    pub fn state(&self, viewer: Viewer) -> StateView {
        let now = now_ms();
        let run = self.running.as_ref();
        let question = run.and_then(|r| {
            let id = r.current?;
            let q = self.scores.questions.get(&id)?;
            let no = r.order.iter().position(|x| *x == id).map_or(0, |i| i + 1);
            let shows_at = q.row.opened_at.map(|t| r.scoring.shown_at(t));
            let shown = shows_at.is_some_and(|t| t <= now);
            let revealed = q.row.status == "revealed";
            let remaining_ms = match (q.row.status.as_str(), q.row.deadline_at, q.row.paused_at) {
                ("open", Some(d), Some(p)) => Some((d - p).max(0)),
                ("open", Some(d), None) => Some((d - now).max(0)),
                _ => None,
            };
            Some(QuestionView {
                id,
                no,
                status: q.row.status.clone(),
                shows_at,
                opens_at: q.row.opened_at,
                deadline_at: q.row.deadline_at,
                paused_at: q.row.paused_at,
                remaining_ms,
                question: if shown { q.question.as_ref().map(|x| x.public()) } else { None },
                answered_teams: r.team_answer.len(),
                solution: if revealed {
                    q.question.as_ref().and_then(|x| serde_json::to_value(&x.solution).ok())
                } else {
                    None
                },
                explanation: if revealed { q.question.as_ref().map(|x| x.explanation.clone()) } else { None },
                // Not for phones: a reconnect storm would count every team's answer per phone.
                distribution: if matches!(q.row.status.as_str(), "closed" | "revealed")
                    && !matches!(viewer, Viewer::Team(_))
                {
                    distribution(r.team_answer.values().map(|a| &a.response))
                } else {
                    vec![]
                },
            })
        });
        let my_answer = match (viewer, run) {
            (Viewer::Team(t), Some(r)) => r.team_answer.get(&t).cloned(),
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
        }
    }

    fn state_json(&self) -> Value {
        serde_json::to_value(self.state(Viewer::Staff)).unwrap_or(Value::Null)
    }

    fn illegal(&self, msg: impl Into<String>) -> ApiError {
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
        out
    }

    /// The contestants' view of the board, rebuilt after a change (a reconnect storm of ten
    /// thousand phones must not rank two thousand teams ten thousand times).
    fn phone_board(&mut self) -> &PhoneBoard {
        let scores = &self.scores;
        self.phone_board.get_or_insert_with(|| {
            let board = scores.board(false);
            PhoneBoard { index: TeamIndex::new(&board), results: scores.team_results(false), board }
        })
    }

    /// The staff board with its detail (per-question points, adjustments).
    fn staff_board(&self) -> Event {
        Event::Scoreboard { board: self.scores.board(true), detail: self.scores.detail() }
    }

    /// The projector's board: every team (a hall pages through them), and there are only
    /// a few audience sockets, unlike phones, which get the top of the board.
    fn audience_frame(&mut self) -> Frame {
        Event::PublicScoreboard { rows: Scores::public_rows(&self.phone_board().board) }.frame()
    }

    /// The scores changed: the board goes out at the next flush.
    fn mark_board(&mut self) {
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

    fn send_all(&mut self, e: Event) {
        self.out.all(e.frame());
    }

    /// Coalesced updates: answer counts and countdown, then the scoreboard. Staff screens
    /// (console, judges, projector) get the answer count as it changes, at most 5 times a
    /// second; phones get the countdown every few seconds: each of their updates costs a
    /// write to thousands of sockets.
    fn flush(&mut self) {
        let now = now_ms();
        if let Some(q) = self.current_row()
            && q.status == "open"
            && q.paused_at.is_none()
            && q.opened_at.is_some_and(|t| t <= now)
        {
            let phones_due = now - self.last_countdown >= COUNTDOWN_EVERY_MS;
            if self.count_dirty || phones_due {
                let deadline_at = q.deadline_at.unwrap_or(now);
                let (answered_teams, answered) = match &self.running {
                    Some(r) => {
                        let mut ids: Vec<i32> = r.team_answer.keys().copied().collect();
                        ids.sort_unstable();
                        (ids.len(), ids)
                    }
                    None => (0, vec![]),
                };
                let countdown = |answered| Event::Countdown {
                    question_id: q.id,
                    deadline_at,
                    remaining_ms: (deadline_at - now).max(0),
                    answered_teams,
                    total_teams: self.scores.teams.len(),
                    answered,
                };
                let public = countdown(None).frame();
                self.out.staff.push(countdown(Some(answered)).frame());
                self.out.audience.push(public.clone());
                self.count_dirty = false;
                if phones_due {
                    self.out.phones.push(public);
                    self.last_countdown = now;
                }
            }
        }
        if !self.teams_answered.is_empty() && now - self.last_team_answers >= TEAM_ANSWER_EVERY_MS {
            self.last_team_answers = now;
            let teams = std::mem::take(&mut self.teams_answered);
            if self.fan.counts.phones.load(Relaxed) > 0
                && let Some(run) = &self.running
            {
                for t in teams {
                    if let Some(a) = run.team_answer.get(&t) {
                        let f = Event::TeamAnswer { answer: a.clone() }.frame();
                        self.out.teams.entry(t).or_default().push(f);
                    }
                }
            }
        }
        if self.board_dirty {
            self.board_dirty = false;
            let counts = self.fan.counts.clone();
            if counts.staff.load(Relaxed) > 0 {
                self.out.staff.push(self.staff_board().frame());
            }
            if counts.phones.load(Relaxed) > 0 {
                let pb = self.phone_board();
                let public = pb.public_frame();
                let teams: Vec<(i32, Frame)> =
                    pb.board.rows.iter().map(|r| (r.team_id, pb.team_frame(r.team_id))).collect();
                self.out.phones.push(public);
                for (t, f) in teams {
                    self.out.teams.entry(t).or_default().push(f);
                }
            }
            if counts.audience.load(Relaxed) > 0 {
                let public = self.audience_frame();
                self.out.audience.push(public);
            }
        }
    }

    fn next_wake(&self) -> Option<Instant> {
        let run = self.running.as_ref()?;
        let q = self.current_row()?;
        if q.status != "open" {
            return None;
        }
        let now = now_ms();
        let at = match (run.announced, q.opened_at, q.paused_at, q.deadline_at) {
            (false, Some(o), _, _) => run.scoring.shown_at(o),
            (true, _, None, Some(d)) => d + 1,
            _ => return None,
        };
        Some(Instant::now() + Duration::from_millis((at - now).max(0) as u64))
    }

    async fn on_timer(&mut self) {
        let now = now_ms();
        let Some(q) = self.current_row().cloned() else { return };
        if let Some(run) = &mut self.running
            && !run.announced
            && q.opened_at.is_some_and(|t| run.scoring.shown_at(t) <= now)
        {
            run.announced = true;
            let total = run.order.len();
            let no = run.order.iter().position(|x| *x == q.id).map_or(0, |i| i + 1);
            self.announce(&q, no, total);
        }
        if q.status == "open"
            && q.paused_at.is_none()
            && q.deadline_at.is_some_and(|d| d < now)
            && let Err(e) = self.close_current("system", now).await
        {
            tracing::error!(error = %e, contest = self.contest_id, "cannot close the question at its deadline");
        }
    }

    fn announce(&mut self, q: &crate::entities::part_questions::Model, no: usize, total: usize) {
        let Some(run) = &self.running else { return };
        if let Some(question) = self.scores.questions.get(&q.id).and_then(|s| s.question.as_ref()) {
            let opened_at = q.opened_at.unwrap_or_default();
            let e = Event::QuestionOpened {
                question_id: q.id,
                no,
                total,
                question: question.public(),
                shown_at: run.scoring.shown_at(opened_at),
                opened_at,
                deadline_at: q.deadline_at.unwrap_or_default(),
            };
            self.send_all(e);
        }
    }

    // ---- decisions

    /// Writes the question's new live fields and the audit entry in one transaction,
    /// then applies them in memory.
    async fn commit_question(
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
        let action = op.name();
        match op {
            Control::StartPart(part_id) => self.start_part(actor, part_id, now).await,
            Control::FinishPart(part_id) => self.finish_part(actor, part_id, now).await,
            Control::Next => self.open_next(actor, now).await,
            Control::Pause => {
                let q = self.open_current()?;
                if q.paused_at.is_some() {
                    return Err(self.illegal("the question is already paused"));
                }
                if q.opened_at.is_some_and(|t| t > now) {
                    return Err(self.illegal("the question is not open yet (get ready or reading time)"));
                }
                let mut row = q.clone();
                row.paused_at = Some(now);
                let remaining = row.deadline_at.map_or(0, |d| (d - now).max(0));
                self.commit_question(
                    row.clone(),
                    actor,
                    action,
                    json!({ "question_id": row.id, "remaining_ms": remaining }),
                )
                .await?;
                self.send_all(Event::Paused { question_id: row.id, paused_at: now, remaining_ms: remaining });
                Ok(())
            }
            Control::Resume => {
                let q = self.open_current()?;
                let Some(paused_at) = q.paused_at else { return Err(self.illegal("the question is not paused")) };
                let mut row = q.clone();
                row.paused_at = None;
                row.deadline_at = row.deadline_at.map(|d| d + (now - paused_at));
                // The opening moves too, so the time taken (measured from the opening)
                // leaves the pause out and stays within the time limit.
                row.opened_at = row.opened_at.map(|o| o + (now - paused_at));
                let deadline_at = row.deadline_at.unwrap_or(now);
                self.commit_question(
                    row.clone(),
                    actor,
                    action,
                    json!({ "question_id": row.id, "deadline_at": deadline_at }),
                )
                .await?;
                self.send_all(Event::Resumed { question_id: row.id, deadline_at });
                Ok(())
            }
            Control::Close => {
                self.open_current()?;
                self.close_current(actor, now).await
            }
            Control::Reveal => self.reveal(actor, now).await,
            Control::Void { question_id, reason } => self.void(actor, question_id, &reason, now).await,
        }
    }

    fn open_current(&self) -> ApiResult<&crate::entities::part_questions::Model> {
        match self.current_row() {
            Some(q) if q.status == "open" => Ok(q),
            _ => Err(self.illegal("no question is open")),
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
        if part.kind != "quiz" {
            return Err(self.illegal(format!("a {} part cannot be run by the quiz engine yet", part.kind)));
        }
        if !self.scores.questions.values().any(|q| q.row.part_id == part_id && q.row.status == "pending") {
            return Err(self.illegal("the part has no questions; assign questions first"));
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
        if self.current_row().is_some_and(|q| q.status == "open") {
            return Err(self.illegal("a question is open; close it first"));
        }
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

    async fn open_next(&mut self, actor: &str, now: i64) -> ApiResult<()> {
        let Some(run) = &self.running else { return Err(self.illegal("no part is running")) };
        if let Some(q) = self.current_row()
            && !matches!(q.status.as_str(), "closed" | "revealed" | "voided")
        {
            return Err(self.illegal("the current question is still open"));
        }
        let next = run
            .order
            .iter()
            .find(|id| self.scores.questions.get(id).is_some_and(|q| q.row.status == "pending"))
            .copied();
        let Some(next) = next else { return Err(self.illegal("no more questions in this part")) };
        let get_ready = run.scoring.get_ready_s as i64 * 1000;
        let reading = run.scoring.reading_ms();
        let total = run.order.len();
        let no = run.order.iter().position(|x| *x == next).map_or(0, |i| i + 1);
        let Some(q) = self.scores.questions.get(&next) else { return Err(self.illegal("question vanished")) };
        let mut row = q.row.clone();
        let opened_at = now + get_ready + reading;
        row.status = "open".into();
        row.opened_at = Some(opened_at);
        row.deadline_at = Some(opened_at + row.time_limit_s as i64 * 1000);
        row.paused_at = None;
        self.commit_question(
            row.clone(),
            actor,
            "question_open",
            json!({ "question_id": next, "opened_at": opened_at, "deadline_at": row.deadline_at }),
        )
        .await?;
        if let Some(run) = &mut self.running {
            run.current = Some(next);
            run.team_answer.clear();
            self.teams_answered.clear();
            run.announced = get_ready == 0;
        }
        if get_ready > 0 {
            self.send_all(Event::GetReady { question_id: next, no, shows_at: now + get_ready, opens_at: opened_at });
        } else {
            self.announce(&row, no, total);
        }
        self.last_countdown = now;
        Ok(())
    }

    async fn close_current(&mut self, actor: &str, now: i64) -> ApiResult<()> {
        let Some(q) = self.current_row().cloned() else { return Ok(()) };
        if q.status != "open" {
            return Ok(());
        }
        let mut row = q;
        row.status = "closed".into();
        row.closed_at = Some(now);
        self.commit_question(row.clone(), actor, "question_close", json!({ "question_id": row.id })).await?;
        if let Some(run) = &mut self.running {
            run.announced = true;
        }
        let distribution = match &self.running {
            Some(r) => distribution(r.team_answer.values().map(|a| &a.response)),
            None => vec![],
        };
        self.send_all(Event::Closed { question_id: row.id, closed_at: now, distribution });
        self.to_score.insert(row.id);
        self.score_ready().await;
        // The board after a close is what the hall waits for: send it now, not at the
        // next coalescing tick.
        self.flush();
        Ok(())
    }

    /// Scores closed questions whose last answers are committed.
    async fn score_ready(&mut self) {
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

    async fn reveal(&mut self, actor: &str, now: i64) -> ApiResult<()> {
        let Some(q) = self.current_row().cloned() else { return Err(self.illegal("no question to reveal")) };
        if q.status != "closed" {
            return Err(self.illegal(format!("the question is {}; close it before revealing", q.status)));
        }
        if self.to_score.contains(&q.id) {
            return Err(self.illegal("the last answers are still being stored; try again in a moment"));
        }
        let answers = store::live::answers_of_questions(&self.db, &[q.id]).await?;
        let mut row = q;
        row.status = "revealed".into();
        row.revealed_at = Some(now);
        self.commit_question(row.clone(), actor, "question_reveal", json!({ "question_id": row.id })).await?;
        let Some(question) = self.scores.questions.get(&row.id).and_then(|s| s.question.clone()) else { return Ok(()) };
        let distribution = distribution(super::scores::counted(&answers).iter().map(|a| &a.response));
        self.send_all(Event::Revealed {
            question_id: row.id,
            solution: serde_json::to_value(&question.solution).unwrap_or(Value::Null),
            explanation: question.explanation.clone(),
            distribution,
        });
        self.mark_board();
        Ok(())
    }

    async fn void(&mut self, actor: &str, question_id: Option<i32>, reason: &str, now: i64) -> ApiResult<()> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ApiError::invalid("reason", "say why the question is voided"));
        }
        let id = match question_id.or_else(|| self.running.as_ref().and_then(|r| r.current)) {
            Some(id) => id,
            None => return Err(self.illegal("no question to void")),
        };
        let Some(q) = self.scores.questions.get(&id) else {
            return Err(ApiError::not_found(format!("no question {id} in this contest")));
        };
        if !matches!(q.row.status.as_str(), "open" | "closed" | "revealed") {
            return Err(
                self.illegal(format!("question {id} is {}; only an asked question can be voided", q.row.status))
            );
        }
        let mut row = q.row.clone();
        let old = row.status.clone();
        row.status = "voided".into();
        row.void_reason = Some(reason.to_owned());
        if row.closed_at.is_none() {
            row.closed_at = Some(now);
        }
        self.commit_question(
            row,
            actor,
            "question_void",
            json!({ "question_id": id, "reason": reason, "old_status": old }),
        )
        .await?;
        self.scores.results.remove(&id);
        self.to_score.remove(&id);
        self.send_all(Event::Voided { question_id: id, reason: reason.to_owned() });
        self.mark_board();
        Ok(())
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
        let checked = self.check_answer(&by, &req, now);
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
        if star && let Some(run) = &mut self.running {
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

    /// Validates an answer against the live state only (no database): returns the
    /// question's opening time and whether the star is staked.
    fn check_answer(&self, by: &Answerer, req: &AnswerRequest, now: i64) -> ApiResult<(i64, bool)> {
        if req.submission_id.trim().is_empty() || req.submission_id.len() > 64 {
            return Err(ApiError::invalid("submission_id", "must be 1 to 64 characters"));
        }
        let Some(run) = &self.running else {
            return Err(ApiError::conflict("no_open_question", "no question is open"));
        };
        if self
            .scores
            .questions
            .get(&req.question_id)
            .is_some_and(|q| matches!(q.row.status.as_str(), "closed" | "revealed" | "voided"))
        {
            return Err(ApiError::conflict("deadline_passed", "the time for this question is over"));
        }
        let Some(q) = self.current_row().filter(|q| q.status == "open") else {
            return Err(ApiError::conflict("no_open_question", "no question is open"));
        };
        if q.id != req.question_id {
            return Err(ApiError::conflict(
                "question_not_open",
                format!("question {} is not the open question ({})", req.question_id, q.id),
            ));
        }
        let opened_at = q.opened_at.unwrap_or(now);
        if now < opened_at {
            return Err(ApiError::conflict("not_open_yet", "the question is not open yet"));
        }
        if q.paused_at.is_some() {
            return Err(ApiError::conflict("paused", "the question is paused"));
        }
        if q.deadline_at.is_some_and(|d| now > d) {
            return Err(ApiError::conflict("deadline_passed", "the time for this question is over"));
        }
        if run.policy == AnswerPolicy::CaptainOnly && !by.is_captain {
            return Err(ApiError::forbidden("only the team captain may answer in this part"));
        }
        if let Some(question) = self.scores.questions.get(&q.id).and_then(|s| s.question.as_ref()) {
            question.check_response(&req.response).map_err(|m| ApiError::invalid("response", m))?;
        }
        if req.star {
            if !run.scoring.star_of_hope {
                return Err(ApiError::conflict("star_not_allowed", "this part has no star of hope"));
            }
            if run.star_used.get(&by.team_id).is_some_and(|pq| *pq != q.id) {
                return Err(ApiError::conflict("star_used", "the team has already used its star of hope in this part"));
            }
        }
        Ok((opened_at, req.star))
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
                if let Some(run) = &mut self.running
                    && run.current == Some(m.part_question_id)
                    && let Ok(response) = serde_json::from_str::<Response>(&m.payload)
                {
                    let newer = run.team_answer.get(&m.team_id).is_none_or(|a| a.received_at <= m.received_at);
                    if newer {
                        run.team_answer.insert(
                            m.team_id,
                            TeamAnswer {
                                question_id: m.part_question_id,
                                contestant_id: m.contestant_id,
                                submission_id: m.submission_id.clone(),
                                response,
                                star: m.star,
                                received_at: m.received_at,
                                elapsed_ms: m.elapsed_ms,
                            },
                        );
                        self.count_dirty = true;
                        self.teams_answered.insert(m.team_id);
                    }
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

/// How many teams gave each answer, most given first (at most 20 kinds).
fn distribution<'a>(responses: impl Iterator<Item = &'a Response>) -> Vec<(String, usize)> {
    let mut dist: HashMap<String, usize> = HashMap::new();
    for r in responses {
        *dist.entry(response_key(r)).or_default() += 1;
    }
    let mut out: Vec<(String, usize)> = dist.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out.truncate(20);
    out
}

/// How an answer shows in the reveal's distribution.
fn response_key(r: &Response) -> String {
    fn letter(i: usize) -> String {
        u8::try_from(i).ok().filter(|i| *i < 26).map_or_else(|| i.to_string(), |i| char::from(b'A' + i).to_string())
    }
    match r {
        Response::Choice { choice } => letter(*choice),
        Response::Choices { choices } => {
            let mut c = choices.clone();
            c.sort_unstable();
            c.dedup();
            c.into_iter().map(letter).collect::<Vec<_>>().join("+")
        }
        Response::Bool { value } => value.to_string(),
        Response::Text { text } => fold(text),
        Response::Number { number } => round2(*number).to_string(),
    }
}
