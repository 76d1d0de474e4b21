// The answers' distribution as an inline SVG bar chart, and which of its keys are right
// once the solution is revealed. Keys are the server's (src/live/engine.rs
// `response_key`): "A".."Z" for a choice, "A+C" for several, "true"/"false", the folded
// text of a short answer, the number rounded to 0.01.
import { t } from '/assets/shared/i18n.js';
import { s } from './dom.js';

export const letter = (i) => String.fromCharCode(65 + i);

/** Lower case, no diacritics, đ → d, words separated by one space (like the server's fold). */
export function fold(x) {
  return String(x).normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd')
    .toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean).join(' ');
}

/** The option keys (and letters to light up) that a revealed solution makes right. */
export function rightKeys(solution, keys) {
  if (!solution) return { keys: new Set(), options: new Set(), text: '' };
  switch (solution.kind) {
    case 'single':
      return { keys: new Set([letter(solution.option)]), options: new Set([solution.option]), text: letter(solution.option) };
    case 'multiple': {
      const o = [...solution.options].sort((a, b) => a - b);
      const k = o.map(letter).join('+');
      return { keys: new Set([k]), options: new Set(o), text: k };
    }
    case 'true_false':
      return { keys: new Set([String(solution.value)]), options: new Set([solution.value ? 0 : 1]), text: t(solution.value ? 'projector.true' : 'projector.false') };
    case 'short_text': {
      const acc = new Set((solution.accepted || []).map(fold));
      return { keys: new Set(keys.filter((k) => acc.has(fold(k)))), options: new Set(), text: (solution.accepted || [])[0] || '' };
    }
    case 'number': {
      const tol = solution.tolerance || 0;
      const ok = keys.filter((k) => Math.abs(Number(k) - solution.value) <= tol + 1e-9);
      return { keys: new Set(ok), options: new Set(), text: String(solution.value).replace('.', ',') };
    }
    default:
      return { keys: new Set(), options: new Set(), text: '' };
  }
}

/** The bars to draw: every option of a choice question (zero included), then other keys. */
export function bars(question, distribution) {
  const counts = new Map((distribution || []).map(([k, n]) => [k, n]));
  const out = [];
  const kind = question && question.kind;
  if (kind === 'single' || kind === 'multiple') {
    question.options.forEach((text, i) => {
      const k = letter(i);
      out.push({ key: k, label: k, text, count: counts.get(k) || 0, opt: i });
      counts.delete(k);
    });
  } else if (kind === 'true_false') {
    out.push({ key: 'true', label: t('projector.true'), text: '', count: counts.get('true') || 0, opt: 0 });
    out.push({ key: 'false', label: t('projector.false'), text: '', count: counts.get('false') || 0, opt: 1 });
    counts.delete('true');
    counts.delete('false');
  }
  for (const [k, n] of counts) out.push({ key: k, label: k, text: '', count: n, opt: null });
  return out.slice(0, 8);
}

const W = 1300;
const H = 450;
const TOP = 130;
const BASE = 360;

/** The chart: bars coloured like the option tiles, the count above, the key below. */
export function chart(question, distribution, right) {
  const list = bars(question, distribution);
  const max = Math.max(1, ...list.map((b) => b.count));
  const total = list.reduce((a, b) => a + b.count, 0);
  const n = Math.max(list.length, 1);
  const slot = W / n;
  const bw = Math.min(190, slot * 0.62);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'dist-svg', role: 'img' });
  svg.append(s('line', { x1: 0, x2: W, y1: BASE, y2: BASE, class: 'dist-base' }));
  list.forEach((b, i) => {
    const x = slot * i + (slot - bw) / 2;
    const hgt = Math.max(6, ((BASE - TOP) * b.count) / max);
    const isRight = right && right.keys.has(b.key);
    const cls = ['dist-bar', b.opt !== null ? `opt-${'abcd'[b.opt] || 'x'}` : 'opt-x'];
    if (right && right.keys.size) cls.push(isRight ? 'right' : 'dim');
    const g = s('g', { class: cls.join(' '), 'data-key': b.key, 'data-right': isRight ? 'true' : null, 'data-count': String(b.count) });
    g.append(s('rect', { x, y: BASE - hgt, width: bw, height: hgt, rx: 10, class: 'bar' }));
    const pct = total ? Math.round((100 * b.count) / total) : 0;
    g.append(s('text', { x: x + bw / 2, y: BASE - hgt - 16, class: 'dist-count', 'text-anchor': 'middle' }, String(b.count)));
    g.append(s('text', { x: x + bw / 2, y: BASE - hgt - 58, class: 'dist-pct', 'text-anchor': 'middle' }, total ? `${pct}%` : ''));
    g.append(s('text', { x: x + bw / 2, y: BASE + 52, class: 'dist-key', 'text-anchor': 'middle' }, clip(b.label, 14)));
    if (b.text) g.append(s('text', { x: x + bw / 2, y: BASE + 84, class: 'dist-text', 'text-anchor': 'middle' }, clip(b.text, Math.floor(slot / 14))));
    if (isRight) g.append(s('text', { x: x + bw / 2, y: BASE - hgt / 2 + 14, class: 'dist-check', 'text-anchor': 'middle' }, '✓'));
    svg.append(g);
  });
  return svg;
}

function clip(x, n) {
  const str = String(x);
  return str.length > n ? str.slice(0, Math.max(1, n - 1)) + '…' : str;
}
