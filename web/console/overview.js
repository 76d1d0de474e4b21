// A contest's overview: its settings (edit, close, delete), the projector link and the
// teams' join codes with their QR codes; right after the one-click demo, a banner saying
// what to do next.
import { api } from '/assets/shared/api.js';
import { t, errorText } from '/assets/shared/i18n.js';
import { h, copy, say, toast, confirmButton, icon } from './dom.js';
import { contestForm } from './home.js';
import { readHealth, fmtWhen } from './health.js';
import { prizeCard } from './awards.js';

/** The projector link: a view-only token in the fragment, to open on the hall's laptop. */
export function projectorBlock(ctx, { compact = false } = {}) {
  const input = h('input.link#projector-link', { readOnly: true, value: '', 'aria-label': t('console.projector.link') });
  const open = h('button.btn.gold#projector-open', { type: 'button' }, icon('screen'), t('console.projector.open'));
  const copyBtn = h('button.btn.secondary.small#projector-copy', { type: 'button' }, t('console.copy'));
  const msg = h('div.form-msg', { hidden: true });
  let url = '';
  const load = async () => {
    try {
      const r = await api('POST', `/api/contests/${ctx.contest.id}/projector`);
      url = location.origin + r.path;
      input.value = url;
    } catch (e) { say(msg, 'err', errorText(e)); }
  };
  open.addEventListener('click', async () => {
    if (!url) await load();
    if (url) window.open(url, 'hoithi-projector', 'noopener');
  });
  copyBtn.addEventListener('click', () => { if (url) copy(url); });
  input.addEventListener('focus', () => input.select());
  load();
  return h(`div.projector${compact ? '.compact' : ''}`,
    compact ? null : h('h3', t('console.projector.title')),
    compact ? null : h('p.hint', t('console.projector.lead')),
    h('div.row', open, input, copyBtn), msg);
}

/** A team's QR code as an <img> (the SVG needs the organiser's token, so it is fetched). */
export function qrImage(contestId, teamId) {
  const img = h('img.qr', { alt: '', width: 96, height: 96 });
  api('GET', `/api/contests/${contestId}/teams/${teamId}/qr.svg`, null, { raw: true })
    .then((r) => r.text())
    .then((svg) => { img.src = 'data:image/svg+xml;base64,' + btoa(unescape(encodeURIComponent(svg))); })
    .catch(() => {});
  return img;
}

/** Join codes of the teams, big enough to read out, with QR codes. */
export function codesGrid(ctx, teams) {
  const grid = h('div.codes#join-codes');
  for (const tm of teams) {
    grid.append(h('div.code-card', { data: { team: String(tm.id) } },
      qrImage(ctx.contest.id, tm.id),
      h('div.cc-text', h('div.cc-name', tm.name), h('div.cc-unit', tm.unit || ''),
        h('div.join-code', { data: { code: tm.code || '' } }, tm.code || '—'))));
  }
  return grid;
}

export async function render(ctx, root) {
  const c = ctx.contest;
  const [teams, parts] = await Promise.all([
    api('GET', `/api/contests/${c.id}/teams`), api('GET', `/api/contests/${c.id}/parts`),
  ]);
  let demo = null;
  try { demo = JSON.parse(sessionStorage.getItem(`hoithi.demo.${c.id}`) || 'null'); } catch (_) { /* none */ }

  root.append(h('div.page-head',
    h('h1', c.name),
    h('p.muted', [c.unit, c.venue, c.held_on].filter(Boolean).join(' · ') || t('console.overview.no_details'))));

  if (demo) {
    const steps = h('ol.steps',
      h('li', t('console.demo.step1')), h('li', t('console.demo.step2')), h('li', t('console.demo.step3')));
    root.append(h('section.card.demo-ready#demo-ready',
      h('div.dr-head', h('h2', t('console.demo.ready')),
        h('button.btn.small.ghost', { type: 'button', onclick: () => { sessionStorage.removeItem(`hoithi.demo.${c.id}`); root.querySelector('#demo-ready').remove(); } }, t('common.close'))),
      steps));
  }

  const stats = h('div.stats',
    stat(t('console.overview.status'), h(`span.status.st-${c.status}`, t('console.status.' + c.status))),
    stat(t('console.overview.teams'), String(teams.length)),
    stat(t('console.overview.parts'), String(parts.length)),
    stat(t('console.overview.questions'), '…', 'q-count'),
    stat(t('console.overview.backup'), '…', 'overview-backup'));
  root.append(stats);
  readHealth().then((x) => {
    const el = stats.querySelector('#overview-backup');
    if (!el) return;
    el.textContent = !x ? '—' : x.last_backup_at ? fmtWhen(x.last_backup_at) : t('console.health.no_backup');
    el.classList.toggle('warn', !!x && !x.last_backup_at);
  });
  Promise.all(parts.map((p) => api('GET', `/api/contests/${c.id}/parts/${p.id}/questions`).catch(() => ({ questions: [] }))))
    .then((qs) => { const el = stats.querySelector('#q-count'); if (el) el.textContent = String(qs.reduce((n, q) => n + q.questions.length, 0)); });

  const next = h('div.next-steps');
  const nextStep = (done, label, href) => next.append(h(`a.next${done ? '.done' : ''}`, { href }, h('span.tick', done ? '✓' : '•'), label));
  nextStep(teams.length > 0, t('console.overview.step_teams'), `#/${c.id}/teams`);
  nextStep(parts.length > 0, t('console.overview.step_parts'), `#/${c.id}/parts`);
  nextStep(false, t('console.overview.step_live'), `#/${c.id}/live`);

  const main = h('div.cols');
  const left = h('div.col');
  const right = h('div.col');
  main.append(left, right);
  root.append(main);

  left.append(h('section.card', projectorBlock(ctx)));
  const codesCard = h('section.card', h('div.card-head', h('h2', t('console.overview.codes')),
    h('a.btn.small.secondary', { href: `#/${c.id}/teams` }, t('console.overview.manage_teams'))));
  codesCard.append(teams.length ? codesGrid(ctx, teams) : h('p.muted', t('console.teams.none')));
  left.append(codesCard);
  left.append(h('section.card', h('h2', t('console.overview.next')), next));

  if (c.status !== 'closed') {
    const form = contestForm(c, async (body, msg) => {
      const changed = {};
      for (const [k, v] of Object.entries(body)) if ((c[k] ?? '') !== v) changed[k] = v;
      await api('PATCH', `/api/contests/${c.id}`, changed);
      await ctx.refreshContest();
      say(msg, 'ok', t('console.saved'));
      root.querySelector('.page-head h1').textContent = ctx.contest.name;
    }, t('common.save'));
    right.append(h('section.card', h('h2', t('console.overview.settings')), form));
    right.append(prizeCard(ctx));
  }
  const danger = h('section.card.danger-zone', h('h2', t('console.overview.danger')));
  const dmsg = h('div.form-msg', { hidden: true });
  if (c.status !== 'closed') {
    danger.append(h('div.danger-row', h('div', h('strong', t('console.overview.close')), h('p.hint', t('console.overview.close_hint'))),
      confirmButton('secondary#contest-close', t('console.overview.close'), t('console.confirm_again'), async () => {
        try { await api('POST', `/api/contests/${c.id}/close`); await ctx.refreshContest(); toast(t('console.overview.closed')); ctx.go(`#/${c.id}/overview`); location.reload(); } catch (e) { say(dmsg, 'err', errorText(e)); }
      })));
  }
  if (c.status === 'setup') {
    danger.append(h('div.danger-row', h('div', h('strong', t('console.overview.delete')), h('p.hint', t('console.overview.delete_hint'))),
      confirmButton('secondary#contest-delete', t('console.overview.delete'), t('console.confirm_again'), async () => {
        try { await api('DELETE', `/api/contests/${c.id}`); sessionStorage.removeItem(`hoithi.demo.${c.id}`); await ctx.reloadContests(); ctx.go('#/'); } catch (e) { say(dmsg, 'err', errorText(e)); }
      })));
  }
  danger.append(dmsg);
  right.append(danger);
}

function stat(label, value, id) {
  return h('div.stat', h('div.stat-label', label), h('div.stat-value', { id }, value));
}
