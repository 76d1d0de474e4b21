//! A question as the contest sees it: what is asked, what counts as right, and where the
//! answer comes from. The same value is stored as a part question's snapshot, so a
//! question asked in a contest keeps the version that was asked.
use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::text::{fold_answer, parse_vi_number};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    Single,
    Multiple,
    TrueFalse,
    ShortText,
    Number,
}

impl QuestionKind {
    pub const ALL: [QuestionKind; 5] = [
        QuestionKind::Single,
        QuestionKind::Multiple,
        QuestionKind::TrueFalse,
        QuestionKind::ShortText,
        QuestionKind::Number,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::Single => "single",
            QuestionKind::Multiple => "multiple",
            QuestionKind::TrueFalse => "true_false",
            QuestionKind::ShortText => "short_text",
            QuestionKind::Number => "number",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The correct answer. Option indexes are 0-based (A = 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Solution {
    Single { option: usize },
    Multiple { options: Vec<usize> },
    TrueFalse { value: bool },
    ShortText { accepted: Vec<String> },
    Number { value: f64, tolerance: f64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub document: String,
    pub quote: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// Stable id within its bank, e.g. `p1-001`.
    pub qid: String,
    pub bank: String,
    pub section: String,
    pub prompt: String,
    /// Choices for single and multiple; empty otherwise.
    #[serde(default)]
    pub options: Vec<String>,
    pub solution: Solution,
    #[serde(default)]
    pub explanation: String,
    /// 1 easy, 2 medium, 3 hard.
    pub difficulty: u8,
    pub points: f64,
    pub time_limit_s: u32,
    #[serde(default)]
    pub tags: Vec<String>,
    pub source: Source,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Groups of questions that answer each other (same fact, or one gives the other
    /// away): two questions sharing a group never meet in one contest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Ids of questions of the same bank that must not meet this one in a contest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excludes: Vec<String>,
    /// The bank's own abbreviations (beyond the built-in ones) a short answer may use;
    /// carried by the question so the version a contest asked grades the same forever.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub abbreviations: BTreeMap<String, String>,
}

impl Question {
    pub fn kind(&self) -> QuestionKind {
        match self.solution {
            Solution::Single { .. } => QuestionKind::Single,
            Solution::Multiple { .. } => QuestionKind::Multiple,
            Solution::TrueFalse { .. } => QuestionKind::TrueFalse,
            Solution::ShortText { .. } => QuestionKind::ShortText,
            Solution::Number { .. } => QuestionKind::Number,
        }
    }

    /// What contestants may see while the question is open: never the solution, the
    /// explanation or the source quote.
    pub fn public(&self) -> PublicQuestion {
        PublicQuestion {
            qid: self.qid.clone(),
            kind: self.kind(),
            prompt: self.prompt.clone(),
            options: self.options.clone(),
            points: self.points,
            time_limit_s: self.time_limit_s,
            unit: self.unit.clone(),
        }
    }

    /// How much of the question `response` gets right, from 0.0 to 1.0. Multiple choice
    /// is all-or-nothing unless `partial` is set, in which case each right choice earns
    /// its share and each wrong choice takes one share away (never below 0).
    pub fn grade(&self, response: &Response, partial: bool) -> Grade {
        let fraction = match (&self.solution, response) {
            (Solution::Single { option }, Response::Choice { choice }) => bool_to(option == choice),
            (Solution::Multiple { options }, Response::Choices { choices }) => {
                let mut chosen: Vec<usize> = choices.clone();
                chosen.sort_unstable();
                chosen.dedup();
                let mut right: Vec<usize> = options.clone();
                right.sort_unstable();
                if chosen == right {
                    1.0
                } else if partial && !right.is_empty() {
                    let hits = chosen.iter().filter(|c| right.contains(c)).count() as f64;
                    let misses = chosen.iter().filter(|c| !right.contains(c)).count() as f64;
                    ((hits - misses) / right.len() as f64).max(0.0)
                } else {
                    0.0
                }
            }
            (Solution::TrueFalse { value }, Response::Bool { value: v }) => bool_to(value == v),
            (Solution::ShortText { accepted }, Response::Text { text }) => {
                let t = fold_answer(text, &self.abbreviations);
                bool_to(!t.is_empty() && accepted.iter().any(|a| fold_answer(a, &self.abbreviations) == t))
            }
            (Solution::Number { value, tolerance }, Response::Number { number }) => {
                bool_to(number.is_finite() && (number - value).abs() <= tolerance.abs() + 1e-9)
            }
            _ => 0.0,
        };
        Grade { fraction }
    }

    /// Does `response` have the shape this question expects (and are its indexes in
    /// range)? Checked before an answer is accepted.
    pub fn check_response(&self, response: &Response) -> Result<(), String> {
        let n = self.options.len();
        match (self.kind(), response) {
            (QuestionKind::Single, Response::Choice { choice }) if *choice < n => Ok(()),
            (QuestionKind::Single, Response::Choice { choice }) => {
                Err(format!("choice {choice} is out of range (0..{n})"))
            }
            (QuestionKind::Multiple, Response::Choices { choices }) => match choices.iter().find(|c| **c >= n) {
                Some(c) => Err(format!("choice {c} is out of range (0..{n})")),
                None if choices.is_empty() => Err("choose at least one option".into()),
                None => Ok(()),
            },
            (QuestionKind::TrueFalse, Response::Bool { .. }) => Ok(()),
            (QuestionKind::ShortText, Response::Text { text }) if text.chars().count() <= 200 => Ok(()),
            (QuestionKind::ShortText, Response::Text { .. }) => Err("the answer is longer than 200 characters".into()),
            (QuestionKind::Number, Response::Number { number }) if number.is_finite() => Ok(()),
            (kind, _) => Err(format!("a {} question needs {}", kind.as_str(), expected_shape(kind))),
        }
    }
}

fn expected_shape(kind: QuestionKind) -> &'static str {
    match kind {
        QuestionKind::Single => r#"{"choice": <index>}"#,
        QuestionKind::Multiple => r#"{"choices": [<index>, …]}"#,
        QuestionKind::TrueFalse => r#"{"value": true|false}"#,
        QuestionKind::ShortText => r#"{"text": "…"}"#,
        QuestionKind::Number => r#"{"number": <number>}"#,
    }
}

fn bool_to(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// What a contestant submits. Untagged: the field name says the shape. A number may come
/// as a JSON number or as a string written the Vietnamese way ("7.300", "7 300", "3,5"):
/// see [`parse_vi_number`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Response {
    Choice {
        choice: usize,
    },
    Choices {
        choices: Vec<usize>,
    },
    Bool {
        value: bool,
    },
    Text {
        text: String,
    },
    Number {
        #[serde(deserialize_with = "number_or_text")]
        number: f64,
    },
}

fn number_or_text<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(f64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Number(n) => Ok(n),
        Raw::Text(s) => parse_vi_number(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{s:?} is not a number (write 7300, 7.300 or 7 300 for thousands, 3,5 for a decimal)"
            ))
        }),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grade {
    /// 0.0 wrong … 1.0 fully right.
    pub fraction: f64,
}

impl Grade {
    pub fn is_correct(self) -> bool {
        self.fraction >= 1.0
    }
}

/// The question as shown on phones and the projector before the reveal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicQuestion {
    pub qid: String,
    #[schema(value_type = String)]
    pub kind: QuestionKind,
    pub prompt: String,
    pub options: Vec<String>,
    pub points: f64,
    pub time_limit_s: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(solution: Solution, options: &[&str]) -> Question {
        Question {
            qid: "t-1".into(),
            bank: "b".into(),
            section: "phan-1".into(),
            prompt: "?".into(),
            options: options.iter().map(|s| s.to_string()).collect(),
            solution,
            explanation: String::new(),
            difficulty: 1,
            points: 10.0,
            time_limit_s: 20,
            tags: vec![],
            source: Source { document: "d".into(), quote: "q".into() },
            unit: None,
            groups: vec![],
            excludes: vec![],
            abbreviations: BTreeMap::new(),
        }
    }

    #[test]
    fn single_and_true_false() {
        let s = q(Solution::Single { option: 1 }, &["a", "b", "c"]);
        assert!(s.grade(&Response::Choice { choice: 1 }, false).is_correct());
        assert!(!s.grade(&Response::Choice { choice: 2 }, false).is_correct());
        assert!(s.check_response(&Response::Choice { choice: 3 }).is_err());
        assert!(s.check_response(&Response::Text { text: "b".into() }).is_err());
        let tf = q(Solution::TrueFalse { value: false }, &[]);
        assert!(tf.grade(&Response::Bool { value: false }, false).is_correct());
    }

    #[test]
    fn multiple_all_or_nothing_and_partial() {
        let m = q(Solution::Multiple { options: vec![0, 2] }, &["a", "b", "c", "d"]);
        assert_eq!(m.grade(&Response::Choices { choices: vec![2, 0] }, false).fraction, 1.0);
        assert_eq!(m.grade(&Response::Choices { choices: vec![0] }, false).fraction, 0.0);
        assert_eq!(m.grade(&Response::Choices { choices: vec![0] }, true).fraction, 0.5);
        assert_eq!(m.grade(&Response::Choices { choices: vec![0, 1] }, true).fraction, 0.0);
        assert_eq!(m.grade(&Response::Choices { choices: vec![0, 2, 2] }, false).fraction, 1.0);
    }

    #[test]
    fn short_text_ignores_case_spacing_and_diacritics() {
        let t = q(Solution::ShortText { accepted: vec!["Ngã Sáu".into(), "thị trấn Ngã Sáu".into()] }, &[]);
        for ok in ["ngã sáu", "NGA SAU", "  nga   sau ", "Thị trấn Ngã Sáu"] {
            assert!(t.grade(&Response::Text { text: ok.into() }, false).is_correct(), "{ok}");
        }
        assert!(!t.grade(&Response::Text { text: "Ngã Bảy".into() }, false).is_correct());
        assert!(!t.grade(&Response::Text { text: "".into() }, false).is_correct());
    }

    #[test]
    fn short_text_knows_vietnamese_spellings_and_abbreviations() {
        let mut t = q(
            Solution::ShortText {
                accepted: vec![
                    "tận dụng thời kỳ vàng".into(),
                    "thành phố Ngã Bảy".into(),
                    "Văn phòng - Tổ chức đảng".into(),
                ],
            },
            &[],
        );
        for ok in [
            "tận dụng thời kì vàng",
            "“tận dụng thời kỳ vàng”",
            "TP. Ngã Bảy",
            "Tp Nga Bay",
            "Văn phòng – Tổ chức Đảng",
            "văn phòng—tổ chức đảng",
        ] {
            assert!(t.grade(&Response::Text { text: ok.into() }, false).is_correct(), "{ok}");
        }
        assert!(!t.grade(&Response::Text { text: "TT Ngã Bảy".into() }, false).is_correct());
        let hoa = q(Solution::ShortText { accepted: vec!["hiện thực hóa khát vọng".into(), "Thủy".into()] }, &[]);
        assert!(hoa.grade(&Response::Text { text: "hiện thực hoá khát vọng".into() }, false).is_correct());
        assert!(hoa.grade(&Response::Text { text: "Thuỷ".into() }, false).is_correct());
        assert!(!hoa.grade(&Response::Text { text: "Thủi".into() }, false).is_correct());
        t.solution = Solution::ShortText { accepted: vec!["Hội Liên hiệp Phụ nữ huyện".into()] };
        assert!(!t.grade(&Response::Text { text: "HLHPN huyện".into() }, false).is_correct());
        t.abbreviations.insert("HLHPN".into(), "Hội Liên hiệp Phụ nữ".into());
        assert!(t.grade(&Response::Text { text: "HLHPN huyện".into() }, false).is_correct());
    }

    #[test]
    fn number_answers_may_come_as_vietnamese_text() {
        for (json, v) in [
            (r#"{"number": 7300}"#, 7300.0),
            (r#"{"number": "7.300"}"#, 7300.0),
            (r#"{"number": "7 300"}"#, 7300.0),
            (r#"{"number": "3,5"}"#, 3.5),
            (r#"{"number": 3.5}"#, 3.5),
        ] {
            assert_eq!(serde_json::from_str::<Response>(json).unwrap(), Response::Number { number: v }, "{json}");
        }
        assert!(serde_json::from_str::<Response>(r#"{"number": "bảy nghìn"}"#).is_err());
        let n = q(Solution::Number { value: 7300.0, tolerance: 0.0 }, &[]);
        let r: Response = serde_json::from_str(r#"{"number": "7.300"}"#).unwrap();
        assert!(n.grade(&r, false).is_correct());
    }

    #[test]
    fn number_within_tolerance() {
        let n = q(Solution::Number { value: 155.0, tolerance: 0.0 }, &[]);
        assert!(n.grade(&Response::Number { number: 155.0 }, false).is_correct());
        assert!(!n.grade(&Response::Number { number: 154.0 }, false).is_correct());
        let n2 = q(Solution::Number { value: 7300.0, tolerance: 50.0 }, &[]);
        assert!(n2.grade(&Response::Number { number: 7340.0 }, false).is_correct());
    }

    #[test]
    fn response_shapes_parse_from_json() {
        let r: Response = serde_json::from_str(r#"{"choice": 2}"#).unwrap();
        assert_eq!(r, Response::Choice { choice: 2 });
        let r: Response = serde_json::from_str(r#"{"choices": [0, 1]}"#).unwrap();
        assert_eq!(r, Response::Choices { choices: vec![0, 1] });
        let r: Response = serde_json::from_str(r#"{"text": "x"}"#).unwrap();
        assert_eq!(r, Response::Text { text: "x".into() });
        assert!(serde_json::from_str::<Response>(r#"{"nope": 1}"#).is_err());
    }

    #[test]
    fn public_view_has_no_solution() {
        let s = q(Solution::Single { option: 1 }, &["a", "b"]);
        let v = serde_json::to_value(s.public()).unwrap();
        assert!(v.get("solution").is_none());
        assert!(v.get("source").is_none());
        assert!(v.get("explanation").is_none());
    }
}
