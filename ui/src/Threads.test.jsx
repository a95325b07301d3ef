import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import axe from 'axe-core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import CommentBox from './CommentBox.jsx';

// A scripted stand-in for the threads API (the real server is exercised by the
// browser tests in tests/): one thread's comments with parents and placeholders,
// its version, whether it is closed; POST checks the parent and the closed state.
const at = (minute) => `2026-11-24T12:${String(minute).padStart(2, '0')}:00.000Z`;
const THREAD = '/blog/hello/';

function fakeApi() {
  const api = {
    comments: [],
    closed: false,
    version: 1,
    requests: [],
    changes: null,
  };
  const reply = (body, status = 200, extra = {}) =>
    new Response(body === null ? null : JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json', ...extra },
    });
  api.fetch = async (url, options = {}) => {
    const method = options.method || 'GET';
    const address = new URL(url, 'http://page.test');
    const body = options.body ? JSON.parse(options.body) : null;
    api.requests.push({ method, url, body, thread: address.searchParams.get('thread') });
    if (address.pathname === '/api/threads') {
      return reply({ thread: address.searchParams.get('thread'), closed: api.closed, count: api.comments.length });
    }
    if (method === 'GET') {
      const since = address.searchParams.get('since');
      if (since !== null) {
        const answer = api.changes ?? { version: `v${api.version}`, comments: [], removed: [] };
        api.changes = null;
        return reply(answer, 200, { 'Comments-Version': answer.version, ETag: `"${answer.version}.s"` });
      }
      return reply(api.comments, 200, { 'Comments-Version': `v${api.version}`, ETag: `"v${api.version}"` });
    }
    if (method === 'POST') {
      if (api.closed) return reply({ error: 'this thread is closed: it takes no new comments' }, 403);
      const parent = body.parent ?? null;
      if (parent !== null && !api.comments.some((c) => c.id === parent && !c.removed)) {
        return reply({ error: 'the comment cannot be stored', fields: { parent: 'no such comment to reply to' } }, 400);
      }
      const comment = { id: 100 + api.version, author: body.author, text: body.text, created: at(30), parent };
      api.version += 1;
      api.comments = [...api.comments, { ...comment, thread: THREAD }];
      return reply(comment, 201, {
        Location: `/api/comments/${comment.id}`,
        'Preference-Applied': 'return=minimal',
        'Comment-Token': `token-${comment.id}`,
      });
    }
    if (method === 'DELETE') {
      const id = Number(address.pathname.split('/').at(-1));
      api.comments = api.comments.filter((c) => c.id !== id);
      return reply(null, 204);
    }
    return reply({ error: 'not here' }, 404);
  };
  return api;
}

const ANN = { id: 1, author: 'Ann', text: 'Top', created: at(0), parent: null };
const BOB = { id: 2, author: 'Bob', text: 'Answer to Ann', created: at(1), parent: 1 };
const CY = { id: 3, author: 'Cy', text: 'Answer to Bob', created: at(2), parent: 2 };
const DI = { id: 4, author: 'Di', text: 'Answer to Cy', created: at(3), parent: 3 };
const ED = { id: 5, author: 'Ed', text: 'Another topic', created: at(4), parent: null };

let api;

beforeEach(() => {
  api = fakeApi();
  vi.stubGlobal('fetch', vi.fn((...args) => api.fetch(...args)));
  window.history.replaceState(null, '', `/?thread=${THREAD}`);
});

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

const article = (text) => screen.getByText(text, { selector: '.comment-text p' }).closest('article');
const item = (text) => article(text).closest('li');
const live = () => document.querySelector('[aria-live]');

async function open({ pollInterval = 60_000 } = {}) {
  const user = userEvent.setup();
  render(<CommentBox pollInterval={pollInterval} />);
  await screen.findByText(api.comments.find((c) => c.text)?.text ?? 'No comments yet. Be the first!');
  return user;
}

// No axe violation at all. Colour contrast needs layout, which jsdom has not: the
// browser tests check it.
async function expectAxeClean() {
  const results = await axe.run(document.body, { rules: { 'color-contrast': { enabled: false } } });
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`)).toEqual([]);
}

describe('threads on the page', () => {
  it('asks for the thread of ?thread= in every request, polls included', async () => {
    api.comments = [ANN];
    render(<CommentBox pollInterval={20} />);
    await screen.findByText('Top');
    await waitFor(() => expect(api.requests.filter((r) => r.url.includes('since=')).length).toBeGreaterThan(1));
    expect(api.requests[0].url).toBe('/api/comments?limit=50&thread=%2Fblog%2Fhello%2F');
    for (const request of api.requests) expect(request.thread).toBe(THREAD);
    expect(api.requests.some((r) => r.url === '/api/threads?thread=%2Fblog%2Fhello%2F')).toBe(true);
    expect(api.requests.find((r) => r.url.includes('since=')).url).toBe(
      '/api/comments?since=v1&thread=%2Fblog%2Fhello%2F',
    );
  });

  it('asks for no thread (and no thread state) without ?thread=', async () => {
    window.history.replaceState(null, '', '/');
    api.comments = [{ ...ANN, parent: undefined }];
    await open();
    expect(api.requests.map((r) => r.url)).toEqual(['/api/comments?limit=50']);
  });

  it('nests replies under their parent in lists, and is axe clean', async () => {
    api.comments = [ANN, BOB, CY, ED];
    await open();
    const top = item('Top');
    expect(top.parentElement).toHaveClass('comment-list');
    const replies = within(top).getByRole('list', { name: 'Replies to Ann' });
    expect(within(replies).getByText('Answer to Ann')).toBeInTheDocument();
    expect(item('Answer to Bob').parentElement.closest('li')).toBe(item('Answer to Ann'));
    expect(item('Another topic').parentElement).toBe(top.parentElement);
    // Nested in place: nothing says whom they answer.
    expect(screen.queryByText(/in reply to/)).toBeNull();
    await expectAxeClean();
  });

  it('shows a list without replies as before: one list, no nesting', async () => {
    api.comments = [ANN, ED];
    await open();
    expect(document.querySelectorAll('ol')).toHaveLength(1);
    expect(document.querySelector('ol')).not.toHaveAttribute('aria-label');
  });

  it('shows replies deeper than three levels at the third, saying whom they answer', async () => {
    const FAY = { id: 6, author: 'Fay', text: 'Answer to Di', created: at(5), parent: 4 };
    api.comments = [ANN, BOB, CY, DI, FAY];
    await open();
    const third = item('Answer to Bob').parentElement;
    expect(item('Answer to Cy').parentElement).toBe(third);
    expect(item('Answer to Di').parentElement).toBe(third);
    const note = within(article('Answer to Cy')).getByText(/in reply to/);
    expect(note).toHaveTextContent('in reply to Cy');
    expect(within(note).getByRole('link', { name: 'Cy' })).toHaveAttribute('href', '#comment-3');
    expect(within(article('Answer to Di')).getByText(/in reply to/)).toHaveTextContent('in reply to Di');
    expect(within(article('Answer to Bob')).queryByText(/in reply to/)).toBeNull();
  });

  it('shows a removed comment as "comment removed", its time, no buttons, its replies under it', async () => {
    const gone = { id: 3, parent: 2, removed: true, created: at(2) };
    api.comments = [ANN, BOB, gone, DI];
    await open();
    const placeholder = document.getElementById('comment-3');
    expect(within(placeholder).getByRole('heading', { name: 'comment removed' })).toBeInTheDocument();
    expect(placeholder.querySelector('time')).toHaveAttribute('datetime', at(2));
    expect(within(placeholder).queryByRole('button')).toBeNull();
    expect(placeholder.textContent).not.toMatch(/undefined|null/);
    // Di answers it: shown at the third level, saying so.
    expect(within(article('Answer to Cy')).getByText(/in reply to/)).toHaveTextContent(
      'in reply to a removed comment',
    );
    await expectAxeClean();
  });

  it('shows a reply whose parent is not on the page top-level, rather than dropping it', async () => {
    api.comments = [ED];
    render(<CommentBox pollInterval={20} />);
    await screen.findByText('Another topic');
    api.changes = {
      version: 'v2',
      comments: [{ id: 9, author: 'Gus', text: 'Late answer', created: at(9), parent: 1 }],
      removed: [],
    };
    expect(await screen.findByText('Late answer')).toBeInTheDocument();
    expect(item('Late answer').parentElement).toBe(item('Another topic').parentElement);
    expect(within(article('Late answer')).getByText(/in reply to/)).toHaveTextContent('in reply to an earlier comment');
    expect(live()).toHaveTextContent('New reply from Gus.');
  });

  it('puts a placeholder in place from a changes answer without announcing it', async () => {
    api.comments = [ANN, BOB];
    render(<CommentBox pollInterval={20} />);
    await screen.findByText('Top');
    api.changes = { version: 'v2', comments: [{ id: 1, parent: null, removed: true, created: at(0) }], removed: [] };
    await screen.findByRole('heading', { name: 'comment removed' });
    expect(screen.queryByText('Top')).toBeNull();
    expect(item('Answer to Ann').parentElement.closest('li')).toBe(document.getElementById('comment-1').closest('li'));
    expect(live()).not.toHaveTextContent('New');
    // Between two polls a comment came, was answered and was removed: only the answer is news.
    api.changes = {
      version: 'v3',
      comments: [
        { id: 7, parent: null, removed: true, created: at(7) },
        { id: 8, author: 'Gus', text: 'Answer to a gone one', created: at(8), parent: 7 },
      ],
      removed: [],
    };
    await screen.findByText('Answer to a gone one');
    expect(live()).toHaveTextContent('New reply from Gus.');
    expect(item('Answer to a gone one').parentElement.closest('li')).toBe(document.getElementById('comment-7').closest('li'));
  });
});

describe('replying', () => {
  it('opens a form under the comment, posts the reply with its parent and the thread, and nests it', async () => {
    localStorage.setItem('comments.author', 'Zoe');
    api.comments = [ANN, ED];
    const user = await open();
    const button = within(article('Top')).getByRole('button', { name: 'Reply' });
    expect(button).toHaveAttribute('aria-expanded', 'false');
    expect(button).not.toHaveAttribute('aria-controls');
    expect(button).toHaveAccessibleDescription('Ann');
    await user.click(button);
    expect(button).toHaveAttribute('aria-expanded', 'true');
    const form = document.getElementById(button.getAttribute('aria-controls'));
    expect(form).toHaveAccessibleName('Reply to Ann');
    expect(form.closest('li')).toBe(item('Top'));
    // The name is known: the focus is on the reply.
    expect(within(form).getByLabelText('Your reply')).toHaveFocus();
    await expectAxeClean();
    await user.keyboard('Agreed.');
    await user.click(within(form).getByRole('button', { name: 'Post reply' }));
    await waitFor(() => expect(form).not.toBeInTheDocument());
    const post = api.requests.find((r) => r.method === 'POST');
    expect(post.url).toBe('/api/comments?thread=%2Fblog%2Fhello%2F');
    expect(post.body).toMatchObject({ author: 'Zoe', text: 'Agreed.', parent: 1 });
    expect(button).toHaveFocus();
    expect(button).toHaveAttribute('aria-expanded', 'false');
    await waitFor(() => expect(item('Agreed.').parentElement.closest('li')).toBe(item('Top')));
    expect(live()).not.toHaveTextContent('New');
  });

  it('checks the reply as the main form does, and posts it once however often it is sent', async () => {
    api.comments = [ANN];
    const user = await open();
    await user.click(within(article('Top')).getByRole('button', { name: 'Reply' }));
    const form = screen.getByRole('form', { name: 'Reply to Ann' });
    // No name known: the focus starts there.
    expect(within(form).getByLabelText('Your name')).toHaveFocus();
    await user.click(within(form).getByRole('button', { name: 'Post reply' }));
    expect(within(form).getByText('Please enter your name.')).toBeInTheDocument();
    expect(api.requests.some((r) => r.method === 'POST')).toBe(false);
    let answer;
    const real = api.fetch;
    api.fetch = (url, options = {}) => {
      if (options.method !== 'POST') return real(url, options);
      api.requests.push({ method: 'POST', url, body: JSON.parse(options.body) });
      return new Promise((resolve) => (answer = () => resolve(real(url, options))));
    };
    await user.type(within(form).getByLabelText('Your name'), 'Zoe');
    await user.type(within(form).getByLabelText('Your reply'), 'Twice?');
    await user.click(within(form).getByRole('button', { name: 'Post reply' }));
    await user.type(within(form).getByLabelText('Your reply'), '{Control>}{Enter}{/Control}');
    expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    // Shown at once under its parent, while it posts.
    expect(item('Twice?').parentElement.closest('li')).toBe(item('Top'));
    await act(async () => answer());
    await waitFor(() => expect(form).not.toBeInTheDocument());
  });

  it('closes the form with Escape or Cancel, the focus back on Reply', async () => {
    api.comments = [ANN];
    const user = await open();
    const button = within(article('Top')).getByRole('button', { name: 'Reply' });
    await user.click(button);
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('form', { name: 'Reply to Ann' })).toBeNull();
    expect(button).toHaveFocus();
    await user.click(button);
    await user.click(within(screen.getByRole('form', { name: 'Reply to Ann' })).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('form', { name: 'Reply to Ann' })).toBeNull();
    expect(button).toHaveFocus();
  });

  it('shows why the server refused the parent, keeping the reply', async () => {
    localStorage.setItem('comments.author', 'Zoe');
    api.comments = [ANN];
    const user = await open();
    api.comments = [];
    await user.click(within(article('Top')).getByRole('button', { name: 'Reply' }));
    await user.keyboard('Still here?');
    await user.click(screen.getByRole('button', { name: 'Post reply' }));
    const form = screen.getByRole('form', { name: 'Reply to Ann' });
    expect(await within(form).findByRole('alert')).toHaveTextContent('no such comment to reply to');
    expect(within(form).getByLabelText('Your reply')).toHaveValue('Still here?');
  });

  it('offers no Reply on a comment still posting', async () => {
    api.comments = [ANN];
    const user = await open();
    api.fetch = ((real) => (url, options = {}) => (options.method === 'POST' ? new Promise(() => {}) : real(url, options)))(
      api.fetch,
    );
    await user.type(await screen.findByLabelText('Name'), 'Zoe');
    await user.type(screen.getByLabelText('Comment'), 'Slow');
    await user.click(screen.getByRole('button', { name: 'Post' }));
    expect(within(article('Slow')).queryByRole('button', { name: 'Reply' })).toBeNull();
    expect(within(article('Top')).getByRole('button', { name: 'Reply' })).toBeInTheDocument();
  });

  it('keeps the place of its own deleted comment that has replies', async () => {
    localStorage.setItem('comments.mine', JSON.stringify({ 1: { token: 'token-1', expires: Date.now() + 600_000 } }));
    api.comments = [ANN, BOB];
    const user = await open();
    await user.click(within(article('Top')).getByRole('button', { name: 'Delete' }));
    await user.click(within(article('Top')).getByRole('button', { name: 'Delete' }));
    const placeholder = await screen.findByRole('heading', { name: 'comment removed' });
    expect(screen.queryByText('Top')).toBeNull();
    expect(item('Answer to Ann').parentElement.closest('li')).toBe(placeholder.closest('li'));
    expect(api.requests.find((r) => r.method === 'DELETE').url).toBe('/api/comments/1');
  });
});

describe('comments waiting for a moderator', () => {
  it("shows its author those of this page's thread only, a waiting reply under its parent", async () => {
    const waiting = (id, text, thread, parent = null) => ({
      token: `token-${id}`,
      expires: Date.now() + 600_000,
      comment: { id, author: 'Zoe', text, created: at(20), status: 'pending', parent, thread },
    });
    localStorage.setItem(
      'comments.mine',
      JSON.stringify({
        20: waiting(20, 'Waiting reply here', THREAD, 1),
        21: waiting(21, 'Waiting elsewhere', '/other/'),
        22: waiting(22, 'Waiting in the default thread', undefined),
      }),
    );
    api.comments = [ANN];
    await open();
    expect(await screen.findByText('Waiting reply here')).toBeInTheDocument();
    expect(item('Waiting reply here').parentElement.closest('li')).toBe(item('Top'));
    expect(within(article('Waiting reply here')).getByText('Awaiting approval')).toBeInTheDocument();
    expect(within(article('Waiting reply here')).queryByRole('button', { name: 'Reply' })).toBeNull();
    expect(screen.queryByText('Waiting elsewhere')).toBeNull();
    expect(screen.queryByText('Waiting in the default thread')).toBeNull();
  });
});

describe('deleting a reply', () => {
  it('moves the focus to the comment it answered when it was the only reply', async () => {
    localStorage.setItem('comments.mine', JSON.stringify({ 2: { token: 'token-2', expires: Date.now() + 600_000 } }));
    // Ed comes after Bob in the flat list, not in Bob's list of replies.
    api.comments = [ANN, BOB, ED];
    const user = await open();
    await user.click(within(article('Answer to Ann')).getByRole('button', { name: 'Delete' }));
    await user.click(within(article('Answer to Ann')).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.queryByText('Answer to Ann')).toBeNull());
    expect(article('Top')).toHaveFocus();
  });
});

describe('a closed thread', () => {
  it('shows no form and no Reply once known closed, and says so', async () => {
    api.closed = true;
    api.comments = [ANN];
    await open();
    expect(await screen.findByText('This thread is closed: it takes no new comments.')).toBeInTheDocument();
    expect(screen.queryByLabelText('Comment')).toBeNull();
    expect(screen.queryByRole('button', { name: /Reply|Post/ })).toBeNull();
    await expectAxeClean();
  });

  it('shows the refusal when it closed meanwhile, keeping the words, and takes nothing more', async () => {
    api.comments = [ANN];
    const user = await open();
    api.closed = true;
    await user.type(screen.getByLabelText('Name'), 'Zoe');
    await user.type(screen.getByLabelText('Comment'), 'Too late');
    await user.click(screen.getByRole('button', { name: 'Post' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('this thread is closed: it takes no new comments');
    expect(screen.getByLabelText('Comment')).toHaveValue('Too late');
    expect(screen.getByRole('button', { name: 'Post' })).toBeDisabled();
    expect(screen.queryByRole('button', { name: 'Reply' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Post' }));
    expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });
});
