// The live control room of a judged part: who is on stage, the button that calls the next
// team of the drawn order ("Đội tiếp theo lên sân khấu", key N), and the order with each
// team's judging (signatures, part score) and a release button per team — the projector
// shows each released score as its own moment.
import { api } from '/assets/shared/api.js';
import { t, extend, errorText } from '/assets/shared/i18n.js';
import { h, clear, say, fmtNum } from './dom.js';

extend('vi', {
  'console.stage.head': 'Trình diễn và chấm điểm',
  'console.stage.on_stage': 'Đang biểu diễn',
  'console.stage.nobody': 'Chưa có đội nào trên sân khấu',
  'console.stage.slot': 'Tiết mục {n}/{total}',
  'console.stage.next': 'Đội tiếp theo lên sân khấu',
  'console.stage.first': 'Mời đội đầu tiên lên sân khấu',
  'console.stage.next_is': 'Tiếp theo: {team}',
  'console.stage.all_done': 'Các đội đã trình diễn hết',
  'console.stage.clear': 'Hạ màn (không đội nào trên sân khấu)',
  'console.stage.call': 'Mời lên',
  'console.stage.here': 'Trên sân khấu',
  'console.stage.release': 'Công bố điểm',
  'console.stage.released': 'Đã công bố',
  'console.stage.signed': 'Đã ký {n}/{total}',
  'console.stage.order': 'Thứ tự trình diễn',
  'console.stage.not_drawn': 'Chưa bốc thăm thứ tự: các đội theo thứ tự đăng ký.',
  'console.stage.hint': 'Màn hình chiếu và điện thoại của các đội hiện đội đang biểu diễn; mỗi điểm được công bố hiện thành một khoảnh khắc trên màn hình chiếu.',
  'console.stage.released_n': 'Đã công bố điểm {n} đội',
  'console.stage.err_state': 'Phần thi giám khảo chấm chưa bắt đầu hoặc đã kết thúc.',
  'console.stage.err_team': 'Đội này không thuộc hội thi.',
  'console.stage.err_score': 'Chưa đủ giám khảo ký phiếu đội {team}: chưa có điểm để công bố.',
  'console.audit.judged_performing': 'Mời đội lên sân khấu',
});
extend('en', {
  'console.stage.head': 'Performances and marking',
  'console.stage.on_stage': 'On stage',
  'console.stage.nobody': 'No team on stage',
  'console.stage.slot': 'Performance {n} of {total}',
  'console.stage.next': 'Next team on stage',
  'console.stage.first': 'Call the first team on stage',
  'console.stage.next_is': 'Next: {team}',
  'console.stage.all_done': 'Every team has performed',
  'console.stage.clear': 'Curtain (nobody on stage)',
  'console.stage.call': 'Call up',
  'console.stage.here': 'On stage',
  'console.stage.release': 'Release score',
  'console.stage.released': 'Released',
  'console.stage.signed': 'Signed {n}/{total}',
  'console.stage.order': 'Order of performance',
  'console.stage.not_drawn': 'The order is not drawn: teams in the order they were added.',
  'console.stage.hint': 'The projector and the teams’ phones show who is on stage; each released score gets its own moment on the projector.',
  'console.stage.released_n': 'Released the scores of {n} team(s)',
  'console.stage.err_state': 'The judged part has not started or is over.',
  'console.stage.err_team': 'This team is not in the contest.',
  'console.stage.err_score': 'Not every judge has signed {team}: there is no score to release yet.',
  'console.audit.judged_performing': 'Called a team on stage',
});

/** @param {object} ctx the console's context (contest, liveState, live) */
export function judgedStage(ctx) {
  const c = ctx.contest;
  const el = h('div.jstage#live-judged');
  const msg = h('div.form-msg#stage-msg', { hidden: true, role: 'alert' });
  const bNext = h('button.btn.gold.big.stage-next#stage-next', { type: 'button', data: { key: 'N' } });
  let view = null; // GET …/judging of the running part
  let loading = null;
  let partId = null;

  const performing = () => ctx.liveState?.performing || null;
  const lastKey = () => `hoithi.stage.${c.id}.${partId}`;

  async function load() {
    if (!partId) return;
    const pid = partId;
    loading = api('GET', `/api/contests/${c.id}/parts/${pid}/judging`)
      .then((v) => { if (pid === partId) view = v; })
      .catch((e) => say(msg, 'err', errorText(e)))
      .finally(() => { loading = null; draw(); });
    await loading;
  }

  /** The team after the one on stage (or after the last one called, once the stage is cleared). */
  function nextTeam() {
    if (!view) return null;
    const teams = view.teams;
    let after = performing()?.team_id;
    if (after == null) after = Number(sessionStorage.getItem(lastKey())) || null;
    if (after == null) return teams[0] || null;
    const i = teams.findIndex((x) => x.team_id === after);
    return i < 0 ? teams[0] || null : teams[i + 1] || null;
  }

  async function call(teamId, button) {
    if (button) button.disabled = true;
    say(msg, 'ok', '');
    try {
      const r = await api('POST', `/api/contests/${c.id}/live/judged/performing`, { team_id: teamId });
      if (ctx.liveState) ctx.liveState.performing = r.performing;
    } catch (e) {
      say(msg, 'err', e.code === 'invalid_state' ? t('console.stage.err_state') : e.field === 'team_id' ? t('console.stage.err_team') : errorText(e));
    } finally {
      if (button) button.disabled = false;
      draw();
    }
  }

  async function release(team, button) {
    button.disabled = true;
    try {
      const r = await api('POST', `/api/contests/${c.id}/parts/${partId}/release`, { team_ids: [team.team_id] });
      view = r.judging;
      say(msg, 'ok', t('console.stage.released_n', { n: r.released.length }));
    } catch (e) {
      say(msg, 'err', e.code === 'score_missing' ? t('console.stage.err_score', { team: team.name }) : errorText(e));
    } finally {
      draw();
    }
  }

  bNext.addEventListener('click', () => {
    const n = nextTeam();
    if (n) call(n.team_id, bNext);
  });

  function draw() {
    const p = performing();
    if (p && partId) sessionStorage.setItem(lastKey(), String(p.team_id));
    const next = nextTeam();
    const judges = view ? view.judges.length : 0;
    bNext.disabled = !next || !!loading;
    clear(bNext, h('span.ctl-label', next ? (p || sessionStorage.getItem(lastKey()) ? t('console.stage.next') : t('console.stage.first')) : t('console.stage.all_done')),
      next ? h('span.stage-next-team', next.name) : null, h('kbd', 'N'));
    const now = h(`div.stage-now${p ? '' : '.none'}#stage-now`,
      h('div.sn-cap', p ? t('console.stage.on_stage') : t('console.stage.nobody')),
      p ? h('div.sn-name#stage-now-name', p.team_name) : null,
      p && p.slot ? h('div.sn-slot', t('console.stage.slot', { n: p.slot, total: p.teams })) : null);
    const rows = (view ? view.teams : []).map((x) => {
      const here = p && p.team_id === x.team_id;
      const state = x.released_at ? h('span.st-chip.released', `✓ ${t('console.stage.released')} · ${fmtNum(x.score)}`)
        : x.score !== null ? h('strong.st-score', fmtNum(x.score))
          : h('span.st-chip', t('console.stage.signed', { n: x.signed, total: judges }));
      return h(`li${here ? '.here' : ''}`, { data: { team: String(x.team_id) } },
        h('span.o-slot', x.slot ? String(x.slot) : '–'),
        h('span.o-name', x.name),
        h('span.o-state', state),
        h('span.o-act',
          here ? h('span.st-chip.live', t('console.stage.here'))
            : h('button.btn.small.secondary.stage-call', { type: 'button', onclick: (e) => call(x.team_id, e.currentTarget) }, t('console.stage.call')),
          x.score !== null && !x.released_at
            ? h('button.btn.small.gold.stage-release', { type: 'button', onclick: (e) => release(x, e.currentTarget) }, t('console.stage.release')) : null));
    });
    clear(el,
      h('div.stage-top-row', now, h('div.stage-actions', bNext,
        p ? h('button.btn.small.ghost#stage-clear', { type: 'button', onclick: (e) => call(null, e.currentTarget) }, t('console.stage.clear')) : null, msg)),
      h('div.stage-order',
        h('div.so-head', h('h3', t('console.stage.order')), view && !view.order.drawn ? h('span.hint', t('console.stage.not_drawn')) : null),
        h('ol.stage-list#stage-list', ...rows)),
      h('p.hint', t('console.stage.hint')),
      h('p.hint', `${t('console.live.judged_running')}. ${t('console.live.judged_hint')} `, h('a', { href: `#/${c.id}/parts` }, t('console.nav.parts'))));
  }

  return {
    el,
    keys: { n: bNext },
    /** The running judged part (or null). */
    show(pid) {
      if (pid !== partId) { partId = pid; view = null; if (pid) load(); }
      draw();
    },
    onMessage(m) {
      if (!partId) return;
      if (m.type === 'judging' && m.part_id === partId) load();
      else if (m.type === 'performing') draw();
    },
  };
}
