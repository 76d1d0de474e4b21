//! Drawing questions: quotas per section × difficulty × type, and a seed. Pure and
//! reproducible: candidates are sorted by (bank, qid) before a seeded ChaCha8 generator
//! picks, so the same seed on the same bank gives the same questions in the same order.
use std::collections::HashSet;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::domain::question::QuestionKind;

/// One bucket of a draw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    pub section: String,
    /// 1..3, or any when absent.
    #[serde(default)]
    pub difficulty: Option<u8>,
    /// single, multiple, true_false, short_text or number; any when absent.
    #[serde(default, rename = "type")]
    #[schema(value_type = Option<String>)]
    pub kind: Option<QuestionKind>,
    pub count: usize,
}

impl Quota {
    /// A readable name of the bucket, e.g. `phan-1 × difficulty 2 × single`.
    pub fn bucket(&self) -> String {
        let mut s = self.section.clone();
        if let Some(d) = self.difficulty {
            s.push_str(&format!(" × difficulty {d}"));
        }
        if let Some(k) = self.kind {
            s.push_str(&format!(" × {}", k.as_str()));
        }
        s
    }
}

/// What the draw needs to know of a question.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: i32,
    pub bank: String,
    pub qid: String,
    pub section: String,
    pub difficulty: u8,
    pub kind: QuestionKind,
    /// Groups of questions that must not meet (`Question::groups`).
    pub groups: Vec<String>,
    /// Qids of the same bank that must not meet this one (`Question::excludes`).
    pub excludes: Vec<String>,
}

/// Why `a` and `b` must not meet in one contest, if they must not: a group they share or
/// an exclusion either way. Groups and ids are a bank's own, so questions of two banks
/// never clash.
pub fn clash(a: &Candidate, b: &Candidate) -> Option<String> {
    if a.bank != b.bank || a.id == b.id {
        return None;
    }
    if let Some(g) = a.groups.iter().find(|g| b.groups.contains(g)) {
        return Some(format!("both are in group {g:?}"));
    }
    if a.excludes.contains(&b.qid) {
        return Some(format!("{} excludes {}", a.qid, b.qid));
    }
    if b.excludes.contains(&a.qid) {
        return Some(format!("{} excludes {}", b.qid, a.qid));
    }
    None
}

/// A bucket that does not hold enough questions.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Shortfall {
    pub bucket: String,
    pub wanted: usize,
    pub available: usize,
    pub short: usize,
}

impl std::fmt::Display for Shortfall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} wanted, {} available, {} short", self.bucket, self.wanted, self.available, self.short)
    }
}

/// Picks `quota.count` questions per quota, in quota order, skipping `used` (questions
/// already in the contest), questions picked by an earlier quota, and any question that
/// clashes with one of those.
pub fn draw(
    candidates: &[Candidate],
    quotas: &[Quota],
    seed: i64,
    used: &[Candidate],
) -> Result<Vec<i32>, Vec<Shortfall>> {
    let exclude: HashSet<i32> = used.iter().map(|c| c.id).collect();
    let mut taken: Vec<&Candidate> = used.iter().collect();
    let mut sorted: Vec<&Candidate> = candidates.iter().filter(|c| !exclude.contains(&c.id)).collect();
    sorted.sort_by(|a, b| (&a.bank, &a.qid, a.id).cmp(&(&b.bank, &b.qid, b.id)));
    let mut rng = ChaCha8Rng::seed_from_u64(seed as u64);
    let mut chosen: Vec<i32> = Vec::new();
    let mut short = Vec::new();
    for q in quotas {
        let mut pool: Vec<&Candidate> = sorted
            .iter()
            .filter(|c| {
                c.section == q.section
                    && q.difficulty.is_none_or(|d| d == c.difficulty)
                    && q.kind.is_none_or(|k| k == c.kind)
                    && !chosen.contains(&c.id)
            })
            .copied()
            .collect();
        pool.shuffle(&mut rng);
        // Walk the shuffled pool, passing over what clashes with a question already taken;
        // without groups this is the plain "first `count` of the shuffle".
        let mut picked: Vec<&Candidate> = Vec::new();
        for c in pool {
            if picked.len() == q.count {
                break;
            }
            if taken.iter().chain(picked.iter()).any(|t| clash(t, c).is_some()) {
                continue;
            }
            picked.push(c);
        }
        if picked.len() < q.count {
            short.push(Shortfall {
                bucket: q.bucket(),
                wanted: q.count,
                available: picked.len(),
                short: q.count - picked.len(),
            });
            continue;
        }
        chosen.extend(picked.iter().map(|c| c.id));
        taken.extend(picked);
    }
    if short.is_empty() { Ok(chosen) } else { Err(short) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::check;

    fn shipped() -> Vec<Candidate> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("question_banks/chuyen-de-2024-2025");
        let bank = check::check_bank(&root).unwrap();
        bank.questions
            .iter()
            .enumerate()
            .map(|(i, q)| Candidate {
                id: i as i32 + 1,
                bank: q.bank.clone(),
                qid: q.qid.clone(),
                section: q.section.clone(),
                difficulty: q.difficulty,
                kind: q.kind(),
                groups: q.groups.clone(),
                excludes: q.excludes.clone(),
            })
            .collect()
    }

    fn quotas() -> Vec<Quota> {
        vec![
            Quota { section: "phan-1".into(), difficulty: Some(1), kind: None, count: 2 },
            Quota { section: "phan-3".into(), difficulty: None, kind: Some(QuestionKind::TrueFalse), count: 3 },
            Quota { section: "lien-quan".into(), difficulty: None, kind: None, count: 4 },
        ]
    }

    #[test]
    fn same_seed_same_questions_in_any_input_order() {
        let c = shipped();
        let a = draw(&c, &quotas(), 42, &[]).unwrap();
        let mut reversed = c.clone();
        reversed.reverse();
        assert_eq!(draw(&reversed, &quotas(), 42, &[]).unwrap(), a);
        assert_eq!(a.len(), 9);
        let others: Vec<Vec<i32>> = (0..5).map(|s| draw(&c, &quotas(), s, &[]).unwrap()).collect();
        assert!(others.iter().any(|o| *o != a), "different seeds should differ");
    }

    #[test]
    fn quotas_are_met_exactly() {
        let c = shipped();
        let ids = draw(&c, &quotas(), 7, &[]).unwrap();
        let by_id = |id: i32| c.iter().find(|x| x.id == id).unwrap();
        assert!(ids[..2].iter().all(|i| by_id(*i).section == "phan-1" && by_id(*i).difficulty == 1));
        assert!(ids[2..5].iter().all(|i| by_id(*i).kind == QuestionKind::TrueFalse && by_id(*i).section == "phan-3"));
        assert!(ids[5..].iter().all(|i| by_id(*i).section == "lien-quan"));
        let uniq: HashSet<i32> = ids.iter().copied().collect();
        assert_eq!(uniq.len(), ids.len());
    }

    #[test]
    fn excluded_questions_never_come_back() {
        let c = shipped();
        let first = draw(&c, &quotas(), 1, &[]).unwrap();
        let used: Vec<Candidate> = c.iter().filter(|x| first.contains(&x.id)).cloned().collect();
        let second = draw(&c, &quotas(), 1, &used).unwrap();
        assert!(second.iter().all(|i| !first.contains(i)));
    }

    #[test]
    fn a_short_bucket_is_named_with_how_many() {
        let c = shipped();
        let available = c.iter().filter(|x| x.section == "phan-1" && x.difficulty == 1).count();
        let q = vec![Quota { section: "phan-1".into(), difficulty: Some(1), kind: None, count: available + 2 }];
        let e = draw(&c, &q, 1, &[]).unwrap_err();
        assert_eq!(
            e,
            vec![Shortfall { bucket: "phan-1 × difficulty 1".into(), wanted: available + 2, available, short: 2 }]
        );
        assert_eq!(
            e[0].to_string(),
            format!("phan-1 × difficulty 1: {} wanted, {available} available, 2 short", available + 2)
        );
    }

    fn clashes_within(ids: &[i32], pool: &[Candidate]) -> Option<(String, String)> {
        let got: Vec<&Candidate> = ids.iter().map(|i| pool.iter().find(|c| c.id == *i).unwrap()).collect();
        for (i, a) in got.iter().enumerate() {
            for b in &got[i + 1..] {
                if clash(a, b).is_some() {
                    return Some((a.qid.clone(), b.qid.clone()));
                }
            }
        }
        None
    }

    #[test]
    fn questions_that_answer_each_other_never_meet() {
        let c = shipped();
        assert!(c.iter().any(|x| !x.groups.is_empty()), "the shipped bank marks its groups");
        // many seeds, a large share of every section: never two of a group
        for seed in 0..40 {
            let mut quotas = Vec::new();
            for (s, n) in [("phan-1", 8), ("phan-2", 4), ("phan-3", 10), ("lien-quan", 8)] {
                quotas.push(Quota { section: s.into(), difficulty: None, kind: None, count: n });
            }
            let ids = draw(&c, &quotas, seed, &[]).unwrap();
            assert_eq!(clashes_within(&ids, &c), None, "seed {seed}");
        }
    }

    #[test]
    fn a_used_question_keeps_its_group_out_and_a_full_draw_is_short() {
        let mk = |id: i32, qid: &str, groups: &[&str], excludes: &[&str]| Candidate {
            id,
            bank: "b".into(),
            qid: qid.into(),
            section: "s".into(),
            difficulty: 1,
            kind: QuestionKind::Single,
            groups: groups.iter().map(|g| g.to_string()).collect(),
            excludes: excludes.iter().map(|g| g.to_string()).collect(),
        };
        let c = vec![mk(1, "a", &["g"], &[]), mk(2, "b", &["g"], &[]), mk(3, "c", &[], &["d"]), mk(4, "d", &[], &[])];
        let q = |n| vec![Quota { section: "s".into(), difficulty: None, kind: None, count: n }];
        for seed in 0..20 {
            let ids = draw(&c, &q(2), seed, &[]).unwrap();
            assert_eq!(clashes_within(&ids, &c), None);
        }
        // four questions, but only two can meet: {a|b} and {c|d}
        let e = draw(&c, &q(3), 1, &[]).unwrap_err();
        assert_eq!((e[0].available, e[0].short), (2, 1));
        // a used in another part keeps b out; d used keeps c out
        let ids = draw(&c[1..3], &q(1), 1, &[c[0].clone(), c[3].clone()]).unwrap_err();
        assert_eq!(ids[0].available, 0);
        assert_eq!(clash(&c[2], &c[3]).unwrap(), "c excludes d");
        assert_eq!(clash(&c[3], &c[2]).unwrap(), "c excludes d");
        assert_eq!(clash(&c[0], &c[1]).unwrap(), "both are in group \"g\"");
        let mut other_bank = c[1].clone();
        other_bank.bank = "b2".into();
        assert_eq!(clash(&c[0], &other_bank), None);
    }
}
