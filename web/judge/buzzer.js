// The judge's buzzer card: during a buzzer part, the team with the floor in large type and
// two big buttons, "Đúng" and "Sai", that mark its answer (POST …/live/buzzer/mark with the
// team shown, so a mark never lands on a team that took the floor a moment later). A
// refusal is said in Vietnamese beside the buttons; the marks of the question so far and
// the next presses sit under them.
import { api } from '/assets/shared/api.js';
import { errorText, t } from '/assets/shared/i18n.js';

const pts = (n) => (Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/\.?0+$/, '').replace('.', ',')).replace('-', '−');

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

/** The words for a refused mark, from the state the server sent with its 409. */
function refusal(e, teamId) {
  if (e.code === 'invalid_state') {
    const v = e.state && e.state.buzzer;
    const m = v && [...v.marks].reverse().find((x) => x.team_id === teamId);
    // Someone else (the organiser, another judge) marked this team first.
    if (m && !(v.winner && v.winner.team_id === teamId)) return t('jbuzz.err_already', { team: m.team_name, mark: t(m.correct ? 'jbuzz.right' : 'jbuzz.wrong') });
    if (v && v.winner && v.winner.team_id !== teamId) return t('jbuzz.err_floor_changed', { team: v.winner.team_name });
    if (!v || v.status !== 'open') return t('jbuzz.err_closed');
    return t('jbuzz.err_no_floor');
  }
  if (e.code === 'no_open_question') return t('jbuzz.err_closed');
  if (e.status === 403) return t('jbuzz.err_forbidden');
  return errorText(e);
}

/** The card, drawn into `root`; `set(view)` with the staff BuzzerView (or null). */
export class BuzzerCard {
  constructor(root) {
    this.root = root;
    this.cid = null;
    this.view = null;
    this.busy = false;
    this.msg = { text: '', kind: '' };
    this.shown = '';
    document.addEventListener('langchange', () => { this.shown = ''; this.draw(); });
  }

  set(cid, view) {
    if (cid !== this.cid) this.msg = { text: '', kind: '' };
    this.cid = cid;
    const before = this.view;
    this.view = view;
    // A new holder of the floor clears the previous refusal.
    if (before && view && (before.question_id !== view.question_id || before.winner?.team_id !== view.winner?.team_id)
      && this.msg.kind === 'err') this.msg = { text: '', kind: '' };
    this.draw();
  }

  async mark(correct) {
    const v = this.view;
    if (!v || !v.winner || this.busy) return;
    const team = v.winner;
    this.busy = true;
    this.msg = { text: t('jbuzz.sending'), kind: 'wait' };
    this.draw();
    try {
      await api('POST', `/api/contests/${this.cid}/live/buzzer/mark`, { correct, team_id: team.team_id });
      this.msg = { text: t(correct ? 'jbuzz.done_right' : 'jbuzz.done_wrong', { team: team.team_name }), kind: 'ok' };
    } catch (e) {
      this.msg = { text: refusal(e, team.team_id), kind: 'err' };
    } finally {
      this.busy = false;
      this.draw();
    }
  }

  draw() {
    const v = this.view;
    this.root.hidden = !v;
    if (!v) { this.shown = ''; return; }
    const key = JSON.stringify([v.question_id, v.status, v.phase, v.round, v.winner?.team_id, v.marks.length, v.presses_total, this.busy, this.msg]);
    if (key === this.shown) return;
    this.shown = key;
    const floor = v.status === 'open' && v.winner;
    const phase = v.status !== 'open' ? t('jbuzz.phase_closed')
      : v.phase === 'answering' ? t('jbuzz.phase_answering')
        : v.phase === 'open' ? (v.round > 0 ? t('jbuzz.phase_steal') : t('jbuzz.phase_open')) : t('jbuzz.phase_waiting');
    const canMark = !!floor && !this.busy;
    const next = v.status === 'open' ? v.presses.filter((p) => !floor || p.team_id !== v.winner.team_id).slice(0, 4) : [];
    const right = v.marks.find((m) => m.correct);
    const over = v.status !== 'open';
    this.root.replaceChildren(
      h('div', { class: 'jb-head' },
        h('span', { class: 'jb-title' }, t('jbuzz.title')),
        h('span', { class: 'jb-q' }, t('common.question_no', { no: v.no, total: v.total })),
        h('span', { class: `jb-phase ph-${v.status === 'open' ? v.phase : 'closed'}`, id: 'jb-phase' }, phase)),
      v.question ? h('div', { class: 'jb-prompt', id: 'jb-prompt' }, v.question.prompt) : null,
      h('div', { class: 'jb-body' },
        h('div', { class: `jb-floor${floor ? '' : ' none'}${over ? ` over${right ? ' won' : ''}` : ''}`, id: 'jb-floor' },
          h('small', {}, floor ? t('jbuzz.floor') : over ? (right ? t('jbuzz.result_right', { team: right.team_name }) : t('jbuzz.result_none')) : t('jbuzz.no_floor')),
          floor ? h('b', { id: 'jb-floor-name' }, v.winner.team_name) : null,
          floor ? h('span', { class: 'jb-stakes' }, t('jbuzz.stakes', { n: pts(v.points), p: pts(v.penalty) })) : null),
        h('div', { class: 'jb-actions' },
          h('div', { class: 'jb-buttons' },
            h('button', { type: 'button', class: 'jb-btn right', id: 'jb-right', disabled: !canMark, onclick: () => this.mark(true) },
              h('span', { class: 'jb-icon', 'aria-hidden': 'true' }, '✓'), t('jbuzz.right')),
            h('button', { type: 'button', class: 'jb-btn wrong', id: 'jb-wrong', disabled: !canMark, onclick: () => this.mark(false) },
              h('span', { class: 'jb-icon', 'aria-hidden': 'true' }, '✗'), t('jbuzz.wrong'))),
          h('div', { class: `jb-msg ${this.msg.kind}`, id: 'jb-msg', role: 'alert', hidden: !this.msg.text }, this.msg.text))),
      h('div', { class: 'jb-foot' },
        next.length ? h('span', { class: 'jb-next' }, h('span', { class: 'muted' }, t('jbuzz.next')), ...next.map((p) => h('span', { class: 'jb-press' }, `${p.place}. ${p.team_name}`, p.place > 1 ? h('i', {}, ` +${p.gap_ms} ms`) : null))) : null,
        v.marks.length ? h('span', { class: 'jb-marks', id: 'jb-marks' }, ...v.marks.map((m) => h('span', { class: `jb-mk ${m.correct ? 'right' : 'wrong'}` },
          `${m.correct ? '✓' : '✗'} ${m.team_name} ${m.points > 0 ? '+' : ''}${pts(m.points)}`))) : null));
  }
}
