// Small DOM helpers of the console: elements built with textContent only (names typed by
// people never go through innerHTML), server refusals shown beside the field they concern.
import { t, errorText } from '/assets/shared/i18n.js';

/**
 * `h('button.btn.small#go', {onclick, type: 'button', data: {k: 'v'}}, 'text', child…)`.
 * Strings become text nodes; null/false children are skipped; arrays are flattened.
 */
export function h(spec, attrs, ...children) {
  const m = /^([a-z0-9-]+)?((?:[.#][\w-]+)*)$/i.exec(spec) || [];
  const el = document.createElement(m[1] || 'div');
  for (const part of (m[2] || '').match(/[.#][\w-]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'data') for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = dv;
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k in el && k !== 'list' && k !== 'form') {
      try { el[k] = v; } catch (_) { el.setAttribute(k, v); }
    } else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A labelled field: `field('Tên', input, 'hint')`; the input carries data-field for errors. */
export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  return h('div.field', h('label', { htmlFor: id }, label), input, hint ? h('div.hint', hint) : null);
}

/** Vietnamese sentence for a refused field: a specific one when the strings have it. */
export function fieldText(err) {
  if (err.field) {
    const key = 'console.f.' + err.field.replace(/\[\d+\]/g, '');
    const s = t(key);
    if (s !== key) return s;
  }
  return errorText(err);
}

/**
 * Shows a server refusal inside `form`: beside the element whose data-field matches
 * `err.field` (or the setting a 409 part_started names), else in the form's `.msg`.
 */
export function showError(form, err, fallback) {
  clearErrors(form);
  let name = err.field;
  if (!name && err.code === 'part_started') {
    const m = /`([\w.]+)`/.exec(err.message || '');
    name = m ? m[1] : null;
  }
  let target = null;
  if (name) {
    const base = name.replace(/\[\d+\].*$/, '');
    target = form.querySelector(`[data-field="${CSS.escape(name)}"]`)
      || form.querySelector(`[data-field="${CSS.escape(base)}"]`)
      || [...form.querySelectorAll('[data-field]')].find((el) => name.startsWith(el.dataset.field + '.'));
  }
  const text = err.code === 'part_started' ? t('err.part_started') : fieldText(err);
  if (target) {
    target.classList.add('invalid');
    target.setAttribute('aria-invalid', 'true');
    const box = target.closest('.field') || target.parentElement;
    box.append(h('div.field-error', { role: 'alert', data: { for: name } }, text));
    target.focus?.();
  } else {
    const msg = form.querySelector(':scope > .msg, .form-msg') || fallback;
    if (msg) { msg.textContent = text; msg.className = (msg.classList.contains('form-msg') ? 'form-msg ' : '') + 'msg err'; msg.hidden = false; }
  }
}

export function clearErrors(form) {
  for (const e of form.querySelectorAll('.field-error')) e.remove();
  for (const e of form.querySelectorAll('.invalid')) { e.classList.remove('invalid'); e.removeAttribute('aria-invalid'); }
  for (const e of form.querySelectorAll('.msg.err')) { e.textContent = ''; e.hidden = true; }
}

/** A status line: `say(el, 'ok'|'err', text)`. */
export function say(el, kind, text) {
  el.textContent = text;
  el.className = (el.classList.contains('form-msg') ? 'form-msg ' : '') + `msg ${kind}`;
  el.hidden = !text;
}

/** Saves a fetched response as a file through a temporary blob link; resolves with its size. */
export async function saveResponse(res, fallbackName) {
  const blob = await res.blob();
  const cd = res.headers.get('content-disposition') || '';
  const m = /filename="?([^";]+)"?/i.exec(cd);
  const a = h('a', { href: URL.createObjectURL(blob), download: m ? m[1] : fallbackName, hidden: true });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  return blob.size;
}

let toastTimer = null;
/** A short message at the bottom of the screen. */
export function toast(text, kind = 'ok') {
  let el = document.getElementById('toast');
  if (!el) { el = h('div#toast', { role: 'status' }); document.body.append(el); }
  el.textContent = text;
  el.className = `show ${kind}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = ''; }, 3200);
}

export async function copy(text) {
  try { await navigator.clipboard.writeText(text); toast(t('console.copied')); return; } catch (_) { /* http */ }
  const ta = h('textarea', { value: text });
  document.body.append(ta);
  ta.select();
  try { document.execCommand('copy'); toast(t('console.copied')); } catch (_) { /* nothing */ }
  ta.remove();
}

export function fmtTime(ms) {
  if (!ms) return '';
  return new Date(ms).toLocaleString('vi-VN', { hour: '2-digit', minute: '2-digit', second: '2-digit', day: '2-digit', month: '2-digit' });
}

export function fmtNum(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return '';
  return Number(x).toLocaleString('vi-VN', { maximumFractionDigits: 2 });
}

/** A button that must be pressed twice (within 4 s) for destructive actions. */
export function confirmButton(cls, label, confirmLabel, action, attrs = {}) {
  let armed = null;
  const b = h(`button.btn.${cls}`, { type: 'button', ...attrs }, label);
  b.addEventListener('click', async () => {
    if (!armed) {
      b.textContent = confirmLabel;
      b.classList.add('armed');
      armed = setTimeout(() => { armed = null; b.textContent = label; b.classList.remove('armed'); }, 4000);
      return;
    }
    clearTimeout(armed); armed = null;
    b.textContent = label; b.classList.remove('armed');
    b.disabled = true;
    try { await action(); } finally { b.disabled = false; }
  });
  return b;
}

/** Inline SVG icon paths (24×24 viewBox) for the navigation. */
const ICONS = {
  home: 'M3 11l9-7 9 7v9a1 1 0 0 1-1 1h-5v-6H9v6H4a1 1 0 0 1-1-1z',
  teams: 'M8 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm8 0a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM1 21v-2a6 6 0 0 1 12 0v2zm13 0v-2a6 6 0 0 0-2-4.5A5 5 0 0 1 23 19v2z',
  parts: 'M4 4h16v4H4zm0 6h16v4H4zm0 6h10v4H4z',
  judges: 'M12 2l3 6 6 .9-4.5 4.4 1 6.2L12 16.6 6.5 19.5l1-6.2L3 8.9 9 8z',
  live: 'M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8zM4.9 4.9l1.4 1.4a8 8 0 0 0 0 11.4l-1.4 1.4a10 10 0 0 1 0-14.2zm14.2 0a10 10 0 0 1 0 14.2l-1.4-1.4a8 8 0 0 0 0-11.4z',
  review: 'M5 3h10l4 4v14H5zm9 1v4h4M8 12h8M8 16h8M8 8h4',
  plus: 'M11 4h2v7h7v2h-7v7h-2v-7H4v-2h7z',
  play: 'M7 4l13 8-13 8z',
  screen: 'M2 4h20v13H2zm7 15h6v2H9z',
  results: 'M7 3h10v2h4v3a5 5 0 0 1-4.6 5A5 5 0 0 1 13 16.9V19h4v2H7v-2h4v-2.1A5 5 0 0 1 7.6 13 5 5 0 0 1 3 8V5h4zm10 4v4a3 3 0 0 0 2-3V7zM5 7v1a3 3 0 0 0 2 3V7z',
  download: 'M11 3h2v9l3.5-3.5 1.4 1.4L12 15.8 6.1 9.9l1.4-1.4L11 12zM4 18h16v2H4z',
};

export function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '18');
  svg.setAttribute('height', '18');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'ico');
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', ICONS[name] || '');
  p.setAttribute('fill', 'currentColor');
  svg.append(p);
  return svg;
}
