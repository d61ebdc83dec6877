// Live updates over WebSocket (/ws/jobs): reconnects with exponential backoff, shows when offline,
// and re-broadcasts job events on `window` ('pulse:job', and 'pulse:sync-finished' when a sync ends).

const finished = new Set(['succeeded', 'failed', 'cancelled']);

class Live {
  constructor(path) { this.path = path; this.running = false; this.socket = null; this.attempt = 0; this.timer = null; }

  start() {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  stop() {
    this.running = false;
    clearTimeout(this.timer);
    if (this.socket) { this.socket.onclose = null; this.socket.close(); this.socket = null; }
    this.status('', false);
  }

  async connect() {
    if (!this.running) return;
    // A plain GET first: a service without the endpoint answers 404, and the browser is spared a
    // failed handshake (the page says live updates are not available and asks again later).
    try {
      const probe = await fetch(this.path, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (probe.status === 404 || probe.status === 501 || probe.status >= 502) {
        this.unavailable = true;
        return this.retry(probe.status === 404 || probe.status === 501 ? 'Live updates not available yet' : null);
      }
    } catch { return this.retry(); }
    if (!this.running) return;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${this.path}`;
    let socket;
    try { socket = new WebSocket(url); } catch { return this.retry(); }
    this.socket = socket;
    socket.onopen = () => { this.attempt = 0; this.status('Live', false); };
    socket.onmessage = (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch { return; }
      window.dispatchEvent(new CustomEvent('pulse:job', { detail: message }));
      if (message.type === 'snapshot') return;
      const job = message.job || message;
      if (finished.has(job.status) && job.status === 'succeeded') {
        window.dispatchEvent(new CustomEvent('pulse:sync-finished', { detail: job }));
      }
    };
    socket.onerror = () => { /* onclose follows */ };
    socket.onclose = () => { this.socket = null; this.retry(); };
  }

  retry(reason = null) {
    if (!this.running) return;
    const delay = (reason ? 60 : Math.min(30, 2 ** this.attempt)) * 1000 * (0.8 + Math.random() * 0.4);
    this.attempt += 1;
    if (reason) this.status(reason, false, true);
    else this.status(`Offline: reconnecting in ${Math.round(delay / 1000)} s`, true);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  status(text, offline, unavailable = false) {
    const el = document.getElementById('live-status');
    if (!el) return;
    el.textContent = text;
    el.classList.toggle('offline', offline);
    window.dispatchEvent(new CustomEvent('pulse:live', { detail: { online: !offline && !unavailable && text !== '' } }));
  }
}

export const live = new Live('/ws/jobs');

/** A separate WebSocket with the same backoff, for pages (log tail). */
export function openStream(path, onMessage, onStatus) {
  const stream = new Live(path);
  stream.connect = async function connect() {
    if (!this.running) return;
    try {
      const probe = await fetch(this.path, { credentials: 'same-origin' });
      if (probe.status === 404 || probe.status === 501 || probe.status >= 502) {
        onStatus(false, 'Live tail not available yet: the log service does not offer it.');
        this.timer = setTimeout(() => this.connect(), 60000);
        return;
      }
    } catch { /* try the socket anyway */ }
    if (!this.running) return;
    const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${this.path}`);
    this.socket = socket;
    socket.onopen = () => { this.attempt = 0; onStatus(true, 'Live tail connected'); };
    socket.onmessage = (event) => onMessage(event.data);
    socket.onclose = () => {
      this.socket = null;
      if (!this.running) return;
      const delay = Math.min(30, 2 ** this.attempt) * 1000;
      this.attempt += 1;
      onStatus(false, `Live tail offline: reconnecting in ${delay / 1000} s`);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  };
  stream.status = () => {};
  stream.start();
  return stream;
}
