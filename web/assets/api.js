// Calls the Pulse APIs through the gateway: session cookie + CSRF token, problem+json errors,
// "not available yet" for endpoints that do not exist (404 no route, 501, 502/503/504, network).

let csrfToken = null;
const listeners = { expired: [] };

/** Remembers the session's CSRF token (from /auth/login or /auth/me). */
export function setCsrf(token) { csrfToken = token || null; }
/** Registers a callback for a 401 on an authenticated call (session expired). */
export function onExpired(fn) { listeners.expired.push(fn); }

/** An API failure: status, problem+json fields, and whether the feature is simply not there yet. */
export class ApiError extends Error {
  constructor(status, problem, path) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.path = path;
    const detail = String(this.problem.detail || '');
    // 404 from the router ("no route for ...") or the gateway; 501; upstream down or timed out.
    this.unavailable = status === 0 || status === 501 || status === 502 || status === 503 || status === 504
      || (status === 404 && (/no route/i.test(detail) || !problem));
    this.retryAfter = null;
  }
  /** The field a problem names (`field`, `parameter`, `errors[0].field`, or "the X ..." in the detail). */
  get field() {
    const p = this.problem;
    return p.field || p.parameter || p.pointer?.replace(/^\/+/, '') || (Array.isArray(p.errors) && (p.errors[0]?.field || p.errors[0]?.name))
      || /field '([^']+)'/.exec(String(p.detail || ''))?.[1] || /^([a-z_]+): /.exec(String(p.detail || ''))?.[1] || null;
  }
}

async function request(method, path, body, options = {}) {
  const headers = { Accept: 'application/json' };
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body instanceof Blob) { payload = body; if (body.type) headers['Content-Type'] = body.type; }
  else if (body !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  Object.assign(headers, options.headers || {});
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', signal: options.signal });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, { detail: 'the server cannot be reached (offline?)' }, path);
  }
  const type = response.headers.get('Content-Type') || '';
  let data = null;
  if (response.status !== 204 && response.status !== 304) {
    const text = await response.text();
    if (text && (type.includes('json'))) { try { data = JSON.parse(text); } catch { data = null; } }
    else data = text || null;
  }
  if (!response.ok) {
    const problem = data && typeof data === 'object' ? data : null;
    const error = new ApiError(response.status, problem, path);
    if (response.status === 429) error.retryAfter = Number(response.headers.get('Retry-After')) || null;
    if (response.status === 401 && !options.anonymous) for (const fn of listeners.expired) fn(error);
    throw error;
  }
  return data;
}

export const api = {
  get: (path, options) => request('GET', path, undefined, options),
  post: (path, body, options) => request('POST', path, body, options),
  put: (path, body, options) => request('PUT', path, body, options),
  patch: (path, body, options) => request('PATCH', path, body, options),
  delete: (path, options) => request('DELETE', path, undefined, options),
};

const lower = (what) => what.replace(/^(The|This) /, (m) => m.toLowerCase());

/** A human sentence for an error, for pages: never raw JSON. */
export function describe(error, what = 'This data') {
  if (!(error instanceof ApiError)) return `${what} could not be loaded (${error?.message || 'unexpected error'}).`;
  if (error.status === 0) return 'The server cannot be reached right now. Check your connection; the page retries when it is back.';
  if (error.unavailable) return `Not available yet: ${lower(what)} cannot be shown because the service that provides it does not offer this yet (HTTP ${error.status || 'no answer'}).`;
  if (error.status === 403) return `You do not have permission to see ${lower(what)}.`;
  if (error.status === 429) return `Too many requests; try again${error.retryAfter ? ` in ${error.retryAfter} s` : ' shortly'}.`;
  if (error.status === 404) return `${what} was not found.`;
  return `${what} could not be loaded: ${error.message}`;
}
