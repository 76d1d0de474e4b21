// The phone in an elimination part (rung chuông vàng): where I stand — still in, out
// (then spectating: the questions keep coming, the buttons stay locked), or rescued —
// and how many remain. The standing comes from the server's `elimination` view, which a
// team's phones get with their own members' standing only; it changes at the reveal,
// never before, so it gives no answer away.
import { t } from '/assets/shared/i18n.js';

/** My standing: 'in' | 'out' | 'rescued', or 'watching' when I joined after the start. */
export function standing(elim, contestantId) {
  if (!elim) return null;
  const m = (elim.team || []).find((x) => x.contestant_id === contestantId);
  return m ? m.standing : 'watching';
}

/** Whether the part refuses my answers (the server says so too, with `eliminated`). */
export function locked(elim, contestantId) {
  const s = standing(elim, contestantId);
  return s === 'out' || s === 'watching';
}

/**
 * Fills the banner above the stage (hidden outside an elimination part). While a question
 * is being asked it is one compact line, and a rescued contestant is simply back in.
 */
export function banner(el, elim, contestantId, asking) {
  let s = standing(elim, contestantId);
  if (asking && s === 'rescued') s = 'in';
  el.hidden = !s;
  if (!s) return;
  const title = s === 'in' && elim.over ? t('elim.winner') : t(`elim.${s}`);
  const hint = asking ? '' : s === 'out' ? t('elim.out_hint') : s === 'rescued' ? t('elim.rescued_hint') : '';
  const key = `${s}|${title}|${elim.remaining}|${elim.total}|${hint}|${asking}`;
  if (el.dataset.key === key) return;
  el.dataset.key = key;
  el.classList.toggle('compact', !!asking);
  el.dataset.standing = s;
  const b = document.createElement('strong');
  b.id = 'elim-standing';
  b.textContent = title;
  const count = document.createElement('span');
  count.id = 'elim-count';
  count.textContent = t('elim.remaining', { n: elim.remaining, total: elim.total });
  el.replaceChildren(b, count);
  if (hint) {
    const small = document.createElement('small');
    small.textContent = hint;
    el.append(small);
  }
}
