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

const median = (summary) => (summary && typeof summary === 'object' ? summary.median ?? null : summary ?? null);

/** The analytics service's answers (issue 14): pages of rows, or per-group / per-project objects. */
const views = {
  deployments: {
    title: 'Deployments', path: '/api/v1/dora/deployments', key: 'deployments',
    intro: 'What each production deployment shipped, its lead times, whether it failed and why, and what restored it.',
    filter: (rows, q) => rows.filter((r) => (q.failed !== '1' || r.failed) && (q.rework !== '1' || r.rework)),
    prepare: (r) => {
      const changes = Array.isArray(r.changes) ? r.changes : [];
      const leads = changes.map((c) => c.lead_time_seconds).filter((v) => typeof v === 'number').sort((a, b) => a - b);
      const mid = leads.length ? (leads.length % 2 ? leads[(leads.length - 1) / 2] : (leads[leads.length / 2 - 1] + leads[leads.length / 2]) / 2) : null;
      return { ...r, change_count: changes.length, shipped: changes.map((c) => (c.pr_number ? `#${c.pr_number}` : String(c.commit_sha || '').slice(0, 7))).join(', '),
        lead_median: mid ?? median(r.lead_time_seconds), restored: r.restored_by_deployment_id ? `deployment ${r.restored_by_deployment_id}` : r.restored_by ?? null };
    },
    columns: [
      { key: 'finished_at', label: 'Deployed', format: fmt.dateTime }, { key: 'repository', label: 'Repository' },
      { key: 'environment', label: 'Environment' }, { key: 'sha', label: 'Commit', format: (v) => (v ? String(v).slice(0, 10) : '—') },
      { key: 'change_count', label: 'Changes', num: true }, { key: 'shipped', label: 'Shipped' },
      { key: 'lead_median', label: 'Median lead time', num: true, format: fmt.duration },
      { key: 'failed', label: 'Failed', format: yes }, { key: 'failure_reason', label: 'Why' }, { key: 'restored', label: 'Restored by' },
      { key: 'recovery_seconds', label: 'Time to restore', num: true, format: fmt.duration },
    ],
    chart: (rows) => {
      const byDay = new Map();
      for (const r of rows) { const d = fmt.date(r.finished_at); byDay.set(d, (byDay.get(d) || 0) + 1); }
      const labels = [...byDay.keys()].sort();
      return labels.length ? lineChart({ title: 'Deployments per day', labels, series: [{ name: 'Deployments', values: labels.map((d) => byDay.get(d)) }], yFormat: (v) => fmt.number(v) }) : null;
    },
  },
  incidents: {
    title: 'Incidents', path: '/api/v1/dora/incidents', key: 'incidents',
    intro: 'Production incidents, the deployment each is attributed to and by which rule (or why none), and the time to restore.',
    prepare: (r) => ({ ...r, attributed: r.deployment_id ? `deployment ${r.deployment_id}` : r.unattributed_reason ? `none: ${r.unattributed_reason}` : '—',
      restore_seconds: r.resolved_at && r.started_at ? (new Date(r.resolved_at) - new Date(r.started_at)) / 1000 : null }),
    columns: [
      { key: 'started_at', label: 'Started', format: fmt.dateTime }, { key: 'external_id', label: 'Key' }, { key: 'title', label: 'Title' },
      { key: 'repository', label: 'Repository' }, { key: 'attributed', label: 'Attributed to' }, { key: 'rule', label: 'By rule' },
      { key: 'resolved_at', label: 'Resolved', format: (v, r) => (r.open ? 'open' : fmt.dateTime(v)) },
      { key: 'restore_seconds', label: 'Time to restore', num: true, format: fmt.duration },
    ],
  },
  'pull-requests': {
    title: 'Pull requests: cycle time', path: '/api/v1/analytics/pull-requests', groups: 'groups',
    intro: 'Where the time of a change goes (median coding, pickup, review, deploy) per repository, with PR size and review depth.',
    columns: [
      { key: 'name', label: 'Repository' }, { key: 'merged_prs', label: 'Merged PRs', num: true },
      { key: 'throughput_per_week', label: 'Per week', num: true, format: (v) => fmt.number(v, 1) },
      { key: 'merge_rate', label: 'Merge rate', num: true, format: (v) => fmt.percent(v, 0) },
      { key: 'coding', label: 'Coding', num: true, format: fmt.duration }, { key: 'pickup', label: 'Pickup', num: true, format: fmt.duration },
      { key: 'review', label: 'Review', num: true, format: fmt.duration }, { key: 'deploy', label: 'Deploy', num: true, format: fmt.duration },
      { key: 'size', label: 'Median size (lines)', num: true, format: (v) => fmt.number(v) },
      { key: 'depth', label: 'Median review depth', num: true, format: (v) => fmt.number(v, 1) },
    ],
    prepare: (r) => ({ ...r, coding: median(r.cycle_time_seconds?.coding), pickup: median(r.cycle_time_seconds?.pickup),
      review: median(r.cycle_time_seconds?.review), deploy: median(r.cycle_time_seconds?.deploy), size: median(r.pr_size_lines), depth: median(r.review_depth) }),
    chart: (rows) => {
      const top = rows.slice(0, 20);
      if (!top.length) return null;
      return stackedBars({ title: 'Median cycle time by stage (hours)', labels: top.map((r) => r.name),
        series: [['Coding', 'coding'], ['Pickup', 'pickup'], ['Review', 'review'], ['Deploy', 'deploy']]
          .map(([name, k]) => ({ name, values: top.map((r) => hours(r[k]) ?? 0) })), yFormat: (v) => fmt.number(v, 0), tableFormat: (v) => `${fmt.number(v, 1)} h` });
    },
  },
  throughput: {
    title: 'Throughput', path: '/api/v1/analytics/portfolio', groups: 'projects',
    intro: 'Finished work items per project in the period, and per week.',
    columns: [{ key: 'name', label: 'Project' }, { key: 'throughput', label: 'Items done', num: true },
      { key: 'throughput_per_week', label: 'Per week', num: true, format: (v) => fmt.number(v, 1) }],
    chart: (rows) => (rows.length ? stackedBars({ title: 'Items done per project', labels: rows.map((r) => r.name),
      series: [{ name: 'Items done', values: rows.map((r) => r.throughput ?? 0) }], yFormat: (v) => fmt.number(v) }) : null),
  },
  portfolio: {
    title: 'Portfolio per project', path: '/api/v1/analytics/portfolio', groups: 'projects',
    intro: 'Per project: throughput, work in progress and aging WIP, flow distribution, lead and cycle time, predictability.',
    columns: [
      { key: 'name', label: 'Project' }, { key: 'throughput', label: 'Throughput', num: true }, { key: 'wip', label: 'WIP', num: true },
      { key: 'aging', label: 'Median WIP age', num: true, format: fmt.duration }, { key: 'flow_text', label: 'Flow distribution' },
      { key: 'lead', label: 'Median lead time', num: true, format: fmt.duration }, { key: 'cycle', label: 'Median cycle time', num: true, format: fmt.duration },
      { key: 'predictable', label: 'Predictability', num: true, format: (v, r) => (v === null ? '—' : `${fmt.percent(v, 0)} (${String(r.predictability?.method || '').replace(/_/g, ' ')})`) },
    ],
    prepare: (r) => ({ ...r, aging: median(r.aging_wip_seconds), lead: median(r.lead_time_seconds), cycle: median(r.cycle_time_seconds),
      predictable: r.predictability?.value ?? null,
      flow_text: r.flow_distribution ? Object.entries(r.flow_distribution).map(([k, v]) => `${k} ${Math.round(v * 100)} %`).join(', ') : '—' }),
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
      const list = view.groups ? Object.entries(answer?.[view.groups] || {}).map(([name, value]) => ({ name, ...value })) : answer?.[view.key] || answer?.items || [];
      let rows = list.map(view.prepare || ((r) => r));
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
