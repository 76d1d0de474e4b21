// The public results page (/results/{contest_id}): final ranking with prizes, each team's
// unit and members, the breakdown per part and a score progression chart (inline SVG).
// No sign-in; the data is the published snapshot (GET /api/public/contests/{id}/results),
// 404 until the organisers publish. All data goes in as text (textContent / attributes),
// never as markup.
import { apply, langToggle } from '../shared/i18n.js';
import { rt, h, s, fmt, dmy } from './strings.js';

const cid = Number(location.pathname.split('/').filter(Boolean)[1]);
const app = document.getElementById('app');
const COLORS = ['#b3121f', '#1565c0', '#c99a1e', '#2e7d32', '#6a1b9a', '#00838f', '#ef6c00', '#5d4037'];
const MEDAL = ['gold', 'silver', 'bronze'];
let data = null;

function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }

async function load() {
  clear(app);
  app.append(h('p', { class: 'muted res-loading', id: 'loading' }, rt('results.loading')));
  let res;
  try {
    res = await fetch(`/api/public/contests/${cid}/results`, { headers: { Accept: 'application/json' } });
  } catch (_) {
    return failed(rt('results.network'), true);
  }
  if (res.status === 404) return failed(rt('results.unpublished'), false, rt('results.unpublished_hint'));
  if (!res.ok) return failed(rt('results.network'), true);
  data = await res.json();
  render();
}

function failed(text, retry, hint) {
  clear(app);
  document.getElementById('contest-name').textContent = rt('results.kicker');
  const box = h('div', { class: 'card res-empty', 'data-testid': 'results-unavailable' },
    h('div', { class: 'res-empty-icon', 'aria-hidden': 'true' }, '🏆'),
    h('h2', {}, text),
    hint ? h('p', { class: 'muted' }, hint) : null);
  if (retry) {
    const b = h('button', { class: 'btn', type: 'button' }, rt('results.retry'));
    b.addEventListener('click', load);
    box.append(b);
  }
  app.append(box);
}

function prizeLabel(p) {
  if (!p) return '';
  return p.shared ? `${p.name} · ${rt('results.shared').toLowerCase()}` : p.name;
}

function render() {
  const d = data;
  document.getElementById('kicker').textContent = rt('results.kicker');
  document.getElementById('contest-name').textContent = d.contest.name;
  const meta = [d.contest.unit, dmy(d.contest.held_on), d.contest.venue].filter(Boolean);
  document.getElementById('contest-meta').textContent = meta.join(' · ');
  clear(app);
  app.append(podium(d), ranking(d), h('div', { class: 'res-side' }, chartCard(d), breakdown(d)));
  const foot = document.getElementById('foot');
  clear(foot);
  const at = new Date(d.computed_at).toLocaleString(document.documentElement.lang === 'en' ? 'en-GB' : 'vi-VN',
    { hour: '2-digit', minute: '2-digit', day: '2-digit', month: '2-digit', year: 'numeric' });
  const share = h('button', { class: 'btn secondary small', type: 'button', id: 'share', 'data-testid': 'share' }, rt('results.share'));
  share.addEventListener('click', async () => {
    try { await navigator.clipboard.writeText(location.href); share.textContent = rt('results.copied'); } catch (_) { /* no clipboard */ }
  });
  foot.append(h('span', {}, rt('results.published', { at })), share);
  drawChart();
}

function podium(d) {
  const top = d.rows.filter((r) => r.prize && r.prize.level <= 2).slice(0, 3);
  if (!top.length) return h('span', {});
  return h('section', { class: 'res-podium', id: 'podium', 'data-testid': 'podium' },
    top.map((r) => h('article', { class: `res-podium-card ${MEDAL[Math.min(r.prize.level, 2)]}`, 'data-team-id': r.team_id },
      h('div', { class: 'res-medal', 'aria-hidden': 'true' }, String(r.rank)),
      h('div', { class: 'res-prize-name' }, prizeLabel(r.prize)),
      h('div', { class: 'res-podium-team' }, r.team_name),
      r.unit ? h('div', { class: 'res-podium-unit' }, r.unit) : null,
      h('div', { class: 'res-podium-total' }, h('b', {}, fmt(r.total)), ' ', rt('results.points')))));
}

function ranking(d) {
  const list = h('ol', { class: 'res-list', id: 'ranking', 'data-testid': 'ranking' });
  for (const r of d.rows) {
    const level = r.prize ? Math.min(r.prize.level, 3) : null;
    list.append(h('li', { class: `res-row${level !== null ? ' prize-' + level : ''}`, 'data-team-id': r.team_id, 'data-testid': 'result-row' },
      h('div', { class: 'res-rank' }, String(r.rank)),
      h('div', { class: 'res-team' },
        h('div', { class: 'res-team-name' }, r.team_name),
        r.unit ? h('div', { class: 'res-team-unit' }, r.unit) : null,
        r.members.length ? h('div', { class: 'res-team-members' }, `${rt('results.members')}: ${r.members.join(', ')}`) : null,
        h('div', { class: 'res-chips' }, d.parts.map((p, i) => h('span', { class: 'res-chip' },
          h('span', { class: 'res-chip-k' }, rt('results.part_n', { n: i + 1 })), ' ', fmt(r.parts[i] ? r.parts[i].score : 0))))),
      h('div', { class: 'res-score' },
        h('div', { class: 'res-total', 'data-testid': 'total' }, fmt(r.total)),
        r.prize ? h('div', { class: 'res-prize', 'data-testid': 'prize' }, prizeLabel(r.prize)) : null)));
  }
  return h('section', { class: 'card res-card res-ranking' },
    h('h2', {}, rt('results.ranking'), h('span', { class: 'res-count' }, ' · ', rt('results.teams_n', { n: d.rows.length }))),
    list);
}

function chartCard(d) {
  const n = Math.min(d.rows.length, 8);
  return h('section', { class: 'card res-card' },
    h('h2', {}, rt('results.progression')),
    d.rows.length > n ? h('p', { class: 'muted res-note' }, rt('results.top', { n })) : null,
    h('div', { class: 'res-chart', id: 'chart', 'data-testid': 'chart' }),
    h('ul', { class: 'res-legend' }, d.rows.slice(0, n).map((r, i) => h('li', {},
      h('span', { class: `res-swatch c${i}`, 'aria-hidden': 'true' }), r.team_name))));
}

function drawChart() {
  const box = document.getElementById('chart');
  if (!box || !data) return;
  clear(box);
  const d = data;
  const rows = d.rows.slice(0, 8);
  const W = Math.max(280, box.clientWidth || 600);
  const H = W < 500 ? 220 : 300;
  const pad = { l: 40, r: W < 500 ? 14 : 24, t: 14, b: 30 };
  const series = rows.map((r) => [0, ...r.cumulative]);
  const all = series.flat();
  let max = Math.max(1, ...all);
  const min = Math.min(0, ...all);
  const step = niceStep((max - min) / 4);
  max = Math.ceil(max / step) * step;
  const lo = Math.floor(min / step) * step;
  const xs = d.parts.length + 1;
  const x = (i) => pad.l + (xs === 1 ? 0 : (i * (W - pad.l - pad.r)) / (xs - 1));
  const y = (v) => pad.t + ((max - v) * (H - pad.t - pad.b)) / (max - lo || 1);
  const svg = s('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': rt('results.progression') });
  for (let v = lo; v <= max + 1e-9; v += step) {
    svg.append(s('line', { x1: pad.l, x2: W - pad.r, y1: y(v), y2: y(v), stroke: '#e9e3d8', 'stroke-width': 1 }));
    svg.append(s('text', { x: pad.l - 6, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#5f6368' }, fmt(v)));
  }
  for (let i = 0; i < xs; i++) {
    const label = i === 0 ? rt('results.start') : rt('results.part_n', { n: i });
    svg.append(s('text', { x: x(i), y: H - 8, 'text-anchor': i === 0 ? 'start' : i === xs - 1 ? 'end' : 'middle', 'font-size': 11, fill: '#5f6368' }, label));
  }
  series.slice().reverse().forEach((pts, ri) => {
    const i = series.length - 1 - ri;
    const path = pts.map((v, k) => `${k ? 'L' : 'M'}${x(k).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    svg.append(s('path', { d: path, fill: 'none', stroke: COLORS[i], 'stroke-width': i === 0 ? 3.5 : 2.2, 'stroke-linejoin': 'round', 'stroke-linecap': 'round' }));
    pts.forEach((v, k) => svg.append(s('circle', { cx: x(k), cy: y(v), r: i === 0 ? 4.5 : 3.2, fill: '#fff', stroke: COLORS[i], 'stroke-width': 2 },
      s('title', {}, `${rows[i].team_name}: ${fmt(v)}`))));
  });
  box.append(svg);
}

function niceStep(raw) {
  if (raw <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (raw <= m * p) return m * p;
  return 10 * p;
}

function breakdown(d) {
  const head = h('tr', {}, h('th', { class: 'num' }, rt('results.rank')), h('th', {}, rt('results.team')),
    d.parts.map((p, i) => h('th', { class: 'num', title: p.title }, h('div', {}, rt('results.part_n', { n: i + 1 })),
      h('div', { class: 'res-th-sub' }, p.title), p.weight !== 1 ? h('div', { class: 'res-th-sub' }, rt('results.weight', { w: fmt(p.weight) })) : null)),
    h('th', { class: 'num' }, rt('results.total')));
  const body = d.rows.map((r) => h('tr', {},
    h('td', { class: 'num' }, String(r.rank)), h('td', {}, r.team_name),
    d.parts.map((p, i) => h('td', { class: 'num' }, fmt(r.parts[i] ? r.parts[i].score : 0))),
    h('td', { class: 'num res-strong' }, fmt(r.total))));
  return h('section', { class: 'card res-card' },
    h('h2', {}, rt('results.breakdown')),
    h('div', { class: 'res-scroll' }, h('table', { class: 'board res-table', id: 'breakdown', 'data-testid': 'breakdown' },
      h('thead', {}, head), h('tbody', {}, body))));
}

let resizeTimer = null;
window.addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(drawChart, 120); });
document.addEventListener('langchange', () => (data ? render() : load()));
langToggle(document.getElementById('lang'));
apply(document);
load();
