// A judged part in the console: the order of performance drawn by lot (with its seed),
// the marking grid (team × judge: marked, signed, totals), the part scores with gap flags,
// reopening a signed sheet with a reason, and releasing scores to the hall's screens.
import { api } from '/assets/shared/api.js';
import { t, errorText } from '/assets/shared/i18n.js';
import { h, clear, field, showError, clearErrors, say, toast, fmtNum, fmtTime } from './dom.js';

export async function judgingPanel(c, p, box) {
  let v = null;
  let reopening = null; // {team, judge}
  const base = `/api/contests/${c.id}/parts/${p.id}`;

  async function load() {
    try { v = await api('GET', `${base}/judging`); } catch (e) { clear(box, h('p.msg.err', errorText(e))); return; }
    draw();
  }

  function draw() {
    const open = c.status !== 'closed';
    const marked = v.teams.some((x) => x.sheets.some((s) => s.marked > 0));
    const msg = h('div.form-msg#judging-msg', { hidden: true, role: 'status' });

    // The order of performance.
    const seed = h('input#order-seed', { type: 'text', inputMode: 'numeric', placeholder: t('console.judging.seed_ph'), data: { field: 'seed' } });
    const drawForm = h('form.order-form#order-form', { novalidate: true },
      field(t('console.judging.seed'), seed, t('console.judging.seed_hint')),
      h('button.btn.secondary#order-draw', { type: 'submit', disabled: !open || marked }, v.order.drawn ? t('console.judging.redraw') : t('console.judging.draw')));
    drawForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(drawForm);
      const s = seed.value.trim();
      if (s && !/^\d{1,16}$/.test(s)) { showError(drawForm, { code: 'invalid_input', field: 'seed' }); return; }
      try {
        await api('POST', `${base}/order`, s ? { seed: Number(s) } : {});
        toast(t('console.judging.drawn'));
        await load();
      } catch (err) {
        if (err.code === 'marks_exist') say(msg, 'err', t('console.judging.marks_exist'));
        else showError(drawForm, err);
      }
    });
    const order = h('ol.order-list#order-list', ...v.order.teams.map((x) => h('li', h('span.o-slot', x.slot ? String(x.slot) : '–'), x.name)));
    const orderBox = h('div.order-box',
      h('h3', t('console.judging.order')),
      h('p.hint#order-seed-shown', v.order.drawn ? t('console.judging.order_seed', { seed: String(v.order.seed), when: fmtTime(v.order.drawn_at) }) : t('console.judging.order_none')),
      order,
      marked ? h('p.hint', t('console.judging.marks_exist')) : drawForm);

    // The grid.
    const head = h('tr', h('th.num', t('console.judging.slot')), h('th', t('console.judging.team')),
      ...v.judges.map((j) => h('th.judge-col', j.name)),
      h('th.num', t('console.judging.score')), h('th.num', t('console.judging.gap')), h('th', t('console.judging.release')));
    const n = v.rubric.criteria.length;
    const rows = v.teams.map((x) => h(`tr${x.flagged ? '.flagged' : ''}`, { data: { team: String(x.team_id) } },
      h('td.num', x.slot ? String(x.slot) : '–'),
      h('td.team', x.name),
      ...x.sheets.map((s) => {
        const j = v.judges.find((jj) => jj.id === s.judge_id);
        if (s.signed_at) {
          return h('td.cell.signed', { data: { judge: String(s.judge_id) }, title: t('console.judging.signed_at', { when: fmtTime(s.signed_at) }) },
            h('span.c-total', `✓ ${fmtNum(s.total)}`),
            open ? h('button.btn.small.ghost.reopen', { type: 'button', onclick: () => { reopening = { team: x, judge: j }; draw(); } }, t('console.judging.reopen')) : null);
        }
        const cls = s.marked === 0 ? 'todo' : s.marked === n ? 'ready' : 'marking';
        return h(`td.cell.${cls}`, { data: { judge: String(s.judge_id) } },
          s.marked === 0 ? '—' : h('span', `${s.marked}/${n}`, h('span.c-sub', ` · ${fmtNum(s.total)}`)));
      }),
      h('td.num.score', x.score === null ? h('span.muted', t('console.judging.signed_n', { n: x.signed, total: v.judges.length })) : h('strong', fmtNum(x.score))),
      h('td.num.gap', x.gap === null ? '' : [x.flagged ? h('span.flag', { title: t('console.judging.flag_hint', { gap: fmtNum(v.rubric.gap_threshold) }) }, '⚠ ') : null, fmtNum(x.gap)]),
      h('td.rel', x.released_at ? h('span.released', `✓ ${t('console.judging.released')}`)
        : x.score !== null && open ? h('button.btn.small.secondary.release', { type: 'button', onclick: () => release([x.team_id]) }, t('console.judging.release_one')) : '')));
    const flagged = v.teams.filter((x) => x.flagged);
    const releasable = v.teams.filter((x) => x.score !== null && !x.released_at);
    const grid = h('div.table-wrap', h('table.board.judging-grid#judging-grid', h('thead', head), h('tbody', rows)));

    clear(box,
      h('div.card-head', h('h2', t('console.judging.title')),
        h('span.hint', t('console.judging.rule', { agg: t('console.rubric.agg_' + v.rubric.aggregate), max: fmtNum(v.max_total) }))),
      h('div.judging-cols', orderBox,
        h('div.judging-main',
          v.judges.length ? null : h('p.msg.err', t('console.judging.no_judges')),
          flagged.length ? h('p.msg.warn#judging-flags', t('console.judging.flagged', { teams: flagged.map((x) => x.name).join(', '), gap: fmtNum(v.rubric.gap_threshold) })) : null,
          grid,
          reopening ? reopenForm() : null,
          h('div.actions',
            h('button.btn#release-all', { type: 'button', disabled: !open || !releasable.length, onclick: () => release(null) }, t('console.judging.release_all', { n: releasable.length })),
            h('span.hint', t('console.judging.release_hint'))),
          msg)));

    async function release(ids) {
      try {
        const r = await api('POST', `${base}/release`, ids ? { team_ids: ids } : {});
        toast(t('console.judging.released_n', { n: r.released.length }));
        v = r.judging;
        draw();
      } catch (err) {
        say(msg, 'err', err.code === 'score_missing' ? t('console.judging.score_missing', { team: err.params?.team || '' }) : errorText(err));
      }
    }
  }

  function reopenForm() {
    const { team, judge } = reopening;
    const reason = h('input#reopen-reason', { placeholder: t('console.judging.reason_ph'), data: { field: 'reason' } });
    const form = h('form.reopen-form#reopen-form', { novalidate: true },
      h('h3', t('console.judging.reopen_title', { judge: judge.name, team: team.name })),
      h('p.hint', t('console.judging.reopen_hint')),
      field(t('console.judging.reason'), reason),
      h('div.actions', h('button.btn#reopen-submit', { type: 'submit' }, t('console.judging.reopen_confirm')),
        h('button.btn.ghost', { type: 'button', onclick: () => { reopening = null; draw(); } }, t('common.cancel'))),
      h('div.form-msg', { hidden: true }));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      if (!reason.value.trim()) { showError(form, { code: 'invalid_input', field: 'reason' }); return; }
      try {
        await api('POST', `${base}/sheets/${team.team_id}/judges/${judge.id}/reopen`, { reason: reason.value });
        toast(t('console.judging.reopened'));
        reopening = null;
        await load();
      } catch (err) { showError(form, err); }
    });
    queueMicrotask(() => reason.focus());
    return form;
  }

  await load();
  // Judges mark and sign from their panels: keep the grid current while it is on screen.
  const timer = setInterval(() => {
    if (!box.isConnected) { clearInterval(timer); return; }
    if (!reopening && !box.contains(document.activeElement)) load();
  }, 4000);
}
