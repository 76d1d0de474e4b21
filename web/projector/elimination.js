// The hall's screen in an elimination part (rung chuông vàng): how many remain, as one big
// number beside the question and above the standings ("Còn 37/120 thí sinh"), how many of
// them answered the open question, the rescue moment (cứu trợ) as a full-screen banner
// for a few seconds, and the survivors by name once the part is over.
import { t } from '/assets/shared/i18n.js';
import { h } from './dom.js';

const RESCUE_MS = 8000;
const $ = (id) => document.getElementById(id);

const E = { view: null, answered: 0, asking: false, rescue: null, rescueUntil: 0 };
let els = null;

function build() {
  if (els) return els;
  const stage = $('stage');
  const side = h('div', { class: 'elim-remain', id: 'elim-remain' },
    h('div', { class: 'er-cap', id: 'er-cap' }),
    h('div', { class: 'er-big' }, h('span', { class: 'er-n', id: 'elim-remaining' }), h('span', { class: 'er-total', id: 'elim-total' })),
    h('div', { class: 'er-answered', id: 'elim-answered' }));
  stage.querySelector('.q-side').append(side);
  const head = h('div', { class: 'elim-board', id: 'elim-board' },
    h('div', { class: 'eb-line', id: 'elim-board-line' }),
    h('ol', { class: 'eb-survivors', id: 'elim-survivors' }));
  $('scene-board').insertBefore(head, $('scene-board').children[1]);
  const rescue = h('div', { class: 'elim-rescue', id: 'elim-rescue', hidden: true },
    h('div', { class: 'rs-title', id: 'rescue-title' }),
    h('div', { class: 'rs-count', id: 'rescue-count' }),
    h('div', { class: 'rs-reason', id: 'rescue-reason' }),
    h('div', { class: 'rs-names', id: 'rescue-names' }));
  stage.querySelector('.scenes').append(rescue);
  els = { stage, side, head, rescue };
  return els;
}

/** Follows the messages that concern an elimination part; the rest of the screen is projector.js's. */
export function onMessage(m) {
  switch (m.type) {
    case 'state':
      E.view = m.state.elimination || null;
      E.asking = m.state.question?.status === 'open';
      if (E.view) E.answered = E.view.answered;
      break;
    case 'elimination': E.view = m.elimination; E.answered = m.elimination.answered; break;
    case 'elimination_count': E.answered = m.answered; if (E.view) E.view.remaining = m.remaining; break;
    case 'question_opened': case 'get_ready': E.answered = 0; E.asking = true; break;
    case 'closed': case 'revealed': case 'voided': E.asking = false; break;
    case 'rescued':
      E.rescue = m;
      E.rescueUntil = Date.now() + RESCUE_MS;
      break;
    case 'part_started': E.view = null; break;
    default: return;
  }
  draw();
}

export function draw() {
  const v = E.view;
  const { stage, side, head, rescue } = build();
  stage.dataset.elim = v ? '1' : '';
  side.hidden = !v;
  head.hidden = !v;
  rescue.hidden = !(v && E.rescue && Date.now() < E.rescueUntil);
  if (!v) return;
  $('er-cap').textContent = t('projector.elim_remaining_cap');
  $('elim-remaining').textContent = String(v.remaining);
  $('elim-total').textContent = `/${v.total}`;
  // The answers to the open question, out of those still in (only while it is asked).
  $('elim-answered').textContent = E.asking ? t('elim.answered', { n: E.answered, total: v.remaining }) : '';
  $('elim-board-line').textContent = v.over ? `${t('elim.ended')} — ${t('elim.remaining', { n: v.remaining, total: v.total })}` : t('elim.remaining', { n: v.remaining, total: v.total });
  const names = (v.survivors || []).map((s) => h('li', {}, h('b', {}, s.name), h('small', {}, s.team_name)));
  $('elim-survivors').replaceChildren(...names);
  $('elim-survivors').hidden = !names.length;
  if (!rescue.hidden) {
    const r = E.rescue;
    $('rescue-title').textContent = t('elim.rescue_moment');
    $('rescue-count').textContent = t('elim.rescue_count', { n: r.count });
    $('rescue-reason').textContent = r.reason;
    $('rescue-names').textContent = (r.names || []).join(' · ');
  }
}

setInterval(() => { if (els && !els.rescue.hidden && Date.now() >= E.rescueUntil) draw(); }, 500);
