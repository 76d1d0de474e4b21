//! Who is still in an elimination part (rung chuông vàng), derived from what is stored:
//! the part's roster (the contestants who had joined when it started), which of them
//! answered each counted question right, and the organiser's rescues (cứu trợ). The live
//! engine and a recomputation from the database both call [`replay`], so a restart
//! rebuilds the same eliminated set and the board equals a recomputation.
//!
//! The rules: a question counts once it is revealed (never while voided). A contestant
//! still in is eliminated by a counted question they did not answer right (a wrong answer
//! or none); one already out is not asked again. A rescue made after a counted question
//! brings the chosen eliminated contestants back in for the next question.
use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How an elimination part adds to its teams' scores (in the part's `scoring.elimination`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct EliminationScoring {
    /// Points to a team for each of its contestants still in when the part finishes.
    pub points_per_survivor: f64,
    /// Points to a team for each counted question one of its contestants answered right
    /// while still in.
    pub points_per_question: f64,
}

impl EliminationScoring {
    pub fn validate(&self) -> Result<(), (String, String)> {
        for (field, v) in
            [("points_per_survivor", self.points_per_survivor), ("points_per_question", self.points_per_question)]
        {
            if !(v.is_finite() && (0.0..=10_000.0).contains(&v)) {
                return Err((format!("scoring.elimination.{field}"), "must be a number between 0 and 10000".into()));
            }
        }
        Ok(())
    }

    pub fn is_zero(&self) -> bool {
        self.points_per_survivor == 0.0 && self.points_per_question == 0.0
    }

    /// A team's points from its contestants' questions survived and survivors.
    pub fn team_points(&self, tally: TeamTally, finished: bool) -> f64 {
        let survivors = if finished { f64::from(tally.survivors) } else { 0.0 };
        self.points_per_question * f64::from(tally.questions) + self.points_per_survivor * survivors
    }
}

/// A rescue as the replay needs it: who, and after which question (its position in the part).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rescue {
    pub contestant_id: i32,
    pub after_position: i32,
}

/// A counted question: its id, its position in the part, and who answered it right.
pub struct Counted<'a> {
    pub id: i32,
    pub position: i32,
    pub right: &'a HashSet<i32>,
}

/// Where a contestant stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Still in the part.
    In,
    /// Brought back by a rescue since the last counted question.
    Rescued,
    /// Eliminated.
    Out,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Eliminated contestants → the question that eliminated them (the last time).
    pub out: HashMap<i32, i32>,
    /// Contestants back in by a rescue made after the last counted question.
    pub rescued: HashSet<i32>,
    /// Counted questions each contestant answered right while in.
    pub survived: HashMap<i32, u32>,
    /// The last counted question.
    pub last_question: Option<i32>,
    /// Eliminated on the last counted question and still out, by contestant id.
    pub eliminated_last: Vec<i32>,
    pub roster: usize,
}

impl Outcome {
    pub fn standing(&self, contestant_id: i32) -> Standing {
        if self.out.contains_key(&contestant_id) {
            Standing::Out
        } else if self.rescued.contains(&contestant_id) {
            Standing::Rescued
        } else {
            Standing::In
        }
    }

    pub fn remaining(&self) -> usize {
        self.roster - self.out.len()
    }
}

/// A team's share of the outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TeamTally {
    pub questions: u32,
    pub survivors: u32,
}

/// Replays the counted questions (in part order) and the rescues over the roster.
pub fn replay(roster: &[i32], counted: &[Counted], rescues: &[Rescue]) -> Outcome {
    let mut counted: Vec<&Counted> = counted.iter().collect();
    counted.sort_by_key(|q| (q.position, q.id));
    let mut rescues: Vec<Rescue> = rescues.to_vec();
    rescues.sort_by_key(|r| r.after_position);
    let mut o = Outcome { roster: roster.len(), ..Outcome::default() };
    let mut r = 0;
    for (i, q) in counted.iter().enumerate() {
        o.rescued.clear();
        let mut eliminated = vec![];
        for c in roster {
            if o.out.contains_key(c) {
                continue;
            }
            if q.right.contains(c) {
                *o.survived.entry(*c).or_default() += 1;
            } else {
                o.out.insert(*c, q.id);
                eliminated.push(*c);
            }
        }
        // Rescues made after this question and before the next counted one.
        let until = counted.get(i + 1).map_or(i32::MAX, |n| n.position);
        while r < rescues.len() && rescues[r].after_position < until {
            if rescues[r].after_position >= q.position && o.out.remove(&rescues[r].contestant_id).is_some() {
                o.rescued.insert(rescues[r].contestant_id);
            }
            r += 1;
        }
        o.last_question = Some(q.id);
        eliminated.retain(|c| o.out.contains_key(c));
        o.eliminated_last = eliminated;
    }
    o
}

/// Each team's questions survived and survivors, from the roster's teams.
pub fn team_tallies(outcome: &Outcome, team_of: &[(i32, i32)]) -> HashMap<i32, TeamTally> {
    let mut t: HashMap<i32, TeamTally> = HashMap::new();
    for (c, team) in team_of {
        let e = t.entry(*team).or_default();
        e.questions += outcome.survived.get(c).copied().unwrap_or(0);
        if !outcome.out.contains_key(c) {
            e.survivors += 1;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &[i32]) -> HashSet<i32> {
        v.iter().copied().collect()
    }

    #[test]
    fn wrong_or_missing_answers_eliminate_and_rescues_bring_back() {
        let roster = [1, 2, 3, 4, 5];
        let (a, b, c) = (set(&[1, 2, 3, 4]), set(&[1, 2, 5]), set(&[1, 3]));
        let q1 = Counted { id: 10, position: 1, right: &a };
        let q2 = Counted { id: 11, position: 2, right: &b };
        let o = replay(&roster, &[q1], &[]);
        assert_eq!(o.remaining(), 4);
        assert_eq!(o.eliminated_last, vec![5]);
        assert_eq!(o.standing(5), Standing::Out);
        // 5 answered q2 right but was already out; 3 and 4 did not.
        let q1 = Counted { id: 10, position: 1, right: &a };
        let o = replay(&roster, &[q1, q2], &[]);
        assert_eq!(o.remaining(), 2);
        assert_eq!(o.eliminated_last, vec![3, 4]);
        assert_eq!(o.out.get(&5), Some(&10));
        // Everyone eliminated on q2 is rescued after it: back in, and q3 counts for them.
        let rescues = [Rescue { contestant_id: 3, after_position: 2 }, Rescue { contestant_id: 4, after_position: 2 }];
        let q1 = Counted { id: 10, position: 1, right: &a };
        let q2 = Counted { id: 11, position: 2, right: &b };
        let o = replay(&roster, &[q1, q2], &rescues);
        assert_eq!((o.remaining(), o.standing(3), o.standing(5)), (4, Standing::Rescued, Standing::Out));
        assert!(o.eliminated_last.is_empty());
        let qs = [
            Counted { id: 10, position: 1, right: &a },
            Counted { id: 11, position: 2, right: &b },
            Counted { id: 12, position: 3, right: &c },
        ];
        let o = replay(&roster, &qs, &rescues);
        assert_eq!((o.remaining(), o.standing(1), o.standing(3)), (2, Standing::In, Standing::In));
        assert_eq!(o.eliminated_last, vec![2, 4]);
        assert_eq!(o.survived.get(&3), Some(&2));
        let t = team_tallies(&o, &[(1, 100), (2, 100), (3, 200), (4, 200), (5, 200)]);
        assert_eq!(t[&100], TeamTally { questions: 3 + 2, survivors: 1 });
        assert_eq!(t[&200], TeamTally { questions: 2 + 1, survivors: 1 });
        let s = EliminationScoring { points_per_survivor: 10.0, points_per_question: 1.0 };
        assert_eq!(s.team_points(t[&100], false), 5.0);
        assert_eq!(s.team_points(t[&100], true), 15.0);
    }

    #[test]
    fn a_rescue_after_a_question_later_voided_applies_after_the_last_counted_one() {
        let a = set(&[1]);
        let q1 = Counted { id: 10, position: 1, right: &a };
        // Question 2 was voided: the rescue made after it still brings 2 back.
        let o = replay(&[1, 2], &[q1], &[Rescue { contestant_id: 2, after_position: 2 }]);
        assert_eq!(o.remaining(), 2);
        assert_eq!(o.standing(2), Standing::Rescued);
    }

    #[test]
    fn settings_name_the_field() {
        let s = EliminationScoring { points_per_survivor: -1.0, ..Default::default() };
        assert_eq!(s.validate().unwrap_err().0, "scoring.elimination.points_per_survivor");
        assert!(serde_json::from_str::<EliminationScoring>(r#"{"per_survivor": 1}"#).is_err());
    }
}
