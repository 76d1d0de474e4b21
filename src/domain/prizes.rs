//! Prizes (giải nhất, nhì, ba, khuyến khích) from the final ranking. Pure.
//!
//! The rule: the scheme's levels take consecutive places, in order — with 1 nhất, 1 nhì,
//! 2 ba, 2 khuyến khích, places 1, 2, 3–4 and 5–6. A team's prize is the level that holds
//! the place of its rank; teams that stay level after every tie-breaker share a rank
//! (1, 2, 2, 4), so they share that prize and the teams after them keep their own places
//! (the next team, ranked 4, gets place 4's prize).
//!
//! A last level marked `rest` takes every place after the levels before it (1 nhất, 2 nhì,
//! 3 ba, the rest khuyến khích), so no tie can run past it.
//!
//! A group of tied teams that fits inside its level (two teams ranked 3 when ba has two
//! places) is no question. A group that runs past the last place of its level (two teams
//! ranked 1 with one giải nhất; three teams ranked 6 with one place left) would hand out
//! more of that prize than the scheme holds: that is a **tie at the prize boundary**. It
//! is listed in [`Awards::ties`] and its teams' awards are marked `pending` until the
//! organiser confirms, at publication (`confirm_ties: true`), that the tied teams share
//! the prize (đồng giải). Instead of confirming, the organiser may set a tie-breaker or
//! adjust a score with a reason, and the tie disappears.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::contest::Prize;

/// A team's prize.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Award {
    /// 0 for the first level of the scheme (usually giải nhất), 1 for the next…
    pub level: u32,
    /// The level's name, e.g. "Giải nhất".
    pub name: String,
    /// Shared with other teams of the same rank (đồng giải).
    pub shared: bool,
    /// Part of a tie at the prize boundary that the organiser has not confirmed yet.
    pub pending: bool,
}

/// Teams tied across the last place of a prize level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PrizeTie {
    pub rank: u32,
    pub level: u32,
    pub prize: String,
    /// Places of this level left for the group.
    pub places: u32,
    pub team_ids: Vec<i32>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Awards {
    /// One per input row, in the same order.
    pub awards: Vec<Option<Award>>,
    pub ties: Vec<PrizeTie>,
}

/// The level holding 1-based place `place`, with the last place of that level.
fn level_of(scheme: &[Prize], place: u32) -> Option<(u32, u32)> {
    let mut end = 0u32;
    for (i, p) in scheme.iter().enumerate() {
        if p.rest {
            return Some((i as u32, u32::MAX));
        }
        end += p.count;
        if place <= end {
            return Some((i as u32, end));
        }
    }
    None
}

/// Awards prizes to ranked rows `(team_id, rank)` sorted by rank (as the board is).
/// `confirmed`: the organiser has confirmed that tied teams share prizes.
pub fn award(rows: &[(i32, u32)], scheme: &[Prize], confirmed: bool) -> Awards {
    let mut out = Awards { awards: Vec::with_capacity(rows.len()), ties: Vec::new() };
    let mut i = 0;
    while i < rows.len() {
        let rank = rows[i].1;
        let group: Vec<i32> = rows[i..].iter().take_while(|r| r.1 == rank).map(|r| r.0).collect();
        let n = group.len() as u32;
        let level = level_of(scheme, rank);
        let boundary = match level {
            Some((l, end)) if n > 1 && rank + n - 1 > end => {
                out.ties.push(PrizeTie {
                    rank,
                    level: l,
                    prize: scheme[l as usize].name.clone(),
                    places: end + 1 - rank,
                    team_ids: group.clone(),
                });
                true
            }
            _ => false,
        };
        for _ in &group {
            out.awards.push(level.map(|(l, _)| Award {
                level: l,
                name: scheme[l as usize].name.clone(),
                shared: n > 1,
                pending: boundary && !confirmed,
            }));
        }
        i += group.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contest::default_prizes;

    fn names(a: &Awards) -> Vec<Option<&str>> {
        a.awards.iter().map(|x| x.as_ref().map(|x| x.name.as_str())).collect()
    }

    fn ranked(ranks: &[u32]) -> Vec<(i32, u32)> {
        ranks.iter().enumerate().map(|(i, r)| (i as i32 + 1, *r)).collect()
    }

    #[test]
    fn the_default_scheme_in_order() {
        let a = award(&ranked(&[1, 2, 3, 4, 5, 6, 7]), &default_prizes(), false);
        assert_eq!(
            names(&a),
            vec![
                Some("Giải nhất"),
                Some("Giải nhì"),
                Some("Giải ba"),
                Some("Giải ba"),
                Some("Giải khuyến khích"),
                Some("Giải khuyến khích"),
                None
            ]
        );
        assert!(a.ties.is_empty());
        assert!(a.awards.iter().flatten().all(|x| !x.shared && !x.pending));
    }

    #[test]
    fn a_tie_inside_a_level_shares_it_without_confirmation() {
        let a = award(&ranked(&[1, 2, 3, 3, 5]), &default_prizes(), false);
        assert!(a.ties.is_empty());
        assert_eq!(names(&a)[2..4], [Some("Giải ba"), Some("Giải ba")]);
        assert!(a.awards[2].as_ref().unwrap().shared && !a.awards[2].as_ref().unwrap().pending);
        assert_eq!(names(&a)[4], Some("Giải khuyến khích"));
    }

    #[test]
    fn a_tie_across_a_boundary_waits_for_confirmation() {
        // Two teams ranked 1 with one giải nhất; the next team keeps place 3 (giải ba).
        let a = award(&ranked(&[1, 1, 3, 4]), &default_prizes(), false);
        assert_eq!(
            a.ties,
            vec![PrizeTie { rank: 1, level: 0, prize: "Giải nhất".into(), places: 1, team_ids: vec![1, 2] }]
        );
        assert!(a.awards[0].as_ref().unwrap().pending && a.awards[1].as_ref().unwrap().pending);
        assert_eq!(names(&a), vec![Some("Giải nhất"), Some("Giải nhất"), Some("Giải ba"), Some("Giải ba")]);
        let c = award(&ranked(&[1, 1, 3, 4]), &default_prizes(), true);
        assert_eq!(c.ties.len(), 1, "a confirmed tie is still listed");
        assert!(c.awards.iter().flatten().all(|x| !x.pending));
        assert!(c.awards[0].as_ref().unwrap().shared);
    }

    #[test]
    fn a_tie_at_the_last_prize_place() {
        let a = award(&ranked(&[1, 2, 3, 4, 5, 6, 6, 6, 9]), &default_prizes(), false);
        assert_eq!(a.ties.len(), 1);
        assert_eq!((a.ties[0].rank, a.ties[0].places, a.ties[0].team_ids.len()), (6, 1, 3));
        assert_eq!(names(&a)[5..], [Some("Giải khuyến khích"); 3].iter().copied().chain([None]).collect::<Vec<_>>());
    }

    #[test]
    fn the_rest_take_the_last_level() {
        let scheme: Vec<Prize> = serde_json::from_str(
            r#"[{"name": "Giải nhất", "count": 1}, {"name": "Giải nhì", "count": 2}, {"name": "Giải ba", "count": 3},
                {"name": "Giải khuyến khích", "rest": true}]"#,
        )
        .unwrap();
        assert!(crate::domain::contest::validate_prizes(&scheme).is_ok());
        let a = award(&ranked(&[1, 2, 3, 4, 5, 6, 7, 8, 8, 10]), &scheme, false);
        let n = names(&a);
        assert_eq!(n[..3], [Some("Giải nhất"), Some("Giải nhì"), Some("Giải nhì")]);
        assert_eq!(n[3..6], [Some("Giải ba"); 3]);
        assert!(n[6..].iter().all(|x| *x == Some("Giải khuyến khích")), "{n:?}");
        assert!(a.ties.is_empty(), "no tie can run past the rest");
        let mut bad = scheme.clone();
        bad.swap(0, 3);
        assert_eq!(crate::domain::contest::validate_prizes(&bad).unwrap_err().0, "prize_scheme[0].rest");
    }

    #[test]
    fn fewer_teams_than_prizes_and_an_empty_scheme() {
        let a = award(&ranked(&[1, 2]), &default_prizes(), false);
        assert_eq!(names(&a), vec![Some("Giải nhất"), Some("Giải nhì")]);
        assert_eq!(award(&ranked(&[1, 2]), &[], false).awards, vec![None, None]);
    }
}
