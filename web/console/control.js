// The live control room: start a part, next, pause/resume, close, reveal, void with a
// reason, finish; keyboard shortcuts on screen; the current question with its key (from
// the part's questions, which the organiser may read before the reveal), the countdown
// by the server's clock, the teams that answered, the staff scoreboard and the projector.
import { api } from '/assets/shared/api.js';
import { t, errorText } from '/assets/shared/i18n.js';
import { h, clear, say, fmtNum } from './dom.js';
import { projectorBlock } from './overview.js';
import { answerText, correctIndexes } from './parts.js';
import { healthStrip } from './health.js';
import { elimPanel } from './elimination.js';
import { ceremonyCard } from './ceremony.js';
import { buzzerControls } from './buzzer.js';
import { judgedStage } from './stage.js';

const LETTERS = 'ABCDEFGHIJ';

export async function render(ctx, root) {
  const c = ctx.contest;
  let parts = await api('GET', `/api/contests/${c.id}/parts`);
  const teams = await api('GET', `/api/contests/${c.id}/teams`);
  const keys = new Map(); // part question id -> snapshot (with the solution)
  const loadedParts = new Set();
  let chosenPart = parts.find((p) => p.status === 'running')?.id ?? parts.find((p) => p.status === 'pending')?.id ?? parts[0]?.id ?? null;

  async function loadKeys(pid) {
    if (!pid || loadedParts.has(pid)) return;
    loadedParts.add(pid);
    try {
      const r = await api('GET', `/api/contests/${c.id}/parts/${pid}/questions`);
      for (const q of r.questions) keys.set(q.id, { ...q.question, position: q.position, points: q.points });
    } catch (_) { loadedParts.delete(pid); }
  }

  if (!ctx.board) api('GET', `/api/contests/${c.id}/scoreboard`).then((r) => { ctx.board = r.board || ctx.board; draw(); }).catch(() => {});

  // ---- layout
  const partBar = h('div.part-bar#live-parts');
  const stage = h('section.card.stage#live-stage');
  const qHead = h('div.stage-head');
  const countdown = h('div.countdown#live-countdown');
  const phase = h('div.phase#live-phase');
  const qBody = h('div.stage-body#live-question');
  const dist = h('div.dist#live-distribution');
  stage.append(h('div.stage-top', qHead, h('div.clock', phase, countdown)), qBody, dist);

  const btn = (id, key, label, cls = 'secondary') => h(`button.btn.ctl.${cls}#${id}`, { type: 'button', data: { key } }, h('span.ctl-label', label), key ? h('kbd', key) : null);
  const bStart = btn('live-start', 'S', t('console.live.start'), 'gold');
  const bNext = btn('live-next', 'N', t('console.live.next'), 'primary');
  const bPause = btn('live-pause', 'P', t('console.live.pause'));
  const bClose = btn('live-close', 'C', t('console.live.close'));
  const bReveal = btn('live-reveal', 'R', t('console.live.reveal'));
  const bVoid = btn('live-void', 'V', t('console.live.void'), 'ghost');
  const bFinish = btn('live-finish', 'F', t('console.live.finish'), 'ghost');
  const ctlMsg = h('div.form-msg#live-msg', { hidden: true, role: 'alert' });
  const voidReason = h('input#void-reason', { placeholder: t('console.live.void_reason_ph'), data: { field: 'reason' }, maxLength: 300 });
  const voidForm = h('form.void-form#void-form', { hidden: true, novalidate: true },
    h('label', { htmlFor: 'void-reason' }, t('console.live.void_reason')), h('div.row', voidReason,
      h('button.btn.small#void-confirm', { type: 'submit' }, t('console.live.void_confirm')),
      h('button.btn.small.ghost', { type: 'button', onclick: () => { voidForm.hidden = true; } }, t('common.cancel'))));
  const buzz = buzzerControls({ act: (...a) => act(...a), btn });
  const stageUi = judgedStage(ctx);
  const controls = h('section.card.controls#live-controls',
    h('div.ctl-row', bStart, bNext, bPause, bClose, bReveal, bVoid, bFinish), buzz.row, voidForm, ctlMsg,
    h('div.shortcuts', t('console.live.shortcuts')));

  const answeredBox = h('section.card#live-answered');
  const elim = elimPanel(ctx);
  const boardBox = h('section.card#live-board-card');
  const ceremony = ceremonyCard(ctx);
  const proj = h('section.card.proj-card', h('h2', t('console.projector.title')), projectorBlock(ctx, { compact: true }));

  const health = healthStrip();
  root.append(h('div.page-head.live-head', h('h1', t('console.nav.live')), partBar), health.el,
    h('div.live-grid', h('div.live-main', stage, controls), h('div.live-side', elim.el, answeredBox, boardBox, ceremony.el, proj)));

  // ---- actions
  async function act(path, b, body) {
    b.disabled = true;
    say(ctlMsg, 'ok', '');
    try {
      const st = await api('POST', `/api/contests/${c.id}${path}`, body || {});
      if (st && st.contest_id) ctx.liveState = st;
      if (path.endsWith('/start') || path.endsWith('/finish')) parts = await api('GET', `/api/contests/${c.id}/parts`);
      draw();
      return true;
    } catch (e) {
      say(ctlMsg, 'err', e.code === 'invalid_state' ? t('console.live.not_now') : errorText(e));
      return false;
    } finally {
      b.disabled = false;
      draw();
    }
  }
  const st = () => ctx.liveState;
  const isBuzzer = () => st()?.part?.kind === 'buzzer' && st()?.part?.status === 'running';
  const isJudged = () => st()?.part?.kind === 'judged' && st()?.part?.status === 'running';
  // A buzzer question stands in for the quiz's question where the buttons need one.
  const q = () => st()?.question || (isBuzzer() && st()?.buzzer ? { ...st().buzzer, id: st().buzzer.question_id } : null);
  bStart.addEventListener('click', () => chosenPart && act(`/parts/${chosenPart}/start`, bStart));
  bFinish.addEventListener('click', () => st()?.part && act(`/parts/${st().part.id}/finish`, bFinish));
  bNext.addEventListener('click', () => act('/live/next', bNext));
  bPause.addEventListener('click', () => act(q()?.paused_at ? '/live/resume' : '/live/pause', bPause));
  bClose.addEventListener('click', () => act('/live/close', bClose));
  bReveal.addEventListener('click', () => act('/live/reveal', bReveal));
  bVoid.addEventListener('click', () => { voidForm.hidden = false; voidReason.focus(); });
  voidForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    voidReason.classList.remove('invalid');
    voidForm.querySelector('.field-error')?.remove();
    if (!voidReason.value.trim()) {
      voidReason.classList.add('invalid');
      voidForm.append(h('div.field-error', t('console.f.reason')));
      return;
    }
    const ok = await act('/live/void', bVoid, { question_id: q()?.id, reason: voidReason.value.trim() });
    if (ok) { voidReason.value = ''; voidForm.hidden = true; }
  });

  const onKey = (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const tag = (e.target.tagName || '').toLowerCase();
    if (['input', 'textarea', 'select'].includes(tag)) return;
    const map = { n: bNext, p: bPause, c: bClose, r: bReveal, v: bVoid, s: bStart, f: bFinish, ...(isBuzzer() ? buzz.keys : {}), ...(isJudged() ? stageUi.keys : {}) };
    // A running buzzer part's keys (B, D, X) come before the ceremony's (Z, X).
    if (!map[e.key.toLowerCase()] && ceremony.onKey(e.key.toLowerCase())) { e.preventDefault(); return; }
    const b = map[e.key.toLowerCase()];
    if (b && !b.disabled) { e.preventDefault(); b.click(); b.classList.add('pressed'); setTimeout(() => b.classList.remove('pressed'), 150); }
  };
  document.addEventListener('keydown', onKey);

  // ---- drawing
  function drawParts() {
    clear(partBar);
    for (const p of parts) {
      const running = st()?.part?.id === p.id && st()?.part?.status === 'running';
      const status = running ? 'running' : p.status;
      partBar.append(h(`button.part-chip.ps-${status}${p.id === chosenPart ? '.active' : ''}`, {
        type: 'button', data: { part: String(p.id) },
        onclick: () => { chosenPart = p.id; loadKeys(p.id).then(draw); draw(); },
      }, h('span.pc-title', p.title), h('span.pc-status', t('console.pstatus.' + status))));
    }
    if (!parts.length) partBar.append(h('a.btn.small.secondary', { href: `#/${c.id}/parts` }, t('console.live.no_parts')));
  }

  function draw() {
    const s = st();
    const part = s?.part || null;
    const question = q();
    const running = part?.status === 'running';
    if (running && part.id !== chosenPart && parts.some((p) => p.id === part.id)) chosenPart = part.id;
    drawParts();
    const chosen = parts.find((p) => p.id === chosenPart);
    bStart.disabled = !chosen || chosen.status !== 'pending' || running || c.status === 'closed';
    bFinish.disabled = !running;
    const qs = question?.status;
    const paused = !!question?.paused_at && qs === 'open';
    // A judged part has no questions: judges mark on their sheets (the part's page).
    const judged = part?.kind === 'judged';
    bNext.disabled = !running || qs === 'open' || judged;
    bPause.disabled = !running || qs !== 'open';
    bPause.querySelector('.ctl-label').textContent = paused ? t('console.live.resume') : t('console.live.pause');
    bPause.classList.toggle('gold', paused);
    bClose.disabled = !running || qs !== 'open';
    bReveal.disabled = !running || qs !== 'closed';
    bVoid.disabled = !question || qs === 'voided';
    bNext.classList.toggle('primary', !bNext.disabled);
    const bz = isBuzzer() ? s.buzzer || null : null;
    buzz.row.hidden = !isBuzzer();
    answeredBox.hidden = isBuzzer();
    bPause.hidden = isBuzzer();
    buzz.set(bz, ctx.live ? ctx.live.now() : Date.now());

    // head
    const total = part?.questions || 0;
    clear(qHead,
      h('div.sh-part', part ? part.title : t('console.live.no_part')),
      h('div.sh-no', question ? t('common.question_no', { no: question.no, total }) : running ? t(judged ? 'console.stage.head' : 'console.live.ready_first') : t('console.live.idle')),
      question ? h(`span.qstate.qs-${paused ? 'paused' : qs}`, t('console.qstatus.' + (paused ? 'paused' : qs))) : null);

    // body: prompt and options with the key
    const key = question ? keys.get(question.id) : null;
    if (question && !key && part) loadKeys(part.id).then(() => { if (keys.has(question.id)) draw(); });
    const pq = question?.question || key;
    clear(qBody);
    stageUi.show(running && judged ? part.id : null);
    if (!question && running && judged) {
      qBody.append(stageUi.el);
    } else if (!question) {
      qBody.append(h('div.stage-empty', h('div.se-big', running ? t('console.live.press_next') : t('console.live.press_start')),
        h('div.hint', running ? t('console.live.press_next_hint') : t('console.live.press_start_hint'))));
    } else if (!pq) {
      qBody.append(h('div.stage-empty', h('div.se-big', t('console.live.get_ready'))));
    } else {
      const right = new Set(correctIndexes(key?.solution));
      const counts = new Map((ctx.lastDistribution?.id === question.id ? ctx.lastDistribution.distribution : []) || []);
      qBody.append(h('div.q-prompt.big', pq.prompt));
      if (pq.options?.length) {
        qBody.append(h('ol.live-opts', ...pq.options.map((o, i) => h(`li.opt-${'abcd'[i] || 'x'}${right.has(i) ? '.right' : ''}`,
          h('span.lo-letter', LETTERS[i]), h('span.lo-text', o),
          counts.size ? h('span.lo-count', String(counts.get(LETTERS[i]) ?? 0)) : null,
          right.has(i) ? h('span.lo-key', '✓') : null))));
      }
      if (key) {
        qBody.append(h('div.key#live-key', h('span.key-label', t('console.live.key')), h('strong', answerText(key)),
          qs !== 'revealed' ? h('span.key-note', t('console.live.key_private')) : h('span.key-note.pub', t('console.live.key_public'))));
        if (key.explanation && qs === 'revealed') qBody.append(h('div.explain', key.explanation));
      }
      if (question.status === 'voided') qBody.append(h('div.msg.err', t('console.live.voided')));
      if (isBuzzer() && s.buzzer && question.status !== 'voided') buzz.stage(s.buzzer, qBody, ctx.live ? ctx.live.now() : Date.now());
    }
    drawDistribution(question);
    drawAnswered(question);
    elim.draw();
    // A judged part has no answers to count.
    answeredBox.hidden = !elim.el.hidden || (running && judged);
    drawBoard();
    tick();
  }

  function drawDistribution(question) {
    clear(dist);
    const d = ctx.lastDistribution;
    if (!question || !d || d.id !== question.id || !d.distribution?.length) return;
    const total = d.distribution.reduce((n, [, k]) => n + k, 0) || 1;
    const key = keys.get(question.id);
    const right = new Set([correctIndexes(key?.solution).map((i) => LETTERS[i]).join('')]);
    for (const i of correctIndexes(key?.solution)) right.add(LETTERS[i]);
    dist.append(h('div.dist-title', t('console.live.distribution')));
    for (const [label, n] of d.distribution) {
      const bar = h('span.bar-fill');
      bar.style.width = `${Math.round((n / total) * 100)}%`;
            dist.append(h(`div.bar${right.has(label) ? '.right' : ''}`, h('span.bar-label', label), h('span.bar-track', bar), h('span.bar-n', String(n))));
    }
  }

  function drawAnswered(question) {
    const set = (question && ctx.answered.get(question.id)) || new Set();
    const n = question ? Math.max(set.size, question.answered_teams || 0) : 0;
    const list = h('ul.answered#answered-teams');
    for (const tm of teams) {
      const did = set.has(tm.id);
      list.append(h(`li${did ? '.yes' : ''}`, { data: { team: String(tm.id), answered: did ? '1' : '0' } }, h('span.a-dot'), h('span.a-name', tm.name)));
    }
    clear(answeredBox, h('div.card-head', h('h2', t('console.live.answered')),
      h('span.big-count#answered-count', `${n}/${teams.length}`)), teams.length ? list : h('p.muted', t('console.teams.none')));
  }

  function drawBoard() {
    const b = ctx.board;
    clear(boardBox, h('h2', t('console.live.board')));
    if (!b || !b.rows?.length) { boardBox.append(h('p.muted', t('console.live.board_empty'))); return; }
    const table = h('table.board.live-board#live-board');
    table.append(h('thead', h('tr', h('th.num', '#'), h('th', t('common.team')), ...b.parts.map((p) => h('th.num', { title: p.title }, shortTitle(p.title))), h('th.num', t('common.total')))));
    const tb = h('tbody');
    for (const r of b.rows) {
      tb.append(h('tr', { data: { team: String(r.team_id) } }, h('td.num.rank', String(r.rank)), h('td', r.team_name),
        ...b.parts.map((p) => h('td.num', fmtNum(r.parts.find((x) => x.part_id === p.part_id)?.score ?? 0))),
        h('td.num.total', fmtNum(r.total))));
    }
    table.append(tb);
    boardBox.append(table);
  }

  function tick() {
    const question = q();
    const live = ctx.live;
    if (!question || !live) { countdown.textContent = '--'; phase.textContent = ''; countdown.className = 'countdown'; return; }
    if (isBuzzer()) {
      const bz = st().buzzer;
      const now = live.now();
      const at = bz.phase === 'reading' ? bz.opens_at : bz.deadline_at;
      countdown.textContent = bz.status === 'open' && at && at > now ? fmtClock(at - now) : '—';
      countdown.className = `countdown ${bz.status === 'open' ? 'running' : 'done'}`;
      phase.textContent = bz.status === 'open' ? '' : t('console.qstatus.' + bz.status);
      buzz.set(bz, now);
      return;
    }
    const now = live.now();
    let ms = null;
    let ph = '';
    let cls = '';
    if (question.status !== 'open') { ms = null; ph = t('console.qstatus.' + question.status); cls = 'done'; }
    else if (question.paused_at) { ms = question.remaining_ms; ph = t('console.live.phase_paused'); cls = 'paused'; }
    else if (question.shows_at && now < question.shows_at) { ms = question.shows_at - now; ph = t('console.live.phase_get_ready'); cls = 'ready'; }
    else if (question.opens_at && now < question.opens_at) { ms = question.opens_at - now; ph = t('console.live.phase_reading'); cls = 'reading'; }
    else if (question.deadline_at) { ms = Math.max(0, question.deadline_at - now); ph = t('console.live.phase_answering'); cls = ms < 5000 ? 'urgent' : 'running'; }
    countdown.textContent = ms === null ? '—' : fmtClock(ms);
    countdown.className = `countdown ${cls}`;
    phase.textContent = ph;
  }

  const off = ctx.onLive((m) => {
    ceremony.onMessage(m);
    stageUi.onMessage(m);
    if (m.type === 'part_started' || m.type === 'part_finished') api('GET', `/api/contests/${c.id}/parts`).then((p) => { parts = p; draw(); });
    if (m.type !== 'pong') draw();
  });
  const timer = setInterval(tick, 200);
  if (chosenPart) await loadKeys(st()?.part?.id || chosenPart);
  draw();
  return () => { off(); elim.stop(); clearInterval(timer); health.stop(); document.removeEventListener('keydown', onKey); };
}

function fmtClock(ms) {
  const s = Math.ceil(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}` : String(s);
}

function shortTitle(s) { return s.length > 14 ? s.slice(0, 13) + '…' : s; }
