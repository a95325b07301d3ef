// The list of comments as the server has it: the newest page loaded, older pages
// on demand (the Link header's next), then the changes since the version held: pushed by
// the server's event stream (stream.js, loaded after the first page; docs/page.md), else
// polled (?since=, with If-None-Match), paused while the tab is hidden, backed off while
// the server is unreachable, with what the page should say about it.
import { useCallback, useEffect, useRef, useState } from 'react';
import { fetchChanges, fetchPage, pageUrl } from './api.js';
import { applyChanges, FIRST_PAGE, MAX_PAGE, prependPage } from './feed.js';
import { t } from './i18n.js';
import { conversationCount, isPlaceholder, parentOf } from './tree.js';

export const POLL_INTERVAL = 2_000;
export const MAX_BACKOFF = 30_000;
// Event streams that never work before the page polls for good.
export const STREAM_TRIES = 3;

const LOGIN_NEEDED = 'Reading and posting comments here needs a login. Reload the page to sign in.';

function announcement(fresh) {
  const name = fresh[0].author;
  if (fresh.length > 1) return t('{count} new comments.', { count: fresh.length });
  return parentOf(fresh[0]) === null ? t('New comment from {name}.', { name }) : t('New reply from {name}.', { name });
}

// What is new to announce: comments and replies others wrote, not a removed one's place.
const othersNew = (fresh, mine) => fresh.filter((c) => !mine.has(c.id) && !isPlaceholder(c));

// Return {comments, loaded, reconnecting, problem, announce, older, loadingOlder, showOlder,
// accept, addOwn, change, say}: older tells whether older comments exist, showOlder()
// loads the next older page;
// accept(list, etag, ownId) takes a list the server answered to this page (ownId,
// the comment this page just posted, is not announced as new); addOwn(comment)
// adds the comment this page just posted, when the server answered it alone
// (the next poll or event brings the others' and the list's version); change(update)
// applies a change this page made on the server to the list at once, and asks
// the server for its list now (unless the event stream will bring it); say(message) puts message in the live region
// (announce: {message, count}, count telling a repeated message from the last).
// thread: the thread shown (null: the default thread), named in every request.
export function useComments({ pollInterval = POLL_INTERVAL, thread = null } = {}) {
  const [comments, setCommentsState] = useState([]);
  const [loaded, setLoaded] = useState(false);
  const [reconnecting, setReconnecting] = useState(false);
  const [problem, setProblem] = useState('');
  const [announce, setAnnounce] = useState({ message: '', count: 0 });
  // The next older page's URL, or null when every page is shown.
  const [older, setOlderState] = useState(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  // The list's version held (Comments-Version; null: load the newest page), and the
  // last changes answer's ETag, for If-None-Match.
  const version = useRef(null);
  const changesEtag = useRef(null);
  const shown = useRef([]);
  const olderUrl = useRef(null);
  const mine = useRef(new Set());
  // pollAfter(delay): drop a poll under way (it may carry the list from before
  // this page's change) and poll after delay milliseconds.
  const pollAfter = useRef(() => {});

  const say = useCallback((message) => setAnnounce(({ count }) => ({ message, count: count + 1 })), []);

  const setComments = useCallback((update) => {
    shown.current = typeof update === 'function' ? update(shown.current) : update;
    setCommentsState(shown.current);
  }, []);

  const setOlder = useCallback((url) => {
    olderUrl.current = url;
    setOlderState(url);
  }, []);

  // Take a page of the newest comments: the first load, or a reload after a 410.
  const acceptPage = useCallback(
    (page) => {
      version.current = page.version;
      changesEtag.current = null;
      setOlder(page.next);
      setComments(page.comments);
      setLoaded(true);
    },
    [setComments, setOlder],
  );

  // Take what changed since the version held, announcing comments that others wrote.
  const acceptChanges = useCallback(
    (answer) => {
      version.current = answer.version;
      changesEtag.current = answer.etag;
      const { list, fresh } = applyChanges(shown.current, answer, { complete: olderUrl.current === null });
      const others = othersNew(fresh, mine.current);
      if (others.length > 0) say(announcement(others));
      setComments(list);
    },
    [say, setComments],
  );

  // Take the whole list, as a server that answers a POST with it does (the tutorial's).
  const accept = useCallback(
    (list, tag, ownId) => {
      if (ownId !== undefined && ownId !== null) mine.current.add(ownId);
      const known = new Set(shown.current.map((c) => c.id));
      const fresh = othersNew(list.filter((c) => !known.has(c.id)), mine.current);
      if (loaded && fresh.length > 0) say(announcement(fresh));
      setOlder(null);
      setComments(list);
      setLoaded(true);
    },
    [loaded, say, setComments, setOlder],
  );

  const change = useCallback(
    (update) => {
      setComments(update);
      pollAfter.current(0);
    },
    [setComments],
  );

  const showOlder = useCallback(async () => {
    if (!olderUrl.current) return;
    setLoadingOlder(true);
    try {
      const page = await fetchPage(olderUrl.current, { thread });
      setComments((list) => prependPage(list, page.comments));
      setOlder(page.next);
      setProblem('');
    } catch (error) {
      setProblem(error.status ? error.message : 'Older comments could not be loaded. Try again.');
    } finally {
      setLoadingOlder(false);
    }
  }, [setComments, setOlder, thread]);

  const addOwn = useCallback(
    (comment) => {
      mine.current.add(comment.id);
      setComments((list) => (list.some((c) => c.id === comment.id) ? list : [...list, comment]));
      // The next poll, at the usual time, brings the others' comments and the list's version.
      pollAfter.current(pollInterval);
    },
    [pollInterval, setComments],
  );

  useEffect(() => {
    let timer = null;
    let stopped = false;
    let delay = pollInterval;
    let controller = null;
    // Closes the event stream the page follows; while there is one, nothing polls.
    let stream = null;
    // The stream cannot be used (no EventSource; refused, unreachable or held back
    // STREAM_TRIES times in a row): poll.
    let polling = !window.EventSource;
    let failures = 0;

    function follow() {
      stream = () => {};
      import('./stream.js').then((module) => {
        if (stopped || !stream) return;
        stream = module.follow({
          thread,
          since: version.current,
          onChanges: (answer) => acceptChanges({ ...answer, etag: null }),
          onReset: () => {
            // The server no longer knows the version held: the newest page, then a new stream.
            stream = null;
            version.current = null;
            poll();
          },
          onFail: (worked) => {
            // Poll now, and follow again at the next poll unless STREAM_TRIES streams in a
            // row never worked.
            stream = null;
            failures = worked ? 0 : failures + 1;
            polling = true;
            if (failures < STREAM_TRIES) setTimeout(() => (polling = false), pollInterval / 2);
            poll();
          },
          onDown: setReconnecting,
        });
      });
    }

    async function poll() {
      clearTimeout(timer);
      timer = null;
      if (document.hidden || stopped) return;
      controller?.abort();
      controller = new AbortController();
      const { signal } = controller;
      try {
        if (version.current === null) {
          // The newest conversations, as many as are shown (the first load: FIRST_PAGE).
          const limit = Math.min(MAX_PAGE, Math.max(FIRST_PAGE, conversationCount(shown.current)));
          acceptPage(await fetchPage(pageUrl(limit, thread), { signal }));
        } else {
          const result = await fetchChanges(version.current, changesEtag.current, { signal, thread });
          if (!result.notModified) acceptChanges(result);
        }
        setReconnecting(false);
        setProblem('');
        delay = pollInterval;
        if (!polling) return follow();
      } catch (error) {
        if (error.name === 'AbortError') return;
        if (error.status === 400 && error.fields?.thread) {
          // The page's address names no thread the server takes: asking again cannot help.
          setProblem(t("This page's address names no thread: {thread}", { thread: error.fields.thread }));
          return;
        }
        if (error.status === 410 || (error.status === 400 && version.current !== null)) {
          // The server no longer remembers the version held (410), or does not know it
          // (400: another server answers now): load the newest comments again, at once.
          version.current = null;
          if (!stopped && !document.hidden) timer = setTimeout(poll, 0);
          return;
        }
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
      if (stream) return;
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
      if (stopped || stream) return;
      controller?.abort();
      clearTimeout(timer);
      timer = setTimeout(poll, after);
    };
    document.addEventListener('visibilitychange', onVisibility);
    poll();
    return () => {
      stopped = true;
      pollAfter.current = () => {};
      stream?.();
      clearTimeout(timer);
      controller?.abort();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [acceptPage, acceptChanges, pollInterval, thread]);

  return {
    comments,
    loaded,
    reconnecting,
    problem,
    announce,
    older: older !== null,
    loadingOlder,
    showOlder,
    accept,
    addOwn,
    change,
    say,
  };
}
