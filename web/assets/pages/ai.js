// AI pages: search with highlighted matches and filters, similar items and duplicates, the delivery
// forecast (P50/P85/P95), anomaly alerts with acknowledge, and a feedback button on each answer.
import { api, describe } from '../api.js';
import { h, mount, notice, fmt, query, link } from '../dom.js';
import { forecastChart } from '../charts.js';
import { dataTable } from '../table.js';
import { fieldError, clearErrors, showProblem } from '../forms.js';

/** Text with the matched terms wrapped in <mark>. */
export function highlight(text, terms) {
  const words = (terms || []).filter((t) => t && t.length > 1).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  if (!words.length) return [text];
  const re = new RegExp(`(${words.join('|')})`, 'gi');
  return String(text).split(re).map((part, i) => (i % 2 === 1 ? h('mark', part) : part));
}

/** 👍/👎 on an AI answer → POST /ai/feedback {answer_type, verdict, query?, items?, prediction_id?}. */
function feedbackButton(kind, subject) {
  const status = h('span.hint', { 'aria-live': 'polite' });
  const answerType = { search_result: 'search', duplicate: 'duplicate', forecast: 'forecast', anomaly: 'alert', similar: 'similar' }[kind] || kind;
  const send = async (useful) => {
    const verdict = useful ? 'correct' : kind === 'duplicate' ? 'not_duplicate' : kind === 'forecast' ? 'off' : 'wrong';
    const body = { answer_type: answerType, verdict };
    if (subject.query) body.query = subject.query;
    if (subject.items) body.items = subject.items;
    if (subject.prediction_id) body.prediction_id = subject.prediction_id;
    try {
      await api.post('/ai/feedback', body);
      status.textContent = 'Thanks: your feedback was recorded.';
    } catch (error) { status.textContent = describe(error, 'Feedback'); }
  };
  return h('span.feedback', h('button', { type: 'button', onclick: () => send(true), 'aria-label': `Useful: ${subject.label || kind}` }, '👍 Useful'),
    h('button', { type: 'button', onclick: () => send(false), 'aria-label': `Not useful: ${subject.label || kind}` }, '👎 Wrong'), status);
}

async function search(main, ctx) {
  const q = query();
  const results = h('div', { 'aria-live': 'polite' });
  const form = h('form.toolbar', { role: 'search' },
    h('div.field', h('label', { for: 'q' }, 'Search work items, pull requests and incidents'), h('input#q', { name: 'q', type: 'search', value: q.q || '', required: true })),
    h('div.field', h('label', { for: 'types' }, 'Type'), h('select#types', { name: 'types' },
      [['', 'All types'], ['work_item', 'Work items'], ['pr', 'Pull requests'], ['incident', 'Incidents']].map(([v, t]) => h('option', { value: v, selected: v === (q.types || '') }, t)))),
    h('div.field', h('label', { for: 'project' }, 'Project'), h('input#project', { name: 'project', value: q.project || '' })),
    h('div.field', h('label', { for: 'repository' }, 'Repository'), h('input#repository', { name: 'repository', value: q.repository || '' })),
    h('button.primary', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const values = Object.fromEntries(new FormData(form));
    if (!values.q.trim()) { fieldError(form.q, 'Type what you are looking for.'); return; }
    ctx.navigate(link('/search', values));
  });
  mount(main, h('h1', 'Search'), form, results);
  if (!q.q) { mount(results, h('p.hint', 'Semantic and keyword search across your client’s data.')); return; }
  try {
    const answer = await api.get(link('/ai/search', { q: q.q, types: q.types, project: q.project, repository: q.repository, limit: 25 }));
    const items = answer?.results || [];
    mount(results, h('p', `${items.length} results for “${q.q}”`), items.length ? h('ol.results', items.map((r) => {
      const terms = r.matched_terms || answer.terms || q.q.split(/\s+/);
      return h('li.card', h('h3', h('a', { href: link('/similar', { type: r.type, id: r.id }) }, highlight(r.title || r.summary || `${r.type} ${r.id}`, terms))),
        h('p.hint', `${r.type}${r.key ? ` · ${r.key}` : ''}${r.score !== undefined ? ` · score ${fmt.number(r.score, 3)}` : ''}`),
        r.snippet || r.description ? h('p', highlight(String(r.snippet || r.description).slice(0, 300), terms)) : null,
        feedbackButton('search_result', { query: q.q, items: [{ type: r.type, id: r.id }], label: r.title }));
    })) : notice('info', 'Nothing matched. Try other words.'), (answer?.notes || []).map((n) => notice('info', n)));
  } catch (error) {
    mount(results, notice(error.unavailable ? 'unavailable' : 'error', describe(error, 'Search')));
  }
}

async function similar(main) {
  const q = query();
  const box = h('div'), dupes = h('div');
  mount(main, h('h1', 'Similar items and likely duplicates'), box, h('h2', 'Likely duplicates'), dupes);
  if (q.type && q.id) {
    try {
      const answer = await api.get(`/ai/similar/${encodeURIComponent(q.type)}/${encodeURIComponent(q.id)}`);
      const items = answer?.items || answer?.results || [];
      mount(box, h('h2', `Items similar to ${q.type} ${q.id}`), dataTable({ caption: 'Similar items', columns: [
        { key: 'type', label: 'Type' }, { key: 'title', label: 'Title', link: (r) => link('/similar', { type: r.type, id: r.id }) },
        { key: 'similarity', label: 'Similarity', num: true, format: (v, r) => fmt.number(v ?? r.score, 3) }], rows: items }),
        feedbackButton('similar', { items: [{ type: q.type, id: Number(q.id) }], label: 'these similar items' }));
    } catch (error) { mount(box, notice(error.unavailable ? 'unavailable' : 'error', describe(error, 'Similar items'))); }
  } else mount(box, h('p.hint', 'Open an item from the search results to see what is similar to it.'));
  try {
    const answer = await api.get(link('/ai/duplicates', { project: q.project }));
    const pairs = answer?.pairs || answer?.duplicates || [];
    mount(dupes, pairs.length ? h('ul', pairs.map((p) => h('li.card', `${p.a?.title || p.a?.id || p.left} ↔ ${p.b?.title || p.b?.id || p.right} (score ${fmt.number(p.score, 3)}) `,
      feedbackButton('duplicate', { items: [p.a, p.b].filter(Boolean).map((x) => ({ type: x.type, id: x.id })), label: 'this pair' })))) : h('p', 'No likely duplicates.'));
  } catch (error) { mount(dupes, notice(error.unavailable ? 'unavailable' : 'error', describe(error, 'Duplicate detection'))); }
}

async function forecast(main) {
  const q = query();
  const out = h('div', { 'aria-live': 'polite' });
  const status = h('div');
  const form = h('form.toolbar', { novalidate: true },
    h('div.field', h('label', { for: 'items' }, 'Items to finish'), h('input#items', { name: 'items', type: 'number', min: 1, max: 10000, value: q.items || '20', required: true })),
    h('div.field', h('label', { for: 'fc-project' }, 'Project (optional)'), h('input#fc-project', { name: 'project', value: q.project || '' })),
    h('div.field', h('label', { for: 'target' }, 'Target date (optional)'), h('input#target', { name: 'target_date', type: 'date', value: q.target_date || '' })),
    h('button.primary', { type: 'submit' }, 'Forecast'));
  mount(main, h('h1', 'Delivery forecast'), h('p.hint', 'Monte Carlo over the weekly throughput history: when will these items be done?'), form, status, out);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    mount(status);
    const items = Number(form.items.value);
    if (!Number.isInteger(items) || items < 1 || items > 10000) { fieldError(form.items, 'Enter a whole number of items between 1 and 10000.'); return; }
    try {
      const body = { items, project: form.project.value.trim() || undefined, target_date: form.target_date.value || undefined };
      const answer = await api.post('/ai/forecasts/delivery', body);
      const markers = [['P50', answer.p50_date, 0.5], ['P85', answer.p85_date, 0.85], ['P95', answer.p95_date, 0.95]].filter(([, d]) => d)
        .map(([label, d, probability]) => ({ label, date: fmt.date(d), probability }));
      // The answer gives the distribution at its percentiles: the chart joins those points from the start.
      const points = markers.length ? [{ date: fmt.date(answer.start), probability: 0 }, ...markers.map((m) => ({ date: m.date, probability: m.probability }))] : [];
      mount(out, h('div.grid', markers.map((m) => h('div.card.metric', h('span.label', `${m.label} date`), h('span.value', m.date)))),
        answer.probability_by_target !== undefined && answer.probability_by_target !== null ? h('p', `Probability of finishing by ${body.target_date}: ${fmt.percent(answer.probability_by_target, 0)}`) : null,
        answer.throughput_history ? h('p.hint', `From ${answer.history_weeks} weeks of throughput (${answer.throughput_history.join(', ')} items a week), ${fmt.number(answer.trials)} trials.`) : null,
        (answer.notes || []).map((n) => notice('info', n)),
        points.length ? forecastChart({ title: `Forecast for ${items} items`, points, markers }) : null,
        feedbackButton('forecast', { prediction_id: answer.prediction_id, label: 'this forecast' }));
    } catch (error) { showProblem(form, error, status, 'The forecast'); }
  });
}

async function anomalies(main) {
  const box = h('div');
  mount(main, h('h1', 'Anomaly alerts'), box);
  const load = async () => {
    try {
      const answer = await api.get('/ai/alerts');
      const alerts = Array.isArray(answer) ? answer : answer?.alerts || answer?.items || [];
      mount(box, alerts.length ? h('ul', alerts.map((a) => {
        const status = h('span.hint', { 'aria-live': 'polite' });
        const data = a.alert_data || {};
        const facts = Object.entries(data).filter(([, v]) => v === null || typeof v !== 'object').map(([k, v]) => `${k.replace(/_/g, ' ')}: ${v}`);
        return h('li.card', h('h2', `${data.metric || a.model_name || 'Metric'}${data.message ? `: ${data.message}` : ''}`),
          h('p', h('span', { class: `badge ${a.severity === 'critical' || a.severity === 'high' ? 'low' : 'medium'}` }, a.severity || 'info'), ` detected ${fmt.dateTime(a.created_at)}`),
          facts.length ? h('p.hint', facts.join(' · ')) : null,
          a.acknowledged_at ? h('p.hint', `Acknowledged${a.acknowledged_by ? ` by user ${a.acknowledged_by}` : ''} on ${fmt.dateTime(a.acknowledged_at)}`)
            : h('button', { type: 'button', onclick: async () => {
              try { await api.post(`/ai/alerts/${encodeURIComponent(a.id)}/acknowledge`, {}); load(); } catch (error) { status.textContent = describe(error, 'Acknowledging'); }
            } }, 'Acknowledge'), status, feedbackButton('anomaly', { label: 'this alert' }));
      })) : notice('success', 'No anomaly alerts.'));
    } catch (error) { mount(box, notice(error.unavailable ? 'unavailable' : 'error', describe(error, 'Anomaly alerts'))); }
  };
  await load();
}

export async function render(main, ctx) {
  return ({ search, similar, forecast, anomalies })[ctx.route.view](main, ctx);
}
