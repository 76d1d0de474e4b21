//! Importing an archive as a new contest: checked whole first ([`check::check`]), then
//! written in one transaction with new ids (every record keeps its times and values),
//! then proved: the board recomputed from the written rows by the live scoring code must
//! equal the archive's `results`, team by team and part by part, or the transaction is
//! rolled back and the refusal names the row.
use std::collections::HashMap;

use sea_orm::{DatabaseConnection, DbBackend, TransactionTrait};
use serde_json::{Value, json};

use super::jobs::Progress;
use super::{Archive, ImportedFrom, check};
use crate::domain::ranking::{self, TieBreak};
use crate::entities::{
    adjustments, audit_log, buzzer_marks, buzzes, contestants, contests, judge_marks, judge_sheets, judged_releases,
    judges, part_questions, parts, performance_orders, rescues, teams,
};
use crate::error::{ApiError, ApiResult};
use crate::live::scores::Scores;
use crate::results::{Scope, Source};
use crate::store;
use crate::store::live::NewAnswer;

/// Answers written per statement.
const BATCH: usize = 1000;

/// Archive ids → new ids, one map per kind of record.
#[derive(Default)]
struct Ids {
    teams: HashMap<i32, i32>,
    contestants: HashMap<i32, i32>,
    judges: HashMap<i32, i32>,
    parts: HashMap<i32, i32>,
    questions: HashMap<i32, i32>,
    adjustments: HashMap<i32, i32>,
}

impl Ids {
    fn get(map: &HashMap<i32, i32>, id: i32) -> ApiResult<i32> {
        // `check` proved every reference; a miss here is a bug, not the archive's fault.
        map.get(&id).copied().ok_or_else(|| ApiError::internal(anyhow::anyhow!("archive id {id} was not mapped")))
    }

    /// The ids an audit entry's detail names, translated (ids it names that the archive
    /// does not hold are left as they were).
    fn remap(&self, v: &mut Value) {
        let one = |map: &HashMap<i32, i32>, v: &mut Value| {
            if let Some(new) = v.as_i64().and_then(|n| i32::try_from(n).ok()).and_then(|n| map.get(&n)) {
                *v = json!(new);
            }
        };
        match v {
            Value::Object(o) => {
                for (k, x) in o.iter_mut() {
                    match k.as_str() {
                        "team_id" => one(&self.teams, x),
                        "part_id" => one(&self.parts, x),
                        "question_id" => one(&self.questions, x),
                        "adjustment_id" => one(&self.adjustments, x),
                        "contestant_id" => one(&self.contestants, x),
                        "judge_id" => one(&self.judges, x),
                        "after_question_id" => one(&self.questions, x),
                        "contestant_ids" => {
                            x.as_array_mut().into_iter().flatten().for_each(|y| one(&self.contestants, y))
                        }
                        "team_ids" => x.as_array_mut().into_iter().flatten().for_each(|y| one(&self.teams, y)),
                        "parts" if x.as_array().is_some_and(|a| a.iter().all(Value::is_i64)) => {
                            x.as_array_mut().into_iter().flatten().for_each(|y| one(&self.parts, y))
                        }
                        _ => self.remap(x),
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.remap(x)),
            _ => {}
        }
    }
}

/// The list's indices in the order of their archive ids, so that the new ids keep the
/// old order (the board sums in question order, and the last of two answers received
/// at the same millisecond is the one stored last).
fn by_id<T, K: Ord>(list: &[T], key: impl Fn(&T) -> K) -> Vec<&T> {
    let mut v: Vec<&T> = list.iter().collect();
    v.sort_by_key(|x| key(x));
    v
}

fn json_text(v: &impl serde::Serialize) -> ApiResult<String> {
    serde_json::to_string(v).map_err(ApiError::internal)
}

pub async fn import(db: &DatabaseConnection, a: Archive, actor: &str, p: &Progress) -> ApiResult<contests::Model> {
    check::check(&a)?;
    if db.get_database_backend() == DbBackend::Sqlite
        && let Some(id) = store::live::running_contest_ids(db).await?.first()
    {
        return Err(ApiError::conflict(
            "contest_running",
            format!(
                "contest {id} is running: import when no contest runs (on SQLite an import holds the database's \
                 write lock, which would hold back the answers)"
            ),
        ));
    }
    let records = a.teams.len()
        + a.contestants.len()
        + a.judges.len()
        + a.parts.len()
        + a.questions.len()
        + a.answers.len()
        + a.adjustments.len()
        + a.audit.len()
        + (a.marks.len() + a.sheets.len() + a.releases.len() + a.performance_orders.len() + a.rescues.len())
        + (a.buzzes.len() + a.buzzer_marks.len());
    p.total((records + a.teams.len()) as u64);
    p.phase("writing");
    let txn = db.begin().await?;
    let now = crate::now_ms();
    let from = ImportedFrom {
        schema: a.schema.clone(),
        generator: a.generator.clone(),
        contest_id: a.contest.id,
        exported_at: a.exported_at,
        exported_by: a.exported_by.clone(),
        imported_at: now,
        imported_by: actor.to_owned(),
    };
    let c = store::archive::insert_contest(
        &txn,
        contests::Model {
            id: 0,
            name: a.contest.name.clone(),
            unit: a.contest.unit.clone(),
            held_on: a.contest.held_on.clone(),
            venue: a.contest.venue.clone(),
            prize_scheme: json_text(&a.contest.prize_scheme)?,
            captain_policy: a.contest.captain_policy.clone(),
            // An imported contest is a record: it never runs again.
            status: store::contests::CLOSED.to_owned(),
            token_version: 0,
            created_at: a.contest.created_at,
            imported_from: Some(json_text(&from)?),
        },
    )
    .await?;
    let mut ids = Ids::default();
    for t in by_id(&a.teams, |t| t.id) {
        let row = store::archive::insert_team(
            &txn,
            teams::Model {
                id: 0,
                contest_id: c.id,
                name: t.name.clone(),
                unit: t.unit.clone(),
                // Join codes are unique across contests and do not travel; a closed
                // contest takes no joins anyway.
                code: store::teams::free_code(&txn).await?,
                members: json_text(&t.members)?,
                created_at: t.created_at,
            },
        )
        .await?;
        ids.teams.insert(t.id, row.id);
        p.add(1);
    }
    for x in by_id(&a.contestants, |x| x.id) {
        let row = store::archive::insert_contestant(
            &txn,
            contestants::Model {
                id: 0,
                contest_id: c.id,
                team_id: Ids::get(&ids.teams, x.team)?,
                name: x.name.clone(),
                is_captain: x.is_captain,
                revoked: x.revoked,
                joined_at: x.joined_at,
            },
        )
        .await?;
        ids.contestants.insert(x.id, row.id);
        p.add(1);
    }
    for j in by_id(&a.judges, |j| j.id) {
        let row = store::archive::insert_judge(
            &txn,
            judges::Model {
                id: 0,
                contest_id: c.id,
                // The account stays on the exporting server: an imported judge signs
                // in nowhere here.
                user_id: None,
                display_name: j.name.clone(),
                invite_hash: None,
                invite_used_at: j.invite_used_at,
                token_version: 0,
                created_at: j.created_at,
                archived_username: j.username.clone(),
            },
        )
        .await?;
        ids.judges.insert(j.id, row.id);
        p.add(1);
    }
    for x in by_id(&a.parts, |x| x.id) {
        let row = store::archive::insert_part(
            &txn,
            parts::Model {
                id: 0,
                contest_id: c.id,
                kind: x.kind.clone(),
                title: x.title.clone(),
                position: x.position,
                max_points: x.max_points,
                weight: x.weight,
                time_per_question_s: x.time_per_question_s,
                scoring: json_text(&x.scoring)?,
                answer_policy: x.answer_policy.clone(),
                rubric: json_text(&x.rubric)?,
                status: x.status.clone(),
                started_at: x.started_at,
                finished_at: x.finished_at,
                tie_break_teams: if x.tie_break_teams.is_empty() {
                    None
                } else {
                    let teams: Vec<i32> = x.tie_break_teams.iter().filter_map(|t| ids.teams.get(t).copied()).collect();
                    Some(serde_json::to_string(&teams).map_err(ApiError::internal)?)
                },
            },
        )
        .await?;
        ids.parts.insert(x.id, row.id);
        p.add(1);
    }
    let ties = a
        .tie_breakers
        .iter()
        .map(|t| match t {
            TieBreak::Part { part_id } => Ok(TieBreak::Part { part_id: Ids::get(&ids.parts, *part_id)? }),
            TieBreak::AnswerTime => Ok(TieBreak::AnswerTime),
        })
        .collect::<ApiResult<Vec<_>>>()?;
    store::live::set_tie_breakers(&txn, c.id, &json_text(&ties)?).await?;
    for q in by_id(&a.questions, |q| q.id) {
        let row = store::archive::insert_part_question(
            &txn,
            part_questions::Model {
                id: 0,
                part_id: Ids::get(&ids.parts, q.part)?,
                position: q.position,
                // The bank question lives on the exporting server; the snapshot is the
                // question as asked.
                question_id: None,
                question_version: q.question_version,
                snapshot: json_text(&q.question)?,
                points: q.points,
                time_limit_s: q.time_limit_s,
                status: q.status.clone(),
                opened_at: q.opened_at,
                deadline_at: q.deadline_at,
                paused_at: q.paused_at,
                closed_at: q.closed_at,
                revealed_at: q.revealed_at,
                void_reason: q.void_reason.clone(),
            },
        )
        .await?;
        ids.questions.insert(q.id, row.id);
        p.add(1);
    }
    let answers = by_id(&a.answers, |x| x.id);
    for chunk in answers.chunks(BATCH) {
        let batch = chunk
            .iter()
            .map(|x| {
                Ok(NewAnswer {
                    contest_id: c.id,
                    part_question_id: Ids::get(&ids.questions, x.question)?,
                    team_id: Ids::get(&ids.teams, x.team)?,
                    contestant_id: Ids::get(&ids.contestants, x.contestant)?,
                    submission_id: x.submission_id.clone(),
                    payload: json_text(&x.response)?,
                    star: x.star,
                    received_at: x.received_at,
                    elapsed_ms: x.elapsed_ms,
                })
            })
            .collect::<ApiResult<Vec<_>>>()?;
        let stored = store::live::insert_answers(&txn, &batch).await?;
        if stored != batch.len() as u64 {
            return Err(ApiError::internal(anyhow::anyhow!("{stored} of {} answers stored", batch.len())));
        }
        p.add(batch.len() as u64);
    }
    for x in by_id(&a.adjustments, |x| x.id) {
        let row = store::archive::insert_adjustment(
            &txn,
            adjustments::Model {
                id: 0,
                contest_id: c.id,
                team_id: Ids::get(&ids.teams, x.team)?,
                part_id: x.part.map(|p| Ids::get(&ids.parts, p)).transpose()?,
                delta: x.delta,
                reason: x.reason.clone(),
                actor: x.actor.clone(),
                created_at: x.created_at,
            },
        )
        .await?;
        ids.adjustments.insert(x.id, row.id);
        p.add(1);
    }
    judged(&txn, &a, &ids, p).await?;
    for r in by_id(&a.rescues, |r| r.id) {
        store::archive::insert_rescue(
            &txn,
            rescues::Model {
                id: 0,
                contest_id: c.id,
                part_id: Ids::get(&ids.parts, r.part)?,
                contestant_id: Ids::get(&ids.contestants, r.contestant)?,
                after_question_id: Ids::get(&ids.questions, r.after_question)?,
                reason: r.reason.clone(),
                actor: r.actor.clone(),
                created_at: r.created_at,
            },
        )
        .await?;
        p.add(1);
    }
    for b in by_id(&a.buzzes, |b| b.id) {
        store::archive::insert_buzz(
            &txn,
            buzzes::Model {
                id: 0,
                contest_id: c.id,
                part_question_id: Ids::get(&ids.questions, b.question)?,
                round: b.round,
                seq: b.seq,
                team_id: Ids::get(&ids.teams, b.team)?,
                contestant_id: Ids::get(&ids.contestants, b.contestant)?,
                received_at: b.received_at,
                false_start: b.false_start,
            },
        )
        .await?;
        p.add(1);
    }
    for m in by_id(&a.buzzer_marks, |m| m.id) {
        store::archive::insert_buzzer_mark(
            &txn,
            buzzer_marks::Model {
                id: 0,
                contest_id: c.id,
                part_question_id: Ids::get(&ids.questions, m.question)?,
                team_id: Ids::get(&ids.teams, m.team)?,
                round: m.round,
                correct: m.correct,
                points: m.points,
                actor: m.actor.clone(),
                created_at: m.created_at,
            },
        )
        .await?;
        p.add(1);
    }
    for x in by_id(&a.audit, |x| x.id) {
        let mut detail = x.detail.clone();
        ids.remap(&mut detail);
        store::archive::insert_audit(
            &txn,
            audit_log::Model {
                id: 0,
                contest_id: Some(c.id),
                actor: x.actor.clone(),
                action: x.action.clone(),
                detail: detail.to_string(),
                created_at: x.created_at,
            },
        )
        .await?;
        p.add(1);
    }

    p.phase("checking");
    let board = Scores::load(&txn, c.id).await?.board(true);
    compare(&a, &ids, &board)?;
    p.add(a.teams.len() as u64);

    if let Some(pubn) = &a.publication {
        // The public page serves a snapshot: taken again here, from the imported rows.
        let results = Source::load(&txn, c.clone()).await?.results(Scope::FinishedParts, pubn.ties_confirmed);
        store::results::put(
            &txn,
            crate::entities::result_publications::Model {
                contest_id: c.id,
                published_at: pubn.published_at,
                actor: pubn.actor.clone(),
                ties_confirmed: pubn.ties_confirmed,
                snapshot: json_text(&results)?,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(c)
}

/// The judged parts' orders, sheets, marks and releases, with their ids translated.
async fn judged(txn: &impl sea_orm::ConnectionTrait, a: &Archive, ids: &Ids, p: &Progress) -> ApiResult<()> {
    for o in &a.performance_orders {
        let teams = o.teams.iter().map(|t| Ids::get(&ids.teams, *t)).collect::<ApiResult<Vec<_>>>()?;
        store::archive::insert_order(
            txn,
            performance_orders::Model {
                part_id: Ids::get(&ids.parts, o.part)?,
                seed: o.seed,
                team_ids: json_text(&teams)?,
                actor: o.actor.clone(),
                drawn_at: o.drawn_at,
            },
        )
        .await?;
        p.add(1);
    }
    for x in by_id(&a.sheets, |x| x.id) {
        store::archive::insert_sheet(
            txn,
            judge_sheets::Model {
                id: 0,
                part_id: Ids::get(&ids.parts, x.part)?,
                judge_id: Ids::get(&ids.judges, x.judge)?,
                team_id: Ids::get(&ids.teams, x.team)?,
                signed_at: x.signed_at,
            },
        )
        .await?;
        p.add(1);
    }
    for m in by_id(&a.marks, |m| m.id) {
        store::archive::insert_mark(
            txn,
            judge_marks::Model {
                id: 0,
                part_id: Ids::get(&ids.parts, m.part)?,
                judge_id: Ids::get(&ids.judges, m.judge)?,
                team_id: Ids::get(&ids.teams, m.team)?,
                criterion: m.criterion,
                points: m.points,
                updated_at: m.updated_at,
            },
        )
        .await?;
        p.add(1);
    }
    for r in &a.releases {
        store::archive::insert_release(
            txn,
            judged_releases::Model {
                part_id: Ids::get(&ids.parts, r.part)?,
                team_id: Ids::get(&ids.teams, r.team)?,
                actor: r.actor.clone(),
                released_at: r.released_at,
            },
        )
        .await?;
        p.add(1);
    }
    Ok(())
}

/// The recomputed board must be the archive's, to the cent: rank, total and every part
/// score of every team.
fn compare(a: &Archive, ids: &Ids, board: &ranking::Board) -> ApiResult<()> {
    let cents = |x: f64| (x * 100.0).round() as i64;
    let by_team: HashMap<i32, &ranking::BoardRow> = board.rows.iter().map(|r| (r.team_id, r)).collect();
    let mismatch = |place: String, what: &str, team: i32, archive: Value, computed: Value| {
        ApiError::invalid_because(
            place,
            "results_mismatch",
            json!({ "team": team, "archive": archive, "computed": computed }),
            format!(
                "the archive gives team {team} the {what} {archive}, but its answers, questions, adjustments, \
                 judges' marks and rescues give {computed}: the totals do not add up"
            ),
        )
    };
    for (i, r) in a.results.rows.iter().enumerate() {
        let new = Ids::get(&ids.teams, r.team)?;
        let Some(row) = by_team.get(&new) else {
            return Err(ApiError::internal(anyhow::anyhow!("team {new} missing from the recomputed board")));
        };
        if cents(row.total) != cents(r.total) {
            return Err(mismatch(
                format!("results.rows[{i}].total"),
                "total",
                r.team,
                json!(r.total),
                json!(row.total),
            ));
        }
        for (j, s) in r.parts.iter().enumerate() {
            let part = Ids::get(&ids.parts, s.part)?;
            let computed = row.parts.iter().find(|x| x.part_id == part).map_or(0.0, |x| x.score);
            if cents(computed) != cents(s.score) {
                return Err(mismatch(
                    format!("results.rows[{i}].parts[{j}].score"),
                    "part score",
                    r.team,
                    json!(s.score),
                    json!(computed),
                ));
            }
        }
        if let Some(x) = row
            .parts
            .iter()
            .find(|x| x.score != 0.0 && !r.parts.iter().any(|s| ids.parts.get(&s.part) == Some(&x.part_id)))
        {
            return Err(mismatch(
                format!("results.rows[{i}].parts"),
                "no score for a part it scored in",
                r.team,
                json!(null),
                json!(x.score),
            ));
        }
        if row.rank != r.rank {
            return Err(mismatch(format!("results.rows[{i}].rank"), "rank", r.team, json!(r.rank), json!(row.rank)));
        }
    }
    Ok(())
}
