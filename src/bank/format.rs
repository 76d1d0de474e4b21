//! The bank format and the one question validator shared by bank files, spreadsheet
//! imports and the organiser API: a `Draft` (what a person wrote) becomes a domain
//! `Question` or a list of `(field, message)` problems.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::question::{Question, QuestionKind, Solution, Source};
use crate::domain::text::{fold, normalize_ws};

/// `bank.toml`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BankMeta {
    pub id: String,
    pub title: String,
    pub campaign: String,
    pub year: String,
    pub sections: Vec<SectionMeta>,
    /// `[abbreviations]`: the bank's own, on top of the built-in ones
    /// (`domain::text::DEFAULT_ABBREVIATIONS`); short answers may use either.
    #[serde(default)]
    pub abbreviations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct SectionMeta {
    pub id: String,
    pub title: String,
}

/// A source document: `documents/<id>.md` with TOML front matter between `+++` lines.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Document {
    pub id: String,
    pub title: String,
    pub publisher: String,
    pub date: String,
    pub author: String,
    pub body: String,
}

/// The answer as a person writes it: a letter, a list of letters, true/false or a number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum AnswerValue {
    Bool(bool),
    Number(f64),
    Text(String),
    List(Vec<String>),
}

/// A question as written, before validation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Draft {
    pub qid: String,
    pub kind: String,
    pub difficulty: i64,
    pub points: f64,
    pub time_limit_s: i64,
    pub prompt: String,
    pub options: Option<Vec<String>>,
    pub answer: Option<AnswerValue>,
    pub accepted: Option<Vec<String>>,
    pub tolerance: Option<f64>,
    pub unit: Option<String>,
    pub explanation: String,
    pub tags: Vec<String>,
    pub source: Option<Source>,
    /// Groups of questions that answer each other (see `Question::groups`).
    pub groups: Vec<String>,
    /// Ids of questions that must not meet this one (see `Question::excludes`).
    pub excludes: Vec<String>,
}

/// A problem with one field of a draft.
pub type FieldProblem = (&'static str, String);

/// Letter of the option at `i` (0 → "A").
pub fn letter(i: usize) -> String {
    char::from_u32('A' as u32 + i as u32).map(String::from).unwrap_or_else(|| format!("#{i}"))
}

fn letter_index(s: &str, n: usize) -> Result<usize, String> {
    let t = s.trim();
    let mut chars = t.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_alphabetic() => {
            let i = (c.to_ascii_uppercase() as u8 - b'A') as usize;
            if i < n {
                Ok(i)
            } else {
                Err(format!("answer {t:?} is out of range: there are {n} options (A..{})", letter(n.saturating_sub(1))))
            }
        }
        _ => Err(format!("answer {t:?} is not an option letter (A, B, C…)")),
    }
}

/// Validates a draft into a question of `bank`/`section`. Checks the shape only; whether
/// the section exists and the quote is in its document is the caller's business (it
/// knows the bank).
pub fn build(d: &Draft, bank: &str, section: &str) -> Result<Question, Vec<FieldProblem>> {
    let mut p: Vec<FieldProblem> = Vec::new();
    let qid = d.qid.trim();
    if qid.is_empty() {
        p.push(("id", "the id is empty".into()));
    } else if qid.chars().any(|c| c.is_whitespace()) {
        p.push(("id", format!("the id {qid:?} contains spaces")));
    }
    let kind = QuestionKind::parse(d.kind.trim());
    if kind.is_none() {
        p.push(("type", format!("unknown type {:?}: use single, multiple, true_false, short_text or number", d.kind)));
    }
    if !(1..=3).contains(&d.difficulty) {
        p.push(("difficulty", format!("difficulty {} is out of range 1..3", d.difficulty)));
    }
    if !d.points.is_finite() || d.points <= 0.0 {
        p.push(("points", format!("points must be a positive number, not {}", d.points)));
    }
    if !(1..=3600).contains(&d.time_limit_s) {
        p.push(("time_limit", format!("time limit {} s is out of range 1..3600", d.time_limit_s)));
    }
    if d.prompt.trim().is_empty() {
        p.push(("prompt", "the prompt is empty".into()));
    }
    let opts: Vec<String> = d.options.clone().unwrap_or_default();
    let needs_options = matches!(kind, Some(QuestionKind::Single | QuestionKind::Multiple));
    if needs_options {
        if opts.len() < 2 {
            p.push(("options", format!("a {} question needs at least 2 options, found {}", d.kind, opts.len())));
        }
        let mut seen: Vec<String> = Vec::new();
        for (i, o) in opts.iter().enumerate() {
            if o.trim().is_empty() {
                p.push(("options", format!("option {} is empty", letter(i))));
                continue;
            }
            let f = fold(o);
            if let Some(j) = seen.iter().position(|s| *s == f) {
                p.push(("options", format!("option {} duplicates option {} ({:?})", letter(i), letter(j), o.trim())));
            }
            seen.push(f);
        }
    } else if kind.is_some() && !opts.is_empty() {
        p.push(("options", format!("a {} question has no options", d.kind)));
    }
    if kind.is_some() && kind != Some(QuestionKind::ShortText) && d.accepted.is_some() {
        p.push(("accepted", "`accepted` belongs to short_text questions only".into()));
    }
    if kind.is_some() && kind != Some(QuestionKind::Number) && (d.tolerance.is_some() || d.unit.is_some()) {
        p.push(("tolerance", "`tolerance` and `unit` belong to number questions only".into()));
    }
    let solution = match kind {
        Some(QuestionKind::Single) => match &d.answer {
            Some(AnswerValue::Text(s)) => match letter_index(s, opts.len()) {
                Ok(i) => Some(Solution::Single { option: i }),
                Err(e) => {
                    p.push(("answer", e));
                    None
                }
            },
            None => {
                p.push(("answer", "the answer is missing (a letter such as \"B\")".into()));
                None
            }
            Some(_) => {
                p.push(("answer", "a single-choice answer is one letter such as \"B\"".into()));
                None
            }
        },
        Some(QuestionKind::Multiple) => {
            let letters: Option<Vec<String>> = match &d.answer {
                Some(AnswerValue::List(l)) => Some(l.clone()),
                Some(AnswerValue::Text(s)) => {
                    Some(s.split([',', ';', ' ']).filter(|x| !x.is_empty()).map(String::from).collect())
                }
                _ => None,
            };
            match letters {
                Some(l) if !l.is_empty() => {
                    let mut idx = Vec::new();
                    for s in &l {
                        match letter_index(s, opts.len()) {
                            Ok(i) if idx.contains(&i) => {
                                p.push(("answer", format!("answer {} is listed twice", letter(i))))
                            }
                            Ok(i) => idx.push(i),
                            Err(e) => p.push(("answer", e)),
                        }
                    }
                    idx.sort_unstable();
                    Some(Solution::Multiple { options: idx })
                }
                _ => {
                    p.push(("answer", "a multiple-choice answer is a list of letters such as [\"A\", \"C\"]".into()));
                    None
                }
            }
        }
        Some(QuestionKind::TrueFalse) => match &d.answer {
            Some(AnswerValue::Bool(b)) => Some(Solution::TrueFalse { value: *b }),
            _ => {
                p.push(("answer", "a true_false answer is true or false".into()));
                None
            }
        },
        Some(QuestionKind::ShortText) => {
            if d.answer.is_some() {
                p.push(("answer", "a short_text question lists its answers in `accepted`, not `answer`".into()));
            }
            let acc: Vec<String> = d.accepted.clone().unwrap_or_default().iter().map(|s| s.trim().to_owned()).collect();
            if acc.is_empty() {
                p.push(("accepted", "a short_text question needs at least one accepted answer".into()));
            } else if acc.iter().any(|a| fold(a).is_empty()) {
                p.push(("accepted", "an accepted answer is empty".into()));
            }
            Some(Solution::ShortText { accepted: acc })
        }
        Some(QuestionKind::Number) => {
            let tol = d.tolerance.unwrap_or(0.0);
            if !tol.is_finite() || tol < 0.0 {
                p.push(("tolerance", format!("tolerance must be a number ≥ 0, not {tol}")));
            }
            match &d.answer {
                Some(AnswerValue::Number(v)) if v.is_finite() => Some(Solution::Number { value: *v, tolerance: tol }),
                _ => {
                    p.push(("answer", "a number question's answer is a number".into()));
                    None
                }
            }
        }
        None => None,
    };
    let groups: Vec<String> = d.groups.iter().map(|g| g.trim().to_owned()).collect();
    for g in &groups {
        if g.is_empty() || g.contains(char::is_whitespace) {
            p.push(("group", format!("bad group name {g:?}: use letters, digits and dashes")));
        }
    }
    let excludes: Vec<String> = d.excludes.iter().map(|x| x.trim().to_owned()).collect();
    for x in &excludes {
        if x.is_empty() {
            p.push(("excludes", "an excluded question id is empty".into()));
        } else if x == qid {
            p.push(("excludes", format!("the question excludes itself ({x:?})")));
        }
    }
    let source = d.source.clone().unwrap_or(Source { document: String::new(), quote: String::new() });
    match (solution, p.is_empty()) {
        (Some(solution), true) => Ok(Question {
            qid: qid.to_owned(),
            bank: bank.to_owned(),
            section: section.to_owned(),
            prompt: d.prompt.trim().to_owned(),
            options: if needs_options { opts.iter().map(|o| o.trim().to_owned()).collect() } else { Vec::new() },
            solution,
            explanation: d.explanation.trim().to_owned(),
            difficulty: d.difficulty as u8,
            points: d.points,
            time_limit_s: d.time_limit_s as u32,
            tags: d.tags.iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect(),
            source: Source { document: source.document.trim().to_owned(), quote: source.quote.trim().to_owned() },
            unit: d.unit.clone().map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()),
            groups,
            excludes,
            abbreviations: Default::default(),
        }),
        _ => Err(p),
    }
}

/// The draft a question came from (for export and editing): the inverse of `build`.
pub fn draft_of(q: &Question) -> Draft {
    let (answer, accepted, tolerance) = match &q.solution {
        Solution::Single { option } => (Some(AnswerValue::Text(letter(*option))), None, None),
        Solution::Multiple { options } => {
            (Some(AnswerValue::List(options.iter().map(|i| letter(*i)).collect())), None, None)
        }
        Solution::TrueFalse { value } => (Some(AnswerValue::Bool(*value)), None, None),
        Solution::ShortText { accepted } => (None, Some(accepted.clone()), None),
        Solution::Number { value, tolerance } => (Some(AnswerValue::Number(*value)), None, Some(*tolerance)),
    };
    Draft {
        qid: q.qid.clone(),
        kind: q.kind().as_str().to_owned(),
        difficulty: q.difficulty as i64,
        points: q.points,
        time_limit_s: q.time_limit_s as i64,
        prompt: q.prompt.clone(),
        options: if q.options.is_empty() { None } else { Some(q.options.clone()) },
        answer,
        accepted,
        tolerance,
        unit: q.unit.clone(),
        explanation: q.explanation.clone(),
        tags: q.tags.clone(),
        source: if q.source.document.is_empty() { None } else { Some(q.source.clone()) },
        groups: q.groups.clone(),
        excludes: q.excludes.clone(),
    }
}

/// Where a question's source fails: unknown document, or a quote not found in it
/// (compared after NFC and whitespace folding). `documents` are the bank's documents.
///
/// A bank without documents (organisers' own questions) may have questions without a
/// source; once a bank has documents every question must cite one, so the checker can
/// prove every answer.
pub fn check_source(q: &Question, documents: &[Document]) -> Option<FieldProblem> {
    if q.source.document.is_empty() && q.source.quote.is_empty() {
        if documents.is_empty() {
            return None;
        }
        return Some(("source", "the source is missing: give the document and a verbatim quote".into()));
    }
    let Some(doc) = documents.iter().find(|d| d.id == q.source.document) else {
        let known: Vec<&str> = documents.iter().map(|d| d.id.as_str()).collect();
        return Some((
            "source",
            format!(
                "unknown document {:?} (the bank has: {})",
                q.source.document,
                if known.is_empty() { "none".into() } else { known.join(", ") }
            ),
        ));
    };
    let quote = normalize_ws(&q.source.quote);
    if quote.is_empty() {
        return Some(("source", "the quote is empty".into()));
    }
    if !normalize_ws(&doc.body).contains(&quote) {
        return Some(("source", format!("quote not found in document {:?}: {:?}", doc.id, q.source.quote)));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> Draft {
        Draft {
            qid: "x-1".into(),
            kind: "single".into(),
            difficulty: 1,
            points: 10.0,
            time_limit_s: 20,
            prompt: "Hỏi?".into(),
            options: Some(vec!["Một".into(), "Hai".into()]),
            answer: Some(AnswerValue::Text("B".into())),
            ..Default::default()
        }
    }

    #[test]
    fn builds_and_round_trips() {
        let q = build(&draft(), "b", "phan-1").unwrap();
        assert_eq!(q.solution, Solution::Single { option: 1 });
        assert_eq!(build(&draft_of(&q), "b", "phan-1").unwrap(), q);
    }

    #[test]
    fn names_each_bad_field() {
        let mut d = draft();
        d.answer = Some(AnswerValue::Text("C".into()));
        d.options = Some(vec!["Một".into(), " một ".into(), "".into()]);
        let e = build(&d, "b", "s").unwrap_err();
        assert!(e.iter().any(|(f, m)| *f == "options" && m.contains("duplicates")), "{e:?}");
        assert!(e.iter().any(|(f, m)| *f == "options" && m.contains("empty")), "{e:?}");
        let mut d = draft();
        d.answer = Some(AnswerValue::Text("E".into()));
        let e = build(&d, "b", "s").unwrap_err();
        assert!(e[0].1.contains("out of range"), "{e:?}");
        let mut d = draft();
        d.difficulty = 4;
        d.kind = "essay".into();
        let e = build(&d, "b", "s").unwrap_err();
        assert_eq!(e.iter().map(|x| x.0).collect::<Vec<_>>(), vec!["type", "difficulty"]);
    }

    #[test]
    fn quote_matches_after_nfc_and_whitespace_folding() {
        use unicode_normalization::UnicodeNormalization;
        let doc = Document {
            id: "d".into(),
            title: "t".into(),
            publisher: "p".into(),
            date: "2024".into(),
            author: "a".into(),
            body: "Thị trấn   Ngã Sáu\nđạt chuẩn".into(),
        };
        let mut q = build(&draft(), "b", "s").unwrap();
        q.source = Source { document: "d".into(), quote: "Ngã Sáu đạt".nfd().collect() };
        assert_eq!(check_source(&q, std::slice::from_ref(&doc)), None);
        q.source.quote = "Ngã Bảy".into();
        assert!(check_source(&q, std::slice::from_ref(&doc)).unwrap().1.contains("not found"));
        q.source.document = "other".into();
        assert!(check_source(&q, &[doc]).unwrap().1.contains("unknown document"));
    }
}
