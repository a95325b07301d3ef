import { screen, waitFor, within } from '@testing-library/react';
import axe from 'axe-core';
import { describe, expect, it } from 'vitest';
import { article, live, open, useFakeApi } from './moderationTesting.jsx';

// A scripted stand-in for the moderation API with threads (the real one is
// exercised by the browser tests in tests/): ?thread= filters, /api/threads tells
// and changes whether a thread is closed.
function fakeApi() {
  const api = {
    comments: [
      { id: 1, author: 'Ann', text: 'Old words', status: 'published' },
      { id: 2, author: 'Bob', text: 'On hello', status: 'published', thread: '/blog/hello/', parent: null },
      { id: 3, author: 'Cy', text: 'On hello too', status: 'pending', thread: '/blog/hello/', parent: 2 },
      { id: 4, author: 'Di', text: 'On café', status: 'published', thread: '/blog/caf%C3%A9/', parent: null },
    ],
    closed: new Set(),
    requests: [],
  };
  const reply = (body, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  const state = (thread) => ({
    thread,
    closed: api.closed.has(thread),
    count: api.comments.filter((c) => c.thread === thread).length,
  });
  api.fetch = async (url, options = {}) => {
    const method = options.method || 'GET';
    const body = options.body ? JSON.parse(options.body) : null;
    api.requests.push({ method, url, body });
    const address = new URL(url, 'http://page.test');
    const thread = address.searchParams.get('thread');
    if (address.pathname === '/api/threads') {
      if (method === 'GET') return reply(state(thread));
      if (body.closed) api.closed.add(body.thread);
      else api.closed.delete(body.thread);
      return reply(state(body.thread));
    }
    const status = address.searchParams.get('status');
    return reply(api.comments.filter((c) => (!status || c.status === status) && (!thread || c.thread === thread)));
  };
  return api;
}

let api;
useFakeApi(fakeApi, (made) => {
  api = made;
});

describe('threads in the moderation view', () => {
  it("shows each comment's thread: a link to its page, or the default thread", async () => {
    await open();
    expect(within(article('Ann')).getByText('In the default thread')).toBeInTheDocument();
    expect(within(article('Bob')).getByRole('link', { name: '/blog/hello/' })).toHaveAttribute(
      'href',
      '/?thread=/blog/hello/',
    );
    // The escape stays an escape: the page asks for the very thread the comment is in.
    const link = within(article('Di')).getByRole('link', { name: '/blog/caf%C3%A9/' });
    expect(new URL(link.href).searchParams.get('thread')).toBe('/blog/caf%C3%A9/');
    const results = await axe.run(document.body, { rules: { 'color-contrast': { enabled: false } } });
    expect(results.violations.map((v) => v.id)).toEqual([]);
  });

  it('filters by a typed thread, asking the server, and keeps it in the address', async () => {
    const user = await open();
    await user.type(screen.getByLabelText('Thread'), '/blog/hello/{Enter}');
    await waitFor(() => expect(screen.queryByRole('heading', { name: 'Ann' })).toBeNull());
    expect(screen.getByRole('heading', { name: 'Bob' })).toBeInTheDocument();
    expect(screen.getByText('2 comments in /blog/hello/')).toBeInTheDocument();
    expect(api.requests.some((r) => r.url === '/api/moderation/comments?thread=%2Fblog%2Fhello%2F')).toBe(true);
    expect(new URLSearchParams(window.location.search).get('thread')).toBe('/blog/hello/');
    // With the status filter too.
    await user.selectOptions(screen.getByLabelText('Show'), 'pending');
    await waitFor(() =>
      expect(api.requests.at(-1).url).toBe('/api/moderation/comments?status=pending&thread=%2Fblog%2Fhello%2F'),
    );
  });

  it('offers the threads seen, filters from a comment, and goes back to every thread', async () => {
    const user = await open();
    const options = () => [...document.querySelectorAll('datalist option')].map((o) => o.value);
    await waitFor(() => expect(options()).toEqual(['/blog/caf%C3%A9/', '/blog/hello/']));
    await user.click(within(article('Di')).getByRole('button', { name: 'Only this thread' }));
    await waitFor(() => expect(screen.queryByRole('heading', { name: 'Bob' })).toBeNull());
    expect(screen.getByLabelText('Thread')).toHaveValue('/blog/caf%C3%A9/');
    // The button went with the filter: the focus is on the thread's panel.
    expect(screen.getByRole('heading', { name: 'Thread /blog/caf%C3%A9/' })).toHaveFocus();
    await user.click(screen.getByRole('button', { name: 'Every thread' }));
    expect(await screen.findByRole('heading', { name: 'Bob' })).toBeInTheDocument();
    expect(new URLSearchParams(window.location.search).has('thread')).toBe(false);
  });

  it('refuses a thread that is not a path, saying why, without asking', async () => {
    const user = await open();
    const before = api.requests.length;
    await user.type(screen.getByLabelText('Thread'), 'blog{Enter}');
    expect(screen.getByRole('alert')).toHaveTextContent('starting with /');
    expect(screen.getByLabelText('Thread')).toHaveAttribute('aria-invalid', 'true');
    expect(api.requests.length).toBe(before);
  });

  it("shows the filtered thread's state, and closes and reopens it", async () => {
    const user = await open('/moderate?thread=/blog/hello/');
    const panel = screen.getByRole('region', { name: 'Thread /blog/hello/' });
    expect(await within(panel).findByText('Open to new comments (2 comments).')).toBeInTheDocument();
    expect(api.requests.some((r) => r.url === '/api/threads?thread=%2Fblog%2Fhello%2F')).toBe(true);
    await user.click(within(panel).getByRole('button', { name: 'Close thread' }));
    expect(await within(panel).findByText('Closed: it takes no new comments (2 comments).')).toBeInTheDocument();
    const patch = api.requests.find((r) => r.method === 'PATCH');
    expect(patch.url).toBe('/api/threads');
    expect(patch.body).toEqual({ thread: '/blog/hello/', closed: true });
    expect(live()).toHaveTextContent('Closed the thread /blog/hello/.');
    await user.click(within(panel).getByRole('button', { name: 'Reopen thread' }));
    expect(await within(panel).findByText('Open to new comments (2 comments).')).toBeInTheDocument();
    expect(api.requests.filter((r) => r.method === 'PATCH').at(-1).body).toEqual({
      thread: '/blog/hello/',
      closed: false,
    });
    expect(live()).toHaveTextContent('Reopened the thread /blog/hello/.');
  });

  it('shows a refused close beside the control', async () => {
    const user = await open('/moderate?thread=/blog/hello/');
    const panel = screen.getByRole('region', { name: 'Thread /blog/hello/' });
    await within(panel).findByText(/Open to new comments/);
    const real = api.fetch;
    api.fetch = async (url, options = {}) =>
      options.method === 'PATCH'
        ? new Response(JSON.stringify({ error: 'The store could not be written.' }), { status: 500 })
        : real(url, options);
    await user.click(within(panel).getByRole('button', { name: 'Close thread' }));
    expect(await within(panel).findByRole('alert')).toHaveTextContent('could not be written');
    expect(within(panel).getByRole('button', { name: 'Close thread' })).toBeEnabled();
  });
});
