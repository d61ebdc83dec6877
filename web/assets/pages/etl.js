// ETL admin: jobs with live progress (rate, ETA, rate-limit waits over /ws/jobs), start / pause /
// resume / cancel, schedules, and each integration's status and last sync.
import { api, describe } from '../api.js';
import { h, mount, notice, fmt } from '../dom.js';
import { dataTable } from '../table.js';
import { field, showProblem, formValues, clearErrors, fieldError } from '../forms.js';
import { holds } from '../app.js';

const active = new Set(['queued', 'running', 'paused']);

function progressOf(job) {
  const p = job.progress || {};
  // pulse-etl's progress object: items_done / pages_done over the job, phase_items_done of
  // phase_total_items for the current phase, rate_items_per_second, eta_seconds, rate-limit waits.
  const total = p.phase_total_items ?? p.items_total ?? null;
  const done = total !== null ? (p.phase_items_done ?? p.items_done ?? 0) : (p.items_done ?? null);
  return { phase: p.phase || job.phase || '', done, total, pages: p.pages_done ?? null, rate: p.rate_items_per_second ?? p.rate ?? null,
    eta: p.eta_seconds ?? null, wait: p.rate_limit_waits ? p.rate_limit_wait_seconds ?? 0 : null, waits: p.rate_limit_waits || 0,
    lastLimit: p.last_rate_limit || null, errors: p.errors || [] };
}

function jobCard(job, reload, canWrite) {
  const p = progressOf(job);
  const status = h('span.hint', { 'aria-live': 'polite' });
  const act = (verb) => h('button', { type: 'button', onclick: async () => {
    try { await api.post(`/etl/jobs/${job.id}/${verb}`, {}); await reload(); } catch (error) { status.textContent = describe(error, `${verb[0].toUpperCase()}${verb.slice(1)}`); }
  } }, verb[0].toUpperCase() + verb.slice(1));
  const bar = p.total ? h('progress', { max: p.total, value: p.done ?? 0, 'aria-label': `Job ${job.id} progress` }) : h('progress', { 'aria-label': `Job ${job.id} progress` });
  return h('li.card', { dataset: { job: job.id, status: job.status, done: p.done ?? '' } },
    h('div.job-line', h('strong', `Job ${job.id} · ${job.provider || job.integration_name || `integration ${job.integration_id ?? ''}`} · ${job.mode || ''}`), h('span.badge', job.status)),
    active.has(job.status) ? bar : null,
    h('p.hint', [p.phase && `Phase: ${p.phase}`, p.done !== null && `${fmt.number(p.done)}${p.total ? ` of ${fmt.number(p.total)}` : ''} items`,
      p.pages !== null && `${fmt.number(p.pages)} pages`, p.rate !== null && `${fmt.number(p.rate, 1)} items/s`, p.eta !== null && `ETA ${fmt.duration(p.eta)}`,
      p.waits && `${p.waits} rate-limit wait${p.waits === 1 ? '' : 's'} (${fmt.duration(p.wait)} in all${p.lastLimit ? `; last: ${p.lastLimit}` : ''})`,
      p.errors.length && `Latest error: ${p.errors[p.errors.length - 1]}`,
      job.error && `Error: ${typeof job.error === 'string' ? job.error : job.error.detail || JSON.stringify(job.error)}`].filter(Boolean).join(' · ') || 'No progress reported yet.'),
    canWrite && h('div.toolbar', job.status === 'running' || job.status === 'queued' ? act('pause') : null, job.status === 'paused' ? act('resume') : null,
      active.has(job.status) ? act('cancel') : null, status));
}

export async function render(main) {
  const jobsBox = h('ul.jobs', { id: 'jobs-list' }), history = h('div'), schedules = h('div'), integrations = h('div'), startStatus = h('div', { 'aria-live': 'polite' });
  const jobs = new Map();
  const start = h('form#start-job.inline-form', { novalidate: true },
    field('Integration id', { name: 'integration_id', type: 'number', min: 1, required: true, list: 'integration-ids' }),
    field('Mode', { name: 'mode', tag: 'select', options: [['incremental', 'Incremental'], ['full', 'Full']], value: 'incremental' }),
    h('datalist#integration-ids'), h('button.primary', { type: 'submit' }, 'Start sync'));
  start.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(start);
    mount(startStatus);
    const v = formValues(start);
    if (!(v.integration_id >= 1)) { fieldError(start.integration_id, 'Choose an integration.'); return; }
    try { const job = await api.post('/etl/jobs', v); mount(startStatus, notice('success', `Job ${job.id} ${job.status}.`)); await loadJobs(); } catch (error) { showProblem(start, error, startStatus, 'Starting the sync'); }
  });
  // Reading jobs needs etl:read; starting, pausing and cancelling them needs etl:write.
  const canWrite = holds(['etl:write']);
  mount(main, h('h1', 'ETL jobs'), canWrite ? h('section.card', h('h2', 'Start a sync'), start, startStatus)
    : notice('info', 'You can follow the jobs here; starting, pausing or cancelling one needs the etl:write permission.'),
    h('section', h('h2', 'Running and queued jobs'), jobsBox), h('section', h('h2', 'Job history'), history),
    h('div.grid-2', h('section', h('h2', 'Integrations'), integrations), h('section', h('h2', 'Schedules'), schedules)));

  function drawJobs() {
    const list = [...jobs.values()].sort((a, b) => b.id - a.id);
    const running = list.filter((j) => active.has(j.status));
    mount(jobsBox, running.length ? running.map((j) => jobCard(j, loadJobs, canWrite)) : h('li', 'No job is running.'));
    mount(history, dataTable({ caption: 'Recent jobs', rows: list.filter((j) => !active.has(j.status)).slice(0, 200), columns: [
      { key: 'id', label: 'Job', num: true }, { key: 'integration_id', label: 'Integration', num: true }, { key: 'mode', label: 'Mode' }, { key: 'status', label: 'Status' },
      { key: 'started_at', label: 'Started', format: fmt.dateTime }, { key: 'finished_at', label: 'Finished', format: fmt.dateTime },
      { key: 'error', label: 'Error', format: (v) => (v ? (typeof v === 'string' ? v : v.detail || 'failed') : '—') }] }));
  }
  async function loadJobs() {
    try {
      const answer = await api.get('/etl/jobs');
      jobs.clear();
      for (const j of answer?.jobs || answer?.items || []) jobs.set(j.id, j);
      drawJobs();
    } catch (error) { mount(jobsBox, h('li', unavailable(error, 'The job list'))); mount(history, h('p.hint', 'The job history needs the job list.')); }
  }
  function unavailable(error, what) { return notice(error.unavailable ? 'unavailable' : 'error', describe(error, what)); }
  const onJob = (event) => {
    const m = event.detail || {};
    // /ws/jobs sends {"type": "snapshot", "jobs": [...]} first, then {"type": "job", ...one job}.
    for (const j of m.type === 'snapshot' ? m.jobs || [] : [m.job || m]) {
      if (j.id === undefined) continue;
      jobs.set(j.id, { ...(jobs.get(j.id) || {}), ...j, progress: { ...(jobs.get(j.id)?.progress || {}), ...(j.progress || {}) } });
    }
    drawJobs();
  };
  window.addEventListener('pulse:job', onJob);
  await Promise.all([loadJobs(),
    api.get('/api/v1/integrations').then((answer) => {
      const rows = answer?.integrations || answer?.items || [];
      for (const r of rows) start.querySelector('#integration-ids').append(h('option', { value: r.id }, r.name));
      mount(integrations, dataTable({ caption: 'Integration status', rows, columns: [{ key: 'id', label: 'Id', num: true }, { key: 'name', label: 'Name' }, { key: 'provider', label: 'Provider' },
        { key: 'status', label: 'Status' }, { key: 'last_sync_at', label: 'Last sync', format: fmt.dateTime }] }));
    }).catch((error) => mount(integrations, unavailable(error, 'Integration status'))),
    api.get('/etl/schedules').then((answer) => {
      mount(schedules, dataTable({ caption: 'Schedules', rows: answer?.schedules || answer?.items || [], columns: [{ key: 'integration_id', label: 'Integration', num: true },
        { key: 'cron', label: 'Cron' }, { key: 'mode', label: 'Mode' }, { key: 'enabled', label: 'Enabled', format: (v) => (v === false ? 'no' : 'yes') }, { key: 'next_run_at', label: 'Next run', format: fmt.dateTime }] }));
    }).catch((error) => mount(schedules, unavailable(error, 'Schedules')))]);
  return () => window.removeEventListener('pulse:job', onJob);
}
