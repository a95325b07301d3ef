// The comments this page posted: posting them (shown at once, before the server
// answers), remembering their Comment-Tokens, and changing or deleting them
// while the server still accepts the token.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { deleteComment, editComment, postComment } from './api.js';
import { EDIT_WINDOW, loadMine, touchesMine, updateMine } from './myComments.js';
import { withoutComment } from './tree.js';

const AFTER_APPROVAL = 'It will appear for everyone once a moderator approves it.';
const PENDING_NOTE = `Your comment was received. ${AFTER_APPROVAL}`;

// Why a change was refused, for the person who asked for it; final when the
// server refused the token (expired, or the comment is gone), which is then forgotten.
function refusal(error, action) {
  if (error.status === 401) return new Error(`${action} needs a login. Reload the page to sign in.`);
  if (error.status !== 403 && error.status !== 404) return error;
  const reason =
    error.status === 403
      ? `This comment can no longer be changed from this page (the server said: ${error.message}).`
      : 'This comment is no longer there.';
  return Object.assign(new Error(reason), { final: true });
}

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

  const post = useCallback(
    async (author, text, extras = {}) => {
      const parent = extras.parent ?? null;
      const temporary = { id: `posting-${crypto.randomUUID()}`, author, text, parent, pending: true };
      setPosting((list) => [...list, temporary]);
      try {
        const result = await postComment(author, text, { ...extras, thread });
        if (result.id !== null && (result.token || result.comment)) {
          const entry = { token: result.token || null, expires: Date.now() + EDIT_WINDOW };
          if (result.comment) entry.comment = { parent, ...result.comment, thread: thread ?? undefined };
          update((entries) => ({ ...entries, [result.id]: entry }));
        }
        if (result.comment) say(PENDING_NOTE);
        else if (result.published) addOwn(result.published);
        else accept(result.comments, result.etag, result.id);
      } catch (error) {
        if (error.status === 401) throw new Error('Posting needs a login. Reload the page to sign in.');
        throw error;
      } finally {
        setPosting((list) => list.filter((c) => c !== temporary));
      }
    },
    [accept, addOwn, say, thread, update],
  );

  const edit = useCallback(
    async (id, fields) => {
      const entry = mine[id];
      if (!entry?.token) throw new Error('This comment can no longer be changed from this page.');
      let changed;
      try {
        changed = await editComment(id, entry.token, fields);
      } catch (error) {
        if (error.status === 403 || error.status === 404) forget(id);
        throw refusal(error, 'Changing a comment');
      }
      if (entry.comment || changed.status === 'pending') {
        // Waiting for a moderator (under pre-moderation an author's edit goes
        // back to the queue): only this page's memory can show it.
        const waiting = { ...entry.comment, ...changed, thread: thread ?? undefined };
        update((entries) => ({ ...entries, [id]: { ...entries[id], comment: waiting } }));
        if (!entry.comment) {
          change((list) => withoutComment(list, id));
          say(`Your comment was changed. ${AFTER_APPROVAL}`);
          return;
        }
      } else {
        change((list) => list.map((c) => (c.id === id ? { ...c, ...changed } : c)));
      }
      say('Your comment was changed.');
    },
    [mine, change, forget, say, thread, update],
  );

  const remove = useCallback(
    async (id) => {
      const entry = mine[id];
      if (!entry?.token) throw new Error('This comment can no longer be deleted from this page.');
      try {
        await deleteComment(id, entry.token);
      } catch (error) {
        if (error.status === 403 || error.status === 404) forget(id);
        throw refusal(error, 'Deleting a comment');
      }
      forget(id);
      // A comment with replies keeps its place, as the server keeps it.
      change((list) => withoutComment(list, id));
      say('Your comment was deleted.');
    },
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
