//! The messages of the live WebSocket. Every server message is one JSON object with a
//! `type` and the server's clock `server_time` (ms), so phones can correct their
//! countdown. A message is serialized once into a [`Frame`] and the same bytes go to every
//! socket that should see it.
use bytestring::ByteString;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

pub use super::kinds::buzzer::{BuzzAck, BuzzRequest, BuzzerView};
pub use super::kinds::judged::{PerformingView, ReleasedScore};
use crate::domain::elimination::Standing;
use crate::domain::question::{PublicQuestion, Response};
use crate::domain::ranking::Board;

/// A serialized message, cheap to clone (reference-counted bytes).
pub type Frame = ByteString;

/// The acknowledgement of a stored answer; the same submission always gets the same ack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Ack {
    pub submission_id: String,
    pub question_id: i32,
    /// Server time at which the answer was received (ms); it is what was stored.
    pub received_at: i64,
    /// Time taken, measured from the question's opening on the server.
    pub elapsed_ms: i64,
    pub star: bool,
}

/// The stored answer of the caller's team for the open question (sent on reconnect).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TeamAnswer {
    pub question_id: i32,
    pub contestant_id: i32,
    pub submission_id: String,
    #[schema(value_type = Object)]
    pub response: Response,
    pub star: bool,
    pub received_at: i64,
    pub elapsed_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PartView {
    pub id: i32,
    pub title: String,
    pub kind: String,
    pub status: String,
    pub answer_policy: String,
    pub questions: usize,
    /// Each team may stake its star of hope on one question of this part (phones show
    /// the toggle only then).
    pub star_of_hope: bool,
    /// A tie-break part: only these teams play it (the others' phones say so).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tie_break_teams: Vec<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QuestionView {
    pub id: i32,
    /// 1-based number within the part.
    pub no: usize,
    /// open | closed | revealed | voided
    pub status: String,
    /// When the question is (or was) shown; answering opens at `opens_at`, after the
    /// part's reading time.
    pub shows_at: Option<i64>,
    pub opens_at: Option<i64>,
    pub deadline_at: Option<i64>,
    pub paused_at: Option<i64>,
    /// Time left (ms) at `server_time`; frozen while paused.
    pub remaining_ms: Option<i64>,
    /// Present from `shows_at` on (after the "get ready" countdown); never carries the answer.
    pub question: Option<PublicQuestion>,
    pub answered_teams: usize,
    /// Only once revealed.
    #[schema(value_type = Object)]
    pub solution: Option<Value>,
    /// Only once revealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// Staff and the projector, once closed: the teams' answers as in `closed`, so that a
    /// screen that reconnects after the close still draws the chart.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub distribution: Vec<(String, usize)>,
}

/// The whole live state, sent on connect, on `sync` and in 409 answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StateView {
    pub contest_id: i32,
    pub contest_name: String,
    pub contest_status: String,
    pub part: Option<PartView>,
    pub question: Option<QuestionView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub my_answer: Option<TeamAnswer>,
    pub total_teams: usize,
    /// A buzzer part's current question: its phase, who has the floor, the order of the
    /// presses and the marks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buzzer: Option<BuzzerView>,
    /// An elimination part: who remains (and, for a team's phones, where its members stand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elimination: Option<EliminationView>,
    /// A judged part: the team on stage now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performing: Option<PerformingView>,
}

/// A contestant of an elimination part, named (staff lists, the projector's winners).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ElimMember {
    pub contestant_id: i32,
    pub name: String,
    pub team_id: i32,
    pub team_name: String,
}

/// Where one of a team's contestants stands in an elimination part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MemberStanding {
    pub contestant_id: i32,
    pub standing: Standing,
}

/// An elimination part as a screen sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EliminationView {
    pub part_id: i32,
    /// The contestants on the part's roster (those who had joined when it started).
    pub total: usize,
    pub remaining: usize,
    /// Contestants who answered the current question so far.
    pub answered: usize,
    /// The last revealed question, whose eliminations have counted.
    pub last_question_id: Option<i32>,
    /// How many were eliminated on that question (and are still out).
    pub eliminated_last: usize,
    /// One contestant (or none) remains, or the questions ran out: the survivors win.
    pub over: bool,
    /// Staff only: who was eliminated on the last question (for a rescue).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub eliminated: Vec<ElimMember>,
    /// The survivors by name, once the part is over and at most 50 remain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub survivors: Vec<ElimMember>,
    /// A team's phones: where each of the team's contestants stands.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub team: Vec<MemberStanding>,
}

/// A team's own detailed results (sent only to that team and to staff).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TeamResult {
    pub question_id: i32,
    pub points: f64,
    pub correct: bool,
    pub star: bool,
}

/// One line of the public scoreboard: no per-part or per-question details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PublicRow {
    pub rank: u32,
    pub team_id: i32,
    pub team_name: String,
    pub total: f64,
}

/// A question of the contest as a column of the staff board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BoardQuestion {
    pub id: i32,
    pub part_id: i32,
    /// 1-based number within its part.
    pub no: usize,
    /// pending | open | closed | revealed | voided
    pub status: String,
    pub points: f64,
}

/// A score correction as the staff board shows it (who, when, why).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BoardAdjustment {
    pub id: i32,
    pub team_id: i32,
    pub part_id: Option<i32>,
    pub delta: f64,
    pub reason: String,
    pub actor: String,
    pub created_at: i64,
}

/// Staff only: what the board is made of, so that judges see each question's points per
/// team and every correction without the organiser's audit log.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct BoardDetail {
    /// Every question of the contest, part by part, in order.
    pub questions: Vec<BoardQuestion>,
    /// Team id → its results on the closed and revealed questions, in question order.
    pub results: std::collections::BTreeMap<i32, Vec<TeamResult>>,
    pub adjustments: Vec<BoardAdjustment>,
}

/// Server → client.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    State {
        state: Box<StateView>,
    },
    PartStarted {
        part: PartView,
    },
    PartFinished {
        part_id: i32,
    },
    /// Question `no` is shown at `shows_at` and opens for answers at `opens_at`.
    GetReady {
        question_id: i32,
        no: usize,
        shows_at: i64,
        opens_at: i64,
    },
    /// The question, sent when it is shown (`shown_at`). Answering opens at `opened_at`:
    /// later than `shown_at` when the part has a reading time, during which phones show
    /// the question with its answers locked and count down to `opened_at` (corrected for
    /// their clock offset). The deadline is `deadline_at` for every phone alike.
    QuestionOpened {
        question_id: i32,
        no: usize,
        total: usize,
        question: PublicQuestion,
        shown_at: i64,
        opened_at: i64,
        deadline_at: i64,
    },
    Countdown {
        question_id: i32,
        deadline_at: i64,
        remaining_ms: i64,
        answered_teams: usize,
        total_teams: usize,
        /// Staff only: which teams have answered (the console shows them team by team).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        answered: Option<Vec<i32>>,
    },
    Paused {
        question_id: i32,
        paused_at: i64,
        remaining_ms: i64,
    },
    Resumed {
        question_id: i32,
        deadline_at: i64,
    },
    /// Answering is over. `distribution` counts the teams' last answers (answer key →
    /// teams); it says nothing of which is right, that comes with `revealed`.
    Closed {
        question_id: i32,
        closed_at: i64,
        #[serde(default)]
        distribution: Vec<(String, usize)>,
    },
    Revealed {
        question_id: i32,
        solution: Value,
        explanation: String,
        distribution: Vec<(String, usize)>,
    },
    Voided {
        question_id: i32,
        reason: String,
    },
    /// Organisers, judges: the full board of closed questions. The live frame carries no
    /// per-question detail (for 2,000 teams it is hundreds of kilobytes, five times a
    /// second, to screens that do not show it); `GET …/scoreboard` has it.
    Scoreboard {
        board: Board,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<BoardDetail>,
    },
    /// Staff: a judged part's sheets, order or released scores changed; read
    /// `GET …/parts/{part_id}/judging` again.
    Judging {
        part_id: i32,
    },
    /// Every screen: the team on stage in a running judged part changed (None: nobody).
    Performing {
        part_id: i32,
        performing: Option<PerformingView>,
    },
    /// The projector and staff: part scores just released, in the order of performance
    /// (the hall's "Đội X — 85,17 điểm" moment). Not sent to the hall while the board is frozen.
    JudgedReleased {
        part_id: i32,
        title: String,
        /// The rubric's total (the scale of the scores).
        max_total: f64,
        teams: Vec<ReleasedScore>,
    },
    /// The public board's freeze and the awards ceremony (see `live::ceremony`): sent when
    /// it changes, and on connect while the board is frozen.
    Ceremony {
        ceremony: super::ceremony::CeremonyView,
    },
    /// Contestants: ranks and totals of revealed questions.
    PublicScoreboard {
        rows: Vec<PublicRow>,
    },
    /// A team's own per-question results (revealed questions) and part scores.
    TeamScore {
        team_id: i32,
        total: f64,
        rank: u32,
        results: Vec<TeamResult>,
    },
    Ack {
        ack: Ack,
    },
    /// To a team's phones: someone joined the team; read its members again.
    TeamChanged {
        team_id: i32,
    },
    /// To a team's phones: the answer of the team that counts now (the last one stored),
    /// so every member sees what a teammate chose.
    TeamAnswer {
        answer: TeamAnswer,
    },
    /// An elimination part's standing changed (a start, a reveal, a rescue, the next
    /// question): staff get the named list, a team's phones their members' standing.
    Elimination {
        elimination: EliminationView,
    },
    /// The organiser rescued eliminated contestants (the projector's rescue moment).
    Rescued {
        part_id: i32,
        count: usize,
        reason: String,
        /// The first names rescued (at most 30).
        names: Vec<String>,
        remaining: usize,
    },
    /// Staff and the projector: how many contestants answered the open question.
    EliminationCount {
        question_id: i32,
        answered: usize,
        remaining: usize,
    },
    Error {
        error: Value,
    },
    Pong,
    /// A buzzer question changed (shown, opened, a press, a mark, closed): its whole view.
    /// Phones get the first presses only (`presses_total` says how many there are).
    Buzzer {
        buzzer: Box<BuzzerView>,
    },
    /// A press taken: the answer to the presser.
    Buzzed {
        buzz: BuzzAck,
    },
    /// A press taken: to the presser's team's phones (a teammate sees the team's place).
    TeamBuzzed {
        buzz: BuzzAck,
    },
}

#[derive(Serialize)]
struct Envelope<'a> {
    server_time: i64,
    #[serde(flatten)]
    event: &'a Event,
}

impl Event {
    /// Serializes once with the current server time.
    pub fn frame(&self) -> Frame {
        let s = serde_json::to_string(&Envelope { server_time: crate::now_ms(), event: self })
            .unwrap_or_else(|_| r#"{"type":"error","error":{"code":"internal"}}"#.to_owned());
        ByteString::from(s)
    }
}

/// Client → server.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    Answer(AnswerRequest),
    /// A press of the buzzer (buzzer parts).
    Buzz(BuzzRequest),
    /// Asks for a fresh `state`.
    Sync,
    Ping,
}

/// An answer, over the WebSocket or `POST /api/contests/{cid}/answers`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// Chosen by the phone (e.g. a UUID); resending it never counts twice.
    pub submission_id: String,
    pub question_id: i32,
    /// One of `{"choice": 1}` (single, 0-based), `{"choices": [0, 2]}` (multiple),
    /// `{"value": true}` (true/false), `{"text": "…"}` (short text: matched without regard
    /// to case, diacritics, punctuation, i/y spelling and the bank's abbreviations),
    /// `{"number": 7300}` (number). A number may also be a string written the Vietnamese
    /// way: `"7.300"`, `"7 300"` (thousands), `"3,5"` (decimal comma), or `"3.5"`; anything
    /// else (a unit, letters, `"1.23.456"`) is refused with 400. README, *What a number
    /// answer accepts*, gives the exact rules.
    #[schema(value_type = Object)]
    pub response: Response,
    #[serde(default)]
    pub star: bool,
}
