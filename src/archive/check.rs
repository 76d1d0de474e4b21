//! Reading an archive and proving it whole before anything is written: the schema
//! version, the JSON, every id unique in its list and every reference pointing at a
//! record the archive holds. Each refusal names the place as a path into the document
//! (`answers[17].team`) with a stable `reason`. Pure: no database.
use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Archive, SCHEMA};
use crate::domain::part::{AnswerPolicy, PartKind, Scoring};
use crate::domain::question::{Question, Response};
use crate::domain::ranking::TieBreak;
use crate::error::{ApiError, ApiResult};

fn bad(field: impl Into<String>, reason: &'static str, params: Value, message: impl Into<String>) -> ApiError {
    ApiError::invalid_because(field, reason, params, message)
}

/// Parses an archive: first its schema version (an archive of another version is refused
/// as such, whatever else it holds), then the whole document, naming the path of a field
/// of the wrong type or an unknown one.
pub fn parse(bytes: &[u8]) -> ApiResult<Archive> {
    #[derive(Deserialize)]
    struct Head {
        schema: Option<Value>,
    }
    let head: Head = serde_json::from_slice(bytes).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            ApiError::bad_request("malformed_json", format!("the archive is not valid JSON: {e}"))
        } else {
            bad("schema", "not_an_archive", json!({}), "this is not a hoithi archive (a JSON object with `schema`)")
        }
    })?;
    match head.schema {
        Some(Value::String(s)) if s == SCHEMA => {}
        Some(Value::String(s)) => {
            return Err(bad(
                "schema",
                "unsupported_schema",
                json!({ "found": s, "expected": SCHEMA }),
                format!(
                    "this archive is in the format {s:?}; this server reads {SCHEMA} only (export it again from a \
                     server of this version)"
                ),
            ));
        }
        _ => {
            return Err(bad(
                "schema",
                "not_an_archive",
                json!({ "expected": SCHEMA }),
                format!("this is not a hoithi archive: `schema` must be {SCHEMA:?}"),
            ));
        }
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.inner().to_string();
        let msg = msg.rfind(" at line ").map_or(msg.clone(), |i| msg[..i].to_owned());
        ApiError::invalid(if path == "." { "archive".to_owned() } else { path }, msg)
    })
}

/// Index of each id in its list; a repeated id is refused at its second place.
fn index<K: std::hash::Hash + Eq + Copy + std::fmt::Display>(
    list: &str,
    ids: impl Iterator<Item = K>,
) -> ApiResult<HashMap<K, usize>> {
    let mut out = HashMap::new();
    for (i, id) in ids.enumerate() {
        if let Some(first) = out.insert(id, i) {
            return Err(bad(
                format!("{list}[{i}].id"),
                "duplicate_id",
                json!({ "id": id.to_string(), "first": format!("{list}[{first}]") }),
                format!("id {id} is already used by {list}[{first}]"),
            ));
        }
    }
    Ok(out)
}

fn missing(place: String, what: &str, id: impl std::fmt::Display) -> ApiError {
    bad(
        place,
        "unknown_reference",
        json!({ "list": what, "id": id.to_string() }),
        format!("the archive holds no {what} with id {id}"),
    )
}

/// Proves every reference of the archive; the totals are checked by the import against
/// the board it recomputes.
pub fn check(a: &Archive) -> ApiResult<()> {
    if let Some(marks) = &a.marks
        && !marks.is_empty()
    {
        return Err(bad(
            "marks",
            "marks_unsupported",
            json!({ "count": marks.len() }),
            "this archive holds judges' marks, which this server cannot import yet; nothing was imported",
        ));
    }
    if !matches!(a.contest.captain_policy.as_str(), "first_join" | "organiser") {
        return Err(ApiError::invalid("contest.captain_policy", "must be first_join or organiser"));
    }
    let teams = index("teams", a.teams.iter().map(|t| t.id))?;
    let mut names = HashMap::new();
    for (i, t) in a.teams.iter().enumerate() {
        if let Some(first) = names.insert(t.name.as_str(), i) {
            return Err(bad(
                format!("teams[{i}].name"),
                "duplicate_name",
                json!({ "name": t.name, "first": format!("teams[{first}]") }),
                format!("the team name {:?} is already used by teams[{first}]", t.name),
            ));
        }
    }
    let contestants = index("contestants", a.contestants.iter().map(|c| c.id))?;
    index("judges", a.judges.iter().map(|j| j.id))?;
    let parts = index("parts", a.parts.iter().map(|p| p.id))?;
    let questions = index("questions", a.questions.iter().map(|q| q.id))?;
    index("answers", a.answers.iter().map(|x| x.id))?;
    index("adjustments", a.adjustments.iter().map(|x| x.id))?;
    index("audit", a.audit.iter().map(|x| x.id))?;

    for (i, c) in a.contestants.iter().enumerate() {
        if !teams.contains_key(&c.team) {
            return Err(missing(format!("contestants[{i}].team"), "team", c.team));
        }
    }
    for (i, p) in a.parts.iter().enumerate() {
        if let Some(j) = p.tie_break_teams.iter().position(|t| !teams.contains_key(t)) {
            return Err(missing(format!("parts[{i}].tie_break_teams[{j}]"), "team", p.tie_break_teams[j]));
        }
        if PartKind::parse(&p.kind).is_none() {
            return Err(ApiError::invalid(format!("parts[{i}].kind"), "must be quiz, buzzer, judged or elimination"));
        }
        if AnswerPolicy::parse(&p.answer_policy).is_none() {
            return Err(ApiError::invalid(format!("parts[{i}].answer_policy"), "must be captain_only or last_answer"));
        }
        if let Err(e) = Scoring::deserialize(&p.scoring) {
            return Err(ApiError::invalid(format!("parts[{i}].scoring"), e.to_string()));
        }
        if !matches!(p.status.as_str(), "pending" | "running" | "finished") {
            return Err(ApiError::invalid(format!("parts[{i}].status"), "must be pending, running or finished"));
        }
    }
    for (i, t) in a.tie_breakers.iter().enumerate() {
        if let TieBreak::Part { part_id } = t
            && !parts.contains_key(part_id)
        {
            return Err(missing(format!("tie_breakers[{i}].part_id"), "part", part_id));
        }
    }
    let mut positions = HashSet::new();
    for (i, q) in a.questions.iter().enumerate() {
        if !parts.contains_key(&q.part) {
            return Err(missing(format!("questions[{i}].part"), "part", q.part));
        }
        if !positions.insert((q.part, q.position)) {
            return Err(bad(
                format!("questions[{i}].position"),
                "duplicate_position",
                json!({ "part": q.part, "position": q.position }),
                format!("part {} already has a question at position {}", q.part, q.position),
            ));
        }
        if let Err(e) = Question::deserialize(&q.question) {
            return Err(ApiError::invalid(format!("questions[{i}].question"), e.to_string()));
        }
        if !matches!(q.status.as_str(), "pending" | "open" | "paused" | "closed" | "revealed" | "voided") {
            return Err(ApiError::invalid(
                format!("questions[{i}].status"),
                "must be pending, open, paused, closed, revealed or voided",
            ));
        }
    }
    let mut submissions = HashMap::new();
    for (i, x) in a.answers.iter().enumerate() {
        if !questions.contains_key(&x.question) {
            return Err(missing(format!("answers[{i}].question"), "question", x.question));
        }
        if !teams.contains_key(&x.team) {
            return Err(missing(format!("answers[{i}].team"), "team", x.team));
        }
        let Some(&c) = contestants.get(&x.contestant) else {
            return Err(missing(format!("answers[{i}].contestant"), "contestant", x.contestant));
        };
        let of = a.contestants[c].team;
        if of != x.team {
            return Err(bad(
                format!("answers[{i}].contestant"),
                "contestant_of_other_team",
                json!({ "contestant": x.contestant, "team": of, "answer_team": x.team }),
                format!("contestant {} is a member of team {of}, not of team {}", x.contestant, x.team),
            ));
        }
        if let Some(first) = submissions.insert((x.contestant, x.submission_id.as_str()), i) {
            return Err(bad(
                format!("answers[{i}].submission_id"),
                "duplicate_submission",
                json!({ "first": format!("answers[{first}]") }),
                format!(
                    "contestant {} sent submission {:?} already in answers[{first}]",
                    x.contestant, x.submission_id
                ),
            ));
        }
        if let Err(e) = Response::deserialize(&x.response) {
            return Err(ApiError::invalid(format!("answers[{i}].response"), e.to_string()));
        }
    }
    for (i, x) in a.adjustments.iter().enumerate() {
        if !teams.contains_key(&x.team) {
            return Err(missing(format!("adjustments[{i}].team"), "team", x.team));
        }
        if let Some(p) = x.part
            && !parts.contains_key(&p)
        {
            return Err(missing(format!("adjustments[{i}].part"), "part", p));
        }
    }
    let mut ranked = HashSet::new();
    for (i, r) in a.results.rows.iter().enumerate() {
        if !teams.contains_key(&r.team) {
            return Err(missing(format!("results.rows[{i}].team"), "team", r.team));
        }
        if !ranked.insert(r.team) {
            return Err(bad(
                format!("results.rows[{i}].team"),
                "duplicate_row",
                json!({ "team": r.team }),
                format!("team {} has two rows in the results", r.team),
            ));
        }
        for (j, s) in r.parts.iter().enumerate() {
            if !parts.contains_key(&s.part) {
                return Err(missing(format!("results.rows[{i}].parts[{j}].part"), "part", s.part));
            }
        }
    }
    if let Some(t) = a.teams.iter().find(|t| !ranked.contains(&t.id)) {
        return Err(bad(
            "results.rows",
            "team_not_in_results",
            json!({ "team": t.id }),
            format!("team {} ({}) has no row in the results", t.id, t.name),
        ));
    }
    Ok(())
}
