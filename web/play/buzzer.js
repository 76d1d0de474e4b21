// The phone in a buzzer part: one huge button. It answers at once ("Đã bấm…"), then with
// the server's word: the team's place in the server's receive order, "Đội bạn giành
// quyền trả lời!", a false start's lockout counting down, or the lockout after a wrong
// answer. Loaded by play.js only when a buzzer part runs (the phone page stays light).
import { t, extend } from '/assets/shared/i18n.js';
import { vi, en } from '/assets/shared/strings/buzzer.js';

extend('vi', vi);
extend('en', en);
if (!document.querySelector('link[data-buzzer]')) {
  document.head.append(Object.assign(document.createElement('link'), { rel: 'stylesheet', href: '/assets/play/buzzer.css' }));
  document.head.lastChild.dataset.buzzer = '';
}

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids.flat()) {
    if (c != null && c !== false) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const pts = (n) => (Number.isInteger(n) ? String(n) : n.toFixed(1).replace('.', ',')).replace('-', '−');
const secs = (ms) => Math.max(0, Math.ceil(ms / 1000));

/**
 * @param {object} o
 * @param {import('/assets/shared/live.js').Live} o.live
 * @param {{team_id: number}} o.me
 * @param {() => void} o.changed asks play.js to draw again
 */
export function createBuzzer({ live, me, changed }) {
  const B = { view: null, ack: null, pressing: false, lockUntil: 0, wholeQuestion: false, refused: null };

  function take(v) {
    const old = B.view;
    if (!v || !old || old.question_id !== v.question_id) {
      B.ack = null; B.pressing = false; B.lockUntil = 0; B.wholeQuestion = false; B.refused = null;
    } else if (old.round !== v.round) {
      B.ack = null; B.pressing = false; B.refused = null;
    }
    B.view = v;
  }

  /** Takes the messages of a buzzer part; returns true when it used one. */
  function onMessage(m) {
    switch (m.type) {
      case 'state': take(m.state.buzzer || null); return false;
      case 'buzzer': take(m.buzzer); return true;
      case 'buzzed':
      case 'team_buzzed':
        if (m.buzz.team_id === me.team_id && B.view && m.buzz.question_id === B.view.question_id) {
          B.ack = m.buzz; B.pressing = false;
        }
        return true;
      case 'error': {
        if (!B.pressing) return false;
        B.pressing = false;
        const e = m.error || {};
        const p = e.params || {};
        if (e.code === 'false_start' || e.code === 'buzzer_locked') {
          if (p.whole_question) B.wholeQuestion = true;
          if (p.locked_until) B.lockUntil = p.locked_until;
          else if (e.code === 'buzzer_locked' && p.locked_until === null) B.wholeQuestion = true;
        }
        B.refused = e.code;
        return true;
      }
      default: return false;
    }
  }

  function press(ev) {
    ev.preventDefault();
    const v = B.view;
    if (!v || B.pressing) return;
    if (!live.send({ type: 'buzz', question_id: v.question_id })) return;
    B.pressing = true;
    B.refused = null;
    if (navigator.vibrate) navigator.vibrate(40);
    changed();
  }

  function myLock(now) {
    const v = B.view;
    const lock = (v.false_starts || []).find((l) => l.team_id === me.team_id);
    if (B.wholeQuestion || (lock && lock.until == null)) return { whole: true };
    const until = Math.max(B.lockUntil || 0, (lock && lock.until) || 0);
    return until > now ? { until } : null;
  }

  /** What the phone shows now: a name for the stage's key, and its parts. */
  function state() {
    const v = B.view;
    const now = live.now();
    if (!v) return { name: 'none' };
    const myMark = (v.marks || []).find((m) => m.team_id === me.team_id);
    if (v.status !== 'open') return { name: `over:${v.status}:${myMark ? myMark.correct : ''}` };
    if ((v.locked_out || []).includes(me.team_id)) return { name: 'locked_out' };
    let phase = v.phase;
    if (phase === 'reading' && v.opens_at <= now) phase = 'open';
    if (phase === 'answering' && v.winner) {
      if (v.winner.team_id === me.team_id) return { name: 'floor' };
      if (B.pressing) return { name: 'sending' };
      return { name: 'other_floor' };
    }
    if (B.pressing) return { name: 'sending' };
    const lock = myLock(now);
    if (lock) return { name: lock.whole ? 'false_start_q' : 'false_start', lock };
    if (B.ack && B.ack.round === v.round) return { name: 'placed' };
    if (phase === 'open') return { name: v.round > 0 ? 'steal' : 'open' };
    return { name: phase === 'reading' ? 'reading' : 'waiting' };
  }

  function key() {
    const v = B.view;
    const s = state();
    return `${s.name}:${v ? v.question_id : ''}:${v ? v.round : ''}:${B.ack ? B.ack.place : ''}:${v && v.winner ? v.winner.team_id : ''}`;
  }

  function button(cls, label, sub) {
    return h('button', { type: 'button', class: `buzz-btn ${cls}`, id: 'buzz', 'aria-label': t('buzzer.press_label'), onpointerdown: press },
      h('span', { class: 'buzz-ring', 'aria-hidden': 'true' }),
      h('span', { class: 'buzz-label', text: label }),
      sub ? h('span', { class: 'buzz-sub', id: 'buzz-sub', text: sub }) : null);
  }

  function banner(cls, title, ...lines) {
    return h('section', { class: `buzz-banner ${cls}`, id: 'buzz-banner', 'data-state': cls },
      h('div', { class: 'bb-title', id: 'buzz-title', text: title }),
      ...lines.filter(Boolean).map((l) => h('div', { class: 'bb-line', text: l })));
  }


  function head() {
    const v = B.view;
    return h('div', { class: 'buzz-head' },
      h('div', { class: 'buzz-no' },
        h('span', { text: t('common.question_no', { no: v.no, total: v.total }) }),
        h('span', { class: 'buzz-pts', text: t('buzzer.question_points', { n: pts(v.points), p: pts(v.penalty) }) })),
      v.question ? h('p', { class: 'buzz-q', id: 'buzz-q', text: v.question.prompt }) : null);
  }

  /** The stage's children for the current state. */
  function build() {
    const v = B.view;
    const s = state();
    if (!v) return [h('div', { class: 'buzz-empty', text: t('buzzer.waiting_q') })];
    const now = live.now();
    let body;
    switch (s.name) {
      case 'waiting': body = [button('idle', t('buzzer.press'), t('buzzer.wait_signal')), h('p', { class: 'buzz-hint', text: t('buzzer.wait_hint') })]; break;
      case 'reading': body = [button('idle', t('buzzer.press'), t('buzzer.opens_in', { s: secs(v.opens_at - now) })), h('p', { class: 'buzz-hint', text: t('buzzer.wait_hint') })]; break;
      case 'open': body = [button('live', t('buzzer.press'), t('buzzer.open_now'))]; break;
      case 'steal': body = [button('live', t('buzzer.press'), v.deadline_at ? t('buzzer.steal_left', { s: secs(v.deadline_at - now) }) : t('buzzer.steal_open')), h('p', { class: 'buzz-hint strong', text: t('buzzer.steal_open') })]; break;
      case 'sending': body = [button('sent', t('buzzer.sending'))]; break;
      case 'placed': body = [banner('placed', B.ack.place === 1 ? t('buzzer.you_won') : t('buzzer.your_place', { n: B.ack.place }), B.ack.place === 1 ? null : t('buzzer.after_first', { ms: B.ack.gap_ms }))]; break;
      case 'floor': body = [banner('floor', t('buzzer.you_won'), t('buzzer.answer_aloud'))]; break;
      // A team that has not pressed may still press: its place shows in the order.
      case 'other_floor': body = B.ack && B.ack.round === v.round
        ? [banner('placed', t('buzzer.your_place', { n: B.ack.place }), t('buzzer.after_first', { ms: B.ack.gap_ms }), t('buzzer.has_floor', { team: v.winner.team_name }))]
        : [banner('other', t('buzzer.has_floor', { team: v.winner.team_name })), button('live small', t('buzzer.press'))]; break;
      case 'false_start': body = [button('locked', t('buzzer.wait'), t('buzzer.false_start', { s: secs(s.lock.until - now) }))]; break;
      case 'false_start_q': body = [button('locked', t('buzzer.wait'), t('buzzer.false_start_q'))]; break;
      case 'locked_out': body = [banner('out', t('buzzer.locked_out'), t('buzzer.locked_hint'))]; break;
      default: body = [result()];
    }
    return [head(), h('div', { class: 'buzz-body' }, ...body)];
  }

  function result() {
    const v = B.view;
    if (v.status === 'voided') return banner('result none', t('play.voided'), t('play.voided_hint'));
    const mine = (v.marks || []).find((m) => m.team_id === me.team_id);
    const right = (v.marks || []).find((m) => m.correct);
    let cls = 'none';
    let title = right ? t('buzzer.right_team', { team: right.team_name }) : t('buzzer.nobody');
    let line = null;
    if (mine) {
      cls = mine.correct ? 'right' : 'wrong';
      title = mine.correct ? t('buzzer.right') : t('buzzer.wrong');
      line = `${mine.points > 0 ? '+' : ''}${t('common.points', { n: pts(mine.points) })}`;
    }
    const answer = v.solution && v.question ? solutionText(v) : null;
    return banner(`result ${cls}`, title, line, answer ? t('buzzer.answer', { a: answer }) : null);
  }

  /** Keeps the countdowns moving without rebuilding the stage. */
  function tick() {
    const el = document.getElementById('buzz-sub');
    const v = B.view;
    if (!el || !v) return;
    const now = live.now();
    const s = state();
    if (s.name === 'reading') el.textContent = t('buzzer.opens_in', { s: secs(v.opens_at - now) });
    else if (s.name === 'false_start') el.textContent = t('buzzer.false_start', { s: secs(s.lock.until - now) });
    else if (s.name === 'steal' && v.deadline_at) el.textContent = t('buzzer.steal_left', { s: secs(v.deadline_at - now) });
  }

  return { onMessage, key, build, tick, active: () => !!B.view };
}

/** The right answer as a line of text. */
export function solutionText(v) {
  const s = v.solution;
  const opts = (v.question && v.question.options) || [];
  const L = 'ABCDEFGHIJ';
  switch (s.kind) {
    case 'single': return `${L[s.option]}. ${opts[s.option] || ''}`.trim();
    case 'multiple': return s.options.map((i) => L[i]).join(', ');
    case 'true_false': return s.value ? t('play.true') : t('play.false');
    case 'short_text': return (s.accepted || [])[0] || '';
    case 'number': return String(s.value);
    default: return '';
  }
}
