// The hall's screen in a judged part (sân khấu hóa, hùng biện, chào hỏi): the team on stage
// now, its name across the screen under a spotlight ("Đang biểu diễn", its place in the
// drawn order), and the moment the organiser releases part scores: one team at a time, its
// name and its score counting up to the released value ("85,17 điểm"), then back to the
// board. Only what the server sends as released reaches this screen.
import { t, extend } from '/assets/shared/i18n.js';
import { h } from './dom.js';

extend('vi', {
  'judged.on_stage': 'Đang biểu diễn',
  'judged.slot': 'Tiết mục {n}/{total}',
  'judged.release_kicker': 'Công bố điểm',
  'judged.points': 'điểm',
  'judged.of_max': 'trên {max}',
  'judged.count': '{n}/{total}',
  'judged.waiting': 'Mời các đội chuẩn bị lên sân khấu',
});
extend('en', {
  'judged.on_stage': 'On stage now',
  'judged.slot': 'Performance {n} of {total}',
  'judged.release_kicker': 'Score',
  'judged.points': 'points',
  'judged.of_max': 'out of {max}',
  'judged.count': '{n}/{total}',
  'judged.waiting': 'The teams get ready to perform',
});

/** Each released team holds the screen this long (less when many are released at once). */
const MOMENT_MS = 6000;
const MOMENTS_MAX_MS = 42000;
const COUNT_UP_MS = 1400;

const fmt = (n) => Number(n || 0).toLocaleString('vi-VN', { minimumFractionDigits: 0, maximumFractionDigits: 2 });
const $ = (id) => document.getElementById(id);

const J = {
  performing: null, // the team on stage (the server's PerformingView)
  queue: [], // released teams still to show: {team, title, max, until}
  current: null,
  drawnStage: '',
  raf: 0,
};
let els = null;

function build() {
  if (els) return els;
  const scenes = document.querySelector('.scenes');
  const stage = h('section', { id: 'scene-stage', class: 'scene scene-stage', hidden: true },
    h('div', { class: 'st-beam', 'aria-hidden': 'true' }),
    h('div', { class: 'st-kicker' }, h('span', { class: 'st-live', 'aria-hidden': 'true' }), h('span', { id: 'stage-kicker' })),
    h('div', { class: 'st-name', id: 'stage-name' }),
    h('div', { class: 'st-slot', id: 'stage-slot' }));
  const release = h('section', { id: 'scene-release', class: 'scene scene-release', hidden: true });
  scenes.append(stage, release);
  els = { stage, release };
  return els;
}

export function onMessage(m) {
  switch (m.type) {
    case 'state':
      J.performing = m.state.performing || null;
      break;
    case 'performing':
      J.performing = m.performing || null;
      break;
    case 'part_started':
    case 'part_finished':
      J.performing = null;
      break;
    case 'judged_released': {
      const n = (m.teams || []).length;
      const each = Math.max(3000, Math.min(MOMENT_MS, Math.floor(MOMENTS_MAX_MS / Math.max(1, n))));
      (m.teams || []).forEach((team, i) => J.queue.push({ team, title: m.title, max: m.max_total, each, no: i + 1, of: n }));
      break;
    }
    default:
      break;
  }
}

/**
 * Which of this module's scenes has the screen now: 'release' while a release moment
 * plays, 'stage' while a team performs, else null (the rest of the projector decides).
 * `asking`: a question is open; a release waiting for its moment waits for it to close.
 */
export function scene(partRunning, asking) {
  build();
  const now = Date.now();
  if (J.current && now >= J.current.until) J.current = null;
  if (!J.current && J.queue.length && !asking) {
    J.current = { ...J.queue.shift(), from: now };
    J.current.until = now + J.current.each;
    drawRelease(J.current);
  }
  if (J.current) {
    if (!J.raf) J.raf = requestAnimationFrame(frame);
    return 'release';
  }
  if (J.performing && partRunning) {
    drawStage(J.performing);
    return 'stage';
  }
  return null;
}

function drawStage(p) {
  const key = JSON.stringify([p.team_id, p.slot, p.teams, document.documentElement.lang]);
  if (key === J.drawnStage) return;
  J.drawnStage = key;
  $('stage-kicker').textContent = t('judged.on_stage');
  const name = $('stage-name');
  name.textContent = p.team_name;
  name.className = `st-name${p.team_name.length > 40 ? ' longer' : p.team_name.length > 22 ? ' long' : ''}`;
  // The entrance plays again for each new team.
  name.style.animation = 'none';
  void name.offsetWidth;
  name.style.animation = '';
  $('stage-slot').textContent = p.slot ? t('judged.slot', { n: p.slot, total: p.teams }) : '';
  $('stage-slot').hidden = !p.slot;
}

function drawRelease(c) {
  const { team } = c;
  const len = team.team_name.length;
  els.release.replaceChildren(h('div', { class: 'rl-card', id: 'release-card', 'data-team': String(team.team_id) },
    h('div', { class: 'rl-rays', 'aria-hidden': 'true' }),
    h('div', { class: 'rl-kicker' }, t('judged.release_kicker'), c.title ? h('span', { class: 'rl-part' }, c.title) : null),
    h('div', { class: `rl-name${len > 40 ? ' longer' : len > 24 ? ' long' : ''}`, id: 'release-name' }, team.team_name),
    h('div', { class: 'rl-score' },
      h('b', { id: 'release-score', 'data-score': String(team.score) }, fmt(0)),
      h('span', { class: 'rl-unit' }, t('judged.points'))),
    c.max ? h('div', { class: 'rl-max' }, t('judged.of_max', { max: fmt(c.max) })) : null,
    c.of > 1 ? h('div', { class: 'rl-count', id: 'release-count' }, t('judged.count', { n: c.no, total: c.of })) : null));
}

function frame() {
  J.raf = 0;
  if (!J.current) return;
  if (!countUp(Date.now())) J.raf = requestAnimationFrame(frame);
}

/** The score runs up to its value (ease-out), then stays; true once it arrived. */
function countUp(now) {
  const el = $('release-score');
  if (!el) return true;
  const target = Number(el.dataset.score);
  const k = Math.min(1, (now - J.current.from - 500) / COUNT_UP_MS);
  const shown = k <= 0 ? 0 : k >= 1 ? target : Math.round(target * (1 - (1 - k) ** 3) * 100) / 100;
  const text = fmt(shown);
  if (el.textContent !== text) el.textContent = text;
  el.classList.toggle('done', k >= 1);
  return k >= 1;
}
