// Executive dashboard: the four DORA metrics + rework rate for a period and scope, with tier badges,
// change against the previous period, weekly trends, insights and portfolio KPIs. Every figure links
// to its drill-down. `?wall=1` is the wall-screen mode (large type, auto-refresh).
import { api, describe } from '../api.js';
import { h, mount, notice, fmt, query, link } from '../dom.js';
import { lineChart } from '../charts.js';
import { scopeForm, scopeFromQuery, scopeParams, loadScopeOptions } from '../scope.js';

// DORA State of DevOps report years with benchmark bands (the analytics service's list).
const YEARS = ['2019', '2021', '2023', '2024'];
const tierText = { elite: 'Elite', high: 'High', medium: 'Medium', low: 'Low' };

/** The five headline figures: how to read, show and compare each. */
export const METRICS = [
  { key: 'deployment_frequency', label: 'Deployment frequency', value: (d) => d.deployments_per_day, show: (v) => (v === null || v === undefined ? '—' : `${fmt.number(v, v < 1 ? 2 : 1)} / day`),
    sub: (d) => `${fmt.number(d.deployments)} deployments on ${fmt.number(d.deployment_days)} days`, higherIsBetter: true, drill: '/deployments' },
  { key: 'lead_time', label: 'Lead time for changes', value: (d) => d.lead_time_seconds?.median, show: fmt.duration,
    sub: (d) => `median of ${fmt.number(d.lead_time_changes)} changes; p90 ${fmt.duration(d.lead_time_seconds?.p90)}`, higherIsBetter: false, drill: '/pull-requests' },
  { key: 'change_failure_rate', label: 'Change failure rate', value: (d) => d.change_failure_rate, show: (v) => fmt.percent(v),
    sub: (d) => `${fmt.number(d.failed_deployments)} failed of ${fmt.number(d.deployments)}`, higherIsBetter: false, drill: '/deployments', extra: { failed: '1' } },
  { key: 'failed_deployment_recovery_time', label: 'Failed deployment recovery time', value: (d) => d.recovery_time_seconds?.median, show: fmt.duration,
    sub: (d) => `median of ${fmt.number(d.recovery_time_seconds?.count)} recoveries`, higherIsBetter: false, drill: '/incidents' },
  { key: 'rework_rate', label: 'Deployment rework rate', value: (d) => d.deployment_rework_rate, show: (v) => fmt.percent(v),
    sub: (d) => `${fmt.number(d.rework_deployments)} unplanned deployments`, higherIsBetter: false, drill: '/deployments', extra: { rework: '1' }, noTier: true },
];

function shift(scope) {
  const from = new Date(`${scope.from}T00:00:00Z`), to = new Date(`${scope.to}T00:00:00Z`);
  const days = Math.round((to - from) / 86400000) + 1;
  const prevTo = new Date(from.getTime() - 86400000), prevFrom = new Date(prevTo.getTime() - (days - 1) * 86400000);
  return { ...scope, from: prevFrom.toISOString().slice(0, 10), to: prevTo.toISOString().slice(0, 10) };
}

function delta(metric, now, before) {
  const a = metric.value(now), b = before ? metric.value(before) : null;
  if (a === null || a === undefined || b === null || b === undefined) return h('span.delta.same', 'no previous figure');
  if (b === 0 && a === 0) return h('span.delta.same', 'unchanged vs previous period');
  const change = b === 0 ? null : (a - b) / Math.abs(b);
  const better = metric.higherIsBetter ? a > b : a < b;
  const cls = a === b ? 'same' : better ? 'better' : 'worse';
  const arrow = a > b ? '▲' : a < b ? '▼' : '■';
  const text = change === null ? `${arrow} from ${metric.show(b)}` : `${arrow} ${Math.abs(change * 100).toFixed(0)} % vs previous period (${metric.show(b)})`;
  return h(`span.delta.${cls}`, h('span.visually-hidden', better ? 'Better: ' : a === b ? '' : 'Worse: '), text);
}

function tile(metric, data, previous, scope, year) {
  const tier = metric.noTier ? null : data.tiers?.[year]?.[metric.key];
  const href = link(metric.drill, { ...scopeParams(scope), ...(metric.extra || {}) });
  const raw = metric.value(data);
  return h('a.card.metric', { href, dataset: { metric: metric.key, value: raw === null || raw === undefined ? '' : String(raw) } },
    h('span.label', metric.label),
    h('span.value', metric.show(raw)),
    metric.noTier ? h('span.sub', 'No DORA benchmark tier') : h('span', h('span', { class: `badge ${tier || ''}`, dataset: { tier: tier || 'none' } }, tier ? `${tierText[tier]} (${year})` : `No tier (${year})`)),
    h('span.sub', metric.sub(data)),
    delta(metric, data, previous));
}

/** Sentences from the figures (what the insights API gives when there is one). */
function sentences(data, previous, year) {
  const out = [];
  for (const m of METRICS) {
    const v = m.value(data);
    if (v === null || v === undefined) continue;
    const tier = !m.noTier && data.tiers?.[year]?.[m.key];
    let s = `${m.label} is ${m.show(v)}`;
    if (tier) s += `, ${tierText[tier].toLowerCase()} against the ${year} DORA benchmarks`;
    const b = previous ? m.value(previous) : null;
    if (b !== null && b !== undefined && b !== v) s += `; it ${m.higherIsBetter === (v > b) ? 'improved' : 'got worse'} from ${m.show(b)} in the previous period`;
    out.push(`${s}.`);
  }
  return out;
}

function weeks(scope) {
  const out = [];
  let end = new Date(`${scope.to}T00:00:00Z`);
  const start = new Date(`${scope.from}T00:00:00Z`);
  while (end >= start && out.length < 26) {
    const from = new Date(Math.max(start.getTime(), end.getTime() - 6 * 86400000));
    out.unshift({ from: from.toISOString().slice(0, 10), to: end.toISOString().slice(0, 10) });
    end = new Date(from.getTime() - 86400000);
  }
  return out;
}

export async function render(main, ctx) {
  const q = query();
  const wall = q.wall === '1';
  document.documentElement.toggleAttribute('data-wall', wall);
  if (wall) document.documentElement.dataset.wall = '1';
  const scope = scopeFromQuery(q);
  const year = YEARS.includes(q.year) ? q.year : '2023';
  const figures = h('section', { 'aria-labelledby': 'figures-h' });
  const trend = h('section.card', { 'aria-labelledby': 'trend-h' });
  const insights = h('section.card', { 'aria-labelledby': 'insights-h' });
  const portfolio = h('section.card', { 'aria-labelledby': 'portfolio-h' });
  const stamp = h('p.hint', { 'aria-live': 'polite' });
  const form = scopeForm(scope, { year, years: YEARS, onSubmit: (params) => ctx.navigate(link(location.pathname, { ...params, wall: wall ? '1' : null })) });
  mount(main,
    h('div.toolbar', h('h1', { id: 'dashboard-title' }, 'Executive dashboard'),
      h('a.button', { href: link(location.pathname, { ...scopeParams(scope), year, wall: wall ? null : '1' }) }, wall ? 'Leave wall-screen mode' : 'Wall-screen mode')),
    wall ? null : form, stamp,
    h('h2#figures-h.visually-hidden', 'DORA metrics'), figures,
    h('div.grid-2', trend, h('div.stack', insights, portfolio)));
  loadScopeOptions(form);

  let previousRun = null;
  async function refresh() {
    const controller = new AbortController();
    previousRun?.abort();
    previousRun = controller;
    const params = { ...scopeParams(scope), benchmark_years: YEARS.join(',') };
    let data, previous = null;
    try {
      data = await api.get(link('/api/v1/dora', params), { signal: controller.signal });
      // The analytics service answers the previous period inside (`previous_period`); else ask for it.
      previous = data.previous_period
        || await api.get(link('/api/v1/dora', { ...params, ...scopeParams(shift(scope)) }), { signal: controller.signal }).catch(() => null);
    } catch (error) {
      if (error.name === 'AbortError' || !ctx.isCurrent()) return;
      mount(figures, notice(error.unavailable ? 'unavailable' : 'error', describe(error, 'The DORA metrics')));
      figures.firstChild.id = 'dora-state';
      figures.firstChild.dataset.state = error.unavailable ? 'unavailable' : 'error';
      mount(trend, h('h2#trend-h', 'Weekly trend'), notice('unavailable', 'The trend needs the DORA metrics.'));
      mount(insights, h('h2#insights-h', 'Insights'), notice('unavailable', 'Insights need the DORA metrics.'));
      performance.mark('pulse:figures');
      loadPortfolio();
      return;
    }
    if (!ctx.isCurrent()) return;
    mount(figures,
      data.deployments === 0 ? notice('info', 'No deployments in this period and scope yet: the figures fill in once data is synced.') : null,
      data.recomputing ? notice('info', 'Figures are being recomputed after a sync; they update shortly.') : null,
      h('div.metrics', { id: 'dora-figures' }, METRICS.map((m) => tile(m, data, previous, scope, year))));
    stamp.textContent = `${scope.from} to ${scope.to}${scope.repository ? ` · ${scope.repository}` : ''}${scope.project ? ` · project ${scope.project}` : ''}${scope.team ? ` · team ${scope.team}` : ''} · computed ${fmt.dateTime(data.computed_at)}`;
    performance.mark('pulse:figures');
    loadInsights(data, previous);
    loadTrend(controller.signal, data.trend);
    loadPortfolio();
  }

  async function loadInsights(data, previous) {
    let list = null, source = 'Generated from the figures above.';
    try {
      const answer = await api.get(link('/api/v1/dora/insights', scopeParams(scope)));
      list = (answer?.insights || []).map((i) => i.text || i.sentence || i.insight).filter(Boolean);
      source = 'From the analytics service.';
    } catch { /* no insights API: say it in sentences from the figures */ }
    if (!list || !list.length) list = sentences(data, previous, year);
    mount(insights, h('h2#insights-h', 'Insights'), list.length ? h('ul.insights', list.map((s) => h('li', s))) : h('p', 'No insights for this period.'), h('p.hint', source));
  }

  async function loadTrend(signal, weekly) {
    mount(trend, h('h2#trend-h', 'Weekly trend'), h('p.loading', 'Loading the weekly figures…'));
    try {
      let labels, results;
      if (Array.isArray(weekly)) {
        // The analytics service's own weekly trend (ISO weeks cut to the period).
        labels = weekly.map((w) => String(w.from || w.week_start).slice(5));
        results = weekly.map((w) => ({ deployments: w.deployments, change_failure_rate: w.change_failure_rate,
          lead_time_seconds: { median: w.lead_time_median_seconds ?? null } }));
      } else {
        const list = weeks(scope);
        results = await Promise.all(list.map((w) => api.get(link('/api/v1/dora', { ...scopeParams({ ...scope, ...w }) }), { signal })));
        labels = list.map((w) => w.from.slice(5));
      }
      if (!ctx.isCurrent()) return;
      mount(trend, h('h2#trend-h', 'Weekly trend'),
        lineChart({ title: 'Deployments per week', labels, series: [{ name: 'Deployments', values: results.map((r) => r.deployments ?? null) }], yFormat: (v) => fmt.number(v) }),
        lineChart({ title: 'Median lead time per week (hours)', labels, series: [{ name: 'Lead time', values: results.map((r) => (r.lead_time_seconds?.median ?? null) === null ? null : r.lead_time_seconds.median / 3600) }], yFormat: (v) => fmt.number(v, 1), tableFormat: (v) => `${fmt.number(v, 1)} h` }),
        lineChart({ title: 'Change failure rate per week', labels, series: [{ name: 'Change failure rate', values: results.map((r) => r.change_failure_rate ?? null) }], yFormat: (v) => `${Math.round(v * 100)} %`, tableFormat: (v) => fmt.percent(v) }));
    } catch (error) {
      if (error.name === 'AbortError' || !ctx.isCurrent()) return;
      mount(trend, h('h2#trend-h', 'Weekly trend'), notice(error.unavailable ? 'unavailable' : 'error', describe(error, 'The weekly trend')));
    }
  }

  async function loadPortfolio() {
    try {
      const answer = await api.get(link('/api/v1/analytics/portfolio', scopeParams(scope)));
      if (!ctx.isCurrent()) return;
      const projects = Object.values(answer?.projects || {});
      const sum = (key) => (projects.length ? projects.reduce((s, p) => s + (p[key] || 0), 0) : undefined);
      const predictable = projects.map((p) => p.predictability?.value).filter((v) => typeof v === 'number');
      const aging = projects.map((p) => p.aging_wip_seconds?.median).filter((v) => typeof v === 'number');
      const kpis = [['Projects', projects.length, fmt.number, '/portfolio'], ['Throughput (items done)', sum('throughput'), fmt.number, '/throughput'],
        ['Work in progress', sum('wip'), fmt.number, '/portfolio'],
        ['Oldest project median WIP age', aging.length ? Math.max(...aging) : undefined, fmt.duration, '/portfolio'],
        ['Predictability (mean of projects)', predictable.length ? predictable.reduce((a, b) => a + b, 0) / predictable.length : undefined, (v) => fmt.percent(v, 0), '/portfolio']];
      mount(portfolio, h('h2#portfolio-h', 'Portfolio'), h('div.grid', kpis.map(([label, v, show, drill]) =>
        h('a.metric', { href: link(drill, scopeParams(scope)) }, h('span.label', label), h('span.value', v === undefined ? '—' : show(v))))));
    } catch (error) {
      if (!ctx.isCurrent()) return;
      mount(portfolio, h('h2#portfolio-h', 'Portfolio'), notice(error.unavailable ? 'unavailable' : 'error', describe(error, 'Portfolio KPIs')));
    }
  }

  await refresh();
  const onSync = () => refresh();
  window.addEventListener('pulse:sync-finished', onSync);
  const timer = wall ? setInterval(refresh, 60000) : null;
  return () => {
    window.removeEventListener('pulse:sync-finished', onSync);
    if (timer) clearInterval(timer);
    previousRun?.abort();
    document.documentElement.removeAttribute('data-wall');
  };
}
