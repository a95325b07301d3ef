// The comments API: the list with ETag revalidation, posting a comment, and
// changing or deleting one (its author with the Comment-Token the post answered).

export const COMMENTS_URL = '/api/comments';

export class ApiError extends Error {
  constructor(status, message, fields = {}) {
    super(message);
    this.status = status;
    // {field: message} when the server refused some fields (a 400).
    this.fields = fields;
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
  return new ApiError(response.status, message, fields);
}

// The id at the end of a Location such as /api/comments/42, or null.
function idFrom(location) {
  const match = /\/(\d+)$/.exec(location || '');
  return match ? Number(match[1]) : null;
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

// Post a comment, asking for the new comment alone (Prefer: return=minimal)
// rather than the whole list. Resolve to {id, token} and one of: comment, when
// it waits for a moderator (202, "status": "pending"); published, the stored
// comment, when the server applied the preference; comments and etag, the
// updated list, when it did not (a tutorial's server answers the list).
export async function postComment(author, text) {
  const response = await fetch(COMMENTS_URL, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Prefer: 'return=minimal' },
    body: JSON.stringify({ author, text }),
    credentials: 'same-origin',
  });
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
