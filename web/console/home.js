// The welcome page: a demo contest in one click, and the form that creates a contest.
import { api } from '/assets/shared/api.js';
import { t, errorText } from '/assets/shared/i18n.js';
import { h, clear, field, showError, clearErrors, toast } from './dom.js';
import { importCard } from './archive.js';

/** POST /api/demo, then straight to the new contest's overview (which shows codes and link). */
export async function createDemo(ctx, btn) {
  const buttons = [...document.querySelectorAll('#demo-btn, #nav-demo')];
  for (const b of buttons) b.disabled = true;
  try {
    const d = await api('POST', '/api/demo');
    sessionStorage.setItem(`hoithi.demo.${d.contest.id}`, JSON.stringify(d));
    await ctx.reloadContests();
    toast(t('console.demo.created'));
    ctx.go(`#/${d.contest.id}/overview`);
  } catch (e) {
    toast(errorText(e), 'err');
    if (btn) btn.after(h('div.msg.err', errorText(e)));
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

/** The contest form (create or edit): name, unit, date, venue, captain policy. */
export function contestForm(c, onSubmit, submitLabel) {
  const form = h('form.contest-form#contest-form', { novalidate: true });
  const name = h('input#cf-name', { name: 'name', value: c?.name || '', data: { field: 'name' }, maxLength: 200, placeholder: t('console.contest.name_ph') });
  const unit = h('input#cf-unit', { name: 'unit', value: c?.unit || '', data: { field: 'unit' }, placeholder: t('console.contest.unit_ph') });
  const held = h('input#cf-held', { name: 'held_on', type: 'date', value: c?.held_on || '', data: { field: 'held_on' } });
  const venue = h('input#cf-venue', { name: 'venue', value: c?.venue || '', data: { field: 'venue' }, placeholder: t('console.contest.venue_ph') });
  const cap = h('select#cf-captain', { name: 'captain_policy', data: { field: 'captain_policy' } },
    h('option', { value: 'first_join', selected: (c?.captain_policy || 'first_join') === 'first_join' }, t('console.contest.captain_first')),
    h('option', { value: 'organiser', selected: c?.captain_policy === 'organiser' }, t('console.contest.captain_org')));
  const msg = h('div.form-msg', { hidden: true, role: 'status' });
  const submit = h('button.btn#cf-submit', { type: 'submit' }, submitLabel);
  form.append(
    h('div.grid2', field(t('console.contest.name'), name), field(t('console.contest.unit'), unit)),
    h('div.grid3', field(t('console.contest.held_on'), held), field(t('console.contest.venue'), venue), field(t('console.contest.captain'), cap)),
    h('div.actions', submit), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    submit.disabled = true;
    try {
      await onSubmit({ name: name.value, unit: unit.value, held_on: held.value, venue: venue.value, captain_policy: cap.value }, msg);
    } catch (err) {
      showError(form, err);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

export async function render(ctx, root, { create }) {
  const demoBtn = h('button.btn.gold.big#demo-btn', { type: 'button' }, t('console.demo.button'));
  demoBtn.addEventListener('click', () => createDemo(ctx, demoBtn));
  const empty = !ctx.contests.length;
  const form = contestForm(null, async (body) => {
    const c = await api('POST', '/api/contests', body);
    await ctx.reloadContests();
    toast(t('console.contest.created'));
    ctx.go(`#/${c.id}/overview`);
  }, t('console.contest.create'));

  root.append(h('div.page-head', h('h1', create ? t('console.contest.new_title') : t('console.home.title')),
    h('p.muted', t('console.home.lead'))));
  const hero = h('section.card.hero#demo-card',
    h('div.hero-text',
      h('h2', empty ? t('console.demo.title_empty') : t('console.demo.title')),
      h('p', t('console.demo.lead')),
      h('ul.ticks', h('li', t('console.demo.tick1')), h('li', t('console.demo.tick2')), h('li', t('console.demo.tick3')))),
    h('div.hero-act', demoBtn, h('div.hint', t('console.demo.hint'))));
  const createCard = h('section.card#create-card', h('h2', t('console.contest.new_title')), form);
  if (create) root.append(createCard, hero); else root.append(hero, createCard);

  // The contests, newest first (drawn again when an archive brings a new one).
  const listCard = h('section.card#contest-list-card');
  const drawList = () => {
    listCard.hidden = !ctx.contests.length;
    const list = h('div.contest-list');
    for (const c of [...ctx.contests].sort((a, b) => b.id - a.id)) {
      list.append(h('a.contest-tile', { href: `#/${c.id}/overview` },
        h('div.ct-name', c.name),
        h('div.ct-meta', h(`span.status.st-${c.status}`, t('console.status.' + c.status)), c.unit || '', c.held_on ? ` · ${c.held_on}` : ''),
        c.imported_from ? h('div.ct-imported', h('span.status.st-imported', { title: t('console.archive.imported_title', { id: c.imported_from.contest_id }) }, t('console.archive.imported'))) : null));
    }
    clear(listCard, h('h2', t('console.home.all')), list);
  };
  drawList();
  root.append(listCard);
  root.append(importCard(ctx, drawList));
  (create ? form.querySelector('#cf-name') : null)?.focus();
}
