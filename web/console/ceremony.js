// The end of the contest in the live control room: freeze the public board (the
// projector and phones keep it while this console keeps the live one), confirm shared
// prizes, reveal the frozen board team by team from the bottom up on the projector (the
// awards ceremony), unfreeze. Keys: Z freeze/unfreeze, X reveal the next team.
import { api } from '/assets/shared/api.js';
import { t, errorText } from '/assets/shared/i18n.js';
import { h, clear, say, fmtNum } from './dom.js';

/** The ceremony card; `update()` redraws it, `onMessage(m)` follows the live socket. */
export function ceremonyCard(ctx) {
  const c = ctx.contest;
  let view = null;
  const el = h('section.card.ceremony-card#ceremony');
  const msg = h('div.form-msg#ceremony-msg', { hidden: true, role: 'alert' });
  const bFreeze = h('button.btn.ctl.secondary#board-freeze', { type: 'button' }, h('span.ctl-label'), h('kbd', 'Z'));
  const bReveal = h('button.btn.ctl.gold#board-reveal', { type: 'button' }, h('span.ctl-label', t('console.cer.reveal')), h('kbd', 'X'));
  const bConfirm = h('button.btn.small.secondary#board-confirm-ties', { type: 'button' }, t('console.cer.confirm_ties'));
  const body = h('div.cer-body');

  async function act(path, b) {
    b.disabled = true;
    say(msg, 'ok', '');
    try {
      view = await api('POST', `/api/contests/${c.id}/live/board/${path}`, {});
    } catch (e) {
      say(msg, 'err', e.code === 'prize_tie_pending' ? t('console.cer.tie_pending') : errorText(e));
    } finally {
      b.disabled = false;
      draw();
    }
  }
  bFreeze.addEventListener('click', () => act(view?.frozen ? 'unfreeze' : 'freeze', bFreeze));
  bReveal.addEventListener('click', () => act('reveal', bReveal));
  bConfirm.addEventListener('click', () => act('confirm-ties', bConfirm));

  function prizeText(p) {
    if (!p) return '—';
    return p.pending ? `${p.name} (${t('console.cer.pending')})` : p.shared ? `${p.name} (${t('console.cer.shared')})` : p.name;
  }

  function draw() {
    const frozen = !!view?.frozen;
    bFreeze.querySelector('.ctl-label').textContent = frozen ? t('console.cer.unfreeze') : t('console.cer.freeze');
    bFreeze.classList.toggle('gold', !frozen);
    bReveal.disabled = !frozen || view.revealed >= view.teams;
    const pendingTies = frozen && view.ties.length > 0 && !view.ties_confirmed;
    bConfirm.hidden = !pendingTies;
    clear(body);
    if (!view) return;
    if (!frozen) { body.append(h('p.muted', t('console.cer.live_hint'))); return; }
    const at = new Date(view.frozen_at).toLocaleTimeString('vi-VN', { hour: '2-digit', minute: '2-digit' });
    body.append(h('p.cer-status#ceremony-status', t('console.cer.frozen_at', { at, n: view.revealed, total: view.teams })));
    const next = view.steps[view.revealed];
    body.append(h('div.cer-next#ceremony-next', next
      ? [h('span.muted', t('console.cer.next')), ' ', h('strong', `${t('console.cer.rank', { rank: next.rank })} · ${next.team_name} · ${fmtNum(next.total)}`), ' · ', prizeText(next.prize)]
      : t('console.cer.done')));
    if (pendingTies) {
      for (const tie of view.ties) {
        const names = tie.team_ids.map((id) => view.steps.find((s) => s.team_id === id)?.team_name || `#${id}`).join(', ');
        body.append(h('div.msg.warn.cer-tie', t('console.cer.tie', { names, rank: tie.rank, prize: tie.prize, places: tie.places })));
      }
    }
    const list = h('ol.cer-list#ceremony-list');
    view.steps.forEach((s, i) => {
      list.append(h(`li${i < view.revealed ? '.done' : ''}${i === view.revealed ? '.next' : ''}`, { data: { team: String(s.team_id) } },
        h('span.cl-rank', String(s.rank)), h('span.cl-name', s.team_name), h('span.cl-total', fmtNum(s.total)), h('span.cl-prize', prizeText(s.prize))));
    });
    body.append(list);
  }

  el.append(h('div.card-head', h('h2', t('console.cer.title'))), h('div.ctl-row', bFreeze, bReveal, bConfirm), msg, body);
  api('GET', `/api/contests/${c.id}/live/board`).then((v) => { view = v; draw(); }).catch(() => {});
  draw();

  return {
    el,
    onMessage(m) { if (m.type === 'ceremony') { view = m.ceremony; draw(); } },
    onKey(key) {
      const b = { z: bFreeze, x: bReveal }[key];
      if (b && !b.disabled) { b.click(); return true; }
      return false;
    },
  };
}
