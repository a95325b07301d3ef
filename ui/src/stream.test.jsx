import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import CommentBox from './CommentBox.jsx';
import { setLanguage } from './i18n.js';

// The page following the server's event stream (src/stream.js). jsdom has no EventSource:
// FakeSource stands in for the browser's, scripted by each test (the real one, against a
// real server, is in tests/browser/test_page_stream.py); fetch is scripted as in
// CommentBox.test.jsx.
const ANN = { id: 1, author: 'Ann', text: 'First', created: '2026-11-24T12:00:00.000Z' };
const BOB = { id: 2, author: 'Bob', text: 'Second', created: '2026-11-24T12:01:00.000Z' };
const CY = { id: 3, author: 'Cy', text: 'Third', parent: 1, created: '2026-11-24T12:02:00.000Z' };

class FakeSource extends EventTarget {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 2;
  static made = [];

  constructor(url) {
    super();
    this.url = url;
    this.readyState = FakeSource.CONNECTING;
    FakeSource.made.push(this);
  }

  open() {
    this.readyState = FakeSource.OPEN;
    this.onopen?.(new Event('open'));
  }

  send(type, data) {
    this.dispatchEvent(new MessageEvent(type, { data: JSON.stringify(data), lastEventId: data.version }));
  }

  // A lost connection (EventSource reconnects), or, closed, a refusal (it gives up).
  fail(closed = false) {
    this.readyState = closed ? FakeSource.CLOSED : FakeSource.CONNECTING;
    this.onerror?.(new Event('error'));
  }

  close() {
    this.readyState = FakeSource.CLOSED;
  }
}

function json(body, status = 200, more = {}) {
  const headers = new Headers({ 'Content-Type': 'application/json', ...more });
  return new Response(status === 304 ? null : JSON.stringify(body), { status, headers });
}

const page = (list, version = 'v1') => json(list, 200, { 'Comments-Version': version });
const changes = (version, comments = [], removed = []) => ({ version, comments, removed });

let fetchMock;

beforeEach(() => {
  FakeSource.made = [];
  fetchMock = vi.fn();
  vi.stubGlobal('fetch', fetchMock);
  vi.stubGlobal('EventSource', FakeSource);
  vi.useFakeTimers({ shouldAdvanceTime: false });
});

afterEach(async () => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
  await setLanguage('en');
});

const polls = () => fetchMock.mock.calls.filter(([url]) => String(url).includes('since='));

// Render the box on a first page of list and return the stream it opened, open.
async function following(list = [ANN], version = 'v1') {
  fetchMock.mockResolvedValueOnce(page(list, version));
  render(<CommentBox pollInterval={2000} />);
  await act(() => vi.advanceTimersByTimeAsync(0));
  await vi.waitFor(() => expect(FakeSource.made).toHaveLength(1));
  const source = FakeSource.made[0];
  act(() => source.open());
  return source;
}

describe('the page on the event stream', () => {
  it('follows the stream from the version loaded, applies its changes in place and does not poll', async () => {
    const source = await following([ANN, BOB]);
    expect(source.url).toBe('/api/comments/events?since=v1');
    act(() => source.send('changes', changes('v2', [CY])));
    expect(screen.getByText('Third')).toBeInTheDocument();
    expect(screen.getByText('New reply from Cy.')).toBeInTheDocument();
    const edited = { ...ANN, text: 'First, fixed', edited: '2026-11-24T12:05:00.000Z' };
    act(() => source.send('changes', changes('v3', [edited], [2])));
    expect(screen.getByText('First, fixed')).toBeInTheDocument();
    expect(screen.queryByText('Second')).toBeNull();
    await act(() => vi.advanceTimersByTimeAsync(60_000));
    expect(polls()).toEqual([]);
    expect(source.readyState).toBe(FakeSource.OPEN);
  });

  it('names the thread in the stream it follows', async () => {
    window.history.pushState({}, '', '/?thread=/blog/a%20b/');
    try {
      const source = await following();
      expect(source.url).toBe('/api/comments/events?since=v1&thread=%2Fblog%2Fa%20b%2F');
    } finally {
      window.history.pushState({}, '', '/');
    }
  });

  it('shows a comment once when the stream brings it again', async () => {
    const source = await following();
    act(() => source.send('changes', changes('v2', [BOB])));
    act(() => source.send('changes', changes('v2', [BOB])));
    expect(screen.getAllByText('Second', { selector: 'p' })).toHaveLength(1);
  });

  it("shows the page's own comment once when the stream brings it, unannounced", async () => {
    vi.useRealTimers();
    const stored = { id: 2, author: 'Cy', text: 'Mine', created: '2026-11-24T12:02:00.000Z' };
    fetchMock.mockImplementation((url, options) => {
      if (options?.method === 'POST') {
        const answer = json(stored, 201);
        answer.headers.set('Preference-Applied', 'return=minimal');
        return Promise.resolve(answer);
      }
      return Promise.resolve(page([ANN]));
    });
    const user = userEvent.setup();
    render(<CommentBox pollInterval={2000} />);
    await waitFor(() => expect(FakeSource.made).toHaveLength(1));
    const source = FakeSource.made[0];
    act(() => source.open());
    await user.type(await screen.findByLabelText('Name'), 'Cy');
    await user.type(screen.getByLabelText('Comment'), 'Mine');
    await user.click(screen.getByRole('button', { name: 'Post' }));
    await waitFor(() => expect(screen.queryByText('posting…')).toBeNull());
    act(() => source.send('changes', changes('v2', [stored])));
    expect(screen.getAllByText('Mine', { selector: 'p' })).toHaveLength(1);
    expect(screen.queryByText(/New comment from/)).toBeNull();
    expect(polls()).toEqual([]);
  });

  it('reloads its page and follows again from its version after a reset', async () => {
    const source = await following();
    fetchMock.mockResolvedValueOnce(page([ANN, BOB], 'v9'));
    act(() => source.send('reset', { version: 'v9' }));
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(screen.getByText('Second')).toBeInTheDocument();
    expect(fetchMock.mock.calls.at(-1)[0]).toBe('/api/comments?limit=50');
    expect(source.readyState).toBe(FakeSource.CLOSED);
    await vi.waitFor(() => expect(FakeSource.made).toHaveLength(2));
    expect(FakeSource.made[1].url).toBe('/api/comments/events?since=v9');
    expect(polls()).toEqual([]);
  });

  it.each([
    ['refused (a 503: EventSource gives up)', (source) => source.fail(true)],
    ['unreachable before it ever opened', (source) => source.fail(false)],
  ])('polls ?since= when the stream is %s, and polls for good after three such streams', async (_, refuse) => {
    fetchMock.mockResolvedValueOnce(page([ANN])).mockImplementation(() => Promise.resolve(json(changes('v2', [BOB]))));
    render(<CommentBox pollInterval={2000} />);
    await act(() => vi.advanceTimersByTimeAsync(0));
    await vi.waitFor(() => expect(FakeSource.made).toHaveLength(1));
    act(() => refuse(FakeSource.made[0]));
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(screen.getByText('Second')).toBeInTheDocument();
    expect(polls()[0][0]).toBe('/api/comments?since=v1');
    expect(FakeSource.made[0].readyState).toBe(FakeSource.CLOSED);
    // Tried again at the next poll, from the version held; the third refusal is the last.
    for (const tries of [2, 3]) {
      await act(() => vi.advanceTimersByTimeAsync(2000));
      await vi.waitFor(() => expect(FakeSource.made).toHaveLength(tries));
      expect(FakeSource.made.at(-1).url).toBe('/api/comments/events?since=v2');
      act(() => refuse(FakeSource.made.at(-1)));
    }
    const before = polls().length;
    await act(() => vi.advanceTimersByTimeAsync(20_000));
    expect(polls()).toHaveLength(before + 10);
    expect(FakeSource.made).toHaveLength(3);
  });

  it('follows again after a poll when a stream that worked is refused (a worker restarting)', async () => {
    const source = await following();
    act(() => source.send('changes', changes('v2', [BOB])));
    fetchMock
      .mockImplementationOnce(() => Promise.resolve(json(changes('v3', [CY]))))
      .mockImplementation(() => Promise.resolve(json(changes('v3'))));
    act(() => source.fail(true));
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(polls().map(([url]) => url)).toEqual(['/api/comments?since=v2']);
    expect(screen.getByText('Third')).toBeInTheDocument();
    await act(() => vi.advanceTimersByTimeAsync(2000));
    await vi.waitFor(() => expect(FakeSource.made).toHaveLength(2));
    expect(FakeSource.made[1].url).toBe('/api/comments/events?since=v3');
    act(() => FakeSource.made[1].open());
    // The poll that opened it, and the quiet stream's one check: then none.
    await act(() => vi.advanceTimersByTimeAsync(60_000));
    expect(polls()).toHaveLength(3);
    expect(FakeSource.made[1].readyState).toBe(FakeSource.OPEN);
  });

  it('polls when a proxy holds the events back: no event, and a ?since= check finds changes', async () => {
    const source = await following();
    fetchMock.mockImplementation(() => Promise.resolve(json(changes('v2', [BOB]))));
    // (vi.waitFor, in following(), may have moved the clock on by up to 50 ms.)
    await act(() => vi.advanceTimersByTimeAsync(4_900));
    expect(polls()).toEqual([]);
    await act(() => vi.advanceTimersByTimeAsync(100));
    expect(screen.getByText('Second')).toBeInTheDocument();
    expect(source.readyState).toBe(FakeSource.CLOSED);
    await act(() => vi.advanceTimersByTimeAsync(2000));
    expect(polls().length).toBeGreaterThanOrEqual(3);
  });

  it('keeps a quiet stream when the check finds nothing new, and checks once', async () => {
    const source = await following();
    fetchMock.mockImplementation(() => Promise.resolve(json(changes('v1'))));
    await act(() => vi.advanceTimersByTimeAsync(60_000));
    expect(polls()).toHaveLength(1);
    expect(source.readyState).toBe(FakeSource.OPEN);
  });

  it('polls when the stream is not open 5 s after it was asked for', async () => {
    fetchMock.mockResolvedValueOnce(page([ANN])).mockImplementation(() => Promise.resolve(json(changes('v1'))));
    render(<CommentBox pollInterval={2000} />);
    await act(() => vi.advanceTimersByTimeAsync(0));
    await vi.waitFor(() => expect(FakeSource.made).toHaveLength(1));
    await act(() => vi.advanceTimersByTimeAsync(5_000));
    expect(FakeSource.made[0].readyState).toBe(FakeSource.CLOSED);
    expect(polls()).toHaveLength(1);
  });

  it('says nothing while the stream reconnects, and reconnecting once it is down 10 s', async () => {
    const source = await following();
    act(() => source.send('changes', changes('v2', [BOB])));
    act(() => source.fail());
    await act(() => vi.advanceTimersByTimeAsync(9_999));
    act(() => source.open());
    await act(() => vi.advanceTimersByTimeAsync(20_000));
    expect(screen.queryByText(/Reconnecting/)).toBeNull();
    act(() => source.fail());
    await act(() => vi.advanceTimersByTimeAsync(10_000));
    expect(screen.getByText(/Reconnecting/)).toBeInTheDocument();
    act(() => source.open());
    expect(screen.queryByText(/Reconnecting/)).toBeNull();
    expect(polls()).toEqual([]);
  });

  it('closes the stream when the box goes away', async () => {
    const source = await following();
    cleanup();
    expect(source.readyState).toBe(FakeSource.CLOSED);
  });

  it('announces what the stream brings in the language spoken', async () => {
    await setLanguage('de');
    const source = await following();
    act(() => source.send('changes', changes('v2', [BOB])));
    expect(screen.getByText('Neuer Kommentar von Bob.')).toBeInTheDocument();
    act(() => source.send('changes', changes('v3', [{ ...BOB, id: 4 }, CY])));
    expect(screen.getByText('2 neue Kommentare.')).toBeInTheDocument();
  });
});
