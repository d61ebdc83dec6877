// The shell: session, navigation, routing (History API, deep links), theme, branding, live status.
import { api, onExpired, setCsrf, ApiError } from './api.js';
import { h, mount, notice } from './dom.js';
import { initTheme, applyBranding, loadPreferences } from './theme.js';
import { live } from './live.js';

/** Pages by path: title, module, and the permission a page needs (any of). */
const routes = {
  '/signin': { title: 'Sign in', module: './pages/signin.js', public: true },
  '/': { title: 'Executive dashboard', module: './pages/dashboard.js' },
  '/dora': { title: 'DORA metrics', module: './pages/dashboard.js' },
  '/deployments': { title: 'Deployments', module: './pages/delivery.js', view: 'deployments' },
  '/incidents': { title: 'Incidents', module: './pages/delivery.js', view: 'incidents' },
  '/pull-requests': { title: 'Pull requests', module: './pages/delivery.js', view: 'pull-requests' },
  '/throughput': { title: 'Throughput', module: './pages/delivery.js', view: 'throughput' },
  '/portfolio': { title: 'Portfolio', module: './pages/delivery.js', view: 'portfolio' },
  '/search': { title: 'Search', module: './pages/ai.js', view: 'search' },
  '/similar': { title: 'Similar items', module: './pages/ai.js', view: 'similar' },
  '/forecast': { title: 'Delivery forecast', module: './pages/ai.js', view: 'forecast' },
  '/anomalies': { title: 'Anomaly alerts', module: './pages/ai.js', view: 'anomalies' },
  '/jobs': { title: 'ETL jobs', module: './pages/etl.js', needs: ['etl:read', 'etl:write'] },
  '/logs': { title: 'Logs', module: './pages/logs.js', needs: ['etl:read', 'etl:write'] },
  '/settings': { title: 'My settings', module: './pages/settings.js' },
};
const adminViews = ['users', 'roles', 'service-accounts', 'integrations', 'mappings', 'dora', 'branding', 'flags', 'sso'];
for (const view of adminViews) {
  routes[`/admin/${view}`] = { title: 'Administration', module: './pages/admin.js', view, needs: ['users:admin', 'settings:write', 'integrations:write'] };
}
routes['/admin'] = routes['/admin/users'];

const nav = [
  ['/', 'Dashboard'], ['/deployments', 'Deployments'], ['/incidents', 'Incidents'], ['/pull-requests', 'Pull requests'],
  ['/throughput', 'Throughput'], ['/portfolio', 'Portfolio'], ['/search', 'Search'], ['/forecast', 'Forecast'],
  ['/anomalies', 'Alerts'], ['/jobs', 'ETL', ['etl:read', 'etl:write']], ['/logs', 'Logs', ['etl:read', 'etl:write']],
  ['/admin/users', 'Admin', ['users:admin', 'settings:write', 'integrations:write']],
];

export const state = { session: null, cleanup: null, renderToken: 0 };

/** Whether the signed-in user holds any of `permissions`. */
export function holds(permissions) {
  const held = new Set(state.session?.permissions || []);
  return !permissions || permissions.some((p) => held.has(p) || held.has(p.split(':')[0] + ':*') || held.has('*'));
}

/** Client-side navigation (keeps deep links real URLs). */
export function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
  render();
}

async function loadSession() {
  try {
    const me = await api.get('/auth/me', { anonymous: true });
    state.session = me;
    setCsrf(me.csrf_token);
  } catch (error) {
    state.session = null;
    if (!(error instanceof ApiError) || (error.status !== 401 && error.status !== 403)) state.sessionError = error;
  }
}

function renderNav() {
  const navEl = document.getElementById('nav');
  const user = document.getElementById('user-menu');
  if (!state.session) { mount(navEl); mount(user); return; }
  const current = location.pathname === '/dora' ? '/' : location.pathname.startsWith('/admin') ? '/admin/users' : location.pathname;
  mount(navEl, nav.filter(([, , needs]) => holds(needs)).map(([href, label]) =>
    h('a', { href, 'aria-current': href === current ? 'page' : null }, label)));
  mount(user, h('a', { href: '/settings' }, h('span.long', state.session.email || 'My settings'), h('span.short', 'Me')),
    h('button', { type: 'button', id: 'sign-out', onclick: signOut }, 'Sign out'));
}

async function signOut() {
  try { await api.post('/auth/logout'); } catch { /* the cookie is cleared or already gone */ }
  state.session = null;
  setCsrf(null);
  live.stop();
  navigate('/signin?reason=signed-out');
}

/** Renders the page for the current URL. */
export async function render() {
  const token = ++state.renderToken;
  if (state.cleanup) { try { state.cleanup(); } catch { /* ignore */ } state.cleanup = null; }
  const main = document.getElementById('main');
  const route = routes[location.pathname] || { title: 'Not found', notFound: true };
  if (route.public && state.session && location.pathname === '/signin') {
    const next = new URLSearchParams(location.search).get('next');
    history.replaceState(null, '', next && next.startsWith('/') && !next.startsWith('//') ? next : '/');
    return render();
  }
  if (!route.public && !state.session) {
    const next = location.pathname + location.search;
    history.replaceState(null, '', `/signin?next=${encodeURIComponent(next)}`);
    return render();
  }
  if (state.session && !live.running) live.start();
  renderNav();
  document.title = `${route.title} · ${document.getElementById('brand-name').textContent}`;
  if (route.notFound) {
    mount(main, h('h1', 'Page not found'), notice('error', `There is no page at ${location.pathname}. `, h('a', { href: '/' }, 'Go to the dashboard')));
    return;
  }
  if (route.needs && !holds(route.needs)) {
    mount(main, h('h1', route.title), notice('error', `You do not have permission to open this page (it needs ${route.needs.join(' or ')}). Ask a client admin for access.`));
    return;
  }
  mount(main, h('p.loading', 'Loading…'));
  try {
    const page = await import(route.module);
    if (token !== state.renderToken) return;
    const cleanup = await page.render(main, { route, session: state.session, navigate, holds, isCurrent: () => token === state.renderToken });
    if (token !== state.renderToken) { if (typeof cleanup === 'function') cleanup(); return; }
    state.cleanup = typeof cleanup === 'function' ? cleanup : null;
  } catch (error) {
    if (token !== state.renderToken) return;
    mount(main, h('h1', route.title), notice('error', `This page could not be shown (${error.message}). Reload to try again.`));
  }
}

/** After sign-in: load the session and go to `next`. */
export async function signedIn(next) {
  await loadSession();
  await loadPreferences(state.session);
  applyBranding();
  navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
}

onExpired(() => {
  if (!state.session) return;
  state.session = null;
  live.stop();
  const next = location.pathname + location.search;
  history.replaceState(null, '', `/signin?reason=expired&next=${encodeURIComponent(next)}`);
  render();
});

document.addEventListener('click', (event) => {
  const a = event.target.closest('a');
  if (!a || a.target || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/auth/') || a.hasAttribute('download')) return;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/etl/') || url.pathname.startsWith('/ai/')) return;
  event.preventDefault();
  document.getElementById('nav').classList.remove('open');
  navigate(url.pathname + url.search + url.hash);
});
window.addEventListener('popstate', render);
document.getElementById('nav-toggle').addEventListener('click', (event) => {
  const open = document.getElementById('nav').classList.toggle('open');
  event.currentTarget.setAttribute('aria-expanded', String(open));
});

// A session that ends while the page stays open (expiry, sign-out elsewhere) is noticed when the
// tab comes back and every 5 minutes, even on pages whose APIs are not there yet.
async function checkSession() { if (state.session) { try { await api.get('/auth/me'); } catch { /* 401 → onExpired */ } } }
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') checkSession(); });
setInterval(checkSession, 300000);

initTheme(() => state.session);
applyBranding();
await loadSession();
if (state.session) await loadPreferences(state.session);
render();
