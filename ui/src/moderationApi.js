// The moderation API. The browser adds the moderator's Basic credentials: the
// first request is answered 401 with WWW-Authenticate, and the browser's login
// prompt signs the moderator in for the rest.
import { COMMENTS_URL, errorFrom } from './api.js';

export const MODERATION_URL = '/api/moderation/comments';
export const STATUSES = ['pending', 'published', 'hidden', 'spam'];

// Every comment not deleted, oldest first, each with its status; status filters.
export async function fetchModeration(status, { signal } = {}) {
  const url = status ? `${MODERATION_URL}?status=${encodeURIComponent(status)}` : MODERATION_URL;
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
