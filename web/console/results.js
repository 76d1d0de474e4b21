// Kết quả: publish the results (or refresh them), take them down with a reason, confirm a
// shared prize when teams are tied at a prize boundary, download the score sheet (XLSX,
// fetched with the token and saved through a blob link) and its CSV tables, open the
// minutes and the public page.
import { api } from '/assets/shared/api.js';
import { t, errorText } from '/assets/shared/i18n.js';
import { h, clear, say, copy, fmtNum, icon, saveResponse as save } from './dom.js';
import { exportCard } from './archive.js';
import { fmtWhen } from './health.js';

function prizeText(p) {
  if (!p) return '';
  return p.name + (p.shared ? ` (${t('console.results.shared')})` : '') + (p.pending ? ' *' : '');
}

export async function render(ctx, root) {
  const c = ctx.contest;
  const publicUrl = `${location.origin}/results/${c.id}`;
  root.append(h('div.page-head', h('h1', t('console.nav.results')), h('p.muted', t('console.results.lead'))));
  if (c.imported_from) {
    const f = c.imported_from;
    root.append(h('p.msg.ok#archive-imported-note', t('console.archive.imported_note',
      { id: f.contest_id, exported: fmtWhen(f.exported_at), imported: fmtWhen(f.imported_at), who: f.imported_by.replace(/^organiser:/, '') })));
  }

  const cols = h('div.cols.results-cols');
  const left = h('div.col');
  const right = h('div.col');
  cols.append(left, right);
  root.append(cols);

  // ---- publication
  const status = h('div.pub-status#results-status');
  const bPublish = h('button.btn.gold#results-publish', { type: 'button' }, t('console.results.publish'));
  const pubMsg = h('div.form-msg#results-msg', { hidden: true, role: 'alert' });
  const tiesBox = h('div.ties#results-ties', { hidden: true });
  const bUnpublish = h('button.btn.ghost.danger#results-unpublish', { type: 'button', hidden: true }, t('console.results.unpublish'));
  const reason = h('input#unpublish-reason', { placeholder: t('console.results.unpublish_reason_ph'), maxLength: 500, data: { field: 'reason' } });
  const unpubForm = h('form.void-form#unpublish-form', { hidden: true, novalidate: true },
    h('label', { htmlFor: 'unpublish-reason' }, t('console.results.unpublish_reason')),
    h('div.row', reason, h('button.btn.small#unpublish-confirm', { type: 'submit' }, t('console.results.unpublish_confirm')),
      h('button.btn.small.ghost', { type: 'button', onclick: () => { unpubForm.hidden = true; } }, t('common.cancel'))));
  left.append(h('section.card.pub-card#results-publication', h('h2', t('console.results.publication')), status,
    h('div.actions', bPublish, bUnpublish), pubMsg, tiesBox, unpubForm));

  // ---- public page
  const link = h('input.link#results-public-link', { readOnly: true, value: publicUrl, 'aria-label': t('console.results.public') });
  link.addEventListener('focus', () => link.select());
  const openPublic = h('a.btn.secondary#results-public-open', { href: `/results/${c.id}`, target: '_blank', rel: 'noopener' }, t('console.results.open_public'));
  const publicNote = h('p.hint#results-public-note');
  left.append(h('section.card', h('h2', t('console.results.public')), h('p.hint', t('console.results.public_lead')),
    h('div.row.link-row', link, h('button.btn.secondary.small#results-public-copy', { type: 'button', onclick: () => copy(publicUrl) }, t('console.copy'))),
    h('div.actions', openPublic), publicNote));

  // ---- documents
  const dlMsg = h('div.form-msg#results-download-msg', { hidden: true, role: 'status' });
  const bXlsx = h('button.btn#results-xlsx', { type: 'button' }, icon('download'), t('console.results.xlsx'));
  const csvRow = h('div.csv-row#results-csv');
  const minutes = h('a.btn.secondary#results-minutes', { href: `/results/${c.id}/minutes`, target: '_blank', rel: 'noopener' }, t('console.results.minutes'));
  left.append(h('section.card#results-docs', h('h2', t('console.results.documents')),
    h('div.doc-row', bXlsx, minutes), h('div.hint', t('console.results.xlsx_hint')), csvRow, dlMsg));
  left.append(exportCard(c));

  async function download(path, name, btn, okKey) {
    btn.disabled = true;
    say(dlMsg, 'ok', '');
    try {
      const res = await api('GET', path, null, { raw: true });
      const size = await save(res, name);
      say(dlMsg, 'ok', t(okKey, { size: fmtNum(Math.max(1, Math.round(size / 1024))) }));
      dlMsg.dataset.bytes = String(size);
    } catch (e) {
      say(dlMsg, 'err', errorText(e));
    } finally { btn.disabled = false; }
  }
  bXlsx.addEventListener('click', () => download(`/api/contests/${c.id}/results/scores.xlsx`, `bang-diem-${c.id}.xlsx`, bXlsx, 'console.results.xlsx_done'));

  // ---- the current standing
  const standing = h('section.card#results-standing');
  right.append(standing);

  let data = null;
  async function load() {
    try { data = await api('GET', `/api/contests/${c.id}/results`); } catch (e) { say(pubMsg, 'err', errorText(e)); return; }
    draw();
  }

  function draw() {
    const p = data.publication;
    clear(status, p
      ? [h('span.status.st-published', t('console.results.published')), ' ', h('span', t('console.results.published_at', { at: fmtWhen(p.published_at), who: p.actor.replace(/^organiser:/, '') }))]
      : [h('span.status.st-unpublished', t('console.results.unpublished')), ' ', h('span.muted', t('console.results.unpublished_hint'))]);
    status.dataset.published = p ? '1' : '0';
    bPublish.textContent = p ? t('console.results.republish') : t('console.results.publish');
    bUnpublish.hidden = !p;
    if (!p) unpubForm.hidden = true;
    publicNote.textContent = p ? t('console.results.public_on') : t('console.results.public_off');
    openPublic.classList.toggle('disabled', !p);

    clear(csvRow, h('span.csv-label', t('console.results.csv')), ...(data.tables || []).map((tb) => {
      const b = h('button.btn.small.ghost', { type: 'button', data: { table: tb.key }, title: tb.title }, tb.title.split(' — ')[0]);
      b.addEventListener('click', () => download(`/api/contests/${c.id}/results/${tb.key}.csv`, `${tb.key}.csv`, b, 'console.results.csv_done'));
      return b;
    }));

    const cur = data.current;
    clear(standing, h('div.card-head', h('h2', t('console.results.standing')), h('span.hint', t('console.results.standing_hint'))));
    if (!cur.rows.length) { standing.append(h('p.muted', t('console.teams.none'))); return; }
    const table = h('table.board.results-board#results-table');
    table.append(h('thead', h('tr', h('th.num', '#'), h('th', t('common.team')),
      ...cur.parts.map((x) => h('th.num', { title: x.title }, x.title + (x.status === 'finished' ? '' : ' *'))),
      h('th.num', t('common.total')), h('th', t('console.results.prize')))));
    const tb = h('tbody');
    for (const r of cur.rows) {
      tb.append(h(`tr${r.prize ? `.prize-${r.prize.level}` : ''}`, { data: { team: String(r.team_id) } },
        h('td.num.rank', String(r.rank)), h('td', h('div.rt-name', r.team_name), r.unit ? h('div.rt-unit', r.unit) : null),
        ...cur.parts.map((x, i) => h('td.num', fmtNum(r.parts[i]?.score ?? 0))),
        h('td.num.total', fmtNum(r.total)),
        h('td', r.prize ? h(`span.prize-pill.pl-${Math.min(r.prize.level, 3)}`, prizeText(r.prize)) : '')));
    }
    table.append(tb);
    standing.append(table);
    if (cur.parts.some((x) => x.status !== 'finished')) standing.append(h('p.hint', t('console.results.unfinished_note')));
  }

  function teamName(id) {
    return data?.current.rows.find((r) => r.team_id === id)?.team_name ?? `#${id}`;
  }

  function showTies(ties) {
    clear(tiesBox, h('div.ties-head', '⚠ ', t('console.results.tie_title')));
    const list = h('ul.ties-list');
    for (const x of ties) {
      list.append(h('li', { data: { rank: String(x.rank) } },
        h('strong', t('console.results.tie_line', { prize: x.prize, rank: x.rank, places: x.places })), ' ',
        x.team_ids.map((id, i) => [i ? ', ' : '', h('span.tie-team', teamName(id))])));
    }
    const confirm = h('button.btn.gold.small#results-confirm-ties', { type: 'button' }, t('console.results.confirm_ties'));
    confirm.addEventListener('click', () => publish(true, confirm));
    tiesBox.append(list, h('p.hint', t('console.results.tie_hint')), h('div.actions', confirm));
    tiesBox.hidden = false;
  }

  async function publish(confirmTies, btn) {
    btn.disabled = true;
    say(pubMsg, 'ok', '');
    try {
      await api('POST', `/api/contests/${c.id}/results/publish`, { confirm_ties: confirmTies });
      tiesBox.hidden = true;
      say(pubMsg, 'ok', t('console.results.published_ok'));
      await load();
    } catch (e) {
      tiesBox.hidden = true;
      await load();
      if (e.code === 'prize_tie' && e.state?.ties?.length) {
        say(pubMsg, 'err', t('console.results.err.prize_tie'));
        showTies(e.state.ties);
      } else {
        const key = `console.results.err.${e.code}`;
        const s = t(key);
        say(pubMsg, 'err', s !== key ? s : errorText(e));
      }
    } finally { btn.disabled = false; }
  }
  bPublish.addEventListener('click', () => publish(false, bPublish));

  bUnpublish.addEventListener('click', () => { unpubForm.hidden = false; reason.focus(); });
  unpubForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    reason.classList.remove('invalid');
    unpubForm.querySelector('.field-error')?.remove();
    const why = reason.value.trim();
    const refuse = (text) => {
      reason.classList.add('invalid');
      unpubForm.append(h('div.field-error', { role: 'alert' }, text));
    };
    if (!why) { refuse(t('console.f.reason')); return; }
    try {
      await api('POST', `/api/contests/${c.id}/results/unpublish`, { reason: why });
      reason.value = '';
      unpubForm.hidden = true;
      say(pubMsg, 'ok', t('console.results.unpublished_ok'));
      await load();
    } catch (err) {
      const key = `console.results.err.${err.code}`;
      const s = t(key);
      refuse(err.field === 'reason' ? t('console.f.reason') : s !== key ? s : errorText(err));
    }
  });

  await load();
}
