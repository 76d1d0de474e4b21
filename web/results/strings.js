// Strings of the results pages (public results and minutes), Vietnamese and English. Kept
// here rather than in shared/strings so the screens' sections there stay untouched.
import { lang } from '../shared/i18n.js';

const vi = {
  'results.kicker': 'Kết quả chung cuộc',
  'results.loading': 'Đang tải kết quả…',
  'results.unpublished': 'Kết quả của hội thi này chưa được công bố.',
  'results.unpublished_hint': 'Ban tổ chức sẽ công bố kết quả sau khi kết thúc phần thi cuối cùng. Vui lòng quay lại sau.',
  'results.network': 'Không tải được kết quả. Kiểm tra mạng và thử lại.',
  'results.retry': 'Thử lại',
  'results.ranking': 'Bảng xếp hạng',
  'results.progression': 'Diễn biến điểm qua các phần thi',
  'results.breakdown': 'Điểm từng phần thi',
  'results.start': 'Bắt đầu',
  'results.part_n': 'Phần {n}',
  'results.rank': 'Hạng',
  'results.team': 'Đội',
  'results.total': 'Tổng',
  'results.points': 'điểm',
  'results.members': 'Thành viên',
  'results.shared': 'Đồng giải',
  'results.teams_n': '{n} đội tham gia',
  'results.parts_n': '{n} phần thi',
  'results.published': 'Công bố lúc {at}',
  'results.share': 'Sao chép liên kết',
  'results.copied': 'Đã sao chép liên kết',
  'results.weight': 'hệ số {w}',
  'results.top': 'Hiển thị {n} đội dẫn đầu',
  'minutes.need_signin': 'Biên bản chỉ dành cho Ban tổ chức và Ban giám khảo. Vui lòng đăng nhập.',
  'minutes.signin': 'Đăng nhập',
  'minutes.print': 'In biên bản',
};

const en = {
  'results.kicker': 'Final results',
  'results.loading': 'Loading the results…',
  'results.unpublished': 'The results of this contest have not been published.',
  'results.unpublished_hint': 'The organisers publish the results after the last part. Please come back later.',
  'results.network': 'Could not load the results. Check the network and try again.',
  'results.retry': 'Try again',
  'results.ranking': 'Ranking',
  'results.progression': 'Scores across the parts',
  'results.breakdown': 'Scores by part',
  'results.start': 'Start',
  'results.part_n': 'Part {n}',
  'results.rank': 'Rank',
  'results.team': 'Team',
  'results.total': 'Total',
  'results.points': 'points',
  'results.members': 'Members',
  'results.shared': 'Shared',
  'results.teams_n': '{n} teams took part',
  'results.parts_n': '{n} parts',
  'results.published': 'Published {at}',
  'results.share': 'Copy link',
  'results.copied': 'Link copied',
  'results.weight': 'weight {w}',
  'results.top': 'Showing the {n} leading teams',
  'minutes.need_signin': 'The minutes are for the organisers and the judges. Please sign in.',
  'minutes.signin': 'Sign in',
  'minutes.print': 'Print the minutes',
};

export function rt(key, params) {
  const table = lang() === 'en' ? en : vi;
  const s = table[key] ?? vi[key] ?? key;
  if (!params) return s;
  return s.replace(/\{(\w+)\}/g, (m, k) => (params[k] !== undefined ? String(params[k]) : m));
}

/** A tiny DOM builder: h('div', {class: 'x'}, 'text', child). Text is always text. */
export function h(tag, attrs, ...children) {
  const el = document.createElementNS(tag === 'svg' || attrs?.__svg ? 'http://www.w3.org/2000/svg' : 'http://www.w3.org/1999/xhtml', tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === '__svg' || v === null || v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function s(tag, attrs, ...children) { return h(tag, { ...attrs, __svg: true }, ...children); }

/** 12.5 → "12,5" (Vietnamese decimal comma); integers stay plain. */
export function fmt(n) {
  const v = Math.round(n * 100) / 100;
  return v.toLocaleString(lang() === 'en' ? 'en-GB' : 'vi-VN', { maximumFractionDigits: 2 });
}

/** "2025-05-15" → "15/05/2025". */
export function dmy(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || '');
  return m ? `${m[3]}/${m[2]}/${m[1]}` : '';
}
