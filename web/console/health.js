// The health strip of the live view: sockets, answers per second, the last commit, storage,
// disk and the last backup, read from `GET /api/health/live` every 2.5 s while the live
// view is shown. A storage that cannot be written (or a nearly full disk) turns it into a
// red alarm.
import { api } from '/assets/shared/api.js';
import { t } from '/assets/shared/i18n.js';
import { h, clear, fmtNum } from './dom.js';

/** Below this many bytes free the disk is an alarm. */
export const LOW_DISK = 1024 ** 3;
const EVERY_MS = 2500;

export function fmtBytes(n) {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let x = n;
  while (x >= 1024 && i < units.length - 1) { x /= 1024; i++; }
  return `${fmtNum(i >= 3 ? Math.round(x * 10) / 10 : Math.round(x))} ${units[i]}`;
}

/** Time of day, with the date when it is not today. */
export function fmtWhen(ms) {
  if (!ms) return '';
  const d = new Date(ms);
  const time = d.toLocaleTimeString('vi-VN', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  if (d.toDateString() === new Date().toDateString()) return time;
  return `${time} ${d.toLocaleDateString('vi-VN', { day: '2-digit', month: '2-digit' })}`;
}

/** Reads the health once; null when it cannot be read. */
export async function readHealth() {
  try { return await api('GET', '/api/health/live'); } catch (_) { return null; }
}

/** The strip: `{el, stop}`; polling starts at once and ends with `stop()`. */
export function healthStrip() {
  const el = h('div.health#health-strip', { role: 'status', 'aria-live': 'polite', data: { state: 'loading' } },
    h('span.hs-item.muted', t('console.health.loading')));
  let timer = null;
  let stopped = false;

  const item = (id, label, value, cls = '') => h(`span.hs-item${cls}#${id}`, h('span.hs-label', label), h('strong.hs-value', value));

  function draw(x) {
    if (!x) {
      el.dataset.state = 'unknown';
      clear(el, h('span.hs-item.muted#health-unknown', t('console.health.unreachable')));
      return;
    }
    const lowDisk = x.disk_free_bytes !== null && x.disk_free_bytes !== undefined && x.disk_free_bytes < LOW_DISK;
    const alarm = !x.storage_ok || lowDisk;
    el.dataset.state = alarm ? 'alarm' : 'ok';
    el.classList.toggle('alarm', alarm);
    const s = x.sockets || { total: 0, staff: 0, contestants: 0 };
    const sockets = h('span.hs-item#health-sockets', { title: t('console.health.sockets_title', { staff: s.staff, contestants: s.contestants }) },
      h('span.hs-dot'), h('strong.hs-value', t('console.health.sockets', { n: s.total })),
      h('span.hs-sub', t('console.health.sockets_split', { contestants: s.contestants, staff: s.staff })));
    const commit = x.last_commit_at
      ? t('console.health.commit_value', { at: fmtWhen(x.last_commit_at), ms: fmtNum(Math.round(x.last_commit_ms * 10) / 10) })
      : t('console.health.never');
    const storage = x.storage_ok
      ? item('health-storage', t('console.health.storage'), t('console.health.storage_ok'), '.good')
      : h('span.hs-item.hs-alarm#health-storage', { role: 'alert' }, '⚠ ', t('console.health.storage_alarm'));
    clear(el,
      sockets,
      item('health-rate', t('console.health.rate'), t('console.health.rate_value', { n: fmtNum(x.answers_per_s) })),
      item('health-commit', t('console.health.commit'), commit),
      storage,
      lowDisk
        ? h('span.hs-item.hs-alarm#health-disk', { role: 'alert' }, '⚠ ', t('console.health.disk_alarm', { free: fmtBytes(x.disk_free_bytes) }))
        : item('health-disk', t('console.health.disk'), fmtBytes(x.disk_free_bytes)),
      item('health-backup', t('console.health.backup'), x.last_backup_at ? fmtWhen(x.last_backup_at) : t('console.health.no_backup')));
  }

  async function poll() {
    if (stopped) return;
    const x = await readHealth();
    if (stopped) return;
    draw(x);
    timer = setTimeout(poll, EVERY_MS);
  }
  poll();
  return { el, stop() { stopped = true; clearTimeout(timer); } };
}
