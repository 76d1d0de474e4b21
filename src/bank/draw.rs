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

/// Picks `quota.count` questions per quota, in quota order, skipping `exclude` (questions
/// already used in the contest) and questions picked by an earlier quota.
pub fn draw(
    candidates: &[Candidate],
    quotas: &[Quota],
    seed: i64,
    exclude: &HashSet<i32>,
) -> Result<Vec<i32>, Vec<Shortfall>> {
    let mut sorted: Vec<&Candidate> = candidates.iter().filter(|c| !exclude.contains(&c.id)).collect();
    sorted.sort_by(|a, b| (&a.bank, &a.qid, a.id).cmp(&(&b.bank, &b.qid, b.id)));
    let mut rng = ChaCha8Rng::seed_from_u64(seed as u64);
    let mut chosen: Vec<i32> = Vec::new();
    let mut short = Vec::new();
    for q in quotas {
        let mut pool: Vec<i32> = sorted
            .iter()
            .filter(|c| {
                c.section == q.section
                    && q.difficulty.is_none_or(|d| d == c.difficulty)
                    && q.kind.is_none_or(|k| k == c.kind)
                    && !chosen.contains(&c.id)
            })
            .map(|c| c.id)
            .collect();
        if pool.len() < q.count {
            short.push(Shortfall {
                bucket: q.bucket(),
                wanted: q.count,
                available: pool.len(),
                short: q.count - pool.len(),
            });
            continue;
        }
        pool.shuffle(&mut rng);
        chosen.extend(pool.into_iter().take(q.count));
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
            })
            .collect()
    }

    fn quotas() -> Vec<Quota> {
        vec![
            Quota { section: "phan-1".into(), difficulty: Some(1), kind: None, count: 3 },
            Quota { section: "phan-3".into(), difficulty: None, kind: Some(QuestionKind::TrueFalse), count: 4 },
            Quota { section: "lien-quan".into(), difficulty: None, kind: None, count: 5 },
        ]
    }

    #[test]
    fn same_seed_same_questions_in_any_input_order() {
        let c = shipped();
        let a = draw(&c, &quotas(), 42, &HashSet::new()).unwrap();
        let mut reversed = c.clone();
        reversed.reverse();
        assert_eq!(draw(&reversed, &quotas(), 42, &HashSet::new()).unwrap(), a);
        assert_eq!(a.len(), 12);
        let others: Vec<Vec<i32>> = (0..5).map(|s| draw(&c, &quotas(), s, &HashSet::new()).unwrap()).collect();
        assert!(others.iter().any(|o| *o != a), "different seeds should differ");
    }

    #[test]
    fn quotas_are_met_exactly() {
        let c = shipped();
        let ids = draw(&c, &quotas(), 7, &HashSet::new()).unwrap();
        let by_id = |id: i32| c.iter().find(|x| x.id == id).unwrap();
        assert!(ids[..3].iter().all(|i| by_id(*i).section == "phan-1" && by_id(*i).difficulty == 1));
        assert!(ids[3..7].iter().all(|i| by_id(*i).kind == QuestionKind::TrueFalse && by_id(*i).section == "phan-3"));
        assert!(ids[7..].iter().all(|i| by_id(*i).section == "lien-quan"));
        let uniq: HashSet<i32> = ids.iter().copied().collect();
        assert_eq!(uniq.len(), ids.len());
    }

    #[test]
    fn excluded_questions_never_come_back() {
        let c = shipped();
        let first = draw(&c, &quotas(), 1, &HashSet::new()).unwrap();
        let used: HashSet<i32> = first.iter().copied().collect();
        let second = draw(&c, &quotas(), 1, &used).unwrap();
        assert!(second.iter().all(|i| !used.contains(i)));
    }

    #[test]
    fn a_short_bucket_is_named_with_how_many() {
        let c = shipped();
        let available = c.iter().filter(|x| x.section == "phan-1" && x.difficulty == 1).count();
        let q = vec![Quota { section: "phan-1".into(), difficulty: Some(1), kind: None, count: available + 2 }];
        let e = draw(&c, &q, 1, &HashSet::new()).unwrap_err();
        assert_eq!(
            e,
            vec![Shortfall { bucket: "phan-1 × difficulty 1".into(), wanted: available + 2, available, short: 2 }]
        );
        assert_eq!(
            e[0].to_string(),
            format!("phan-1 × difficulty 1: {} wanted, {available} available, 2 short", available + 2)
        );
    }
}
