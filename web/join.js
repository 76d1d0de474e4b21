// The join page: the team's code (typed, or from the team card's QR code via ?code=), a
// look at the team before joining, the contestant's name; then on to /play.
import { apply, langToggle, t } from '/assets/shared/i18n.js';

const KEY = 'hoithi.contestant';
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const form = $('join');
const code = $('code');
const name = $('name');
const submit = $('join-submit');

apply();
langToggle($('lang'));

const norm = (s) => s.toUpperCase().replace(/[\s-]/g, '');

function fieldError(field, text) {
  const box = $(`${field}-error`);
  box.textContent = text || '';
  box.hidden = !text;
  const input = field === 'join' ? null : $(field);
  if (input) input.classList.toggle('invalid', !!text);
}

function clearErrors() { for (const f of ['code', 'name', 'join']) fieldError(f, ''); }

/** Which field a refusal concerns and what to tell the person. */
function refusal(status, err) {
  const c = (err && err.code) || '';
  if (status === 404 || c === 'not_found') return ['code', t('play.join.code_wrong')];
  if (status === 429 || c === 'rate_limited') return ['code', t('play.join.rate_limited')];
  if (c === 'contest_closed') return ['code', t('play.join.closed')];
  if (c === 'invalid_input' && err.field === 'name') {
    return ['name', name.value.trim() ? t('play.join.name_long') : t('play.join.name_empty')];
  }
  if (status === 0) return ['join', t('err.network')];
  return ['join', t('err.generic')];
}

async function call(method, path, body) {
  let r;
  try {
    r = await fetch(path, {
      method,
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (_) { return { status: 0, body: null }; }
  let j = null;
  try { j = await r.json(); } catch (_) { /* not JSON */ }
  return { status: r.status, ok: r.ok, body: j };
}

let previewed = '';
async function preview() {
  const c = norm(code.value);
  if (c.length < 6 || c === previewed) return;
  previewed = c;
  const r = await call('GET', `/api/join/${encodeURIComponent(c)}`);
  if (norm(code.value) !== c) return;
  if (r.ok && r.body) {
    fieldError('code', '');
    $('preview-team').textContent = r.body.team_name;
    $('preview-unit').textContent = r.body.team_unit || '';
    $('preview-contest').textContent = r.body.contest_name;
    $('preview').hidden = false;
    if (r.body.contest_status === 'closed') fieldError('code', t('play.join.closed'));
  } else {
    $('preview').hidden = true;
    const [field, text] = refusal(r.status, r.body && r.body.error);
    if (field === 'code') fieldError('code', text);
  }
}

code.addEventListener('input', () => {
  const v = code.value.toUpperCase();
  if (v !== code.value) code.value = v;
  if (norm(v) !== previewed) { $('preview').hidden = true; previewed = ''; }
  fieldError('code', '');
  if (norm(v).length >= 6) preview();
});
name.addEventListener('input', () => fieldError('name', ''));

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearErrors();
  const c = norm(code.value);
  const n = name.value.trim();
  if (!c) { fieldError('code', t('play.join.code_empty')); code.focus(); return; }
  if (!n) { fieldError('name', t('play.join.name_empty')); name.focus(); return; }
  if (n.length > 60) { fieldError('name', t('play.join.name_long')); name.focus(); return; }
  submit.disabled = true;
  submit.textContent = t('play.join.joining');
  const r = await call('POST', '/api/join', { code: c, name: n });
  submit.disabled = false;
  submit.textContent = t('play.join.submit');
  if (!r.ok || !r.body || !r.body.token) {
    const [field, text] = refusal(r.status, r.body && r.body.error);
    fieldError(field, text);
    (field === 'name' ? name : code).focus();
    return;
  }
  const b = r.body;
  localStorage.setItem(KEY, JSON.stringify({
    token: b.token, name: n, code: c, contest_id: b.contest_id, team_id: b.team_id,
    contestant_id: b.contestant_id, is_captain: b.is_captain, team_name: b.team_name,
    contest_name: b.contest_name, expires_at: b.expires_at,
  }));
  location.href = '/play';
});

// Coming from an expired or revoked session, or from the team card's QR code.
if (params.get('expired')) $('expired').hidden = false;
if (params.get('code')) {
  code.value = norm(params.get('code'));
  preview();
  name.focus();
} else {
  let s = null;
  try { s = JSON.parse(localStorage.getItem(KEY) || 'null'); } catch (_) { /* ignore */ }
  if (s && s.token && s.team_name) {
    const a = $('resume');
    a.textContent = t('play.join.resume', { team: s.team_name });
    a.hidden = false;
  }
}
