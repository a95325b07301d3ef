// The list of comments as the server has it: loaded, then polled with
// If-None-Match, paused while the tab is hidden, backed off while the server is
// unreachable, with what the page should say about it.
import { useCallback, useEffect, useRef, useState } from 'react';
import { fetchComments } from './api.js';

export const POLL_INTERVAL = 2_000;
export const MAX_BACKOFF = 30_000;

const LOGIN_NEEDED = 'Reading and posting comments here needs a login. Reload the page to sign in.';

function announcement(fresh) {
  if (fresh.length === 1) return `New comment from ${fresh[0].author}.`;
  return `${fresh.length} new comments.`;
}

// Return {comments, loaded, reconnecting, problem, announce, accept, addOwn, change, say}:
// accept(list, etag, ownId) takes a list the server answered to this page (ownId,
// the comment this page just posted, is not announced as new); addOwn(comment)
// adds the comment this page just posted, when the server answered it alone
// (the next poll brings the others' and the list's ETag); change(update)
// applies a change this page made on the server to the list at once, and asks
// the server for its list now; say(message) puts message in the live region
// (announce: {message, count}, count telling a repeated message from the last).
export function useComments({ pollInterval = POLL_INTERVAL } = {}) {
  const [comments, setComments] = useState([]);
  const [loaded, setLoaded] = useState(false);
  const [reconnecting, setReconnecting] = useState(false);
  const [problem, setProblem] = useState('');
  const [announce, setAnnounce] = useState({ message: '', count: 0 });
  const etag = useRef(null);
  const known = useRef(null);
  const mine = useRef(new Set());
  // pollAfter(delay): drop a poll under way (it may carry the list from before
  // this page's change) and poll after delay milliseconds.
  const pollAfter = useRef(() => {});

  const say = useCallback((message) => setAnnounce(({ count }) => ({ message, count: count + 1 })), []);

  const accept = useCallback((list, tag, ownId) => {
    if (ownId !== undefined && ownId !== null) mine.current.add(ownId);
    etag.current = tag;
    if (known.current !== null) {
      const fresh = list.filter((c) => !known.current.has(c.id) && !mine.current.has(c.id));
      if (fresh.length > 0) say(announcement(fresh));
    }
    known.current = new Set(list.map((c) => c.id));
    setComments(list);
    setLoaded(true);
  }, [say]);

  const change = useCallback((update) => {
    setComments(update);
    pollAfter.current(0);
  }, []);

  const addOwn = useCallback(
    (comment) => {
      mine.current.add(comment.id);
      setComments((list) => (list.some((c) => c.id === comment.id) ? list : [...list, comment]));
      // The next poll, at the usual time, brings the others' comments and the list's ETag.
      pollAfter.current(pollInterval);
    },
    [pollInterval],
  );

  useEffect(() => {
    let timer = null;
    let stopped = false;
    let delay = pollInterval;
    let controller = null;

    async function poll() {
      clearTimeout(timer);
      timer = null;
      if (document.hidden || stopped) return;
      controller?.abort();
      controller = new AbortController();
      try {
        const result = await fetchComments(etag.current, { signal: controller.signal });
        if (!result.notModified) accept(result.comments, result.etag);
        setReconnecting(false);
        setProblem('');
        delay = pollInterval;
      } catch (error) {
        if (error.name === 'AbortError') return;
        if (error.status === 401) {
          // The login prompt was cancelled: asking every two seconds would nag.
          setProblem(LOGIN_NEEDED);
          return;
        }
        if (error.status && error.status < 500) {
          setProblem(error.message);
        } else {
          setReconnecting(true);
        }
        delay = Math.min(delay * 2, MAX_BACKOFF);
      }
      if (!stopped && !document.hidden) timer = setTimeout(poll, delay);
    }

    function onVisibility() {
      if (document.hidden) {
        clearTimeout(timer);
        timer = null;
        controller?.abort();
      } else {
        delay = pollInterval;
        poll();
      }
    }

    pollAfter.current = (after) => {
      if (stopped) return;
      controller?.abort();
      clearTimeout(timer);
      timer = setTimeout(poll, after);
    };
    document.addEventListener('visibilitychange', onVisibility);
    poll();
    return () => {
      stopped = true;
      pollAfter.current = () => {};
      clearTimeout(timer);
      controller?.abort();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [accept, pollInterval]);

  return { comments, loaded, reconnecting, problem, announce, accept, addOwn, change, say };
}
