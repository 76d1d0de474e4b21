//! The settings of a part (phần thi): its kind, how teams answer, and how it is scored.
//! Stored as JSON in `parts.scoring` / `parts.rubric`; validated here so that every
//! layer agrees on what a setting means.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::elimination::EliminationScoring;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartKind {
    /// All teams answer each timed question at once.
    Quiz,
    /// Teams race to buzz; the first in the server's receive order answers.
    Buzzer,
    /// Judges score each team on a rubric (sân khấu hóa, hùng biện, chào hỏi).
    Judged,
    /// Individuals answer; a wrong answer eliminates (rung chuông vàng).
    Elimination,
}

impl PartKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PartKind::Quiz => "quiz",
            PartKind::Buzzer => "buzzer",
            PartKind::Judged => "judged",
            PartKind::Elimination => "elimination",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [PartKind::Quiz, PartKind::Buzzer, PartKind::Judged, PartKind::Elimination]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Which of a team's answers counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum AnswerPolicy {
    /// Only the captain's answer counts; other members' answers are refused.
    CaptainOnly,
    /// Any member may answer; the last answer before the deadline counts.
    #[default]
    LastAnswer,
}

impl AnswerPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerPolicy::CaptainOnly => "captain_only",
            AnswerPolicy::LastAnswer => "last_answer",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [AnswerPolicy::CaptainOnly, AnswerPolicy::LastAnswer].into_iter().find(|k| k.as_str() == s)
    }
}

/// Extra points for answering fast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Default)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SpeedBonus {
    #[default]
    None,
    /// Kahoot-style: a right answer earns `P·(1 − t/T/2)`, t the time taken, T the limit.
    Kahoot,
    /// By order of right answers: the first right team earns `points[0]` extra, etc.
    Ranked { points: Vec<f64> },
}

/// How a quiz (or buzzer) part turns answers into points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Scoring {
    pub speed_bonus: SpeedBonus,
    /// Points taken away for a wrong answer (0 = no penalty). No answer is not wrong.
    pub wrong_penalty: f64,
    /// Each team may stake one question per part: double if right, lose its points if wrong.
    pub star_of_hope: bool,
    /// Multiple choice earns partial credit instead of all-or-nothing.
    pub partial_multiple: bool,
    /// Seconds of "get ready" countdown before a question is shown (0 = shown at once).
    pub get_ready_s: u32,
    /// Seconds a question is shown before answering opens (0 = open as it is shown): the
    /// master of ceremonies reads it aloud while it reaches every phone, and then every
    /// team gets the whole answering time, however late the question reached its phone.
    /// Answers sent while it is being read are refused with `not_open_yet`.
    /// In a buzzer part: the buzzer opens by itself this long after the question is shown
    /// (0 = the organiser opens it by hand).
    pub reading_s: u32,
    /// Elimination parts only: what survivors and questions survived add to team scores.
    #[serde(skip_serializing_if = "EliminationScoring::is_zero")]
    pub elimination: EliminationScoring,
    /// A buzzer part's own settings (its wrong-answer penalty is `wrong_penalty`).
    #[serde(skip_serializing_if = "BuzzerSettings::is_default")]
    pub buzzer: BuzzerSettings,
}

/// How a buzzer part (giành quyền trả lời) runs, in `scoring.buzzer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BuzzerSettings {
    /// Seconds the other teams have to press once a question is reopened after a wrong
    /// answer (0 = until the organiser closes it).
    pub steal_s: u32,
    /// Seconds a team may not press after pressing before the buzzer opened (0 = none).
    pub false_start_lockout_s: u32,
    /// A false start locks the team out of the whole question instead.
    pub false_start_whole_question: bool,
    /// The team that wins the buzz types its answer on the phone; it is matched like a
    /// quiz answer and marked by itself (the organiser can still mark by hand).
    pub typed_answer: bool,
}

impl Default for BuzzerSettings {
    fn default() -> Self {
        Self { steal_s: 10, false_start_lockout_s: 3, false_start_whole_question: false, typed_answer: false }
    }
}

impl BuzzerSettings {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }

    pub fn lockout_ms(&self) -> i64 {
        i64::from(self.false_start_lockout_s) * 1000
    }

    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.steal_s > 300 {
            return Err(("scoring.buzzer.steal_s".into(), "at most 300 seconds".into()));
        }
        if self.false_start_lockout_s > 600 {
            return Err(("scoring.buzzer.false_start_lockout_s".into(), "at most 600 seconds".into()));
        }
        Ok(())
    }
}

impl Default for Scoring {
    fn default() -> Self {
        Self {
            speed_bonus: SpeedBonus::None,
            wrong_penalty: 0.0,
            star_of_hope: false,
            partial_multiple: false,
            get_ready_s: 0,
            reading_s: 0,
            elimination: EliminationScoring::default(),
            buzzer: BuzzerSettings::default(),
        }
    }
}

impl Scoring {
    pub fn reading_ms(&self) -> i64 {
        i64::from(self.reading_s) * 1000
    }

    /// When a question that opens for answers at `opened_at` is shown: the reading time before.
    pub fn shown_at(&self, opened_at: i64) -> i64 {
        opened_at - self.reading_ms()
    }

    /// Names the first setting that makes no sense.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if !(self.wrong_penalty.is_finite() && self.wrong_penalty >= 0.0) {
            return Err(("scoring.wrong_penalty".into(), "must be a number ≥ 0".into()));
        }
        if let SpeedBonus::Ranked { points } = &self.speed_bonus {
            if points.is_empty() {
                return Err(("scoring.speed_bonus.points".into(), "give at least one bonus".into()));
            }
            if let Some(i) = points.iter().position(|p| !(p.is_finite() && *p >= 0.0)) {
                return Err((format!("scoring.speed_bonus.points[{i}]"), "must be a number ≥ 0".into()));
            }
        }
        if self.get_ready_s > 30 {
            return Err(("scoring.get_ready_s".into(), "at most 30 seconds".into()));
        }
        if self.reading_s > 120 {
            return Err(("scoring.reading_s".into(), "at most 120 seconds".into()));
        }
        self.elimination.validate()?;
        self.buzzer.validate()
    }
}

/// How judges' scores of one team combine into the part score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    #[default]
    Mean,
    /// Drop the highest and the lowest, then the mean.
    TrimmedMean,
    Median,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub name: String,
    pub max_points: f64,
}

/// The rubric of a judged part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Rubric {
    pub criteria: Vec<Criterion>,
    pub aggregate: Aggregate,
    /// A gap between judges' totals above this is flagged for re-scoring (0 = never).
    pub gap_threshold: f64,
}

impl Rubric {
    pub fn validate(&self) -> Result<(), (String, String)> {
        for (i, c) in self.criteria.iter().enumerate() {
            if c.name.trim().is_empty() {
                return Err((format!("rubric.criteria[{i}].name"), "must not be empty".into()));
            }
            if !(c.max_points.is_finite() && c.max_points > 0.0) {
                return Err((format!("rubric.criteria[{i}].max_points"), "must be a number > 0".into()));
            }
        }
        if !(self.gap_threshold.is_finite() && self.gap_threshold >= 0.0) {
            return Err(("rubric.gap_threshold".into(), "must be a number ≥ 0".into()));
        }
        Ok(())
    }

    pub fn max_total(&self) -> f64 {
        self.criteria.iter().map(|c| c.max_points).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoring_json_round_trip_and_validation() {
        let s: Scoring = serde_json::from_str(
            r#"{"speed_bonus": {"kind": "ranked", "points": [40, 30, 20, 10]}, "wrong_penalty": 5, "star_of_hope": true}"#,
        )
        .unwrap();
        assert_eq!(s.speed_bonus, SpeedBonus::Ranked { points: vec![40.0, 30.0, 20.0, 10.0] });
        assert!(s.validate().is_ok());
        let bad = Scoring { wrong_penalty: -1.0, ..Scoring::default() };
        assert_eq!(bad.validate().unwrap_err().0, "scoring.wrong_penalty");
        assert!(serde_json::from_str::<Scoring>(r#"{"bonus": 1}"#).is_err());
        let d: Scoring = serde_json::from_str("{}").unwrap();
        assert_eq!(d, Scoring::default());
    }

    #[test]
    fn buzzer_settings_are_named_in_errors() {
        let s: Scoring =
            serde_json::from_str(r#"{"wrong_penalty": 5, "buzzer": {"steal_s": 8, "false_start_lockout_s": 2}}"#)
                .unwrap();
        assert_eq!(s.buzzer.steal_s, 8);
        assert!(!s.buzzer.typed_answer);
        assert!(s.validate().is_ok());
        let bad = Scoring { buzzer: BuzzerSettings { steal_s: 301, ..Default::default() }, ..Scoring::default() };
        assert_eq!(bad.validate().unwrap_err().0, "scoring.buzzer.steal_s");
        assert!(serde_json::from_str::<Scoring>(r#"{"buzzer": {"steal": 1}}"#).is_err());
        // A quiz part's stored settings do not change shape.
        assert!(!serde_json::to_string(&Scoring::default()).unwrap().contains("buzzer"));
    }

    #[test]
    fn rubric_validation_names_the_criterion() {
        let r = Rubric {
            criteria: vec![
                Criterion { name: "Nội dung".into(), max_points: 40.0 },
                Criterion { name: "".into(), max_points: 10.0 },
            ],
            ..Rubric::default()
        };
        assert_eq!(r.validate().unwrap_err().0, "rubric.criteria[1].name");
    }
}
