// The comments API: the list with ETag revalidation, posting a comment, and
// changing or deleting one (its author with the Comment-Token the post answered).

import { FIRST_PAGE, nextLink } from './feed.js';

export const COMMENTS_URL = '/api/comments';
export const THREADS_URL = '/api/threads';

// The thread the page shows: ?thread= in its address (a page's path, such as
// /blog/hello/), or null for the default thread (no ?thread=).
export function threadFromAddress(search = window.location.search) {
  return new URLSearchParams(search).get('thread') || null;
}

// The query parameter that names thread ('thread=%2Fa'), or '' for the default thread.
function threadParam(thread) {
  return thread ? `thread=${encodeURIComponent(thread)}` : '';
}

// Return url with thread named in its query, unless it names one already (a Link
// the server wrote for the thread).
export function withThread(url, thread) {
  if (!thread || /[?&]thread=/.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}${threadParam(thread)}`;
}

// The address of a page of thread's newest limit conversations.
export function pageUrl(limit, thread = null) {
  return withThread(`${COMMENTS_URL}?limit=${limit}`, thread);
}

export class ApiError extends Error {
  constructor(status, message, fields = {}, retryAfter = null) {
    super(message);
    this.status = status;
    // {field: message} when the server refused some fields (a 400).
    this.fields = fields;
    // Seconds until the server takes this again (a 429's Retry-After), or null.
    this.retryAfter = retryAfter;
  }
}

export async function errorFrom(response) {
  let message = `The server answered ${response.status}.`;
  let fields = {};
  try {
    const body = await response.json();
    if (body && typeof body.error === 'string') message = body.error;
    if (body && body.fields && typeof body.fields === 'object') fields = body.fields;
  } catch {
    // Not JSON (a proxy's page): keep the generic message.
  }
  const seconds = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
  return new ApiError(response.status, message, fields, Number.isFinite(seconds) ? seconds : null);
}

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

// Resolve to {notModified: true} when etag is still current, else {comments, etag}.
// A network failure rejects with a TypeError, as fetch does.
export async function fetchComments(etag, { signal } = {}) {
  const response = await fetch(COMMENTS_URL, {
    headers: etag ? { 'If-None-Match': etag } : {},
    // Our own If-None-Match: let the 304 reach us instead of the HTTP cache.
    cache: 'no-store',
    credentials: 'same-origin',
    signal,
  });
  if (response.status === 304) return { notModified: true, etag };
  if (!response.ok) throw await errorFrom(response);
  return { comments: await response.json(), etag: response.headers.get('ETag') };
}

// Post a comment (a reply when parent is a comment's id, in thread when given), asking for the new comment alone (Prefer: return=minimal)
// rather than the whole list. Resolve to {id, token} and one of: comment, when
// it waits for a moderator (202, "status": "pending"); published, the stored
// comment, when the server applied the preference; comments and etag, the
// updated list, when it did not (a tutorial's server answers the list).
// website is the form's honeypot field: people leave it empty. A network failure
// is retried with the same Idempotency-Key, so the comment is stored once at most.
export async function postComment(
  author,
  text,
  { website = '', parent = null, thread = null, retryDelays = POST_RETRY_DELAYS_MS } = {},
) {
  const key = newIdempotencyKey();
  const fields = { author, text };
  if (parent !== null && parent !== undefined) fields.parent = parent;
  if (website) fields.website = website;
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

// Resolve to {comments, next, version, etag} for a page of the list: the first page
// (the newest FIRST_PAGE conversations) unless url names another (a Link's next);
// thread: the thread's, when url does not name it.
export async function fetchPage(url = pageUrl(FIRST_PAGE), { signal, thread = null } = {}) {
  const response = await fetch(withThread(url, thread), { cache: 'no-store', credentials: 'same-origin', signal });
  if (!response.ok) throw await errorFrom(response);
  return {
    comments: await response.json(),
    next: nextLink(response.headers.get('Link')),
    version: response.headers.get('Comments-Version'),
    etag: response.headers.get('ETag'),
  };
}

// Resolve to {notModified: true} when nothing changed since version (etag: the last
// changes answer's), else to {version, comments, removed, etag}. A 410 (the server no
// longer remembers that version) rejects with an ApiError of status 410.
export async function fetchChanges(version, etag, { signal, thread = null } = {}) {
  const response = await fetch(withThread(`${COMMENTS_URL}?since=${encodeURIComponent(version)}`, thread), {
    headers: etag ? { 'If-None-Match': etag } : {},
    cache: 'no-store',
    credentials: 'same-origin',
    signal,
  });
  if (response.status === 304) return { notModified: true };
  if (!response.ok) throw await errorFrom(response);
  const body = await response.json();
  return { ...body, etag: response.headers.get('ETag') };
}

// Resolve to {thread, closed, count}: whether thread takes new comments, and how many it holds.
export async function fetchThread(thread, { signal } = {}) {
  const response = await fetch(`${THREADS_URL}?${threadParam(thread)}`, {
    cache: 'no-store',
    credentials: 'same-origin',
    signal,
  });
  if (!response.ok) throw await errorFrom(response);
  return response.json();
}

// Whether error is the server refusing a comment because its thread is closed.
export function closesThread(error) {
  return error?.status === 403 && /\bthread is closed\b/i.test(error.message ?? '');
}
