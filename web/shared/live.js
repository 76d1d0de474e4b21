// The one live client of every screen: the socket to GET /api/live, reconnect with
// backoff and jitter, the server's clock (best of several round trips), and, for phones,
// the outbox of answers not yet acknowledged.
//
// Rules it keeps:
// - The server's clock decides. `now()` is the server time as this device best knows it;
//   countdowns are drawn from `deadline_at - now()`.
// - An answer is "recorded" only when its ack arrives. Until then it waits in the outbox
//   (localStorage, so a locked screen or a reload keeps it) and is resent with the same
//   submission id after every reconnect; the server counts it once.
// - The first message on every (re)connection is a fresh `state` snapshot from the
//   server: that is the sync after a reconnect. `sync()` asks for another.

const PING_SAMPLES = 5;
const PING_GAP_MS = 250;
const REPING_MS = 30000;
const BACKOFF_BASE_MS = 400;
const BACKOFF_MAX_MS = 10000;

/** A random submission id (crypto.randomUUID is missing on plain http in some browsers). */
export function newId() {
  if (globalThis.crypto && crypto.randomUUID) {
    try { return crypto.randomUUID(); } catch (_) { /* not a secure context */ }
  }
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** The claims of a token (not verified: the server does that), or null. */
export function claimsOf(token) {
  try {
    const p = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(decodeURIComponent(escape(atob(p))));
  } catch (_) { return null; }
}

/** Refusals that store nothing and pass by themselves: the answer is sent again. */
const RESEND = new Set(['storage_unavailable', 'unavailable']);

export class Live {
  /**
   * @param {object} o
   * @param {string | (() => Promise<string>)} o.token bearer token, or a function giving a
   *   fresh one (organisers' access tokens last 30 minutes; each reconnect asks again)
   * @param {number} [o.contestId] which contest (organisers and judge accounts)
   * @param {(msg: object) => void} o.onMessage every server message, parsed
   * @param {(status: string) => void} [o.onStatus] connecting | open | offline | revoked | unauthorized
   * @param {string} [o.outboxKey] localStorage key of the outbox (phones)
   */
  constructor(o) {
    this.getToken = typeof o.token === 'function' ? o.token : async () => o.token;
    this.token = typeof o.token === 'function' ? '' : o.token;
    this.contestId = o.contestId;
    this.onMessage = o.onMessage;
    this.onStatus = o.onStatus || (() => {});
    this.outboxKey = o.outboxKey || null;
    this.ws = null;
    this.status = 'idle';
    this.attempt = 0;
    this.stopped = false;
    this.timer = null;
    this.offset = 0; // server time - local time, ms
    this.bestRtt = Infinity;
    this.samples = [];
    this.pings = [];
    this.waiters = new Map(); // submission id -> {resolve, reject}
    this.stalled = new Set(); // submission ids the server could not store yet
    this.reping = null;
    this.claims = claimsOf(this.token) || {};
    this._online = () => this.reconnectNow();
    // The browser says the network is gone: the socket is as good as dead (the close
    // handshake cannot finish), so drop it now; answers wait in the outbox.
    this._offline = () => {
      const ws = this.ws;
      if (!ws) return;
      this.ws = null;
      ws.onclose = null;
      try { ws.close(); } catch (_) { /* already closed */ }
      clearInterval(this.reping);
      this.setStatus('offline');
      this.retry();
    };
    this._visible = () => { if (document.visibilityState === 'visible') this.reconnectNow(); };
  }

  start() {
    this.stopped = false;
    addEventListener('online', this._online);
    addEventListener('offline', this._offline);
    document.addEventListener('visibilitychange', this._visible);
    this.open();
    return this;
  }

  stop() {
    this.stopped = true;
    removeEventListener('online', this._online);
    removeEventListener('offline', this._offline);
    document.removeEventListener('visibilitychange', this._visible);
    clearTimeout(this.timer);
    clearInterval(this.reping);
    if (this.ws) { this.ws.onclose = null; this.ws.close(); this.ws = null; }
  }

  /** The server's time now, as best known (ms since the epoch). */
  now() { return Date.now() + this.offset; }

  /** True while the socket is open. */
  get connected() { return this.ws !== null && this.ws.readyState === WebSocket.OPEN; }

  setStatus(s) {
    if (s === this.status) return;
    this.status = s;
    this.onStatus(s);
  }

  url() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let u = `${proto}//${location.host}/api/live?token=${encodeURIComponent(this.token)}`;
    if (this.contestId != null) u += `&contest_id=${encodeURIComponent(this.contestId)}`;
    return u;
  }

  async open() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    if (this.status !== 'offline') this.setStatus('connecting');
    try { this.token = await this.getToken(); } catch (_) { /* keep the last one */ }
    if (this.stopped) return;
    this.claims = claimsOf(this.token) || {};
    let ws;
    try { ws = new WebSocket(this.url()); } catch (_) { this.retry(); return; }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.setStatus('open');
      this.measureClock();
      clearInterval(this.reping);
      this.reping = setInterval(() => this.ping(), REPING_MS);
    };
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch (_) { return; }
      this.onServer(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.reping);
      if (ev.reason === 'token_revoked' || ev.code === 1008) { this.setStatus('revoked'); return; }
      if (!opened) { this.checkToken(); }
      this.setStatus('offline');
      this.retry(ev.reason === 'engine_stopped' || ev.reason === 'too_slow');
    };
  }

  /** A socket that never opened may mean the token is no longer accepted. */
  async checkToken() {
    try {
      const r = await fetch('/api/me', { headers: { Authorization: `Bearer ${this.token}` } });
      if (r.status === 401) {
        this.stopped = true;
        clearTimeout(this.timer);
        this.setStatus('unauthorized');
      }
    } catch (_) { /* offline: keep trying */ }
  }

  retry(soon = false) {
    if (this.stopped) return;
    const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempt);
    const wait = soon && this.attempt === 0 ? 100 + Math.random() * 900 : cap / 2 + Math.random() * cap / 2;
    this.attempt = Math.min(this.attempt + 1, 10);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.open(), wait);
  }

  /** Back online or back on screen: try at once instead of waiting out the backoff. */
  reconnectNow() {
    if (this.stopped || this.connected) return;
    if (this.ws && this.ws.readyState === WebSocket.CONNECTING) return;
    this.attempt = 0;
    this.open();
  }

  send(obj) {
    if (!this.connected) return false;
    try { this.ws.send(JSON.stringify(obj)); return true; } catch (_) { return false; }
  }

  sync() { return this.send({ type: 'sync' }); }

  ping() {
    if (this.send({ type: 'ping' })) this.pings.push(Date.now());
  }

  measureClock() {
    this.pings = [];
    for (let i = 0; i < PING_SAMPLES; i++) setTimeout(() => this.ping(), i * PING_GAP_MS);
  }

  onServer(msg) {
    const t1 = Date.now();
    if (msg.type === 'pong') {
      const t0 = this.pings.shift();
      if (t0 !== undefined) {
        const rtt = t1 - t0;
        // The offset of the round trip with the smallest delay is the least wrong.
        this.samples.push({ rtt, offset: msg.server_time + rtt / 2 - t1 });
        if (this.samples.length > 12) this.samples.shift();
        const best = this.samples.reduce((a, b) => (b.rtt < a.rtt ? b : a));
        this.offset = best.offset;
        this.bestRtt = best.rtt;
      }
      return;
    }
    if (this.samples.length === 0 && typeof msg.server_time === 'number') {
      this.offset = msg.server_time - t1; // rough, until the first round trip
    }
    if (msg.type === 'state') this.flushOutbox();
    if (msg.type === 'ack' && msg.ack) this.settle(msg.ack.submission_id, null, msg.ack);
    if (msg.type === 'error' && msg.error && msg.error.submission_id) {
      if (RESEND.has(msg.error.code)) this.resendLater(msg.error.submission_id);
      else this.settle(msg.error.submission_id, msg.error, null);
    }
    this.onMessage(msg);
  }

  // --- the outbox (phones) ---

  outbox() {
    if (!this.outboxKey) return [];
    try { return JSON.parse(localStorage.getItem(this.outboxKey) || '[]'); } catch (_) { return []; }
  }

  saveOutbox(list) {
    if (!this.outboxKey) return;
    try { localStorage.setItem(this.outboxKey, JSON.stringify(list)); } catch (_) { /* storage full: memory only */ }
  }

  /** Answers waiting for their ack, oldest first. */
  pending() { return this.outbox(); }

  /**
   * Sends an answer; resolves with the ack once the server has stored it, rejects with
   * the server's error ({code, message}). Unacknowledged answers survive a reload and
   * are resent with the same submission id when the socket is back.
   */
  answer({ question_id, response, star = false }) {
    const item = { submission_id: newId(), question_id, response, star, at: Date.now() };
    const list = this.outbox().filter((x) => x.question_id === question_id);
    list.push(item);
    this.saveOutbox(list);
    const p = new Promise((resolve, reject) => this.waiters.set(item.submission_id, { resolve, reject }));
    this.deliver(item);
    return p;
  }

  deliver(item) {
    const body = { submission_id: item.submission_id, question_id: item.question_id, response: item.response, star: item.star };
    if (this.send({ type: 'answer', ...body })) return;
    // No socket: try HTTP, which may pass where the socket cannot.
    const cid = this.claims.cid;
    if (cid == null) return;
    fetch(`/api/contests/${cid}/answers`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${this.token}` },
      body: JSON.stringify(body),
    }).then(async (r) => {
      let j = null;
      try { j = await r.json(); } catch (_) { /* no body */ }
      if (r.ok && j) this.onServer({ type: 'ack', server_time: Date.now() + this.offset, ack: j });
      else if (j && j.error && r.status !== 503) this.onServer({ type: 'error', server_time: Date.now() + this.offset, error: { ...j.error, submission_id: item.submission_id } });
      else if (r.status === 503) this.resendLater(item.submission_id);
    }).catch(() => { /* offline: it stays in the outbox */ });
  }

  /**
   * The server could not store the answer (a full disk, its database gone): nothing was
   * stored, so it stays in the outbox and goes again, with the same submission id, in a
   * few seconds (and at every reconnect) until it is acknowledged or refused for good.
   */
  resendLater(submissionId) {
    this.stalled.add(submissionId);
    setTimeout(() => {
      const item = this.outbox().find((x) => x.submission_id === submissionId);
      if (item && !this.stopped) this.deliver(item);
    }, 2000 + Math.random() * 2000);
  }

  /** True while an answer to this question waits because the server could not store it. */
  isStalled(questionId) {
    return this.outbox().some((x) => x.question_id === questionId && this.stalled.has(x.submission_id));
  }

  flushOutbox() {
    for (const item of this.outbox()) this.deliver(item);
  }

  settle(submissionId, error, ack) {
    this.stalled.delete(submissionId);
    const list = this.outbox();
    const rest = list.filter((x) => x.submission_id !== submissionId);
    if (rest.length !== list.length) this.saveOutbox(rest);
    const w = this.waiters.get(submissionId);
    if (w) {
      this.waiters.delete(submissionId);
      if (error) w.reject(error); else w.resolve(ack);
    }
  }
}
