// The moderation API. The browser adds the moderator's Basic credentials: the
// first request is answered 401 with WWW-Authenticate, and the browser's login
// prompt signs the moderator in for the rest.
import { COMMENTS_URL, errorFrom, THREADS_URL } from './api.js';

export const MODERATION_URL = '/api/moderation/comments';
export const STATUSES = ['pending', 'published', 'hidden', 'spam'];

// Every comment not deleted, oldest first, each with its status and (in a named
// thread) its thread; status and thread filter.
export async function fetchModeration(status, { signal, thread = null } = {}) {
  const query = [
    status && `status=${encodeURIComponent(status)}`,
    thread && `thread=${encodeURIComponent(thread)}`,
  ].filter(Boolean);
  const url = query.length > 0 ? `${MODERATION_URL}?${query.join('&')}` : MODERATION_URL;
  const response = await fetch(url, { cache: 'no-store', credentials: 'same-origin', signal });
  if (!response.ok) throw await errorFrom(response);
  return response.json();
}

// Publish, hide or hold a comment; resolve to the comment with its new status.
export async function setStatus(id, status) {
  const response = await fetch(`${COMMENTS_URL}/${id}`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ status }),
    credentials: 'same-origin',
  });
  if (!response.ok) throw await errorFrom(response);
  return response.json();
}

export async function moderatorDelete(id) {
  const response = await fetch(`${COMMENTS_URL}/${id}`, { method: 'DELETE', credentials: 'same-origin' });
  if (!response.ok) throw await errorFrom(response);
}

// Close a thread to new comments (closed true) or reopen it; resolve to {thread, closed, count}.
export async function setThreadClosed(thread, closed) {
  const response = await fetch(THREADS_URL, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ thread, closed }),
    credentials: 'same-origin',
  });
  if (!response.ok) throw await errorFrom(response);
  return response.json();
}

// The address of a thread's page: /?thread=/blog/hello/ (slashes left readable).
export function threadAddress(thread) {
  return `/?thread=${encodeURIComponent(thread).replaceAll('%2F', '/')}`;
}
