// The moderation list for one status filter and thread: loaded when either changes
// or on refresh(), changed at once by the moderator's actions; and a thread's state.
import { useCallback, useEffect, useState } from 'react';
import { fetchThread } from './api.js';
import { fetchModeration, moderatorDelete, setStatus, setThreadClosed } from './moderationApi.js';

const LOGIN_NEEDED =
  'Moderating needs a moderator’s login. Reload the page and sign in with a moderator’s name and password.';

function problemWith(error) {
  if (error.status === 401) return LOGIN_NEEDED;
  if (error.status === 403) return `This login may not moderate: ${error.message}`;
  if (error.status) return error.fields?.thread || error.message;
  return 'The server cannot be reached. Try Refresh in a moment.';
}

// Return {comments, loading, problem, refresh, publish, hide, remove}: comments
// is null until loaded, and a comment whose status changed keeps its place (the
// view decides what the filter shows); the actions return promises rejected
// with a message for the moderator. thread: only that thread's comments (null: all).
export function useModeration(filter, thread = null) {
  const [comments, setComments] = useState(null);
  const [loading, setLoading] = useState(true);
  const [problem, setProblem] = useState('');
  const [round, setRound] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    fetchModeration(filter, { signal: controller.signal, thread })
      .then((list) => {
        setComments(list);
        setProblem('');
      })
      .catch((error) => {
        if (error.name !== 'AbortError') setProblem(problemWith(error));
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [filter, thread, round]);

  const refresh = useCallback(() => setRound((n) => n + 1), []);

  const changeStatus = useCallback(async (id, status) => {
    let changed;
    try {
      changed = await setStatus(id, status);
    } catch (error) {
      throw new Error(problemWith(error));
    }
    setComments((list) => list.map((c) => (c.id === id ? { ...c, ...changed } : c)));
    return changed;
  }, []);

  const publish = useCallback((id) => changeStatus(id, 'published'), [changeStatus]);
  const hide = useCallback((id) => changeStatus(id, 'hidden'), [changeStatus]);

  const remove = useCallback(async (id) => {
    try {
      await moderatorDelete(id);
    } catch (error) {
      if (error.status !== 404) throw new Error(problemWith(error));
      // Already gone (another moderator, or its author): it leaves the list all the same.
    }
    setComments((list) => list.filter((c) => c.id !== id));
  }, []);

  return { comments, loading, problem, refresh, publish, hide, remove };
}

// Return {state, problem, busy, setClosed} for thread (null: none): state is
// {thread, closed, count} once known; setClosed(closed) closes or reopens it,
// resolving once the server did, rejected with a message for the moderator.
export function useThreadState(thread) {
  const [state, setState] = useState(null);
  const [problem, setProblem] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setState(null);
    setProblem('');
    if (!thread) return undefined;
    const controller = new AbortController();
    fetchThread(thread, { signal: controller.signal })
      .then(setState)
      .catch((error) => {
        if (error.name !== 'AbortError') setProblem(problemWith(error));
      });
    return () => controller.abort();
  }, [thread]);

  const setClosed = useCallback(
    async (closed) => {
      setBusy(true);
      try {
        setState(await setThreadClosed(thread, closed));
        setProblem('');
      } catch (error) {
        throw new Error(problemWith(error));
      } finally {
        setBusy(false);
      }
    },
    [thread],
  );

  return { state, problem, busy, setClosed };
}
