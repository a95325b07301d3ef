import { useCallback, useEffect, useRef, useState } from 'react';
import { fetchComments, postComment } from './api.js';
import CommentForm from './CommentForm.jsx';
import CommentList from './CommentList.jsx';

export const POLL_INTERVAL = 2_000;
export const MAX_BACKOFF = 30_000;

const LOGIN_NEEDED = 'Reading and posting comments here needs a login. Reload the page to sign in.';

function announcement(fresh) {
  if (fresh.length === 1) return `New comment from ${fresh[0].author}.`;
  return `${fresh.length} new comments.`;
}

export default function CommentBox({ pollInterval = POLL_INTERVAL }) {
  const [comments, setComments] = useState([]);
  const [pending, setPending] = useState([]);
  const [loaded, setLoaded] = useState(false);
  const [reconnecting, setReconnecting] = useState(false);
  const [problem, setProblem] = useState('');
  const [announce, setAnnounce] = useState('');
  const etag = useRef(null);
  const known = useRef(null);
  const mine = useRef(new Set());

  // Take a list from the server, announcing comments that others wrote.
  const accept = useCallback((list, tag) => {
    etag.current = tag;
    if (known.current !== null) {
      const fresh = list.filter((c) => !known.current.has(c.id) && !mine.current.has(c.id));
      if (fresh.length > 0) setAnnounce(announcement(fresh));
    }
    known.current = new Set(list.map((c) => c.id));
    setComments(list);
    setLoaded(true);
  }, []);

  useEffect(() => {
    let timer = null;
    let stopped = false;
    let delay = pollInterval;
    let controller = null;

    async function poll() {
      clearTimeout(timer);
      timer = null;
      if (document.hidden || stopped) return;
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

    document.addEventListener('visibilitychange', onVisibility);
    poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
      controller?.abort();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [accept, pollInterval]);

  const add = useCallback(
    async (author, text, extras) => {
      const temporary = { id: `pending-${crypto.randomUUID()}`, author, text, pending: true };
      setPending((list) => [...list, temporary]);
      try {
        const result = await postComment(author, text, extras);
        if (result.comment) {
          // Only our comment came back: add it; the next poll brings the rest and its ETag.
          const { comment } = result;
          mine.current.add(comment.id);
          setComments((list) => (list.some((c) => c.id === comment.id) ? list : [...list, comment]));
          return;
        }
        const stored = result.comments.filter((c) => c.author === author && c.text === text).at(-1);
        if (stored) mine.current.add(stored.id);
        accept(result.comments, result.etag);
      } catch (error) {
        if (error.status === 401) throw new Error('Posting needs a login. Reload the page to sign in.');
        throw error;
      } finally {
        setPending((list) => list.filter((c) => c !== temporary));
      }
    },
    [accept],
  );

  return (
    <main className="comment-box">
      <h1>Comments</h1>
      {reconnecting && (
        <p className="notice" role="status">
          Reconnecting to the server…
        </p>
      )}
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {loaded || pending.length > 0 ? (
        <CommentList comments={[...comments, ...pending]} />
      ) : (
        !problem && <p className="empty">Loading comments…</p>
      )}
      <div className="visually-hidden" aria-live="polite">
        {announce}
      </div>
      <h2 className="visually-hidden">Add a comment</h2>
      <CommentForm onSubmit={add} />
    </main>
  );
}
