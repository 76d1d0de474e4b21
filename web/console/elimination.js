// The live control room's elimination panel (rung chuông vàng): how many remain, how
// many answered the open question, who was eliminated on the last revealed question, and
// the rescue (cứu trợ) of chosen contestants or of all of them, with a reason that goes to
// the audit log. Shown only while an elimination part runs; control.js drives the rest.
import { api } from '/assets/shared/api.js';
import { t } from '/assets/shared/i18n.js';
import { h, clear, field, showError, clearErrors, toast } from './dom.js';

export function elimPanel(ctx) {
  const c = ctx.contest;
  const el = h('section.card.elim-card#live-elimination', { hidden: true });
  let view = null;
  let answered = null;
  const chosen = new Set();
  const reason = h('input#rescue-reason', { maxLength: 500, placeholder: t('console.elim.reason_ph'), data: { field: 'reason' } });
  const msg = h('div.form-msg#rescue-msg', { hidden: true, role: 'alert' });
  const form = h('form.rescue-form#rescue-form', { novalidate: true });
  const bChosen = h('button.btn.small.gold#rescue-chosen', { type: 'submit' }, t('console.elim.rescue_chosen'));
  const bAll = h('button.btn.small.secondary#rescue-all', { type: 'button' }, t('console.elim.rescue_all'));

  async function rescue(body, b) {
    clearErrors(form);
    if (!reason.value.trim()) {
      showError(form, { field: 'reason', code: 'invalid_input' });
      return;
    }
    b.disabled = true;
    try {
      const st = await api('POST', `/api/contests/${c.id}/live/rescue`, { ...body, reason: reason.value.trim() });
      if (st && st.contest_id) { ctx.liveState = st; view = st.elimination || view; }
      reason.value = '';
      chosen.clear();
      toast(t('console.elim.rescued'));
    } catch (e) {
      if (e.field && e.field.startsWith('contestant_ids')) e.field = 'contestant_ids';
      showError(form, e, msg);
    } finally {
      b.disabled = false;
      draw();
    }
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!chosen.size) { showError(form, { field: 'contestant_ids', code: 'invalid_input', message: '' }); return; }
    rescue({ contestant_ids: [...chosen] }, bChosen);
  });
  bAll.addEventListener('click', () => rescue({ all_last: true }, bAll));

  function draw() {
    const st = ctx.liveState;
    const running = st?.part?.kind === 'elimination' && st.part.status === 'running';
    if (st?.elimination) view = st.elimination;
    el.hidden = !running || !view;
    if (el.hidden) return;
    const n = answered ?? view.answered;
    const q = st.question;
    const rescuable = !q || ['revealed', 'voided'].includes(q.status);
    const list = h('ul.elim-out#elim-eliminated', { data: { field: 'contestant_ids' } });
    for (const m of view.eliminated || []) {
      const box = h('input', { type: 'checkbox', checked: chosen.has(m.contestant_id), onchange: (e) => {
        if (e.target.checked) chosen.add(m.contestant_id); else chosen.delete(m.contestant_id);
      } });
      list.append(h('li', { data: { contestant: String(m.contestant_id) } }, h('label', box, h('b', m.name), ' ', h('span.muted', m.team_name))));
    }
    bChosen.disabled = !rescuable || !(view.eliminated || []).length;
    bAll.disabled = bChosen.disabled;
    const kids = [
      h('div.card-head', h('h2', t('console.elim.title')),
        h('span.big-count#elim-remaining', t('console.elim.remaining', { n: view.remaining, total: view.total }))),
      q?.status === 'open' ? h('p#elim-answered', t('console.elim.answered', { n, total: view.remaining })) : null,
      view.over ? h('p.msg.ok#elim-over', t('console.elim.over', { n: view.remaining })) : null,
      h('h3', t('console.elim.last', { n: view.eliminated_last })),
    ];
    clear(el, ...kids);
    if ((view.eliminated || []).length) {
      clear(form, list, field(t('console.elim.reason'), reason), h('div.row', bChosen, bAll), msg);
      if (!rescuable) form.append(h('p.hint', t('console.elim.reveal_first')));
      el.append(form);
    } else {
      el.append(h('p.muted', t('console.elim.none_last')));
    }
  }

  const off = ctx.onLive((m) => {
    if (m.type === 'elimination') { view = m.elimination; answered = null; draw(); }
    if (m.type === 'elimination_count') { answered = m.answered; draw(); }
    if (m.type === 'question_opened' || m.type === 'get_ready') { answered = 0; }
  });
  return { el, draw, stop: off };
}
