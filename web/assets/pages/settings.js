// The user's own settings: theme (stored in the user's preferences) and who they are.
import { h, mount, notice } from '../dom.js';
import { themeMode, applyTheme, savePreferences, themeState } from '../theme.js';

export async function render(main, ctx) {
  const status = h('div', { 'aria-live': 'polite' });
  const choose = h('fieldset', h('legend', 'Theme'), ['system', 'light', 'dark'].map((mode) => h('label.inline',
    h('input', { type: 'radio', name: 'theme', value: mode, checked: themeMode() === mode, onchange: async () => {
      applyTheme(mode);
      const saved = await savePreferences({ theme_mode: mode });
      mount(status, saved ? notice('success', 'Saved to your preferences.') : notice('unavailable', 'Saved in this browser only: the preferences API is not available yet.'));
    } }), mode === 'system' ? 'Follow the system' : mode[0].toUpperCase() + mode.slice(1))));
  const s = ctx.session || {};
  mount(main, h('h1', 'My settings'), h('section.card', choose, status,
    themeState.savedOnServer === false ? notice('unavailable', 'Your theme is kept in this browser: the preferences API is not available yet.') : null),
    h('section.card', h('h2', 'Account'), h('dl', h('dt', 'Email'), h('dd', s.email || '—'), h('dt', 'Roles'), h('dd', (s.roles || []).join(', ') || '—'),
      h('dt', 'Permissions'), h('dd', (s.permissions || []).join(', ') || '—'))));
}
