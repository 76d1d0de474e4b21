// User-facing strings: one file per language under strings/, Vietnamese by default, the
// choice remembered per device. `t('play.recorded')` gives the string; `{name}` in a
// string is filled from the second argument. Elements with `data-i18n="key"` get their
// text from `apply()`; `data-i18n-placeholder`, `data-i18n-title` and
// `data-i18n-aria-label` fill those attributes.
import vi from './strings/vi.js';
import en from './strings/en.js';

const LANGS = { vi, en };
const KEY = 'hoithi.lang';

/** Adds a screen's own strings (the console's are loaded by the console only). */
export function extend(l, table) {
  if (LANGS[l]) Object.assign(LANGS[l], table);
}

export function lang() {
  let l = null;
  try { l = localStorage.getItem(KEY); } catch (_) { /* private mode */ }
  return LANGS[l] ? l : 'vi';
}

export function setLang(l) {
  if (!LANGS[l]) return;
  try { localStorage.setItem(KEY, l); } catch (_) { /* private mode */ }
  document.documentElement.lang = l;
  apply(document);
  document.dispatchEvent(new CustomEvent('langchange', { detail: l }));
}

export function t(key, params) {
  const s = LANGS[lang()][key] ?? vi[key] ?? key;
  if (!params) return s;
  return s.replace(/\{(\w+)\}/g, (m, k) => (params[k] !== undefined ? String(params[k]) : m));
}

export function apply(root = document) {
  document.documentElement.lang = lang();
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const attr of ['placeholder', 'title', 'aria-label']) {
    const data = 'i18n' + attr.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join('');
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) el.setAttribute(attr, t(el.dataset[data]));
  }
}

/** A button that switches between Vietnamese and English. */
export function langToggle(el) {
  const render = () => { el.textContent = lang() === 'vi' ? 'EN' : 'VI'; el.setAttribute('aria-label', lang() === 'vi' ? 'English' : 'Tiếng Việt'); };
  render();
  el.addEventListener('click', () => { setLang(lang() === 'vi' ? 'en' : 'vi'); render(); });
}

/** Maps a server error ({code, message}) to a sentence for people. */
export function errorText(err) {
  if (!err) return t('err.network');
  const k = 'err.' + err.code;
  const s = t(k);
  return s === k ? t('err.generic') : s;
}
