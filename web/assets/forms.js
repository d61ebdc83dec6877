// Form helpers: validation messages next to fields, and problem+json details shown where they belong.
import { h, mount, notice } from './dom.js';
import { describe, ApiError } from './api.js';

/** Shows `message` under `input` and marks it invalid. */
export function fieldError(input, message) {
  const id = `${input.id || input.name}-error`;
  let el = document.getElementById(id);
  if (!el) { el = h('p.field-error', { id }); input.insertAdjacentElement('afterend', el); }
  el.textContent = message;
  input.setAttribute('aria-invalid', 'true');
  input.setAttribute('aria-describedby', id);
}

export function clearErrors(form) {
  for (const el of form.querySelectorAll('.field-error')) el.remove();
  for (const el of form.querySelectorAll('[aria-invalid]')) { el.removeAttribute('aria-invalid'); el.removeAttribute('aria-describedby'); }
}

/** A server problem: next to the field it names when that field is in `form`, else in `status`. */
export function showProblem(form, error, status, what = 'This action') {
  const field = error instanceof ApiError ? error.field : null;
  const input = field && (form.querySelector(`[name="${CSS.escape(field)}"]`) || form.querySelector(`[name="${CSS.escape(field.split('.').pop())}"]`));
  if (input && error.problem?.detail) { fieldError(input, error.problem.detail); input.focus(); return; }
  const text = error instanceof ApiError && !error.unavailable && error.problem?.detail ? `${what} failed: ${error.problem.detail}` : describe(error, what);
  mount(status, notice(error?.unavailable ? 'unavailable' : 'error', text));
}

/** Reads a form's named controls into an object (checkboxes as booleans, numbers as numbers). */
export function formValues(form) {
  const values = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === 'checkbox') values[el.name] = el.checked;
    else if (el.type === 'number') values[el.name] = el.value === '' ? null : Number(el.value);
    else values[el.name] = el.value.trim();
  }
  return values;
}

/** A labelled input inside a .field. */
export function field(label, attrs, hint) {
  const id = attrs.id || `f-${attrs.name}`;
  const control = attrs.tag === 'select'
    ? h('select', { ...attrs, tag: null, options: null, id }, (attrs.options || []).map(([v, t]) => h('option', { value: v, selected: String(v) === String(attrs.value ?? '') }, t)))
    : attrs.tag === 'textarea' ? h('textarea', { ...attrs, tag: null, id }, attrs.value ?? '') : h('input', { ...attrs, id });
  return h('div.field', h('label', { for: id }, label), control, hint ? h('p.hint', hint) : null);
}
