// The control room of a buzzer part: who has the floor and the order of the presses (the
// server's receive order, with gaps), the marks so far, and the buzzer's own controls —
// B opens the buzzer (after a wrong answer: the steal for the other teams), D marks the
// team with the floor right, X wrong. Next, close and reveal are the quiz's buttons.
import { t, extend } from '/assets/shared/i18n.js';
import { vi, en } from '/assets/shared/strings/buzzer.js';
import { typedText } from '/assets/shared/buzzer.js';
import { h, clear, fmtNum } from './dom.js';

extend('vi', vi);
extend('en', en);
extend('vi', {
  'console.buzzer.open': 'Mở chuông',
  'console.buzzer.steal': 'Mở cho đội khác',
  'console.buzzer.right': 'Đúng',
  'console.buzzer.wrong': 'Sai',
  'console.buzzer.shortcuts': 'Chuông: B mở chuông (sau câu sai: mở cho đội khác) · D đúng · X sai',
  'console.buzzer.floor': 'Đang giành quyền',
  'console.buzzer.no_floor': 'Chưa đội nào bấm',
  'console.buzzer.phase.waiting': 'Chuông chưa mở — bấm B khi MC đọc xong',
  'console.buzzer.phase.reading': 'Chuông tự mở sau {s} giây',
  'console.buzzer.phase.open': 'Chuông đang mở',
  'console.buzzer.phase.answering': 'Chờ chấm',
  'console.buzzer.phase.closed': 'Câu đã kết thúc',
  'console.buzzer.round': 'Lượt {n}',
  'console.buzzer.steal_left': 'Còn {s} giây cho các đội khác',
  'console.buzzer.marks': 'Đã chấm',
  'console.buzzer.false_starts': 'Bấm sớm (đang khóa)',
  'console.buzzer.locked': 'Đã sai, bị khóa',
  'console.buzzer.typing': 'Đội đang nhập câu trả lời trên điện thoại — máy tự chấm; D/X để chấm tay',
  'console.buzzer.typed': 'Câu trả lời đã nhập',
  'console.buzzer.auto_right': 'đúng',
  'console.buzzer.auto_wrong': 'sai',
});
extend('en', {
  'console.buzzer.open': 'Open the buzzer',
  'console.buzzer.steal': 'Open to the others',
  'console.buzzer.right': 'Right',
  'console.buzzer.wrong': 'Wrong',
  'console.buzzer.shortcuts': 'Buzzer: B open (after a wrong answer: the steal) · D right · X wrong',
  'console.buzzer.floor': 'Has the floor',
  'console.buzzer.no_floor': 'No team has pressed yet',
  'console.buzzer.phase.waiting': 'The buzzer is closed — press B when the question has been read',
  'console.buzzer.phase.reading': 'The buzzer opens by itself in {s} s',
  'console.buzzer.phase.open': 'The buzzer is open',
  'console.buzzer.phase.answering': 'Waiting for the mark',
  'console.buzzer.phase.closed': 'The question is over',
  'console.buzzer.round': 'Round {n}',
  'console.buzzer.steal_left': '{s} s left for the other teams',
  'console.buzzer.marks': 'Marked',
  'console.buzzer.false_starts': 'False starts (locked)',
  'console.buzzer.locked': 'Wrong, locked out',
  'console.buzzer.typing': 'The team is typing its answer on the phone — marked by itself; D/X to mark by hand',
  'console.buzzer.typed': 'Typed answers',
  'console.buzzer.auto_right': 'right',
  'console.buzzer.auto_wrong': 'wrong',
});

/**
 * @param {object} o
 * @param {(path: string, button: HTMLElement, body?: object) => Promise<boolean>} o.act
 * @param {(id: string, key: string, label: string, cls?: string) => HTMLElement} o.btn
 */
export function buzzerControls({ act, btn }) {
  const bOpen = btn('live-buzzer-open', 'B', t('console.buzzer.open'), 'gold');
  const bRight = btn('live-mark-right', 'D', t('console.buzzer.right'), 'secondary');
  const bWrong = btn('live-mark-wrong', 'X', t('console.buzzer.wrong'), 'secondary');
  bRight.classList.add('mark-right');
  bWrong.classList.add('mark-wrong');
  let view = null;
  bOpen.addEventListener('click', () => act('/live/buzzer/open', bOpen));
  const mark = (correct, b) => view?.winner && act('/live/buzzer/mark', b, { correct, team_id: view.winner.team_id });
  bRight.addEventListener('click', () => mark(true, bRight));
  bWrong.addEventListener('click', () => mark(false, bWrong));
  const row = h('div.ctl-row.buzzer-row#live-buzzer-controls', bOpen, bRight, bWrong, h('div.shortcuts', t('console.buzzer.shortcuts')));

  /** Enables the buttons for the view `v` (null: no buzzer question). */
  function set(v, now) {
    view = v;
    const open = v && v.status === 'open';
    const phase = v && open && v.phase === 'reading' && v.opens_at <= now ? 'open' : v?.phase;
    bOpen.disabled = !open || phase === 'open' || phase === 'answering';
    bOpen.querySelector('.ctl-label').textContent = open && v.round > 0 ? t('console.buzzer.steal') : t('console.buzzer.open');
    bRight.disabled = !open || !v.winner;
    bWrong.disabled = !open || !v.winner;
  }

  /** The stage of a buzzer question: the floor, the order, the marks. */
  function stage(v, el, now) {
    const phase = v.status !== 'open' ? 'closed' : v.phase === 'reading' && v.opens_at <= now ? 'open' : v.phase;
    const line = phase === 'reading'
      ? t('console.buzzer.phase.reading', { s: Math.max(0, Math.ceil((v.opens_at - now) / 1000)) })
      : phase === 'open' && v.deadline_at ? t('console.buzzer.steal_left', { s: Math.max(0, Math.ceil((v.deadline_at - now) / 1000)) })
        : t(`console.buzzer.phase.${phase}`);
    const floor = v.winner
      ? h('div.bz-floor#live-floor', h('span.bz-floor-cap', t('console.buzzer.floor')), h('strong', v.winner.team_name))
      : h('div.bz-floor.none#live-floor', h('span.bz-floor-cap', t('console.buzzer.no_floor')));
    const order = h('ol.bz-order-list#live-buzz-order', ...v.presses.map((p) => h('li', { data: { team: String(p.team_id) } },
      h('span.bz-p', String(p.place)), h('span.bz-n', p.team_name), h('span.bz-g', p.place === 1 ? '' : `+${p.gap_ms} ms`))));
    const marks = v.marks.length ? h('div.bz-marks-line', h('span.muted', t('console.buzzer.marks')), ...v.marks.map((m) =>
      h(`span.bz-mk.${m.correct ? 'right' : 'wrong'}`, `${m.correct ? '✓' : '✗'} ${m.team_name} ${m.points > 0 ? '+' : ''}${fmtNum(m.points)}`))) : null;
    const typing = v.typed_answer && v.winner && phase === 'answering' ? h('div.bz-typing#live-typing', t('console.buzzer.typing')) : null;
    const typed = (v.answers || []).length ? h('div.bz-typed#live-typed', h('span.muted', t('console.buzzer.typed')),
      ...v.answers.map((a) => h(`div.bz-ty.${a.correct ? 'right' : 'wrong'}`, { data: { team: String(a.team_id) } },
        h('span.bz-n', a.team_name), h('q.bz-ty-text', typedText(a.response, v.question)),
        h('span.bz-ty-mark', `${a.correct ? '✓' : '✗'} ${t(a.correct ? 'console.buzzer.auto_right' : 'console.buzzer.auto_wrong')}`)))) : null;
    const fs = v.false_starts.length ? h('div.bz-marks-line', h('span.muted', t('console.buzzer.false_starts')),
      ...v.false_starts.map((f) => h('span.bz-mk.fs', f.team_name))) : null;
    el.append(h('div.bz-console',
      h('div.bz-phase#live-buzz-phase', { data: { phase } }, h('span.bz-round', t('console.buzzer.round', { n: v.round + 1 })), line),
      phase === 'closed' ? null : floor, typing, v.presses.length > 1 && phase !== 'closed' ? order : null, typed, marks, fs));
  }

  return { row, set, stage, keys: { b: bOpen, d: bRight, x: bWrong } };
}

/** Clears `el` (helper for control.js). */
export { clear };
