// Theme (light / dark / system, per user) and client branding (name, logo, colours).
import { api } from './api.js';

const media = window.matchMedia('(prefers-color-scheme: dark)');
export const preferencesPath = '/api/v1/me/preferences';
export const themeState = { savedOnServer: null };

/** The stored mode: light | dark | system. */
export function themeMode() {
  try { return localStorage.getItem('pulse.theme') || 'system'; } catch { return 'system'; }
}

/** Applies `mode` to <html> (and remembers it locally for the next first paint). */
export function applyTheme(mode) {
  if (!['light', 'dark', 'system'].includes(mode)) mode = 'system';
  try { localStorage.setItem('pulse.theme', mode); } catch { /* storage blocked */ }
  const dark = mode === 'dark' || (mode === 'system' && media.matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  document.documentElement.dataset.themeMode = mode;
  const select = document.getElementById('theme-select');
  if (select) select.value = mode;
  applyBrandColours();
}

/** Binds the theme picker; a change is saved to the user's preferences. */
export function initTheme(session) {
  applyTheme(themeMode());
  media.addEventListener('change', () => { if (themeMode() === 'system') applyTheme('system'); });
  document.getElementById('theme-select').addEventListener('change', async (event) => {
    applyTheme(event.target.value);
    if (session()) await savePreferences({ theme_mode: event.target.value });
  });
}

/** Saves preferences to the backend; false (kept in this browser only) when it cannot. */
export async function savePreferences(changes) {
  try {
    await api.patch(preferencesPath, changes);
    themeState.savedOnServer = true;
  } catch {
    themeState.savedOnServer = false;
  }
  return themeState.savedOnServer;
}

/** Reads the user's preferences (theme_mode) after sign-in; the server's value wins. */
export async function loadPreferences(session) {
  if (!session) return null;
  try {
    const prefs = await api.get(preferencesPath);
    const mode = prefs?.theme_mode ?? prefs?.preferences?.theme_mode;
    if (mode && mode !== themeMode()) applyTheme(mode);
    themeState.savedOnServer = true;
    return prefs;
  } catch {
    themeState.savedOnServer = false;
    return null;
  }
}

// MARK: Branding

function cachedBrand() { try { return JSON.parse(localStorage.getItem('pulse.brand') || 'null'); } catch { return null; } }

function applyBrandColours() {
  const brand = cachedBrand();
  const root = document.documentElement;
  for (const name of ['--brand-primary', '--brand-primary-dark', '--brand-link', '--brand-link-dark']) root.style.removeProperty(name);
  const scheme = brand?.[root.dataset.theme];
  if (scheme) for (const [key, value] of Object.entries(scheme)) if (/^--brand-[a-z-]+$/.test(key) && isColour(value)) root.style.setProperty(key, value);
}

function applyBrandIdentity(brand) {
  const name = brand?.name || 'Pulse';
  document.getElementById('brand-name').textContent = name;
  const logo = document.getElementById('brand-logo');
  const url = brand?.logo_url;
  logo.src = url && (url.startsWith('/') || url.startsWith('data:image/')) ? url : '/assets/icon.svg';
  logo.alt = brand?.logo_url ? `${name} logo` : '';
}

/** Colours of a branding answer as CSS variables per theme. */
export function brandVariables(branding) {
  const light = branding?.light || branding?.colors?.light || branding?.color_schemes?.light || {};
  const dark = branding?.dark || branding?.colors?.dark || branding?.color_schemes?.dark || {};
  const pick = (scheme, ...keys) => keys.map((k) => scheme[k]).find(isColour);
  return {
    light: { '--brand-primary': pick(light, 'primary', 'primary_color', 'accent'), '--brand-link': pick(light, 'link', 'primary', 'primary_color') },
    dark: { '--brand-primary-dark': pick(dark, 'primary', 'primary_color', 'accent'), '--brand-link-dark': pick(dark, 'link', 'primary', 'primary_color') },
  };
}

/** Loads the client's branding (public endpoint by slug) and applies it everywhere. */
export async function applyBranding(slug = clientSlug()) {
  applyBrandIdentity(cachedBrand());
  applyBrandColours();
  if (!slug) return;
  try {
    const branding = await api.get(`/api/v1/branding/${encodeURIComponent(slug)}`, { anonymous: true });
    const vars = brandVariables(branding);
    const brand = { name: branding?.name || branding?.display_name || null, logo_url: branding?.logo_url || null, light: vars.light, dark: vars.dark };
    for (const scheme of [brand.light, brand.dark]) for (const k of Object.keys(scheme)) if (!scheme[k]) delete scheme[k];
    try { localStorage.setItem('pulse.brand', JSON.stringify(brand)); } catch { /* ignore */ }
    applyBrandIdentity(brand);
    applyBrandColours();
  } catch {
    // No branding API yet or no branding: Pulse's own look.
  }
}

export function clientSlug() { try { return localStorage.getItem('pulse.client') || ''; } catch { return ''; } }
export function rememberClient(slug) { try { localStorage.setItem('pulse.client', slug); } catch { /* ignore */ } }

// MARK: Colour contrast (WCAG 2.1)

export function isColour(value) { return typeof value === 'string' && /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(value.trim()); }

function channel(c) { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; }

/** Relative luminance of a #rgb / #rrggbb colour. */
export function luminance(hex) {
  let s = hex.trim().slice(1);
  if (s.length === 3) s = [...s].map((c) => c + c).join('');
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(s.slice(i, i + 2), 16));
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

/** WCAG contrast ratio of two colours (1 … 21). */
export function contrast(a, b) {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}
