// In-house SVG charts. Each chart comes with a data table (in a <details>) for screen readers and export.
import { h, svg } from './dom.js';
import { dataTable } from './table.js';

const W = 640, H = 240, PAD = { l: 52, r: 12, t: 12, b: 36 };

function scale(domain, range) {
  const [d0, d1] = domain, [r0, r1] = range;
  return (v) => (d1 === d0 ? (r0 + r1) / 2 : r0 + ((v - d0) / (d1 - d0)) * (r1 - r0));
}

/** A round axis step (1, 2 or 5 × 10^k) giving at most 5 intervals up to `v`. */
function niceStep(v) {
  if (!(v > 0)) return 0.25;
  const raw = v / 5, p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= raw);
}

function niceMax(v) { const step = niceStep(v); return Math.max(step * 4, Math.ceil(v / step) * step); }

function frame(title, yMax, yFormat) {
  const y = scale([0, yMax], [H - PAD.b, PAD.t]);
  const step = niceStep(yMax);
  const ticks = [];
  for (let v = 0; v <= yMax + step / 1000; v += step) ticks.push(v);
  const grid = ticks.map((v) => {
    return svg('g', {}, svg('line', { class: 'grid-line', x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v) }),
      svg('text', { x: PAD.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, yFormat(v)));
  });
  return { y, grid };
}

function xLabels(labels, x) {
  const step = Math.max(1, Math.ceil(labels.length / 8));
  return labels.map((label, i) => (i % step === 0 || i === labels.length - 1)
    ? svg('text', { x: x(i), y: H - PAD.b + 18, 'text-anchor': 'middle' }, label) : null);
}

function figure(title, chart, legend, table) {
  return h('figure.chart', { 'aria-label': title },
    h('figcaption', h('strong', title)), legend, chart,
    h('details.chart-data', h('summary', `Data of “${title}” as a table`), table));
}

function legendOf(series) {
  return series.length > 1 ? h('ul.legend', series.map((s, i) => h('li', h('span', { class: `swatch series-${i + 1}`, 'aria-hidden': 'true' }), s.name))) : null;
}

/** Lines over shared x labels. series: [{name, values: [number|null]}]. */
export function lineChart({ title, labels, series, yFormat = String, tableFormat = yFormat }) {
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v !== null && v !== undefined))));
  const { y, grid } = frame(title, max, yFormat);
  const x = scale([0, Math.max(1, labels.length - 1)], [PAD.l + 8, W - PAD.r - 8]);
  const paths = series.map((s, i) => {
    let d = '';
    let pen = false;
    s.values.forEach((v, j) => {
      if (v === null || v === undefined) { pen = false; return; }
      d += `${pen ? 'L' : 'M'}${x(j).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    const dots = s.values.map((v, j) => (v === null || v === undefined ? null
      : svg('circle', { cx: x(j), cy: y(v), r: 3, class: `series-${i + 1}` }, svg('title', {}, `${labels[j]}: ${tableFormat(v)}`))));
    return svg('g', {}, svg('path', { d, class: `line series-${i + 1}` }), dots);
  });
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title} (chart; the data table follows)` },
    svg('g', { class: 'axis' }, grid, xLabels(labels, x)), paths);
  const table = dataTable({
    caption: title, exportName: title, columns: [{ key: 'label', label: 'Period' }, ...series.map((s, i) => ({ key: `s${i}`, label: s.name, num: true, format: tableFormat }))],
    rows: labels.map((label, j) => Object.fromEntries([['label', label], ...series.map((s, i) => [`s${i}`, s.values[j]])])),
    filter: false,
  });
  return figure(title, chart, legendOf(series), table);
}

/** Stacked bars: categories on x, one stack per category. series: [{name, values}]. */
export function stackedBars({ title, labels, series, yFormat = String, tableFormat = yFormat }) {
  const totals = labels.map((_, j) => series.reduce((sum, s) => sum + (s.values[j] || 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const { y, grid } = frame(title, max, yFormat);
  const band = (W - PAD.l - PAD.r) / Math.max(1, labels.length);
  const x = (j) => PAD.l + band * j + band / 2;
  const bars = labels.map((label, j) => {
    let base = 0;
    return svg('g', {}, series.map((s, i) => {
      const v = s.values[j] || 0;
      const rect = svg('rect', { x: x(j) - band * 0.35, width: band * 0.7, y: y(base + v), height: Math.max(0, y(base) - y(base + v)), class: `series-${i + 1}` },
        svg('title', {}, `${label} · ${s.name}: ${tableFormat(v)}`));
      base += v;
      return rect;
    }));
  });
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title} (chart; the data table follows)` },
    svg('g', { class: 'axis' }, grid, xLabels(labels, x)), bars);
  const table = dataTable({
    caption: title, exportName: title,
    columns: [{ key: 'label', label: 'Item' }, ...series.map((s, i) => ({ key: `s${i}`, label: s.name, num: true, format: tableFormat })), { key: 'total', label: 'Total', num: true, format: tableFormat }],
    rows: labels.map((label, j) => Object.fromEntries([['label', label], ...series.map((s, i) => [`s${i}`, s.values[j]]), ['total', totals[j]]])),
    filter: false,
  });
  return figure(title, chart, legendOf(series), table);
}

/** A forecast: cumulative probability of being done by each date, with P50/P85/P95 marked. */
export function forecastChart({ title, points, markers }) {
  const labels = points.map((p) => p.date);
  const fig = lineChart({ title, labels, series: [{ name: 'Probability done by this date', values: points.map((p) => p.probability) }],
    yFormat: (v) => `${Math.round(v * 100)} %` });
  const svgEl = fig.querySelector('svg');
  const x = scale([0, Math.max(1, labels.length - 1)], [PAD.l + 8, W - PAD.r - 8]);
  markers.forEach((m, i) => {
    const j = labels.indexOf(m.date);
    if (j < 0) return;
    svgEl.append(svg('line', { x1: x(j), x2: x(j), y1: PAD.t, y2: H - PAD.b, class: `series-${i + 2}`, 'stroke-dasharray': '4 3' }),
      svg('text', { x: x(j) + 3, y: PAD.t + 12 + i * 13 }, `${m.label} ${m.date}`));
  });
  return fig;
}
