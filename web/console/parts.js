// Parts and their questions: the part's settings (refusals beside the field), its
// questions, a draw by quotas (section × difficulty × type, with the seed shown), a hand
// choice from the bank with the source quotes, and imports from XLSX/CSV/Aiken with every
// problem shown by row and column.
import { api, token } from '/assets/shared/api.js';
import { t, errorText } from '/assets/shared/i18n.js';
import { h, clear, field, showError, clearErrors, say, toast, confirmButton, fmtNum } from './dom.js';
import { tabbed } from './teams.js';
import { judgingPanel } from './judging.js';
import { tieBreakField } from './awards.js';

/** The kinds of part the live engine can run. */
const RUNNABLE = ['quiz', 'buzzer', 'judged', 'elimination'];

const TYPES = ['single', 'multiple', 'true_false', 'short_text', 'number'];
const LETTERS = 'ABCDEFGHIJ';

/** The right answer of a question (bank or snapshot form), in words. */
export function answerText(q) {
  const s = q.solution;
  if (!s) return '';
  switch (s.kind) {
    case 'single': return LETTERS[s.option];
    case 'multiple': return s.options.map((i) => LETTERS[i]).join(', ');
    case 'true_false': return s.value ? t('console.q.true') : t('console.q.false');
    case 'short_text': return s.accepted.join(' / ');
    case 'number': return fmtNum(s.value) + (s.tolerance ? ` ± ${fmtNum(s.tolerance)}` : '') + (q.unit ? ` ${q.unit}` : '');
    default: return '';
  }
}

export function correctIndexes(s) {
  if (!s) return [];
  if (s.kind === 'single') return [s.option];
  if (s.kind === 'multiple') return s.options;
  return [];
}

function typeLabel(k) { return t('console.type.' + k); }
function diffLabel(d) { return t('console.diff.' + d); }

export async function render(ctx, root) {
  const c = ctx.contest;
  root.append(h('div.page-head', h('h1', t('console.nav.parts')), h('p.muted', t('console.parts.lead'))));
  const cols = h('div.cols.parts-cols');
  const side = h('div.col.narrow');
  const detail = h('div.col.wide');
  cols.append(side, detail);
  root.append(cols);
  let parts = [];
  // For the tie-break teams: the contest's teams and the board's ties now.
  const [teams, board] = await Promise.all([
    api('GET', `/api/contests/${c.id}/teams`).catch(() => []),
    api('GET', `/api/contests/${c.id}/scoreboard`).then((r) => r.board).catch(() => null),
  ]);
  let selected = Number(sessionStorage.getItem(`hoithi.part.${c.id}`)) || null;

  async function refresh() {
    parts = await api('GET', `/api/contests/${c.id}/parts`);
    if (!parts.find((p) => p.id === selected)) selected = parts[0]?.id ?? null;
    renderSide();
    renderDetail();
  }

  function renderSide() {
    const list = h('div.part-list#part-list');
    for (const p of parts) {
      list.append(h(`button.part-item${p.id === selected ? '.active' : ''}`, {
        type: 'button', data: { part: String(p.id) },
        onclick: () => { selected = p.id; sessionStorage.setItem(`hoithi.part.${c.id}`, p.id); renderSide(); renderDetail(); },
      }, h('span.pi-pos', String(p.position)), h('span.pi-text', h('span.pi-title', p.title),
        h('span.pi-meta', `${t('console.kind.' + p.kind)} · ${t('console.pstatus.' + p.status)}`))));
    }
    const add = h('button.btn.secondary.block#part-new', { type: 'button', disabled: c.status === 'closed' }, t('console.parts.add'));
    add.addEventListener('click', () => { selected = null; renderSide(); renderDetail(true); });
    clear(side, h('section.card', h('h2', t('console.parts.list')), parts.length ? list : h('p.muted', t('console.parts.none')), add));
  }

  function renderDetail(creating = false) {
    clear(detail);
    const p = creating ? null : parts.find((x) => x.id === selected);
    if (!p && !creating) {
      detail.append(h('section.card.empty-state', h('h2', t('console.parts.none_title')), h('p', t('console.parts.none_hint'))));
      return;
    }
    detail.append(h('section.card', h('h2', p ? t('console.parts.settings', { title: p.title }) : t('console.parts.new')), partForm(p)));
    if (p && p.kind === 'judged') {
      const jbox = h('section.card#part-judging');
      detail.append(jbox);
      judgingPanel(c, p, jbox);
    } else if (p) {
      const qbox = h('section.card#part-questions');
      detail.append(qbox);
      questionsPanel(p, qbox);
    }
  }

  function partForm(p) {
    const sc = p?.scoring || {};
    const form = h('form#part-form', { novalidate: true });
    const num = (id, fieldName, value, attrs = {}) => h(`input#${id}`, { type: 'number', step: 'any', value: value ?? '', data: { field: fieldName }, ...attrs });
    const title = h('input#part-title', { value: p?.title || '', data: { field: 'title' }, placeholder: t('console.parts.title_ph') });
    const kind = h('select#part-kind', { data: { field: 'kind' } },
      ...['quiz', 'buzzer', 'judged', 'elimination'].map((k) => h('option', { value: k, selected: (p?.kind || 'quiz') === k, disabled: !RUNNABLE.includes(k) }, t('console.kind.' + k) + (!RUNNABLE.includes(k) ? ` (${t('console.soon')})` : ''))));
    const maxp = num('part-max', 'max_points', p?.max_points ?? 100);
    const weight = num('part-weight', 'weight', p?.weight ?? 1);
    const time = num('part-time', 'time_per_question_s', p?.time_per_question_s ?? 30);
    const policy = h('select#part-policy', { data: { field: 'answer_policy' } },
      h('option', { value: 'last_answer', selected: (p?.answer_policy || 'last_answer') === 'last_answer' }, t('console.policy.last_answer')),
      h('option', { value: 'captain_only', selected: p?.answer_policy === 'captain_only' }, t('console.policy.captain_only')));
    const bonusKind = sc.speed_bonus?.kind || 'none';
    const bonus = h('select#part-bonus', { data: { field: 'scoring.speed_bonus' } },
      ...['none', 'kahoot', 'ranked'].map((k) => h('option', { value: k, selected: bonusKind === k }, t('console.bonus.' + k))));
    const ranked = h('input#part-ranked', { value: (sc.speed_bonus?.points || [40, 30, 20, 10]).join(', '), data: { field: 'scoring.speed_bonus.points' } });
    const rankedField = field(t('console.parts.ranked_points'), ranked, t('console.parts.ranked_hint'));
    rankedField.hidden = bonusKind !== 'ranked';
    bonus.addEventListener('change', () => { rankedField.hidden = bonus.value !== 'ranked'; });
    const penalty = num('part-penalty', 'scoring.wrong_penalty', sc.wrong_penalty ?? 0);
    const getReady = num('part-get-ready', 'scoring.get_ready_s', sc.get_ready_s ?? 0);
    const reading = num('part-reading', 'scoring.reading_s', sc.reading_s ?? 0);
    const star = h('input#part-star', { type: 'checkbox', checked: !!sc.star_of_hope, data: { field: 'scoring.star_of_hope' } });
    const partial = h('input#part-partial', { type: 'checkbox', checked: !!sc.partial_multiple, data: { field: 'scoring.partial_multiple' } });
    const rubric = rubricEditor(p?.rubric, () => Number(maxp.value));
    maxp.addEventListener('input', rubric.refresh);
    const scoringBox = h('fieldset.scoring');
    const quizOnly = [];
    // Elimination: what survivors and questions survived add to their teams' scores.
    const elimSc = sc.elimination || {};
    const perSurvivor = num('part-elim-survivor', 'scoring.elimination.points_per_survivor', elimSc.points_per_survivor ?? 0);
    const perQuestion = num('part-elim-question', 'scoring.elimination.points_per_question', elimSc.points_per_question ?? 0);
    const elimSet = h('fieldset.scoring#part-elimination', h('legend', t('console.parts.elim_legend')),
      h('div.grid2', field(t('console.parts.elim_survivor'), perSurvivor, t('console.parts.elim_survivor_hint')),
        field(t('console.parts.elim_question'), perQuestion, t('console.parts.elim_question_hint'))));
    const tieBreak = tieBreakField(p, teams, board);
    // Buzzer: the steal window, false starts, typed answers (`scoring.buzzer`).
    const bzSc = sc.buzzer || {};
    const bzSteal = num('part-bz-steal', 'scoring.buzzer.steal_s', bzSc.steal_s ?? 10, { min: 0, step: 1 });
    const bzLockout = num('part-bz-lockout', 'scoring.buzzer.false_start_lockout_s', bzSc.false_start_lockout_s ?? 3, { min: 0, step: 1 });
    const bzWhole = h('input#part-bz-whole', { type: 'checkbox', checked: !!bzSc.false_start_whole_question, data: { field: 'scoring.buzzer.false_start_whole_question' } });
    const bzTyped = h('input#part-bz-typed', { type: 'checkbox', checked: !!bzSc.typed_answer, data: { field: 'scoring.buzzer.typed_answer' } });
    const bzSet = h('fieldset.scoring#part-buzzer', h('legend', t('console.parts.bz_legend')),
      h('div.grid2', field(t('console.parts.bz_steal'), bzSteal, t('console.parts.bz_steal_hint')),
        field(t('console.parts.bz_lockout'), bzLockout, t('console.parts.bz_lockout_hint'))),
      h('div.checks', h('label.check', bzWhole, h('span', t('console.parts.bz_whole'))), h('label.check', bzTyped, h('span', t('console.parts.bz_typed')))));
    const kindShown = () => {
      elimSet.hidden = kind.value !== 'elimination';
      bzSet.hidden = kind.value !== 'buzzer';
      tieBreak.el.hidden = !['quiz', 'buzzer'].includes(kind.value);
    };
    kind.addEventListener('change', kindShown);
    kindShown();
    const msg = h('div.form-msg#part-msg', { hidden: true, role: 'status' });
    const submit = h('button.btn#part-save', { type: 'submit', disabled: c.status === 'closed' }, p ? t('common.save') : t('console.parts.create'));
    form.append(
      h('div.grid2', field(t('console.parts.title'), title), field(t('console.parts.kind'), kind)),
      h('div.grid4', field(t('console.parts.max_points'), maxp), field(t('console.parts.weight'), weight, t('console.parts.weight_hint')),
        quizOnly[quizOnly.push(field(t('console.parts.time'), time, t('console.parts.time_hint'))) - 1],
        quizOnly[quizOnly.push(field(t('console.parts.policy'), policy)) - 1]),
      rubric.el,
      clear(scoringBox, h('legend', t('console.parts.scoring')),
        h('div.grid4', field(t('console.parts.get_ready'), getReady, t('console.parts.get_ready_hint')),
          field(t('console.parts.reading'), reading, t('console.parts.reading_hint')),
          field(t('console.parts.bonus'), bonus), field(t('console.parts.penalty'), penalty, t('console.parts.penalty_hint'))),
        rankedField,
        h('div.checks', h('label.check', star, h('span', t('console.parts.star'))), h('label.check', partial, h('span', t('console.parts.partial'))))),
      elimSet,
      tieBreak.el,
      bzSet,
      h('div.actions', submit,
        p && p.status === 'pending' ? confirmButton('ghost.danger#part-delete', t('console.parts.delete'), t('console.confirm_again'), async () => {
          try { await api('DELETE', `/api/contests/${c.id}/parts/${p.id}`); selected = null; await refresh(); } catch (e) { say(msg, 'err', errorText(e)); }
        }) : null,
        p && p.status !== 'pending' ? h('span.hint', t('console.parts.started_hint')) : null),
      msg);
    const byKind = () => {
      const judged = kind.value === 'judged';
      rubric.el.hidden = !judged;
      scoringBox.hidden = judged;
      for (const f of quizOnly) f.hidden = judged;
    };
    kind.addEventListener('change', byKind);
    byKind();
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      const n = (el) => (el.value.trim() === '' ? null : Number(el.value));
      const speed = bonus.value === 'ranked'
        ? { kind: 'ranked', points: ranked.value.split(/[,;\s]+/).filter(Boolean).map(Number) }
        : { kind: bonus.value };
      const scoring = {
        speed_bonus: speed, wrong_penalty: n(penalty) ?? 0, star_of_hope: star.checked, partial_multiple: partial.checked,
        get_ready_s: n(getReady) ?? 0, reading_s: n(reading) ?? 0,
      };
      if (kind.value === 'elimination') {
        scoring.elimination = { points_per_survivor: n(perSurvivor) ?? 0, points_per_question: n(perQuestion) ?? 0 };
      }
      if (kind.value === 'buzzer') {
        const bz = { steal_s: n(bzSteal) ?? 10, false_start_lockout_s: n(bzLockout) ?? 3, false_start_whole_question: bzWhole.checked, typed_answer: bzTyped.checked };
        // The server leaves the defaults out of the part it sends back: so does the form.
        if (JSON.stringify(bz) !== JSON.stringify({ steal_s: 10, false_start_lockout_s: 3, false_start_whole_question: false, typed_answer: false })) scoring.buzzer = bz;
      }
      const body = { kind: kind.value, title: title.value, max_points: n(maxp), weight: n(weight) ?? 1, time_per_question_s: n(time) ?? 30, answer_policy: policy.value, scoring };
      if (['quiz', 'buzzer'].includes(kind.value)) {
        const tb = tieBreak.value();
        if (tb === null) { showError(form, { code: 'invalid_input', field: 'tie_break_teams' }); return; }
        body.tie_break_teams = tb;
      } else if (p?.tie_break_teams?.length) body.tie_break_teams = [];
      if (kind.value === 'judged') body.rubric = rubric.value();
      else if (p && p.rubric && p.rubric.criteria.length) body.rubric = { criteria: [], aggregate: 'mean', gap_threshold: 0 };
      if (body.max_points === null) { showError(form, { code: 'invalid_input', field: 'max_points' }); return; }
      submit.disabled = true;
      try {
        if (p) {
          // Only what changed: a started part may still be renamed.
          const changed = {};
          for (const k of Object.keys(body)) if (JSON.stringify(body[k]) !== JSON.stringify(k === 'scoring' ? { ...p.scoring } : p[k])) changed[k] = body[k];
          await api('PATCH', `/api/contests/${c.id}/parts/${p.id}`, changed);
          say(msg, 'ok', t('console.saved'));
          await refresh();
        } else {
          const made = await api('POST', `/api/contests/${c.id}/parts`, body);
          selected = made.id;
          sessionStorage.setItem(`hoithi.part.${c.id}`, made.id);
          toast(t('console.parts.created'));
          await refresh();
        }
      } catch (err) {
        showError(form, err);
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  async function questionsPanel(p, box) {
    const [pq, banks] = await Promise.all([
      api('GET', `/api/contests/${c.id}/parts/${p.id}/questions`),
      api('GET', '/api/banks').catch(() => []),
    ]);
    // Seeds are 64-bit: read them from the text, JSON numbers in JS keep only 53 bits.
    const drawsText = await api('GET', `/api/contests/${c.id}/parts/${p.id}/draws`, null, { raw: true }).then((r) => r.text()).catch(() => '');
    const seeds = [...drawsText.matchAll(/"seed"\s*:\s*(-?\d+)/g)].map((m) => m[1]);
    const lastSeed = seeds.length ? seeds[seeds.length - 1] : null;
    const pending = p.status === 'pending' && c.status !== 'closed';
    clear(box, h('div.card-head', h('h2', t('console.q.title', { n: pq.questions.length })),
      lastSeed !== null ? h('span.seed#draw-seed', t('console.q.seed', { seed: String(lastSeed) })) : null));
    const list = h('ol.q-list#part-question-list');
    for (const row of pq.questions) list.append(questionRow(row.question, { status: row.status, points: row.points, time: row.time_limit_s }));
    box.append(pq.questions.length ? list : h('p.muted.empty', t('console.q.none')));
    if (!pending) { box.append(h('p.hint', t('console.q.locked'))); return; }
    const bank = banks[0];
    const detailBank = bank ? await api('GET', `/api/banks/${bank.id}`).catch(() => null) : null;
    const sections = detailBank?.sections || [];
    box.append(tabbed([
      [t('console.q.tab_draw'), drawForm(p, sections, box)],
      [t('console.q.tab_choose'), chooser(p, banks, pq, box)],
      [t('console.q.tab_import'), importForm(banks)],
    ]));
  }

  function drawForm(p, sections, box) {
    const form = h('form#draw-form', { novalidate: true });
    const rows = h('div.quota-rows');
    const addRow = (q = {}) => {
      const i = rows.children.length;
      const sec = h('select.q-section', { data: { field: `quotas[${i}].section` } }, ...sections.map((s) => h('option', { value: s.id, selected: q.section === s.id }, s.title)));
      const diff = h('select.q-diff', { data: { field: `quotas[${i}].difficulty` } }, h('option', { value: '' }, t('console.any')), ...[1, 2, 3].map((d) => h('option', { value: String(d) }, diffLabel(d))));
      const type = h('select.q-type', { data: { field: `quotas[${i}].type` } }, h('option', { value: '' }, t('console.any')), ...TYPES.map((k) => h('option', { value: k }, typeLabel(k))));
      const count = h('input.q-count', { type: 'number', min: 1, value: q.count ?? 3, data: { field: `quotas[${i}].count` } });
      const del = h('button.btn.small.ghost', { type: 'button', title: t('console.remove'), onclick: () => { if (rows.children.length > 1) row.remove(); } }, '×');
      const row = h('div.quota', field(t('console.q.section'), sec), field(t('console.q.difficulty'), diff), field(t('console.q.type'), type), field(t('console.q.count'), count), del);
      rows.append(row);
    };
    addRow({ count: 3 });
    const seed = h('input#draw-seed-input', { type: 'number', placeholder: t('console.q.seed_ph'), data: { field: 'seed' } });
    const msg = h('div.form-msg#draw-msg', { hidden: true, role: 'status' });
    form.append(h('p.hint', t('console.q.draw_hint')), rows,
      h('div.actions', h('button.btn.small.ghost', { type: 'button', onclick: () => addRow() }, t('console.q.add_quota')),
        field(t('console.q.seed_label'), seed), h('button.btn#draw-submit', { type: 'submit' }, t('console.q.draw'))), msg);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      const quotas = [...rows.children].map((r) => {
        const q = { section: r.querySelector('.q-section').value, count: Number(r.querySelector('.q-count').value) };
        const d = r.querySelector('.q-diff').value; if (d) q.difficulty = Number(d);
        const ty = r.querySelector('.q-type').value; if (ty) q.type = ty;
        return q;
      });
      let body = JSON.stringify({ quotas });
      const given = seed.value.trim();
      if (given) {
        if (!/^\d{1,18}$/.test(given)) { showError(form, { code: 'invalid_input', field: 'seed' }); return; }
        body = body.replace(/^\{/, `{"seed":${given},`);
      }
      try {
        const r = await api('POST', `/api/contests/${c.id}/parts/${p.id}/draw`, body, { contentType: 'application/json' });
        toast(t('console.q.drawn', { n: r.questions.length }));
        await questionsPanel(p, box);
      } catch (err) {
        if (err.code === 'quota_short') say(msg, 'err', t('console.q.short'));
        else showError(form, err);
      }
    });
    return form;
  }

  function chooser(p, banks, pq, box) {
    const wrap = h('div.chooser');
    const picked = new Set(pq.questions.map((x) => x.question_id).filter(Boolean));
    const bankSel = h('select#bank-select', ...banks.map((b) => h('option', { value: String(b.id) }, `${b.title} (${b.questions})`)));
    const secSel = h('select#bank-section', h('option', { value: '' }, t('console.q.all_sections')));
    const search = h('input#bank-search', { type: 'search', placeholder: t('console.q.search_ph') });
    const results = h('div.bank-results#bank-results');
    const count = h('span.picked-count');
    const save = h('button.btn#choose-save', { type: 'button' }, t('console.q.use_chosen'));
    const msg = h('div.form-msg', { hidden: true });
    const updateCount = () => { count.textContent = t('console.q.picked', { n: picked.size }); };
    let timer = null;
    async function load() {
      const b = bankSel.value;
      if (!b) return;
      const qs = new URLSearchParams();
      if (secSel.value) qs.set('section', secSel.value);
      if (search.value.trim()) qs.set('q', search.value.trim());
      const rows = await api('GET', `/api/banks/${b}/questions?${qs}`);
      clear(results);
      for (const q of rows.slice(0, 200)) {
        const cb = h('input', { type: 'checkbox', checked: picked.has(q.id) });
        cb.addEventListener('change', () => { if (cb.checked) picked.add(q.id); else picked.delete(q.id); updateCount(); });
        results.append(h('label.bank-q', cb, questionRow(q, { compact: true })));
      }
      if (!rows.length) results.append(h('p.muted', t('console.q.no_match')));
    }
    async function loadSections() {
      const d = await api('GET', `/api/banks/${bankSel.value}`).catch(() => null);
      clear(secSel, h('option', { value: '' }, t('console.q.all_sections')), ...(d?.sections || []).map((s) => h('option', { value: s.id }, s.title)));
    }
    bankSel.addEventListener('change', async () => { await loadSections(); load(); });
    secSel.addEventListener('change', load);
    search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(load, 250); });
    save.addEventListener('click', async () => {
      try {
        await api('PUT', `/api/contests/${c.id}/parts/${p.id}/questions`, { question_ids: [...picked] });
        toast(t('console.q.chosen', { n: picked.size }));
        await questionsPanel(p, box);
      } catch (err) { say(msg, 'err', err.code === 'question_reused' ? t('console.q.reused') : errorText(err)); }
    });
    wrap.append(h('div.chooser-bar', field(t('console.q.bank'), bankSel), field(t('console.q.section'), secSel), field(t('console.q.search'), search)),
      results, h('div.actions', count, save), msg);
    updateCount();
    if (banks.length) loadSections().then(load);
    return wrap;
  }

  function importForm(banks) {
    const form = h('form#import-form', { novalidate: true });
    const file = h('input#import-file', { type: 'file', accept: '.xlsx,.csv,.txt', data: { field: 'file' } });
    const bank = h('input#import-bank', { value: 'cau-hoi-cua-ban', data: { field: 'bank' }, list: 'bank-slugs' });
    const title = h('input#import-title', { placeholder: t('console.q.import_title_ph'), data: { field: 'title' } });
    const section = h('input#import-section', { placeholder: 'chung', data: { field: 'section' } });
    const dl = h('datalist#bank-slugs', ...banks.map((b) => h('option', { value: b.slug }, b.title)));
    const out = h('div.import-out#import-errors');
    const msg = h('div.form-msg#import-msg', { hidden: true, role: 'status' });
    form.append(h('p.hint', t('console.q.import_hint'), ' ', h('a', { href: '#', onclick: (e) => { e.preventDefault(); downloadTemplate(); } }, t('console.q.template'))),
      h('div.grid4', field(t('console.q.file'), file), field(t('console.q.bank_slug'), bank), field(t('console.q.bank_title'), title), field(t('console.q.aiken_section'), section)),
      dl, h('div.actions', h('button.btn#import-submit', { type: 'submit' }, t('console.q.import'))), msg, out);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      clear(out);
      const f = file.files[0];
      if (!f) { showError(form, { code: 'invalid_input', field: 'file' }); return; }
      const name = f.name.toLowerCase();
      const format = name.endsWith('.xlsx') ? 'xlsx' : name.endsWith('.csv') ? 'csv' : 'aiken';
      const qs = new URLSearchParams({ bank: bank.value.trim(), format });
      if (title.value.trim()) qs.set('title', title.value.trim());
      if (section.value.trim()) qs.set('section', section.value.trim());
      // Fetched by hand: the refusal carries every problem (error.errors), not one field.
      let r = null;
      let body = null;
      try {
        r = await fetch(`/api/banks/import?${qs}`, { method: 'POST', headers: { Authorization: `Bearer ${await token()}`, 'Content-Type': 'application/octet-stream' }, body: f });
        body = await r.json().catch(() => null);
      } catch (_) { say(msg, 'err', t('err.network')); return; }
      const e2 = body?.error;
      if (r.ok) say(msg, 'ok', t('console.q.imported', { n: body.imported, bank: body.bank }));
      else if (e2?.code === 'import_invalid') {
        say(msg, 'err', t('console.q.import_refused', { n: (e2.errors || []).length }));
        out.append(importErrors(e2.errors || []));
      } else if (e2?.field) showError(form, { code: e2.code, field: e2.field, message: e2.message });
      else say(msg, 'err', errorText({ code: e2?.code || (r.status === 413 ? 'payload_too_large' : 'generic') }));
    });
    return form;
  }

  await refresh();
}

/** The rubric of a judged part: criteria rows (name, maximum), the aggregate and the gap threshold. */
function rubricEditor(r, partMax) {
  const rubric = r && r.criteria && r.criteria.length ? r : { criteria: [{ name: '', max_points: 10 }], aggregate: 'mean', gap_threshold: 0 };
  const rows = h('div.rubric-rows#rubric-rows');
  const total = h('span.rubric-total#rubric-total');
  const sum = () => {
    const x = [...rows.querySelectorAll('.r-max')].reduce((a, el) => a + (Number(el.value.replace(',', '.')) || 0), 0);
    const m = partMax();
    // The part score is on the rubric's scale: say so when it differs from the part's maximum.
    total.textContent = t('console.rubric.total', { n: fmtNum(x) }) + (m && Math.abs(m - x) > 1e-9 ? ` ${t('console.rubric.total_differs', { max: fmtNum(m) })}` : '');
    total.classList.toggle('warn', !!m && Math.abs(m - x) > 1e-9);
  };
  const addRow = (c = { name: '', max_points: 10 }) => {
    const i = rows.children.length;
    const name = h('input.r-name', { value: c.name, placeholder: t('console.rubric.name_ph'), data: { field: `rubric.criteria[${i}].name` } });
    const max = h('input.r-max', { type: 'text', inputMode: 'decimal', value: fmtNum(c.max_points), data: { field: `rubric.criteria[${i}].max_points` } });
    max.addEventListener('input', sum);
    const del = h('button.btn.small.ghost', { type: 'button', title: t('console.remove'), onclick: () => { if (rows.children.length > 1) { row.remove(); renumber(); sum(); } } }, '×');
    const row = h('div.rubric-row', h('span.r-no', String(i + 1)), field(t('console.rubric.name'), name), field(t('console.rubric.max'), max), del);
    rows.append(row);
  };
  const renumber = () => [...rows.children].forEach((row, i) => {
    row.querySelector('.r-no').textContent = String(i + 1);
    row.querySelector('.r-name').dataset.field = `rubric.criteria[${i}].name`;
    row.querySelector('.r-max').dataset.field = `rubric.criteria[${i}].max_points`;
  });
  for (const c of rubric.criteria) addRow(c);
  const aggregate = h('select#rubric-aggregate', { data: { field: 'rubric.aggregate' } },
    ...['mean', 'trimmed_mean', 'median'].map((k) => h('option', { value: k, selected: rubric.aggregate === k }, t('console.rubric.agg_' + k))));
  const gap = h('input#rubric-gap', { type: 'text', inputMode: 'decimal', value: fmtNum(rubric.gap_threshold), data: { field: 'rubric.gap_threshold' } });
  const el = h('fieldset.rubric#rubric', h('legend', t('console.rubric.title')), h('p.hint', t('console.rubric.hint')), rows,
    h('div.actions', h('button.btn.small.ghost#rubric-add', { type: 'button', onclick: () => { addRow(); sum(); } }, t('console.rubric.add')), total),
    h('div.grid2', field(t('console.rubric.aggregate'), aggregate, t('console.rubric.aggregate_hint')), field(t('console.rubric.gap'), gap, t('console.rubric.gap_hint'))));
  sum();
  const num = (v) => { const x = v.trim().replace(',', '.'); return x === '' ? Number.NaN : Number(x); };
  return {
    el,
    refresh: sum,
    value: () => ({
      criteria: [...rows.children].map((row) => ({ name: row.querySelector('.r-name').value, max_points: num(row.querySelector('.r-max').value) })),
      aggregate: aggregate.value,
      gap_threshold: gap.value.trim() === '' ? 0 : num(gap.value),
    }),
  };
}

async function downloadTemplate() {
  const r = await api('GET', '/api/banks/template.xlsx', null, { raw: true });
  const blob = await r.blob();
  const a = h('a', { href: URL.createObjectURL(blob), download: 'mau-cau-hoi.xlsx' });
  document.body.append(a); a.click(); a.remove();
}

/** One import problem in the page's language, by its code; the server's English only
 *  for a code these strings do not know. */
export function importText(e) {
  const key = 'console.import.' + (e.code || '');
  const s = t(key, e.params || {});
  return e.code && s !== key ? s : e.message;
}

/** The import's problems as a table: sheet, row, column, message. */
function importErrors(errors) {
  const table = h('table.board.import-errors');
  table.append(h('thead', h('tr', h('th', t('console.q.sheet')), h('th.num', t('console.q.row')), h('th', t('console.q.column')), h('th', t('console.q.problem')))));
  const tb = h('tbody');
  for (const e of errors) {
    const sheet = e.sheet === 'file' ? t('console.import.sheet_file') : e.sheet || '';
    tb.append(h('tr', { data: { code: e.code || '' } }, h('td', sheet), h('td.num', e.row ? String(e.row) : ''), h('td', e.column || ''), h('td', importText(e))));
  }
  table.append(tb);
  return table;
}

/** One question: prompt, options with the right ones marked, source quote. */
export function questionRow(q, { compact = false, status, points, time } = {}) {
  const right = new Set(correctIndexes(q.solution));
  const kind = q.type || q.kind || q.solution?.kind;
  const el = h(`div.qrow${compact ? '.compact' : ''}`,
    h('div.q-meta', h('span.tag', q.qid || ''), h('span.tag.t-type', typeLabel(kind)), q.difficulty ? h('span.tag', diffLabel(q.difficulty)) : null,
      points !== undefined ? h('span.tag', t('common.points', { n: fmtNum(points) })) : null, time ? h('span.tag', `${time} s`) : null,
      status && status !== 'pending' ? h(`span.tag.qs-${status}`, t('console.qstatus.' + status)) : null),
    h('div.q-prompt', q.prompt),
    q.options?.length ? h('ol.q-opts', ...q.options.map((o, i) => h(`li${right.has(i) ? '.right' : ''}`, h('b', LETTERS[i]), ' ', o))) : null,
    !right.size ? h('div.q-answer', t('console.q.answer'), ': ', h('strong', answerText(q))) : null,
    q.source?.quote ? h('details.q-source', h('summary', t('console.q.source')), h('blockquote', q.source.quote), h('div.hint', q.source.document || '')) : null);
  return el;
}
