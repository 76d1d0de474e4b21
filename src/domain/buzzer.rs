//! How a buzz is decided (giành quyền trả lời), with no I/O: one question's rounds, the
//! presses in the server's receive order, false starts and their lockouts, and the
//! organiser's marks.
//!
//! A question is shown; its buzzer opens at a server time (`opens_at`: after the reading
//! time, or when the organiser opens it). The first press received after that wins the
//! floor; later presses of the round are kept, in receive order, with their gap to the
//! first. A press before the buzzer opens is a false start: refused, and it may lock the
//! team for some seconds or for the whole question. A right mark ends the question; a
//! wrong one costs the penalty, locks that team out of the question and starts the next
//! round, which the organiser opens to the other teams for a steal window. The live
//! engine keeps one [`BuzzerQuestion`] per open question and stores every press and mark;
//! [`BuzzerQuestion::rebuild`] gives back the same state from the stored rows.
//!
//! With `typed_answer` set, the team with the floor may type its answer on the phone
//! ([`BuzzerQuestion::may_type`]); it is matched like a quiz answer ([`judge_typed`]) and
//! the mark follows from the match, with the same effects as an organiser's mark.
use super::part::{BuzzerSettings, Scoring};
use super::question::{Question, Response};

/// One press as received (and stored): `seq` is the server's receive order within the
/// question, across rounds.
#[derive(Debug, Clone, PartialEq)]
pub struct Press {
    pub seq: i64,
    pub round: u32,
    pub team_id: i32,
    pub contestant_id: i32,
    pub received_at: i64,
    /// Pressed before the buzzer opened (refused; kept for its lockout).
    pub false_start: bool,
}

/// The organiser's (or judge's) mark of the team that had the floor.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub team_id: i32,
    pub round: u32,
    pub correct: bool,
    pub points: f64,
}

/// Why a press is not taken.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// The question is over (marked right, closed, or every team locked out).
    Closed,
    /// The team answered wrong earlier in this question.
    LockedOut,
    /// A false start's lockout runs until `until` (None: the whole question).
    FalseStartLocked { until: Option<i64> },
    /// The steal window closed.
    WindowOver,
}

/// Why a typed answer is not taken.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedRefusal {
    /// The part does not take typed answers (the team answers aloud).
    Off,
    /// The question is over.
    Closed,
    /// The team answered this question wrong already.
    LockedOut,
    /// Nobody has the floor (the buzzer is not open, nobody pressed yet, or the last
    /// answer was just marked).
    NoFloor,
    /// Another team has the floor.
    NotYourFloor { team_id: i32 },
}

/// Whether a typed answer is right, by the quiz's own matching (a short text without
/// regard to case, diacritics, punctuation, i/y and the bank's abbreviations; a number
/// within the tolerance; a choice as chosen), once its shape fits the question.
pub fn judge_typed(question: &Question, response: &Response) -> Result<bool, String> {
    question.check_response(response)?;
    Ok(question.grade(response, false).is_correct())
}

/// What became of a press.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Taken: `place` is 1-based within the round, `gap_ms` the time after the round's
    /// first press. `press` is to be stored.
    Taken {
        place: usize,
        gap_ms: i64,
        press: Press,
    },
    /// The team already pressed in this round (a teammate, or a second tap).
    Already {
        place: usize,
        gap_ms: i64,
    },
    /// Before the buzzer opened. `press` is to be stored when it locks the team (so a
    /// restart keeps the lockout); `until` is when the team may press again (None: never
    /// in this question; Some(t) with t ≤ the press time: no lockout).
    FalseStart {
        until: Option<i64>,
        press: Option<Press>,
    },
    Refused(Refusal),
}

/// Where a question stands at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Shown; the buzzer is not open (the organiser opens it).
    Waiting,
    /// Shown; the buzzer opens by itself at `opens_at`.
    Reading,
    /// Open; nobody has pressed in this round yet.
    Open,
    /// A team has the floor (the round's first press) and awaits its mark.
    Answering,
    Closed,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Waiting => "waiting",
            Phase::Reading => "reading",
            Phase::Open => "open",
            Phase::Answering => "answering",
            Phase::Closed => "closed",
        }
    }
}

/// The points of a mark: the question's points when right, minus the part's wrong-answer
/// penalty when wrong.
pub fn mark_points(scoring: &Scoring, points: f64, correct: bool) -> f64 {
    if correct { points } else { -scoring.wrong_penalty }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BuzzerQuestion {
    pub settings: BuzzerSettings,
    /// 0 for the first opening, then one more after each wrong mark.
    pub round: u32,
    /// When the current round's buzzer opens (None: not opened yet).
    pub opens_at: Option<i64>,
    /// The end of a steal window.
    pub deadline_at: Option<i64>,
    /// Every stored press, in receive order.
    pub presses: Vec<Press>,
    pub marks: Vec<Mark>,
    pub closed: bool,
}

impl BuzzerQuestion {
    pub fn new(settings: BuzzerSettings, opens_at: Option<i64>) -> Self {
        BuzzerQuestion {
            settings,
            round: 0,
            opens_at,
            deadline_at: None,
            presses: vec![],
            marks: vec![],
            closed: false,
        }
    }

    /// The state from stored rows: presses in receive order, marks, the question's live
    /// fields (the current round's opening and deadline, closed or not).
    pub fn rebuild(
        settings: BuzzerSettings,
        mut presses: Vec<Press>,
        marks: Vec<Mark>,
        opens_at: Option<i64>,
        deadline_at: Option<i64>,
        closed: bool,
    ) -> Self {
        presses.sort_by_key(|p| p.seq);
        let round = marks.iter().filter(|m| !m.correct).count() as u32;
        let closed = closed || marks.iter().any(|m| m.correct);
        BuzzerQuestion { settings, round, opens_at, deadline_at, presses, marks, closed }
    }

    fn next_seq(&self) -> i64 {
        self.presses.last().map_or(1, |p| p.seq + 1)
    }

    /// The presses taken in the current round, in receive order.
    pub fn round_presses(&self) -> impl Iterator<Item = &Press> {
        self.presses.iter().filter(move |p| p.round == self.round && !p.false_start)
    }

    /// The team with the floor: the current round's first press.
    pub fn winner(&self) -> Option<&Press> {
        if self.closed { None } else { self.round_presses().next() }
    }

    pub fn locked_out(&self, team_id: i32) -> bool {
        self.marks.iter().any(|m| m.team_id == team_id && !m.correct)
    }

    /// Until when a team's false start keeps it from pressing (None: the whole question),
    /// if it is locked at `now`.
    pub fn false_start_lock(&self, team_id: i32, now: i64) -> Option<Option<i64>> {
        let last = self.presses.iter().rev().find(|p| p.team_id == team_id && p.false_start)?;
        if self.settings.false_start_whole_question {
            return Some(None);
        }
        let until = last.received_at + self.settings.lockout_ms();
        (until > now).then_some(Some(until))
    }

    pub fn phase(&self, now: i64) -> Phase {
        if self.closed {
            return Phase::Closed;
        }
        match self.opens_at {
            None => Phase::Waiting,
            Some(t) if t > now => Phase::Reading,
            Some(_) if self.winner().is_some() => Phase::Answering,
            Some(_) => Phase::Open,
        }
    }

    /// The steal window ran out with nobody pressing: the question is over.
    pub fn window_over(&self, now: i64) -> bool {
        !self.closed && self.winner().is_none() && self.deadline_at.is_some_and(|d| now > d)
    }

    /// A press received at `now` (the server's clock, in its receive order).
    pub fn press(&mut self, team_id: i32, contestant_id: i32, now: i64) -> Outcome {
        if self.closed {
            return Outcome::Refused(Refusal::Closed);
        }
        if self.locked_out(team_id) {
            return Outcome::Refused(Refusal::LockedOut);
        }
        if let Some((place, p)) = self.round_presses().enumerate().find(|(_, p)| p.team_id == team_id) {
            let first = self.round_presses().next().map_or(p.received_at, |f| f.received_at);
            return Outcome::Already { place: place + 1, gap_ms: p.received_at - first };
        }
        if let Some(until) = self.false_start_lock(team_id, now) {
            return Outcome::Refused(Refusal::FalseStartLocked { until });
        }
        let press = Press {
            seq: self.next_seq(),
            round: self.round,
            team_id,
            contestant_id,
            received_at: now,
            false_start: false,
        };
        match self.opens_at {
            Some(t) if t <= now => {}
            _ => {
                let locks = self.settings.false_start_whole_question || self.settings.false_start_lockout_s > 0;
                if !locks {
                    return Outcome::FalseStart { until: Some(now), press: None };
                }
                let press = Press { false_start: true, ..press };
                self.presses.push(press.clone());
                let until = self.false_start_lock(team_id, now).unwrap_or(Some(now));
                return Outcome::FalseStart { until, press: Some(press) };
            }
        }
        if self.window_over(now) {
            return Outcome::Refused(Refusal::WindowOver);
        }
        let first = self.round_presses().next().map(|p| p.received_at);
        let place = self.round_presses().count() + 1;
        self.presses.push(press.clone());
        Outcome::Taken { place, gap_ms: first.map_or(0, |f| now - f), press }
    }

    /// Opens the buzzer of the current round at `now`; after a wrong answer this is the
    /// steal window, which closes `steal_s` later.
    pub fn open(&mut self, now: i64) -> Result<(), &'static str> {
        if self.closed {
            return Err("the question is over");
        }
        if self.opens_at.is_some_and(|t| t <= now) {
            return Err("the buzzer is already open");
        }
        self.opens_at = Some(now);
        self.deadline_at =
            (self.round > 0 && self.settings.steal_s > 0).then(|| now + i64::from(self.settings.steal_s) * 1000);
        Ok(())
    }

    /// May `team_id` type its answer now? Only the team with the floor may, and only
    /// once: its answer is marked at once, which takes the floor away.
    pub fn may_type(&self, team_id: i32) -> Result<&Press, TypedRefusal> {
        if !self.settings.typed_answer {
            return Err(TypedRefusal::Off);
        }
        if self.closed {
            return Err(TypedRefusal::Closed);
        }
        if self.locked_out(team_id) {
            return Err(TypedRefusal::LockedOut);
        }
        match self.winner() {
            None => Err(TypedRefusal::NoFloor),
            Some(w) if w.team_id != team_id => Err(TypedRefusal::NotYourFloor { team_id: w.team_id }),
            Some(w) => Ok(w),
        }
    }

    /// Marks the team with the floor (`team_id`, when given, must be it, so a mark meant
    /// for a team never lands on another). Wrong: the team is locked out and the next
    /// round waits to be opened; when every one of `teams` is locked out, the question is
    /// over.
    pub fn mark(&mut self, team_id: Option<i32>, correct: bool, points: f64, teams: usize) -> Result<Mark, String> {
        let Some(w) = self.winner().cloned() else {
            return Err("no team has the floor to be marked".into());
        };
        if let Some(t) = team_id
            && t != w.team_id
        {
            return Err(format!("team {t} does not have the floor (team {} does)", w.team_id));
        }
        let mark = Mark { team_id: w.team_id, round: self.round, correct, points };
        self.marks.push(mark.clone());
        if correct {
            self.closed = true;
        } else {
            self.round += 1;
            self.opens_at = None;
            self.deadline_at = None;
            let locked = self.marks.iter().filter(|m| !m.correct).count();
            if locked >= teams {
                self.closed = true;
            }
        }
        Ok(mark)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(lockout_s: u32) -> BuzzerQuestion {
        BuzzerQuestion::new(BuzzerSettings { steal_s: 5, false_start_lockout_s: lockout_s, ..Default::default() }, None)
    }

    #[test]
    fn the_first_press_after_the_opening_wins_and_the_rest_keep_their_gaps() {
        let mut b = q(3);
        b.open(1000).unwrap();
        assert_eq!(b.phase(1000), Phase::Open);
        assert!(matches!(b.press(7, 70, 1010), Outcome::Taken { place: 1, gap_ms: 0, .. }));
        assert!(matches!(b.press(8, 80, 1048), Outcome::Taken { place: 2, gap_ms: 38, .. }));
        // A teammate's press keeps the team's place.
        assert_eq!(b.press(7, 71, 1050), Outcome::Already { place: 1, gap_ms: 0 });
        assert_eq!(b.winner().map(|p| p.team_id), Some(7));
        assert_eq!(b.phase(1100), Phase::Answering);
        let seqs: Vec<i64> = b.presses.iter().map(|p| p.seq).collect();
        assert_eq!(seqs, vec![1, 2]);
    }

    #[test]
    fn a_false_start_is_refused_and_locks_the_team_for_a_while() {
        let mut b = q(3);
        assert!(matches!(b.press(7, 70, 500), Outcome::FalseStart { until: Some(3500), press: Some(_) }));
        b.open(1000).unwrap();
        assert_eq!(b.press(7, 70, 2000), Outcome::Refused(Refusal::FalseStartLocked { until: Some(3500) }));
        assert!(matches!(b.press(8, 80, 2001), Outcome::Taken { place: 1, .. }));
        assert!(matches!(b.press(7, 70, 3600), Outcome::Taken { place: 2, .. }));
        // Without a lockout a false start is refused and nothing is stored.
        let mut free = q(0);
        assert_eq!(free.press(7, 70, 10), Outcome::FalseStart { until: Some(10), press: None });
        assert!(free.presses.is_empty());
        // Locked for the whole question.
        let mut whole =
            BuzzerQuestion::new(BuzzerSettings { false_start_whole_question: true, ..Default::default() }, Some(100));
        assert!(matches!(whole.press(7, 70, 50), Outcome::FalseStart { until: None, .. }));
        assert_eq!(whole.press(7, 70, 5000), Outcome::Refused(Refusal::FalseStartLocked { until: None }));
    }

    #[test]
    fn a_wrong_answer_locks_the_team_out_and_the_steal_goes_to_another() {
        let s = Scoring { wrong_penalty: 5.0, ..Scoring::default() };
        let mut b = q(0);
        b.open(1000).unwrap();
        b.press(1, 10, 1001);
        b.press(2, 20, 1002);
        assert!(b.mark(Some(2), false, -5.0, 3).is_err(), "team 2 does not have the floor");
        let m = b.mark(Some(1), false, mark_points(&s, 10.0, false), 3).unwrap();
        assert_eq!(m.points, -5.0);
        assert_eq!(b.round, 1);
        assert_eq!(b.phase(1003), Phase::Waiting);
        // Pressing before the steal opens is a false start (no lockout configured).
        assert!(matches!(b.press(2, 20, 1004), Outcome::FalseStart { press: None, .. }));
        b.open(2000).unwrap();
        assert_eq!(b.deadline_at, Some(7000));
        assert_eq!(b.press(1, 10, 2001), Outcome::Refused(Refusal::LockedOut));
        assert!(matches!(b.press(2, 20, 2100), Outcome::Taken { place: 1, gap_ms: 0, .. }));
        let m = b.mark(None, true, mark_points(&s, 10.0, true), 3).unwrap();
        assert_eq!((m.team_id, m.points), (2, 10.0));
        assert!(b.closed);
        assert_eq!(b.press(3, 30, 2200), Outcome::Refused(Refusal::Closed));
        // The stored rows give back the same state.
        let again = BuzzerQuestion::rebuild(
            b.settings.clone(),
            b.presses.clone(),
            b.marks.clone(),
            b.opens_at,
            b.deadline_at,
            false,
        );
        assert_eq!(again, b);
    }

    #[test]
    fn only_the_team_with_the_floor_types_and_its_answer_is_matched_like_a_quiz_answer() {
        use crate::domain::question::{Solution, Source};
        let typed = BuzzerSettings { typed_answer: true, false_start_lockout_s: 0, ..Default::default() };
        let mut b = BuzzerQuestion::new(typed, None);
        assert_eq!(b.may_type(1), Err(TypedRefusal::NoFloor), "the buzzer is not open");
        b.open(0).unwrap();
        assert_eq!(b.may_type(1), Err(TypedRefusal::NoFloor), "nobody pressed");
        b.press(1, 10, 5);
        b.press(2, 20, 6);
        assert_eq!(b.may_type(1).map(|p| p.contestant_id), Ok(10));
        assert_eq!(b.may_type(2), Err(TypedRefusal::NotYourFloor { team_id: 1 }));
        b.mark(Some(1), false, -5.0, 3).unwrap();
        assert_eq!(b.may_type(1), Err(TypedRefusal::LockedOut));
        assert_eq!(b.may_type(2), Err(TypedRefusal::NoFloor), "the steal is not open yet");
        b.open(100).unwrap();
        b.press(2, 20, 101);
        assert!(b.may_type(2).is_ok());
        b.mark(Some(2), true, 10.0, 3).unwrap();
        assert_eq!(b.may_type(2), Err(TypedRefusal::Closed));
        // Without the setting nobody types.
        let mut off = q(0);
        off.open(0).unwrap();
        off.press(1, 10, 1);
        assert_eq!(off.may_type(1), Err(TypedRefusal::Off));

        let question = |solution| Question {
            qid: "gq-1".into(),
            bank: "b".into(),
            section: "s".into(),
            prompt: "?".into(),
            options: vec![],
            solution,
            explanation: String::new(),
            difficulty: 1,
            points: 10.0,
            time_limit_s: 30,
            tags: vec![],
            source: Source { document: String::new(), quote: String::new() },
            unit: None,
            groups: vec![],
            excludes: vec![],
            abbreviations: Default::default(),
        };
        let text = question(Solution::ShortText { accepted: vec!["Nguyễn Ái Quốc".into()] });
        let said = |t: &str| Response::Text { text: t.into() };
        assert_eq!(judge_typed(&text, &said("nguyen ai quoc")), Ok(true));
        assert_eq!(judge_typed(&text, &said("  Nguyễn Ái Quốc. ")), Ok(true));
        assert_eq!(judge_typed(&text, &said("Hồ Chí Minh")), Ok(false));
        assert!(judge_typed(&text, &Response::Number { number: 3.0 }).is_err(), "a number to a text question");
        let number = question(Solution::Number { value: 1930.0, tolerance: 0.0 });
        assert_eq!(judge_typed(&number, &Response::Number { number: 1930.0 }), Ok(true));
        assert_eq!(judge_typed(&number, &Response::Number { number: 1931.0 }), Ok(false));
    }

    #[test]
    fn the_steal_window_runs_out_and_every_team_wrong_ends_the_question() {
        let mut b = q(0);
        b.open(0).unwrap();
        b.press(1, 10, 1);
        b.mark(None, false, -5.0, 2).unwrap();
        b.open(100).unwrap();
        assert!(!b.window_over(5100));
        assert!(b.window_over(5101));
        assert_eq!(b.press(2, 20, 5200), Outcome::Refused(Refusal::WindowOver));
        let mut c = q(0);
        c.open(0).unwrap();
        c.press(1, 10, 1);
        c.mark(None, false, -5.0, 2).unwrap();
        c.open(10).unwrap();
        c.press(2, 20, 11);
        c.mark(None, false, -5.0, 2).unwrap();
        assert!(c.closed);
    }
}
