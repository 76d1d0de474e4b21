//! Reading and checking bank folders. Every problem is reported as `file:line: message`,
//! all of them at once, so a person fixes a bank in one pass. The server runs the same
//! checker at start.
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::format::{self, AnswerValue, BankMeta, Document, Draft, SectionMeta};
use crate::domain::question::{Question, QuestionKind, Solution, Source};
use crate::domain::text::fold;

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// A bank read from disk that passed the checker.
#[derive(Debug, Clone)]
pub struct Bank {
    pub meta: BankMeta,
    pub documents: Vec<Document>,
    pub questions: Vec<Question>,
}

/// Problems as one text, a line each (for errors and the console).
pub fn render(problems: &[Problem]) -> String {
    problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n")
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len())).map_or(1, |s| s.bytes().filter(|b| *b == b'\n').count() + 1)
}

fn toml_problem(file: &Path, text: &str, e: &toml::de::Error, line_offset: usize) -> Problem {
    let line = e.span().map_or(1, |s| line_of(text, s.start)) + line_offset;
    Problem { file: file.to_owned(), line, message: e.message().trim().to_owned() }
}

fn read_text(file: &Path, problems: &mut Vec<Problem>) -> Option<String> {
    match std::fs::read(file) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) => Some(s),
            Err(e) => {
                let off = e.utf8_error().valid_up_to();
                let line = line_of(&String::from_utf8_lossy(&e.into_bytes()[..off]), off);
                problems.push(Problem { file: file.to_owned(), line, message: "the file is not valid UTF-8".into() });
                None
            }
        },
        Err(e) => {
            problems.push(Problem { file: file.to_owned(), line: 1, message: format!("cannot read: {e}") });
            None
        }
    }
}

/// Checks every bank under `root` (each sub-folder with a `bank.toml`; `root` itself when
/// it is a bank). All problems of all banks, or the banks.
pub fn check_all(root: &Path) -> Result<Vec<Bank>, Vec<Problem>> {
    if root.join("bank.toml").is_file() {
        return check_bank(root).map(|b| vec![b]);
    }
    let entries = match std::fs::read_dir(root) {
        Ok(e) => e,
        Err(e) => return Err(vec![Problem { file: root.to_owned(), line: 1, message: format!("cannot read: {e}") }]),
    };
    let mut dirs: Vec<PathBuf> =
        entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.join("bank.toml").is_file()).collect();
    dirs.sort();
    let (mut banks, mut problems) = (Vec::new(), Vec::new());
    for d in dirs {
        match check_bank(&d) {
            Ok(b) => banks.push(b),
            Err(p) => problems.extend(p),
        }
    }
    let mut seen: HashMap<String, ()> = HashMap::new();
    for b in &banks {
        if seen.insert(b.meta.id.clone(), ()).is_some() {
            problems.push(Problem {
                file: root.join(&b.meta.id).join("bank.toml"),
                line: 1,
                message: format!("two banks have the id {:?}", b.meta.id),
            });
        }
    }
    if problems.is_empty() { Ok(banks) } else { Err(problems) }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBank {
    id: Spanned<String>,
    title: String,
    campaign: String,
    year: String,
    sections: Vec<Spanned<SectionMeta>>,
    #[serde(default)]
    abbreviations: Option<Spanned<BTreeMap<String, String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFront {
    title: String,
    publisher: String,
    date: String,
    author: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    section: Spanned<String>,
    #[serde(default)]
    questions: Vec<Spanned<RawQuestion>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: Spanned<String>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    difficulty: Spanned<i64>,
    points: Spanned<f64>,
    time_limit: Spanned<i64>,
    prompt: Spanned<String>,
    options: Option<Spanned<Vec<String>>>,
    answer: Option<Spanned<toml::Value>>,
    accepted: Option<Spanned<Vec<String>>>,
    tolerance: Option<Spanned<f64>>,
    unit: Option<Spanned<String>>,
    #[serde(default)]
    explanation: String,
    #[serde(default)]
    tags: Vec<String>,
    source: Spanned<RawSource>,
    /// A group name, or a list of them.
    group: Option<Spanned<toml::Value>>,
    excludes: Option<Spanned<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    document: String,
    quote: String,
}

fn answer_value(v: &toml::Value) -> Option<AnswerValue> {
    Some(match v {
        toml::Value::Boolean(b) => AnswerValue::Bool(*b),
        toml::Value::Integer(i) => AnswerValue::Number(*i as f64),
        toml::Value::Float(f) => AnswerValue::Number(*f),
        toml::Value::String(s) => AnswerValue::Text(s.clone()),
        toml::Value::Array(a) => {
            AnswerValue::List(a.iter().map(|x| x.as_str().map(String::from)).collect::<Option<Vec<_>>>()?)
        }
        _ => return None,
    })
}

/// Reads and checks one bank folder.
pub fn check_bank(dir: &Path) -> Result<Bank, Vec<Problem>> {
    let mut problems = Vec::new();
    let bank_file = dir.join("bank.toml");
    let meta = read_text(&bank_file, &mut problems).and_then(|text| match toml::from_str::<RawBank>(&text) {
        Ok(raw) => {
            let mut seen: Vec<&str> = Vec::new();
            for s in &raw.sections {
                let id = s.get_ref().id.trim();
                let line = line_of(&text, s.span().start);
                if id.is_empty() || id.contains(char::is_whitespace) {
                    problems.push(Problem { file: bank_file.clone(), line, message: format!("bad section id {id:?}") });
                } else if seen.contains(&id) {
                    problems.push(Problem {
                        file: bank_file.clone(),
                        line,
                        message: format!("duplicate section id {id:?}"),
                    });
                }
                seen.push(id);
            }
            if raw.sections.is_empty() {
                problems.push(Problem { file: bank_file.clone(), line: 1, message: "the bank has no sections".into() });
            }
            let mut abbreviations = BTreeMap::new();
            if let Some(a) = &raw.abbreviations {
                let line = line_of(&text, a.span().start);
                for (k, v) in a.get_ref() {
                    if fold(k).is_empty() || fold(k).contains(' ') {
                        problems.push(Problem {
                            file: bank_file.clone(),
                            line,
                            message: format!("abbreviation {k:?}: an abbreviation is one word"),
                        });
                    } else if fold(v).is_empty() {
                        problems.push(Problem {
                            file: bank_file.clone(),
                            line,
                            message: format!("abbreviation {k:?} stands for nothing"),
                        });
                    }
                    abbreviations.insert(k.trim().to_owned(), v.trim().to_owned());
                }
            }
            let id = raw.id.get_ref().trim().to_owned();
            if id.is_empty() || id.contains(char::is_whitespace) || id.contains('/') {
                problems.push(Problem {
                    file: bank_file.clone(),
                    line: line_of(&text, raw.id.span().start),
                    message: format!("bad bank id {id:?}: use letters, digits and dashes"),
                });
            }
            Some(BankMeta {
                id,
                title: raw.title,
                campaign: raw.campaign,
                year: raw.year,
                sections: raw.sections.into_iter().map(|s| s.into_inner()).collect(),
                abbreviations,
            })
        }
        Err(e) => {
            problems.push(toml_problem(&bank_file, &text, &e, 0));
            None
        }
    });
    let documents = read_documents(&dir.join("documents"), &mut problems);
    let mut questions: Vec<Question> = Vec::new();
    // qid → (file, line) of its first definition
    let mut first: HashMap<String, (PathBuf, usize)> = HashMap::new();
    // where each built question's group and excludes were written, by index in `questions`
    let mut links: Vec<(PathBuf, Option<usize>, Option<usize>)> = Vec::new();
    let qdir = dir.join("questions");
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&qdir) {
        Ok(e) => {
            e.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect()
        }
        Err(e) => {
            problems.push(Problem {
                file: qdir.clone(),
                line: 1,
                message: format!("cannot read the questions folder: {e}"),
            });
            Vec::new()
        }
    };
    files.sort();
    for file in files {
        let Some(text) = read_text(&file, &mut problems) else { continue };
        let raw = match toml::from_str::<RawFile>(&text) {
            Ok(r) => r,
            Err(e) => {
                problems.push(toml_problem(&file, &text, &e, 0));
                continue;
            }
        };
        let at = |off: usize| line_of(&text, off);
        let section = raw.section.get_ref().trim().to_owned();
        if let Some(m) = &meta
            && !m.sections.iter().any(|s| s.id == section)
        {
            problems.push(Problem {
                file: file.clone(),
                line: at(raw.section.span().start),
                message: format!(
                    "unknown section {section:?} (bank.toml has: {})",
                    m.sections.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(", ")
                ),
            });
        }
        for sq in &raw.questions {
            let q = sq.get_ref();
            let qline = at(sq.span().start);
            let mut lines: HashMap<&'static str, usize> = HashMap::new();
            lines.insert("id", at(q.id.span().start));
            lines.insert("type", at(q.kind.span().start));
            lines.insert("difficulty", at(q.difficulty.span().start));
            lines.insert("points", at(q.points.span().start));
            lines.insert("time_limit", at(q.time_limit.span().start));
            lines.insert("prompt", at(q.prompt.span().start));
            lines.insert("source", at(q.source.span().start));
            if let Some(o) = &q.options {
                lines.insert("options", at(o.span().start));
            }
            if let Some(a) = &q.answer {
                lines.insert("answer", at(a.span().start));
            }
            if let Some(a) = &q.accepted {
                lines.insert("accepted", at(a.span().start));
            }
            if let Some(t) = &q.tolerance {
                lines.insert("tolerance", at(t.span().start));
            } else if let Some(u) = &q.unit {
                lines.insert("tolerance", at(u.span().start));
            }
            if let Some(g) = &q.group {
                lines.insert("group", at(g.span().start));
            }
            if let Some(x) = &q.excludes {
                lines.insert("excludes", at(x.span().start));
            }
            let qid = q.id.get_ref().trim().to_owned();
            let mut report = |field: &str, message: String| {
                let line = lines.get(field).copied().unwrap_or(qline);
                problems.push(Problem { file: file.clone(), line, message: format!("{qid}: {message}") });
            };
            let answer = match &q.answer {
                Some(a) => match answer_value(a.get_ref()) {
                    Some(v) => Some(v),
                    None => {
                        report(
                            "answer",
                            "the answer is neither a letter, a list of letters, a boolean nor a number".into(),
                        );
                        continue;
                    }
                },
                None => None,
            };
            let groups: Vec<String> = match q.group.as_ref().map(|g| g.get_ref()) {
                None => Vec::new(),
                Some(toml::Value::String(g)) => vec![g.clone()],
                Some(toml::Value::Array(a)) if a.iter().all(|x| x.is_str()) => {
                    a.iter().filter_map(|x| x.as_str().map(String::from)).collect()
                }
                Some(_) => {
                    report("group", "the group is a name such as \"mo-hinh-76\" or a list of names".into());
                    continue;
                }
            };
            let draft = Draft {
                qid: qid.clone(),
                kind: q.kind.get_ref().clone(),
                difficulty: *q.difficulty.get_ref(),
                points: *q.points.get_ref(),
                time_limit_s: *q.time_limit.get_ref(),
                prompt: q.prompt.get_ref().clone(),
                options: q.options.as_ref().map(|o| o.get_ref().clone()),
                answer,
                accepted: q.accepted.as_ref().map(|a| a.get_ref().clone()),
                tolerance: q.tolerance.as_ref().map(|t| *t.get_ref()),
                unit: q.unit.as_ref().map(|u| u.get_ref().clone()),
                explanation: q.explanation.clone(),
                tags: q.tags.clone(),
                source: Some(Source {
                    document: q.source.get_ref().document.clone(),
                    quote: q.source.get_ref().quote.clone(),
                }),
                groups,
                excludes: q.excludes.as_ref().map(|x| x.get_ref().clone()).unwrap_or_default(),
            };
            if !qid.is_empty() {
                match first.get(&qid) {
                    Some((f, l)) => report("id", format!("duplicate id (first defined at {}:{l})", f.display())),
                    None => {
                        first.insert(qid.clone(), (file.clone(), lines["id"]));
                    }
                }
            }
            match format::build(&draft, meta.as_ref().map_or("", |m| m.id.as_str()), &section) {
                Ok(mut question) => {
                    if let (Some(m), Solution::ShortText { .. }) = (&meta, &question.solution) {
                        question.abbreviations = m.abbreviations.clone();
                    }
                    links.push((file.clone(), lines.get("group").copied(), lines.get("excludes").copied()));
                    if let Some((field, msg)) = format::check_source(&question, &documents) {
                        report(field, msg);
                    }
                    questions.push(question);
                }
                Err(ps) => {
                    for (field, msg) in ps {
                        report(field, msg);
                    }
                }
            }
        }
    }
    check_links(&questions, &links, &mut problems);
    match meta {
        Some(meta) if problems.is_empty() => Ok(Bank { meta, documents, questions }),
        _ => Err(problems),
    }
}

/// Groups and exclusions must name something: a group needs at least two questions (one
/// alone is a typo or a leftover), an excluded id must be a question of the bank.
fn check_links(questions: &[Question], links: &[(PathBuf, Option<usize>, Option<usize>)], problems: &mut Vec<Problem>) {
    let mut members: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for q in questions {
        for g in &q.groups {
            members.entry(g.as_str()).or_default().push(q.qid.as_str());
        }
    }
    for (q, (file, gline, xline)) in questions.iter().zip(links) {
        for g in &q.groups {
            if members.get(g.as_str()).is_some_and(|m| m.len() < 2) {
                problems.push(Problem {
                    file: file.clone(),
                    line: gline.unwrap_or(1),
                    message: format!(
                        "{}: group {g:?} has no other question (a group names questions that must not meet)",
                        q.qid
                    ),
                });
            }
        }
        for x in &q.excludes {
            if !questions.iter().any(|o| o.qid == *x) {
                problems.push(Problem {
                    file: file.clone(),
                    line: xline.unwrap_or(1),
                    message: format!("{}: excludes {x:?}, which is not a question of this bank", q.qid),
                });
            }
        }
    }
}

/// Reads `documents/*.md`: `+++` TOML front matter `+++`, then the body.
fn read_documents(dir: &Path, problems: &mut Vec<Problem>) -> Vec<Document> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> =
        entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "md")).collect();
    files.sort();
    let mut docs = Vec::new();
    for file in files {
        let Some(text) = read_text(&file, problems) else { continue };
        let id = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        match parse_document(&id, &text) {
            Ok(d) => docs.push(d),
            Err((line, message)) => problems.push(Problem { file: file.clone(), line, message }),
        }
    }
    docs
}

/// Parses a document's text; an error is `(line, message)`.
pub fn parse_document(id: &str, text: &str) -> Result<Document, (usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = text.strip_prefix("+++\n").or_else(|| text.strip_prefix("+++\r\n")) else {
        return Err((1, "the document must begin with TOML front matter between `+++` lines".into()));
    };
    let Some(end) = rest.find("\n+++") else {
        return Err((1, "the front matter has no closing `+++` line".into()));
    };
    let front = &rest[..end + 1];
    let body = rest[end + 4..].trim_start_matches(['\r', '\n']).to_owned();
    let raw: RawFront = toml::from_str(front)
        .map_err(|e| (e.span().map_or(1, |s| line_of(front, s.start)) + 1, e.message().trim().to_owned()))?;
    if body.trim().is_empty() {
        return Err((line_of(text, text.len()), "the document has no body".into()));
    }
    Ok(Document {
        id: id.to_owned(),
        title: raw.title,
        publisher: raw.publisher,
        date: raw.date,
        author: raw.author,
        body,
    })
}

/// The summary printed when a bank is clean: counts per section and per type.
pub fn summary(bank: &Bank) -> String {
    let mut out = format!(
        "{}: {} questions, {} documents — {}\n",
        bank.meta.id,
        bank.questions.len(),
        bank.documents.len(),
        bank.meta.title
    );
    out.push_str("  by section:\n");
    for s in &bank.meta.sections {
        let n = bank.questions.iter().filter(|q| q.section == s.id).count();
        let mut by_d = [0usize; 3];
        for q in bank.questions.iter().filter(|q| q.section == s.id) {
            if let Some(c) = by_d.get_mut(q.difficulty.saturating_sub(1) as usize) {
                *c += 1;
            }
        }
        out.push_str(&format!("    {:<12} {:>4}  (difficulty 1/2/3: {}/{}/{})\n", s.id, n, by_d[0], by_d[1], by_d[2]));
    }
    out.push_str("  by type:\n");
    let mut by_t: BTreeMap<QuestionKind, usize> = BTreeMap::new();
    for q in &bank.questions {
        *by_t.entry(q.kind()).or_default() += 1;
    }
    for k in QuestionKind::ALL {
        out.push_str(&format!("    {:<12} {:>4}\n", k.as_str(), by_t.get(&k).copied().unwrap_or(0)));
    }
    let mut groups: BTreeMap<&str, usize> = BTreeMap::new();
    for g in bank.questions.iter().flat_map(|q| &q.groups) {
        *groups.entry(g.as_str()).or_default() += 1;
    }
    let excludes: usize = bank.questions.iter().map(|q| q.excludes.len()).sum();
    out.push_str(&format!(
        "  questions that must not meet: {} groups ({} questions), {} exclusions\n",
        groups.len(),
        groups.values().sum::<usize>(),
        excludes
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_bank_is_clean() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("question_banks");
        let banks = check_all(&root).map_err(|p| render(&p)).unwrap();
        let b = banks.iter().find(|b| b.meta.id == "chuyen-de-2024-2025").unwrap();
        assert_eq!(b.questions.len(), 88);
        assert!(summary(b).contains("phan-1"));
    }

    #[test]
    fn line_numbers() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 4), 3);
    }
}
