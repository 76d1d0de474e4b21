//! The scoreboard: per-part and weighted total scores of every team, ranked with ties
//! shown as ties (1, 2, 2, 4) after the configured tie-breakers. Pure: built from tallies
//! that the live engine keeps incrementally or that a recomputation derives from scratch.
//!
//! The total is Σ weight · min(part score, part maximum) over the parts that count, plus
//! the adjustments made to the total itself. Each part's score (its points plus the
//! adjustments made to that part) is capped at the part's `max_points`; a maximum of 0 or
//! less means no cap (the API always stores a maximum > 0, so every part is capped).
//! There is no floor: penalties may take a part below 0.
//!
//! A **tie-break part** (a quiz or buzzer part played only by the tied teams, see
//! `parts.tie_break_teams`) is shown on the board but never added to the total: its score
//! only decides between teams level on total. The configured tie-breakers apply in order;
//! a tie-break part that the configuration does not name comes after them, in part order.
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
    /// The cap of the part's score; ≤ 0: no cap.
    pub max_points: f64,
    /// A tie-break part: shown, not added to the total, used only to break ties.
    pub tie_break: bool,
}

impl PartInfo {
    /// The part's score as it counts: capped at its maximum.
    pub fn capped(&self, score: f64) -> f64 {
        if self.max_points > 0.0 { score.min(self.max_points) } else { score }
    }
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
    /// The score that counts: capped at the part's maximum, rounded to 0.01.
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BoardRow {
    /// 1-based; teams that stay level after every tie-breaker share a rank.
    pub rank: u32,
    pub team_id: i32,
    pub team_name: String,
    /// Σ weight·capped part score (tie-break parts excluded) + total adjustments,
    /// rounded to 0.01.
    pub total: f64,
    pub parts: Vec<PartScore>,
    pub answer_time_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BoardPart {
    pub part_id: i32,
    pub title: String,
    pub weight: f64,
    pub max_points: f64,
    /// Not in the total: it only breaks ties.
    #[serde(default)]
    pub tie_break: bool,
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
            let score = |p: &PartInfo| p.capped(t.parts.get(&p.id).copied().unwrap_or(0.0));
            let part_scores: Vec<PartScore> =
                parts.iter().map(|p| PartScore { part_id: p.id, score: round2(score(p)) }).collect();
            let total = parts.iter().filter(|p| !p.tie_break).map(|p| p.weight * score(p)).sum::<f64>() + t.extra;
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
    let ties = effective_ties(parts, ties);
    let cmp = |a: &BoardRow, b: &BoardRow| compare(a, b, &ties);
    rows.sort_by(|a, b| cmp(a, b).then(a.team_id.cmp(&b.team_id)));
    for i in 0..rows.len() {
        rows[i].rank =
            if i > 0 && cmp(&rows[i - 1], &rows[i]) == Ordering::Equal { rows[i - 1].rank } else { i as u32 + 1 };
    }
    Board {
        parts: parts
            .iter()
            .map(|p| BoardPart {
                part_id: p.id,
                title: p.title.clone(),
                weight: p.weight,
                max_points: p.max_points,
                tie_break: p.tie_break,
            })
            .collect(),
        rows,
    }
}

/// The configured tie-breakers, then every tie-break part they do not name, in part order.
pub fn effective_ties(parts: &[PartInfo], ties: &[TieBreak]) -> Vec<TieBreak> {
    let mut out = ties.to_vec();
    for p in parts.iter().filter(|p| p.tie_break) {
        let t = TieBreak::Part { part_id: p.id };
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
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

    fn part(id: i32, weight: f64, max_points: f64) -> PartInfo {
        PartInfo { id, title: format!("Phần {id}"), weight, max_points, tie_break: false }
    }

    fn parts() -> Vec<PartInfo> {
        vec![
            PartInfo { id: 1, title: "Khởi động".into(), weight: 1.0, max_points: 0.0, tie_break: false },
            PartInfo { id: 2, title: "Tăng tốc".into(), weight: 2.0, max_points: 0.0, tie_break: false },
        ]
    }

    fn order(b: &Board) -> Vec<(i32, u32)> {
        b.rows.iter().map(|r| (r.team_id, r.rank)).collect()
    }

    #[test]
    fn each_part_is_capped_at_its_maximum_before_weighting() {
        // Part 1 (max 30, weight 1): 45 counts as 30. Part 2 (max 20, weight 2): 25 → 20.
        let p = vec![part(1, 1.0, 30.0), part(2, 2.0, 20.0)];
        let t = HashMap::from([(1, tally(45.0, 10.0, 0)), (2, tally(30.0, 25.0, 0)), (3, tally(29.5, 20.0, 0))]);
        let b = build(&teams(3), &p, &t, &[]);
        let row = |id: i32| b.rows.iter().find(|r| r.team_id == id).unwrap();
        assert_eq!(row(1).total, 50.0, "30 + 2·10");
        assert_eq!(row(1).parts[0].score, 30.0, "the board shows the capped score");
        assert_eq!(row(2).total, 70.0, "30 + 2·20");
        assert_eq!(row(3).total, 69.5);
        assert_eq!(order(&b), vec![(2, 1), (3, 2), (1, 3)]);
        assert_eq!(b.parts[1].max_points, 20.0);
        // Below the cap nothing changes; 0 means no cap; a penalty may go below 0.
        let b = build(&teams(1), &[part(1, 1.0, 0.0)], &HashMap::from([(1, tally(1e4, 0.0, 0))]), &[]);
        assert_eq!(b.rows[0].total, 1e4);
        let b = build(&teams(1), &[part(1, 1.0, 10.0)], &HashMap::from([(1, tally(-5.0, 0.0, 0))]), &[]);
        assert_eq!(b.rows[0].total, -5.0);
    }

    #[test]
    fn weights_multiply_capped_part_scores() {
        let p = vec![part(1, 0.5, 100.0), part(2, 3.0, 10.0)];
        let t = HashMap::from([(1, tally(80.0, 12.0, 0)), (2, tally(100.0, 6.0, 0))]);
        let b = build(&teams(2), &p, &t, &[]);
        assert_eq!(order(&b), vec![(1, 1), (2, 2)], "40 + 30 = 70 beats 50 + 18 = 68");
        assert_eq!(b.rows[0].total, 70.0);
        assert_eq!(b.rows[1].total, 68.0);
    }

    #[test]
    fn a_tie_broken_by_a_named_part_and_a_tie_left_as_a_tie() {
        // Teams 1 and 2 tie on 60 (quiz 40 + skit 20 vs quiz 30 + skit 30); the skit decides.
        // Teams 3 and 4 tie on 50 with the same skit score: they stay tied.
        let p = vec![part(1, 1.0, 100.0), part(2, 1.0, 100.0)];
        let t = HashMap::from([
            (1, tally(40.0, 20.0, 100)),
            (2, tally(30.0, 30.0, 900)),
            (3, tally(30.0, 20.0, 100)),
            (4, tally(30.0, 20.0, 900)),
        ]);
        let b = build(&teams(4), &p, &t, &[TieBreak::Part { part_id: 2 }]);
        assert_eq!(order(&b), vec![(2, 1), (1, 2), (3, 3), (4, 3)]);
        let b = build(&teams(4), &p, &t, &[]);
        assert_eq!(order(&b), vec![(1, 1), (2, 1), (3, 3), (4, 3)], "no tie-breaker: ties shown as ties");
    }

    #[test]
    fn a_tie_break_part_is_not_in_the_total_and_breaks_what_is_left() {
        let mut tb = part(3, 1.0, 10.0);
        tb.tie_break = true;
        let p = vec![part(1, 1.0, 100.0), part(2, 1.0, 100.0), tb];
        let mut t = HashMap::from([(1, tally(40.0, 20.0, 0)), (2, tally(40.0, 20.0, 0)), (3, tally(50.0, 20.0, 0))]);
        // Before the tie-break question: 1 and 2 tied at 60 after the skit too.
        let b = build(&teams(3), &p, &t, &[TieBreak::Part { part_id: 2 }]);
        assert_eq!(order(&b), vec![(3, 1), (1, 2), (2, 2)]);
        // Team 2 wins the tie-break question: 10 points that do not count in the total.
        t.get_mut(&2).unwrap().parts.insert(3, 10.0);
        let b = build(&teams(3), &p, &t, &[TieBreak::Part { part_id: 2 }]);
        assert_eq!(order(&b), vec![(3, 1), (2, 2), (1, 3)]);
        assert_eq!(b.rows[1].total, 60.0, "the tie-break score is not added");
        assert_eq!(b.rows[1].parts[2].score, 10.0);
        assert!(b.parts[2].tie_break);
        // Named explicitly before the skit, it decides first.
        t.get_mut(&1).unwrap().parts.insert(2, 25.0);
        t.get_mut(&1).unwrap().parts.insert(1, 35.0);
        let ties = [TieBreak::Part { part_id: 3 }, TieBreak::Part { part_id: 2 }];
        let b = build(&teams(3), &p, &t, &ties);
        assert_eq!(order(&b), vec![(3, 1), (2, 2), (1, 3)]);
        let b = build(&teams(3), &p, &t, &[TieBreak::Part { part_id: 2 }]);
        assert_eq!(order(&b), vec![(3, 1), (1, 2), (2, 3)], "the skit first: 25 beats 20");
        assert_eq!(
            effective_ties(&p, &[TieBreak::AnswerTime]),
            vec![TieBreak::AnswerTime, TieBreak::Part { part_id: 3 }]
        );
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
            let ties = effective_ties(&parts(), &ties);
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
