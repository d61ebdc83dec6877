// Client administration: users, roles and permissions, service accounts (secret shown once),
// integrations (create/edit/test, never a secret), mappings, DORA settings, branding (live preview,
// WCAG AA warning), feature flags, SSO settings.
import { api, describe } from '../api.js';
import { h, mount, notice, fmt } from '../dom.js';
import { dataTable } from '../table.js';
import { field, fieldError, clearErrors, showProblem, formValues } from '../forms.js';
import { contrast, isColour, brandVariables, applyBranding } from '../theme.js';

const tabs = [['users', 'Users'], ['roles', 'Roles'], ['service-accounts', 'Service accounts'], ['integrations', 'Integrations'],
  ['mappings', 'Mappings'], ['dora', 'DORA settings'], ['branding', 'Branding'], ['flags', 'Feature flags'], ['sso', 'Single sign-on']];

function shell(main, view, ...content) {
  mount(main, h('h1', 'Administration'),
    h('nav.toolbar', { 'aria-label': 'Administration sections' }, tabs.map(([v, label]) => h('a.button', { href: `/admin/${v}`, 'aria-current': v === view ? 'page' : null }, label))),
    ...content);
}

function unavailable(error, what) { return notice(error.unavailable ? 'unavailable' : 'error', describe(error, what)); }

/** A form that validates with `check(values)` → {field: message} and posts with `send(values)`. */
function actionForm(id, controls, { submit = 'Save', check = () => ({}), send, done }) {
  const status = h('div', { 'aria-live': 'polite' });
  const button = h('button.primary', { type: 'submit' }, submit);
  const form = h(`form#${id}`, { novalidate: true }, controls, button, status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    mount(status);
    const values = formValues(form);
    const problems = check(values);
    for (const [name, message] of Object.entries(problems)) fieldError(form.elements[name], message);
    if (Object.keys(problems).length) return;
    button.disabled = true;
    try { const answer = await send(values); await done?.(answer, status, form); } catch (error) { showProblem(form, error, status, submit); } finally { button.disabled = false; }
  });
  return form;
}

async function users(main, ctx) {
  const list = h('div');
  const create = actionForm('create-user', [
    field('Email', { name: 'email', type: 'email', required: true }),
    field('Initial password', { name: 'password', type: 'password', required: true, autocomplete: 'new-password', minlength: 8 }, 'At least 8 characters; the user changes it later.'),
    field('Role', { name: 'role', tag: 'select', options: [['viewer', 'viewer'], ['admin', 'admin'], ['etl-admin', 'etl-admin']], value: 'viewer' }),
  ], {
    submit: 'Create user',
    check: (v) => ({ ...(/^[^@\s]+@[^@\s]+$/.test(v.email) ? {} : { email: 'Enter an email address.' }), ...(v.password.length >= 8 ? {} : { password: 'Use at least 8 characters.' }) }),
    send: (v) => api.post('/auth/admin/users', v),
    done: async (answer, status, form) => { form.reset(); mount(status, notice('success', `Created ${answer.email}.`)); await load(); },
  });
  shell(main, 'users', h('section.card', h('h2', 'Add a user'), create), h('section', h('h2', 'Users'), list));
  async function load() {
    try {
      const answer = await api.get('/auth/admin/users');
      mount(list, dataTable({ caption: 'Users of this client', rows: answer.users || [], columns: [
        { key: 'email', label: 'Email' }, { key: 'roles', label: 'Roles', format: (v) => (v || []).join(', ') || '—' },
        { key: 'active', label: 'Active', format: (v) => (v ? 'yes' : 'no') },
        { key: 'id', label: 'Actions', format: (id, row) => h('span',
          row.active ? h('button.danger', { type: 'button', onclick: async (e) => {
            e.target.disabled = true;
            try { await api.post(`/auth/admin/users/${id}/disable`); await load(); } catch (error) { e.target.replaceWith(notice('error', describe(error, 'Disabling'))); }
          } }, 'Disable') : null,
          h('button', { type: 'button', onclick: async (e) => {
            const role = row.roles?.includes('admin') ? null : 'admin';
            if (!role) return;
            try { await api.post(`/auth/admin/users/${id}/roles`, { role }); await load(); } catch (error) { e.target.replaceWith(notice('error', describe(error, 'Granting'))); }
          }, disabled: row.roles?.includes('admin') }, 'Make admin')) },
      ] }));
    } catch (error) { mount(list, unavailable(error, 'The user list')); }
  }
  await load();
}

async function roles(main) {
  const list = h('div');
  const grant = actionForm('grant-permission', [
    field('Role', { name: 'name', required: true }), field('Permission', { name: 'permission', required: true, placeholder: 'analytics:read' }, 'Permissions look like area:action.'),
  ], {
    submit: 'Grant permission',
    check: (v) => ({ ...(v.name ? {} : { name: 'Name the role.' }), ...(/^[a-z_]+:[a-z_*]+$/.test(v.permission) ? {} : { permission: 'Write it as area:action, e.g. analytics:read.' }) }),
    send: (v) => api.post('/auth/admin/roles', v),
    done: async (a, status) => { mount(status, notice('success', `Granted ${a.permission} to ${a.name}.`)); await load(); },
  });
  shell(main, 'roles', h('section.card', h('h2', 'Grant a permission'), grant), h('section', h('h2', 'Roles and permissions'), list));
  async function load() {
    try {
      const answer = await api.get('/auth/admin/roles');
      mount(list, dataTable({ caption: 'Roles', rows: answer.roles || [], columns: [{ key: 'name', label: 'Role' }, { key: 'permissions', label: 'Permissions', format: (v) => (v || []).join(', ') || '—' }] }));
    } catch (error) { mount(list, unavailable(error, 'Roles')); }
  }
  await load();
}

async function serviceAccounts(main) {
  const list = h('div'), secret = h('div', { 'aria-live': 'polite' });
  const create = actionForm('create-service-account', [field('Name', { name: 'name', required: true }), field('Role (optional)', { name: 'role' })], {
    submit: 'Create service account',
    check: (v) => (v.name ? {} : { name: 'Name the service account.' }),
    send: (v) => api.post('/auth/admin/service-accounts', { name: v.name, ...(v.role ? { role: v.role } : {}) }),
    done: async (a, status, form) => {
      form.reset();
      mount(secret, notice('success', h('strong', 'Copy the secret now: it is shown only once. '), h('br'), `Client id: `, h('code', a.client_id), h('br'), 'Secret: ', h('code.secret', a.client_secret)));
      await load();
    },
  });
  shell(main, 'service-accounts', h('section.card', h('h2', 'New service account'), create, secret), h('section', h('h2', 'Service accounts'), list));
  async function load() {
    try {
      const answer = await api.get('/auth/admin/service-accounts');
      mount(list, dataTable({ caption: 'Service accounts (secrets are never shown again)', rows: answer.service_accounts || [], columns: [
        { key: 'name', label: 'Name' }, { key: 'client_id', label: 'Client id' }, { key: 'active', label: 'Active', format: (v) => (v ? 'yes' : 'no') },
        { key: 'id', label: 'Actions', format: (id, row) => (row.active ? h('button.danger', { type: 'button', onclick: async () => { try { await api.post(`/auth/admin/service-accounts/${id}/disable`); } finally { load(); } } }, 'Disable') : '—') },
      ] }));
    } catch (error) { mount(list, unavailable(error, 'Service accounts')); }
  }
  await load();
}

async function integrations(main) {
  const list = h('div'), editing = h('div');
  shell(main, 'integrations', h('section.card', h('h2', 'Add an integration'), integrationForm(null)), editing, h('section', h('h2', 'Integrations'), list));
  function integrationForm(existing) {
    const provider = existing?.provider || 'github';
    const settings = existing?.settings || {};
    return actionForm(existing ? `edit-integration-${existing.id}` : 'create-integration', [
      field('Provider', { name: 'provider', tag: 'select', options: [['github', 'GitHub'], ['jira', 'Jira']], value: provider, disabled: !!existing }),
      field('Name', { name: 'name', required: true, value: existing?.name || '' }),
      field('Base URL', { name: 'base_url', type: 'url', required: true, value: existing?.base_url || '', placeholder: 'https://api.github.com' }),
      field('GitHub organisation', { name: 'organization', value: settings.organization || '' }, 'GitHub only.'),
      field('Jira projects', { name: 'projects', value: (settings.projects || []).join(', ') }, 'Jira only: keys separated by commas.'),
      field('Jira email', { name: 'email', type: 'email' }, existing ? 'Leave empty to keep the stored credentials.' : 'Jira only.'),
      field('Token', { name: 'token', type: 'password', autocomplete: 'new-password' }, existing ? 'Leave empty to keep the stored token; it is never shown.' : 'Stored encrypted; never shown again.'),
    ], {
      submit: existing ? 'Save changes' : 'Create integration',
      check: (v) => {
        const p = {};
        const kind = existing?.provider || v.provider;
        if (!v.name) p.name = 'Name the integration.';
        if (!/^https?:\/\/\S+$/.test(v.base_url)) p.base_url = 'Enter the http(s) URL of the API.';
        if (kind === 'github' && !v.organization) p.organization = 'Enter the GitHub organisation.';
        if (kind === 'jira' && !v.projects) p.projects = 'Enter at least one Jira project key.';
        if (!existing && !v.token) p.token = 'Enter the access token.';
        if (!existing && kind === 'jira' && !v.email) p.email = 'Enter the Jira account email.';
        return p;
      },
      send: (v) => {
        const kind = existing?.provider || v.provider;
        const body = { name: v.name, base_url: v.base_url, settings: kind === 'github' ? { organization: v.organization } : { ...settings, projects: v.projects.split(/[\s,]+/).filter(Boolean) } };
        if (v.token) body.credentials = kind === 'github' ? { token: v.token } : { email: v.email, api_token: v.token };
        return existing ? api.patch(`/api/v1/integrations/${existing.id}`, body) : api.post('/api/v1/integrations', { provider: kind, ...body });
      },
      done: async (a, status, form) => { if (!existing) form.reset(); mount(status, notice('success', existing ? 'Saved.' : `Created integration ${a?.id ?? ''}.`)); await load(); },
    });
  }
  async function load() {
    try {
      const answer = await api.get('/api/v1/integrations');
      const rows = answer?.integrations || answer?.items || [];
      mount(list, dataTable({ caption: 'Integrations', rows, columns: [
        { key: 'name', label: 'Name' }, { key: 'provider', label: 'Provider' }, { key: 'base_url', label: 'Base URL' },
        { key: 'last_sync_at', label: 'Last sync', format: fmt.dateTime }, { key: 'status', label: 'Status' },
        { key: 'id', label: 'Actions', format: (id, row) => {
          const result = h('span.hint', { 'aria-live': 'polite' });
          return h('span', h('button', { type: 'button', onclick: async () => {
            result.textContent = 'Testing…';
            try {
              const t = await api.post(`/api/v1/integrations/${id}/test`, {});
              result.textContent = t?.ok === false ? `Connection failed: ${t.message || t.detail || 'no reason given'}` : `Connection works${t?.message ? `: ${t.message}` : '.'}`;
            } catch (error) { result.textContent = describe(error, 'The connection test'); }
          } }, 'Test connection'), h('button', { type: 'button', onclick: () => mount(editing, h('section.card', h('h2', `Edit ${row.name}`), integrationForm(row))) }, 'Edit'), result);
        } },
      ] }));
    } catch (error) { mount(list, unavailable(error, 'Integrations')); }
  }
  await load();
}

function mappingEditor(kind, title, path, targets) {
  const box = h('section.card', h('h2', title));
  const rows = h('div');
  const addRow = (source = '', target = targets[0]) => rows.append(h('div.toolbar.mapping-row',
    h('div.field', h('label', 'Source'), h('input', { name: 'source', value: source, 'aria-label': `${title} source` })),
    h('div.field', h('label', 'Maps to'), h('select', { name: 'target', 'aria-label': `${title} target` }, targets.map((t) => h('option', { value: t, selected: t === target }, t)))),
    h('button', { type: 'button', onclick: (e) => e.target.closest('.mapping-row').remove() }, 'Remove')));
  const status = h('div', { 'aria-live': 'polite' });
  const form = h('form', { novalidate: true, id: `mapping-${kind}` }, rows, h('button', { type: 'button', onclick: () => addRow() }, 'Add row'), h('button.primary', { type: 'submit' }, 'Save mappings'), status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const list = [...rows.querySelectorAll('.mapping-row')].map((r) => ({ source: r.querySelector('[name=source]').value.trim(), target: r.querySelector('[name=target]').value }));
    if (list.some((m) => !m.source)) { mount(status, notice('error', 'Every row needs a source name (or remove the row).')); return; }
    try { await api.put(path, list); mount(status, notice('success', 'Saved.')); } catch (error) { showProblem(form, error, status, 'Saving the mappings'); }
  });
  box.append(form);
  api.get(path).then((answer) => {
    const list = Array.isArray(answer) ? answer : answer?.items || answer?.mappings || [];
    list.forEach((m) => addRow(m.source, m.target));
    if (!list.length) addRow();
  }).catch((error) => { box.insertBefore(unavailable(error, title), form); addRow(); });
  return box;
}

async function mappings(main) {
  shell(main, 'mappings',
    mappingEditor('types', 'Work-item type mappings', '/api/v1/mappings/work-item-types', ['incident', 'bug', 'story', 'task', 'epic', 'other']),
    mappingEditor('statuses', 'Status mappings', '/api/v1/mappings/statuses', ['to-do', 'in-progress', 'done']));
}

async function dora(main) {
  const box = h('div');
  shell(main, 'dora', h('section.card', h('h2', 'DORA settings'), box));
  let current = {};
  let loadError = null;
  try { current = await api.get('/api/v1/settings/dora') || {}; } catch (error) { loadError = error; }
  const form = actionForm('dora-settings', [
    field('Production environment pattern', { name: 'production_environment_pattern', required: true, value: current.production_environment_pattern ?? 'prod|production' }, 'A regular expression over deployment environment names.'),
    field('Failure window (hours)', { name: 'failure_window_hours', type: 'number', min: 1, max: 720, value: current.failure_window_hours ?? 48 }),
    field('Hotfix labels', { name: 'hotfix_labels', value: (current.hotfix_labels || ['hotfix']).join(', ') }),
    field('Revert labels', { name: 'revert_labels', value: (current.revert_labels || ['revert']).join(', ') }),
    field('Benchmark year', { name: 'benchmark_year', tag: 'select', options: ['2019', '2021', '2023', '2024'].map((y) => [y, y]), value: String(current.benchmark_year ?? 2023) }),
  ], {
    check: (v) => {
      const p = {};
      try { new RegExp(v.production_environment_pattern); } catch { p.production_environment_pattern = 'This is not a valid regular expression.'; }
      if (!v.production_environment_pattern) p.production_environment_pattern = 'Enter a pattern.';
      if (!(v.failure_window_hours >= 1 && v.failure_window_hours <= 720)) p.failure_window_hours = 'Use 1 to 720 hours.';
      return p;
    },
    send: (v) => api.put('/api/v1/settings/dora', { ...current, production_environment_pattern: v.production_environment_pattern, failure_window_hours: v.failure_window_hours,
      hotfix_labels: v.hotfix_labels.split(/[\s,]+/).filter(Boolean), revert_labels: v.revert_labels.split(/[\s,]+/).filter(Boolean), benchmark_year: Number(v.benchmark_year) }),
    done: (a, status) => mount(status, notice('success', 'Saved. The figures are recomputed with the new settings.')),
  });
  mount(box, loadError ? unavailable(loadError, 'The DORA settings') : null, form);
}

async function branding(main) {
  let current = {};
  let loadError = null;
  try { current = await api.get('/api/v1/settings/branding') || {}; } catch (error) { loadError = error; }
  const vars = brandVariables(current);
  const preview = h('div.preview', { id: 'brand-preview' });
  const warnings = h('div', { 'aria-live': 'polite' });
  const colourField = (name, label, value) => field(label, { name, type: 'color', value });
  const form = actionForm('branding-form', [
    field('Display name', { name: 'name', value: current.display_name || current.name || '' }),
    colourField('light_primary', 'Light theme: primary colour', vars.light['--brand-primary'] || '#1f5fbf'),
    colourField('light_background', 'Light theme: background', current.light?.background || '#ffffff'),
    colourField('dark_primary', 'Dark theme: primary colour', vars.dark['--brand-primary-dark'] || '#5f9cf5'),
    colourField('dark_background', 'Dark theme: background', current.dark?.background || '#161d28'),
    h('div.field', h('label', { for: 'logo' }, 'Logo (PNG, SVG or WebP, up to 512 KB)'), h('input#logo', { name: 'logo', type: 'file', accept: 'image/png,image/svg+xml,image/webp' })),
  ], {
    check: (v) => {
      const file = form.logo.files[0];
      if (file && (!['image/png', 'image/svg+xml', 'image/webp'].includes(file.type) || file.size > 512 * 1024)) return { logo: 'Use a PNG, SVG or WebP file of at most 512 KB.' };
      return {};
    },
    send: async (v) => {
      const saved = await api.put('/api/v1/settings/branding', { ...(v.name ? { display_name: v.name } : {}),
        light: { ...(current.light || {}), primary: v.light_primary, background: v.light_background },
        dark: { ...(current.dark || {}), primary: v.dark_primary, background: v.dark_background } });
      const file = form.logo.files[0];
      if (file) {
        await api.post('/api/v1/settings/branding/logo', file);
      }
      return saved;
    },
    done: async (a, status) => { mount(status, notice('success', 'Saved. Everyone sees the new branding on their next page load.')); await applyBranding(); },
  });
  const update = () => {
    const v = formValues(form);
    mount(preview, h('p.hint', 'Live preview'),
      ...[['Light', v.light_primary, v.light_background], ['Dark', v.dark_primary, v.dark_background]].map(([label, primary, background]) => {
        const bar = h('div.preview-bar', `${v.name || 'Pulse'} · ${label} theme`);
        bar.style.background = background;
        bar.style.color = primary;
        return bar;
      }));
    const checks = [['Light', v.light_primary, v.light_background], ['Dark', v.dark_primary, v.dark_background]].filter(([, a, b]) => isColour(a) && isColour(b))
      .map(([label, a, b]) => [label, contrast(a, b)]);
    mount(warnings, checks.map(([label, ratio]) => (ratio < 4.5
      ? notice('error', `${label} theme: the primary colour on the background has a contrast of ${ratio.toFixed(2)}:1, below the WCAG AA minimum of 4.5:1 for text.`)
      : h('p.hint', `${label} theme contrast ${ratio.toFixed(2)}:1 (meets WCAG AA).`))));
  };
  form.addEventListener('input', update);
  shell(main, 'branding', h('div.grid-2', h('section.card', h('h2', 'Branding'), loadError ? unavailable(loadError, 'The branding settings') : null, form), h('section.card', h('h2', 'Preview'), preview, warnings)));
  update();
}

async function flags(main) {
  const box = h('div');
  shell(main, 'flags', h('section.card', h('h2', 'Feature flags'), box));
  try {
    const answer = await api.get('/api/v1/features');
    const list = answer?.flags || (answer && typeof answer === 'object' ? Object.entries(answer).map(([name, enabled]) => ({ name, enabled })) : []);
    const status = h('div', { 'aria-live': 'polite' });
    mount(box, list.length ? h('ul', list.map((f) => h('li', h('label.inline', h('input', { type: 'checkbox', checked: !!f.enabled, onchange: async (e) => {
      try { await api.patch('/api/v1/features', { [f.name]: e.target.checked }); mount(status, notice('success', `${f.name} ${e.target.checked ? 'on' : 'off'}.`)); } catch (error) { e.target.checked = !e.target.checked; mount(status, notice('error', describe(error, 'Changing the flag'))); }
    } }), f.description ? `${f.name}: ${f.description}` : f.name)))) : h('p', 'No feature flags.'), status);
  } catch (error) { mount(box, unavailable(error, 'Feature flags')); }
}

async function sso(main) {
  const box = h('div');
  shell(main, 'sso', h('section.card', h('h2', 'Single sign-on (OIDC)'), box));
  let current = null, loadError = null;
  try { current = await api.get('/auth/admin/oidc'); } catch (error) { if (error.status !== 404 || error.unavailable) loadError = error; }
  const provider = current?.provider || current || {};
  mount(box, loadError ? unavailable(loadError, 'The SSO settings') : h('p.hint', provider.issuer ? 'SSO is configured. The client secret is write-only.' : 'No OIDC provider yet.'),
    actionForm('sso-form', [
      field('Issuer', { name: 'issuer', type: 'url', required: true, value: provider.issuer || '' }),
      field('Client id', { name: 'client_id', required: true, value: provider.client_id || '' }),
      field('Client secret', { name: 'client_secret', type: 'password', autocomplete: 'new-password' }, provider.issuer ? 'Leave empty to keep the stored secret.' : 'Required for a new provider.'),
      field('Redirect URI', { name: 'redirect_uri', type: 'url', required: true, value: provider.redirect_uri || `${location.origin}/auth/oidc/callback` }),
    ], {
      check: (v) => ({ ...(/^https?:\/\//.test(v.issuer) ? {} : { issuer: 'Enter the issuer URL.' }), ...(v.client_id ? {} : { client_id: 'Enter the client id.' }),
        ...(/^https?:\/\//.test(v.redirect_uri) ? {} : { redirect_uri: 'Enter the redirect URI.' }), ...(provider.issuer || v.client_secret ? {} : { client_secret: 'Enter the client secret.' }) }),
      send: (v) => api.put('/auth/admin/oidc', Object.fromEntries(Object.entries(v).filter(([, x]) => x !== ''))),
      done: (a, status) => mount(status, notice('success', 'Saved.')),
    }));
}

export async function render(main, ctx) {
  const pages = { users, roles, 'service-accounts': serviceAccounts, integrations, mappings, dora, branding, flags, sso };
  return pages[ctx.route.view](main, ctx);
}
