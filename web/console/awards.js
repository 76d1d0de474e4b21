// Two settings of the whole contest's ending: the prize scheme (giải nhất, nhì, ba, and a
// last level that can take "các đội còn lại", every team ranked after the levels before
// it) on the contest's overview, and the teams of a tie-break part (câu hỏi phụ, played by
// the tied teams only, not added to the total) in the part form, with the ties on the
// board now offered in one click. Refusals are shown beside the field they concern.
import { api } from '/assets/shared/api.js';
import { t, extend } from '/assets/shared/i18n.js';
import { h, field, showError, clearErrors, say } from './dom.js';

extend('vi', {
  'console.prizes.title': 'Cơ cấu giải thưởng',
  'console.prizes.lead': 'Các mức giải lần lượt nhận các hạng từ trên xuống. Mức cuối có thể dành cho tất cả các đội còn lại (thường là giải khuyến khích).',
  'console.prizes.name': 'Tên giải',
  'console.prizes.count': 'Số giải',
  'console.prizes.rest': 'Các đội còn lại',
  'console.prizes.rest_hint': 'mọi đội xếp sau',
  'console.prizes.add': '+ Thêm mức giải',
  'console.prizes.save': 'Lưu cơ cấu giải',
  'console.prizes.saved': 'Đã lưu cơ cấu giải.',
  'console.prizes.none': 'Chưa có mức giải nào: kết quả sẽ không trao giải.',
  'console.prizes.place': 'Hạng {n}',
  'console.prizes.places': 'Hạng {from}–{to}',
  'console.prizes.from': 'Từ hạng {n}',
  'console.prizes.new_name': 'Giải khuyến khích',
  'console.prizes.frozen_hint': 'Bảng điểm đang chốt: buổi công bố dùng cơ cấu giải lúc chốt.',
  'console.f.prize_scheme.name': 'Hãy nhập tên giải.',
  'console.f.prize_scheme.count': 'Số giải phải là số nguyên từ 1 đến 100.',
  'console.f.prize_scheme.rest': 'Chỉ mức giải cuối cùng mới dành cho các đội còn lại.',
  'console.tb.legend': 'Câu hỏi phụ (phân định đồng điểm)',
  'console.tb.on': 'Đây là phần thi phụ: chỉ các đội được chọn thi, điểm không cộng vào tổng mà dùng để phân định thứ hạng',
  'console.tb.teams': 'Các đội thi câu hỏi phụ',
  'console.tb.teams_hint': 'Chọn ít nhất hai đội. Điện thoại của các đội khác hiện “Câu hỏi phụ dành cho các đội đồng điểm”.',
  'console.tb.ties': 'Đang đồng điểm trên bảng:',
  'console.tb.tie': 'Hạng {rank}: {names}',
  'console.tb.no_ties': 'Hiện không có đội nào đồng điểm.',
  'console.tb.locked': 'Phần thi đã bắt đầu: không đổi được các đội nữa.',
  'console.f.tie_break_teams': 'Chọn ít nhất hai đội của hội thi (mỗi đội một lần); chỉ phần thi trắc nghiệm hoặc giành quyền trả lời mới là phần thi phụ.',
});
extend('en', {
  'console.prizes.title': 'Prize scheme',
  'console.prizes.lead': 'The levels take the ranks from the top down. The last level can go to every remaining team (usually the consolation prize).',
  'console.prizes.name': 'Prize',
  'console.prizes.count': 'Places',
  'console.prizes.rest': 'All remaining teams',
  'console.prizes.rest_hint': 'every team ranked after',
  'console.prizes.add': '+ Add a level',
  'console.prizes.save': 'Save the prize scheme',
  'console.prizes.saved': 'Prize scheme saved.',
  'console.prizes.none': 'No prize levels: the results will award no prizes.',
  'console.prizes.place': 'Rank {n}',
  'console.prizes.places': 'Ranks {from}–{to}',
  'console.prizes.from': 'From rank {n}',
  'console.prizes.new_name': 'Consolation prize',
  'console.prizes.frozen_hint': 'The board is frozen: the ceremony uses the scheme in force at the freeze.',
  'console.f.prize_scheme.name': 'Name the prize.',
  'console.f.prize_scheme.count': 'Places must be a whole number from 1 to 100.',
  'console.f.prize_scheme.rest': 'Only the last level can go to the remaining teams.',
  'console.tb.legend': 'Tie-break question',
  'console.tb.on': 'This is a tie-break part: only the chosen teams play; its score is not added to the total but breaks ties',
  'console.tb.teams': 'Teams playing the tie-break',
  'console.tb.teams_hint': 'Choose at least two teams. The other teams’ phones say the question is for the tied teams.',
  'console.tb.ties': 'Tied on the board now:',
  'console.tb.tie': 'Rank {rank}: {names}',
  'console.tb.no_ties': 'No teams are tied now.',
  'console.tb.locked': 'The part has started: its teams no longer change.',
  'console.f.tie_break_teams': 'Choose at least two of the contest’s teams (each once); only a quiz or buzzer part can be a tie-break part.',
});

const TIERS = ['gold', 'silver', 'bronze'];

/** The prize scheme card of a contest that is not closed. */
export function prizeCard(ctx) {
  const c = ctx.contest;
  const form = h('form.prize-form#prize-form', { novalidate: true });
  const rows = h('div.prize-rows#prize-rows');
  const preview = h('p.prize-preview#prize-preview');
  const msg = h('div.form-msg#prize-msg', { hidden: true, role: 'status' });
  const save = h('button.btn#prize-save', { type: 'submit' }, t('console.prizes.save'));

  function addRow(p = { name: '', count: 1 }) {
    const name = h('input.pz-name', { value: p.name, maxLength: 100, 'aria-label': t('console.prizes.name') });
    const count = h('input.pz-count', { type: 'number', min: 1, max: 100, step: 1, value: p.rest ? '' : String(p.count ?? 1), inputMode: 'numeric', 'aria-label': t('console.prizes.count') });
    const rest = h('input.pz-rest', { type: 'checkbox', checked: !!p.rest });
    const restLabel = h('label.check.pz-rest-label', rest, h('span', t('console.prizes.rest')));
    const del = h('button.btn.small.ghost.pz-del', { type: 'button', title: t('console.remove'), 'aria-label': t('console.remove') }, '×');
    // One header names the columns; each field keeps its own place for a refusal.
    const row = h('div.prize-row', h('span.pz-medal'), h('div.field', name), h('div.field', count), restLabel, del);
    del.addEventListener('click', () => { row.remove(); renumber(); });
    rest.addEventListener('change', renumber);
    for (const el of [name, count]) el.addEventListener('input', renumber);
    rows.append(row);
  }

  /** Indexes the fields for refusals, keeps `rest` on the last level only, redraws the preview. */
  function renumber() {
    const all = [...rows.children];
    all.forEach((row, i) => {
      const last = i === all.length - 1;
      const rest = row.querySelector('.pz-rest');
      if (!last) rest.checked = false;
      row.querySelector('.pz-rest-label').hidden = !last;
      row.querySelector('.pz-medal').textContent = String(i + 1);
      row.querySelector('.pz-medal').className = `pz-medal ${TIERS[i] || 'merit'}`;
      row.querySelector('.pz-name').dataset.field = `prize_scheme[${i}].name`;
      const count = row.querySelector('.pz-count');
      count.dataset.field = `prize_scheme[${i}].count`;
      rest.dataset.field = `prize_scheme[${i}].rest`;
      count.disabled = rest.checked;
      count.placeholder = rest.checked ? '—' : '';
      count.title = rest.checked ? t('console.prizes.rest_hint') : '';
      if (rest.checked) count.value = '';
      else if (count.value === '') count.value = '1';
    });
    drawPreview();
  }

  function value() {
    return [...rows.children].map((row) => {
      const rest = row.querySelector('.pz-rest').checked;
      const out = { name: row.querySelector('.pz-name').value.trim(), count: rest ? 0 : Number(row.querySelector('.pz-count').value) };
      if (rest) out.rest = true;
      return out;
    });
  }

  function drawPreview() {
    const scheme = value();
    if (!scheme.length) { preview.textContent = t('console.prizes.none'); return; }
    let place = 1;
    const parts = [];
    for (const p of scheme) {
      if (p.rest) { parts.push(`${t('console.prizes.from', { n: place })}: ${p.name || '…'}`); break; }
      const n = Number.isInteger(p.count) && p.count > 0 ? p.count : 1;
      const where = n === 1 ? t('console.prizes.place', { n: place }) : t('console.prizes.places', { from: place, to: place + n - 1 });
      parts.push(`${where}: ${p.name || '…'}`);
      place += n;
    }
    preview.textContent = parts.join(' · ');
  }

  for (const p of c.prize_scheme || []) addRow(p);
  renumber();

  const head = h('div.prize-row.prize-head', { 'aria-hidden': 'true' }, h('span'), h('span', t('console.prizes.name')), h('span', t('console.prizes.count')));
  form.append(h('p.hint', t('console.prizes.lead')), head, rows,
    h('div.actions', h('button.btn.small.ghost#prize-add', { type: 'button', onclick: () => {
      addRow({ name: t('console.prizes.new_name'), count: 1 });
      renumber();
      rows.lastElementChild.querySelector('.pz-name').focus();
    } }, t('console.prizes.add'))),
    preview,
    h('div.actions', save), msg);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const scheme = value();
    // The server says the same; checking here puts the words beside the field at once.
    for (const [i, p] of scheme.entries()) {
      if (!p.name) { showError(form, { code: 'invalid_input', field: `prize_scheme[${i}].name` }); return; }
      if (!p.rest && !(Number.isInteger(p.count) && p.count >= 1 && p.count <= 100)) {
        showError(form, { code: 'invalid_input', field: `prize_scheme[${i}].count` });
        return;
      }
    }
    save.disabled = true;
    try {
      await api('PATCH', `/api/contests/${c.id}`, { prize_scheme: scheme });
      await ctx.refreshContest();
      say(msg, 'ok', t('console.prizes.saved'));
    } catch (err) {
      showError(form, err);
    } finally {
      save.disabled = false;
    }
  });
  return h('section.card#prize-card', h('h2', t('console.prizes.title')), form);
}

/**
 * The tie-break teams of a quiz or buzzer part. `teams`: the contest's teams; `board`: the
 * staff board now (for the ties), or null. `value()` is the sorted team ids ([] for an
 * ordinary part) or null when the box says tie-break with fewer than two teams.
 */
export function tieBreakField(p, teams, board) {
  const chosen = new Set(p?.tie_break_teams || []);
  const locked = !!p && p.status !== 'pending';
  const on = h('input#part-tiebreak-on', { type: 'checkbox', checked: chosen.size > 0, disabled: locked });
  const list = h('div.tb-teams#tiebreak-teams', { data: { field: 'tie_break_teams' } });
  const boxes = new Map();
  for (const tm of teams) {
    const cb = h('input', { type: 'checkbox', checked: chosen.has(tm.id), disabled: locked, value: String(tm.id) });
    boxes.set(tm.id, cb);
    list.append(h('label.tb-team', { data: { team: String(tm.id) } }, cb, h('span', tm.name)));
  }
  // Teams level on total share a rank: each such group is a tie a tie-break part can settle.
  const groups = new Map();
  for (const r of board?.rows || []) {
    if (!groups.has(r.rank)) groups.set(r.rank, []);
    groups.get(r.rank).push(r);
  }
  const ties = [...groups.entries()].filter(([, g]) => g.length > 1);
  const tieBox = h('div.tb-ties#tiebreak-ties', h('span.muted', ties.length ? t('console.tb.ties') : t('console.tb.no_ties')),
    ...ties.map(([rank, g]) => h('button.btn.small.secondary.tb-pick', {
      type: 'button', disabled: locked, data: { rank: String(rank) },
      onclick: () => {
        on.checked = true;
        for (const [id, cb] of boxes) cb.checked = g.some((r) => r.team_id === id);
        shown();
      },
    }, t('console.tb.tie', { rank, names: g.map((r) => r.team_name).join(', ') }))));
  const body = h('div.tb-body', field(t('console.tb.teams'), list, t('console.tb.teams_hint')), tieBox);
  const shown = () => { body.hidden = !on.checked; };
  on.addEventListener('change', shown);
  shown();
  const el = h('fieldset.scoring.tiebreak#part-tiebreak', h('legend', t('console.tb.legend')),
    h('label.check', on, h('span', t('console.tb.on'))), body, locked ? h('p.hint', t('console.tb.locked')) : null);
  return {
    el,
    value() {
      if (!on.checked) return [];
      const ids = [...boxes].filter(([, cb]) => cb.checked).map(([id]) => id).sort((a, b) => a - b);
      return ids.length >= 2 ? ids : null;
    },
  };
}

