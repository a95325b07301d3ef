// The calls that write: post a comment, change or delete one (its author with the
// Comment-Token the post answered). Loaded with the forms, once the comments show
// (src/forms.js): reading the list needs none of it.

import { COMMENTS_URL, errorFrom, withThread } from './api.js';
import { t } from './i18n.js';
import { EDIT_WINDOW } from './myComments.js';
import { withoutComment } from './tree.js';

// The id at the end of a Location such as /api/comments/42, or null.
function idFrom(location) {
  const match = /\/(\d+)$/.exec(location || '');
  return match ? Number(match[1]) : null;
}

// A fresh Idempotency-Key: random, unguessable, the same for every retry of one submission.
export function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// Waits before retrying a POST whose connection failed: the server may have stored it,
// and the same Idempotency-Key makes the retry answer what it answered.
export const POST_RETRY_DELAYS_MS = [500, 2000];

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Post a comment (a reply when parent is a comment's id, in thread when given), asking for the new comment alone (Prefer: return=minimal)
// rather than the whole list. Resolve to {id, token} and one of: comment, when
// it waits for a moderator (202, "status": "pending"); published, the stored
// comment, when the server applied the preference; comments and etag, the
// updated list, when it did not (a tutorial's server answers the list).
// website is the form's honeypot field: people leave it empty. email (sent only when
// given) and notifyReplies (sent when the form says, true or false): the author's address,
// kept privately by the server, and whether to mail it of replies. A network failure
// is retried with the same Idempotency-Key, so the comment is stored once at most.
export async function postComment(
  author,
  text,
  { website = '', email = '', notifyReplies, parent = null, thread = null, retryDelays = POST_RETRY_DELAYS_MS } = {},
) {
  const key = newIdempotencyKey();
  const fields = { author, text };
  if (parent !== null && parent !== undefined) fields.parent = parent;
  if (website) fields.website = website;
  if (email) fields.email = email;
  if (typeof notifyReplies === 'boolean') fields.notify_replies = notifyReplies;
  const payload = JSON.stringify(fields);
  let response;
  for (let attempt = 0; ; attempt += 1) {
    try {
      response = await fetch(withThread(COMMENTS_URL, thread), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Prefer: 'return=minimal', 'Idempotency-Key': `"${key}"` },
        body: payload,
        credentials: 'same-origin',
      });
      break;
    } catch (error) {
      if (!(error instanceof TypeError) || attempt >= retryDelays.length) throw error;
      await wait(retryDelays[attempt]);
    }
  }
  if (!response.ok) throw await errorFrom(response);
  const token = response.headers.get('Comment-Token');
  const body = await response.json();
  if (response.status === 202) return { id: body.id, token, comment: body };
  if (/\breturn=minimal\b/i.test(response.headers.get('Preference-Applied') ?? '') && !Array.isArray(body)) {
    return { id: body.id, token, published: body };
  }
  // A server without Location (a tutorial's): the newest comment with these words.
  const id =
    idFrom(response.headers.get('Location')) ??
    body.filter((c) => c.author === author && c.text === text).at(-1)?.id ??
    null;
  return { id, token, comments: body, etag: response.headers.get('ETag') };
}

// Change the author's own comment ({text} and/or {author}); resolve to the comment.
export async function editComment(id, token, fields) {
  const response = await fetch(`${COMMENTS_URL}/${id}`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json', 'Comment-Token': token },
    body: JSON.stringify(fields),
    credentials: 'same-origin',
  });
  if (!response.ok) throw await errorFrom(response);
  return response.json();
}

// Delete the author's own comment.
export async function deleteComment(id, token) {
  const response = await fetch(`${COMMENTS_URL}/${id}`, {
    method: 'DELETE',
    headers: { 'Comment-Token': token },
    credentials: 'same-origin',
  });
  if (!response.ok) throw await errorFrom(response);
}

const PENDING_NOTE = 'Your comment was received. It will appear for everyone once a moderator approves it.';
const CHANGED_PENDING = 'Your comment was changed. It will appear for everyone once a moderator approves it.';

// Why a change was refused, for the person who asked for it; final when the
// server refused the token (expired, or the comment is gone), which is then forgotten.
// loginNeeded: what to say on a 401.
function refusal(error, loginNeeded) {
  if (error.status === 401) return new Error(loginNeeded);
  if (error.status !== 403 && error.status !== 404) return error;
  const reason =
    error.status === 403
      ? t('This comment can no longer be changed from this page (the server said: {reason}).', {
          reason: t(error.message),
        })
      : t('This comment is no longer there.');
  return Object.assign(new Error(reason), { final: true });
}

// What the page does when its author posts, changes or deletes a comment: useMyComments
// hands in what it keeps (mine, the tokens; update and forget change them; setPosting, the
// comments on their way) and what the feed offers (accept, addOwn, change, say).

// Post a comment: shown at once, then as the server answered; its token remembered.
export async function postMine({ thread, update, setPosting, accept, addOwn, say }, author, text, extras) {
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
    if (result.comment) say(t(PENDING_NOTE));
    else if (result.published) addOwn(result.published);
    else accept(result.comments, result.etag, result.id);
  } catch (error) {
    if (error.status === 401) throw new Error(t('Posting needs a login. Reload the page to sign in.'));
    throw error;
  } finally {
    setPosting((list) => list.filter((c) => c !== temporary));
  }
}

// Change the author's own comment with its token.
export async function editMine({ mine, thread, update, forget, change, say }, id, fields) {
  const entry = mine[id];
  if (!entry?.token) throw new Error(t('This comment can no longer be changed from this page.'));
  let changed;
  try {
    changed = await editComment(id, entry.token, fields);
  } catch (error) {
    if (error.status === 403 || error.status === 404) forget(id);
    throw refusal(error, t('Changing a comment needs a login. Reload the page to sign in.'));
  }
  if (entry.comment || changed.status === 'pending') {
    // Waiting for a moderator (under pre-moderation an author's edit goes
    // back to the queue): only this page's memory can show it.
    const waiting = { ...entry.comment, ...changed, thread: thread ?? undefined };
    update((entries) => ({ ...entries, [id]: { ...entries[id], comment: waiting } }));
    if (!entry.comment) {
      change((list) => withoutComment(list, id));
      say(t(CHANGED_PENDING));
      return;
    }
  } else {
    change((list) => list.map((c) => (c.id === id ? { ...c, ...changed } : c)));
  }
  say(t('Your comment was changed.'));
}

// Delete the author's own comment with its token.
export async function removeMine({ mine, forget, change, say }, id) {
  const entry = mine[id];
  if (!entry?.token) throw new Error(t('This comment can no longer be deleted from this page.'));
  try {
    await deleteComment(id, entry.token);
  } catch (error) {
    if (error.status === 403 || error.status === 404) forget(id);
    throw refusal(error, t('Deleting a comment needs a login. Reload the page to sign in.'));
  }
  forget(id);
  // A comment with replies keeps its place, as the server keeps it.
  change((list) => withoutComment(list, id));
  say(t('Your comment was deleted.'));
}
