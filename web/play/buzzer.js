// The phone in a buzzer part: one huge button. It answers at once ("Đã bấm…"), then with
// the server's word: the team's place in the server's receive order, "Đội bạn giành
// quyền trả lời!", a false start's lockout counting down, or the lockout after a wrong
// answer. When the part takes typed answers, the team with the floor types its answer
// under "Đội bạn giành quyền trả lời!" and sends it like any answer (the outbox, the
// socket or HTTP, a submission id); the server matches and marks it at once.
// Loaded by play.js only when a buzzer part runs (the phone page stays light).
import { t, extend, lang, errorText } from '/assets/shared/i18n.js';
import { vi, en } from '/assets/shared/strings/buzzer.js';
import { parseNumber, formatNumber } from '/assets/play/number.js';
import { typedText } from '/assets/shared/buzzer.js';

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

const LETTERS = 'ABCDEFGHIJ';

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
  // The typed answer: what is in the field, whether it is on its way, and a refusal.
  const T = { draft: '', choices: new Set(), sending: false, error: '' };
  let refs = {};

  function take(v) {
    const old = B.view;
    if (!v || !old || old.question_id !== v.question_id) {
      B.ack = null; B.pressing = false; B.lockUntil = 0; B.wholeQuestion = false; B.refused = null;
      T.draft = ''; T.choices = new Set(); T.sending = false; T.error = '';
    } else if (old.round !== v.round) {
      B.ack = null; B.pressing = false; B.refused = null;
      T.sending = false; T.error = '';
    }
    B.view = v;
  }

  /** My team's typed answer to this question (it comes with its mark). */
  const myTyped = () => ((B.view && B.view.answers) || []).find((a) => a.team_id === me.team_id) || null;

  function sendTyped(response) {
    const v = B.view;
    if (!v || T.sending) return;
    T.sending = true;
    T.error = '';
    update();
    live.answer({ question_id: v.question_id, response }).then(() => {
      T.sending = false;
      changed();
    }, (err) => {
      T.sending = false;
      T.error = errorText(err);
      update();
    });
  }

  function submitText() {
    const q = B.view && B.view.question;
    if (!q || !refs.input) return;
    const raw = refs.input.value.trim();
    if (!raw) { T.error = t('buzzer.answer_empty'); update(); return; }
    if (q.kind === 'number') {
      const n = parseNumber(raw);
      // The line under the field already says why; nothing is sent.
      if (n === null) { T.error = ''; update(); refs.input.focus(); return; }
      sendTyped({ number: n });
    } else {
      sendTyped({ text: raw });
    }
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
    return `${s.name}:${v ? v.question_id : ''}:${v ? v.round : ''}:${B.ack ? B.ack.place : ''}:${v && v.winner ? v.winner.team_id : ''}:${v && v.answers ? v.answers.length : 0}`;
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


  /** The form under "Đội bạn giành quyền trả lời!": a field, or the options to tap. */
  function typedForm() {
    const q = B.view.question;
    refs = {};
    if (!q) return null;
    let field;
    if (q.kind === 'single' || q.kind === 'true_false') {
      const opts = q.kind === 'true_false' ? [[{ value: true }, t('play.true')], [{ value: false }, t('play.false')]]
        : q.options.map((o, i) => [{ choice: i }, `${LETTERS[i]}. ${o}`]);
      refs.buttons = opts.map(([r, label]) => h('button', { type: 'button', class: 'bt-opt', onclick: () => sendTyped(r) }, label));
      field = h('div', { class: 'bt-opts', id: 'typed-options' }, ...refs.buttons);
    } else if (q.kind === 'multiple') {
      refs.buttons = q.options.map((o, i) => h('button', {
        type: 'button', class: 'bt-opt', 'aria-pressed': String(T.choices.has(i)),
        onclick: (e) => {
          if (T.choices.has(i)) T.choices.delete(i); else T.choices.add(i);
          e.currentTarget.setAttribute('aria-pressed', String(T.choices.has(i)));
        },
      }, `${LETTERS[i]}. ${o}`));
      refs.send = h('button', { type: 'button', class: 'btn block big-btn bt-send', id: 'typed-send', text: t('buzzer.send_answer'),
        onclick: () => {
          if (!T.choices.size) { T.error = t('buzzer.answer_empty'); update(); return; }
          sendTyped({ choices: [...T.choices].sort((a, b) => a - b) });
        } });
      field = h('div', { class: 'bt-opts', id: 'typed-options' }, ...refs.buttons, refs.send);
    } else {
      const num = q.kind === 'number';
      refs.input = h('input', {
        id: 'typed-input', class: `free-input bt-input${num ? '' : ' text'}`, autocomplete: 'off', spellcheck: 'false', maxlength: '200',
        inputmode: num ? 'decimal' : 'text', placeholder: num ? t('buzzer.number_ph') : t('buzzer.type_ph'),
        'aria-label': t('buzzer.type_answer'),
        onkeydown: (e) => { if (e.key === 'Enter') { e.preventDefault(); submitText(); } },
        oninput: () => { T.draft = refs.input.value; T.error = ''; update(); },
      });
      refs.input.value = T.draft;
      refs.read = num ? h('div', { class: 'read-as', id: 'typed-read' }) : null;
      refs.send = h('button', { type: 'button', class: 'btn block big-btn bt-send', id: 'typed-send', text: t('buzzer.send_answer'), onclick: submitText });
      field = h('div', { class: 'bt-free' },
        h('div', { class: 'free-row' }, refs.input, num && q.unit ? h('span', { class: 'unit', text: q.unit }) : null),
        refs.read, refs.send);
    }
    refs.status = h('div', { class: 'bt-status', id: 'typed-status', role: 'status' });
    return h('section', { class: 'bt-form', id: 'typed-form' },
      h('label', { class: 'bt-label', for: refs.input ? 'typed-input' : null, text: t('buzzer.type_answer') }), field, refs.status);
  }

  /** Updates the typed answer's form without rebuilding it (the field keeps its focus). */
  function update() {
    if (!refs.status) return;
    const busy = T.sending;
    for (const b of refs.buttons || []) b.disabled = busy;
    if (refs.send) {
      refs.send.disabled = busy;
      refs.send.textContent = busy ? t('buzzer.sending_answer') : t('buzzer.send_answer');
    }
    if (refs.input) refs.input.readOnly = busy;
    if (refs.read) {
      const raw = refs.input.value.trim();
      const n = parseNumber(raw);
      refs.read.textContent = raw ? (n === null ? t('buzzer.not_number') : t('buzzer.read_as', { n: formatNumber(n, lang()) })) : '';
      refs.read.classList.toggle('bad', !!raw && n === null);
    }
    refs.status.dataset.state = T.error ? 'error' : busy ? 'sending' : '';
    refs.status.textContent = T.error || (busy ? t('buzzer.sending_answer') : '');
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
      case 'floor': body = v.typed_answer
        ? [banner('floor', t('buzzer.you_won')), typedForm()]
        : [banner('floor', t('buzzer.you_won'), t('buzzer.answer_aloud'))]; break;
      // A team that has not pressed may still press: its place shows in the order.
      case 'other_floor': body = B.ack && B.ack.round === v.round
        ? [banner('placed', t('buzzer.your_place', { n: B.ack.place }), t('buzzer.after_first', { ms: B.ack.gap_ms }), t('buzzer.has_floor', { team: v.winner.team_name }))]
        : [banner('other', t('buzzer.has_floor', { team: v.winner.team_name }), v.typed_answer ? t('buzzer.typing') : null), button('live small', t('buzzer.press'))]; break;
      case 'false_start': body = [button('locked', t('buzzer.wait'), t('buzzer.false_start', { s: secs(s.lock.until - now) }))]; break;
      case 'false_start_q': body = [button('locked', t('buzzer.wait'), t('buzzer.false_start_q'))]; break;
      case 'locked_out': {
        const mine = myTyped();
        body = [banner('out', t('buzzer.locked_out'), mine ? t('buzzer.typed', { a: typedText(mine.response, v.question) }) : null, t('buzzer.locked_hint'))];
        break;
      }
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
    const typed = mine ? myTyped() : null;
    const answer = v.solution && v.question ? solutionText(v) : null;
    return banner(`result ${cls}`, title, line, typed ? t('buzzer.typed', { a: typedText(typed.response, v.question) }) : null,
      answer ? t('buzzer.answer', { a: answer }) : null);
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

  return { onMessage, key, build: () => { refs = {}; const out = build(); update(); return out; }, tick, active: () => !!B.view };
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
