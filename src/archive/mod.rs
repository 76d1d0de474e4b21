//! Contest archives: a contest's full record as one JSON document that another hoithi
//! server can import, and the background jobs that build and read big ones.
//!
//! The format (`schema: "hoithi-archive/1"`) is [`Archive`]. Every record carries the id
//! it had on the exporting server, and references between records use those ids (an
//! answer's `team` is the `id` of an entry of `teams`); they mean nothing outside the
//! archive, and an import gives every record a new id. What it holds:
//! - the contest's fields, prize scheme and tie-breakers, and where it came from when it
//!   was itself imported;
//! - teams (with their roster) and the contestants who joined them, judges (display name
//!   and username; never a password hash, an invitation or a join code);
//! - parts with their scoring and rubric, and the questions asked in the versions asked
//!   (the snapshot a part kept), with their live times and void reasons;
//! - every answer with its server time (`received_at`, `elapsed_ms`), submission id and
//!   star; adjustments with who, when and why; the contest's audit log;
//! - the publication (when, who), and the staff board (`results`) for checking.
//!
//! - judged parts: every judge's marks (`marks`), sheets with their signatures
//!   (`sheets`), the part scores released to the hall (`releases`) and the drawn order
//!   of performance with its seed (`performance_orders`);
//! - elimination parts: the rescues (`rescues`), from which with the answers the
//!   eliminated set, and so the part score, is derived;
//! - buzzer parts: every stored press with its receive time and place in the receive
//!   order (`buzzes`), and the right/wrong marks of the team that had the floor
//!   (`buzzer_marks`), from which the part score is derived.
//!
//! These seven sections are optional (absent when empty), so archives written before
//! them still read. Draws (seeds and quotas) and the banks a contest drew from are
//! properties of the exporting server's banks and do not travel; neither do board
//! freezes of a ceremony (a closed contest's board is the final one).
//!
//! An import is all or nothing: [`check::check`] proves the references before anything is
//! written, then everything is written in one transaction, the board is recomputed from
//! the imported rows with the live scoring code (`Scores::load`) and compared with the
//! archive's `results`; any difference refuses the import, naming the place
//! (`results.rows[2].total`). The imported contest is `closed` (it cannot run again) and
//! says where it came from (`imported_from`).
pub mod check;
pub mod export;
pub mod import;
pub mod jobs;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::contest::{Member, Prize};
use crate::domain::ranking::TieBreak;

/// The format this server writes and reads.
pub const SCHEMA: &str = "hoithi-archive/1";

/// Largest archive accepted for import.
pub const MAX_ARCHIVE_BYTES: usize = 512 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Archive {
    /// `hoithi-archive/1`.
    pub schema: String,
    /// The server and version that wrote it, e.g. `hoithi 0.1.0`.
    pub generator: String,
    pub exported_at: i64,
    /// Who exported it (`organiser:<username>`).
    pub exported_by: String,
    pub contest: ArchiveContest,
    /// Tie-breakers in order; a part tie-breaker names an archive part id.
    pub tie_breakers: Vec<TieBreak>,
    pub teams: Vec<ArchiveTeam>,
    pub contestants: Vec<ArchiveContestant>,
    pub judges: Vec<ArchiveJudge>,
    pub parts: Vec<ArchivePart>,
    /// The questions of every part as asked (the snapshot of the version asked).
    pub questions: Vec<ArchiveQuestion>,
    /// Every stored answer, by id (the order they were stored).
    pub answers: Vec<ArchiveAnswer>,
    pub adjustments: Vec<ArchiveAdjustment>,
    /// Judges' marks of judged parts, by id; absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<ArchiveMark>,
    /// Judges' sheets of judged parts (signed or not), by id; absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sheets: Vec<ArchiveSheet>,
    /// Judged part scores released to the hall; absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub releases: Vec<ArchiveRelease>,
    /// The drawn order of performance of judged parts, with its seed; absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub performance_orders: Vec<ArchiveOrder>,
    /// Rescues of elimination parts, by id; absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rescues: Vec<ArchiveRescue>,
    /// Presses of buzzer parts, by id; absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buzzes: Vec<ArchiveBuzz>,
    /// Right/wrong marks of buzzer questions, by id; absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buzzer_marks: Vec<ArchiveBuzzerMark>,
    /// The contest's audit log, oldest first.
    pub audit: Vec<ArchiveAudit>,
    /// Set when the results were published.
    pub publication: Option<ArchivePublication>,
    /// The staff board at export (every closed question, adjustments, tie-breakers), for
    /// checking an import.
    pub results: ArchiveResults,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveContest {
    pub id: i32,
    pub name: String,
    pub unit: String,
    pub held_on: String,
    pub venue: String,
    pub prize_scheme: Vec<Prize>,
    /// `first_join` or `organiser`.
    pub captain_policy: String,
    /// `setup`, `running` or `closed` at export.
    pub status: String,
    pub created_at: i64,
    /// Set when this contest was itself imported from an archive.
    #[serde(default)]
    pub imported_from: Option<ImportedFrom>,
}

/// Where an imported contest came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportedFrom {
    pub schema: String,
    pub generator: String,
    /// The contest's id on the exporting server.
    pub contest_id: i32,
    pub exported_at: i64,
    pub exported_by: String,
    pub imported_at: i64,
    /// Who imported it (`organiser:<username>`).
    pub imported_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveTeam {
    pub id: i32,
    pub name: String,
    pub unit: String,
    /// The roster the organiser entered.
    pub members: Vec<Member>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveContestant {
    pub id: i32,
    /// Archive id of the team.
    pub team: i32,
    pub name: String,
    pub is_captain: bool,
    pub revoked: bool,
    pub joined_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveJudge {
    pub id: i32,
    pub name: String,
    /// The judge's account, if any (invited judges have none).
    pub username: Option<String>,
    pub created_at: i64,
    /// When an invited judge accepted the invitation.
    pub invite_used_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchivePart {
    pub id: i32,
    /// `quiz`, `buzzer`, `judged` or `elimination`.
    pub kind: String,
    pub title: String,
    pub position: i32,
    pub max_points: f64,
    pub weight: f64,
    pub time_per_question_s: i32,
    /// The part's scoring settings (`domain::part::Scoring`).
    pub scoring: Value,
    /// `captain_only` or `last_answer`.
    pub answer_policy: String,
    /// The rubric of a judged part (criteria and their maximum points).
    pub rubric: Value,
    /// `pending`, `running` or `finished` at export.
    pub status: String,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// A tie-break part: the teams (archive ids) that play it; empty for every other part.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tie_break_teams: Vec<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveQuestion {
    pub id: i32,
    /// Archive id of the part.
    pub part: i32,
    pub position: i32,
    /// The version of the bank question that was asked.
    pub question_version: Option<i32>,
    /// The question as asked (`domain::question::Question`: prompt, options, solution,
    /// source …).
    pub question: Value,
    pub points: f64,
    pub time_limit_s: i32,
    /// `pending`, `open`, `paused`, `closed`, `revealed` or `voided`.
    pub status: String,
    pub opened_at: Option<i64>,
    pub deadline_at: Option<i64>,
    pub paused_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub revealed_at: Option<i64>,
    pub void_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveAnswer {
    pub id: i64,
    /// Archive id of the question.
    pub question: i32,
    pub team: i32,
    pub contestant: i32,
    pub submission_id: String,
    /// The response as sent (`{"choice": 0}`, `{"text": "…"}` …).
    pub response: Value,
    pub star: bool,
    /// Server time the answer was received (ms since the epoch).
    pub received_at: i64,
    /// Time from the question's opening to the answer (ms).
    pub elapsed_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveAdjustment {
    pub id: i32,
    pub team: i32,
    /// Archive id of the part, or None for the contest total.
    pub part: Option<i32>,
    pub delta: f64,
    pub reason: String,
    pub actor: String,
    pub created_at: i64,
}

/// One judge's mark for one criterion of one team's sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveMark {
    pub id: i32,
    /// Archive id of the (judged) part.
    pub part: i32,
    /// Archive id of the judge.
    pub judge: i32,
    pub team: i32,
    /// Index of the criterion in the part's rubric.
    pub criterion: i32,
    pub points: f64,
    pub updated_at: i64,
}

/// One judge's sheet for one team: a part score counts once every judge signed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveSheet {
    pub id: i32,
    pub part: i32,
    pub judge: i32,
    pub team: i32,
    pub signed_at: Option<i64>,
}

/// A team's judged part score released to the hall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveRelease {
    pub part: i32,
    pub team: i32,
    pub actor: String,
    pub released_at: i64,
}

/// The last drawn order of performance of a judged part (earlier draws are in the audit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveOrder {
    pub part: i32,
    pub seed: i64,
    /// Archive ids of the teams in the order they perform.
    pub teams: Vec<i32>,
    pub actor: String,
    pub drawn_at: i64,
}

/// An eliminated contestant brought back into an elimination part after a question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveRescue {
    pub id: i32,
    pub part: i32,
    pub contestant: i32,
    /// Archive id of the question after whose reveal the contestant came back.
    pub after_question: i32,
    pub reason: String,
    pub actor: String,
    pub created_at: i64,
}

/// A press of a buzzer question, as the server received it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveBuzz {
    pub id: i64,
    /// Archive id of the (buzzer) question.
    pub question: i32,
    /// The round it was pressed in (the number of wrong marks before it).
    pub round: i32,
    /// Its place in the server's receive order of the question.
    pub seq: i64,
    pub team: i32,
    pub contestant: i32,
    /// Server time the press was received (ms since the epoch).
    pub received_at: i64,
    /// A press before the buzzer opened (it locked the team out for a while).
    pub false_start: bool,
}

/// The mark of the team that had the floor on a buzzer question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveBuzzerMark {
    pub id: i32,
    /// Archive id of the (buzzer) question.
    pub question: i32,
    pub team: i32,
    pub round: i32,
    pub correct: bool,
    /// The points it earned (negative for a penalised wrong answer).
    pub points: f64,
    pub actor: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveAudit {
    pub id: i64,
    pub actor: String,
    pub action: String,
    /// As recorded; ids in it (`team_id`, `part_id`, `question_id`, `adjustment_id`, …)
    /// are archive ids, translated on import.
    pub detail: Value,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchivePublication {
    pub published_at: i64,
    pub actor: String,
    pub ties_confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveResults {
    /// Ranked, best first.
    pub rows: Vec<ArchiveResultRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveResultRow {
    pub rank: u32,
    pub team: i32,
    pub team_name: String,
    pub total: f64,
    pub parts: Vec<ArchivePartScore>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchivePartScore {
    pub part: i32,
    pub score: f64,
}

/// The server and version that writes archives.
pub fn generator() -> String {
    format!("hoithi {}", env!("CARGO_PKG_VERSION"))
}
