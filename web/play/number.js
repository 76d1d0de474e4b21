// Numbers as Vietnamese write them: "7.300" and "7 300" are seven thousand three
// hundred, "3,5" is three and a half. The rules:
// - spaces and dots between groups of exactly three digits separate thousands;
// - a comma is the decimal mark;
// - a single dot followed by anything but three digits (or after a lone 0) is a
//   decimal point: "3.5", "0.125", "12345.6".
// Anything else is not read (null), so the phone asks again instead of guessing.

/** Digits with optional thousands separators (spaces or dots) → plain digits, or null. */
function grouped(s) {
  const g = s.split(/ |\./);
  if (g.length === 1) return /^\d+$/.test(g[0]) ? g[0] : null;
  if (!/^\d{1,3}$/.test(g[0])) return null;
  for (const x of g.slice(1)) if (!/^\d{3}$/.test(x)) return null;
  return g.join('');
}

/** The number written in `raw`, or null when it cannot be read unambiguously. */
export function parseNumber(raw) {
  let s = String(raw ?? '').replace(/[\u00a0\u202f\u2009\t]/g, ' ').trim().replace(/ +/g, ' ');
  if (!s) return null;
  let sign = 1;
  if (/^[-−–]/.test(s)) { sign = -1; s = s.slice(1).trim(); } else if (s[0] === '+') s = s.slice(1).trim();
  let int = s;
  let frac = '';
  if (s.includes(',')) {
    const parts = s.split(',');
    if (parts.length !== 2) return null;
    [int, frac] = [parts[0].trim(), parts[1].trim()];
    if (!/^\d+$/.test(frac)) return null;
    if (int === '') int = '0';
  } else {
    const dots = s.split('.').length - 1;
    if (dots === 1) {
      const [before, after] = s.split('.');
      const thousands = /^\d{3}$/.test(after) && before !== '' && !/^0+$/.test(before) && !/ $/.test(before);
      if (!thousands) {
        if (!/^\d+$/.test(after)) return null;
        int = before === '' ? '0' : before;
        frac = after;
      }
    }
  }
  const digits = grouped(int);
  if (digits === null) return null;
  const n = sign * Number(digits + (frac ? '.' + frac : ''));
  return Number.isFinite(n) ? n : null;
}

/** A number shown back unambiguously: no grouping, the language's decimal mark. */
export function formatNumber(n, lang = 'vi') {
  const s = String(Math.round(n * 1e9) / 1e9);
  return lang === 'vi' ? s.replace('.', ',') : s;
}
