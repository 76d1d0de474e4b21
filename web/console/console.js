// The organiser console: the shell (contest picker, navigation per contest, connection
// dot, language, sign-out) and the routing between its views. One live socket follows the
// chosen contest; views subscribe to its messages. Addresses: #/ (home), #/new,
// #/{contest id}/{view}.
import './strings.js';
import { api, session, signOut, token } from '/assets/shared/api.js';
import { apply, t, langToggle } from '/assets/shared/i18n.js';
import { Live } from '/assets/shared/live.js';
import { h, clear, icon } from './dom.js';
import * as home from './home.js';
import * as overview from './overview.js';
import * as teams from './teams.js';
import * as parts from './parts.js';
import * as judges from './judges.js';
import * as control from './control.js';
import * as review from './review.js';
import * as results from './results.js';

const VIEWS = [
  ['overview', 'home', overview],
  ['teams', 'teams', teams],
  ['parts', 'parts', parts],
  ['judges', 'judges', judges],
  ['live', 'live', control],
  ['review', 'review', review],
  ['results', 'results', results],
];

const s = session();
if (!s || s.role !== 'organiser') {
  location.replace('/');
  throw new Error('not signed in');
}
document.addEventListener('unauthorized', () => signOut());

const app = document.getElementById('app');
const nav = document.getElementById('nav');
const picker = document.getElementById('contest-picker');

/** What every view may use. */
export const ctx = {
  contests: [],
  contest: null,
  live: null,
  liveState: null,
  board: null,
  answered: new Map(), // question id -> Set of team ids
  listeners: new Set(),
  go(path) { location.hash = path; },
  async reloadContests() {
    ctx.contests = await api('GET', '/api/contests');
    renderPicker();
  },
  /** Re-reads the current contest (after a change) and refreshes the shell. */
  async refreshContest() {
    if (!ctx.contest) return;
    ctx.contest = await api('GET', `/api/contests/${ctx.contest.id}`);
    const i = ctx.contests.findIndex((c) => c.id === ctx.contest.id);
    if (i >= 0) ctx.contests[i] = ctx.contest;
    renderPicker();
    renderNav(currentView);
  },
  onLive(fn) { ctx.listeners.add(fn); return () => ctx.listeners.delete(fn); },
};

let currentView = null;
let cleanup = null;

function renderPicker() {
  clear(picker);
  if (!ctx.contests.length) picker.append(h('option', { value: '' }, t('console.no_contests')));
  else if (!ctx.contest) picker.append(h('option', { value: '', selected: true }, t('console.pick_contest')));
  for (const c of [...ctx.contests].sort((a, b) => b.id - a.id)) {
    picker.append(h('option', { value: String(c.id), selected: ctx.contest && c.id === ctx.contest.id }, c.name));
  }
  picker.append(h('option', { value: 'new' }, t('console.new_contest_option')));
}

picker.addEventListener('change', () => {
  if (picker.value === 'new') ctx.go('#/new');
  else if (picker.value) ctx.go(`#/${picker.value}/overview`);
});

function statusPill(status) {
  return h(`span.status.st-${status}`, t('console.status.' + status));
}

function renderNav(view) {
  clear(nav);
  if (ctx.contest) {
    nav.append(h('div.nav-contest',
      h('div.nav-name', { title: ctx.contest.name }, ctx.contest.name),
      h('div.nav-meta', statusPill(ctx.contest.status), ctx.contest.held_on ? h('span', ctx.contest.held_on) : null)));
    const list = h('ul.nav-list');
    for (const [key, ic] of VIEWS) {
      list.append(h('li', h(`a.nav-item${key === view ? '.active' : ''}`, {
        href: `#/${ctx.contest.id}/${key}`, id: `nav-${key}`, 'aria-current': key === view ? 'page' : null,
      }, icon(ic), h('span', t('console.nav.' + key)), key === 'live' && ctx.liveState?.part?.status === 'running' ? h('span.live-badge', { title: t('console.live_badge'), 'aria-label': t('console.live_badge') }) : null)));
    }
    nav.append(list);
  } else {
    nav.append(h('div.nav-contest', h('div.nav-name', t('console.welcome_nav'))));
  }
  nav.append(h('div.nav-foot',
    h('a.nav-item', { href: '#/new', id: 'nav-new' }, icon('plus'), h('span', t('console.nav.new'))),
    h('button.btn.gold.block#nav-demo', { type: 'button', onclick: () => home.createDemo(ctx) }, icon('play'), t('console.demo.button_short'))));
}

// ---- the live socket of the chosen contest

const connDot = document.getElementById('conn-dot');
const connText = document.getElementById('conn-text');
const conn = document.getElementById('conn');

function setConn(status) {
  conn.hidden = !ctx.live;
  connDot.className = 'dot ' + (status === 'open' ? 'on' : 'off');
  connText.textContent = t(status === 'open' ? 'common.online' : status === 'connecting' || status === 'idle' ? 'common.connecting' : 'common.offline');
  conn.dataset.status = status;
}

function applyLive(m) {
  const st = ctx.liveState;
  switch (m.type) {
    case 'state':
      ctx.liveState = m.state;
      if (ctx.contest && m.state.contest_status && m.state.contest_status !== ctx.contest.status) ctx.refreshContest().catch(() => {});
      break;
    case 'scoreboard': ctx.board = m.board; break;
    case 'buzzer': if (st) st.buzzer = m.buzzer; break;
    case 'performing': if (st) st.performing = m.performing; break;
    case 'countdown':
      if (st?.question && st.question.id === m.question_id) {
        st.question.deadline_at = m.deadline_at;
        st.question.answered_teams = m.answered_teams;
      }
      if (m.answered) ctx.answered.set(m.question_id, new Set(m.answered));
      break;
    default:
      // Every other change of the question or the part: ask for a fresh snapshot.
      if (['part_started', 'part_finished', 'get_ready', 'question_opened', 'paused', 'resumed', 'closed', 'revealed', 'voided'].includes(m.type)) {
        if (m.type === 'closed' || m.type === 'revealed') ctx.lastDistribution = { id: m.question_id, distribution: m.distribution };
        ctx.live?.sync();
      }
  }
  for (const fn of ctx.listeners) {
    try { fn(m); } catch (e) { console.error(e); }
  }
  if (m.type === 'state' || m.type === 'part_started' || m.type === 'part_finished') renderNav(currentView);
}

function follow(contestId) {
  if (ctx.live && ctx.live.contestId === contestId) return;
  if (ctx.live) ctx.live.stop();
  ctx.liveState = null; ctx.board = null; ctx.answered = new Map(); ctx.lastDistribution = null;
  ctx.live = new Live({ token: () => token(), contestId, onMessage: applyLive, onStatus: setConn }).start();
  setConn('connecting');
}

// ---- routing

async function route() {
  const [, a, b] = (location.hash || '#/').split('/');
  if (cleanup) { try { cleanup(); } catch (_) { /* view gone */ } cleanup = null; }
  if (!a || a === 'new') {
    ctx.contest = null;
    currentView = a === 'new' ? 'new' : 'home';
    renderPicker();
    renderNav(null);
    if (ctx.live) { ctx.live.stop(); ctx.live = null; setConn('idle'); }
    clear(app);
    cleanup = await home.render(ctx, app, { create: a === 'new' });
    return;
  }
  const id = Number(a);
  let c = ctx.contests.find((x) => x.id === id);
  if (!c) {
    try { c = await api('GET', `/api/contests/${id}`); ctx.contests.push(c); } catch (_) { ctx.go('#/'); return; }
  }
  ctx.contest = c;
  const view = VIEWS.find((v) => v[0] === b) ? b : 'overview';
  currentView = view;
  renderPicker();
  renderNav(view);
  follow(id);
  // Each view draws into its own box: a view still loading when the address changes
  // draws into a box no longer shown, and its cleanup runs at once.
  const box = h('div.view');
  clear(app, box);
  app.scrollTop = 0;
  const mod = VIEWS.find((v) => v[0] === view)[2];
  try {
    const done = await mod.render(ctx, box);
    if (box.isConnected) cleanup = done;
    else if (done) done();
  } catch (e) {
    console.error(e);
    box.append(h('div.msg.err', t('err.generic')));
  }
}

document.getElementById('signout').addEventListener('click', () => { ctx.live?.stop(); signOut(); });
document.getElementById('who').textContent = s.username || '';
langToggle(document.getElementById('lang'));
document.addEventListener('langchange', () => { renderPicker(); route(); });
addEventListener('hashchange', route);

apply();
(async () => {
  try { await ctx.reloadContests(); } catch (_) { /* shown by the view */ }
  if (!location.hash || location.hash === '#/' || location.hash === '#') {
    // A fresh install opens on the welcome page; otherwise on the newest contest.
    const open = [...ctx.contests].sort((x, y) => y.id - x.id).find((c) => c.status !== 'closed');
    if (open) { ctx.go(`#/${open.id}/overview`); return; }
  }
  route();
})();
