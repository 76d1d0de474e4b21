// The awards ceremony on the big screen: while the organiser reveals the frozen board from
// the bottom up, each step shows the newest team big — rank, name, total, prize — with a
// short entrance (CSS animations: the card pops, the rank medallion turns, the prize ribbon
// drops and shines, confetti for the top three prizes); the teams revealed before it wait
// in a ladder below. A step is drawn once: a reconnect does not replay it.
import { t } from '/assets/shared/i18n.js';
import { h } from './dom.js';

const LADDER = 4;
const CONFETTI = 46;

function fmt(n) {
  return Number(n || 0).toLocaleString('vi-VN', { maximumFractionDigits: 2 });
}

/** CSS class of a prize level: gold, silver, bronze, then the consolation prizes. */
function tier(prize) {
  if (!prize) return 'tier-none';
  return ['tier-gold', 'tier-silver', 'tier-bronze'][prize.level] || 'tier-merit';
}

export class Ceremony {
  constructor(root) {
    this.root = root;
    this.stage = root.querySelector('#cer-stage');
    this.ladder = root.querySelector('#cer-ladder');
    this.progress = root.querySelector('#cer-progress');
    this.view = null;
    this.drawn = ''; // the step on screen
  }

  /** Frozen, with at least one team revealed: the ceremony has the screen. */
  active() {
    return !!(this.view && this.view.frozen && this.view.revealed > 0 && this.view.steps.length > 0);
  }

  frozen() { return !!(this.view && this.view.frozen); }

  set(view) {
    this.view = view;
    if (this.active()) this.draw();
    else this.drawn = '';
  }

  draw() {
    const v = this.view;
    const step = v.steps[v.steps.length - 1];
    const key = `${v.frozen_at}:${v.steps.length}:${step.team_id}`;
    const progress = t('projector.cer_progress', { n: v.revealed, total: v.teams });
    if (this.progress.textContent !== progress) this.progress.textContent = progress;
    if (key === this.drawn) return;
    this.drawn = key;
    this.stage.replaceChildren(this.card(step, v.steps.length));
    const before = v.steps.slice(0, -1).reverse().slice(0, LADDER);
    this.ladder.replaceChildren(...before.map((s) => h('li', { class: `cer-chip ${tier(s.prize)}`, 'data-team': String(s.team_id) },
      h('span', { class: 'cc-rank' }, String(s.rank)),
      h('span', { class: 'cc-name' }, s.team_name),
      h('span', { class: 'cc-total' }, fmt(s.total)),
      h('span', { class: 'cc-prize' }, s.prize ? s.prize.name : '—'))));
  }

  card(s, no) {
    const cls = tier(s.prize);
    const prize = s.prize
      ? h('div', { class: 'cer-prize', id: 'cer-prize' }, h('span', { class: 'cp-text' }, s.prize.name),
        s.prize.shared ? h('span', { class: 'cp-shared' }, t('projector.cer_shared')) : null)
      : h('div', { class: 'cer-prize none', id: 'cer-prize' }, h('span', { class: 'cp-text' }, t('projector.cer_no_prize')));
    const card = h('div', { class: `cer-card ${cls}`, id: 'cer-card', 'data-step': String(no), 'data-team': String(s.team_id) },
      h('div', { class: 'cer-rays', 'aria-hidden': 'true' }),
      h('div', { class: 'cer-medal' }, h('small', {}, t('projector.cer_rank')), h('b', { id: 'cer-rank' }, String(s.rank))),
      h('div', { class: 'cer-name', id: 'cer-name' }, s.team_name),
      h('div', { class: 'cer-total' }, h('b', { id: 'cer-total' }, fmt(s.total)), h('span', {}, t('projector.cer_points'))),
      prize);
    // Names of a commune fit in one line; a whole agency's name takes two or three.
    card.classList.toggle('long', s.team_name.length > 26 && s.team_name.length <= 44);
    card.classList.toggle('longer', s.team_name.length > 44);
    if (s.prize && s.prize.level <= 2) card.append(this.confetti());
    return card;
  }

  confetti() {
    const box = h('div', { class: 'cer-confetti', 'aria-hidden': 'true' });
    for (let i = 0; i < CONFETTI; i++) {
      const p = h('i', { class: `cf cf-${i % 4}` });
      // Each piece gets its own place, drift and timing; the motion itself is CSS.
      p.style.left = `${(i * 37) % 100}%`;
      p.style.animationDelay = `${0.9 + ((i * 53) % 100) / 60}s`;
      p.style.animationDuration = `${3.2 + ((i * 29) % 100) / 50}s`;
      p.style.setProperty('--drift', `${((i * 71) % 200) - 100}px`);
      box.append(p);
    }
    return box;
  }
}
