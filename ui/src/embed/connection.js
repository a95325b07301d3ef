// The framed widget's side of the conversation with embed.js on the host page: its
// height, and the author's Comment-Tokens, which the host keeps in its own storage (a frame
// of another site has none of its own). Messages go only to the host's origin and are
// heeded only from the parent window at that origin: any other page's are ignored.
import { keepWith, mergeMine } from '../myComments.js';

// The frame's address says what to show: ?thread=&theme=&lang=&origin= (embed.js writes it).
export function frameOptions(search = window.location.search) {
  const params = new URLSearchParams(search);
  const theme = params.get('theme');
  return {
    thread: params.get('thread') || '/',
    theme: theme === 'light' || theme === 'dark' ? theme : 'auto',
    lang: params.get('lang') || null,
    origin: plainOrigin(params.get('origin')),
    accent: params.get('accent'),
    font: params.get('font'),
  };
}

// Take the embedding page's accent colour and font (its --comments-accent and
// --comments-font), each only when it is a value of its kind.
export function applyLook({ theme, accent, font }, root = document.documentElement) {
  if (theme !== 'auto') root.dataset.theme = theme;
  if (accent && CSS.supports('color', accent)) root.style.setProperty('--accent', accent);
  if (font && CSS.supports('font-family', font)) root.style.setProperty('--font', font);
}

// An origin as the browser writes event.origin (scheme://host[:port]), or null.
export function plainOrigin(value) {
  try {
    const url = new URL(value);
    return url.origin === value && /^https?:$/.test(url.protocol) ? value : null;
  } catch {
    return null;
  }
}

// Return whether event is a message from host (the parent window) at origin.
export function fromHost(event, host, origin) {
  return origin !== null && event.source === host && event.origin === origin;
}

// Talk to the host page at origin: report the height of element as it changes, and keep
// the author's tokens through it. Return a function that stops.
export function connect(element, origin, host = window.parent) {
  if (origin === null || host === window) return () => {};
  const send = (message) => host.postMessage(message, origin);
  keepWith(null, (entries) => send({ type: 'comments:keep', entries: JSON.stringify(entries) }));
  const onMessage = (event) => {
    if (!fromHost(event, host, origin) || event.data?.type !== 'comments:mine') return;
    if (typeof event.data.entries === 'string') mergeMine(event.data.entries);
  };
  window.addEventListener('message', onMessage);
  let last = -1;
  const observer = new ResizeObserver(() => {
    const height = Math.ceil(element.getBoundingClientRect().height);
    if (height !== last) send({ type: 'comments:height', height });
    last = height;
  });
  observer.observe(element);
  send({ type: 'comments:ready' });
  return () => {
    observer.disconnect();
    window.removeEventListener('message', onMessage);
  };
}
