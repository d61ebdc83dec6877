// Drill-down and analytics pages: deployments, incidents, PR cycle time, throughput, portfolio.
// Each reads its analytics endpoint for the URL's period and scope and shows a chart + a table that
// sorts, filters and exports CSV. A missing endpoint is said plainly.
import { api, describe } from '../api.js';
import { h, mount, notice, fmt, query, link } from '../dom.js';
import { dataTable } from '../table.js';
import { lineChart, stackedBars } from '../charts.js';
import { scopeForm, scopeFromQuery, scopeParams } from '../scope.js';

const hours = (s) => (s === null || s === undefined ? null : s / 3600);
const yes = (v) => (v === true ? 'yes' : v === false ? 'no' : '—');

const views = {
  deployments: {
    title: 'Deployments', path: '/api/v1/dora/deployments', key: 'deployments',
    intro: 'What each production deployment shipped, its lead times, whether it failed and why, and what restored it.',
    filter: (rows, q) => rows.filter((r) => (q.failed !== '1' || r.failed) && (q.rework !== '1' || r.rework)),
    columns: [
      { key: 'finished_at', label: 'Deployed', format: fmt.dateTime }, { key: 'repository', label: 'Repository' },
      { key: 'environment', label: 'Environment' }, { key: 'sha', label: 'Commit', format: (v) => (v ? String(v).slice(0, 10) : '—') },
      { key: 'changes', label: 'Changes', num: true, format: (v) => (Array.isArray(v) ? v.length : fmt.number(v)) },
      { key: 'lead_time_seconds', label: 'Median lead time', num: true, format: (v) => fmt.duration(typeof v === 'object' && v ? v.median : v) },
      { key: 'failed', label: 'Failed', format: yes }, { key: 'failure_reason', label: 'Why' }, { key: 'restored_by', label: 'Restored by' },
    ],
    chart: (rows) => {
      const byDay = new Map();
      for (const r of rows) { const d = fmt.date(r.finished_at || r.created_at); byDay.set(d, (byDay.get(d) || 0) + 1); }
      const labels = [...byDay.keys()].sort();
      return labels.length ? lineChart({ title: 'Deployments per day', labels, series: [{ name: 'Deployments', values: labels.map((d) => byDay.get(d)) }], yFormat: (v) => fmt.number(v) }) : null;
    },
  },
  incidents: {
    title: 'Incidents', path: '/api/v1/dora/incidents', key: 'incidents',
    intro: 'Production incidents, the deployment each is attributed to and by which rule, and the time to restore.',
    columns: [
      { key: 'opened_at', label: 'Opened', format: fmt.dateTime }, { key: 'key', label: 'Key' }, { key: 'title', label: 'Title' },
      { key: 'deployment', label: 'Attributed to', format: (v) => (v && typeof v === 'object' ? `${v.repository || ''} ${String(v.sha || v.id || '').slice(0, 10)}` : v ?? '—') },
      { key: 'rule', label: 'By rule' }, { key: 'resolved_at', label: 'Restored', format: fmt.dateTime },
      { key: 'recovery_seconds', label: 'Time to restore', num: true, format: fmt.duration },
    ],
  },
  'pull-requests': {
    title: 'Pull requests: cycle time', path: '/api/v1/analytics/pull-requests', key: 'pull_requests',
    intro: 'Where the time of each change goes (coding, pickup, review, deploy), with its size and review depth.',
    columns: [
      { key: 'repository', label: 'Repository' }, { key: 'number', label: 'PR', num: true }, { key: 'title', label: 'Title' },
      { key: 'coding_seconds', label: 'Coding', num: true, format: fmt.duration }, { key: 'pickup_seconds', label: 'Pickup', num: true, format: fmt.duration },
      { key: 'review_seconds', label: 'Review', num: true, format: fmt.duration }, { key: 'deploy_seconds', label: 'Deploy', num: true, format: fmt.duration },
      { key: 'size', label: 'Lines changed', num: true, format: (v) => fmt.number(v) }, { key: 'reviews', label: 'Reviews', num: true },
      { key: 'review_comments', label: 'Review comments', num: true },
    ],
    prepare: (r) => ({ ...r, size: r.size ?? ((r.additions ?? 0) + (r.deletions ?? 0)) }),
    chart: (rows) => {
      const top = rows.slice(0, 20);
      if (!top.length) return null;
      return stackedBars({ title: 'Cycle time breakdown (hours)', labels: top.map((r) => `#${r.number}`),
        series: [['Coding', 'coding_seconds'], ['Pickup', 'pickup_seconds'], ['Review', 'review_seconds'], ['Deploy', 'deploy_seconds']]
          .map(([name, k]) => ({ name, values: top.map((r) => hours(r[k]) ?? 0) })), yFormat: (v) => fmt.number(v, 0), tableFormat: (v) => `${fmt.number(v, 1)} h` });
    },
  },
  throughput: {
    title: 'Throughput', path: '/api/v1/analytics/throughput', key: 'weeks',
    intro: 'Finished work items and merged pull requests per week.',
    columns: [{ key: 'week', label: 'Week' }, { key: 'items', label: 'Work items done', num: true }, { key: 'prs', label: 'PRs merged', num: true }],
    chart: (rows) => (rows.length ? lineChart({ title: 'Throughput per week', labels: rows.map((r) => fmt.date(r.week)),
      series: [{ name: 'Work items done', values: rows.map((r) => r.items ?? null) }, { name: 'PRs merged', values: rows.map((r) => r.prs ?? null) }], yFormat: (v) => fmt.number(v) }) : null),
  },
  portfolio: {
    title: 'Portfolio per project', path: '/api/v1/portfolio/projects', key: 'projects',
    intro: 'Per project: throughput, work in progress and aging WIP, flow distribution and predictability.',
    columns: [
      { key: 'key', label: 'Project' }, { key: 'name', label: 'Name' }, { key: 'throughput', label: 'Throughput', num: true },
      { key: 'wip', label: 'WIP', num: true }, { key: 'aging_wip', label: 'Aging WIP', num: true },
      { key: 'flow_text', label: 'Flow distribution' }, { key: 'predictability', label: 'Predictability', num: true, format: (v) => fmt.percent(v, 0) },
    ],
    prepare: (r) => ({ ...r, flow_text: r.flow ? Object.entries(r.flow).map(([k, v]) => `${k} ${Math.round((v <= 1 ? v * 100 : v))}%`).join(', ') : '—' }),
  },
};

export async function render(main, ctx) {
  const view = views[ctx.route.view];
  const q = query();
  const scope = scopeFromQuery(q);
  const body = h('div', h('p.loading', 'Loading…'));
  mount(main, h('h1', view.title), h('p.hint', view.intro),
    scopeForm(scope, { onSubmit: (params) => ctx.navigate(link(location.pathname, { ...params, failed: q.failed, rework: q.rework })) }),
    q.failed === '1' ? notice('info', 'Showing failed deployments only. ', h('a', { href: link(location.pathname, scopeParams(scope)) }, 'Show all')) : null,
    q.rework === '1' ? notice('info', 'Showing rework (unplanned) deployments only. ', h('a', { href: link(location.pathname, scopeParams(scope)) }, 'Show all')) : null,
    body);
  const load = async () => {
    try {
      const answer = await api.get(link(view.path, scopeParams(scope)));
      if (!ctx.isCurrent()) return;
      let rows = (answer?.[view.key] || answer?.items || []).map(view.prepare || ((r) => r));
      if (view.filter) rows = view.filter(rows, q);
      mount(body, rows.length ? null : notice('info', 'No rows for this period and scope yet.'), view.chart ? view.chart(rows) : null,
        dataTable({ caption: `${view.title}, ${scope.from} to ${scope.to}`, columns: view.columns, rows }));
    } catch (error) {
      if (!ctx.isCurrent()) return;
      mount(body, notice(error.unavailable ? 'unavailable' : 'error', describe(error, `The ${view.title.toLowerCase()} data`)));
      body.firstChild.dataset.state = error.unavailable ? 'unavailable' : 'error';
    }
  };
  await load();
  window.addEventListener('pulse:sync-finished', load);
  return () => window.removeEventListener('pulse:sync-finished', load);
}
