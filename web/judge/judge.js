// The judge panel: the contests this judge belongs to; for the one picked, the live full
// scoreboard (each question's points per team, part scores, adjustments, totals, ranks),
// the question in play, the adjustments with who, when and why, and the marking sheets
// of judged parts (sheets.js). A judge account signs in on the landing page; an
// invited judge arrives at /judge?invite=… and the invitation becomes a session here.
import './strings.js';
import { api, session, saveSession, signOut } from '/assets/shared/api.js';
import { apply, errorText, langToggle, t } from '/assets/shared/i18n.js';
import { Live } from '/assets/shared/live.js';
import { Sheets } from './sheets.js';
import { BuzzerCard } from './buzzer.js';

const $ = (id) => document.getElementById(id);

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined && v !== false) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

const num = (x) => (typeof x === 'number' ? ((Math.round(x * 100) / 100) || 0).toLocaleString('vi-VN', { maximumFractionDigits: 2 }) : '');
const signed = (x) => (x > 0 ? '+' : x < 0 ? '−' : '') + num(Math.abs(x));

apply();
langToggle($('lang'));
$('signout').addEventListener('click', signOut);

const S = { contests: [], cid: null, live: null, state: null, board: null, detail: null, countdown: null };
const sheets = new Sheets($('sheets'));
// A buzzer part: the team with the floor and the judge's Đúng / Sai.
const buzzerCard = new BuzzerCard($('buzzer-card'));
const drawBuzzer = () => buzzerCard.set(S.cid, (S.state && S.state.part && S.state.part.kind === 'buzzer' && S.state.part.status === 'running' && S.state.buzzer) || null);

function gate(msg) {
  $('gate').hidden = false;
  $('panel').hidden = true;
  $('gate-msg').textContent = msg;
}

// --- an invitation link becomes a session ---
async function acceptInvite(token) {
  const r = await fetch('/api/judges/accept', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token }),
  }).catch(() => null);
  let j = null;
  try { j = r && (await r.json()); } catch (_) { /* not JSON */ }
  history.replaceState(null, '', '/judge');
  if (!r || !r.ok) {
    const code = j && j.error && j.error.code;
    gate(code === 'invite_used' ? t('judge.invite_used') : code === 'invite_unknown' ? t('judge.invite_unknown') : errorText(j && j.error));
    return false;
  }
  saveSession({ token: j.token, refresh_token: null, expires_at: j.expires_at, role: 'judge', username: t('judge.invited'), contest_id: j.contest_id });
  return true;
}

// --- contests ---
async function loadContests() {
  try {
    S.contests = await api('GET', '/api/contests');
  } catch (e) {
    $('contests-msg').hidden = false;
    $('contests-msg').textContent = errorText(e);
    return;
  }
  const list = $('contest-list');
  list.replaceChildren(...S.contests.map((c) => h('li', {},
    h('button', { class: 'citem', type: 'button', 'data-contest': c.id },
      h('span', { class: 'cname' }, c.name),
      h('span', { class: `cstatus s-${c.status}` }, t(`judge.status_${c.status}`))))));
  $('contests-empty').hidden = S.contests.length > 0;
  for (const b of list.querySelectorAll('button')) b.addEventListener('click', () => pick(Number(b.dataset.contest)));
  const want = Number(new URLSearchParams(location.search).get('contest'));
  const first = S.contests.find((c) => c.id === want) || (S.contests.length === 1 ? S.contests[0] : S.contests.find((c) => c.status === 'running'));
  if (first) pick(first.id);
}

function pick(cid) {
  if (S.cid === cid) return;
  if (S.live) S.live.stop();
  S.cid = cid;
  S.state = null; S.board = null; S.detail = null; S.countdown = null;
  drawBuzzer();
  history.replaceState(null, '', `/judge?contest=${cid}`);
  for (const b of document.querySelectorAll('.citem')) b.classList.toggle('on', Number(b.dataset.contest) === cid);
  const c = S.contests.find((x) => x.id === cid);
  $('contest-title').textContent = c ? ` · ${c.name}` : '';
  $('pick').hidden = true;
  $('contest').hidden = false;
  drawBoard();
  drawAdjustments();
  drawNow();
  sheets.show(cid);
  S.live = new Live({ token: async () => session().token, contestId: cid, onMessage, onStatus }).start();
}

function onStatus(st) {
  if (st === 'unauthorized' || st === 'revoked') {
    gate(t(st === 'revoked' ? 'common.revoked' : 'common.unauthorized'));
    return;
  }
  $('conn').hidden = false;
  $('conn-dot').className = st === 'open' ? 'dot on' : 'dot off';
  $('conn-text').textContent = t(st === 'open' ? 'common.online' : st === 'offline' ? 'common.offline' : 'common.connecting');
}

function onMessage(m) {
  const q = S.state && S.state.question;
  switch (m.type) {
    case 'state': {
      S.state = m.state; S.countdown = null;
      const c = S.contests.find((x) => x.id === S.cid);
      if (c && c.status !== m.state.contest_status) {
        c.status = m.state.contest_status;
        const el = document.querySelector(`.citem[data-contest="${S.cid}"] .cstatus`);
        if (el) { el.className = `cstatus s-${c.status}`; el.textContent = t(`judge.status_${c.status}`); }
      }
      break;
    }
    case 'scoreboard': S.board = m.board; drawBoard(); fetchDetail(); break;
    case 'countdown': S.countdown = m; if (q && q.id === m.question_id) { q.answered_teams = m.answered_teams; q.deadline_at = m.deadline_at; } break;
    case 'paused': if (q && q.id === m.question_id) { q.paused_at = m.paused_at; q.remaining_ms = m.remaining_ms; } break;
    case 'resumed': if (q && q.id === m.question_id) { q.paused_at = null; q.deadline_at = m.deadline_at; } break;
    case 'closed': if (q && q.id === m.question_id) q.status = 'closed'; break;
    case 'revealed': if (q && q.id === m.question_id) q.status = 'revealed'; break;
    case 'voided': if (q && q.id === m.question_id) q.status = 'voided'; break;
    case 'judging': sheets.load(); break;
    case 'buzzer': if (S.state) S.state.buzzer = m.buzzer; break;
    case 'part_started': case 'part_finished': case 'get_ready': case 'question_opened':
      S.live.sync(); break;
    default: break;
  }
  drawNow();
  if (m.type === 'state' || m.type === 'buzzer') drawBuzzer();
  if (m.type === 'state') drawBoard();
}

// The live board carries totals only; the per-question detail and the adjustments come
// over HTTP when the board changes, at most once a second.
let detailTimer = null;
let detailLast = 0;
function fetchDetail() {
  if (detailTimer) return;
  const cid = S.cid;
  detailTimer = setTimeout(async () => {
    detailTimer = null;
    detailLast = Date.now();
    try {
      const b = await api('GET', `/api/contests/${cid}/scoreboard`);
      if (S.cid !== cid) return;
      S.detail = b.detail || null;
      drawBoard(); drawAdjustments();
    } catch { /* the next board change fetches again */ }
  }, Math.max(0, 1000 - (Date.now() - detailLast)));
}

// --- the question in play ---
function drawNow() {
  const st = S.state;
  const part = st && st.part;
  const q = st && st.question;
  $('now-part').textContent = part ? part.title : t('judge.no_part');
  $('now-q').textContent = q ? t('common.question_no', { no: q.no, total: part ? part.questions : '?' }) : '';
  const now = S.live ? S.live.now() : Date.now();
  let status = '';
  let time = '';
  if (q) {
    if (q.status === 'open') {
      if (q.paused_at) { status = t('judge.q_paused'); time = t('judge.left', { s: Math.ceil((q.remaining_ms || 0) / 1000) }); }
      else if (q.shows_at && now < q.shows_at) status = t('judge.q_ready');
      else if (q.opens_at && now < q.opens_at) { status = t('judge.q_reading'); time = t('judge.opens_in', { s: Math.ceil((q.opens_at - now) / 1000) }); }
      else { status = t('judge.q_open'); time = t('judge.left', { s: Math.max(0, Math.ceil((q.deadline_at - now) / 1000)) }); }
    } else status = t(`judge.q_${q.status}`);
  }
  $('now-status').textContent = status;
  $('now-status').dataset.status = q ? q.status : '';
  $('now-time').textContent = time;
  $('now-answered').textContent = q ? t('judge.answered', { n: q.answered_teams, total: st.total_teams }) : '';
  const prompt = q && q.question ? q.question.prompt : '';
  $('now-prompt').hidden = !prompt;
  $('now-prompt').textContent = prompt;
}
setInterval(drawNow, 500);

// --- the board ---
function drawBoard() {
  const table = $('judge-board');
  const b = S.board;
  if (!b) { table.replaceChildren(); return; }
  const d = S.detail || { questions: [], results: {}, adjustments: [] };
  const current = S.state && S.state.question ? S.state.question.id : null;
  const byPart = new Map(b.parts.map((p) => [p.part_id, []]));
  for (const q of d.questions) { if (!byPart.has(q.part_id)) byPart.set(q.part_id, []); byPart.get(q.part_id).push(q); }
  const parts = b.parts.map((p) => ({ ...p, questions: byPart.get(p.part_id) || [] }));
  const adjOf = new Map();
  for (const a of d.adjustments) adjOf.set(a.team_id, (adjOf.get(a.team_id) || 0) + a.delta);

  const head1 = h('tr', {}, h('th', { rowspan: 2, class: 'num' }, t('judge.col_rank')), h('th', { rowspan: 2 }, t('judge.col_team')),
    ...parts.map((p) => h('th', { colspan: p.questions.length + 1, class: 'part' }, p.title)),
    h('th', { rowspan: 2, class: 'num' }, t('judge.col_adjust')), h('th', { rowspan: 2, class: 'num total' }, t('common.total')));
  const head2 = h('tr', {}, ...parts.flatMap((p) => [
    ...p.questions.map((q) => h('th', { class: `num qh st-${q.status}${q.id === current ? ' cur' : ''}`, title: t(`judge.q_${q.status}`) || '', 'data-q': q.id }, `C${q.no}`)),
    h('th', { class: 'num psum' }, t('judge.col_part_sum')),
  ]));
  const rows = b.rows.map((r) => {
    const res = new Map((d.results[r.team_id] || d.results[String(r.team_id)] || []).map((x) => [x.question_id, x]));
    const partScore = new Map(r.parts.map((p) => [p.part_id, p.score]));
    const adj = adjOf.get(r.team_id) || 0;
    return h('tr', { 'data-team': r.team_id },
      h('td', { class: 'num rank' }, String(r.rank)),
      h('td', { class: 'team' }, r.team_name),
      ...parts.flatMap((p) => [
        ...p.questions.map((q) => {
          const x = res.get(q.id);
          const cls = ['num', 'qcell'];
          if (q.id === current) cls.push('cur');
          const scored = q.status === 'closed' || q.status === 'revealed';
          if (x) cls.push(x.correct ? 'ok' : 'bad');
          else if (q.status === 'voided') cls.push('void');
          else if (scored) cls.push('none');
          return h('td', { class: cls.join(' '), 'data-q': q.id, title: !x && scored ? t('judge.no_answer') : null },
            x ? num(x.points) + (x.star ? '★' : '') : q.status === 'voided' || scored ? '–' : '');
        }),
        h('td', { class: 'num psum' }, num(partScore.get(p.part_id) || 0)),
      ]),
      h('td', { class: `num adj${adj ? ' has' : ''}` }, adj ? signed(adj) : ''),
      h('td', { class: 'num total' }, num(r.total)));
  });
  table.replaceChildren(h('thead', {}, head1, head2), h('tbody', {}, ...rows));
  $('board-empty').hidden = b.rows.length > 0;
}

// --- adjustments ---
function drawAdjustments() {
  const d = S.detail;
  const list = d ? [...d.adjustments].reverse() : [];
  const team = new Map(((S.board && S.board.rows) || []).map((r) => [r.team_id, r.team_name]));
  const part = new Map(((S.board && S.board.parts) || []).map((p) => [p.part_id, p.title]));
  const body = $('judge-adjustments').querySelector('tbody');
  body.replaceChildren(...list.map((a) => h('tr', { 'data-adjustment': a.id },
    h('td', { class: 'when' }, new Date(a.created_at).toLocaleString('vi-VN')),
    h('td', {}, team.get(a.team_id) || `#${a.team_id}`),
    h('td', {}, a.part_id ? part.get(a.part_id) || `#${a.part_id}` : t('judge.whole_contest')),
    h('td', { class: `num delta ${a.delta < 0 ? 'neg' : 'pos'}` }, signed(a.delta)),
    h('td', { class: 'reason' }, a.reason),
    h('td', {}, a.actor))));
  $('adjust-empty').hidden = list.length > 0;
  $('adjust-count').textContent = list.length ? String(list.length) : '';
}

// --- tabs ---
for (const tab of document.querySelectorAll('.tab')) {
  tab.addEventListener('click', () => {
    for (const x of document.querySelectorAll('.tab')) {
      const on = x === tab;
      x.classList.toggle('on', on);
      x.setAttribute('aria-selected', String(on));
      $(`pane-${x.dataset.tab}`).hidden = !on;
    }
    if (tab.dataset.tab === 'sheets' && S.cid) sheets.show(S.cid);
  });
}

document.addEventListener('unauthorized', () => gate(t('common.unauthorized')));
document.addEventListener('langchange', () => { drawBoard(); drawAdjustments(); drawNow(); });

async function main() {
  const invite = new URLSearchParams(location.search).get('invite');
  if (invite && !(await acceptInvite(invite))) return;
  const s = session();
  if (!s || !s.token) { gate(t('judge.signin_first')); return; }
  $('who').textContent = s.username || '';
  $('panel').hidden = false;
  await loadContests();
}
main();
