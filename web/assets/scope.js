// Period and scope (client / project / repository / team) shared by the dashboard and drill-downs.
import { api } from './api.js';
import { h, isoDay, link } from './dom.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Scope from the URL: from, to (default the last 90 days), repository (or repo), project, team. */
export function scopeFromQuery(q) {
  const today = new Date();
  const to = DAY.test(q.to || '') ? q.to : isoDay(today);
  const from = DAY.test(q.from || '') ? q.from : isoDay(new Date(new Date(`${to}T00:00:00Z`).getTime() - 89 * 86400000));
  return { from, to, repository: q.repository || q.repo || '', project: q.project || '', team: q.team || '' };
}

/** Query parameters of a scope (empty ones left out). */
export function scopeParams(scope) {
  const p = { from: scope.from, to: scope.to };
  for (const k of ['repository', 'project', 'team']) if (scope[k]) p[k] = scope[k];
  return p;
}

/** The filter form; `onSubmit(params)` gets the new query parameters. */
export function scopeForm(scope, { year, years, onSubmit, extra = [] } = {}) {
  const input = (name, label, attrs = {}) => h('div.field', h('label', { for: `scope-${name}` }, label),
    h('input', { id: `scope-${name}`, name, value: scope[name] || '', ...attrs }));
  const form = h('form.toolbar.filters', { 'aria-label': 'Period and scope' },
    input('from', 'From', { type: 'date', required: true }),
    input('to', 'To', { type: 'date', required: true }),
    input('repository', 'Repository', { list: 'scope-repositories', placeholder: 'All repositories', autocomplete: 'off' }),
    input('project', 'Project', { list: 'scope-projects', placeholder: 'All projects', autocomplete: 'off' }),
    input('team', 'Team', { list: 'scope-teams', placeholder: 'All teams', autocomplete: 'off' }),
    years ? h('div.field', h('label', { for: 'scope-year' }, 'Benchmark year'),
      h('select', { id: 'scope-year', name: 'year' }, years.map((y) => h('option', { value: y, selected: y === year }, y)))) : null,
    extra,
    h('datalist#scope-repositories'), h('datalist#scope-projects'), h('datalist#scope-teams'),
    h('p.field-error', { hidden: true, id: 'scope-error' }),
    h('button.primary', { type: 'submit' }, 'Apply'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form));
    const error = form.querySelector('#scope-error');
    if (!DAY.test(values.from) || !DAY.test(values.to) || values.from > values.to) {
      error.hidden = false;
      error.textContent = 'Choose a period whose start is on or before its end.';
      return;
    }
    error.hidden = true;
    onSubmit(values);
  });
  return form;
}

/** Fills the scope suggestions from the backend's lists (when it has them). */
export async function loadScopeOptions(form) {
  const fill = async (path, key, id, label) => {
    try {
      const answer = await api.get(path);
      const items = answer?.[key] || answer?.items || (Array.isArray(answer) ? answer : []);
      const list = form.querySelector(`#${id}`);
      for (const item of items.slice(0, 500)) list.append(h('option', { value: typeof item === 'string' ? item : item[label] || item.name || item.key }));
    } catch { /* no list yet: free text still works */ }
  };
  await Promise.all([
    fill('/api/v1/repositories', 'repositories', 'scope-repositories', 'full_name'),
    fill('/api/v1/projects', 'projects', 'scope-projects', 'key'),
    fill('/api/v1/teams', 'teams', 'scope-teams', 'name'),
  ]);
}

export { link };
