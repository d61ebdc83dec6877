// Small DOM helpers: an element builder and formatters. No innerHTML with data: text only.

/** h('div.card#id', {attrs}, ...children) builds an element; strings become text nodes. */
export function h(tag, attrs, ...children) {
  const [name, ...rest] = tag.split(/(?=[.#])/);
  const el = document.createElement(name || 'div');
  for (const part of rest) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) { children.unshift(attrs); attrs = null; }
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value' && 'value' in el) el.value = value;
    else if (key === 'checked') el.checked = !!value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** An SVG element with attributes. */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== null && value !== undefined) el.setAttribute(key, String(value));
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `el`. */
export function mount(el, ...children) { el.replaceChildren(); append(el, children); return el; }

/** A plain notice; `kind` is unavailable | error | success | info. */
export function notice(kind, text, ...more) { return h(`div.notice.${kind}`, { role: kind === 'error' ? 'alert' : 'status' }, text, ...more); }

export const fmt = {
  number(n, digits = 0) { return n === null || n === undefined || Number.isNaN(n) ? '—' : Number(n).toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }); },
  percent(f, digits = 1) { return f === null || f === undefined ? '—' : `${(f * 100).toFixed(digits)} %`; },
  /** Seconds as "3.2 h", "2.1 d", "45 min". */
  duration(s) {
    if (s === null || s === undefined) return '—';
    if (s < 90) return `${Math.round(s)} s`;
    if (s < 5400) return `${(s / 60).toFixed(0)} min`;
    if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
    return `${(s / 86400).toFixed(1)} d`;
  },
  date(iso) { if (!iso) return '—'; const d = new Date(iso); return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().slice(0, 10); },
  dateTime(iso) { if (!iso) return '—'; const d = new Date(iso); return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC'; },
};

/** YYYY-MM-DD of a Date (UTC). */
export function isoDay(date) { return date.toISOString().slice(0, 10); }

/** The query parameters of the current URL as an object. */
export function query() { return Object.fromEntries(new URLSearchParams(location.search)); }

/** A URL with query parameters (empty values left out). */
export function link(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
