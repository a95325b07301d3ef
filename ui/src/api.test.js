import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, closesThread, fetchPage, threadFromAddress, withThread } from './api.js';
import { postComment } from './writes.js';

let fetchMock;

beforeEach(() => {
  fetchMock = vi.fn();
  vi.stubGlobal('fetch', fetchMock);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

const created = () =>
  new Response('[]', { status: 201, headers: { 'Content-Type': 'application/json', ETag: '"v1"' } });

describe('postComment', () => {
  it('sends a fresh Idempotency-Key per submission', async () => {
    fetchMock.mockImplementation(async () => created());
    await postComment('Ann', 'one');
    await postComment('Ann', 'two');
    const keys = fetchMock.mock.calls.map(([, init]) => init.headers['Idempotency-Key']);
    expect(keys[0]).toMatch(/^"[0-9a-f-]{32,36}"$/);
    expect(keys[1]).not.toBe(keys[0]);
  });

  it('retries after a network error with the same key', async () => {
    fetchMock.mockRejectedValueOnce(new TypeError('Failed to fetch')).mockResolvedValueOnce(created());
    const result = await postComment('Ann', 'once', { retryDelays: [0, 0] });
    expect(result.etag).toBe('"v1"');
    const [first, second] = fetchMock.mock.calls.map(([, init]) => init);
    expect(second.headers['Idempotency-Key']).toBe(first.headers['Idempotency-Key']);
    expect(second.body).toBe(first.body);
  });

  it('gives up after its retries, and never retries an answer', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'));
    await expect(postComment('Ann', 'x', { retryDelays: [0, 0] })).rejects.toThrow(TypeError);
    expect(fetchMock).toHaveBeenCalledTimes(3);
    fetchMock.mockReset();
    fetchMock.mockResolvedValue(
      new Response(JSON.stringify({ error: 'too many comments; try again in 30 seconds' }), {
        status: 429,
        headers: { 'Content-Type': 'application/json', 'Retry-After': '30' },
      }),
    );
    const refusal = await postComment('Ann', 'x').catch((error) => error);
    expect(refusal).toBeInstanceOf(ApiError);
    expect(refusal.status).toBe(429);
    expect(refusal.retryAfter).toBe(30);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it('sends the honeypot only when it is filled', async () => {
    fetchMock.mockImplementation(async () => created());
    await postComment('Ann', 'x');
    await postComment('Bot', 'y', { website: 'https://spam.example' });
    const bodies = fetchMock.mock.calls.map(([, init]) => JSON.parse(init.body));
    expect(bodies).toEqual([
      { author: 'Ann', text: 'x' },
      { author: 'Bot', text: 'y', website: 'https://spam.example' },
    ]);
  });

  it('resolves to the comment alone when it is held (202, pending)', async () => {
    const held = { id: 7, author: 'Ann', text: 'links', status: 'pending' };
    fetchMock.mockResolvedValue(
      new Response(JSON.stringify(held), { status: 202, headers: { 'Content-Type': 'application/json' } }),
    );
    expect(await postComment('Ann', 'links')).toMatchObject({ id: 7, comment: held });
  });
});

describe('threads', () => {
  it('reads the thread from the address, and none without ?thread=', () => {
    expect(threadFromAddress('?thread=/blog/hello/')).toBe('/blog/hello/');
    expect(threadFromAddress('?thread=%2Fcaf%25C3%25A9')).toBe('/caf%C3%A9');
    expect(threadFromAddress('')).toBeNull();
    expect(threadFromAddress('?thread=')).toBeNull();
  });

  it('names the thread in a URL once, escaped, leaving a Link that names it as it is', () => {
    expect(withThread('/api/comments?limit=50', '/a b+c/')).toBe('/api/comments?limit=50&thread=%2Fa%20b%2Bc%2F');
    expect(withThread('/api/comments', '/a')).toBe('/api/comments?thread=%2Fa');
    expect(withThread('/api/comments?limit=50&before=3&thread=%2Fa', '/a')).toBe(
      '/api/comments?limit=50&before=3&thread=%2Fa',
    );
    expect(withThread('/api/comments?limit=50', null)).toBe('/api/comments?limit=50');
  });

  it("follows an older page's Link in the thread", async () => {
    fetchMock.mockResolvedValue(new Response('[]', { status: 200, headers: { 'Content-Type': 'application/json' } }));
    await fetchPage('/api/comments?limit=50&before=9', { thread: '/a' });
    expect(fetchMock.mock.calls[0][0]).toBe('/api/comments?limit=50&before=9&thread=%2Fa');
  });

  it('posts a reply with its parent, in the thread', async () => {
    fetchMock.mockImplementation(async () => created());
    await postComment('Ann', 'yes', { parent: 7, thread: '/a' });
    await postComment('Ann', 'top');
    const [[url, init], [plainUrl, plain]] = fetchMock.mock.calls;
    expect(url).toBe('/api/comments?thread=%2Fa');
    expect(JSON.parse(init.body)).toEqual({ author: 'Ann', text: 'yes', parent: 7 });
    expect(plainUrl).toBe('/api/comments');
    expect(JSON.parse(plain.body)).toEqual({ author: 'Ann', text: 'top' });
  });

  it('tells a closed thread from other refusals', () => {
    expect(closesThread(new ApiError(403, 'this thread is closed: it takes no new comments'))).toBe(true);
    expect(closesThread(new ApiError(403, 'comments are not taken on this page'))).toBe(false);
    expect(closesThread(new ApiError(400, 'this thread is closed'))).toBe(false);
  });
});
