// The contestant's phone: the waiting room, the get-ready countdown, the question with its
// reading time and answer countdown (drawn from the server's clock), the answer buttons,
// "Đã ghi nhận" once the server has stored the answer, the team's current answer, and
// after the reveal the result, the points and the team's standing.
//
// Everything shown comes from the live socket (web/shared/live.js); answers go through
// its outbox, so a locked screen or a lost network never loses one. Text from the server
// (names, questions) is only ever set as text, never as HTML.
import { Live } from '/assets/shared/live.js';
import { apply, langToggle, lang, t, errorText } from '/assets/shared/i18n.js';
import { parseNumber, formatNumber } from '/assets/play/number.js';
import * as elim from '/assets/play/elimination.js';

const KEY = 'hoithi.contestant';
const $ = (id) => document.getElementById(id);
const LETTERS = 'ABCDEFGHIJ';
const PENDING_AFTER_MS = 2500;

/** A tiny DOM builder: attributes, `class`, `text`, `on<event>` handlers, children. */
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids.flat()) {
    if (c != null && c !== false) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';
const SHAPES = ['M12 2.5 22.5 21h-21z', 'M12 1.5 22.5 12 12 22.5 1.5 12z', null, 'M3 3h18v18H3z'];
/** Kahoot-like marks for the options: triangle, diamond, circle, square. */
function shape(i) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'shape');
  svg.setAttribute('aria-hidden', 'true');
  const d = SHAPES[i % 4];
  const el = document.createElementNS(SVG, d ? 'path' : 'circle');
  if (d) el.setAttribute('d', d);
  else { el.setAttribute('cx', '12'); el.setAttribute('cy', '12'); el.setAttribute('r', '10'); }
  el.setAttribute('fill', 'currentColor');
  svg.append(el);
  return svg;
}

const ICONS = {
  clock: ['c12,12,9', 'M12 7v5l3.5 2'],
  void: ['c12,12,9', 'M5.6 5.6l12.8 12.8'],
  flag: ['M5 21V4', 'M5 4h12l-2.5 4L17 12H5'],
  trophy: ['M7 4h10v4a5 5 0 0 1-10 0z', 'M7 6H4v1a3 3 0 0 0 3 3', 'M17 6h3v1a3 3 0 0 1-3 3', 'M12 13v4', 'M8 21h8', 'M9 17h6v4H9z'],
};
/** A line icon drawn in the current colour (system fonts have no emoji on many phones). */
function icon(name) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'icon');
  svg.setAttribute('aria-hidden', 'true');
  for (const d of ICONS[name]) {
    let el;
    if (d[0] === 'c') {
      const [cx, cy, r] = d.slice(1).split(',');
      el = document.createElementNS(SVG, 'circle');
      el.setAttribute('cx', cx); el.setAttribute('cy', cy); el.setAttribute('r', r);
    } else {
      el = document.createElementNS(SVG, 'path');
      el.setAttribute('d', d);
    }
    el.setAttribute('fill', 'none');
    el.setAttribute('stroke', 'currentColor');
    el.setAttribute('stroke-width', '2');
    el.setAttribute('stroke-linecap', 'round');
    el.setAttribute('stroke-linejoin', 'round');
    svg.append(el);
  }
  return svg;
}

// ---- the session

let me = null;
try { me = JSON.parse(localStorage.getItem(KEY) || 'null'); } catch (_) { /* ignore */ }
const hasSession = !!(me && me.token && me.contest_id != null && me.team_id != null);
if (!hasSession) location.replace('/join');

let gone = false;
/** The session no longer works: back to the join form, the team's code filled in. */
function expired() {
  if (gone) return;
  gone = true;
  if (live) live.stop();
  try { localStorage.removeItem(KEY); } catch (_) { /* ignore */ }
  location.replace(`/join?code=${encodeURIComponent(me.code || '')}&expired=1`);
}

// ---- state

const S = {
  contestName: me ? me.contest_name || '' : '',
  contestStatus: '',
  part: null,
  q: null, // {id, no, total, status, shows_at, opens_at, deadline_at, paused_at, remaining_ms, question, solution, reason}
  teamAnswer: null,
  mine: null, // {qid, key, response, star, state: sending|recorded|error, error, at}
  results: new Map(),
  total: null,
  rank: null,
  partFinished: false,
  starOn: false,
  starUsed: false,
  starQ: null, // the question of this part the team staked its star on
  team: null,
  joined: new Map(),
  choices: new Set(),
  elim: null, // an elimination part's view: counts and my team's standing
  performing: null, // a judged part: the team on stage now
};

let live = null;

// ---- the buzzer part (web/play/buzzer.js, loaded only when one runs)

let buzzer = null;
let buzzerQueue = null; // messages that came while the module loads
const buzzerPart = () => !!(S.part && S.part.kind === 'buzzer');
function loadBuzzer() {
  if (buzzer || buzzerQueue) return;
  buzzerQueue = [];
  import('/assets/play/buzzer.js').then((m) => {
    buzzer = m.createBuzzer({ live, me, changed: () => render() });
    for (const q of buzzerQueue) buzzer.onMessage(q);
    buzzerQueue = null;
    render(true);
  });
}

function newQuestion(id) {
  if (S.q && S.q.id === id) return S.q;
  S.teamAnswer = null;
  S.mine = null;
  S.starOn = false;
  S.choices = new Set();
  return null;
}

const keyOf = (r) => JSON.stringify(r);

// ---- the star of hope: remembered per part, so a reloaded phone still knows it is spent

const STAR_KEY = me ? `hoithi.star.${me.contestant_id}` : '';
/** The team staked its star on `qid` (-1: the server said it is spent, on some question). */
function staked(qid) {
  S.starQ = qid;
  try { localStorage.setItem(STAR_KEY, JSON.stringify({ part: S.part && S.part.id, q: qid })); } catch (_) { /* ignore */ }
}
function recallStar() {
  if (!S.part || S.starQ != null) return;
  try {
    const v = JSON.parse(localStorage.getItem(STAR_KEY) || 'null');
    if (v && v.part === S.part.id) S.starQ = v.q;
  } catch (_) { /* ignore */ }
}

// ---- the team

let fetchingTeam = null;
let teamAgain = false;
/** Reads the team (members who joined). Calls within 3 s share one read; a `fresh` call
 * (someone joined) reads again once the current one is done. */
async function loadTeam(fresh = false) {
  if (fetchingTeam) {
    if (fresh) teamAgain = true;
    return fetchingTeam;
  }
  fetchingTeam = (async () => {
    try {
      const r = await fetch(`/api/contests/${me.contest_id}/teams/${me.team_id}`, {
        headers: { Authorization: `Bearer ${me.token}` },
      });
      if (r.status === 401) { expired(); return; }
      if (!r.ok) return;
      const team = await r.json();
      S.team = team;
      S.joined = new Map((team.joined || []).map((m) => [m.contestant_id, m]));
      if (team.code && team.code !== me.code) {
        me.code = team.code;
        try { localStorage.setItem(KEY, JSON.stringify(me)); } catch (_) { /* ignore */ }
      }
      render(true);
    } catch (_) { /* offline: the socket's state still comes */ } finally {
      setTimeout(() => {
        fetchingTeam = null;
        if (teamAgain) { teamAgain = false; loadTeam(); }
      }, teamAgain ? 0 : 3000);
    }
  })();
  return fetchingTeam;
}

function memberName(id) {
  const m = S.joined.get(id);
  if (id === me.contestant_id) return `${m ? m.name : me.name} (${t('play.you')})`;
  if (!m) loadTeam();
  return m ? m.name : '…';
}

function amCaptain() {
  const m = S.joined.get(me.contestant_id);
  return m ? m.is_captain : !!me.is_captain;
}

function captainName() {
  for (const m of S.joined.values()) if (m.is_captain) return m.name;
  return '';
}

// ---- answers as words

function answerLabel(r, q) {
  if (!r) return '';
  if (r.choice !== undefined) return LETTERS[r.choice] || String(r.choice + 1);
  if (r.choices) return r.choices.slice().sort((a, b) => a - b).map((i) => LETTERS[i]).join(', ');
  if (r.value !== undefined) return r.value ? t('play.true') : t('play.false');
  if (r.text !== undefined) return `“${r.text}”`;
  if (r.number !== undefined) return formatNumber(r.number, lang()) + (q && q.question && q.question.unit ? ` ${q.question.unit}` : '');
  return '';
}

function solutionLabel(s, q) {
  if (!s) return '';
  const opts = (q.question && q.question.options) || [];
  switch (s.kind) {
    case 'single': return `${LETTERS[s.option]}. ${opts[s.option] || ''}`.trim();
    case 'multiple': return s.options.map((i) => LETTERS[i]).join(', ');
    case 'true_false': return s.value ? t('play.true') : t('play.false');
    case 'short_text': return (s.accepted || [])[0] || '';
    case 'number': return formatNumber(s.value, lang()) + (q.question && q.question.unit ? ` ${q.question.unit}` : '');
    default: return '';
  }
}

const fmtPoints = (n) => {
  const v = Math.round(n * 100) / 100;
  return lang() === 'vi' ? String(v).replace('.', ',') : String(v);
};

// ---- server messages

function onMessage(m) {
  if (m.type === 'buzzer' || (m.type === 'state' && m.state.buzzer)) loadBuzzer();
  if (buzzerQueue && ['buzzer', 'buzzed', 'team_buzzed', 'state', 'error'].includes(m.type)) buzzerQueue.push(m);
  if (buzzer && buzzer.onMessage(m)) { render(); return; }
  if (['buzzer', 'buzzed', 'team_buzzed'].includes(m.type)) return;
  switch (m.type) {
    case 'state': {
      const s = m.state;
      S.contestName = s.contest_name;
      S.contestStatus = s.contest_status;
      S.frozen = false; // the connect snapshot's `ceremony` says otherwise
      if (!s.part || !S.part || S.part.id !== s.part.id) { S.starQ = null; S.starUsed = false; }
      S.part = s.part;
      S.performing = s.performing || null;
      // A state sent to every screen (a part's start) carries no team's standing: keep ours.
      S.elim = s.elimination
        ? { ...s.elimination, team: (s.elimination.team && s.elimination.team.length) ? s.elimination.team : (S.elim ? S.elim.team : []) }
        : null;
      recallStar();
      if (s.part) S.partFinished = false;
      const v = s.question;
      if (v) {
        const prev = newQuestion(v.id);
        S.q = {
          ...(prev || {}), id: v.id, no: v.no, total: s.part ? s.part.questions : (prev && prev.total),
          status: v.status, shows_at: v.shows_at, opens_at: v.opens_at, deadline_at: v.deadline_at,
          paused_at: v.paused_at, remaining_ms: v.remaining_ms,
          question: v.question || (prev && prev.question) || null, solution: v.solution,
        };
        S.teamAnswer = s.my_answer && s.my_answer.question_id === v.id ? s.my_answer : null;
        const waiting = live.pending().filter((x) => x.question_id === v.id).pop();
        if (waiting && !(S.mine && S.mine.state === 'sending')) {
          S.mine = { qid: v.id, key: keyOf(waiting.response) + (waiting.star ? '*' : ''), response: waiting.response, star: waiting.star, state: 'sending', at: Date.now() };
        } else if (!S.mine && S.teamAnswer && S.teamAnswer.contestant_id === me.contestant_id) {
          const a = S.teamAnswer;
          S.mine = { qid: v.id, key: keyOf(a.response) + (a.star ? '*' : ''), response: a.response, star: a.star, state: 'recorded' };
        }
        if (S.teamAnswer) S.starOn = !!S.teamAnswer.star;
        if (S.teamAnswer && S.teamAnswer.star) staked(v.id);
      } else {
        S.q = null;
      }
      break;
    }
    case 'part_started':
      loadTeam();
      S.performing = null;
      S.part = m.part;
      S.q = null;
      S.partFinished = false;
      S.starUsed = false;
      S.starQ = null;
      newQuestion(-1);
      break;
    case 'part_finished':
      S.performing = null;
      S.partFinished = true;
      if (S.part) S.part = { ...S.part, status: 'finished' };
      break;
    case 'get_ready': {
      const prev = newQuestion(m.question_id);
      S.q = { ...(prev || {}), id: m.question_id, no: m.no, total: S.part && S.part.questions, status: 'open', shows_at: m.shows_at, opens_at: m.opens_at, question: prev ? prev.question : null };
      break;
    }
    case 'question_opened': {
      const prev = newQuestion(m.question_id);
      S.q = { ...(prev || {}), id: m.question_id, no: m.no, total: m.total, status: 'open', question: m.question, shows_at: m.shown_at, opens_at: m.opened_at, deadline_at: m.deadline_at, paused_at: null };
      break;
    }
    case 'countdown':
      if (S.q && S.q.id === m.question_id && !S.q.paused_at) S.q.deadline_at = m.deadline_at;
      break;
    case 'paused':
      if (S.q && S.q.id === m.question_id) { S.q.paused_at = m.paused_at; S.q.remaining_ms = m.remaining_ms; }
      break;
    case 'resumed':
      if (S.q && S.q.id === m.question_id) { S.q.paused_at = null; S.q.deadline_at = m.deadline_at; }
      break;
    case 'closed':
      if (S.q && S.q.id === m.question_id) { S.q.status = 'closed'; S.q.paused_at = null; }
      break;
    case 'revealed':
      if (S.q && S.q.id === m.question_id) { S.q.status = 'revealed'; S.q.solution = m.solution; }
      break;
    case 'voided':
      S.results.delete(m.question_id);
      if (S.q && S.q.id === m.question_id) { S.q.status = 'voided'; S.q.reason = m.reason; }
      break;
    case 'ceremony':
      S.frozen = !!m.ceremony.frozen;
      break;
    case 'team_score':
      if (m.team_id === me.team_id) {
        S.total = m.total;
        S.rank = m.rank;
        S.results = new Map(m.results.map((r) => [r.question_id, r]));
      }
      break;
    case 'public_scoreboard': {
      const row = (m.rows || []).find((r) => r.team_id === me.team_id);
      if (row) { S.rank = row.rank; S.total = row.total; }
      break;
    }
    case 'elimination':
      S.elim = m.elimination;
      break;
    case 'performing':
      S.performing = m.performing || null;
      break;
    case 'team_changed':
      loadTeam(true);
      break;
    case 'team_answer': {
      const a = m.answer;
      if (!S.q || a.question_id !== S.q.id) break;
      S.teamAnswer = a;
      S.starOn = !!a.star;
      if (a.star) staked(a.question_id);
      // A teammate's answer replaces mine: mine is no longer the one recorded.
      if (a.contestant_id !== me.contestant_id && S.mine && S.mine.state === 'recorded') S.mine = null;
      if (!S.joined.has(a.contestant_id)) loadTeam();
      break;
    }
    case 'ack': {
      const a = m.ack;
      if (S.mine && S.q && a.question_id === S.q.id && S.mine.state === 'sending' && live.pending().every((x) => x.question_id !== a.question_id)) {
        S.mine.state = 'recorded';
      }
      break;
    }
    default:
      return;
  }
  render();
}

function onStatus(s) {
  if (s === 'revoked' || s === 'unauthorized') { expired(); return; }
  const c = $('conn');
  c.dataset.status = s;
  const k = { open: 'common.online', offline: 'common.offline' }[s] || 'common.connecting';
  $('conn-text').dataset.i18n = k;
  $('conn-text').textContent = t(k);
  c.title = t(k);
  $('net').hidden = s !== 'offline';
  if (s === 'open') loadTeam();
  render();
}

// ---- answering

function timing() {
  const q = S.q;
  const now = live ? live.now() : Date.now();
  if (!q) return { now };
  const paused = !!q.paused_at;
  const left = paused ? (q.remaining_ms ?? 0) : q.deadline_at != null ? q.deadline_at - now : null;
  return {
    now,
    paused,
    beforeShow: q.shows_at != null && now < q.shows_at,
    reading: q.opens_at != null && now < q.opens_at,
    left,
    over: !paused && left != null && left <= 0,
  };
}

function canAnswer() {
  const q = S.q;
  if (!q || q.status !== 'open' || !q.question) return false;
  const tm = timing();
  if (tm.reading || tm.paused || tm.over || tm.beforeShow) return false;
  if (captainOnly() && !amCaptain()) return false;
  if (elim.locked(S.elim, me.contestant_id)) return false;
  return !sendingNow();
}

const captainOnly = () => !!(S.part && S.part.answer_policy === 'captain_only');
/** An answer is on its way over an open socket: the buttons wait for its ack. */
const sendingNow = () => !!(S.mine && S.mine.state === 'sending' && live && live.connected && Date.now() - S.mine.at < PENDING_AFTER_MS);

function send(response) {
  const q = S.q;
  if (!canAnswer()) return;
  const star = !!(S.starOn && S.part && S.part.star_of_hope);
  const key = keyOf(response) + (star ? '*' : '');
  if (S.mine && S.mine.qid === q.id && S.mine.key === key && S.mine.state !== 'error') return;
  if (!S.mine && S.teamAnswer && keyOf(S.teamAnswer.response) + (S.teamAnswer.star ? '*' : '') === key) return;
  const mine = { qid: q.id, key, response, star, state: 'sending', at: Date.now() };
  S.mine = mine;
  render();
  live.answer({ question_id: q.id, response, star }).then(() => {
    if (S.mine === mine) mine.state = 'recorded';
    render();
  }, (err) => {
    if (S.mine === mine) { mine.state = 'error'; mine.error = err; }
    if (err && err.code === 'star_used') { S.starUsed = true; S.starOn = false; if (S.starQ == null) staked(-1); }
    if (err && (err.code === 'token_revoked' || err.code === 'contestant_removed' || err.code === 'token_expired')) expired();
    render();
  });
}

/** The response the buttons show as chosen: my answer on its way, else the team's. */
function shownResponse() {
  if (S.mine && S.q && S.mine.qid === S.q.id && S.mine.state === 'sending') return S.mine.response;
  if (S.teamAnswer) return S.teamAnswer.response;
  if (S.mine && S.mine.state === 'recorded') return S.mine.response;
  return null;
}

// ---- the wake lock: the screen stays on while a question is up

let lock = null;
async function wake(on) {
  if (!('wakeLock' in navigator)) return;
  if (on && !lock && document.visibilityState === 'visible') {
    try {
      lock = await navigator.wakeLock.request('screen');
      lock.addEventListener('release', () => { lock = null; });
    } catch (_) { /* refused (battery saver): nothing to do */ }
  } else if (!on && lock) {
    const l = lock;
    lock = null;
    l.release().catch(() => {});
  }
}
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') { wake(questionUp()); if (hasSession) loadTeam(); }
});
const questionUp = () => !!(S.q && S.q.status === 'open');

// ---- views

/** A tie-break part that my team does not play. */
const notMyTieBreak = () => !!(S.part && S.part.status !== 'finished' && !S.partFinished && S.part.tie_break_teams
  && S.part.tie_break_teams.length && !S.part.tie_break_teams.includes(me.team_id));

function viewName() {
  if (S.contestStatus === 'closed') return 'over';
  if (notMyTieBreak()) return 'tiebreak';
  const q = S.q;
  if (buzzerPart() && buzzer && buzzer.active() && !S.partFinished) return 'buzzer';
  if (!q && S.performing && !S.partFinished) return 'stage';
  if (!q) return S.partFinished ? 'finished' : 'wait';
  if (S.partFinished && q.status !== 'open') return 'finished';
  if (q.status === 'voided') return 'voided';
  if (q.status === 'revealed') return 'revealed';
  if (q.status === 'closed') return 'closed';
  if (!q.question || timing().beforeShow) return 'ready';
  return 'question';
}

let shownKey = '';
let refs = {};

/** Rebuilds the stage when the view changes; otherwise only updates what moves. */
function render(force = false) {
  if (gone || !hasSession) return;
  const view = viewName();
  let key = `${view}:${S.q ? S.q.id : ''}:${lang()}`;
  if (view === 'buzzer') key += buzzer.key();
  if (view === 'stage') key += `:${S.performing.team_id}`;
  if (view === 'revealed' || view === 'finished' || view === 'over' || view === 'tiebreak' || view === 'wait') {
    const r = S.q && S.results.get(S.q.id);
    key += `:${r ? r.points : ''}:${S.rank}:${S.total}:${S.frozen}:${S.teamAnswer ? S.teamAnswer.submission_id : ''}`;
  }
  if (S.elim) key += `:${elim.standing(S.elim, me.contestant_id)}`;
  $('team-name').textContent = (S.team && S.team.name) || me.team_name || '';
  $('contest-name').textContent = S.contestName || '';
  if (force || key !== shownKey) {
    shownKey = key;
    refs = {};
    const stage = $('stage');
    stage.dataset.view = view;
    stage.replaceChildren(...VIEWS[view]());
  }
  update();
  wake(questionUp());
}

function waitingLine() {
  // After a part ends the next thing is another part, not another question of this one.
  return h('div', { class: 'waiting', id: 'waiting' },
    h('span', { class: 'pulse', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')),
    h('span', { text: t(S.partFinished ? 'play.waiting_part' : 'play.waiting') }));
}

function membersCard() {
  const list = h('ul', { class: 'members', id: 'members' });
  for (const m of S.joined.values()) {
    const mine = m.contestant_id === me.contestant_id;
    list.append(h('li', { class: mine ? 'me' : null },
      h('span', { class: 'avatar', 'aria-hidden': 'true', text: (m.name.trim()[0] || '?').toUpperCase() }),
      h('span', { class: 'm-name', text: m.name }),
      mine ? h('span', { class: 'tag you', text: t('play.you') }) : null,
      m.is_captain ? h('span', { class: 'tag cap', text: t('play.captain') }) : null));
  }
  return list;
}

function resultCard() {
  const q = S.q;
  const res = S.results.get(q.id);
  let cls = 'none';
  let title = t('play.no_answer');
  let pts = null;
  if (res) {
    cls = res.correct ? 'right' : res.points > 0 ? 'partly' : 'wrong';
    title = res.correct ? t('play.correct') : res.points > 0 ? t('play.partly') : t('play.wrong');
    pts = res.points;
  } else if (S.teamAnswer) {
    cls = 'scoring';
    title = t('play.scoring');
  }
  const mark = { right: '✓', wrong: '✗', partly: '½', none: '–', scoring: '…' }[cls];
  return h('section', { class: `result ${cls}`, id: 'result', 'data-result': cls },
    h('div', { class: 'r-mark', 'aria-hidden': 'true', text: mark }),
    h('div', { class: 'r-title', id: 'result-title', text: title }),
    pts !== null ? h('div', { class: 'r-points', id: 'result-points', text: `${pts > 0 ? '+' : ''}${t('common.points', { n: fmtPoints(pts) })}` }) : null,
    res && res.star ? h('div', { class: 'r-star', text: `★ ${t('play.star')}` }) : null,
    S.teamAnswer ? h('div', { class: 'r-yours', text: t('play.team_chose', { answer: answerLabel(S.teamAnswer.response, q), name: memberName(S.teamAnswer.contestant_id) }) }) : null,
    q.solution ? h('div', { class: 'r-solution', id: 'solution', text: t('play.solution', { a: solutionLabel(q.solution, q) }) }) : null);
}

/** The revealed answer in an elimination part. */
function elimSolution() {
  const q = S.q;
  if (!q.solution) return null;
  return h('section', { class: 'result none', id: 'result' },
    h('div', { class: 'r-solution', id: 'solution', text: t('play.solution', { a: solutionLabel(q.solution, q) }) }));
}

function rankCard() {
  if (S.rank == null || S.rank === 0) return null;
  return h('section', { class: 'rank-card', id: 'rank' },
    h('div', { class: 'rc-cell' }, h('small', { text: t('play.rank') }), h('b', { id: 'rank-no', text: String(S.rank) })),
    h('div', { class: 'rc-cell' }, h('small', { text: t('play.total') }), h('b', { id: 'rank-total', text: fmtPoints(S.total || 0) })),
    S.frozen ? h('p', { class: 'rc-frozen', id: 'rank-frozen', text: t('play.frozen') }) : null);
}

const VIEWS = {
  buzzer() {
    return buzzer.build();
  },
  wait() {
    return [
      h('section', { class: 'team-card' },
        h('div', { class: 'tc-label', text: t('common.team') }),
        h('h2', { class: 'tc-name', id: 'wait-team', text: (S.team && S.team.name) || me.team_name || '' }),
        S.team && S.team.unit ? h('div', { class: 'tc-unit', text: S.team.unit }) : null,
        S.part ? h('div', { class: 'tc-part', text: S.part.title }) : null,
        h('div', { class: 'tc-members-label', text: t('play.members') }),
        membersCard()),
      S.frozen ? rankCard() : null,
      waitingLine(),
      h('p', { class: 'hint', text: t('play.waiting_hint') }),
    ].filter(Boolean);
  },
  ready() {
    refs.count = h('div', { class: 'ready-count', id: 'ready-count' });
    return [
      h('div', { class: 'ready' },
        h('div', { class: 'ready-no', text: t('play.question', { no: S.q.no }) }),
        refs.count,
        h('div', { class: 'ready-label', text: t('play.get_ready') })),
    ];
  },
  question() {
    const q = S.q;
    const pq = q.question;
    refs.timer = h('div', { class: 'timer', id: 'timer' }, h('b', { id: 'timer-num' }), h('small', { id: 'timer-label' }));
    refs.reading = h('div', { class: 'reading', id: 'reading', hidden: true }, h('span', { text: t('play.reading') }));
    const head = h('div', { class: 'q-head' },
      h('div', { class: 'q-meta' },
        h('span', { class: 'q-no', id: 'q-no', text: q.total ? t('common.question_no', { no: q.no, total: q.total }) : t('play.question', { no: q.no }) }),
        h('span', { class: 'q-pts', text: t('common.points', { n: fmtPoints(pq.points) }) })),
      refs.timer);
    const prompt = h('div', { class: 'prompt', id: 'q-prompt', text: pq.prompt });
    refs.buttons = [];
    let answers;
    if (pq.kind === 'single' || pq.kind === 'multiple') {
      const multi = pq.kind === 'multiple';
      // Short options sit two by two like tiles; long ones get a row each.
      const tiles = pq.options.length <= 4 && pq.options.every((o) => o.length <= 26);
      answers = h('div', { class: `options n${pq.options.length}${tiles ? ' tiles' : ''}`, id: 'options' });
      pq.options.forEach((text, i) => {
        const b = h('button', {
          type: 'button', class: `opt opt-${i % 4}`, 'data-i': String(i), 'aria-pressed': 'false',
          onclick: () => {
            if (!multi) { send({ choice: i }); return; }
            if (!canAnswer()) return;
            if (S.choices.has(i)) S.choices.delete(i); else S.choices.add(i);
            update();
          },
        }, shape(i), h('span', { class: 'letter', text: LETTERS[i] }), h('span', { class: 'opt-text', text }),
        multi ? h('span', { class: 'tick', 'aria-hidden': 'true' }) : null);
        refs.buttons.push(b);
        answers.append(b);
      });
      if (multi) {
        refs.confirm = h('button', {
          type: 'button', class: 'btn block big-btn confirm', id: 'confirm', text: t('play.confirm'),
          onclick: () => {
            if (!S.choices.size) { refs.localErr = t('play.pick_one'); update(); return; }
            refs.localErr = '';
            send({ choices: [...S.choices].sort((a, b) => a - b) });
          },
        });
        // The hint sits above the options, not in the status bar floating over them.
        answers = [h('p', { class: 'multi-hint', id: 'multi-hint', text: t('play.multi_hint') }), answers, refs.confirm];
      }
    } else if (pq.kind === 'true_false') {
      answers = h('div', { class: 'options tf', id: 'options' });
      for (const v of [true, false]) {
        const b = h('button', { type: 'button', class: `opt ${v ? 'opt-true' : 'opt-false'}`, 'data-value': String(v), 'aria-pressed': 'false', onclick: () => send({ value: v }) },
          h('span', { class: 'tf-mark', 'aria-hidden': 'true', text: v ? '✓' : '✗' }),
          h('span', { class: 'opt-text', text: v ? t('play.true') : t('play.false') }));
        refs.buttons.push(b);
        answers.append(b);
      }
    } else {
      const num = pq.kind === 'number';
      refs.input = h('input', {
        id: num ? 'number-input' : 'text-input', class: 'free-input', autocomplete: 'off', spellcheck: 'false',
        inputmode: num ? 'decimal' : 'text', maxlength: '200',
        placeholder: num ? t('play.number_ph') : t('play.text_ph'),
        onkeydown: (e) => { if (e.key === 'Enter') { e.preventDefault(); submitFree(); } },
        oninput: () => { refs.localErr = ''; update(); },
      });
      refs.read = num ? h('div', { class: 'read-as', id: 'number-read' }) : null;
      refs.send = h('button', { type: 'button', class: 'btn block big-btn', id: 'send', text: t('play.send'), onclick: submitFree });
      answers = h('div', { class: 'free', id: 'options' },
        h('div', { class: 'free-row' }, refs.input, num && pq.unit ? h('span', { class: 'unit', text: pq.unit }) : null),
        refs.read, refs.send);
    }
    if (S.part && S.part.star_of_hope) {
      refs.star = h('button', {
        type: 'button', class: 'star', id: 'star', 'aria-pressed': 'false',
        onclick: () => {
          if (S.starUsed || !canAnswerIgnoringSend()) return;
          S.starOn = !S.starOn;
          // A star on the team's answer already sent: send it again with the star (of any
          // kind: a ticked star over an answer stored without it would mislead).
          const r = shownResponse();
          if (r) send(r);
          update();
        },
      }, h('span', { class: 'star-icon', 'aria-hidden': 'true', text: '★' }),
      h('span', { class: 'star-text' }, h('b', { text: t('play.star') }), h('small', { id: 'star-hint', text: t('play.star_hint') })));
    }
    refs.status = h('div', { class: 'answer-status', id: 'answer-status', role: 'status' });
    refs.team = h('div', { class: 'team-answer', id: 'team-answer' });
    refs.captain = h('div', { class: 'captain-note', id: 'captain-note', hidden: true });
    const dock = h('div', { class: 'dock' }, refs.status, refs.team);
    // The star comes before the answers: a single choice is sent on the first tap.
    return [head, refs.reading, prompt, refs.captain, refs.star || null, answers, dock].flat().filter(Boolean);
  },
  closed() {
    refs.team = h('div', { class: 'team-answer', id: 'team-answer' });
    return [
      h('section', { class: 'big-state time-up', id: 'time-up' },
        h('div', { class: 'bs-icon' }, icon('clock')),
        h('h2', { text: t('play.time_up') }),
        h('p', { text: t('play.time_up_hint') })),
      S.q.question ? h('div', { class: 'prompt small', text: S.q.question.prompt }) : null,
      refs.team,
    ].filter(Boolean);
  },
  revealed() {
    // An elimination part has no team result per question: the banner says where I stand.
    if (S.elim) return [elimSolution(), waitingLine()].filter(Boolean);
    return [resultCard(), rankCard(), waitingLine()].filter(Boolean);
  },
  voided() {
    return [
      h('section', { class: 'big-state voided', id: 'voided' },
        h('div', { class: 'bs-icon' }, icon('void')),
        h('h2', { text: t('play.voided') }),
        S.q.reason ? h('p', { class: 'reason', id: 'void-reason', text: S.q.reason }) : null,
        h('p', { text: t('play.voided_hint') })),
      waitingLine(),
    ];
  },
  finished() {
    return [
      h('section', { class: 'big-state finished', id: 'finished' },
        h('div', { class: 'bs-icon' }, icon('flag')),
        h('h2', { text: t('play.part_finished') }),
        S.rank ? h('p', { id: 'finished-standing', text: t('play.standing', { rank: S.rank, total: fmtPoints(S.total || 0) }) }) : null),
      rankCard(),
      waitingLine(),
    ].filter(Boolean);
  },
  /** A judged part: who is on stage now; the performing team's own phones say it is them. */
  stage() {
    const p = S.performing;
    const mine = p.team_id === me.team_id;
    return [
      h('section', { class: `on-stage${mine ? ' mine' : ''}`, id: 'on-stage' },
        h('div', { class: 'os-light', 'aria-hidden': 'true' }),
        h('div', { class: 'os-kicker', text: mine ? p.team_name : t('play.on_stage') }),
        h('h2', { class: 'os-name', id: 'on-stage-name', text: mine ? t('play.on_stage_you') : p.team_name }),
        mine ? h('p', { class: 'os-hint', text: t('play.on_stage_you_hint') }) : null,
        p.slot ? h('div', { class: 'os-slot', text: t('play.on_stage_slot', { n: p.slot, total: p.teams }) }) : null),
      S.frozen ? rankCard() : null,
    ].filter(Boolean);
  },
  tiebreak() {
    return [
      h('section', { class: 'big-state tiebreak', id: 'tiebreak-other' },
        h('div', { class: 'bs-icon' }, icon('flag')),
        h('h2', { text: t('play.tiebreak_other') }),
        h('p', { text: t('play.tiebreak_hint') })),
      rankCard(),
    ].filter(Boolean);
  },
  over() {
    return [
      h('section', { class: 'big-state finished', id: 'over' },
        h('div', { class: 'bs-icon' }, icon('trophy')),
        h('h2', { text: t('play.contest_closed') }),
        S.rank ? h('p', { text: t('play.standing', { rank: S.rank, total: fmtPoints(S.total || 0) }) }) : null),
      rankCard(),
    ].filter(Boolean);
  },
};

function canAnswerIgnoringSend() {
  const q = S.q;
  if (!q || q.status !== 'open' || !q.question) return false;
  const tm = timing();
  return !(tm.reading || tm.paused || tm.over || tm.beforeShow) && !(captainOnly() && !amCaptain())
    && !elim.locked(S.elim, me.contestant_id);
}

function submitFree() {
  const pq = S.q && S.q.question;
  if (!pq || !refs.input) return;
  const raw = refs.input.value.trim();
  if (pq.kind === 'number') {
    const n = parseNumber(raw);
    if (n === null) { refs.localErr = raw ? t('play.not_number') : t('play.text_empty'); update(); return; }
    send({ number: n });
  } else {
    if (!raw) { refs.localErr = t('play.text_empty'); update(); return; }
    send({ text: raw });
  }
}

/** Updates what changes within a view: countdowns, states of buttons, answer lines. */
function update() {
  if (gone || !hasSession) return;
  if (buzzer) buzzer.tick();
  const q = S.q;
  const tm = timing();
  const view = $('stage').dataset.view;
  $('paused').hidden = !(q && q.status === 'open' && q.paused_at);
  elim.banner($('elim'), S.elim, me.contestant_id, view === 'question' || view === 'ready');
  // The standing in the footer once the team has a result.
  const st = $('standing');
  st.hidden = !(S.rank && S.results.size > 0) || !['wait', 'closed', 'voided'].includes(view);
  $('st-rank').textContent = S.rank ? String(S.rank) : '–';
  $('st-total').textContent = fmtPoints(S.total || 0);
  const unsent = live ? live.pending().length > 0 && !live.connected : false;
  $('pending').hidden = !(unsent && view !== 'question');

  if (view === 'ready' && refs.count) {
    const s = q.shows_at != null ? Math.max(0, Math.ceil((q.shows_at - tm.now) / 1000)) : 0;
    refs.count.textContent = s > 0 ? String(s) : '…';
  }
  if (view === 'wait') {
    const list = $('members');
    if (list && list.children.length !== S.joined.size) list.replaceWith(membersCard());
  }
  if (refs.team) {
    const a = S.teamAnswer;
    refs.team.textContent = a ? t('play.team_chose', { answer: answerLabel(a.response, q), name: memberName(a.contestant_id) }) : '';
    refs.team.hidden = !a;
  }
  if (view !== 'question' || !refs.timer) return;

  // The countdown: to the opening during the reading time, then to the deadline.
  const timer = refs.timer;
  let secs;
  let frac = 1;
  if (tm.reading) {
    secs = Math.max(0, Math.ceil((q.opens_at - tm.now) / 1000));
    const span = q.opens_at - (q.shows_at ?? q.opens_at);
    frac = span > 0 ? (q.opens_at - tm.now) / span : 0;
    $('timer-label').textContent = t('play.opens_in');
  } else {
    const left = Math.max(0, tm.left ?? 0);
    secs = Math.ceil(left / 1000);
    const span = (q.question.time_limit_s || 0) * 1000;
    frac = span > 0 ? left / span : 0;
    $('timer-label').textContent = tm.over ? '' : t('play.time_left');
  }
  $('timer-num').textContent = tm.over && !tm.reading ? t('play.time_up') : String(secs);
  timer.dataset.phase = tm.reading ? 'reading' : tm.paused ? 'paused' : tm.over ? 'over' : secs <= 5 ? 'hurry' : 'running';
  timer.style.setProperty('--p', String(Math.max(0, Math.min(1, frac))));
  refs.reading.hidden = !tm.reading;

  const open = canAnswerIgnoringSend();
  const busy = sendingNow();
  const chosen = shownResponse();
  for (const b of refs.buttons) {
    let on;
    if (b.dataset.i !== undefined) {
      const i = Number(b.dataset.i);
      on = q.question.kind === 'multiple'
        ? (S.choices.size || !chosen ? S.choices.has(i) : (chosen.choices || []).includes(i))
        : !!chosen && chosen.choice === i;
    } else {
      on = !!chosen && String(chosen.value) === b.dataset.value;
    }
    b.disabled = !open || busy;
    b.classList.toggle('chosen', on);
    b.classList.toggle('dim', !!chosen && !on && q.question.kind !== 'multiple');
    b.setAttribute('aria-pressed', String(on));
  }
  if (refs.confirm) refs.confirm.disabled = !open || busy;
  if (refs.input) {
    refs.input.disabled = !open;
    refs.send.disabled = !open || busy;
    if (refs.read) {
      const raw = refs.input.value.trim();
      const n = parseNumber(raw);
      refs.read.textContent = raw ? (n === null ? t('play.not_number') : t('play.read_as', { n: formatNumber(n, lang()) })) : '';
      refs.read.classList.toggle('bad', !!raw && n === null);
    }
  }
  if (refs.star) {
    if (S.starQ != null && S.starQ !== q.id) S.starUsed = true;
    refs.star.disabled = S.starUsed || !open;
    refs.star.setAttribute('aria-pressed', String(!!S.starOn));
    refs.star.classList.toggle('on', !!S.starOn);
    $('star-hint').textContent = S.starUsed ? t('play.star_used') : t('play.star_hint');
  }
  const capNote = captainOnly();
  refs.captain.hidden = !capNote;
  if (capNote) {
    const cap = captainName();
    refs.captain.textContent = amCaptain() ? t('play.captain_only_you') : t('play.captain_only', { name: cap ? ` (${cap})` : '' });
    refs.captain.classList.toggle('me', amCaptain());
  }

  // The state of my answer: sending, waiting for the network, recorded, refused.
  const m = S.mine && S.mine.qid === q.id ? S.mine : null;
  let state = '';
  let text = '';
  if (refs.localErr) { state = 'error'; text = refs.localErr; } else if (m && m.state === 'sending') {
    const late = !live.connected || Date.now() - m.at >= PENDING_AFTER_MS;
    const stalled = live.isStalled(q.id);
    state = late || stalled ? 'pending' : 'sending';
    text = stalled ? t('play.pending_server') : late ? t('play.pending') : t('play.sending');
  } else if (m && m.state === 'recorded') {
    state = 'recorded';
    text = t('play.recorded');
  } else if (m && m.state === 'error') {
    state = 'error';
    text = errorText(m.error);
  }
  refs.status.dataset.state = state;
  refs.status.textContent = text;
}

// ---- start

if (hasSession) {
  apply();
  langToggle($('lang'));
  document.addEventListener('langchange', () => render(true));
  live = new Live({ token: me.token, onMessage, onStatus, outboxKey: `hoithi.outbox.${me.contestant_id}` });
  render(true);
  live.start();

  loadTeam();
  setInterval(update, 200);
  // Teammates who join later show up in the waiting room: the server sends `team_changed`
  // to the team's phones on every join, and a phone reads the team again on reconnect.
  // Views that depend on the clock (get ready → question) switch on their own.
  setInterval(() => { if (viewName() !== $('stage').dataset.view) render(); }, 200);
}
