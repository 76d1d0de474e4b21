//! Banks, their sections, documents and questions, and question versions. Every create or
//! edit of a question writes a `question_versions` row holding the domain question as
//! JSON, so a contest can always show the version it asked.
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};

use crate::bank::check;
use crate::bank::format::{Document, SectionMeta};
use crate::domain::question::{Question, Solution, Source};
use crate::domain::text::fold;
use std::collections::{BTreeMap, HashMap};

use crate::entities::{
    bank_documents, bank_sections, banks, contest_banks, contests, draws, part_questions, parts, question_versions,
    questions, settings,
};

pub async fn bank_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<banks::Model>, DbErr> {
    banks::Entity::find().filter(banks::Column::Slug.eq(slug)).one(db).await
}

pub async fn bank_by_id(db: &impl ConnectionTrait, id: i32) -> Result<Option<banks::Model>, DbErr> {
    banks::Entity::find_by_id(id).one(db).await
}

pub async fn list_banks(db: &impl ConnectionTrait) -> Result<Vec<banks::Model>, DbErr> {
    banks::Entity::find().order_by_asc(banks::Column::Id).all(db).await
}

pub async fn count_questions(db: &impl ConnectionTrait, bank_id: i32) -> Result<u64, DbErr> {
    questions::Entity::find()
        .filter(questions::Column::BankId.eq(bank_id))
        .filter(questions::Column::Retired.eq(false))
        .count(db)
        .await
}

pub async fn create_bank(
    db: &impl ConnectionTrait,
    slug: &str,
    title: &str,
    campaign: &str,
    year: &str,
    origin: &str,
) -> Result<banks::Model, DbErr> {
    banks::ActiveModel {
        slug: Set(slug.to_owned()),
        title: Set(title.to_owned()),
        campaign: Set(campaign.to_owned()),
        year: Set(year.to_owned()),
        origin: Set(origin.to_owned()),
        created_at: Set(crate::now_ms()),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn sections(db: &impl ConnectionTrait, bank_id: i32) -> Result<Vec<bank_sections::Model>, DbErr> {
    bank_sections::Entity::find()
        .filter(bank_sections::Column::BankId.eq(bank_id))
        .order_by_asc(bank_sections::Column::Position)
        .all(db)
        .await
}

/// Inserts the section or updates its title and position.
pub async fn upsert_section(
    db: &impl ConnectionTrait,
    bank_id: i32,
    s: &SectionMeta,
    position: i32,
) -> Result<(), DbErr> {
    let found = bank_sections::Entity::find()
        .filter(bank_sections::Column::BankId.eq(bank_id))
        .filter(bank_sections::Column::Slug.eq(&s.id))
        .one(db)
        .await?;
    match found {
        Some(m) if m.title == s.title && m.position == position => {}
        Some(m) => {
            let mut a: bank_sections::ActiveModel = m.into();
            a.title = Set(s.title.clone());
            a.position = Set(position);
            a.update(db).await?;
        }
        None => {
            bank_sections::ActiveModel {
                bank_id: Set(bank_id),
                slug: Set(s.id.clone()),
                title: Set(s.title.clone()),
                position: Set(position),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

pub async fn documents(db: &impl ConnectionTrait, bank_id: i32) -> Result<Vec<bank_documents::Model>, DbErr> {
    bank_documents::Entity::find()
        .filter(bank_documents::Column::BankId.eq(bank_id))
        .order_by_asc(bank_documents::Column::Slug)
        .all(db)
        .await
}

pub fn document_of(m: &bank_documents::Model) -> Document {
    Document {
        id: m.slug.clone(),
        title: m.title.clone(),
        publisher: m.publisher.clone(),
        date: m.published_on.clone(),
        author: m.author.clone(),
        body: m.body.clone(),
    }
}

pub async fn upsert_document(db: &impl ConnectionTrait, bank_id: i32, d: &Document) -> Result<(), DbErr> {
    let found = bank_documents::Entity::find()
        .filter(bank_documents::Column::BankId.eq(bank_id))
        .filter(bank_documents::Column::Slug.eq(&d.id))
        .one(db)
        .await?;
    match found {
        Some(m) if document_of(&m) == *d => {}
        Some(m) => {
            let mut a: bank_documents::ActiveModel = m.into();
            a.title = Set(d.title.clone());
            a.publisher = Set(d.publisher.clone());
            a.published_on = Set(d.date.clone());
            a.author = Set(d.author.clone());
            a.body = Set(d.body.clone());
            a.update(db).await?;
        }
        None => {
            bank_documents::ActiveModel {
                bank_id: Set(bank_id),
                slug: Set(d.id.clone()),
                title: Set(d.title.clone()),
                publisher: Set(d.publisher.clone()),
                published_on: Set(d.date.clone()),
                author: Set(d.author.clone()),
                body: Set(d.body.clone()),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// Filters of a question listing.
#[derive(Debug, Default, Clone)]
pub struct QuestionFilter {
    pub search: Option<String>,
    pub section: Option<String>,
    pub kind: Option<String>,
    pub difficulty: Option<i16>,
    pub include_retired: bool,
}

pub async fn questions(
    db: &impl ConnectionTrait,
    bank_id: i32,
    f: &QuestionFilter,
) -> Result<Vec<questions::Model>, DbErr> {
    let mut q = questions::Entity::find().filter(questions::Column::BankId.eq(bank_id));
    if let Some(s) = &f.search {
        // The folded text holds only letters, digits and single spaces, so `%` and `_`
        // never reach the pattern.
        let folded = fold(s);
        if !folded.is_empty() {
            q = q.filter(questions::Column::SearchText.contains(folded));
        }
    }
    if let Some(s) = &f.section {
        q = q.filter(questions::Column::Section.eq(s));
    }
    if let Some(k) = &f.kind {
        q = q.filter(questions::Column::Kind.eq(k));
    }
    if let Some(d) = f.difficulty {
        q = q.filter(questions::Column::Difficulty.eq(d));
    }
    if !f.include_retired {
        q = q.filter(questions::Column::Retired.eq(false));
    }
    q.order_by_asc(questions::Column::Section).order_by_asc(questions::Column::Qid).all(db).await
}

/// Every live question of the given banks (for a draw).
pub async fn live_questions(db: &impl ConnectionTrait, bank_ids: &[i32]) -> Result<Vec<questions::Model>, DbErr> {
    questions::Entity::find()
        .filter(questions::Column::BankId.is_in(bank_ids.to_vec()))
        .filter(questions::Column::Retired.eq(false))
        .all(db)
        .await
}

pub async fn question_by_id(db: &impl ConnectionTrait, id: i32) -> Result<Option<questions::Model>, DbErr> {
    questions::Entity::find_by_id(id).one(db).await
}

pub async fn question_by_qid(
    db: &impl ConnectionTrait,
    bank_id: i32,
    qid: &str,
) -> Result<Option<questions::Model>, DbErr> {
    questions::Entity::find()
        .filter(questions::Column::BankId.eq(bank_id))
        .filter(questions::Column::Qid.eq(qid))
        .one(db)
        .await
}

fn bad_row(id: i32, what: &str, e: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(format!("question {id}: stored {what} is unreadable: {e}"))
}

/// The domain question a row holds.
pub fn to_domain(m: &questions::Model, bank_slug: &str) -> Result<Question, DbErr> {
    let solution: Solution = serde_json::from_str(&m.answer).map_err(|e| bad_row(m.id, "answer", e))?;
    let options: Vec<String> = serde_json::from_str(&m.options).map_err(|e| bad_row(m.id, "options", e))?;
    let tags: Vec<String> = serde_json::from_str(&m.tags).map_err(|e| bad_row(m.id, "tags", e))?;
    let groups: Vec<String> =
        serde_json::from_str(&m.exclusion_groups).map_err(|e| bad_row(m.id, "exclusion groups", e))?;
    let excludes: Vec<String> = serde_json::from_str(&m.excludes).map_err(|e| bad_row(m.id, "excludes", e))?;
    // A number question's unit is stored beside its solution in `answer`: see `unit_of`.
    Ok(Question {
        qid: m.qid.clone(),
        bank: bank_slug.to_owned(),
        section: m.section.clone(),
        prompt: m.prompt.clone(),
        options,
        solution,
        explanation: m.explanation.clone(),
        difficulty: m.difficulty.clamp(0, 255) as u8,
        points: m.points,
        time_limit_s: m.time_limit_s.max(0) as u32,
        tags,
        source: Source { document: m.source_document.clone(), quote: m.source_quote.clone() },
        unit: None,
        groups,
        excludes,
        abbreviations: Default::default(),
    })
}

/// The search text of a question: prompt and options, folded.
pub fn search_text(q: &Question) -> String {
    let mut s = q.prompt.clone();
    for o in &q.options {
        s.push(' ');
        s.push_str(o);
    }
    fold(&s)
}

async fn write_version(db: &impl ConnectionTrait, question_id: i32, version: i32, q: &Question) -> Result<(), DbErr> {
    let snapshot = serde_json::to_string(q).map_err(|e| DbErr::Custom(e.to_string()))?;
    question_versions::ActiveModel {
        question_id: Set(question_id),
        version: Set(version),
        snapshot: Set(snapshot),
        created_at: Set(crate::now_ms()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|_| ())
}

fn fill(a: &mut questions::ActiveModel, q: &Question) -> Result<(), DbErr> {
    a.qid = Set(q.qid.clone());
    a.section = Set(q.section.clone());
    a.kind = Set(q.kind().as_str().to_owned());
    a.prompt = Set(q.prompt.clone());
    a.options = Set(json(&q.options)?);
    a.answer = Set(answer_json(q)?);
    a.explanation = Set(q.explanation.clone());
    a.difficulty = Set(q.difficulty as i16);
    a.points = Set(q.points);
    a.time_limit_s = Set(q.time_limit_s as i32);
    a.tags = Set(json(&q.tags)?);
    a.source_document = Set(q.source.document.clone());
    a.source_quote = Set(q.source.quote.clone());
    a.search_text = Set(search_text(q));
    a.exclusion_groups = Set(json(&q.groups)?);
    a.excludes = Set(json(&q.excludes)?);
    a.updated_at = Set(crate::now_ms());
    Ok(())
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, DbErr> {
    serde_json::to_string(v).map_err(|e| DbErr::Custom(e.to_string()))
}

/// The `answer` column: the solution, plus the unit of a number question and the bank's
/// abbreviations a short answer may use (both part of how the answer is read).
fn answer_json(q: &Question) -> Result<String, DbErr> {
    let mut v = serde_json::to_value(&q.solution).map_err(|e| DbErr::Custom(e.to_string()))?;
    if let Some(obj) = v.as_object_mut() {
        if let Some(u) = &q.unit {
            obj.insert("unit".into(), serde_json::Value::String(u.clone()));
        }
        if !q.abbreviations.is_empty() {
            obj.insert("abbreviations".into(), serde_json::to_value(&q.abbreviations).unwrap_or_default());
        }
    }
    Ok(v.to_string())
}

/// The unit stored beside a number question's solution.
pub fn unit_of(m: &questions::Model) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(&m.answer)
        .ok()
        .and_then(|v| v.get("unit").and_then(|u| u.as_str()).map(String::from))
}

/// The abbreviations stored beside a short-text question's solution.
fn abbreviations_of(m: &questions::Model) -> BTreeMap<String, String> {
    serde_json::from_str::<serde_json::Value>(&m.answer)
        .ok()
        .and_then(|mut v| v.get_mut("abbreviations").map(serde_json::Value::take))
        .and_then(|a| serde_json::from_value(a).ok())
        .unwrap_or_default()
}

/// The full domain question of a row, unit and abbreviations included.
pub fn question_of(m: &questions::Model, bank_slug: &str) -> Result<Question, DbErr> {
    let mut q = to_domain(m, bank_slug)?;
    q.unit = unit_of(m);
    q.abbreviations = abbreviations_of(m);
    Ok(q)
}

/// The abbreviations a bank's short answers may use beyond the built-in ones (from its
/// `bank.toml`, recorded at each sync).
pub async fn bank_abbreviations(db: &impl ConnectionTrait, slug: &str) -> Result<BTreeMap<String, String>, DbErr> {
    Ok(match settings::Entity::find_by_id(format!("bank_abbreviations:{slug}")).one(db).await? {
        Some(s) => serde_json::from_str(&s.value).unwrap_or_default(),
        None => BTreeMap::new(),
    })
}

async fn put_setting(db: &impl ConnectionTrait, key: String, value: String) -> Result<(), DbErr> {
    match settings::Entity::find_by_id(key.clone()).one(db).await? {
        Some(s) if s.value == value => {}
        Some(s) => {
            let mut a: settings::ActiveModel = s.into();
            a.value = Set(value);
            a.update(db).await?;
        }
        None => {
            settings::ActiveModel { key: Set(key), value: Set(value) }.insert(db).await?;
        }
    }
    Ok(())
}

pub async fn insert_question(db: &impl ConnectionTrait, bank_id: i32, q: &Question) -> Result<questions::Model, DbErr> {
    let mut a =
        questions::ActiveModel { bank_id: Set(bank_id), version: Set(1), retired: Set(false), ..Default::default() };
    fill(&mut a, q)?;
    let m = a.insert(db).await?;
    write_version(db, m.id, 1, q).await?;
    Ok(m)
}

/// Replaces a question's content: a new version (and its snapshot row). Un-retires it.
pub async fn update_question(
    db: &impl ConnectionTrait,
    m: questions::Model,
    q: &Question,
) -> Result<questions::Model, DbErr> {
    let version = m.version + 1;
    let id = m.id;
    let mut a: questions::ActiveModel = m.into();
    fill(&mut a, q)?;
    a.version = Set(version);
    a.retired = Set(false);
    let m = a.update(db).await?;
    write_version(db, id, version, q).await?;
    Ok(m)
}

pub async fn set_retired(
    db: &impl ConnectionTrait,
    m: questions::Model,
    retired: bool,
) -> Result<questions::Model, DbErr> {
    let mut a: questions::ActiveModel = m.into();
    a.retired = Set(retired);
    a.updated_at = Set(crate::now_ms());
    a.update(db).await
}

pub async fn versions(db: &impl ConnectionTrait, question_id: i32) -> Result<Vec<question_versions::Model>, DbErr> {
    question_versions::Entity::find()
        .filter(question_versions::Column::QuestionId.eq(question_id))
        .order_by_asc(question_versions::Column::Version)
        .all(db)
        .await
}

/// What a sync of a shipped bank changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SyncStats {
    pub inserted: usize,
    pub updated: usize,
    pub retired: usize,
}

/// Brings the database in line with a checked bank read from disk (origin "shipped"):
/// new questions are inserted, changed ones get a new version, questions gone from the
/// files are retired. Unchanged questions are not touched, so a restart is a no-op.
pub async fn sync_bank(db: &impl ConnectionTrait, b: &check::Bank) -> Result<SyncStats, DbErr> {
    let bank = match bank_by_slug(db, &b.meta.id).await? {
        Some(m) => {
            if m.title != b.meta.title || m.campaign != b.meta.campaign || m.year != b.meta.year {
                let mut a: banks::ActiveModel = m.clone().into();
                a.title = Set(b.meta.title.clone());
                a.campaign = Set(b.meta.campaign.clone());
                a.year = Set(b.meta.year.clone());
                a.update(db).await?;
            }
            m
        }
        None => create_bank(db, &b.meta.id, &b.meta.title, &b.meta.campaign, &b.meta.year, "shipped").await?,
    };
    for (i, s) in b.meta.sections.iter().enumerate() {
        upsert_section(db, bank.id, s, i as i32 + 1).await?;
    }
    for d in &b.documents {
        upsert_document(db, bank.id, d).await?;
    }
    let existing = questions(db, bank.id, &QuestionFilter { include_retired: true, ..Default::default() }).await?;
    // What the files said at the last sync: a question is touched only when its file
    // text changed since, so organisers' edits, retirements and own questions in a
    // shipped bank survive a restart.
    let key = format!("bank_files:{}", b.meta.id);
    let previous: HashMap<String, String> = match settings::Entity::find_by_id(key.clone()).one(db).await? {
        Some(s) => serde_json::from_str(&s.value).unwrap_or_default(),
        None => HashMap::new(),
    };
    let mut current: HashMap<String, String> = HashMap::new();
    for q in &b.questions {
        current.insert(q.qid.clone(), hex_sha256(&json(q)?));
    }
    let mut stats = SyncStats::default();
    for q in &b.questions {
        match existing.iter().find(|m| m.qid == q.qid) {
            None => {
                insert_question(db, bank.id, q).await?;
                stats.inserted += 1;
            }
            Some(m) if previous.get(&q.qid) != current.get(&q.qid) => {
                if question_of(m, &b.meta.id).map_or(true, |old| old != *q) || m.retired {
                    update_question(db, m.clone(), q).await?;
                    stats.updated += 1;
                }
            }
            Some(_) => {}
        }
    }
    for m in
        existing.into_iter().filter(|m| !m.retired && previous.contains_key(&m.qid) && !current.contains_key(&m.qid))
    {
        set_retired(db, m, true).await?;
        stats.retired += 1;
    }
    put_setting(db, key, json(&current)?).await?;
    put_setting(db, format!("bank_abbreviations:{}", b.meta.id), json(&b.meta.abbreviations)?).await?;
    Ok(stats)
}

fn hex_sha256(s: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

// ---- questions of a part (the bank side of a contest: explicit choice and draws)

pub async fn part_in_contest(
    db: &impl ConnectionTrait,
    contest_id: i32,
    part_id: i32,
) -> Result<Option<parts::Model>, DbErr> {
    parts::Entity::find_by_id(part_id).filter(parts::Column::ContestId.eq(contest_id)).one(db).await
}

pub async fn contest_exists(db: &impl ConnectionTrait, contest_id: i32) -> Result<bool, DbErr> {
    Ok(contests::Entity::find_by_id(contest_id).one(db).await?.is_some())
}

/// Question ids (questions.id) already in other parts of the contest.
pub async fn used_in_other_parts(
    db: &impl ConnectionTrait,
    contest_id: i32,
    part_id: i32,
) -> Result<Vec<(i32, i32)>, DbErr> {
    let others: Vec<i32> = parts::Entity::find()
        .filter(parts::Column::ContestId.eq(contest_id))
        .filter(parts::Column::Id.ne(part_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    if others.is_empty() {
        return Ok(Vec::new());
    }
    Ok(part_questions::Entity::find()
        .filter(part_questions::Column::PartId.is_in(others))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|pq| pq.question_id.map(|q| (q, pq.part_id)))
        .collect())
}

/// Banks linked to the contest; empty when none is linked.
pub async fn contest_bank_ids(db: &impl ConnectionTrait, contest_id: i32) -> Result<Vec<i32>, DbErr> {
    Ok(contest_banks::Entity::find()
        .filter(contest_banks::Column::ContestId.eq(contest_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.bank_id)
        .collect())
}

pub async fn part_questions(db: &impl ConnectionTrait, part_id: i32) -> Result<Vec<part_questions::Model>, DbErr> {
    part_questions::Entity::find()
        .filter(part_questions::Column::PartId.eq(part_id))
        .order_by_asc(part_questions::Column::Position)
        .all(db)
        .await
}

/// Replaces the part's pending questions with `chosen` (in order), each with the
/// snapshot of the version it will ask. `time_override_s` > 0 replaces the question's
/// own time limit.
pub async fn replace_part_questions(
    db: &impl ConnectionTrait,
    part_id: i32,
    chosen: &[(questions::Model, Question)],
    time_override_s: i32,
) -> Result<Vec<part_questions::Model>, DbErr> {
    part_questions::Entity::delete_many()
        .filter(part_questions::Column::PartId.eq(part_id))
        .filter(part_questions::Column::Status.eq("pending"))
        .exec(db)
        .await?;
    let mut out = Vec::new();
    for (i, (m, q)) in chosen.iter().enumerate() {
        let row = part_questions::ActiveModel {
            part_id: Set(part_id),
            position: Set(i as i32 + 1),
            question_id: Set(Some(m.id)),
            question_version: Set(Some(m.version)),
            snapshot: Set(json(q)?),
            points: Set(q.points),
            time_limit_s: Set(if time_override_s > 0 { time_override_s } else { q.time_limit_s as i32 }),
            status: Set("pending".into()),
            ..Default::default()
        }
        .insert(db)
        .await?;
        out.push(row);
    }
    Ok(out)
}

pub async fn insert_draw(
    db: &impl ConnectionTrait,
    contest_id: i32,
    part_id: i32,
    seed: i64,
    quotas: &str,
    question_ids: &[i32],
) -> Result<draws::Model, DbErr> {
    draws::ActiveModel {
        contest_id: Set(contest_id),
        part_id: Set(Some(part_id)),
        seed: Set(seed),
        quotas: Set(quotas.to_owned()),
        question_ids: Set(json(&question_ids)?),
        created_at: Set(crate::now_ms()),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn draws_of_part(db: &impl ConnectionTrait, part_id: i32) -> Result<Vec<draws::Model>, DbErr> {
    draws::Entity::find().filter(draws::Column::PartId.eq(part_id)).order_by_asc(draws::Column::Id).all(db).await
}
