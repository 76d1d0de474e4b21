// The judge's marking sheets ("Phiếu chấm") of judged parts: pick the part, the teams in
// their order of performance, and one sheet per team with a number field per criterion.
// Each mark is saved as it is typed, by one PUT whose answer comes only after the server
// committed it: the field says "Đang lưu…" until then and "Đã lưu" on the ack, the error in
// words beside the field when refused, and retries by itself while the network is down.
// A sheet with every mark saved can be signed (after a confirmation); a signed sheet is
// locked until an organiser reopens it.
import { api } from '/assets/shared/api.js';
import { t } from '/assets/shared/i18n.js';

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

const fmt = (x) => (typeof x === 'number' ? ((Math.round(x * 100) / 100) || 0).toLocaleString('vi-VN', { maximumFractionDigits: 2 }) : '');
const when = (ms) => new Date(ms).toLocaleString('vi-VN');

/** Reads a typed mark: "8", "8,5", "8.25" → number; "" → null; anything else → NaN. */
export function parseMark(s) {
  const v = String(s).trim().replace(/\s+/g, '').replace(',', '.');
  if (v === '') return null;
  if (!/^\d+(\.\d+)?$/.test(v)) return Number.NaN;
  return Number(v);
}

/** The client-side check of a mark, the same rules as the server's: an error key or null. */
function check(value, max) {
  if (Number.isNaN(value)) return ['sheet.err_format'];
  if (value === null) return null;
  if (value < 0) return ['sheet.err_negative'];
  if (value > max) return ['sheet.err_above', { max: fmt(max) }];
  if (Math.abs(Math.round(value * 100) - value * 100) > 1e-6) return ['sheet.err_precise'];
  return null;
}

/** A server refusal of a mark, in words. */
function refusal(e, max) {
  switch (e.reason || e.code) {
    case 'mark_above_max': return t('sheet.err_above', { max: fmt(max) });
    case 'mark_negative': return t('sheet.err_negative');
    case 'mark_too_precise': return t('sheet.err_precise');
    case 'mark_not_number': return t('sheet.err_format');
    case 'sheet_signed': return t('sheet.err_signed');
    case 'contest_closed': return t('sheet.err_closed');
    default: return e.field === 'points' ? t('sheet.err_format') : t('sheet.err_other');
  }
}

/** Network trouble or a server not ready: worth retrying as is. */
const retryable = (e) => e.status === 0 || e.status === 502 || e.status === 503 || e.status === 504;

export class Sheets {
  constructor(root) {
    this.root = root;
    this.cid = null;
    this.parts = [];
    this.pid = null;
    this.view = null;
    this.teamId = null;
    // Per mark (team:criterion): {value, state: 'saving'|'saved'|'retry'|'error', msg, seq}
    this.fields = new Map();
    this.timer = null;
    this.confirming = false;
    window.addEventListener('beforeunload', (ev) => {
      if (this.unsaved()) { ev.preventDefault(); ev.returnValue = t('sheet.leave_unsaved'); }
    });
    document.addEventListener('langchange', () => this.draw());
  }

  unsaved() {
    return [...this.fields.values()].some((f) => f.state === 'saving' || f.state === 'retry');
  }

  async show(cid) {
    if (this.cid !== cid) {
      this.cid = cid; this.pid = null; this.view = null; this.teamId = null; this.fields.clear(); this.confirming = false;
    }
    try {
      this.parts = (await api('GET', `/api/contests/${cid}/parts`)).filter((p) => p.kind === 'judged');
    } catch (_) {
      this.parts = [];
    }
    if (!this.parts.find((p) => p.id === this.pid)) this.pid = this.parts[0] ? this.parts[0].id : null;
    await this.load();
    clearInterval(this.timer);
    // Another judge's signature or an organiser's reopening shows within a few seconds.
    this.timer = setInterval(() => { if (!this.root.closest('[hidden]')) this.load(); }, 5000);
  }

  /** Reloads the part's grid (the live feed says when something changed). */
  async load() {
    if (!this.pid) { this.view = null; this.draw(); return; }
    const pid = this.pid;
    try {
      const v = await api('GET', `/api/contests/${this.cid}/parts/${pid}/judging`);
      if (pid !== this.pid) return;
      this.view = v;
    } catch (_) { /* keep what is shown; the next load tries again */ }
    if (this.view && !this.view.teams.find((x) => x.team_id === this.teamId)) {
      const todo = this.view.teams.find((x) => !this.mine(x).signed_at);
      this.teamId = (todo || this.view.teams[0] || {}).team_id ?? null;
    }
    this.draw();
  }

  mine(team) {
    return team.sheets.find((s) => s.judge_id === this.view.me) || { marks: [], marked: 0, total: 0, signed_at: null };
  }

  key(team, i) { return `${this.pid}:${team}:${i}`; }

  // --- saving marks -------------------------------------------------------------------

  /** The judge typed: check, then save (one request at a time per field, the latest value wins). */
  typed(teamId, i, raw, max) {
    const k = this.key(teamId, i);
    const value = parseMark(raw);
    const bad = check(value, max);
    const f = this.fields.get(k) || { seq: 0 };
    f.raw = raw;
    if (bad) {
      f.state = 'error'; f.msg = t(...bad); f.value = undefined;
      this.fields.set(k, f);
      this.paintField(teamId, i);
      return;
    }
    f.value = value; f.state = 'saving'; f.msg = ''; f.seq += 1;
    this.fields.set(k, f);
    this.paintField(teamId, i);
    if (!f.busy) this.send(teamId, i, 0);
  }

  async send(teamId, i, attempt) {
    const k = this.key(teamId, i);
    const f = this.fields.get(k);
    if (!f || f.value === undefined) return;
    const { value, seq } = f;
    f.busy = true;
    const path = `/api/contests/${this.cid}/parts/${this.pid}/sheets/${teamId}/marks/${i}`;
    const max = this.view.rubric.criteria[i].max_points;
    try {
      const ack = value === null ? await api('DELETE', path) : await api('PUT', path, { points: value });
      f.busy = false;
      if (f.seq !== seq) { this.send(teamId, i, 0); return; }
      f.state = 'saved'; f.msg = '';
      this.applyAck(teamId, i, value, ack);
    } catch (e) {
      f.busy = false;
      if (f.seq !== seq) { this.send(teamId, i, 0); return; }
      if (retryable(e)) {
        f.state = 'retry';
        this.paintField(teamId, i);
        const wait = Math.min(10000, 1000 * 2 ** Math.min(attempt, 4));
        setTimeout(() => { if (this.fields.get(k) === f && f.seq === seq) this.send(teamId, i, attempt + 1); }, wait);
        return;
      }
      f.state = 'error'; f.msg = refusal(e, max);
      if (e.code === 'sheet_signed') this.load();
    }
    this.paintField(teamId, i);
    this.paintSheetState();
    const aside = this.root.querySelector('#sheet-aside');
    if (aside && this.view) aside.replaceWith(this.teamList(this.view));
  }

  applyAck(teamId, i, value, ack) {
    const team = this.view && this.view.teams.find((x) => x.team_id === teamId);
    if (!team) return;
    const s = this.mine(team);
    if (s.marks) s.marks[i] = value;
    s.total = ack.total; s.marked = ack.marked;
  }

  // --- drawing ------------------------------------------------------------------------

  draw() {
    const root = this.root;
    if (!this.parts.length) {
      root.className = 'sheets-empty';
      root.replaceChildren(h('div', { class: 'sheets-icon', 'aria-hidden': 'true' }, '✎'),
        h('h3', {}, t('judge.sheets_title')), h('p', { class: 'muted' }, t('sheet.no_parts')));
      return;
    }
    root.className = 'sheets';
    const v = this.view;
    const pick = h('select', { id: 'sheet-part', 'aria-label': t('sheet.part') },
      ...this.parts.map((p) => h('option', { value: p.id, selected: p.id === this.pid }, p.title)));
    pick.addEventListener('change', () => { this.pid = Number(pick.value); this.teamId = null; this.view = null; this.load(); });
    const signed = v ? v.teams.filter((x) => this.mine(x).signed_at).length : 0;
    const head = h('div', { class: 'sheets-head' },
      h('label', { class: 'sheets-part' }, h('span', {}, t('sheet.part')), pick),
      v ? h('span', { class: 'sheets-progress', id: 'sheet-progress' }, t('sheet.progress', { n: signed, total: v.teams.length })) : null);
    if (!v) { root.replaceChildren(head); return; }
    const team = v.teams.find((x) => x.team_id === this.teamId);
    root.replaceChildren(head, h('div', { class: 'sheets-body' }, this.teamList(v), team ? this.sheet(v, team) : h('div')));
  }

  teamList(v) {
    const items = v.teams.map((x) => {
      const s = this.mine(x);
      const n = v.rubric.criteria.length;
      const [cls, label] = s.signed_at ? ['signed', t('sheet.team_signed')]
        : s.marked === n ? ['ready', t('sheet.team_ready')]
          : s.marked ? ['marking', t('sheet.team_marking', { n: s.marked, total: n })] : ['todo', t('sheet.team_todo')];
      const b = h('button', { type: 'button', class: `steam ${cls}${x.team_id === this.teamId ? ' on' : ''}`, 'data-team': x.team_id },
        h('span', { class: 'sslot' }, x.slot ? String(x.slot) : '–'),
        h('span', { class: 'sname' }, x.name),
        h('span', { class: `sstate ${cls}` }, label));
      b.addEventListener('click', () => { this.teamId = x.team_id; this.confirming = false; this.draw(); });
      return h('li', {}, b);
    });
    const o = v.order;
    return h('aside', { class: 'steams', id: 'sheet-aside' },
      h('h3', {}, t('sheet.order')),
      h('p', { class: 'muted small' }, o.drawn ? t('sheet.order_seed', { seed: String(o.seed) }) : t('sheet.order_not_drawn')),
      h('ol', { class: 'steam-list', id: 'sheet-teams' }, items));
  }

  sheet(v, team) {
    const s = this.mine(team);
    const locked = !!s.signed_at;
    const me = v.judges.find((j) => j.id === v.me);
    const rows = v.rubric.criteria.map((c, i) => {
      const k = this.key(team.team_id, i);
      const f = this.fields.get(k);
      const shown = f && f.state !== 'saved' ? f.raw : (s.marks[i] === null || s.marks[i] === undefined ? '' : fmt(s.marks[i]));
      const input = h('input', {
        type: 'text', inputmode: 'decimal', autocomplete: 'off', class: 'mark', id: `mark-${i}`,
        'data-criterion': i, value: shown, disabled: locked, 'aria-label': `${c.name} (${t('sheet.max_hint', { max: fmt(c.max_points) })})`,
      });
      input.addEventListener('input', () => {
        clearTimeout(input._t);
        input._t = setTimeout(() => this.typed(team.team_id, i, input.value, c.max_points), 500);
      });
      input.addEventListener('change', () => { clearTimeout(input._t); this.typed(team.team_id, i, input.value, c.max_points); });
      input.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter') { ev.preventDefault(); const next = this.root.querySelector(`#mark-${i + 1}`); if (next) next.focus(); else input.blur(); }
      });
      return h('tr', { 'data-criterion': i },
        h('td', { class: 'num cno' }, String(i + 1)),
        h('td', { class: 'cname' }, c.name),
        h('td', { class: 'num cmax' }, fmt(c.max_points)),
        h('td', { class: 'cmark' }, h('div', { class: 'markbox' }, input, h('span', { class: 'mstate', id: `mstate-${i}`, role: 'status', 'aria-live': 'polite' })),
          h('div', { class: 'merr', id: `merr-${i}` })));
    });
    const table = h('table', { class: 'sheet-table', id: 'sheet-table' },
      h('thead', {}, h('tr', {}, h('th', { class: 'num' }, t('sheet.col_no')), h('th', {}, t('sheet.col_criterion')),
        h('th', { class: 'num' }, t('sheet.col_max')), h('th', {}, t('sheet.col_mark')))),
      h('tbody', {}, rows),
      h('tfoot', {}, h('tr', {}, h('td', {}), h('th', {}, t('sheet.total')), h('td', { class: 'num cmax' }, fmt(v.max_total)),
        h('td', { class: 'stotal', id: 'sheet-total' }, fmt(s.total || 0)))));
    const card = h('section', { class: `sheet${locked ? ' locked' : ''}`, id: 'sheet', 'data-team': team.team_id },
      h('header', { class: 'sheet-top' },
        h('div', {}, h('div', { class: 'sheet-kicker' }, `${t('sheet.heading')} · ${v.title}`),
          h('h3', { class: 'sheet-team' }, team.name)),
        h('dl', { class: 'sheet-meta' },
          h('dt', {}, t('sheet.slot')), h('dd', {}, team.slot ? String(team.slot) : '–'),
          h('dt', {}, t('sheet.judge')), h('dd', {}, me ? me.name : ''))),
      table,
      locked ? h('div', { class: 'stamp', id: 'sheet-stamp' }, h('strong', {}, t('sheet.signed_stamp')), h('span', {}, t('sheet.signed_at', { when: when(s.signed_at) }))) : null,
      h('div', { class: 'sheet-actions', id: 'sheet-actions' }),
      this.others(v, team),
      this.nav(v, team));
    this.card = card;
    this.current = team;
    queueMicrotask(() => { v.rubric.criteria.forEach((_, i) => this.paintField(team.team_id, i)); this.paintSheetState(); });
    return card;
  }

  nav(v, team) {
    const i = v.teams.indexOf(team);
    const go = (x) => () => { this.teamId = x.team_id; this.confirming = false; this.draw(); };
    const prev = v.teams[i - 1];
    const next = v.teams[i + 1];
    return h('div', { class: 'sheet-nav' },
      prev ? h('button', { type: 'button', class: 'btn ghost small', onclick: go(prev) }, `← ${t('sheet.prev')}`) : h('span'),
      next ? h('button', { type: 'button', class: 'btn ghost small', id: 'sheet-next', onclick: go(next) }, `${t('sheet.next')} →`) : h('span'));
  }

  others(v, team) {
    const all = team.score !== null && team.score !== undefined;
    if (!all) {
      return h('p', { class: 'others-hidden muted', id: 'sheet-others' }, t('sheet.others_hidden', { n: team.signed, total: v.judges.length }));
    }
    return h('div', { class: 'others', id: 'sheet-others' },
      h('h4', {}, t('sheet.others')),
      h('table', { class: 'others-table' }, h('tbody', {},
        ...team.sheets.map((s) => {
          const j = v.judges.find((x) => x.id === s.judge_id);
          return h('tr', {}, h('td', {}, j ? j.name : `#${s.judge_id}`, s.judge_id === v.me ? ` ${t('sheet.you')}` : ''),
            ...s.marks.map((m) => h('td', { class: 'num' }, fmt(m))), h('td', { class: 'num strong' }, fmt(s.total)));
        }))),
      h('p', { class: 'part-score' }, `${t('sheet.part_score')} (${t('sheet.aggregate_' + v.rubric.aggregate)}): `, h('strong', {}, fmt(team.score))));
  }

  /** One field's saving state and error, without redrawing the sheet (the focus stays). */
  paintField(teamId, i) {
    if (!this.card || !this.current || this.current.team_id !== teamId) return;
    const f = this.fields.get(this.key(teamId, i));
    const st = this.card.querySelector(`#mstate-${i}`);
    const err = this.card.querySelector(`#merr-${i}`);
    const input = this.card.querySelector(`#mark-${i}`);
    if (!st) return;
    const state = f ? f.state : '';
    st.className = `mstate ${state}`;
    st.textContent = state === 'saving' ? t('sheet.saving') : state === 'saved' ? `✓ ${t('sheet.saved')}` : state === 'retry' ? t('sheet.retrying') : state === 'error' ? t('sheet.unsaved') : '';
    err.textContent = state === 'error' ? f.msg : '';
    input.classList.toggle('invalid', state === 'error');
    input.setAttribute('aria-invalid', state === 'error' ? 'true' : 'false');
  }

  /** The total and the sign button, from what is saved. */
  paintSheetState() {
    if (!this.card || !this.current) return;
    const team = this.current;
    const s = this.mine(team);
    const v = this.view;
    const total = this.card.querySelector('#sheet-total');
    if (total) total.textContent = fmt(s.total || 0);
    const box = this.card.querySelector('#sheet-actions');
    if (!box) return;
    if (s.signed_at) { box.replaceChildren(h('p', { class: 'muted' }, t('sheet.locked'))); return; }
    const n = v.rubric.criteria.length;
    const busy = v.rubric.criteria.some((_, i) => {
      const f = this.fields.get(this.key(team.team_id, i));
      return f && f.state !== 'saved';
    });
    const complete = s.marks.filter((m) => m !== null && m !== undefined).length === n;
    const ready = complete && !busy;
    const msg = h('p', { class: 'sign-msg', id: 'sign-msg', role: 'status' });
    if (this.confirming && ready) {
      const yes = h('button', { type: 'button', class: 'btn', id: 'sign-yes' }, t('sheet.sign_yes'));
      const no = h('button', { type: 'button', class: 'btn ghost', id: 'sign-no' }, t('sheet.cancel'));
      no.addEventListener('click', () => { this.confirming = false; this.paintSheetState(); });
      yes.addEventListener('click', () => this.sign(team, yes, msg));
      box.replaceChildren(h('div', { class: 'confirm', role: 'alertdialog' },
        h('p', {}, t('sheet.sign_confirm', { team: team.name, total: fmt(s.total) })), h('div', { class: 'row' }, yes, no)), msg);
      yes.focus();
      return;
    }
    const b = h('button', { type: 'button', class: 'btn sign', id: 'sign', disabled: !ready }, `✍ ${t('sheet.sign')}`);
    b.addEventListener('click', () => { this.confirming = true; this.paintSheetState(); });
    box.replaceChildren(b, ready ? msg : h('p', { class: 'muted small', id: 'sign-msg' }, t('sheet.sign_hint')));
  }

  async sign(team, button, msg) {
    button.disabled = true;
    button.textContent = t('sheet.signing');
    try {
      const r = await api('POST', `/api/contests/${this.cid}/parts/${this.pid}/sheets/${team.team_id}/sign`);
      const s = this.mine(team);
      s.signed_at = r.signed_at; s.marks = r.marks; s.total = r.total;
      this.confirming = false;
      for (let i = 0; i < r.marks.length; i++) this.fields.delete(this.key(team.team_id, i));
      this.draw();
      this.load();
    } catch (e) {
      button.disabled = false;
      button.textContent = t('sheet.sign_yes');
      msg.className = 'sign-msg err';
      const name = e.params && e.params.criterion_name;
      msg.textContent = e.code === 'sheet_incomplete' && name ? t('sheet.incomplete', { name }) : retryable(e) ? t('err.network') : t('sheet.err_other');
    }
  }
}
