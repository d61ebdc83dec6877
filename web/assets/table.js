// Tables that sort (click a header), filter (text box) and export to CSV.
import { h, mount } from './dom.js';

let counter = 0;

/** columns: [{key, label, num, format(value,row), link(row)}]; rows: objects. */
export function dataTable({ caption, columns, rows, exportName = caption, filter = true, empty = 'No rows.' }) {
  const id = `t${++counter}`;
  let sortKey = null, sortDir = 1, text = '';
  const body = h('tbody');
  const count = h('span.hint', { 'aria-live': 'polite' });
  const headers = columns.map((c) => {
    const button = h('button.sort', { type: 'button', onclick: () => { sortDir = sortKey === c.key ? -sortDir : 1; sortKey = c.key; draw(); } }, c.label);
    return h(c.num ? 'th.num' : 'th', { scope: 'col', 'aria-sort': 'none', dataset: { key: c.key } }, button);
  });
  const visible = () => {
    let list = rows.filter((row) => !text || columns.some((c) => String(row[c.key] ?? '').toLowerCase().includes(text)));
    if (sortKey) {
      list = [...list].sort((a, b) => {
        const x = a[sortKey], y = b[sortKey];
        if (x === y) return 0;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * sortDir;
      });
    }
    return list;
  };
  function draw() {
    const list = visible();
    for (const th of headers) th.setAttribute('aria-sort', th.dataset.key === sortKey ? (sortDir > 0 ? 'ascending' : 'descending') : 'none');
    mount(body, list.length ? list.map((row) => h('tr', columns.map((c) => {
      const shown = c.format ? c.format(row[c.key], row) : (row[c.key] ?? '—');
      const content = c.link && c.link(row) ? h('a', { href: c.link(row) }, shown) : shown;
      return h(c.num ? 'td.num' : 'td', content instanceof Node ? content : String(content));
    }))) : h('tr', h('td', { colspan: columns.length }, empty)));
    count.textContent = `${list.length} of ${rows.length} rows`;
  }
  const exportCSV = () => {
    const quote = (v) => { const s = v === null || v === undefined ? '' : String(v); return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s; };
    const lines = [columns.map((c) => quote(c.label)).join(','), ...visible().map((row) => columns.map((c) => quote(row[c.key])).join(','))];
    const url = URL.createObjectURL(new Blob([lines.join('\n') + '\n'], { type: 'text/csv' }));
    const a = h('a', { href: url, download: `${String(exportName).toLowerCase().replace(/[^a-z0-9]+/g, '-')}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  const tools = h('div.toolbar',
    filter ? h('div.field', h('label', { for: `${id}-filter` }, 'Filter rows'), h('input', { id: `${id}-filter`, type: 'search', oninput: (e) => { text = e.target.value.toLowerCase(); draw(); } })) : null,
    h('button', { type: 'button', onclick: exportCSV }, 'Export CSV'), count);
  draw();
  return h('div.data-table', tools, h('div.table-wrap', h('table', { id }, h('caption', caption), h('thead', h('tr', headers)), body)));
}
