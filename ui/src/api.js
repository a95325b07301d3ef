// The comments API's reads: the list with ETag revalidation, its pages and changes, a
// thread's state; and the errors every call shares. The writes are in writes.js.

import { FIRST_PAGE, nextLink } from './feed.js';
import { t } from './i18n.js';

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
  let message = t('The server answered {status}.', { status: response.status });
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
