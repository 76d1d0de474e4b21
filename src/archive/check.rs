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
    let judges = index("judges", a.judges.iter().map(|j| j.id))?;
    let parts = index("parts", a.parts.iter().map(|p| p.id))?;
    let questions = index("questions", a.questions.iter().map(|q| q.id))?;
    index("answers", a.answers.iter().map(|x| x.id))?;
    index("adjustments", a.adjustments.iter().map(|x| x.id))?;
    index("audit", a.audit.iter().map(|x| x.id))?;
    index("marks", a.marks.iter().map(|x| x.id))?;
    index("sheets", a.sheets.iter().map(|x| x.id))?;
    index("rescues", a.rescues.iter().map(|x| x.id))?;
    index("buzzes", a.buzzes.iter().map(|x| x.id))?;
    index("buzzer_marks", a.buzzer_marks.iter().map(|x| x.id))?;

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
    judged(a, &teams, &judges, &parts)?;
    rescues(a, &contestants, &parts, &questions)?;
    buzzer(a, &teams, &contestants, &parts, &questions)?;
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

/// A part reference that must name a part of the given kind.
fn part_of_kind(a: &Archive, parts: &HashMap<i32, usize>, place: String, id: i32, kind: &'static str) -> ApiResult<()> {
    let Some(&i) = parts.get(&id) else {
        return Err(missing(place, "part", id));
    };
    if a.parts[i].kind != kind {
        return Err(bad(
            place,
            "wrong_part_kind",
            json!({ "part": id, "kind": a.parts[i].kind, "expected": kind }),
            format!("part {id} is a {} part, not a {kind} part", a.parts[i].kind),
        ));
    }
    Ok(())
}

fn repeated(place: String, first: String, what: &str) -> ApiError {
    bad(place, "duplicate_entry", json!({ "first": first }), format!("{what} is already in {first}"))
}

/// Marks, sheets, releases and orders of judged parts: every part a judged one, every
/// team and judge in the archive, every criterion in the part's rubric, one entry per key.
fn judged(
    a: &Archive,
    teams: &HashMap<i32, usize>,
    judges: &HashMap<i32, usize>,
    parts: &HashMap<i32, usize>,
) -> ApiResult<()> {
    let mut seen = HashMap::new();
    for (i, m) in a.marks.iter().enumerate() {
        part_of_kind(a, parts, format!("marks[{i}].part"), m.part, "judged")?;
        if !judges.contains_key(&m.judge) {
            return Err(missing(format!("marks[{i}].judge"), "judge", m.judge));
        }
        if !teams.contains_key(&m.team) {
            return Err(missing(format!("marks[{i}].team"), "team", m.team));
        }
        let criteria = a.parts[parts[&m.part]].rubric["criteria"].as_array().map_or(0, Vec::len);
        if m.criterion < 0 || m.criterion as usize >= criteria {
            return Err(bad(
                format!("marks[{i}].criterion"),
                "unknown_criterion",
                json!({ "part": m.part, "criterion": m.criterion, "criteria": criteria }),
                format!("part {} has {criteria} criteria; there is no criterion {}", m.part, m.criterion),
            ));
        }
        if !m.points.is_finite() || m.points < 0.0 {
            return Err(ApiError::invalid(format!("marks[{i}].points"), "must be a number of points, 0 or more"));
        }
        if let Some(first) = seen.insert((m.part, m.team, m.judge, m.criterion), i) {
            return Err(repeated(format!("marks[{i}]"), format!("marks[{first}]"), "this judge's mark"));
        }
    }
    let mut seen = HashMap::new();
    for (i, x) in a.sheets.iter().enumerate() {
        part_of_kind(a, parts, format!("sheets[{i}].part"), x.part, "judged")?;
        if !judges.contains_key(&x.judge) {
            return Err(missing(format!("sheets[{i}].judge"), "judge", x.judge));
        }
        if !teams.contains_key(&x.team) {
            return Err(missing(format!("sheets[{i}].team"), "team", x.team));
        }
        if let Some(first) = seen.insert((x.part, x.team, x.judge), i) {
            return Err(repeated(format!("sheets[{i}]"), format!("sheets[{first}]"), "this judge's sheet"));
        }
    }
    let mut seen = HashMap::new();
    for (i, x) in a.releases.iter().enumerate() {
        part_of_kind(a, parts, format!("releases[{i}].part"), x.part, "judged")?;
        if !teams.contains_key(&x.team) {
            return Err(missing(format!("releases[{i}].team"), "team", x.team));
        }
        if let Some(first) = seen.insert((x.part, x.team), i) {
            return Err(repeated(format!("releases[{i}]"), format!("releases[{first}]"), "this release"));
        }
    }
    let mut seen = HashMap::new();
    for (i, x) in a.performance_orders.iter().enumerate() {
        part_of_kind(a, parts, format!("performance_orders[{i}].part"), x.part, "judged")?;
        if let Some(j) = x.teams.iter().position(|t| !teams.contains_key(t)) {
            return Err(missing(format!("performance_orders[{i}].teams[{j}]"), "team", x.teams[j]));
        }
        if let Some(first) = seen.insert(x.part, i) {
            return Err(repeated(
                format!("performance_orders[{i}].part"),
                format!("performance_orders[{first}]"),
                "this part's order",
            ));
        }
    }
    Ok(())
}

/// Rescues: an elimination part, a contestant of the archive, a question of that part.
fn rescues(
    a: &Archive,
    contestants: &HashMap<i32, usize>,
    parts: &HashMap<i32, usize>,
    questions: &HashMap<i32, usize>,
) -> ApiResult<()> {
    for (i, r) in a.rescues.iter().enumerate() {
        part_of_kind(a, parts, format!("rescues[{i}].part"), r.part, "elimination")?;
        if !contestants.contains_key(&r.contestant) {
            return Err(missing(format!("rescues[{i}].contestant"), "contestant", r.contestant));
        }
        let Some(&q) = questions.get(&r.after_question) else {
            return Err(missing(format!("rescues[{i}].after_question"), "question", r.after_question));
        };
        if a.questions[q].part != r.part {
            return Err(bad(
                format!("rescues[{i}].after_question"),
                "question_of_other_part",
                json!({ "question": r.after_question, "part": a.questions[q].part, "rescue_part": r.part }),
                format!(
                    "question {} belongs to part {}, not to part {}",
                    r.after_question, a.questions[q].part, r.part
                ),
            ));
        }
    }
    Ok(())
}

/// A question reference that must name a question of a buzzer part.
fn buzzer_question(
    a: &Archive,
    parts: &HashMap<i32, usize>,
    questions: &HashMap<i32, usize>,
    place: String,
    id: i32,
) -> ApiResult<()> {
    let Some(&q) = questions.get(&id) else {
        return Err(missing(place, "question", id));
    };
    let part = a.questions[q].part;
    let kind = &a.parts[parts[&part]].kind;
    if kind != "buzzer" {
        return Err(bad(
            place,
            "wrong_part_kind",
            json!({ "question": id, "part": part, "kind": kind, "expected": "buzzer" }),
            format!("question {id} belongs to part {part}, a {kind} part, not a buzzer part"),
        ));
    }
    Ok(())
}

/// Presses and marks of buzzer parts: every question one of a buzzer part, every team and
/// contestant in the archive (a press's contestant a member of its team), one press per
/// place in a question's receive order and one mark per team and question.
fn buzzer(
    a: &Archive,
    teams: &HashMap<i32, usize>,
    contestants: &HashMap<i32, usize>,
    parts: &HashMap<i32, usize>,
    questions: &HashMap<i32, usize>,
) -> ApiResult<()> {
    let mut seen = HashMap::new();
    for (i, b) in a.buzzes.iter().enumerate() {
        buzzer_question(a, parts, questions, format!("buzzes[{i}].question"), b.question)?;
        if !teams.contains_key(&b.team) {
            return Err(missing(format!("buzzes[{i}].team"), "team", b.team));
        }
        let Some(&c) = contestants.get(&b.contestant) else {
            return Err(missing(format!("buzzes[{i}].contestant"), "contestant", b.contestant));
        };
        let of = a.contestants[c].team;
        if of != b.team {
            return Err(bad(
                format!("buzzes[{i}].contestant"),
                "contestant_of_other_team",
                json!({ "contestant": b.contestant, "team": of, "buzz_team": b.team }),
                format!("contestant {} is a member of team {of}, not of team {}", b.contestant, b.team),
            ));
        }
        if b.round < 0 {
            return Err(ApiError::invalid(format!("buzzes[{i}].round"), "must be 0 or more"));
        }
        if let Some(first) = seen.insert((b.question, b.seq), i) {
            return Err(repeated(format!("buzzes[{i}].seq"), format!("buzzes[{first}]"), "this press"));
        }
    }
    let mut seen = HashMap::new();
    for (i, m) in a.buzzer_marks.iter().enumerate() {
        buzzer_question(a, parts, questions, format!("buzzer_marks[{i}].question"), m.question)?;
        if !teams.contains_key(&m.team) {
            return Err(missing(format!("buzzer_marks[{i}].team"), "team", m.team));
        }
        if m.round < 0 {
            return Err(ApiError::invalid(format!("buzzer_marks[{i}].round"), "must be 0 or more"));
        }
        if !m.points.is_finite() {
            return Err(ApiError::invalid(format!("buzzer_marks[{i}].points"), "must be a number of points"));
        }
        if let Some(first) = seen.insert((m.question, m.team), i) {
            return Err(repeated(format!("buzzer_marks[{i}]"), format!("buzzer_marks[{first}]"), "this team's mark"));
        }
    }
    Ok(())
}
