//! The scoreboard: per-part and weighted total scores of every team, ranked with ties
//! shown as ties (1, 2, 2, 4) after the configured tie-breakers. Pure: built from tallies
//! that the live engine keeps incrementally or that a recomputation derives from scratch.
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What decides between teams with the same total, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TieBreak {
    /// The higher score in this part wins.
    Part { part_id: i32 },
    /// The smaller total answer time (of the answers that counted) wins.
    AnswerTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PartInfo {
    pub id: i32,
    pub title: String,
    pub weight: f64,
}

/// One team's raw sums, before weighting and ranking.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Points per part (question points plus that part's adjustments).
    pub parts: BTreeMap<i32, f64>,
    /// Adjustments made to the contest total rather than to a part.
    pub extra: f64,
    pub answer_time_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PartScore {
    pub part_id: i32,
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BoardRow {
    /// 1-based; teams that stay level after every tie-breaker share a rank.
    pub rank: u32,
    pub team_id: i32,
    pub team_name: String,
    /// Σ weight·part score + total adjustments, rounded to 0.01.
    pub total: f64,
    pub parts: Vec<PartScore>,
    pub answer_time_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BoardPart {
    pub part_id: i32,
    pub title: String,
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Board {
    pub parts: Vec<BoardPart>,
    pub rows: Vec<BoardRow>,
}

/// Rounds to 0.01 so that float noise never splits a tie.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn cents(x: f64) -> i64 {
    (x * 100.0).round() as i64
}

/// Builds the ranked board. Teams missing from `tallies` score 0.
pub fn build(teams: &[(i32, String)], parts: &[PartInfo], tallies: &HashMap<i32, Tally>, ties: &[TieBreak]) -> Board {
    let empty = Tally::default();
    let mut rows: Vec<BoardRow> = teams
        .iter()
        .map(|(id, name)| {
            let t = tallies.get(id).unwrap_or(&empty);
            let part_scores: Vec<PartScore> = parts
                .iter()
                .map(|p| PartScore { part_id: p.id, score: round2(t.parts.get(&p.id).copied().unwrap_or(0.0)) })
                .collect();
            let total =
                parts.iter().map(|p| p.weight * t.parts.get(&p.id).copied().unwrap_or(0.0)).sum::<f64>() + t.extra;
            BoardRow {
                rank: 0,
                team_id: *id,
                team_name: name.clone(),
                total: round2(total),
                parts: part_scores,
                answer_time_ms: t.answer_time_ms,
            }
        })
        .collect();
    let cmp = |a: &BoardRow, b: &BoardRow| compare(a, b, ties);
    rows.sort_by(|a, b| cmp(a, b).then(a.team_id.cmp(&b.team_id)));
    for i in 0..rows.len() {
        rows[i].rank =
            if i > 0 && cmp(&rows[i - 1], &rows[i]) == Ordering::Equal { rows[i - 1].rank } else { i as u32 + 1 };
    }
    Board {
        parts: parts.iter().map(|p| BoardPart { part_id: p.id, title: p.title.clone(), weight: p.weight }).collect(),
        rows,
    }
}

/// `Less` when `a` ranks above `b`.
fn compare(a: &BoardRow, b: &BoardRow, ties: &[TieBreak]) -> Ordering {
    let part = |r: &BoardRow, id: i32| r.parts.iter().find(|p| p.part_id == id).map_or(0, |p| cents(p.score));
    let mut ord = cents(b.total).cmp(&cents(a.total));
    for t in ties {
        if ord != Ordering::Equal {
            break;
        }
        ord = match t {
            TieBreak::Part { part_id } => part(b, *part_id).cmp(&part(a, *part_id)),
            TieBreak::AnswerTime => a.answer_time_ms.cmp(&b.answer_time_ms),
        };
    }
    ord
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn teams(n: i32) -> Vec<(i32, String)> {
        (1..=n).map(|i| (i, format!("Đội {i}"))).collect()
    }

    fn tally(part1: f64, part2: f64, time: i64) -> Tally {
        Tally { parts: BTreeMap::from([(1, part1), (2, part2)]), extra: 0.0, answer_time_ms: time }
    }

    fn parts() -> Vec<PartInfo> {
        vec![
            PartInfo { id: 1, title: "Khởi động".into(), weight: 1.0 },
            PartInfo { id: 2, title: "Tăng tốc".into(), weight: 2.0 },
        ]
    }

    #[test]
    fn ties_are_shown_as_ties() {
        let t = HashMap::from([
            (1, tally(10.0, 0.0, 0)),
            (2, tally(20.0, 0.0, 0)),
            (3, tally(0.0, 5.0, 0)),
            (4, tally(5.0, 0.0, 0)),
        ]);
        let b = build(&teams(4), &parts(), &t, &[]);
        let ranks: Vec<(i32, u32)> = b.rows.iter().map(|r| (r.team_id, r.rank)).collect();
        assert_eq!(ranks, vec![(2, 1), (1, 2), (3, 2), (4, 4)]);
        assert_eq!(b.rows[2].total, 10.0);
    }

    #[test]
    fn tie_breakers_in_order() {
        let t = HashMap::from([(1, tally(10.0, 0.0, 900)), (2, tally(0.0, 5.0, 500)), (3, tally(0.0, 5.0, 400))]);
        let b = build(&teams(3), &parts(), &t, &[TieBreak::Part { part_id: 2 }, TieBreak::AnswerTime]);
        let order: Vec<(i32, u32)> = b.rows.iter().map(|r| (r.team_id, r.rank)).collect();
        assert_eq!(order, vec![(3, 1), (2, 2), (1, 3)]);
        let b = build(&teams(3), &parts(), &t, &[TieBreak::Part { part_id: 1 }]);
        let order: Vec<(i32, u32)> = b.rows.iter().map(|r| (r.team_id, r.rank)).collect();
        assert_eq!(order, vec![(1, 1), (2, 2), (3, 2)]);
    }

    #[test]
    fn weights_and_extra_adjustments() {
        let mut t1 = tally(10.0, 3.0, 0);
        t1.extra = -1.5;
        let b = build(&teams(1), &parts(), &HashMap::from([(1, t1)]), &[]);
        assert_eq!(b.rows[0].total, 14.5);
    }

    #[test]
    fn json_of_tie_breakers() {
        let v: Vec<TieBreak> =
            serde_json::from_str(r#"[{"kind": "part", "part_id": 3}, {"kind": "answer_time"}]"#).unwrap();
        assert_eq!(v, vec![TieBreak::Part { part_id: 3 }, TieBreak::AnswerTime]);
    }

    proptest! {
        #[test]
        fn rank_is_one_plus_the_number_strictly_ahead(
            scores in proptest::collection::vec((0i32..6, 0i32..4, 0i64..3), 1..30), use_ties: bool,
        ) {
            let t: HashMap<i32, Tally> = scores.iter().enumerate()
                .map(|(i, (a, b, time))| (i as i32 + 1, tally(*a as f64, *b as f64 * 0.5, *time))).collect();
            let ties = if use_ties { vec![TieBreak::Part { part_id: 1 }, TieBreak::AnswerTime] } else { vec![] };
            let b = build(&teams(scores.len() as i32), &parts(), &t, &ties);
            for r in &b.rows {
                let ahead = b.rows.iter().filter(|o| compare(o, r, &ties) == Ordering::Less).count();
                prop_assert_eq!(r.rank as usize, ahead + 1);
            }
            for w in b.rows.windows(2) {
                prop_assert!(w[0].rank <= w[1].rank);
                prop_assert!(w[0].total >= w[1].total);
            }
        }
    }
}
