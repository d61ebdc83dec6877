// Log viewer: level / category / client / text filters over GET /etl/logs, and a live tail over /ws/logs.
import { api, describe } from '../api.js';
import { h, mount, notice, query, link } from '../dom.js';
import { openStream } from '../live.js';

const LEVELS = ['', 'trace', 'debug', 'info', 'notice', 'warning', 'error', 'critical'];
const rank = Object.fromEntries(LEVELS.map((l, i) => [l, i]));

function parse(line) {
  if (typeof line === 'object' && line) return line.entry || line;
  try { const value = JSON.parse(line); return value.entry || value; } catch { /* plain text line */ }
  const m = /\[(trace|debug|info|notice|warning|error|critical)\] \[([A-Z]+)\]/.exec(line);
  return { line, level: m?.[1] || '', category: m?.[2] || '' };
}

export async function render(main, ctx) {
  const q = query();
  const lines = h('div.log-lines', { id: 'log-lines', tabindex: '0', role: 'log', 'aria-label': 'Log lines' });
  const tailStatus = h('span.hint', { 'aria-live': 'polite' });
  const status = h('div');
  const select = (name, label, options) => h('div.field', h('label', { for: `log-${name}` }, label),
    h('select', { id: `log-${name}`, name }, options.map(([v, t]) => h('option', { value: v, selected: v === (q[name] || '') }, t))));
  const input = (name, label, attrs = {}) => h('div.field', h('label', { for: `log-${name}` }, label), h('input', { id: `log-${name}`, name, value: q[name] || '', ...attrs }));
  const form = h('form.toolbar', { 'aria-label': 'Log filters' },
    select('level', 'Lowest level', LEVELS.map((l) => [l, l || 'Any'])),
    select('category', 'Category', [['', 'Any'], ...['HTTP', 'AUTH', 'ETL', 'ORCH', 'DB', 'AI'].map((c) => [c, c])]),
    input('client', 'Client'), input('text', 'Text', { type: 'search' }),
    h('button.primary', { type: 'submit' }, 'Apply'),
    h('label.inline', h('input#log-tail', { type: 'checkbox', name: 'tail', checked: q.tail !== '0' }), 'Live tail'));
  form.addEventListener('submit', (event) => { event.preventDefault(); const v = Object.fromEntries(new FormData(form)); v.tail = form.tail.checked ? null : '0'; ctx.navigate(link('/logs', v)); });
  mount(main, h('h1', 'Logs'), form, status, h('p', tailStatus), lines);

  const matches = (entry) => (!q.level || rank[entry.level] >= rank[q.level]) && (!q.category || entry.category === q.category)
    && (!q.client || String(entry.client ?? entry.client_slug ?? entry.line ?? '').includes(q.client)) && (!q.text || JSON.stringify(entry).toLowerCase().includes(q.text.toLowerCase()));
  const add = (entry) => {
    if (!matches(entry)) return;
    // pulse-etl's entries: timestamp, level, category, message, module, client, fields (and the file's line number).
    const text = typeof entry.line === 'string' ? entry.line
      : `${entry.timestamp || ''} [${entry.level}] [${entry.category}] ${entry.message || ''}${entry.module ? ` [${entry.module}]` : ''}${entry.fields ? ` ${entry.fields}` : ''}${entry.client ? ` client=${entry.client}` : ''}`;
    lines.append(h('div', { class: entry.level || '' }, text));
    while (lines.childElementCount > 2000) lines.firstChild.remove();
    lines.scrollTop = lines.scrollHeight;
  };
  try {
    const answer = await api.get(link('/etl/logs', { level: q.level, category: q.category, client: q.client, text: q.text, limit: 500 }));
    const entries = answer?.items || answer?.lines || answer?.entries || [];
    if (!entries.length) lines.append(h('div', 'No log lines match.'));
    entries.map(parse).forEach(add);
  } catch (error) {
    mount(status, notice(error.unavailable ? 'unavailable' : 'error', describe(error, 'The log lines')));
  }
  if (q.tail === '0') { tailStatus.textContent = 'Live tail is off.'; return undefined; }
  const stream = openStream(link('/ws/logs', { level: q.level, category: q.category, client: q.client }), (data) => add(parse(data)), (online, text) => { tailStatus.textContent = text; });
  return () => stream.stop();
}
