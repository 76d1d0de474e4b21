// The projector's standings: one row per team, ten to a page, the pages turning by
// themselves; when the order changes the rows slide to their new places (FLIP: measure,
// reorder, play the difference back with a CSS transform).
import { t } from '/assets/shared/i18n.js';
import { h } from './dom.js';

const PER_PAGE = 10;
const PAGE_MS = 8000;

export class Board {
  constructor(list, pagesEl, emptyEl) {
    this.list = list;
    this.pagesEl = pagesEl;
    this.emptyEl = emptyEl;
    this.rows = [];
    this.els = new Map(); // team id -> <li>
    this.ranks = new Map(); // team id -> last rank shown
    this.page = 0;
    this.timer = setInterval(() => this.turn(), PAGE_MS);
    this.scale = () => 1;
  }

  get pages() { return Math.max(1, Math.ceil(this.rows.length / PER_PAGE)); }

  set(rows) {
    this.rows = rows || [];
    if (this.page >= this.pages) this.page = 0;
    this.draw(true);
  }

  turn() {
    if (this.pages <= 1 || this.list.closest('[hidden]')) return;
    this.page = (this.page + 1) % this.pages;
    this.draw(false);
  }

  row(r) {
    let li = this.els.get(r.team_id);
    if (!li) {
      li = h('li', { class: 'prow enter', 'data-team': String(r.team_id) },
        h('span', { class: 'prank' }),
        h('span', { class: 'pname' }),
        h('span', { class: 'pmove', 'aria-hidden': 'true' }),
        h('span', { class: 'ptotal' }));
      this.els.set(r.team_id, li);
    }
    li.querySelector('.prank').textContent = String(r.rank);
    li.querySelector('.pname').textContent = r.team_name;
    li.querySelector('.ptotal').textContent = fmt(r.total);
    li.classList.toggle('top1', r.rank === 1);
    li.classList.toggle('top2', r.rank === 2);
    li.classList.toggle('top3', r.rank === 3);
    const before = this.ranks.get(r.team_id);
    const move = li.querySelector('.pmove');
    li.classList.remove('up', 'down');
    move.textContent = '';
    if (before !== undefined && before !== r.rank) {
      li.classList.add(r.rank < before ? 'up' : 'down');
      move.textContent = r.rank < before ? '▲' : '▼';
    }
    this.ranks.set(r.team_id, r.rank);
    return li;
  }

  draw(animate) {
    const s = this.scale() || 1;
    const first = new Map();
    if (animate) for (const li of this.list.children) first.set(li, li.getBoundingClientRect().top);
    const page = this.rows.slice(this.page * PER_PAGE, (this.page + 1) * PER_PAGE);
    const els = page.map((r) => this.row(r));
    this.list.replaceChildren(...els);
    this.list.dataset.page = String(this.page + 1);
    this.emptyEl.hidden = this.rows.length > 0;
    for (const li of els) {
      const top = first.get(li);
      if (top === undefined) {
        li.classList.add('enter');
        requestAnimationFrame(() => li.classList.remove('enter'));
        continue;
      }
      const dy = (top - li.getBoundingClientRect().top) / s;
      if (!dy) continue;
      li.style.transition = 'none';
      li.style.transform = `translateY(${dy}px)`;
      li.getBoundingClientRect();
      li.style.transition = '';
      li.style.transform = '';
    }
    this.drawPages();
  }

  drawPages() {
    const n = this.pages;
    if (n <= 1) { this.pagesEl.replaceChildren(); return; }
    const dots = [];
    for (let i = 0; i < n; i++) dots.push(h('span', { class: i === this.page ? 'pg on' : 'pg' }));
    const from = this.page * PER_PAGE + 1;
    const to = Math.min(this.rows.length, from + PER_PAGE - 1);
    dots.push(h('span', { class: 'pg-text' }, t('projector.page', { from, to, n: this.rows.length })));
    this.pagesEl.replaceChildren(...dots);
  }
}

export function fmt(x) {
  if (typeof x !== 'number') return '';
  return ((Math.round(x * 100) / 100) || 0).toLocaleString('vi-VN', { maximumFractionDigits: 2 });
}
