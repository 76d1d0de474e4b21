// The hall's screen in a buzzer part: the question, then the moment that matters — the
// team that took the floor, its name as large as the screen allows — and under it the
// order of the next presses with their gaps (+38 ms), in the server's receive order.
// Then the marks (right in green, wrong in red with the penalty), the steal window's
// countdown, and the answer once revealed. Loaded by projector.js only for a buzzer part.
import { t, extend } from '/assets/shared/i18n.js';
import { vi, en } from '/assets/shared/strings/buzzer.js';
import { typedText } from '/assets/shared/buzzer.js';
import { h } from './dom.js';
import { letter } from './chart.js';

extend('vi', vi);
extend('en', en);
const css = document.createElement('link');
css.rel = 'stylesheet';
css.href = '/assets/projector/buzzer.css';
document.head.append(css);

const ORDER_ROWS = 7;
const pts = (n) => (Number.isInteger(n) ? String(n) : n.toFixed(1).replace('.', ',')).replace('-', '−');
const secs = (ms) => Math.max(0, Math.ceil(ms / 1000));

function solutionText(v) {
  const s = v.solution;
  const opts = (v.question && v.question.options) || [];
  switch (s.kind) {
    case 'single': return `${letter(s.option)}. ${opts[s.option] || ''}`.trim();
    case 'multiple': return s.options.map((i) => letter(i)).join(', ');
    case 'true_false': return s.value ? t('play.true') : t('play.false');
    case 'short_text': return (s.accepted || [])[0] || '';
    case 'number': return String(s.value);
    default: return '';
  }
}

/** Draws the scene into `el` when what it shows changed; countdowns move every tick. */
export function createScene(el) {
  let shown = '';

  function phaseOf(v, now) {
    if (v.status !== 'open') return 'over';
    if (v.phase === 'reading' && v.opens_at <= now) return 'open';
    return v.phase;
  }

  function draw(v, now) {
    const phase = phaseOf(v, now);
    const key = JSON.stringify([v.question_id, v.status, phase, v.round, v.presses_total, v.marks.length, (v.presses[0] || {}).team_id, document.documentElement.lang]);
    if (key !== shown) {
      shown = key;
      el.dataset.phase = phase;
      el.replaceChildren(...build(v, phase));
    }
    const c = el.querySelector('#bz-count');
    if (c) {
      const at = phase === 'reading' ? v.opens_at : v.deadline_at;
      const n = String(secs(at - now));
      if (c.textContent !== n) c.textContent = n;
    }
  }

  function build(v, phase) {
    const head = h('div', { class: 'bz-q' },
      h('div', { class: 'bz-badge' }, t('common.question_no', { no: v.no, total: v.total }),
        h('span', { class: 'bz-pts' }, t('buzzer.question_points', { n: pts(v.points), p: pts(v.penalty) }))),
      v.question ? h('div', { class: `bz-prompt${v.question.prompt.length > 120 ? ' long' : ''}`, id: 'bz-prompt' }, v.question.prompt) : null,
      v.question && v.question.options.length ? h('div', { class: 'bz-opts' }, ...v.question.options.map((o, i) => h('span', { class: 'bz-opt' }, h('b', {}, letter(i)), o))) : null);
    return [head, h('div', { class: 'bz-main' }, ...body(v, phase)), marks(v)];
  }

  function body(v, phase) {
    switch (phase) {
      case 'waiting':
        return [lastWrong(v), h('div', { class: 'bz-call idle' }, v.round > 0 ? t('buzzer.locked_hint') : t('buzzer.wait_signal'))];
      case 'reading':
        return [h('div', { class: 'bz-call idle' }, t('buzzer.opens_after'), ' ', h('span', { class: 'bz-count', id: 'bz-count' }))];
      case 'open':
        return [lastWrong(v), h('div', { class: 'bz-call live' }, v.round > 0 ? t('buzzer.steal_open') : t('buzzer.open_now')),
          v.deadline_at ? h('div', { class: 'bz-steal' }, h('span', { class: 'bz-count', id: 'bz-count' }), ' s') : null];
      case 'answering':
        return [winner(v), order(v)];
      default:
        return [result(v), order(v)];
    }
  }

  function winner(v) {
    const w = v.winner;
    return h('div', { class: 'bz-winner', id: 'bz-winner' },
      h('div', { class: 'bz-winner-cap' }, t('buzzer.floor_cap')),
      h('div', { class: 'bz-winner-name', id: 'bz-winner-name' }, w.team_name),
      v.typed_answer ? h('div', { class: 'bz-winner-typing' }, t('buzzer.typing')) : null);
  }

  /** The answer a team typed, once marked (the hall sees it with its verdict). */
  function typedCard(a, v) {
    return h('div', { class: `bz-typed ${a.correct ? 'right' : 'wrong'}`, id: 'bz-typed' },
      h('span', { class: 'bz-typed-team' }, t('buzzer.team_says', { team: a.team_name })),
      h('q', { class: 'bz-typed-text' }, typedText(a.response, v.question)),
      h('b', { class: 'bz-typed-mark' }, a.correct ? '✓' : '✗'));
  }

  /** After a wrong answer: what the team typed, above the call to the others. */
  function lastWrong(v) {
    const a = (v.answers || []).filter((x) => !x.correct && x.round === v.round - 1).pop();
    return a ? typedCard(a, v) : null;
  }

  function order(v) {
    const rest = v.presses.slice(1, 1 + ORDER_ROWS);
    if (!rest.length) return null;
    const more = v.presses_total - 1 - rest.length;
    return h('ol', { class: 'bz-order', id: 'bz-order' },
      ...rest.map((p) => h('li', { 'data-team': p.team_id },
        h('span', { class: 'bz-place' }, String(p.place)),
        h('span', { class: 'bz-team' }, p.team_name),
        h('span', { class: 'bz-gap' }, `+${p.gap_ms} ms`))),
      more > 0 ? h('li', { class: 'bz-more' }, t('buzzer.presses_more', { n: more })) : null);
  }

  function result(v) {
    const right = v.marks.find((m) => m.correct);
    return h('div', { class: `bz-result ${right ? 'right' : 'none'}`, id: 'bz-result' },
      h('div', { class: 'bz-result-title' }, right ? t('buzzer.right_team', { team: right.team_name }) : t('buzzer.nobody')),
      right ? h('div', { class: 'bz-result-pts' }, `+${t('common.points', { n: pts(right.points) })}`) : null,
      right && typedOf(v, right.team_id) ? h('q', { class: 'bz-result-typed', id: 'bz-typed' }, typedText(typedOf(v, right.team_id).response, v.question)) : null,
      v.solution ? h('div', { class: 'bz-answer' }, t('buzzer.answer', { a: solutionText(v) })) : null);
  }

  const typedOf = (v, team) => (v.answers || []).find((a) => a.team_id === team);

  function marks(v) {
    if (!v.marks.length) return h('div', { class: 'bz-marks' });
    return h('div', { class: 'bz-marks', id: 'bz-marks' }, ...v.marks.map((m) => h('span', { class: `bz-mark ${m.correct ? 'right' : 'wrong'}` },
      h('b', {}, m.correct ? '✓' : '✗'), m.team_name, h('i', {}, `${m.points > 0 ? '+' : ''}${pts(m.points)}`))));
  }

  return { draw };
}
