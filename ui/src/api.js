// The comments API: the list with ETag revalidation, and posting a comment.

export const COMMENTS_URL = '/api/comments';

export class ApiError extends Error {
  constructor(status, message, retryAfter = null) {
    super(message);
    this.status = status;
    // Seconds until the server takes this again (a 429's Retry-After), or null.
    this.retryAfter = retryAfter;
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
  const seconds = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
  return new ApiError(response.status, message, Number.isFinite(seconds) ? seconds : null);
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

// Post a comment, asking for the new comment alone (Prefer: return=minimal) rather than
// the whole list. Resolve to {comment} when the server did so (or answered 202 with the
// comment, held), else (a server that ignores the preference answers the list, as the
// tutorial's do) to {comments, etag}. website is the form's honeypot field: people leave
// it empty. A network failure is retried with the same Idempotency-Key, so the comment is
// stored once at most.
export async function postComment(author, text, { website = '', retryDelays = POST_RETRY_DELAYS_MS } = {}) {
  const key = newIdempotencyKey();
  const payload = JSON.stringify(website ? { author, text, website } : { author, text });
  let response;
  for (let attempt = 0; ; attempt += 1) {
    try {
      response = await fetch(COMMENTS_URL, {
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
  const body = await response.json();
  // The comment alone: Prefer was honoured, or it was held for a moderator (202, pending).
  if (!Array.isArray(body)) return { comment: body };
  return { comments: body, etag: response.headers.get('ETag') };
}
