// A thread's changes as the server pushes them (GET /api/comments/events, Server-Sent
// Events), in place of polling ?since=. Loaded once the first comments show (useComments.js),
// so that the widget's first comment waits for none of it (docs/page.md).
import { COMMENTS_URL, fetchChanges, withThread } from './api.js';

export const EVENTS_URL = `${COMMENTS_URL}/events`;
// A stream not open this long after it was asked for, or open but with no event yet, is
// checked: not open, or a ?since= answer with changes it did not bring (a proxy that holds
// events back), and the page polls instead. A quiet thread sends no event, hence the check.
export const CHECK_AFTER = 5_000;
// EventSource reconnects by itself (retry: 3000); only a stream down this long is said to be
// reconnecting.
export const DOWN_AFTER = 10_000;

// Follow thread's changes from version since. Calls onChanges(answer) for each change (the
// object a ?since= answer holds: {version, comments, removed}); onReset() when the server no
// longer knows the version (load the newest page, then follow again); onFail(worked) when the
// stream cannot be used (poll instead): worked tells a stream that was open and then refused
// (a worker restarting answers 503, which EventSource takes as final) from one that never
// worked; onDown(down) when it has been down DOWN_AFTER, and when it is back. After onReset
// or onFail the stream is closed. Return what closes it.
export function follow({ thread, since, onChanges, onReset, onFail, onDown }) {
  const source = new EventSource(withThread(`${EVENTS_URL}?since=${encodeURIComponent(since)}`, thread));
  const checking = new AbortController();
  let opened = false;
  let heard = false;
  let downTimer = null;
  let down = false;

  function close() {
    source.close();
    checking.abort();
    clearTimeout(checkTimer);
    clearTimeout(downTimer);
  }

  function end(callback, worked) {
    close();
    callback(worked);
  }

  // Whether the stream held back changes that a ?since= request brings.
  async function heldBack() {
    try {
      const answer = await fetchChanges(since, null, { thread, signal: checking.signal });
      return !heard && !answer.notModified && answer.comments.length + answer.removed.length > 0;
    } catch {
      return false; // the stream's own errors say what is wrong with the server
    }
  }

  source.onopen = () => {
    opened = true;
    clearTimeout(downTimer);
    downTimer = null;
    if (down) onDown((down = false));
  };
  source.onerror = () => {
    // Refused (a non-200: EventSource gives up), or never open: poll. Else it reconnects.
    if (!opened || source.readyState === EventSource.CLOSED) return end(onFail, opened);
    downTimer ??= setTimeout(() => onDown((down = true)), DOWN_AFTER);
  };
  source.addEventListener('changes', (event) => {
    heard = true;
    onChanges(JSON.parse(event.data));
  });
  source.addEventListener('version', () => {
    heard = true;
  });
  source.addEventListener('reset', () => end(onReset));
  const checkTimer = setTimeout(async () => {
    const held = opened && !heard && (await heldBack());
    // (Unless the stream was closed meanwhile: a reset, or the page gone.)
    if ((!opened || held) && !checking.signal.aborted) end(onFail, false);
  }, CHECK_AFTER);
  return close;
}
