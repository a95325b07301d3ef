import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import CommentBox from './CommentBox.jsx';

// The page's only collaborator is the API: these tests stand in for it with a
// scripted fetch (the real server is exercised by the browser tests in tests/).
const ANN = { id: 1, author: 'Ann', text: 'First', created: '2026-11-24T12:00:00.000Z' };
const BOB = { id: 2, author: 'Bob', text: 'Second', created: '2026-11-24T12:01:00.000Z' };

function json(body, status = 200, etag = null, more = {}) {
  const headers = new Headers({ 'Content-Type': 'application/json', ...more });
  if (etag) headers.set('ETag', etag);
  return new Response(status === 304 ? null : JSON.stringify(body), { status, headers });
}

// A page of the list, as GET /api/comments?limit=N answers it.
function page(list, version = 'v1', next = null) {
  const more = { 'Comments-Version': version };
  if (next) more.Link = `<${next}>; rel="next"`;
  return json(list, 200, `"${version}.p"`, more);
}

// What changed since a version, as GET /api/comments?since=… answers it.
function changes(version, comments = [], removed = []) {
  return json({ version, comments, removed }, 200, `"${version}.s"`, { 'Comments-Version': version });
}

// Answer GETs: the first page with list, and nothing changed for every since.
function serve(list) {
  return (url) => Promise.resolve(String(url).includes('since=') ? changes('v1') : page(list));
}

let fetchMock;

beforeEach(() => {
  fetchMock = vi.fn();
  vi.stubGlobal('fetch', fetchMock);
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

async function postThroughForm(user, name, text) {
  await user.type(await screen.findByLabelText('Name'), name);
  await user.type(screen.getByLabelText('Comment'), text);
  await user.click(screen.getByRole('button', { name: 'Post' }));
}

function setHidden(hidden) {
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
  document.dispatchEvent(new Event('visibilitychange'));
}

describe('CommentBox', () => {
  it('loads the newest 50, then polls with since and If-None-Match and keeps the list on 304', async () => {
    fetchMock
      .mockResolvedValueOnce(page([ANN]))
      .mockResolvedValueOnce(changes('v1'))
      .mockResolvedValue(json(null, 304, '"v1.s"'));
    render(<CommentBox pollInterval={20} />);
    expect(await screen.findByText('First')).toBeInTheDocument();
    expect(fetchMock.mock.calls[0][0]).toBe('/api/comments?limit=50');
    await waitFor(() => expect(fetchMock.mock.calls.length).toBeGreaterThanOrEqual(4));
    const [url, options] = fetchMock.mock.calls.at(-1);
    expect(url).toBe('/api/comments?since=v1');
    expect(options.headers['If-None-Match']).toBe('"v1.s"');
    expect(screen.getByText('First')).toBeInTheDocument();
  });

  it('shows and announces comments that others post', async () => {
    fetchMock.mockResolvedValueOnce(page([ANN])).mockResolvedValueOnce(changes('v2', [BOB])).mockResolvedValue(
      changes('v2'),
    );
    render(<CommentBox pollInterval={20} />);
    expect(await screen.findByText('Second')).toBeInTheDocument();
    expect(screen.getByText('New comment from Bob.')).toBeInTheDocument();
    await waitFor(() => expect(fetchMock.mock.calls.at(-1)[0]).toBe('/api/comments?since=v2'));
  });

  it('updates edited comments in place and drops hidden and deleted ones', async () => {
    const edited = { ...ANN, text: 'First, fixed', edited: '2026-11-24T12:05:00.000Z' };
    fetchMock
      .mockResolvedValueOnce(page([ANN, BOB]))
      .mockResolvedValueOnce(changes('v2', [edited], [2]))
      .mockResolvedValue(changes('v2'));
    render(<CommentBox pollInterval={20} />);
    expect(await screen.findByText('First, fixed')).toBeInTheDocument();
    expect(screen.queryByText('Second')).toBeNull();
    expect(screen.queryByText(/New comment/)).toBeNull();
  });

  it('loads older comments through the Link header, once each', async () => {
    const older = [{ ...ANN, id: 0, text: 'Oldest' }, ANN];
    fetchMock.mockImplementation((url) => {
      if (url === '/api/comments?limit=50&before=1') return Promise.resolve(page(older));
      if (String(url).includes('since=')) return Promise.resolve(changes('v1'));
      return Promise.resolve(page([ANN, BOB], 'v1', '/api/comments?limit=50&before=1'));
    });
    const user = userEvent.setup();
    render(<CommentBox pollInterval={60_000} />);
    await screen.findByText('Second');
    await user.click(screen.getByRole('button', { name: 'Older comments' }));
    expect(await screen.findByText('Oldest')).toBeInTheDocument();
    expect(screen.getAllByText('First', { selector: 'p' })).toHaveLength(1);
    expect(screen.queryByRole('button', { name: 'Older comments' })).toBeNull();
  });

  it('reloads its page of comments when the server no longer knows its version (410)', async () => {
    fetchMock
      .mockResolvedValueOnce(page([ANN]))
      .mockResolvedValueOnce(json({ error: 'gone', fields: { since: 'gone' } }, 410))
      .mockResolvedValueOnce(page([ANN, BOB], 'v9'))
      .mockResolvedValue(changes('v9'));
    render(<CommentBox pollInterval={20} />);
    expect(await screen.findByText('Second')).toBeInTheDocument();
    expect(fetchMock.mock.calls[2][0]).toBe('/api/comments?limit=50');
    await waitFor(() => expect(fetchMock.mock.calls.at(-1)[0]).toBe('/api/comments?since=v9'));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('adds a comment at once and replaces it with the stored one', async () => {
    let answer;
    fetchMock.mockImplementation((url, options) => {
      if (options.method === 'POST') return new Promise((resolve) => (answer = resolve));
      return serve([ANN])(url);
    });
    const user = userEvent.setup();
    render(<CommentBox pollInterval={60_000} />);
    await screen.findByText('First');
    await postThroughForm(user, 'Cy', 'Mine');
    expect(screen.getByText('Mine', { selector: 'p' })).toBeInTheDocument();
    expect(screen.getByText('posting…')).toBeInTheDocument();
    const stored = { id: 2, author: 'Cy', text: 'Mine', created: '2026-11-24T12:02:00.000Z' };
    await act(async () => answer(json([ANN, stored], 201, '"v2"')));
    await waitFor(() => expect(screen.queryByText('posting…')).toBeNull());
    expect(screen.getAllByText('Mine', { selector: 'p' })).toHaveLength(1);
    expect(screen.getByLabelText('Comment')).toHaveValue('');
    expect(screen.queryByText(/New comment from/)).toBeNull();
  });

  it('rolls the comment back and shows why when the server refuses it', async () => {
    fetchMock.mockImplementation((url, options) => {
      if (options.method === 'POST') {
        return Promise.resolve(json({ error: 'text is 20,000 characters long; the limit is 10,000' }, 400));
      }
      return serve([ANN])(url);
    });
    const user = userEvent.setup();
    render(<CommentBox pollInterval={60_000} />);
    await screen.findByText('First');
    await postThroughForm(user, 'Cy', 'Refused');
    expect(await screen.findByRole('alert')).toHaveTextContent('the limit is 10,000');
    expect(screen.queryByText('Refused', { selector: 'p' })).toBeNull();
    expect(screen.getByLabelText('Comment')).toHaveValue('Refused');
  });

  it('says posting needs a login after a cancelled prompt', async () => {
    fetchMock.mockImplementation((url, options) =>
      options.method === 'POST' ? Promise.resolve(json({ error: 'login' }, 401)) : serve([ANN])(url),
    );
    const user = userEvent.setup();
    render(<CommentBox pollInterval={60_000} />);
    await screen.findByText('First');
    await postThroughForm(user, 'Cy', 'Hi');
    expect(await screen.findByRole('alert')).toHaveTextContent('Posting needs a login');
  });

  it('says reading needs a login and stops asking', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: false });
    fetchMock.mockResolvedValue(json({ error: 'login' }, 401));
    render(<CommentBox pollInterval={10} />);
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(screen.getByRole('alert')).toHaveTextContent('needs a login');
    // However long the page stays open, it does not ask again.
    await act(() => vi.advanceTimersByTimeAsync(10 * 60_000));
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it('backs off while the server is unreachable and says so, until it answers', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: false });
    fetchMock
      .mockResolvedValueOnce(page([ANN]))
      .mockRejectedValueOnce(new TypeError('Failed to fetch'))
      .mockRejectedValueOnce(new TypeError('Failed to fetch'))
      .mockRejectedValueOnce(new TypeError('Failed to fetch'))
      .mockResolvedValueOnce(changes('v2', [BOB]))
      .mockResolvedValue(changes('v2'));
    render(<CommentBox pollInterval={2000} />);
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(screen.getByText('First')).toBeInTheDocument();
    await act(() => vi.advanceTimersByTimeAsync(2000));
    expect(screen.getByRole('status')).toHaveTextContent('Reconnecting');
    expect(fetchMock).toHaveBeenCalledTimes(2);
    // Next tries after 4 s, then 8 s: not every 2 s.
    await act(() => vi.advanceTimersByTimeAsync(3999));
    expect(fetchMock).toHaveBeenCalledTimes(2);
    await act(() => vi.advanceTimersByTimeAsync(1));
    expect(fetchMock).toHaveBeenCalledTimes(3);
    await act(() => vi.advanceTimersByTimeAsync(8000));
    expect(fetchMock).toHaveBeenCalledTimes(4);
    await act(() => vi.advanceTimersByTimeAsync(16000));
    expect(fetchMock).toHaveBeenCalledTimes(5);
    expect(screen.queryByText('Reconnecting to the server…')).toBeNull();
    expect(screen.getByText('Second')).toBeInTheDocument();
  });

  it('caps the back-off at 30 seconds', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: false });
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'));
    render(<CommentBox pollInterval={2000} />);
    await act(() => vi.advanceTimersByTimeAsync(0));
    await act(() => vi.advanceTimersByTimeAsync(4000 + 8000 + 16000 + 30000));
    const calls = fetchMock.mock.calls.length;
    await act(() => vi.advanceTimersByTimeAsync(29_999));
    expect(fetchMock).toHaveBeenCalledTimes(calls);
    await act(() => vi.advanceTimersByTimeAsync(1));
    expect(fetchMock).toHaveBeenCalledTimes(calls + 1);
  });

  it('pauses while the tab is hidden and polls at once when it is visible again', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: false });
    fetchMock.mockResolvedValueOnce(page([ANN])).mockResolvedValue(json(null, 304, '"v1.s"'));
    render(<CommentBox pollInterval={2000} />);
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(fetchMock).toHaveBeenCalledTimes(1);
    act(() => setHidden(true));
    await act(() => vi.advanceTimersByTimeAsync(20_000));
    expect(fetchMock).toHaveBeenCalledTimes(1);
    act(() => setHidden(false));
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(fetchMock).toHaveBeenCalledTimes(2);
    setHidden(false);
  });

  it('asks for the new comment alone and adds it to the list', async () => {
    fetchMock.mockImplementation((url, options) => {
      if (options.method !== 'POST') return serve([ANN])(url);
      const stored = { id: 2, author: 'Cy', text: 'Minimal', created: '2026-11-24T12:02:00.000Z' };
      const answer = json(stored, 201);
      answer.headers.set('Preference-Applied', 'return=minimal');
      return Promise.resolve(answer);
    });
    const user = userEvent.setup();
    render(<CommentBox pollInterval={60_000} />);
    await screen.findByText('First');
    await postThroughForm(user, 'Cy', 'Minimal');
    await waitFor(() => expect(screen.queryByText('posting…')).toBeNull());
    const [, options] = fetchMock.mock.calls.find(([, o]) => o.method === 'POST');
    expect(options.headers.Prefer).toBe('return=minimal');
    expect(screen.getByText('First', { selector: 'p' })).toBeInTheDocument();
    expect(screen.getAllByText('Minimal', { selector: 'p' })).toHaveLength(1);
    expect(screen.queryByText(/New comment from/)).toBeNull();
  });
});
