//! How judges' marks become a judged part's score (sân khấu hóa, hùng biện, chào hỏi).
//!
//! - A mark is one judge's points for one team on one criterion of the rubric: a finite
//!   number from 0 to the criterion's maximum, with at most two decimals (8.5, 7.25).
//! - A judge's total for a team is the sum of their marks; a sheet can be signed only when
//!   every criterion is marked.
//! - The part score of a team exists once **every judge assigned to the contest has signed**
//!   that team's sheet (a judge still marking could change it). It combines the signed totals
//!   with the rubric's aggregate:
//!   - mean;
//!   - trimmed mean: drop one highest and one lowest total, then the mean. With fewer than
//!     4 judges nothing is dropped (with 3, dropping two would leave one judge deciding
//!     alone), so it is the plain mean;
//!   - median: the middle total, or the mean of the two middle ones.
//!
//!   It is rounded to hundredths, the precision the board shows.
//! - A gap between two signed totals above the rubric's `gap_threshold` (0 = never) flags
//!   the team for re-marking; the flag is computed from the sheets signed so far, so the
//!   organiser sees it before the last judge signs.
//! - The order of performance is drawn by lot: the team ids, sorted, shuffled by a ChaCha8
//!   generator seeded with the recorded seed, so the same seed gives the same order.
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::part::{Aggregate, Rubric};
use super::ranking::round2;

/// Why a mark is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum MarkError {
    /// The rubric has no criterion with this index.
    UnknownCriterion {
        count: usize,
    },
    NotFinite,
    Negative,
    AboveMax {
        max: f64,
    },
    /// More than two decimals (8.555).
    TooPrecise,
}

impl MarkError {
    /// A stable code for clients that say it in their own language.
    pub fn code(&self) -> &'static str {
        match self {
            MarkError::UnknownCriterion { .. } => "criterion_unknown",
            MarkError::NotFinite => "mark_not_number",
            MarkError::Negative => "mark_negative",
            MarkError::AboveMax { .. } => "mark_above_max",
            MarkError::TooPrecise => "mark_too_precise",
        }
    }
}

/// Checks one mark against the rubric.
pub fn check_mark(rubric: &Rubric, criterion: usize, points: f64) -> Result<f64, MarkError> {
    let Some(c) = rubric.criteria.get(criterion) else {
        return Err(MarkError::UnknownCriterion { count: rubric.criteria.len() });
    };
    if !points.is_finite() {
        return Err(MarkError::NotFinite);
    }
    if points < 0.0 {
        return Err(MarkError::Negative);
    }
    if points > c.max_points {
        return Err(MarkError::AboveMax { max: c.max_points });
    }
    if ((points * 100.0).round() - points * 100.0).abs() > 1e-6 {
        return Err(MarkError::TooPrecise);
    }
    // -0.0 becomes 0.
    Ok(points + 0.0)
}

/// One judge's sheet for one team: a mark per criterion (None = not marked yet).
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub judge_id: i32,
    pub marks: Vec<Option<f64>>,
    pub signed: bool,
}

impl Sheet {
    /// The sum of the marks given so far.
    pub fn total(&self) -> f64 {
        round2(self.marks.iter().flatten().sum())
    }

    pub fn marked(&self) -> usize {
        self.marks.iter().filter(|m| m.is_some()).count()
    }

    /// The first criterion not marked yet.
    pub fn first_missing(&self) -> Option<usize> {
        self.marks.iter().position(Option::is_none)
    }
}

/// Every judge's sheet per team, from stored marks `(judge, team, criterion, points)` and
/// sheet rows `(judge, team, signed)`; a judge with marks but no sheet row is unsigned.
/// Marks of a criterion the rubric no longer has are ignored.
pub fn sheets_by_team(
    criteria: usize,
    marks: impl IntoIterator<Item = (i32, i32, i32, f64)>,
    sheets: impl IntoIterator<Item = (i32, i32, bool)>,
) -> std::collections::HashMap<i32, Vec<Sheet>> {
    use std::collections::HashMap;
    let mut by: HashMap<(i32, i32), Sheet> = HashMap::new();
    let blank = |judge_id| Sheet { judge_id, marks: vec![None; criteria], signed: false };
    for (judge, team, signed) in sheets {
        by.entry((team, judge)).or_insert_with(|| blank(judge)).signed = signed;
    }
    for (judge, team, criterion, points) in marks {
        let s = by.entry((team, judge)).or_insert_with(|| blank(judge));
        if let Some(slot) = usize::try_from(criterion).ok().and_then(|i| s.marks.get_mut(i)) {
            *slot = Some(points);
        }
    }
    let mut out: HashMap<i32, Vec<Sheet>> = HashMap::new();
    for ((team, _), s) in by {
        out.entry(team).or_default().push(s);
    }
    for v in out.values_mut() {
        v.sort_by_key(|s| s.judge_id);
    }
    out
}

/// The combination of the judges' totals, as configured. None without totals.
pub fn aggregate(how: Aggregate, totals: &[f64]) -> Option<f64> {
    if totals.is_empty() {
        return None;
    }
    let mut v = totals.to_vec();
    v.sort_by(f64::total_cmp);
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    let x = match how {
        Aggregate::Mean => mean(&v),
        Aggregate::TrimmedMean if v.len() >= 4 => mean(&v[1..v.len() - 1]),
        Aggregate::TrimmedMean => mean(&v),
        Aggregate::Median => {
            let n = v.len();
            if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
        }
    };
    Some(round2(x))
}

/// Where one team stands in a judged part.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The part score, once every assigned judge has signed.
    pub score: Option<f64>,
    /// Assigned judges who signed.
    pub signed: usize,
    /// Judges assigned to the contest.
    pub judges: usize,
    /// The largest gap between two signed totals (None with fewer than two).
    pub gap: Option<f64>,
    /// The gap is above the rubric's threshold: re-marking is advised.
    pub flagged: bool,
}

/// Combines one team's sheets; `judges` are the judges assigned to the contest (a sheet of
/// anyone else does not count).
pub fn combine(rubric: &Rubric, judges: &[i32], sheets: &[Sheet]) -> Outcome {
    let totals: Vec<f64> = sheets
        .iter()
        .filter(|s| s.signed && judges.contains(&s.judge_id) && s.first_missing().is_none())
        .map(Sheet::total)
        .collect();
    let all_signed = !judges.is_empty() && totals.len() == judges.len();
    let gap = (totals.len() >= 2).then(|| {
        let max = totals.iter().copied().fold(f64::MIN, f64::max);
        let min = totals.iter().copied().fold(f64::MAX, f64::min);
        round2(max - min)
    });
    let flagged = rubric.gap_threshold > 0.0 && gap.is_some_and(|g| g > rubric.gap_threshold + 1e-9);
    Outcome {
        score: if all_signed { aggregate(rubric.aggregate, &totals) } else { None },
        signed: totals.len(),
        judges: judges.len(),
        gap,
        flagged,
    }
}

/// The order of performance drawn by lot with `seed`.
pub fn draw_order(team_ids: &[i32], seed: i64) -> Vec<i32> {
    let mut v = team_ids.to_vec();
    v.sort_unstable();
    v.dedup();
    let mut rng = ChaCha8Rng::seed_from_u64(seed as u64);
    v.shuffle(&mut rng);
    v
}

/// The largest seed a page can send and read back as a JSON number (2^53 − 1).
pub const MAX_SEED: i64 = 9_007_199_254_740_991;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::part::Criterion;

    fn rubric(agg: Aggregate, gap: f64) -> Rubric {
        Rubric {
            criteria: vec![
                Criterion { name: "Nội dung".into(), max_points: 50.0 },
                Criterion { name: "Hình thức".into(), max_points: 30.0 },
                Criterion { name: "Thời gian".into(), max_points: 20.0 },
            ],
            aggregate: agg,
            gap_threshold: gap,
        }
    }

    fn signed(judge_id: i32, marks: [f64; 3]) -> Sheet {
        Sheet { judge_id, marks: marks.iter().map(|m| Some(*m)).collect(), signed: true }
    }

    #[test]
    fn marks_are_checked_against_the_criterion() {
        let r = rubric(Aggregate::Mean, 0.0);
        assert_eq!(check_mark(&r, 0, 8.5), Ok(8.5));
        assert_eq!(check_mark(&r, 1, 30.0), Ok(30.0));
        assert_eq!(check_mark(&r, 2, 0.0), Ok(0.0));
        assert_eq!(check_mark(&r, 0, -0.0).map(f64::to_bits), Ok(0.0f64.to_bits()));
        assert_eq!(check_mark(&r, 1, 30.5), Err(MarkError::AboveMax { max: 30.0 }));
        assert_eq!(check_mark(&r, 0, -1.0), Err(MarkError::Negative));
        assert_eq!(check_mark(&r, 3, 1.0), Err(MarkError::UnknownCriterion { count: 3 }));
        assert_eq!(check_mark(&r, 0, f64::NAN), Err(MarkError::NotFinite));
        assert_eq!(check_mark(&r, 0, 8.555), Err(MarkError::TooPrecise));
        assert_eq!(check_mark(&r, 0, 7.25), Ok(7.25));
    }

    #[test]
    fn aggregates() {
        let t = [70.0, 80.0, 85.5, 90.0, 99.0];
        assert_eq!(aggregate(Aggregate::Mean, &t), Some(84.9));
        // drop 70 and 99: (80 + 85.5 + 90) / 3 = 85.1666…
        assert_eq!(aggregate(Aggregate::TrimmedMean, &t), Some(85.17));
        assert_eq!(aggregate(Aggregate::Median, &t), Some(85.5));
        assert_eq!(aggregate(Aggregate::Median, &[70.0, 80.0, 90.0, 99.0]), Some(85.0));
        // four judges: the two middle ones
        assert_eq!(aggregate(Aggregate::TrimmedMean, &[60.0, 80.0, 90.0, 10.0]), Some(70.0));
        // fewer than four: nothing is dropped
        assert_eq!(aggregate(Aggregate::TrimmedMean, &[60.0, 80.0, 91.0]), Some(77.0));
        assert_eq!(aggregate(Aggregate::Mean, &[]), None);
    }

    #[test]
    fn the_score_waits_for_every_assigned_judge() {
        let r = rubric(Aggregate::TrimmedMean, 0.0);
        let judges = [1, 2, 3, 4];
        let mut sheets =
            vec![signed(1, [40.0, 20.0, 10.0]), signed(2, [45.0, 25.0, 15.0]), signed(3, [30.0, 20.0, 10.0])];
        sheets.push(Sheet { judge_id: 4, marks: vec![Some(50.0), Some(30.0), Some(20.0)], signed: false });
        let o = combine(&r, &judges, &sheets);
        assert_eq!((o.score, o.signed, o.judges), (None, 3, 4));
        sheets[3].signed = true;
        // totals 70, 85, 60, 100 → drop 60 and 100 → 77.5
        assert_eq!(combine(&r, &judges, &sheets).score, Some(77.5));
        // a sheet of a judge no longer assigned does not count
        assert_eq!(combine(&r, &[1, 2, 3], &sheets).score, Some(71.67));
        assert_eq!(combine(&r, &[], &sheets).score, None);
    }

    #[test]
    fn a_gap_above_the_threshold_flags_the_team() {
        let r = rubric(Aggregate::Mean, 15.0);
        let sheets = [signed(1, [40.0, 20.0, 10.0]), signed(2, [45.0, 25.0, 15.0])];
        let o = combine(&r, &[1, 2, 3], &sheets);
        assert_eq!((o.gap, o.flagged), (Some(15.0), false), "a gap equal to the threshold is fine");
        let sheets = [signed(1, [40.0, 20.0, 10.0]), signed(2, [45.0, 25.0, 15.5])];
        let o = combine(&r, &[1, 2, 3], &sheets);
        assert_eq!((o.gap, o.flagged, o.score), (Some(15.5), true, None));
        let never = rubric(Aggregate::Mean, 0.0);
        assert!(!combine(&never, &[1, 2], &sheets).flagged);
        let one = combine(&r, &[1, 2], &sheets[..1]);
        assert_eq!((one.gap, one.flagged), (None, false));
    }

    #[test]
    fn sheets_know_what_is_missing() {
        let s = Sheet { judge_id: 1, marks: vec![Some(8.5), None, Some(2.25)], signed: false };
        assert_eq!((s.total(), s.marked(), s.first_missing()), (10.75, 2, Some(1)));
    }

    #[test]
    fn the_same_seed_draws_the_same_order() {
        let teams = [5, 1, 9, 3, 7, 2];
        let a = draw_order(&teams, 42);
        assert_eq!(a, draw_order(&[1, 2, 3, 5, 7, 9], 42), "input order does not matter");
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, vec![1, 2, 3, 5, 7, 9]);
        assert!((0..20).any(|s| draw_order(&teams, s) != a), "different seeds give different orders");
    }
}
