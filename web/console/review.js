// Phúc khảo and the audit log: correct a team's score with a reason (refusals beside the
// field), and every organiser decision of the contest in readable Vietnamese.
import { api } from '/assets/shared/api.js';
import { t, errorText } from '/assets/shared/i18n.js';
import { h, clear, field, showError, clearErrors, say, fmtTime, fmtNum } from './dom.js';

export async function render(ctx, root) {
  const c = ctx.contest;
  const [teams, parts] = await Promise.all([api('GET', `/api/contests/${c.id}/teams`), api('GET', `/api/contests/${c.id}/parts`)]);
  const qno = new Map(); // part question id -> {no, part title}
  await Promise.all(parts.map(async (p) => {
    const r = await api('GET', `/api/contests/${c.id}/parts/${p.id}/questions`).catch(() => ({ questions: [] }));
    for (const q of r.questions) qno.set(q.id, { no: q.position, part: p.title, qid: q.qid });
  }));
  const teamName = (id) => teams.find((x) => x.id === id)?.name ?? `#${id}`;
  const partTitle = (id) => parts.find((x) => x.id === id)?.title ?? `#${id}`;

  root.append(h('div.page-head', h('h1', t('console.nav.review')), h('p.muted', t('console.review.lead'))));
  const cols = h('div.cols');
  const left = h('div.col.narrow');
  const right = h('section.card.col.wide#audit-card');
  cols.append(left, right);
  root.append(cols);

  const form = h('form#adjust-form', { novalidate: true });
  const team = h('select#adjust-team', { data: { field: 'team_id' } }, h('option', { value: '' }, t('console.review.pick_team')),
    ...teams.map((x) => h('option', { value: String(x.id) }, x.name)));
  const part = h('select#adjust-part', { data: { field: 'part_id' } }, h('option', { value: '' }, t('console.review.whole')),
    ...parts.map((p) => h('option', { value: String(p.id) }, p.title)));
  const delta = h('input#adjust-delta', { type: 'number', step: 'any', data: { field: 'delta' }, placeholder: '+2 / -1,5' });
  const reason = h('textarea#adjust-reason', { rows: 3, data: { field: 'reason' }, placeholder: t('console.review.reason_ph') });
  const msg = h('div.form-msg#adjust-msg', { hidden: true, role: 'status' });
  form.append(field(t('common.team'), team), field(t('console.review.part'), part),
    field(t('console.review.delta'), delta, t('console.review.delta_hint')), field(t('console.review.reason'), reason),
    h('div.actions', h('button.btn#adjust-submit', { type: 'submit', disabled: c.status === 'closed' }, t('console.review.submit'))), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    if (!team.value) { showError(form, { code: 'invalid_input', field: 'team_id' }); return; }
    const d = Number(String(delta.value).replace(',', '.'));
    if (!delta.value.trim() || !Number.isFinite(d)) { showError(form, { code: 'invalid_input', field: 'delta' }); return; }
    const body = { team_id: Number(team.value), delta: d, reason: reason.value };
    if (part.value) body.part_id = Number(part.value);
    try {
      const r = await api('POST', `/api/contests/${c.id}/adjustments`, body);
      say(msg, 'ok', t('console.review.done', { team: teamName(r.team_id), old: fmtNum(r.old_total), new: fmtNum(r.new_total) }));
      delta.value = ''; reason.value = '';
      refresh();
    } catch (err) { showError(form, err); }
  });
  left.append(h('section.card', h('h2', t('console.review.adjust')), form));

  function describe(e) {
    const d = e.detail || {};
    const q = d.question_id ? qno.get(d.question_id) : null;
    const qText = q ? t('console.audit.q', { no: q.no, part: q.part }) : d.question_id ? `#${d.question_id}` : '';
    switch (e.action) {
      case 'part_start': return t('console.audit.part_start', { part: partTitle(d.part_id) });
      case 'part_finish': return t('console.audit.part_finish', { part: partTitle(d.part_id) });
      case 'question_open': return t('console.audit.question_open', { q: qText });
      case 'question_pause': return t('console.audit.question_pause', { q: qText });
      case 'question_resume': return t('console.audit.question_resume', { q: qText });
      case 'question_close': return t('console.audit.question_close', { q: qText });
      case 'question_reveal': return t('console.audit.question_reveal', { q: qText });
      case 'question_void': return t('console.audit.question_void', { q: qText });
      case 'score_adjust': return t('console.audit.score_adjust', {
        team: teamName(d.team_id), delta: (d.delta > 0 ? '+' : '') + fmtNum(d.delta),
        where: d.part_id ? partTitle(d.part_id) : t('console.review.whole'), old: fmtNum(d.old_total), new: fmtNum(d.new_total),
      });
      case 'tie_breakers': return t('console.audit.tie_breakers');
      case 'results_publish': return t(d.ties_confirmed ? 'console.audit.results_publish_ties' : 'console.audit.results_publish', { first: d.first || '—' });
      case 'results_unpublish': return t('console.audit.results_unpublish');
      case 'board_freeze': return t('console.audit.board_freeze', { n: d.teams ?? 0 });
      case 'board_reveal': return t('console.audit.board_reveal', { team: teamName(d.team_id), rank: d.rank, prize: d.prize || '—' });
      case 'board_confirm_ties': return t('console.audit.board_confirm_ties');
      case 'board_unfreeze': return t('console.audit.board_unfreeze');
      default: return e.action;
    }
  }

  async function refresh() {
    let rows;
    try { rows = await api('GET', `/api/contests/${c.id}/audit`); } catch (e) { clear(right, h('div.msg.err', errorText(e))); return; }
    const filter = right.querySelector('#audit-filter')?.value || '';
    const sel = h('select#audit-filter.small', h('option', { value: '' }, t('console.audit.all')),
      h('option', { value: 'score_adjust', selected: filter === 'score_adjust' }, t('console.audit.only_adjust')),
      h('option', { value: 'question_void', selected: filter === 'question_void' }, t('console.audit.only_void')));
    sel.addEventListener('change', refresh);
    clear(right, h('div.card-head', h('h2', t('console.audit.title', { n: rows.length })), sel));
    const list = h('ol.audit#audit-list');
    for (const e of [...rows].reverse()) {
      if (filter && e.action !== filter) continue;
      const d = e.detail || {};
      list.append(h(`li.au-${e.action}`, { data: { action: e.action } },
        h('time', fmtTime(e.created_at)),
        h('div.au-body', h('div.au-what', describe(e)),
          d.reason ? h('div.au-reason', t('console.audit.reason'), ' ', h('q', d.reason)) : null),
        h('div.au-actor', String(e.actor || '').replace(/^organiser:/, ''))));
    }
    right.append(list.children.length ? list : h('p.muted.empty', t('console.audit.none')));
  }
  await refresh();
}
