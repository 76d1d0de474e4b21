// Teams: one by one, pasted as lines, or from an XLSX file; the list with join codes,
// members and captain; renew a code, remove a team; print the team cards with QR codes.
import { api } from '/assets/shared/api.js';
import { t, errorText } from '/assets/shared/i18n.js';
import { h, clear, field, showError, clearErrors, say, toast, copy, confirmButton } from './dom.js';
import { qrImage } from './overview.js';

/** `line 3`, `row 4`, `lines[2]` (a field or label of the server) → "dòng 3" / "hàng 4". */
function placeOf(label) {
  const m = /^(line|row)\s+(\d+)|^lines\[(\d+)\]/.exec(label || '');
  if (!m) return null;
  return m[3] !== undefined ? { row: false, n: Number(m[3]) + 1 } : { row: m[1] === 'row', n: Number(m[2]) };
}

/** A refusal of a pasted list or an XLSX file, in Vietnamese, naming the line or row. */
export function listError(e) {
  const f = e.field || '';
  const p = e.params || {};
  const key = (r) => 'console.import.team.' + r;
  const known = (r) => r && t(key(r)) !== key(r);
  if (e.code === 'already_exists' && e.reason === 'duplicate_team') {
    const at = placeOf(p.at);
    const first = placeOf(p.first);
    const what = first ? t(key('duplicate_team'), { name: p.name, first: t(key(first.row ? 'row' : 'line'), { n: first.n }) })
      : t(key('duplicate_existing'), { name: p.name });
    return at ? t(at.row ? 'console.teams.row_error' : 'console.teams.line_error', { n: at.n, what }) : t('console.teams.dup', { name: p.name });
  }
  if (e.code === 'already_exists') {
    const name = /"([^"]+)"/.exec(e.message || '');
    return name ? t('console.teams.dup', { name: name[1] }) : errorText(e);
  }
  const at = placeOf(f);
  if (known(e.reason)) {
    const whatKey = f.endsWith('.name') ? 'what_name' : f.endsWith('.unit') ? 'what_unit' : 'what_member';
    const what = t(key(e.reason), { ...p, what: t(key(whatKey)) });
    if (!at) return what;
    return t(at.row ? 'console.teams.row_error' : 'console.teams.line_error', { n: at.n, what });
  }
  if (at) {
    const what = f.endsWith('.name') ? t('console.teams.bad_name') : f.includes('members') || f.includes('captain') ? t('console.teams.bad_members')
      : f.endsWith('.unit') ? t('console.teams.bad_unit') : t('console.teams.bad_line');
    return t(at.row ? 'console.teams.row_error' : 'console.teams.line_error', { n: at.n, what });
  }
  return errorText(e);
}

export async function render(ctx, root) {
  const c = ctx.contest;
  const locked = c.status === 'closed';
  root.append(h('div.page-head', h('h1', t('console.nav.teams')), h('p.muted', t('console.teams.lead'))));
  const listCard = h('section.card.wide#teams-card');
  const cols = h('div.cols.teams-cols');
  const left = h('div.col.narrow');
  cols.append(left, listCard);
  root.append(cols);

  async function refresh() {
    const [teams, contestants] = await Promise.all([
      api('GET', `/api/contests/${c.id}/teams`), api('GET', `/api/contests/${c.id}/contestants`),
    ]);
    renderList(teams, contestants);
  }

  // ---- one team
  const one = h('form#team-form', { novalidate: true });
  const name = h('input#team-name', { data: { field: 'name' }, maxLength: 120 });
  const unit = h('input#team-unit', { data: { field: 'unit' } });
  const members = h('input#team-members', { data: { field: 'members' }, placeholder: t('console.teams.members_ph') });
  const msg1 = h('div.form-msg', { hidden: true });
  one.append(field(t('console.teams.name'), name), field(t('console.teams.unit'), unit),
    field(t('console.teams.members'), members, t('console.teams.members_hint')),
    h('div.actions', h('button.btn#team-add', { type: 'submit', disabled: locked }, t('console.teams.add'))), msg1);
  one.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(one);
    const list = members.value.split(',').map((x) => x.trim()).filter(Boolean);
    const cap = list.find((x) => x.endsWith('*'));
    const body = { name: name.value, unit: unit.value, members: list.map((x) => x.replace(/\*$/, '').trim()) };
    if (cap) body.captain = cap.replace(/\*$/, '').trim();
    try {
      await api('POST', `/api/contests/${c.id}/teams`, body);
      name.value = ''; unit.value = ''; members.value = '';
      say(msg1, 'ok', t('console.teams.added'));
      name.focus();
      refresh();
    } catch (err) {
      if (err.code === 'already_exists') showError(one, { ...err, field: 'name', code: 'already_exists' });
      else showError(one, err);
    }
  });

  // ---- pasted lines
  const paste = h('form#team-paste-form', { novalidate: true });
  const ta = h('textarea#team-paste', { rows: 6, data: { field: 'lines' }, placeholder: t('console.teams.paste_ph'), spellcheck: false });
  const msg2 = h('div.form-msg#team-paste-msg', { hidden: true, role: 'status' });
  paste.append(field(t('console.teams.paste'), ta, t('console.teams.paste_hint')),
    h('div.actions', h('button.btn#team-paste-submit', { type: 'submit', disabled: locked }, t('console.teams.paste_submit'))), msg2);
  paste.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(paste);
    if (!ta.value.trim()) { say(msg2, 'err', t('console.teams.paste_empty')); return; }
    try {
      const r = await api('POST', `/api/contests/${c.id}/teams/bulk`, ta.value);
      ta.value = '';
      say(msg2, 'ok', t('console.teams.pasted', { n: Array.isArray(r) ? r.length : (r?.teams?.length ?? '') }));
      refresh();
    } catch (err) {
      say(msg2, 'err', listError(err));
      ta.classList.add('invalid');
    }
  });

  // ---- XLSX
  const file = h('input#team-xlsx', { type: 'file', accept: '.xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
  const msg3 = h('div.form-msg#team-xlsx-msg', { hidden: true });
  file.addEventListener('change', async () => {
    const f = file.files[0];
    if (!f) return;
    try {
      const r = await api('POST', `/api/contests/${c.id}/teams/import`, f, { contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
      say(msg3, 'ok', t('console.teams.pasted', { n: Array.isArray(r) ? r.length : '' }));
      refresh();
    } catch (err) { say(msg3, 'err', listError(err)); }
    file.value = '';
  });

  const tabs = tabbed([
    [t('console.teams.tab_one'), one],
    [t('console.teams.tab_paste'), paste],
    [t('console.teams.tab_xlsx'), h('div', field(t('console.teams.xlsx'), file, t('console.teams.xlsx_hint')), msg3)],
  ], 1);
  left.append(h('section.card', h('h2', t('console.teams.add_title')), tabs));

  function renderList(teams, contestants) {
    const byTeam = new Map();
    for (const x of contestants) { if (!byTeam.has(x.team_id)) byTeam.set(x.team_id, []); byTeam.get(x.team_id).push(x); }
    const printBtn = h('button.btn.small.secondary#print-cards', { type: 'button', disabled: !teams.length }, t('console.teams.print'));
    printBtn.addEventListener('click', () => printCards(ctx, printBtn));
    clear(listCard, h('div.card-head', h('h2', t('console.teams.list', { n: teams.length })), printBtn));
    if (!teams.length) { listCard.append(h('p.muted.empty', t('console.teams.none'))); return; }
    const table = h('table.board.teams#teams-table');
    table.append(h('thead', h('tr', h('th', '#'), h('th', t('console.teams.name')), h('th', t('console.teams.code')),
      h('th', t('console.teams.members')), h('th', t('console.teams.joined')), h('th.act', ''))));
    const tb = h('tbody');
    teams.forEach((tm, i) => {
      const joined = (byTeam.get(tm.id) || []).filter((x) => !x.revoked);
      const roster = tm.members.length
        ? tm.members.map((m, k) => [k ? ', ' : '', m.captain ? h('strong.captain', { title: t('console.teams.captain') }, `${m.name} ★`) : m.name])
        : h('span.muted', '—');
      const renew = confirmButton('small.ghost', t('console.teams.renew'), t('console.confirm_again'), async () => {
        try { await api('POST', `/api/contests/${c.id}/teams/${tm.id}/code`); toast(t('console.teams.renewed')); refresh(); } catch (e) { toast(errorText(e), 'err'); }
      }, { disabled: locked });
      const del = confirmButton('small.ghost.danger', t('console.teams.remove'), t('console.confirm_again'), async () => {
        try { await api('DELETE', `/api/contests/${c.id}/teams/${tm.id}`); refresh(); } catch (e) { toast(errorText(e), 'err'); }
      }, { disabled: c.status !== 'setup' });
      tb.append(h('tr', { data: { team: String(tm.id) } },
        h('td.num', String(i + 1)),
        h('td', h('div.team-name', tm.name), tm.unit ? h('div.sub', tm.unit) : null),
        h('td', h('button.code-chip', { type: 'button', title: t('console.copy'), onclick: () => copy(tm.code) }, tm.code || '')),
        h('td.roster', roster),
        h('td', joined.length ? joined.map((x, k) => [k ? ', ' : '', x.is_captain ? h('strong', `${x.name} ★`) : x.name]) : h('span.muted', t('console.teams.nobody'))),
        h('td.act', renew, del)));
    });
    table.append(tb);
    listCard.append(h('div.table-wrap', table));
  }
  await refresh();
}

/** Tabs: [[label, panel]…]; the `start`th is shown first. */
export function tabbed(items, start = 0) {
  const bar = h('div.tabs', { role: 'tablist' });
  const box = h('div.tab-panels');
  items.forEach(([label, panel], i) => {
    const b = h('button.tab', { type: 'button', role: 'tab', 'aria-selected': String(i === start), data: { tab: String(i) } }, label);
    panel.hidden = i !== start;
    b.addEventListener('click', () => {
      for (const x of bar.children) x.setAttribute('aria-selected', String(x === b));
      items.forEach(([, p], k) => { p.hidden = k !== i; });
    });
    bar.append(b);
    box.append(panel);
  });
  return h('div.tabbed', bar, box);
}

/**
 * The printable team cards: the server's page needs the organiser's token and carries
 * its own styles, so the console builds the same cards into a print sheet and prints it.
 */
export async function printCards(ctx, btn) {
  const c = ctx.contest;
  btn.disabled = true;
  try {
    const teams = await api('GET', `/api/contests/${c.id}/teams`);
    const sheet = document.getElementById('print-sheet');
    const cards = h('div.print-cards');
    for (const tm of teams) {
      cards.append(h('div.print-card', h('div.pc-contest', c.name), h('div.pc-name', tm.name), h('div.pc-unit', tm.unit || ''),
        qrImage(c.id, tm.id), h('div.pc-code', tm.code || ''), h('div.pc-how', t('console.cards.how', { host: location.host }))));
    }
    clear(sheet, h('div.print-bar', h('strong', t('console.cards.title', { n: teams.length })),
      h('button.btn.gold#print-go', { type: 'button', onclick: () => window.print() }, t('console.cards.print')),
      h('button.btn.ghost#print-close', { type: 'button', onclick: () => { sheet.hidden = true; document.body.classList.remove('printing'); } }, t('common.close'))), cards);
    sheet.hidden = false;
    document.body.classList.add('printing');
  } catch (e) { toast(errorText(e), 'err'); } finally { btn.disabled = false; }
}
