// The comments this page posted: posting them (shown at once, before the server
// answers), remembering their Comment-Tokens, and changing or deleting them
// while the server still accepts the token.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { loadForms } from './forms.js';
import { loadMine, touchesMine, updateMine } from './myComments.js';

// feed: what useComments returns. Return {shown, canChange, post, edit, remove}:
// shown is the list to render (the server's, then comments that wait for a
// moderator, then those being posted); canChange(id) whether this page holds
// the comment's token; post(author, text, {website, parent}), edit(id, fields) and
// remove(id) return promises rejected with a message for the person when refused.
// thread: the thread the page shows (null: the default thread); a comment waiting
// for a moderator is remembered with its thread and shown only on its thread's page.
export function useMyComments({ comments, accept, addOwn, change, say }, { thread = null } = {}) {
  const [mine, setMine] = useState(() => loadMine());
  const [posting, setPosting] = useState([]);

  const update = useCallback((transform) => setMine(updateMine(transform)), []);
  const forget = useCallback(
    (id) =>
      update((entries) => {
        const { [id]: _gone, ...rest } = entries;
        return rest;
      }),
    [update],
  );

  // Drop each token when its window ends, and follow other tabs' posts.
  useEffect(() => {
    const expiries = Object.values(mine).map((entry) => entry.expires);
    if (expiries.length === 0) return undefined;
    const wait = Math.max(0, Math.min(...expiries) - Date.now());
    const timer = setTimeout(() => update((entries) => entries), Math.min(wait + 50, 2 ** 31 - 1));
    return () => clearTimeout(timer);
  }, [mine, update]);

  useEffect(() => {
    const onStorage = (event) => touchesMine(event) && setMine(loadMine());
    window.addEventListener('storage', onStorage);
    // What changed between the first render and now is read once more: the embedding
    // page's answer (embed/connection.js) may have come in between.
    setMine(loadMine());
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  // A waiting comment the server now lists has been published: the list shows it.
  useEffect(() => {
    const listed = new Set(comments.map((c) => String(c.id)));
    if (Object.entries(mine).some(([id, entry]) => entry.comment && listed.has(id))) {
      update((entries) =>
        Object.fromEntries(
          Object.entries(entries).map(([id, entry]) =>
            entry.comment && listed.has(id) ? [id, { token: entry.token, expires: entry.expires }] : [id, entry],
          ),
        ),
      );
    }
  }, [comments, mine, update]);

  // The work itself comes with the forms (writes.js): no first comment waits for it.
  const post = useCallback(
    async (author, text, extras = {}) =>
      (await loadForms()).postMine({ thread, update, setPosting, accept, addOwn, say }, author, text, extras),
    [accept, addOwn, say, thread, update],
  );

  const edit = useCallback(
    async (id, fields) => (await loadForms()).editMine({ mine, thread, update, forget, change, say }, id, fields),
    [mine, change, forget, say, thread, update],
  );

  const remove = useCallback(
    async (id) => (await loadForms()).removeMine({ mine, forget, change, say }, id),
    [mine, change, forget, say],
  );

  const shown = useMemo(() => {
    const listed = new Set(comments.map((c) => String(c.id)));
    const waiting = Object.entries(mine)
      .filter(([id, entry]) => entry.comment && !listed.has(id) && (entry.comment.thread ?? null) === thread)
      .map(([, entry]) => ({ ...entry.comment, status: 'pending' }))
      .sort((a, b) => String(a.created).localeCompare(String(b.created)));
    return [...comments, ...waiting, ...posting];
  }, [comments, mine, posting, thread]);

  const canChange = useCallback((id) => Boolean(mine[id]?.token), [mine]);

  return { shown, canChange, post, edit, remove };
}
