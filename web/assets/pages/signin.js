// Sign-in: client, email, password; "Sign in with SSO" when the client has an OIDC provider.
import { api, setCsrf, ApiError } from '../api.js';
import { h, mount, notice, query } from '../dom.js';
import { rememberClient, clientSlug, applyBranding } from '../theme.js';
import { signedIn } from '../app.js';
import { fieldError, clearErrors, showProblem } from '../forms.js';

const reasons = {
  expired: 'Your session has expired. Sign in again to continue where you were.',
  'signed-out': 'You are signed out.',
};

export async function render(main) {
  const params = query();
  const next = params.next || '/';
  const status = h('div', { 'aria-live': 'polite' });
  const sso = h('div.sso');
  const client = h('input#client', { name: 'client', autocomplete: 'organization', required: true, value: clientSlug(), spellcheck: 'false', autocapitalize: 'off' });
  const email = h('input#email', { name: 'email', type: 'email', autocomplete: 'email', required: true });
  const password = h('input#password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button.primary', { type: 'submit' }, 'Sign in');
  const form = h('form#signin-form', { novalidate: true },
    h('div.field', h('label', { for: 'client' }, 'Client'), client, h('p.hint', 'Your organisation’s short name, e.g. “demo”.')),
    h('div.field', h('label', { for: 'email' }, 'Email'), email),
    h('div.field', h('label', { for: 'password' }, 'Password'), password),
    submit);
  mount(main, h('section.signin.card', h('h1', 'Sign in to Pulse'),
    reasons[params.reason] ? notice(params.reason === 'expired' ? 'unavailable' : 'info', reasons[params.reason]) : null,
    params.reason === 'sso-failed' ? notice('error', `Single sign-on did not complete: ${params.detail || 'the provider did not sign you in'}. Try again or sign in with your password.`) : null,
    status, form, sso));

  async function checkSSO() {
    const slug = client.value.trim();
    mount(sso);
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/i.test(slug)) return;
    // The auth service answers 302 for a client with an OIDC provider, 404 without.
    try {
      const response = await fetch(`/auth/oidc/${encodeURIComponent(slug)}/login`, { method: 'GET', redirect: 'manual', credentials: 'same-origin' });
      if (response.type === 'opaqueredirect' || response.status === 302) {
        mount(sso, h('p.hint', 'or'), h('a.button', { href: `/auth/oidc/${encodeURIComponent(slug)}/login`, id: 'sso-link' }, 'Sign in with SSO'));
      }
    } catch { /* no SSO */ }
  }
  client.addEventListener('change', () => { checkSSO(); applyBranding(client.value.trim()); });
  if (client.value) checkSSO();
  (client.value ? email : client).focus();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    mount(status);
    let ok = true;
    if (!client.value.trim()) { fieldError(client, 'Enter your client’s short name.'); ok = false; }
    if (!/^[^@\s]+@[^@\s]+$/.test(email.value.trim())) { fieldError(email, 'Enter the email address you sign in with.'); ok = false; }
    if (!password.value) { fieldError(password, 'Enter your password.'); ok = false; }
    if (!ok) return;
    submit.disabled = true;
    try {
      const answer = await api.post('/auth/login', { client: client.value.trim(), email: email.value.trim(), password: password.value }, { anonymous: true });
      setCsrf(answer?.csrf_token);
      rememberClient(client.value.trim());
      await signedIn(next);
    } catch (error) {
      submit.disabled = false;
      if (error instanceof ApiError && (error.status === 401 || error.status === 400 && !error.field)) {
        mount(status, notice('error', 'The client, email or password is not right. Check them and try again.'));
      } else if (error instanceof ApiError && error.status === 429) {
        mount(status, notice('error', `Too many sign-in attempts. Try again ${error.retryAfter ? `in ${error.retryAfter} s` : 'later'}.`));
      } else {
        showProblem(form, error, status, 'Signing in');
      }
    }
  });
}
