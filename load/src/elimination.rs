//! The elimination mode of `hoithi-load` (`--mode elimination`): one elimination part
//! (rung chuông vàng) of Q questions; every phone is a contestant of the roster and
//! answers each question for itself, right or, with probability `--wrong-ratio`, wrong
//! (the generator reads the part's questions with their answers as the organiser). A
//! contestant whose answer to a revealed question is wrong or missing is out; the server
//! refuses its later answers with `eliminated`, which the generator counts apart from the
//! errors. The run is the quiz's (the same joins, sockets, question sequence, timings and
//! answer record check); on top of it the generator works out who should remain from its
//! own acknowledged answers and checks it against the server's count and against the
//! `remaining` every phone last received.
use std::collections::{HashMap, HashSet};

use rand::Rng;
use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};

use crate::setup::Api;
use crate::{Config, Mode, Report, run_mode};

/// Runs an elimination part; `wrong_ratio` is each answer's chance of being wrong.
pub async fn run(cfg: Config, wrong_ratio: f64) -> anyhow::Result<Report> {
    anyhow::ensure!((0.0..=1.0).contains(&wrong_ratio), "--wrong-ratio must be between 0 and 1");
    run_mode(cfg, Mode::Elimination { wrong_ratio }).await
}

/// An elimination run's own figures (in the report's `elimination`).
#[derive(Debug, Clone, Serialize, Default)]
pub struct Figures {
    pub wrong_ratio: f64,
    /// Answers refused because their contestant was already out (expected, not errors).
    pub answers_refused_eliminated: u64,
    /// Contestants whose answer to every question was acknowledged and right: who should
    /// remain, by the generator's own record.
    pub survivors_expected: u64,
    /// `remaining` in the organiser's live state after the last reveal.
    pub survivors_server: u64,
    /// Phones whose last `elimination` message said a different `remaining` (or none).
    pub remaining_mismatches: u64,
    /// Answers acknowledged for a contestant who was out by then (must be 0).
    pub eliminated_acked: u64,
    /// The check: the survivors expected equal the server's count, every phone was told
    /// that count, and no eliminated contestant's answer was acknowledged.
    pub survivors_agree: bool,
}

/// The part: an elimination part whose questions keep the answer window's length (like
/// the quiz's), one point per survivor for its team.
pub(crate) fn part(window_ms: u64, reading_s: u32) -> Value {
    let limit_s = window_ms.div_ceil(1000) as i64 + 2;
    json!({
        "kind": "elimination", "title": "Rung chuông vàng", "max_points": 100000,
        "time_per_question_s": limit_s,
        "scoring": { "reading_s": reading_s, "elimination": { "points_per_survivor": 1 } },
    })
}

/// The right and a wrong response of each question of the part, by its id in the part.
pub struct AnswerKey {
    /// Question ids in the part's order.
    pub order: Vec<i32>,
    answers: HashMap<i32, (Value, Value)>,
    wrong_ratio: f64,
}

impl AnswerKey {
    pub(crate) async fn load(api: &Api, contest: i64, part: i64, wrong_ratio: f64) -> anyhow::Result<Self> {
        let v = api.call(Method::GET, &format!("/api/contests/{contest}/parts/{part}/questions"), None).await?;
        let rows = v["questions"].as_array().ok_or_else(|| anyhow::anyhow!("no question list: {v}"))?;
        let mut order = vec![];
        let mut answers = HashMap::new();
        for r in rows {
            let id = r["id"].as_i64().ok_or_else(|| anyhow::anyhow!("a part question without id: {r}"))? as i32;
            let q = &r["question"];
            let pair = right_and_wrong(&q["solution"], q["options"].as_array().map_or(0, Vec::len))
                .ok_or_else(|| anyhow::anyhow!("cannot read the solution of question {id}: {q}"))?;
            order.push(id);
            answers.insert(id, pair);
        }
        Ok(AnswerKey { order, answers, wrong_ratio })
    }

    /// A phone's answer to question `qid`, and whether it is the right one.
    pub(crate) fn response(&self, qid: i32) -> (Value, bool) {
        let Some((right, wrong)) = self.answers.get(&qid) else {
            return (json!({ "choice": 0 }), false);
        };
        if rand::rng().random_bool(self.wrong_ratio) { (wrong.clone(), false) } else { (right.clone(), true) }
    }
}

/// The right response to a solution (as stored in the question's snapshot) and a wrong one.
fn right_and_wrong(solution: &Value, options: usize) -> Option<(Value, Value)> {
    Some(match solution["kind"].as_str()? {
        "single" => {
            let o = solution["option"].as_u64()? as usize;
            (json!({ "choice": o }), json!({ "choice": (o + 1) % options.max(2) }))
        }
        "multiple" => {
            let right: Vec<u64> = solution["options"].as_array()?.iter().filter_map(Value::as_u64).collect();
            // An option that is not right; if every option is right, all but the first.
            let wrong: Vec<u64> = match (0..options as u64).find(|i| !right.contains(i)) {
                Some(i) => vec![i],
                None => right.iter().skip(1).copied().collect(),
            };
            (json!({ "choices": right }), json!({ "choices": wrong }))
        }
        "true_false" => {
            let b = solution["value"].as_bool()?;
            (json!({ "value": b }), json!({ "value": !b }))
        }
        "short_text" => {
            let a = solution["accepted"].as_array()?.first()?.as_str()?;
            (json!({ "text": a }), json!({ "text": "không biết" }))
        }
        "number" => {
            let v = solution["value"].as_f64()?;
            let tol = solution["tolerance"].as_f64().unwrap_or(0.0).abs();
            (json!({ "number": v }), json!({ "number": v + tol + 1000.0 }))
        }
        _ => return None,
    })
}

/// `remaining` in the organiser's live state.
pub(crate) async fn server_remaining(api: &Api, contest: i64) -> anyhow::Result<u64> {
    let st = api.call(Method::GET, &format!("/api/contests/{contest}/live"), None).await?;
    st["elimination"]["remaining"].as_u64().ok_or_else(|| anyhow::anyhow!("no elimination in the live state: {st}"))
}

/// What one phone saw: its acknowledged answers as (question, right), and `remaining` in
/// the last `elimination` message it received.
pub(crate) struct PhoneSeen<'a> {
    pub verdicts: &'a [(i32, bool)],
    pub last_remaining: Option<u64>,
}

/// Who should remain, from what each phone saw, against the server's count.
pub(crate) fn figures(key: &AnswerKey, phones: &[PhoneSeen], server: u64, wrong_ratio: f64) -> Figures {
    let mut f = Figures { wrong_ratio, survivors_server: server, ..Figures::default() };
    for PhoneSeen { verdicts, last_remaining: last } in phones {
        let right: HashSet<i32> = verdicts.iter().filter(|(_, r)| *r).map(|(q, _)| *q).collect();
        let acked: HashSet<i32> = verdicts.iter().map(|(q, _)| *q).collect();
        // Out after the first question without a right answer: nothing after it may be acked.
        if let Some(out_at) = key.order.iter().position(|q| !right.contains(q)) {
            f.eliminated_acked += key.order[out_at + 1..].iter().filter(|q| acked.contains(q)).count() as u64;
        } else {
            f.survivors_expected += 1;
        }
        if *last != Some(server) {
            f.remaining_mismatches += 1;
        }
    }
    f.survivors_agree = f.survivors_expected == server && f.remaining_mismatches == 0 && f.eliminated_acked == 0;
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_and_wrong_answers_differ_for_every_kind() {
        for (s, n) in [
            (json!({"kind": "single", "option": 3}), 4),
            (json!({"kind": "multiple", "options": [0, 2]}), 4),
            (json!({"kind": "true_false", "value": false}), 0),
            (json!({"kind": "short_text", "accepted": ["Ngã Sáu"]}), 0),
            (json!({"kind": "number", "value": 7300.0, "tolerance": 5.0}), 0),
        ] {
            let (r, w) = right_and_wrong(&s, n).unwrap();
            assert_ne!(r, w, "{s}");
        }
        assert_eq!(right_and_wrong(&json!({"kind": "single", "option": 3}), 4).unwrap().1, json!({"choice": 0}));
    }

    #[test]
    fn survivors_are_the_phones_right_on_every_question() {
        let key = AnswerKey { order: vec![1, 2, 3], answers: HashMap::new(), wrong_ratio: 0.0 };
        let all: &[(i32, bool)] = &[(1, true), (2, true), (3, true)];
        let wrong2: &[(i32, bool)] = &[(1, true), (2, false)];
        let missing1_then_acked: &[(i32, bool)] = &[(2, true)];
        let seen = |verdicts, last| PhoneSeen { verdicts, last_remaining: Some(last) };
        let f = figures(&key, &[seen(all, 1), seen(wrong2, 1), seen(missing1_then_acked, 2)], 1, 0.1);
        assert_eq!(f.survivors_expected, 1);
        assert_eq!(f.eliminated_acked, 1, "an answer acked after a missing one");
        assert_eq!(f.remaining_mismatches, 1);
        assert!(!f.survivors_agree);
        let f = figures(&key, &[seen(all, 1), seen(wrong2, 1)], 1, 0.1);
        assert!(f.survivors_agree, "{f:?}");
    }
}
