import { render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import ModerationView from './ModerationView.jsx';
import { article, live, open, useFakeApi } from './moderationTesting.jsx';

// A scripted stand-in for the moderation API (the real one is exercised by
// the browser tests in tests/).
function fakeApi() {
  const api = {
    comments: [
      { id: 1, author: 'Ann', text: 'Fine *words*', status: 'published', created: '2026-11-24T12:00:00.000Z' },
      { id: 2, author: 'Bob', text: 'Rude words', status: 'published', created: '2026-11-24T12:01:00.000Z' },
      { id: 3, author: 'Cy', text: 'Waiting', status: 'pending', created: '2026-11-24T12:02:00.000Z' },
      { id: 4, author: 'Di', text: '<img src=x onerror="window.__pwned=1">[x](javascript:alert(1))', status: 'hidden' },
    ],
    requests: [],
    refuse: null,
  };
  const reply = (body, status) =>
    new Response(body === null ? null : JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json' },
    });
  api.fetch = async (url, options = {}) => {
    const method = options.method || 'GET';
    api.requests.push({ method, url, body: options.body });
    if (api.refuse) return reply({ error: api.refuse.error }, api.refuse.status);
    const address = new URL(url, 'http://page.test');
    if (method === 'GET') {
      const status = address.searchParams.get('status');
      return reply(api.comments.filter((c) => !status || c.status === status), 200);
    }
    const id = Number(address.pathname.split('/').at(-1));
    if (!api.comments.some((c) => c.id === id)) return reply({ error: 'no such comment' }, 404);
    if (method === 'DELETE') {
      api.comments = api.comments.filter((c) => c.id !== id);
      return reply(null, 204);
    }
    const { status } = JSON.parse(options.body);
    api.comments = api.comments.map((c) => (c.id === id ? { ...c, status } : c));
    return reply(api.comments.find((c) => c.id === id), 200);
  };
  return api;
}

let api;
useFakeApi(fakeApi, (made) => {
  api = made;
});

describe('ModerationView', () => {
  it('lists every comment with its status and the buttons that apply', async () => {
    await open();
    expect(screen.getByText('4 comments')).toBeInTheDocument();
    expect(within(article('Ann')).getByText('Published')).toBeInTheDocument();
    expect(within(article('Cy')).getByText('Pending')).toBeInTheDocument();
    expect(within(article('Di')).getByText('Hidden')).toBeInTheDocument();
    const buttons = (author) => within(article(author)).getAllByRole('button').map((b) => b.textContent);
    expect(buttons('Ann')).toEqual(['Hide', 'Delete']);
    expect(buttons('Cy')).toEqual(['Publish', 'Hide', 'Delete']);
    expect(buttons('Di')).toEqual(['Publish', 'Delete']);
    for (const button of within(article('Cy')).getAllByRole('button')) {
      expect(button).toHaveAccessibleDescription('Cy');
    }
    expect(api.requests[0]).toMatchObject({ method: 'GET', url: '/api/moderation/comments' });
  });

  it('renders the same sanitised Markdown as the page', async () => {
    await open();
    expect(within(article('Ann')).getByText('words').tagName).toBe('EM');
    const hostile = article('Di');
    expect(hostile.querySelector('img, script')).toBeNull();
    expect(hostile.querySelector('[onerror]')).toBeNull();
    for (const link of hostile.querySelectorAll('a')) {
      expect(link.getAttribute('href') ?? '').not.toMatch(/^\s*javascript:/i);
    }
    expect(window.__pwned).toBeUndefined();
  });

  it('filters by status, asking the server, and keeps the filter in the address', async () => {
    const user = await open();
    await user.selectOptions(screen.getByLabelText('Show'), 'pending');
    await waitFor(() => expect(screen.queryByRole('heading', { name: 'Ann' })).toBeNull());
    expect(screen.getByRole('heading', { name: 'Cy' })).toBeInTheDocument();
    expect(screen.getByText('1 comment (pending)')).toBeInTheDocument();
    expect(api.requests.at(-1).url).toBe('/api/moderation/comments?status=pending');
    expect(window.location.search).toBe('?status=pending');
  });

  it('filters the honeypot spam, badged as such', async () => {
    api.comments.push({ id: 9, author: 'Bot', text: 'cheap pills', status: 'spam' });
    const user = await open();
    await user.selectOptions(screen.getByLabelText('Show'), 'spam');
    await waitFor(() => expect(screen.queryByRole('heading', { name: 'Ann' })).toBeNull());
    expect(within(article('Bot')).getByText('Spam')).toBeInTheDocument();
    expect(api.requests.at(-1).url).toBe('/api/moderation/comments?status=spam');
  });

  it('starts with the filter in the address', async () => {
    window.history.replaceState(null, '', '/moderate?status=hidden');
    render(<ModerationView />);
    await screen.findByRole('heading', { name: 'Di' });
    expect(screen.getByLabelText('Show')).toHaveValue('hidden');
    expect(api.requests[0].url).toBe('/api/moderation/comments?status=hidden');
  });

  it('hides a comment: PATCH status, the badge changes at once, announced', async () => {
    const user = await open();
    await user.click(within(article('Bob')).getByRole('button', { name: 'Hide' }));
    await waitFor(() => expect(within(article('Bob')).getByText('Hidden')).toBeInTheDocument());
    const patch = api.requests.find((r) => r.method === 'PATCH');
    expect(patch.url).toBe('/api/comments/2');
    expect(JSON.parse(patch.body)).toEqual({ status: 'hidden' });
    expect(within(article('Bob')).getAllByRole('button').map((b) => b.textContent)).toEqual(['Publish', 'Delete']);
    expect(live()).toHaveTextContent('Hid the comment by Bob.');
  });

  it('publishes from the pending filter: the comment leaves it and focus moves on', async () => {
    api.comments.push({ id: 5, author: 'Ed', text: 'Also waiting', status: 'pending' });
    const user = await open('/moderate?status=pending');
    await user.click(within(article('Cy')).getByRole('button', { name: 'Publish' }));
    await waitFor(() => expect(screen.queryByRole('heading', { name: 'Cy' })).toBeNull());
    expect(article('Ed')).toHaveFocus();
    expect(live()).toHaveTextContent('Published the comment by Cy.');
  });

  it('deletes only after confirmation', async () => {
    const user = await open();
    await user.click(within(article('Bob')).getByRole('button', { name: 'Delete' }));
    expect(api.requests.some((r) => r.method === 'DELETE')).toBe(false);
    await user.click(within(article('Bob')).getByRole('button', { name: 'Keep' }));
    expect(api.requests.some((r) => r.method === 'DELETE')).toBe(false);
    await user.click(within(article('Bob')).getByRole('button', { name: 'Delete' }));
    await user.click(within(article('Bob')).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.queryByRole('heading', { name: 'Bob' })).toBeNull());
    expect(api.requests.find((r) => r.method === 'DELETE').url).toBe('/api/comments/2');
    expect(article('Cy')).toHaveFocus();
    expect(screen.getByText('3 comments')).toBeInTheDocument();
  });

  it('shows a refused action beside the comment', async () => {
    const user = await open();
    api.refuse = { status: 500, error: 'The store could not be written.' };
    await user.click(within(article('Bob')).getByRole('button', { name: 'Hide' }));
    expect(await within(article('Bob')).findByRole('alert')).toHaveTextContent('could not be written');
    expect(within(article('Bob')).getByText('Published')).toBeInTheDocument();
  });

  it('says a moderator login is needed when the prompt was cancelled', async () => {
    api.refuse = { status: 401, error: 'login required' };
    render(<ModerationView />);
    expect(await screen.findByRole('alert')).toHaveTextContent('needs a moderator’s login');
  });

  it('reloads on Refresh', async () => {
    const user = await open();
    api.comments.push({ id: 6, author: 'Flo', text: 'New', status: 'pending' });
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(await screen.findByRole('heading', { name: 'Flo' })).toBeInTheDocument();
  });
});
