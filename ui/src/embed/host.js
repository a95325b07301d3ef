// embed.js: the one script another site includes. In the place of its <script> tag it
// puts the comment box, an <iframe> of this server's /embed page, and sizes the frame from
// the frame's messages; it fills every [data-comments-count] element of the page from one
// GET /api/counts; and it keeps the author's Comment-Tokens for the frame in the host
// page's own localStorage (a frame of another site has none of its own: README.md).
// A message is heeded only when it comes from this frame at this server's origin.
// Self-contained (no import, nothing global): it runs as a classic script on any page.
(() => {
  const script = document.currentScript;
  if (!script?.src) return;
  const server = new URL(script.src).origin;
  const data = script.dataset;
  // The host's storage is shared by every script of the host page: one key per server.
  const stored = `comments.mine ${server}`;

  const words = {
    de: ['Kommentar', 'Kommentare'],
    fr: ['commentaire', 'commentaires'],
    en: ['comment', 'comments'],
  };
  // The widget's language (src/i18n.js): data-lang, else the browser's, else English.
  const bases = [data.lang, ...navigator.languages].map((tag) => String(tag ?? '').slice(0, 2).toLowerCase());
  const locale = bases.find((base) => words[base]) ?? 'en';
  const plural = new Intl.PluralRules(locale);
  const count = (n) => `${n.toLocaleString(locale)} ${words[locale][plural.select(n) === 'one' ? 0 : 1]}`;

  // One request for every count on the page (the server counts up to 100 threads at once).
  const counted = [...document.querySelectorAll('[data-comments-count]')];
  const threads = [...new Set(counted.map((element) => element.dataset.commentsCount))].slice(0, 100);
  if (threads.length) {
    const query = threads.map((thread) => `thread=${encodeURIComponent(thread)}`).join('&');
    fetch(`${server}/api/counts?${query}`)
      .then((response) => (response.ok ? response.json() : {}))
      .then((counts) => {
        for (const element of counted) {
          const n = counts[element.dataset.commentsCount];
          if (Number.isInteger(n)) element.textContent = count(n);
        }
      })
      .catch(() => {});
  }

  if ('countsOnly' in data) return;
  const frame = document.createElement('iframe');
  const params = new URLSearchParams({ thread: data.thread || location.pathname, origin: location.origin });
  if (data.theme) params.set('theme', data.theme);
  if (data.lang) params.set('lang', data.lang);
  // The page's accent colour and font, as CSS custom properties it sets around the tag.
  const style = getComputedStyle(script);
  for (const name of ['accent', 'font']) {
    const value = style.getPropertyValue(`--comments-${name}`).trim();
    if (value) params.set(name, value);
  }
  frame.src = `${server}/embed?${params}`;
  frame.title = data.title || 'Comments';
  frame.setAttribute('scrolling', 'no');
  frame.style.cssText = 'display:block;width:100%;height:24rem;border:0;overflow:hidden';
  script.before(frame);

  const send = (message) => frame.contentWindow?.postMessage(message, server);
  const storage = {
    get: () => {
      try {
        return localStorage.getItem(stored);
      } catch {
        return null;
      }
    },
    set: (value) => {
      try {
        if (value === '{}') localStorage.removeItem(stored);
        else localStorage.setItem(stored, value);
      } catch {
        // No storage here either: the tokens last as long as the frame.
      }
    },
  };

  window.addEventListener('message', (event) => {
    if (event.origin !== server || event.source !== frame.contentWindow) return;
    const message = event.data ?? {};
    if (message.type === 'comments:height' && Number.isFinite(message.height)) {
      frame.style.height = `${Math.min(Math.max(Math.ceil(message.height), 0), 100000)}px`;
    } else if (message.type === 'comments:ready') {
      send({ type: 'comments:mine', entries: storage.get() });
    } else if (message.type === 'comments:keep' && typeof message.entries === 'string') {
      storage.set(message.entries);
    }
  });
})();
