// The comments API: the list with ETag revalidation, and posting a comment.

export const COMMENTS_URL = '/api/comments';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function errorFrom(response) {
  let message = `The server answered ${response.status}.`;
  try {
    const body = await response.json();
    if (body && typeof body.error === 'string') message = body.error;
  } catch {
    // Not JSON (a proxy's page): keep the generic message.
  }
  return new ApiError(response.status, message);
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

// Post a comment, asking for the new comment alone (Prefer: return=minimal) rather than
// the whole list. Resolve to {comment} when the server did so, else (a server that
// ignores the preference answers the list, as the tutorial's do) to {comments, etag}.
export async function postComment(author, text) {
  const response = await fetch(COMMENTS_URL, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Prefer: 'return=minimal' },
    body: JSON.stringify({ author, text }),
    credentials: 'same-origin',
  });
  if (!response.ok) throw await errorFrom(response);
  const body = await response.json();
  if (/\breturn=minimal\b/i.test(response.headers.get('Preference-Applied') ?? '') && !Array.isArray(body)) {
    return { comment: body };
  }
  return { comments: body, etag: response.headers.get('ETag') };
}
