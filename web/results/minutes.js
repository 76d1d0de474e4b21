// The minutes (biên bản) of a contest: a printable A4 page in the administrative style a
// committee files. Organiser or judge data: fetched with the signed-in staff token
// (localStorage 'hoithi.staff') from GET /api/contests/{id}/results. Everything is text.
import { api, session } from '../shared/api.js';
import { rt, h, fmt } from './strings.js';

const cid = Number(location.pathname.split('/').filter(Boolean)[1]);
const doc = document.getElementById('doc');
const printBtn = document.getElementById('print');

function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }

function dateWords(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || '');
  if (!m) return 'ngày … tháng … năm …';
  return `ngày ${Number(m[3])} tháng ${Number(m[2])} năm ${m[1]}`;
}

function vnTime(ms) {
  const d = new Date(ms + 7 * 3600 * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())} ${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}

// "Huyện ủy Châu Thành" → "Châu Thành": the place name of the date line (địa danh).
const PREFIXES = ['ủy ban nhân dân', 'hội đồng nhân dân', 'ban thường vụ', 'đảng ủy', 'huyện ủy', 'tỉnh ủy', 'thành ủy', 'quận ủy', 'thị ủy',
  'huyện đoàn', 'tỉnh đoàn', 'thành đoàn', 'ubnd', 'thị trấn', 'thành phố', 'thị xã', 'huyện', 'tỉnh', 'quận', 'phường', 'xã'];
function place(unit) {
  let u = (unit || '').trim();
  let changed = false;
  for (let again = true; again;) {
    again = false;
    for (const p of PREFIXES) {
      if (u.toLowerCase().startsWith(p + ' ')) { u = u.slice(p.length).trim(); changed = again = true; }
    }
  }
  return changed && u ? u : '';
}
function cap(s) { return s.charAt(0).toUpperCase() + s.slice(1); }

function actorName(a) { const i = a.indexOf(':'); return i >= 0 ? a.slice(i + 1) : a; }

function table(cls, headers, rows) {
  return h('table', { class: `mn-table ${cls}` },
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { class: x.num ? 'num' : null }, x.t ?? x)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => (c instanceof Node ? c : h('td', { class: typeof c === 'number' ? 'num' : null }, typeof c === 'number' ? fmt(c) : c)))))));
}

function prizeText(p) { return p ? (p.shared ? `${p.name} (đồng giải)` : p.name) : ''; }

function render(d) {
  const r = d.current;
  const c = r.contest;
  clear(doc);
  const unit = (c.unit || '').toUpperCase();
  const parts = [
    h('div', { class: 'mn-head' },
      h('div', { class: 'mn-head-l' },
        unit ? h('div', {}, unit) : null,
        h('div', { class: 'mn-b mn-u' }, 'BAN TỔ CHỨC HỘI THI'),
        h('div', { class: 'mn-no' }, 'Số: ……/BB-BTC')),
      h('div', { class: 'mn-head-r' },
        h('div', { class: 'mn-b' }, 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM'),
        h('div', { class: 'mn-b mn-u mn-motto' }, 'Độc lập - Tự do - Hạnh phúc'),
        h('div', { class: 'mn-i mn-date' }, place(c.unit) ? `${place(c.unit)}, ${dateWords(c.held_on)}` : cap(dateWords(c.held_on))))),
    h('h1', { class: 'mn-title' }, 'BIÊN BẢN'),
    h('div', { class: 'mn-subtitle' }, `Tổng hợp kết quả ${c.name}`),
    h('p', {}, `Hôm nay, ${dateWords(c.held_on)}${c.venue ? `, tại ${c.venue}` : ''}, Ban Tổ chức ${c.name}${c.unit ? ` do ${c.unit} tổ chức` : ''} lập biên bản tổng hợp kết quả hội thi như sau:`),
    h('h2', {}, 'I. THÀNH PHẦN'),
    h('p', {}, h('span', { class: 'mn-b' }, 'Đơn vị tổ chức: '), c.unit || '……………………'),
    h('p', {}, h('span', { class: 'mn-b' }, 'Ban Giám khảo: '), d.judges.length ? '' : '……………………'),
    d.judges.length ? h('ol', { class: 'mn-judges' }, d.judges.map((j) => h('li', {}, j))) : null,
    h('h2', {}, `II. CÁC ĐỘI THI (${r.rows.length} đội)`),
    table('mn-teams', ['STT', 'Tên đội', 'Đơn vị', 'Thành viên'],
      r.rows.slice().sort((a, b) => a.team_id - b.team_id).map((t, i) => [String(i + 1), t.team_name, t.unit, t.members.join(', ')])),
    h('h2', {}, 'III. KẾT QUẢ TỪNG PHẦN THI'),
    r.parts.map((p, i) => {
      const rows = r.rows.map((t) => ({ t, s: t.parts[i] ? t.parts[i].score : 0 })).sort((a, b) => b.s - a.s);
      return h('section', { class: 'mn-part' },
        h('h3', {}, `${i + 1}. ${p.title}${p.weight !== 1 ? ` (hệ số ${fmt(p.weight)})` : ''}${p.status !== 'finished' ? ' — chưa kết thúc' : ''}`),
        table('mn-part-table', ['STT', 'Đội', { t: 'Điểm', num: true }], rows.map((x, k) => [String(k + 1), x.t.team_name, x.s])));
    }),
    h('h2', {}, 'IV. KẾT QUẢ CHUNG CUỘC VÀ GIẢI THƯỞNG'),
    table('mn-final', ['Hạng', 'Đội', 'Đơn vị', ...r.parts.map((p, i) => ({ t: `Phần ${i + 1}`, num: true })), { t: 'Tổng điểm', num: true }, 'Giải'],
      r.rows.map((t) => [String(t.rank), t.team_name, t.unit, ...r.parts.map((p, i) => (t.parts[i] ? t.parts[i].score : 0)), t.total, prizeText(t.prize)])),
    r.ties.length && !r.ties_confirmed ? h('p', { class: 'mn-i' }, 'Ghi chú: có các đội bằng điểm tại ranh giới giải thưởng; Ban Tổ chức quyết định việc đồng giải.') : null,
    h('h2', {}, 'V. ĐIỀU CHỈNH ĐIỂM'),
    d.adjustments.length
      ? table('mn-adj', ['STT', 'Thời gian', 'Đội', 'Phần thi', { t: 'Điểm', num: true }, { t: 'Trước → sau', num: true }, 'Lý do', 'Người thực hiện'],
        d.adjustments.map((a, i) => [String(i + 1), vnTime(a.created_at), a.team_name, a.part_title || 'Tổng điểm',
          (a.delta > 0 ? '+' : '') + fmt(a.delta),
          a.old_total !== null && a.new_total !== null ? `${fmt(a.old_total)} → ${fmt(a.new_total)}` : '',
          a.reason, actorName(a.actor)]))
      : h('p', {}, 'Không có điều chỉnh điểm.'),
    h('p', { class: 'mn-close' }, 'Biên bản được lập thành 02 bản có giá trị như nhau, đã được thông qua và các thành viên thống nhất ký tên dưới đây.'),
    h('div', { class: 'mn-signs' },
      h('div', { class: 'mn-sign' }, h('div', { class: 'mn-b' }, 'TRƯỞNG BAN GIÁM KHẢO'), h('div', { class: 'mn-i' }, '(Ký, ghi rõ họ tên)')),
      h('div', { class: 'mn-sign' }, h('div', { class: 'mn-b' }, 'TRƯỞNG BAN TỔ CHỨC'), h('div', { class: 'mn-i' }, '(Ký, ghi rõ họ tên, đóng dấu)'))),
  ];
  doc.append(...parts.flat().filter(Boolean));
  document.title = `Biên bản — ${c.name}`;
  printBtn.disabled = false;
  document.body.dataset.ready = '1';
}

function message(text, signIn) {
  clear(doc);
  doc.append(h('div', { class: 'mn-msg', 'data-testid': 'minutes-message' }, h('p', {}, text),
    signIn ? h('a', { class: 'mn-btn', href: '/' }, rt('minutes.signin')) : null));
  document.body.dataset.ready = 'error';
}

async function load() {
  if (!session()) return message(rt('minutes.need_signin'), true);
  try {
    render(await api('GET', `/api/contests/${cid}/results`));
  } catch (e) {
    message(e.status === 404 ? 'Không tìm thấy hội thi.' : e.status === 403 ? rt('minutes.need_signin') : rt('results.network'), e.status === 403);
  }
}

printBtn.addEventListener('click', () => window.print());
load();
