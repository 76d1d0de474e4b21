//! How a quiz question's counted answers turn into points: fixed points, speed bonus
//! (Kahoot-style or by order of right answers), wrong-answer penalty, star of hope and
//! partial credit. Pure: the live engine and the from-scratch recomputation both call
//! [`score_question`], so they cannot disagree.
use super::part::{Scoring, SpeedBonus};
use super::question::{Question, Response};

/// The one answer of a team that counts for a question (the last one it sent before the
/// deadline; under "captain only" only the captain's answers are accepted at all).
#[derive(Debug, Clone, PartialEq)]
pub struct CountedAnswer {
    pub team_id: i32,
    pub response: Response,
    /// Time taken, measured from the question's opening on the server.
    pub elapsed_ms: i64,
    pub star: bool,
    /// Server receive time; breaks ties in the order of right answers.
    pub received_at: i64,
    /// The stored answer's id: the order in which the server stored it, which breaks ties
    /// within one millisecond (two answers sent one after the other can share one).
    pub stored: i64,
}

/// What one team earned on one question.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuestionResult {
    pub team_id: i32,
    pub points: f64,
    /// 0.0 wrong … 1.0 fully right.
    pub fraction: f64,
    pub elapsed_ms: i64,
    pub star: bool,
}

impl QuestionResult {
    pub fn is_correct(&self) -> bool {
        self.fraction >= 1.0
    }
}

/// Points for one answer once its grade and, for ranked bonuses, its place among the
/// right answers (0 = first) are known.
///
/// - right: `points`, or `points·(1 − t/T/2)` with the Kahoot bonus, plus the ranked bonus
///   of its place; doubled when the team staked its star of hope;
/// - partly right (multiple choice with partial credit): `points·fraction`, no bonus,
///   no penalty; with a star it counts as not right;
/// - wrong: `−wrong_penalty`; with a star `−points` instead (the stake is lost).
pub fn answer_points(
    scoring: &Scoring,
    points: f64,
    time_limit_ms: i64,
    fraction: f64,
    elapsed_ms: i64,
    star: bool,
    right_rank: Option<usize>,
) -> f64 {
    let fraction = fraction.clamp(0.0, 1.0);
    if fraction >= 1.0 {
        let mut earned = match scoring.speed_bonus {
            SpeedBonus::Kahoot if time_limit_ms > 0 => {
                let t = elapsed_ms.clamp(0, time_limit_ms) as f64;
                points * (1.0 - t / time_limit_ms as f64 / 2.0)
            }
            _ => points,
        };
        if let (SpeedBonus::Ranked { points: bonus }, Some(rank)) = (&scoring.speed_bonus, right_rank) {
            earned += bonus.get(rank).copied().unwrap_or(0.0);
        }
        if star && scoring.star_of_hope { earned * 2.0 } else { earned }
    } else if star && scoring.star_of_hope {
        -points
    } else if fraction > 0.0 {
        points * fraction
    } else {
        -scoring.wrong_penalty
    }
}

/// Scores every counted answer of one question. Teams without an answer earn nothing and
/// are not listed.
pub fn score_question(
    scoring: &Scoring,
    question: &Question,
    points: f64,
    time_limit_ms: i64,
    counted: &[CountedAnswer],
) -> Vec<QuestionResult> {
    let graded: Vec<(usize, f64)> = counted
        .iter()
        .enumerate()
        .map(|(i, a)| (i, question.grade(&a.response, scoring.partial_multiple).fraction))
        .collect();
    // The order of right answers: fastest first, then earliest received, then first stored
    // (the server's receive order within a millisecond), so the same stored answers always
    // give the same ranks.
    let mut right: Vec<usize> = graded.iter().filter(|(_, f)| *f >= 1.0).map(|(i, _)| *i).collect();
    right.sort_by_key(|i| (counted[*i].elapsed_ms, counted[*i].received_at, counted[*i].stored, counted[*i].team_id));
    graded
        .into_iter()
        .map(|(i, fraction)| {
            let a = &counted[i];
            let rank = right.iter().position(|r| *r == i);
            QuestionResult {
                team_id: a.team_id,
                points: answer_points(scoring, points, time_limit_ms, fraction, a.elapsed_ms, a.star, rank),
                fraction,
                elapsed_ms: a.elapsed_ms,
                star: a.star,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::question::{Solution, Source};
    use proptest::prelude::*;

    fn single(option: usize) -> Question {
        Question {
            qid: "t-1".into(),
            bank: "b".into(),
            section: "s".into(),
            prompt: "?".into(),
            options: vec!["a".into(), "b".into(), "c".into(), "d".into()],
            solution: Solution::Single { option },
            explanation: String::new(),
            difficulty: 1,
            points: 10.0,
            time_limit_s: 20,
            tags: vec![],
            source: Source { document: "d".into(), quote: "q".into() },
            unit: None,
            groups: vec![],
            excludes: vec![],
            abbreviations: Default::default(),
        }
    }

    fn ans(team_id: i32, choice: usize, elapsed_ms: i64, star: bool) -> CountedAnswer {
        CountedAnswer {
            team_id,
            response: Response::Choice { choice },
            elapsed_ms,
            star,
            received_at: elapsed_ms,
            stored: 0,
        }
    }

    #[test]
    fn fixed_points_and_penalty() {
        let s = Scoring { wrong_penalty: 5.0, ..Scoring::default() };
        let r = score_question(&s, &single(1), 10.0, 20_000, &[ans(1, 1, 3000, false), ans(2, 0, 1000, false)]);
        assert_eq!(r[0].points, 10.0);
        assert_eq!(r[1].points, -5.0);
    }

    #[test]
    fn kahoot_bonus_halves_at_the_deadline() {
        let s = Scoring { speed_bonus: SpeedBonus::Kahoot, ..Scoring::default() };
        assert_eq!(answer_points(&s, 100.0, 20_000, 1.0, 0, false, None), 100.0);
        assert_eq!(answer_points(&s, 100.0, 20_000, 1.0, 10_000, false, None), 75.0);
        assert_eq!(answer_points(&s, 100.0, 20_000, 1.0, 20_000, false, None), 50.0);
        assert_eq!(answer_points(&s, 100.0, 20_000, 1.0, 99_000, false, None), 50.0);
        assert_eq!(answer_points(&s, 100.0, 20_000, 0.0, 0, false, None), 0.0);
    }

    #[test]
    fn ranked_bonus_by_order_of_right_answers() {
        let s =
            Scoring { speed_bonus: SpeedBonus::Ranked { points: vec![40.0, 30.0, 20.0, 10.0] }, ..Scoring::default() };
        let counted = [ans(1, 1, 5000, false), ans(2, 1, 1000, false), ans(3, 0, 500, false), ans(4, 1, 3000, false)];
        let r = score_question(&s, &single(1), 10.0, 20_000, &counted);
        let by_team = |t: i32| r.iter().find(|x| x.team_id == t).unwrap().points;
        assert_eq!(by_team(2), 50.0);
        assert_eq!(by_team(4), 40.0);
        assert_eq!(by_team(1), 30.0);
        assert_eq!(by_team(3), 0.0);
    }

    #[test]
    fn ranked_bonus_ties_within_a_millisecond_go_to_the_first_stored() {
        let s = Scoring { speed_bonus: SpeedBonus::Ranked { points: vec![40.0, 30.0] }, ..Scoring::default() };
        // Team 4's answer was stored before team 3's, in the same millisecond.
        let counted = [
            CountedAnswer { stored: 12, ..ans(3, 1, 800, false) },
            CountedAnswer { stored: 11, ..ans(4, 1, 800, false) },
        ];
        let r = score_question(&s, &single(1), 10.0, 20_000, &counted);
        let by_team = |t: i32| r.iter().find(|x| x.team_id == t).unwrap().points;
        assert_eq!((by_team(4), by_team(3)), (50.0, 40.0));
    }

    #[test]
    fn star_of_hope_doubles_or_loses() {
        let s = Scoring { star_of_hope: true, wrong_penalty: 2.0, ..Scoring::default() };
        assert_eq!(answer_points(&s, 10.0, 20_000, 1.0, 0, true, None), 20.0);
        assert_eq!(answer_points(&s, 10.0, 20_000, 0.0, 0, true, None), -10.0);
        assert_eq!(answer_points(&s, 10.0, 20_000, 0.5, 0, true, None), -10.0);
        assert_eq!(answer_points(&s, 10.0, 20_000, 0.0, 0, false, None), -2.0);
        // A star sent to a part without stars changes nothing.
        let plain = Scoring::default();
        assert_eq!(answer_points(&plain, 10.0, 20_000, 1.0, 0, true, None), 10.0);
    }

    #[test]
    fn partial_multiple() {
        let mut q = single(0);
        q.solution = Solution::Multiple { options: vec![0, 2] };
        let s = Scoring { partial_multiple: true, wrong_penalty: 3.0, ..Scoring::default() };
        let a = CountedAnswer {
            team_id: 1,
            response: Response::Choices { choices: vec![0] },
            elapsed_ms: 0,
            star: false,
            received_at: 0,
            stored: 0,
        };
        assert_eq!(score_question(&s, &q, 10.0, 20_000, std::slice::from_ref(&a))[0].points, 5.0);
        let all_or_nothing = Scoring { partial_multiple: false, ..s };
        assert_eq!(score_question(&all_or_nothing, &q, 10.0, 20_000, &[a])[0].points, -3.0);
    }

    proptest! {
        #[test]
        fn points_stay_within_bounds(
            points in 0.0f64..100.0, limit in 1i64..120_000, fraction in 0.0f64..=1.0,
            elapsed in 0i64..200_000, star: bool, rank in proptest::option::of(0usize..10),
            penalty in 0.0f64..20.0, kahoot: bool,
        ) {
            let speed_bonus = if kahoot { SpeedBonus::Kahoot } else { SpeedBonus::Ranked { points: vec![40.0, 30.0, 20.0, 10.0] } };
            let s = Scoring { speed_bonus, wrong_penalty: penalty, star_of_hope: true, ..Scoring::default() };
            let p = answer_points(&s, points, limit, fraction, elapsed, star, rank);
            prop_assert!(p.is_finite());
            prop_assert!(p <= 2.0 * (points + 40.0) + 1e-9);
            prop_assert!(p >= -(points.max(penalty)) - 1e-9);
            if fraction >= 1.0 && !star { prop_assert!(p >= points / 2.0 - 1e-9); }
        }

        #[test]
        fn faster_right_answers_never_earn_less(t1 in 0i64..20_000, t2 in 0i64..20_000) {
            let s = Scoring { speed_bonus: SpeedBonus::Kahoot, ..Scoring::default() };
            let (fast, slow) = (t1.min(t2), t1.max(t2));
            prop_assert!(answer_points(&s, 10.0, 20_000, 1.0, fast, false, None)
                >= answer_points(&s, 10.0, 20_000, 1.0, slow, false, None));
        }

        #[test]
        fn ranked_bonus_goes_to_the_fastest(times in proptest::collection::vec(0i64..20_000, 1..8)) {
            let s = Scoring { speed_bonus: SpeedBonus::Ranked { points: vec![40.0, 30.0, 20.0, 10.0] }, ..Scoring::default() };
            let counted: Vec<CountedAnswer> =
                times.iter().enumerate().map(|(i, t)| ans(i as i32, 1, *t, false)).collect();
            let r = score_question(&s, &single(1), 10.0, 20_000, &counted);
            for a in &r { for b in &r {
                if a.elapsed_ms < b.elapsed_ms { prop_assert!(a.points >= b.points); }
            }}
            let bonus: f64 = r.iter().map(|x| x.points - 10.0).sum();
            let expected: f64 = [40.0, 30.0, 20.0, 10.0].iter().take(times.len()).sum();
            prop_assert!((bonus - expected).abs() < 1e-9);
        }
    }
}
