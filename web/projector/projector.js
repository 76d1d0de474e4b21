// The hall's big screen. It follows one contest over the live socket with the view-only
// token of the projector link (from the address's #token=…, kept in this browser so a
// reload works, and sent nowhere but the socket) and shows, by itself: the standings
// between questions, the get-ready countdown, the question with its reading and answer
// countdowns and the number of teams that answered, the distribution once closed, the
// right answer and the explanation once revealed. Nobody touches it during the contest.
import { apply, t } from '/assets/shared/i18n.js';
import { Live, claimsOf } from '/assets/shared/live.js';
import { Board } from './board.js';
import { Ceremony } from './ceremony.js';
import { chart, letter, rightKeys } from './chart.js';
import { h } from './dom.js';
import * as elimination from './elimination.js';
import * as judged from './judged.js';

const $ = (id) => document.getElementById(id);
const RING = 2 * Math.PI * 88;

apply();

const stage = $('stage');
const contestId = Number((location.pathname.match(/\/projector\/(\d+)/) || [])[1]);
const params = new URLSearchParams(location.hash.replace(/^#/, ''));
// How long the reveal and a voided notice stay before the standings come back (s).
const HOLD_MS = 1000 * (Number(params.get('hold')) || 15);

// --- the stage is drawn at 1920×1080 and scaled to the screen ---
function fit() {
  const k = Math.min(innerWidth / 1920, innerHeight / 1080);
  stage.style.transform = `scale(${k})`;
  stage.style.left = `${(innerWidth - 1920 * k) / 2}px`;
  stage.style.top = `${(innerHeight - 1080 * k) / 2}px`;
  return k;
}
let scale = fit();
addEventListener('resize', () => { scale = fit(); });

const board = new Board($('board'), $('board-pages'), $('board-empty'));
board.scale = () => scale;
const ceremony = new Ceremony($('scene-ceremony'));
// A board unfrozen while this screen was away: the connect snapshot has no ceremony.
let ceremonyCheck = 0;

// --- the token: from the fragment once, then from this browser ---
function storedToken() {
  const key = `hoithi.projector.${contestId}`;
  const fromHash = params.get('token');
  if (fromHash) {
    try { sessionStorage.setItem(key, fromHash); localStorage.setItem(key, fromHash); } catch (_) { /* private mode */ }
    // The token leaves the address bar (the laptop's screen is the hall's).
    const keep = new URLSearchParams(params);
    keep.delete('token');
    history.replaceState(null, '', location.pathname + (keep.toString() ? `#${keep}` : ''));
    return fromHash;
  }
  try { return sessionStorage.getItem(key) || localStorage.getItem(key); } catch (_) { return null; }
}

function validToken(tok) {
  const c = tok && claimsOf(tok);
  return !!c && c.role === 'audience' && c.cid === contestId && (!c.exp || c.exp * 1000 > Date.now());
}

// --- what the screen knows ---
const S = {
  name: '',
  part: null, // {id, title, questions}
  q: null, // the current question (see onQuestion)
  totalTeams: 0,
  rows: [],
  partDone: null, // title of the part just finished
  holdUntil: 0, // reveal or void shown until then, then the standings
  invalid: false,
};

// --- the buzzer part (./buzzer.js, loaded when one runs) ---
let buzzerScene = null;
let buzzerLoading = false;
function takeBuzzer(v) {
  S.buzzer = v;
  if (v && !buzzerScene && !buzzerLoading) {
    buzzerLoading = true;
    import('./buzzer.js').then((m) => { buzzerScene = m.createScene($('scene-buzzer')); tick(); });
  }
  if (v && v.status === 'revealed' && S.buzzerRevealed !== v.question_id) {
    S.buzzerRevealed = v.question_id;
    S.holdUntil = Date.now() + HOLD_MS;
  }
}

/** The buzzer scene, while a buzzer part shows a question. */
function buzzerTick(now) {
  const v = S.buzzer;
  if (!v || !S.part || S.part.kind !== 'buzzer' || S.partDone !== null || !buzzerScene) return false;
  if (v.status === 'voided' || (v.status === 'revealed' && Date.now() >= S.holdUntil)) return false;
  show('buzzer');
  $('q-no').hidden = true;
  buzzerScene.draw(v, now);
  return true;
}

function show(scene) {
  if (stage.dataset.scene === scene) return;
  stage.dataset.scene = scene;
  for (const el of document.querySelectorAll('.scene')) el.hidden = el.id !== `scene-${scene}`;
}

function invalid() {
  S.invalid = true;
  show('invalid');
  $('conn').hidden = true;
}

// --- messages ---
function onMessage(m) {
  elimination.onMessage(m);
  judged.onMessage(m);
  switch (m.type) {
    case 'state':
      stage.dataset.connects = String(Number(stage.dataset.connects || 0) + 1);
      fromState(m.state);
      clearTimeout(ceremonyCheck);
      ceremonyCheck = setTimeout(() => { ceremony.set(null); tick(); }, 2000);
      break;
    case 'ceremony':
      clearTimeout(ceremonyCheck);
      ceremony.set(m.ceremony);
      break;
    case 'part_started':
      S.part = m.part; S.partDone = null; S.q = null; break;
    case 'part_finished':
      S.partDone = (S.part && S.part.title) || ''; S.q = null; break;
    case 'get_ready':
      S.partDone = null;
      S.q = { id: m.question_id, no: m.no, status: 'open', shows_at: m.shows_at, opens_at: m.opens_at, deadline_at: null, question: null, answered: 0, distribution: [], solution: null, explanation: '' };
      break;
    case 'question_opened':
      S.partDone = null;
      S.q = { ...(S.q && S.q.id === m.question_id ? S.q : { answered: 0 }), id: m.question_id, no: m.no, total: m.total, status: 'open', question: m.question,
        shows_at: m.shown_at, opens_at: m.opened_at, deadline_at: m.deadline_at, paused_at: null, remaining_ms: null, distribution: [], solution: null, explanation: '' };
      if (S.part) S.part.questions = m.total;
      drawQuestion();
      break;
    case 'countdown':
      if (S.q && S.q.id === m.question_id) { S.q.answered = m.answered_teams; S.q.deadline_at = m.deadline_at; }
      S.totalTeams = m.total_teams;
      break;
    case 'paused':
      if (S.q && S.q.id === m.question_id) { S.q.paused_at = m.paused_at; S.q.remaining_ms = m.remaining_ms; }
      break;
    case 'resumed':
      if (S.q && S.q.id === m.question_id) { S.q.paused_at = null; S.q.deadline_at = m.deadline_at; }
      break;
    case 'closed':
      if (S.q && S.q.id === m.question_id) { S.q.status = 'closed'; S.q.distribution = m.distribution || []; drawQuestion(); }
      break;
    case 'revealed':
      if (S.q && S.q.id === m.question_id) {
        S.q.status = 'revealed'; S.q.solution = m.solution; S.q.explanation = m.explanation || '';
        S.q.distribution = m.distribution || S.q.distribution;
        S.holdUntil = Date.now() + HOLD_MS;
        drawQuestion();
      }
      break;
    case 'voided':
      if (S.q && S.q.id === m.question_id) { S.q.status = 'voided'; S.q.reason = m.reason; S.holdUntil = Date.now() + HOLD_MS; }
      $('voided-reason').textContent = m.reason || '';
      break;
    case 'buzzer':
      takeBuzzer(m.buzzer);
      break;
    case 'public_scoreboard':
      S.rows = m.rows || [];
      board.set(S.rows);
      break;
    default: break;
  }
  header();
  tick();
}

function fromState(st) {
  takeBuzzer(st.buzzer || null);
  S.name = st.contest_name || '';
  S.totalTeams = st.total_teams || 0;
  S.part = st.part;
  S.partDone = st.part && st.part.status === 'finished' ? st.part.title : null;
  const q = st.question;
  if (!q || S.partDone !== null) { S.q = null; return; }
  const same = S.q && S.q.id === q.id;
  S.q = {
    id: q.id, no: q.no, total: st.part ? st.part.questions : null, status: q.status, question: q.question,
    shows_at: q.shows_at, opens_at: q.opens_at, deadline_at: q.deadline_at, paused_at: q.paused_at,
    remaining_ms: q.remaining_ms, answered: q.answered_teams, solution: q.solution, explanation: q.explanation || '',
    distribution: q.distribution || (same ? S.q.distribution : []), reason: same ? S.q.reason : '',
  };
  // A reconnect after the reveal does not bring the reveal back for another hold.
  if (!same && (q.status === 'revealed' || q.status === 'voided')) S.holdUntil = 0;
  drawQuestion();
}

// --- the header ---
function header() {
  $('contest-name').textContent = S.name;
  document.title = S.name ? `${S.name} — ${t('projector.title')}` : t('projector.title');
  $('part-title').textContent = S.part ? S.part.title : '';
  const qno = $('q-no');
  if (S.q && S.q.no && S.part) {
    qno.hidden = false;
    qno.textContent = t('common.question_no', { no: S.q.no, total: S.part.questions || S.q.total || '?' });
  } else qno.hidden = true;
}

// --- the question scene ---
const OPT = ['a', 'b', 'c', 'd'];

function optionList(q) {
  if (!q) return [];
  if (q.kind === 'single' || q.kind === 'multiple') return q.options;
  if (q.kind === 'true_false') return [t('projector.true'), t('projector.false')];
  return [];
}

function drawQuestion() {
  const q = S.q;
  if (!q || !q.question) return;
  const pq = q.question;
  $('q-badge').textContent = t('projector.q_badge', { no: q.no });
  $('question').textContent = pq.prompt;
  $('question').classList.toggle('long', pq.prompt.length > 160);
  const after = q.status === 'closed' || q.status === 'revealed';
  const right = q.status === 'revealed' ? rightKeys(q.solution, (q.distribution || []).map((d) => d[0])) : null;
  const opts = optionList(pq);
  const box = $('options');
  box.replaceChildren(...opts.map((text, i) => h('div', {
    class: `opt opt-${OPT[i] || 'x'}${right ? (right.options.has(i) ? ' right' : ' dim') : ''}`,
    'data-key': pq.kind === 'true_false' ? String(i === 0) : letter(i),
  }, h('span', { class: 'opt-key' }, pq.kind === 'true_false' ? (i === 0 ? 'Đ' : 'S') : letter(i)), h('span', { class: 'opt-text' }, text))));
  box.classList.toggle('many', opts.length > 4);
  box.classList.toggle('long', opts.some((o) => o.length > 60));
  box.hidden = after || opts.length === 0;
  const free = $('free-answer');
  free.hidden = after || opts.length > 0;
  free.textContent = pq.kind === 'number' ? t('projector.free_number', { unit: pq.unit || '' }) : t('projector.free_text');
  const dist = $('dist');
  dist.hidden = !after;
  // In an elimination part each contestant answers for themselves.
  const distTitle = S.part && S.part.kind === 'elimination' ? 'projector.distribution_elim' : 'projector.distribution';
  $('dist-title').dataset.i18n = distTitle;
  $('dist-title').textContent = t(distTitle);
  if (after) $('dist-chart').replaceChildren(chart(pq, q.distribution, right));
  $('explanation').hidden = !(right && q.explanation);
  $('explanation-text').textContent = q.explanation || '';
  $('solution').hidden = !right;
  $('solution-key').textContent = right ? right.text : '';
  $('scene-question').classList.toggle('revealed', !!right);
  $('scene-question').classList.toggle('after', after);
}

// --- the clock: which scene, the countdowns ---
function secs(ms) { return Math.max(0, Math.ceil(ms / 1000)); }

function ring(frac, num, cap, phase) {
  const c = $('countdown');
  if (c.dataset.phase !== phase) c.dataset.phase = phase;
  const arc = $('ring-arc');
  arc.style.strokeDasharray = `${RING}`;
  arc.style.strokeDashoffset = `${RING * (1 - Math.max(0, Math.min(1, frac)))}`;
  if ($('countdown-num').textContent !== num) $('countdown-num').textContent = num;
  if ($('countdown-cap').textContent !== cap) $('countdown-cap').textContent = cap;
}

function answered() {
  const n = S.q ? S.q.answered || 0 : 0;
  $('answered-n').textContent = String(n);
  $('answered-total').textContent = `/${S.totalTeams}`;
}

function tick() {
  if (S.invalid) return;
  if (ceremony.active()) { show('ceremony'); ceremony.draw(); return; }
  const now = live ? live.now() : Date.now();
  // A judged part: the release moment, else the team on stage.
  const asking = (S.q && S.q.status === 'open') || (S.buzzer && S.buzzer.status === 'open');
  const js = judged.scene(!!S.part && S.part.status === 'running' && S.partDone === null, !!asking);
  if (js === 'release') { show('release'); return; }
  if (buzzerTick(now)) return;
  const q = S.q;
  if (!q || (q.status === 'pending')) return js === 'stage' ? show('stage') : standings();
  if (q.status === 'voided') {
    if (Date.now() < S.holdUntil) return show('voided');
    return standings();
  }
  if (q.status === 'open' && ((q.shows_at && now < q.shows_at) || !q.question)) {
    show('ready');
    $('ready-no').textContent = t('projector.q_badge', { no: q.no });
    const n = String(secs((q.shows_at || now) - now));
    if ($('ready-count').textContent !== n) {
      $('ready-count').textContent = n;
      $('ready-count').classList.remove('beat');
      void $('ready-count').offsetWidth;
      $('ready-count').classList.add('beat');
    }
    return;
  }
  if (!q.question) return standings();
  if (q.status === 'revealed' && Date.now() >= S.holdUntil) return standings();
  show('question');
  answered();
  const cd = $('countdown');
  if (cd.dataset.deadline !== String(q.deadline_at || '')) cd.dataset.deadline = String(q.deadline_at || '');
  if (cd.dataset.question !== String(q.id)) cd.dataset.question = String(q.id);
  const limit = (q.question.time_limit_s || 0) * 1000;
  if (q.status === 'open') {
    if (q.opens_at && now < q.opens_at) {
      const span = Math.max(1, q.opens_at - (q.shows_at || q.opens_at));
      ring((q.opens_at - now) / span, String(secs(q.opens_at - now)), t('projector.reading'), 'reading');
    } else if (q.paused_at) {
      const left = q.remaining_ms != null ? q.remaining_ms : Math.max(0, q.deadline_at - q.paused_at);
      ring(limit ? left / limit : 1, String(secs(left)), t('projector.paused'), 'paused');
    } else {
      const left = Math.max(0, (q.deadline_at || now) - now);
      ring(limit ? left / limit : 0, String(secs(left)), t('projector.answer_now'), left <= 5000 ? 'hurry' : 'answering');
    }
  } else {
    ring(1, '0', t(q.status === 'revealed' ? 'projector.revealed' : 'projector.time_up'), q.status);
  }
}

function standings() {
  show('board');
  const title = $('board-title');
  const sub = $('board-sub');
  if (S.partDone !== null) {
    title.textContent = t('projector.part_done', { title: S.partDone });
    sub.textContent = t('projector.standings');
  } else {
    title.textContent = t('projector.standings');
    const judgedPart = S.part && S.part.kind === 'judged' && S.part.status === 'running';
    sub.textContent = judgedPart ? t('judged.waiting') : S.part ? t('projector.waiting') : t('projector.before');
  }
  if (ceremony.frozen()) {
    const at = new Date(ceremony.view.frozen_at).toLocaleTimeString('vi-VN', { hour: '2-digit', minute: '2-digit' });
    sub.textContent = t('projector.frozen', { at });
  }
}

// --- connection ---
function onStatus(st) {
  if (st === 'unauthorized' || st === 'revoked') { invalid(); return; }
  const conn = $('conn');
  conn.dataset.status = st;
  $('conn-dot').className = st === 'open' ? 'dot on' : 'dot off';
  $('conn-text').textContent = t(st === 'open' ? 'projector.live' : st === 'offline' ? 'common.offline' : 'common.connecting');
}

/**
 * The view-only token opens the socket and nothing else, so it is never shown to the API:
 * a socket that keeps failing while the server answers /readyz means the link is bad.
 */
class ProjectorLive extends Live {
  async checkToken() {
    this.fails = (this.fails || 0) + 1;
    if (this.fails < 3) return;
    try {
      const r = await fetch('/readyz', { cache: 'no-store' });
      if (r.ok) { this.stopped = true; clearTimeout(this.timer); this.setStatus('unauthorized'); }
    } catch (_) { /* the server is down: keep trying */ }
  }
}

let live = null;
const token = storedToken();
if (!contestId || !validToken(token)) {
  invalid();
} else {
  live = new ProjectorLive({ token, onMessage, onStatus: (st) => { if (st === 'open') live.fails = 0; onStatus(st); } });
  live.start();
  setInterval(tick, 100);
  tick();
}
document.addEventListener('langchange', () => { header(); drawQuestion(); });
