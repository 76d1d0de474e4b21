// Judges of a contest: invitation links (shown once, to copy and send), judge accounts
// assigned to the contest, reset (revokes and issues a fresh link), removal.
import { api } from '/assets/shared/api.js';
import { t, errorText } from '/assets/shared/i18n.js';
import { h, clear, field, showError, clearErrors, toast, copy, confirmButton, fmtTime } from './dom.js';
import { tabbed } from './teams.js';

export async function render(ctx, root) {
  const c = ctx.contest;
  const locked = c.status === 'closed';
  root.append(h('div.page-head', h('h1', t('console.nav.judges')), h('p.muted', t('console.judges.lead'))));
  const cols = h('div.cols');
  const left = h('div.col.narrow');
  const right = h('section.card.col.wide#judges-card');
  cols.append(left, right);
  root.append(cols);
  const linkBox = h('div#invite-result');

  function showLink(name, url) {
    const input = h('input.link#invite-link', { readOnly: true, value: url });
    input.addEventListener('focus', () => input.select());
    clear(linkBox, h('div.link-box', h('div.lb-title', t('console.judges.link_for', { name })),
      h('div.row', input, h('button.btn.small#invite-copy', { type: 'button', onclick: () => copy(url) }, t('console.copy'))),
      h('p.hint', t('console.judges.link_once'))));
  }

  // invitation
  const inv = h('form#judge-invite-form', { novalidate: true });
  const invName = h('input#judge-invite-name', { data: { field: 'name' }, placeholder: t('console.judges.name_ph') });
  const invMsg = h('div.form-msg', { hidden: true });
  inv.append(field(t('console.judges.name'), invName), h('div.actions', h('button.btn#judge-invite', { type: 'submit', disabled: locked }, t('console.judges.invite'))), invMsg);
  inv.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(inv);
    try {
      const r = await api('POST', `/api/contests/${c.id}/judges/invite`, { name: invName.value });
      showLink(r.judge.name, r.url);
      invName.value = '';
      refresh();
    } catch (err) { showError(inv, err); }
  });

  // account
  const acc = h('form#judge-account-form', { novalidate: true });
  const users = await api('GET', '/api/users').catch(() => []);
  const judgesUsers = users.filter((u) => u.role === 'judge');
  const pick = h('select#judge-user', { data: { field: 'user_id' } }, h('option', { value: 'new' }, t('console.judges.new_account')),
    ...judgesUsers.map((u) => h('option', { value: String(u.id) }, u.username)));
  const uname = h('input#judge-username', { data: { field: 'username' }, autocomplete: 'off' });
  const pw = h('input#judge-password', { type: 'text', data: { field: 'password' }, autocomplete: 'new-password', placeholder: t('console.judges.password_ph') });
  const display = h('input#judge-display', { data: { field: 'name' }, placeholder: t('console.judges.display_ph') });
  const newBox = h('div.grid2', field(t('console.judges.username'), uname), field(t('console.judges.password'), pw));
  pick.addEventListener('change', () => { newBox.hidden = pick.value !== 'new'; });
  acc.append(field(t('console.judges.account'), pick), newBox, field(t('console.judges.display'), display),
    h('div.actions', h('button.btn#judge-assign', { type: 'submit', disabled: locked }, t('console.judges.assign'))), h('div.form-msg', { hidden: true }));
  acc.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(acc);
    try {
      let uid = Number(pick.value);
      if (pick.value === 'new') {
        const u = await api('POST', '/api/users', { username: uname.value, password: pw.value, role: 'judge' });
        uid = u.id;
      }
      const body = { user_id: uid };
      if (display.value.trim()) body.name = display.value.trim();
      await api('POST', `/api/contests/${c.id}/judges`, body);
      toast(t('console.judges.assigned'));
      uname.value = ''; pw.value = ''; display.value = '';
      refresh();
    } catch (err) { showError(acc, err); }
  });

  left.append(h('section.card', h('h2', t('console.judges.add')), tabbed([
    [t('console.judges.tab_invite'), inv], [t('console.judges.tab_account'), acc]]), linkBox));

  async function refresh() {
    const list = await api('GET', `/api/contests/${c.id}/judges`);
    clear(right, h('h2', t('console.judges.list', { n: list.length })));
    if (!list.length) { right.append(h('p.muted.empty', t('console.judges.none'))); return; }
    const tb = h('tbody');
    for (const j of list) {
      const how = j.invited ? (j.invite_used_at ? t('console.judges.used', { at: fmtTime(j.invite_used_at) }) : t('console.judges.pending')) : t('console.judges.by_account');
      const reset = confirmButton('small.ghost', t('console.judges.reset'), t('console.confirm_again'), async () => {
        try {
          const r = await api('POST', `/api/contests/${c.id}/judges/${j.id}/reset`);
          if (r.url) showLink(j.name, r.url); else toast(t('console.judges.reset_done'));
          refresh();
        } catch (e) { toast(errorText(e), 'err'); }
      }, { disabled: locked });
      const del = confirmButton('small.ghost.danger', t('console.remove'), t('console.confirm_again'), async () => {
        try { await api('DELETE', `/api/contests/${c.id}/judges/${j.id}`); refresh(); } catch (e) { toast(errorText(e), 'err'); }
      });
      tb.append(h('tr', { data: { judge: String(j.id) } }, h('td', h('strong', j.name)), h('td', j.invited ? t('console.judges.kind_invite') : t('console.judges.kind_account')), h('td', how), h('td.act', reset, del)));
    }
    right.append(h('table.board#judges-table', h('thead', h('tr', h('th', t('console.judges.name')), h('th', t('console.judges.kind')), h('th', t('console.judges.state')), h('th.act', ''))), tb));
  }
  await refresh();
}
