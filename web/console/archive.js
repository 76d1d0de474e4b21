// Contest archives in the console: export a contest's full record as one JSON file, and
// import one as a new (closed) contest. Both run as background jobs on the server
// (POST …/archive/jobs, POST /api/archives/jobs); this module polls GET /api/jobs/{id},
// draws a progress bar with the records done, and offers the file (or the new contest)
// when ready. A refused archive is explained in Vietnamese with the place it names.
import { api } from '/assets/shared/api.js';
import { t, errorText } from '/assets/shared/i18n.js';
import { h, clear, fmtNum, icon, saveResponse } from './dom.js';

const POLL_MS = 400;

/** A progress block: a <progress> bar and a line saying what the job is doing. */
function progressBox(id) {
  const bar = h('progress.job-bar', { max: 1, value: 0 });
  const line = h('div.job-line', { role: 'status', 'aria-live': 'polite' });
  const box = h(`div.job-progress#${id}`, { hidden: true }, bar, line);
  return {
    box,
    show(job) {
      box.hidden = false;
      box.dataset.state = job.state;
      box.dataset.done = String(job.done);
      box.dataset.total = String(job.total);
      if (job.total > 0) { bar.max = job.total; bar.value = job.done; } else { bar.removeAttribute('value'); }
      const pct = job.total > 0 ? Math.floor((100 * job.done) / job.total) : null;
      line.textContent = t(`console.archive.phase.${job.phase}`)
        + (job.total > 0 ? ` ${t('console.archive.records', { done: fmtNum(job.done), total: fmtNum(job.total), pct })}` : '');
    },
    hide() { box.hidden = true; },
  };
}

/** Polls a job until it is no longer running; `onUpdate` gets every state. */
async function follow(job, onUpdate) {
  onUpdate(job);
  while (job.state === 'running') {
    await new Promise((r) => setTimeout(r, POLL_MS));
    job = await api('GET', `/api/jobs/${job.id}`);
    onUpdate(job);
  }
  return job;
}

const LISTS = { team: 'console.archive.list.team', part: 'console.archive.list.part', question: 'console.archive.list.question', contestant: 'console.archive.list.contestant' };

/** A refused archive in Vietnamese: what is wrong and where (the path the server names). */
export function archiveError(err) {
  const p = err.params || {};
  if (err.code === 'malformed_json') {
    const m = /line (\d+) column (\d+)/.exec(err.message || '');
    return m ? t('console.archive.err.malformed_at', { line: m[1], column: m[2] }) : t('console.archive.err.malformed');
  }
  if (err.code === 'invalid_input') {
    const key = `console.archive.err.${err.reason}`;
    const params = { ...p, field: err.field, list: t(LISTS[p.list] || 'console.archive.list.record') };
    const s = err.reason ? t(key, params) : key;
    if (err.reason && s !== key) return s;
    return t('console.archive.err.invalid_at', { field: err.field || '' });
  }
  const key = `console.archive.err.${err.code}`;
  const s = t(key);
  return s !== key ? s : errorText(err);
}

/** The "export the archive" block of a contest's results page. */
export function exportCard(c) {
  const btn = h('button.btn.secondary#archive-export', { type: 'button' }, icon('download'), t('console.archive.export'));
  const prog = progressBox('archive-export-progress');
  const msg = h('div.form-msg#archive-export-msg', { hidden: true, role: 'status' });
  const get = h('button.btn.small#archive-download', { type: 'button', hidden: true }, icon('download'), t('console.archive.download'));
  let file = null;
  get.addEventListener('click', async () => {
    get.disabled = true;
    try {
      const res = await api('GET', file.url, null, { raw: true });
      await saveResponse(res, file.name);
    } catch (e) {
      msg.hidden = false; msg.className = 'form-msg msg err'; msg.textContent = errorText(e);
    } finally { get.disabled = false; }
  });
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    get.hidden = true;
    msg.hidden = true;
    try {
      const started = await api('POST', `/api/contests/${c.id}/archive/jobs`);
      const job = await follow(started, (j) => prog.show(j));
      if (job.state === 'done') {
        file = { url: job.file, name: job.file_name };
        get.hidden = false;
        clear(msg, t('console.archive.export_done', { size: fmtNum(Math.max(1, Math.round(job.bytes / 1024))) }));
        msg.className = 'form-msg msg ok';
        msg.hidden = false;
        get.focus();
      } else {
        throw Object.assign(new Error(job.error?.message || ''), job.error || {});
      }
    } catch (e) {
      prog.hide();
      msg.className = 'form-msg msg err'; msg.textContent = archiveError(e); msg.hidden = false;
    } finally { btn.disabled = false; }
  });
  return h('section.card#archive-card', h('h2', t('console.archive.title')), h('p.hint', t('console.archive.export_lead')),
    h('div.actions', btn, get), prog.box, msg);
}

/** The "import an archive" block of the home page: a new, closed contest from a file. */
export function importCard(ctx, onImported) {
  const input = h('input#archive-file', { type: 'file', accept: '.json,application/json', data: { field: 'archive' } });
  const btn = h('button.btn#archive-import', { type: 'submit' }, t('console.archive.import'));
  const prog = progressBox('archive-import-progress');
  const err = h('div.field-error#archive-import-error', { role: 'alert', hidden: true });
  const done = h('div.form-msg#archive-import-done', { hidden: true, role: 'status' });
  const form = h('form#archive-import-form', { novalidate: true },
    h('div.field', h('label', { htmlFor: 'archive-file' }, t('console.archive.file')), input, err,
      h('div.hint', t('console.archive.import_hint'))),
    h('div.actions', btn), prog.box, done);
  const fail = (text) => {
    err.textContent = text; err.hidden = false;
    input.classList.add('invalid'); input.setAttribute('aria-invalid', 'true');
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.hidden = true; done.hidden = true;
    input.classList.remove('invalid'); input.removeAttribute('aria-invalid');
    const f = input.files?.[0];
    if (!f) { fail(t('console.archive.err.no_file')); return; }
    btn.disabled = true;
    try {
      prog.show({ state: 'running', phase: 'uploading', done: 0, total: 0 });
      const started = await api('POST', '/api/archives/jobs', f, { contentType: 'application/json' });
      const job = await follow(started, (j) => prog.show(j));
      if (job.state !== 'done') throw Object.assign(new Error(job.error?.message || ''), job.error || {});
      await ctx.reloadContests();
      onImported?.();
      clear(done, t('console.archive.import_done'), ' ',
        h('a#archive-imported-link', { href: `#/${job.contest_id}/results` }, t('console.archive.open_imported')));
      done.className = 'form-msg msg ok';
      done.hidden = false;
    } catch (x) {
      prog.hide();
      fail(archiveError(x));
    } finally { btn.disabled = false; }
  });
  return h('section.card#archive-import-card', h('h2', t('console.archive.import_title')),
    h('p.hint', t('console.archive.import_lead')), form);
}
