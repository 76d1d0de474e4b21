// Calls to the JSON API from the staff screens: the bearer token, the organiser's refresh
// token when the 30-minute access token runs out, and errors as values a page can show
// beside the field they concern.
const KEY = 'hoithi.staff';

/** The signed-in organiser or judge ({token, refresh_token, expires_at, role, username}), or null. */
export function session() {
  try { return JSON.parse(localStorage.getItem(KEY) || 'null'); } catch (_) { return null; }
}

export function saveSession(s) { localStorage.setItem(KEY, JSON.stringify(s)); }

export function signOut() {
  localStorage.removeItem(KEY);
  location.href = '/';
}

/** An error from the server: `code` and `field` as the API gives them, `status` the HTTP status. */
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || (status === 0 ? 'network' : 'generic');
    this.field = e.field || null;
    this.state = e.state || null;
    this.reason = e.reason || null; // finer code of a refusal, with the values it needs
    this.params = e.params || null;
  }
}

let refreshing = null;

/** A valid access token: refreshed a minute before it runs out (organisers). */
export async function token() {
  const s = session();
  if (!s) throw new ApiError(401, { error: { code: 'token_missing' } });
  if (s.refresh_token && s.expires_at && s.expires_at - Date.now() < 60000) {
    refreshing = refreshing || fetch('/api/auth/refresh', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: s.refresh_token }),
    }).then(async (r) => {
      if (!r.ok) return null;
      const j = await r.json();
      const next = { ...s, token: j.token, expires_at: j.expires_at };
      saveSession(next);
      return next;
    }).catch(() => null).finally(() => { refreshing = null; });
    const next = await refreshing;
    if (next) return next.token;
  }
  return s.token;
}

/**
 * Calls the API. `body` is sent as JSON unless it is a string, Blob or ArrayBuffer (then
 * as is, with `contentType`). Resolves with the parsed JSON (or null for 204); throws
 * ApiError. A 401 sends the person back to sign in.
 */
export async function api(method, path, body, { contentType, raw = false } = {}) {
  const headers = { Authorization: `Bearer ${await token()}` };
  let payload;
  if (body !== undefined && body !== null) {
    if (typeof body === 'string' || body instanceof Blob || body instanceof ArrayBuffer) {
      payload = body;
      headers['Content-Type'] = contentType || 'text/plain; charset=utf-8';
    } else {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
  }
  let r;
  try {
    r = await fetch(path, { method, headers, body: payload });
  } catch (_) {
    throw new ApiError(0, null);
  }
  if (raw && r.ok) return r;
  if (r.status === 204) return null;
  let j = null;
  try { j = await r.json(); } catch (_) { /* not JSON */ }
  if (!r.ok) {
    const err = new ApiError(r.status, j);
    if (r.status === 401) document.dispatchEvent(new CustomEvent('unauthorized', { detail: err }));
    throw err;
  }
  return j;
}
