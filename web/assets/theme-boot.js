// Applies the saved theme before first paint (no flash). External so the CSP needs no inline script.
(function () {
  var mode = 'system';
  try { mode = localStorage.getItem('pulse.theme') || 'system'; } catch (e) { /* storage blocked */ }
  var dark = mode === 'dark' || (mode === 'system' && window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches);
  var root = document.documentElement;
  root.setAttribute('data-theme', dark ? 'dark' : 'light');
  root.setAttribute('data-theme-mode', mode);
  try {
    var brand = JSON.parse(localStorage.getItem('pulse.brand') || 'null');
    var scheme = brand && brand[dark ? 'dark' : 'light'];
    if (scheme) for (var k in scheme) if (/^--brand-[a-z-]+$/.test(k)) root.style.setProperty(k, scheme[k]);
  } catch (e) { /* no cached branding */ }
  if (/[?&]wall=1/.test(location.search)) root.setAttribute('data-wall', '1');
})();
