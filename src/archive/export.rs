//! Building a contest's archive. Everything is read in one read transaction, so an
//! archive taken while answers keep arriving is one consistent instant: its `results`
//! are the board of exactly the answers it holds (PostgreSQL: repeatable read; SQLite:
//! the snapshot a WAL read transaction keeps).
use sea_orm::{AccessMode, DatabaseConnection, DbBackend, IsolationLevel, TransactionTrait};

use super::jobs::Progress;
use super::*;
use crate::domain::contest::default_prizes;
use crate::error::{ApiError, ApiResult};
use crate::live::scores::Scores;
use crate::store;

/// Answers read per query.
const PAGE: u64 = 5000;

/// A stored JSON text as a value (a column that is not valid JSON travels as a string).
fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

pub async fn export(db: &DatabaseConnection, contest_id: i32, actor: &str, p: &Progress) -> ApiResult<Archive> {
    let txn = match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?
        }
        _ => db.begin().await?,
    };
    p.phase("reading");
    let c = store::contests::get(&txn, contest_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no contest {contest_id}")))?;
    let teams = store::teams::list(&txn, contest_id).await?;
    let contestants = store::teams::contestants(&txn, contest_id).await?;
    let judges = store::archive::judges_with_usernames(&txn, contest_id).await?;
    let parts = store::parts::list(&txn, contest_id).await?;
    let part_ids: Vec<i32> = parts.iter().map(|x| x.id).collect();
    let mut questions = store::live::questions_of_parts(&txn, &part_ids).await?;
    questions.sort_by_key(|q| q.id);
    let adjustments = store::live::adjustments_of_contest(&txn, contest_id).await?;
    let audit = store::live::audit_of_contest(&txn, contest_id).await?;
    let ties: Vec<TieBreak> = match store::live::tie_breakers(&txn, contest_id).await? {
        Some(s) => serde_json::from_str(&s).unwrap_or_else(|_| vec![TieBreak::AnswerTime]),
        None => vec![TieBreak::AnswerTime],
    };
    let marks = store::judging::marks_of_parts(&txn, &part_ids).await?;
    let sheets = store::judging::sheets_of_parts(&txn, &part_ids).await?;
    let mut releases = store::judging::releases_of_parts(&txn, &part_ids).await?;
    releases.sort_by_key(|r| (r.part_id, r.team_id));
    let orders = store::judging::orders_of_parts(&txn, &part_ids).await?;
    let rescues = store::elimination::rescues_of_contest(&txn, contest_id).await?;
    let buzzes = store::buzzer::presses_of_contest(&txn, contest_id).await?;
    let question_ids: Vec<i32> = questions.iter().map(|q| q.id).collect();
    let buzzer_marks = store::buzzer::marks_of_questions(&txn, &question_ids).await?;
    let publication = store::results::get(&txn, contest_id).await?;
    let n_answers = store::archive::count_answers(&txn, contest_id).await?;
    let others = (teams.len() + contestants.len() + judges.len() + parts.len() + questions.len())
        + adjustments.len()
        + audit.len()
        + (marks.len() + sheets.len() + releases.len() + orders.len() + rescues.len())
        + (buzzes.len() + buzzer_marks.len());
    // The board is recomputed at the end: count it as one record per team.
    p.total(others as u64 + n_answers + teams.len() as u64);
    p.add(others as u64);

    let mut answers = Vec::with_capacity(n_answers as usize);
    let mut after = i64::MIN;
    loop {
        let page = store::archive::answers_after(&txn, contest_id, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        p.add(page.len() as u64);
        answers.extend(page.into_iter().map(|a| ArchiveAnswer {
            id: a.id,
            question: a.part_question_id,
            team: a.team_id,
            contestant: a.contestant_id,
            submission_id: a.submission_id,
            response: json_of(&a.payload),
            star: a.star,
            received_at: a.received_at,
            elapsed_ms: a.elapsed_ms,
        }));
    }

    p.phase("checking");
    let board = Scores::load(&txn, contest_id).await?.board(true);
    p.add(teams.len() as u64);
    txn.commit().await?;

    let imported_from = c.imported_from.as_deref().and_then(|s| serde_json::from_str(s).ok());
    Ok(Archive {
        schema: SCHEMA.to_owned(),
        generator: generator(),
        exported_at: crate::now_ms(),
        exported_by: actor.to_owned(),
        contest: ArchiveContest {
            id: c.id,
            prize_scheme: serde_json::from_str(&c.prize_scheme).unwrap_or_else(|_| default_prizes()),
            name: c.name,
            unit: c.unit,
            held_on: c.held_on,
            venue: c.venue,
            captain_policy: c.captain_policy,
            status: c.status,
            created_at: c.created_at,
            imported_from,
        },
        tie_breakers: ties,
        teams: teams
            .into_iter()
            .map(|t| ArchiveTeam {
                id: t.id,
                members: serde_json::from_str(&t.members).unwrap_or_default(),
                name: t.name,
                unit: t.unit,
                created_at: t.created_at,
            })
            .collect(),
        contestants: contestants
            .into_iter()
            .map(|x| ArchiveContestant {
                id: x.id,
                team: x.team_id,
                name: x.name,
                is_captain: x.is_captain,
                revoked: x.revoked,
                joined_at: x.joined_at,
            })
            .collect(),
        judges: judges
            .into_iter()
            .map(|(j, username)| ArchiveJudge {
                id: j.id,
                name: j.display_name,
                username,
                created_at: j.created_at,
                invite_used_at: j.invite_used_at,
            })
            .collect(),
        parts: parts
            .into_iter()
            .map(|x| ArchivePart {
                id: x.id,
                tie_break_teams: crate::live::scores::tie_break_teams(&x),
                scoring: json_of(&x.scoring),
                rubric: json_of(&x.rubric),
                kind: x.kind,
                title: x.title,
                position: x.position,
                max_points: x.max_points,
                weight: x.weight,
                time_per_question_s: x.time_per_question_s,
                answer_policy: x.answer_policy,
                status: x.status,
                started_at: x.started_at,
                finished_at: x.finished_at,
            })
            .collect(),
        questions: questions
            .into_iter()
            .map(|q| ArchiveQuestion {
                id: q.id,
                part: q.part_id,
                position: q.position,
                question_version: q.question_version,
                question: json_of(&q.snapshot),
                points: q.points,
                time_limit_s: q.time_limit_s,
                status: q.status,
                opened_at: q.opened_at,
                deadline_at: q.deadline_at,
                paused_at: q.paused_at,
                closed_at: q.closed_at,
                revealed_at: q.revealed_at,
                void_reason: q.void_reason,
            })
            .collect(),
        answers,
        adjustments: adjustments
            .into_iter()
            .map(|a| ArchiveAdjustment {
                id: a.id,
                team: a.team_id,
                part: a.part_id,
                delta: a.delta,
                reason: a.reason,
                actor: a.actor,
                created_at: a.created_at,
            })
            .collect(),
        marks: marks
            .into_iter()
            .map(|m| ArchiveMark {
                id: m.id,
                part: m.part_id,
                judge: m.judge_id,
                team: m.team_id,
                criterion: m.criterion,
                points: m.points,
                updated_at: m.updated_at,
            })
            .collect(),
        sheets: sheets
            .into_iter()
            .map(|x| ArchiveSheet {
                id: x.id,
                part: x.part_id,
                judge: x.judge_id,
                team: x.team_id,
                signed_at: x.signed_at,
            })
            .collect(),
        releases: releases
            .into_iter()
            .map(|r| ArchiveRelease { part: r.part_id, team: r.team_id, actor: r.actor, released_at: r.released_at })
            .collect(),
        performance_orders: orders
            .into_iter()
            .map(|o| ArchiveOrder {
                part: o.part_id,
                seed: o.seed,
                teams: serde_json::from_str(&o.team_ids).unwrap_or_default(),
                actor: o.actor,
                drawn_at: o.drawn_at,
            })
            .collect(),
        rescues: rescues
            .into_iter()
            .map(|r| ArchiveRescue {
                id: r.id,
                part: r.part_id,
                contestant: r.contestant_id,
                after_question: r.after_question_id,
                reason: r.reason,
                actor: r.actor,
                created_at: r.created_at,
            })
            .collect(),
        buzzes: {
            let mut v: Vec<ArchiveBuzz> = buzzes
                .into_iter()
                .map(|b| ArchiveBuzz {
                    id: b.id,
                    question: b.part_question_id,
                    round: b.round,
                    seq: b.seq,
                    team: b.team_id,
                    contestant: b.contestant_id,
                    received_at: b.received_at,
                    false_start: b.false_start,
                })
                .collect();
            v.sort_by_key(|b| b.id);
            v
        },
        buzzer_marks: buzzer_marks
            .into_iter()
            .map(|m| ArchiveBuzzerMark {
                id: m.id,
                question: m.part_question_id,
                team: m.team_id,
                round: m.round,
                correct: m.correct,
                points: m.points,
                actor: m.actor,
                created_at: m.created_at,
            })
            .collect(),
        audit: audit
            .into_iter()
            .map(|a| ArchiveAudit {
                id: a.id,
                detail: json_of(&a.detail),
                actor: a.actor,
                action: a.action,
                created_at: a.created_at,
            })
            .collect(),
        publication: publication.map(|x| ArchivePublication {
            published_at: x.published_at,
            actor: x.actor,
            ties_confirmed: x.ties_confirmed,
        }),
        results: results_of(&board),
    })
}

/// The board as the archive holds it.
pub fn results_of(board: &crate::domain::ranking::Board) -> ArchiveResults {
    ArchiveResults {
        rows: board
            .rows
            .iter()
            .map(|r| ArchiveResultRow {
                rank: r.rank,
                team: r.team_id,
                team_name: r.team_name.clone(),
                total: r.total,
                parts: r.parts.iter().map(|x| ArchivePartScore { part: x.part_id, score: x.score }).collect(),
            })
            .collect(),
    }
}

/// The file name an archive is offered under.
pub fn file_name(contest_id: i32) -> String {
    format!("luu-tru-hoi-thi-{contest_id}.json")
}

/// Serializes an archive, compact (10,000 phones' answers are tens of megabytes; any
/// JSON tool pretty-prints it for reading).
pub fn to_bytes(a: &Archive) -> ApiResult<Vec<u8>> {
    serde_json::to_vec(a).map_err(ApiError::internal)
}
