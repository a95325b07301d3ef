import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import CommentBox from './CommentBox.jsx';

// A scripted stand-in for the API (the real server is exercised by the browser
// tests in tests/): it keeps a list, hands out tokens on POST and honours them
// on PATCH and DELETE, and can hold new comments for a moderator.
function fakeApi({ moderation = 'off' } = {}) {
  const api = {
    comments: [{ id: 1, author: 'Ann', text: 'First', created: '2026-11-24T12:00:00.000Z' }],
    hidden: [],
    deleted: [],
    version: 1,
    moderation,
    requests: [],
  };
  const headers = (extra = {}) => new Headers({ 'Content-Type': 'application/json', ...extra });
  const reply = (body, status, extra) =>
    new Response(body === null ? null : JSON.stringify(body), { status, headers: headers(extra) });
  api.fetch = async (url, options = {}) => {
    const method = options.method || 'GET';
    const sent = new Headers(options.headers || {});
    api.requests.push({ method, url, token: sent.get('Comment-Token'), body: options.body });
    const etag = `"v${api.version}"`;
    if (method === 'GET') {
      // A server slow to list: the page must not need the list to show its own change.
      if (api.holdLists) return new Promise(() => {});
      const since = /[?&]since=v(\d+)/.exec(url);
      if (since) {
        // What changed, roughly: every published comment, and every id not public.
        const tag = `"v${api.version}.s${since[1]}"`;
        if (sent.get('If-None-Match') === tag) return reply(null, 304, { ETag: tag });
        const changed = Number(since[1]) === api.version;
        const removed = changed ? [] : [...api.hidden.map((c) => c.id), ...api.deleted];
        const answer = { version: `v${api.version}`, comments: changed ? [] : api.comments, removed };
        return reply(answer, 200, { ETag: tag, 'Comments-Version': answer.version });
      }
      return reply(api.comments, 200, { ETag: etag, 'Comments-Version': `v${api.version}` });
    }
    if (method === 'POST') {
      const { author, text } = JSON.parse(options.body);
      const comment = { id: 100 + api.version, author, text, created: new Date().toISOString() };
      api.version += 1;
      const token = `token-${comment.id}`;
      if (api.moderation === 'pre') {
        api.hidden.push(comment);
        return reply({ ...comment, status: 'pending' }, 202, { 'Comment-Token': token });
      }
      api.comments = [...api.comments, comment];
      if (api.minimal && sent.get('Prefer') === 'return=minimal') {
        return reply(comment, 201, {
          Location: `/api/comments/${comment.id}`,
          'Preference-Applied': 'return=minimal',
          'Comment-Token': token,
        });
      }
      return reply(api.comments, 201, {
        ETag: `"v${api.version}"`,
        Location: `/api/comments/${comment.id}`,
        'Comment-Token': token,
      });
    }
    const id = Number(url.split('/').at(-1));
    const comment = [...api.comments, ...api.hidden].find((c) => c.id === id);
    if (!comment) return reply({ error: `there is no comment with id ${id}` }, 404);
    if (sent.get('Comment-Token') !== `token-${id}` || api.expired) {
      return reply({ error: 'the token has expired' }, 403);
    }
    api.version += 1;
    if (method === 'DELETE') {
      api.comments = api.comments.filter((c) => c.id !== id);
      api.hidden = api.hidden.filter((c) => c.id !== id);
      api.deleted.push(id);
      return reply(null, 204);
    }
    const fields = JSON.parse(options.body);
    if (fields.text?.includes('\u0007')) {
      return reply({ error: 'text: no control characters', fields: { text: 'no control characters' } }, 400);
    }
    Object.assign(comment, fields, { edited: new Date().toISOString() });
    if (api.moderation === 'pre') {
      // An author's edit goes back to the queue.
      api.comments = api.comments.filter((c) => c.id !== id);
      if (!api.hidden.includes(comment)) api.hidden.push(comment);
      return reply({ ...comment, status: 'pending' }, 200);
    }
    api.comments = api.comments.map((c) => (c.id === id ? { ...comment } : c));
    return reply(comment, 200);
  };
  api.publish = (id) => {
    const comment = api.hidden.find((c) => c.id === id);
    api.hidden = api.hidden.filter((c) => c !== comment);
    api.comments = [...api.comments, comment];
    api.version += 1;
  };
  return api;
}

let api;

beforeEach(() => {
  api = fakeApi();
  vi.stubGlobal('fetch', vi.fn((...args) => api.fetch(...args)));
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

async function post(user, name, text) {
  await user.type(await screen.findByLabelText('Name'), name);
  await user.type(screen.getByLabelText('Comment'), text);
  await user.click(screen.getByRole('button', { name: 'Post' }));
}

const article = (text) => screen.getByText(text, { selector: '.comment-text p' }).closest('article');
const live = () => document.querySelector('[aria-live]');

async function postMine(user, text = 'Mine') {
  render(<CommentBox pollInterval={60_000} />);
  await screen.findByText('First');
  await post(user, 'Cy', text);
  await waitFor(() => expect(within(article(text)).getByRole('button', { name: 'Edit' })).toBeInTheDocument());
  return article(text);
}

describe('the comments posted from this page', () => {
  it('offers Edit and Delete on them only', async () => {
    const user = userEvent.setup();
    const mine = await postMine(user);
    // Others' comments can be answered, not changed.
    const buttons = (comment) => within(comment).getAllByRole('button').map((b) => b.textContent);
    expect(buttons(article('First'))).toEqual(['Reply']);
    expect(buttons(mine)).toEqual(['Reply', 'Edit', 'Delete']);
    // Read out with the author they are about, among several comments' buttons.
    expect(within(mine).getByRole('button', { name: 'Edit' })).toHaveAccessibleDescription('Cy');
    expect(within(mine).getByRole('button', { name: 'Delete' })).toHaveAccessibleDescription('Cy');
    expect(JSON.parse(localStorage.getItem('comments.mine'))).toHaveProperty('101.token', 'token-101');
  });

  it('takes the comment alone when the server answers so (Prefer: return=minimal)', async () => {
    api.minimal = true;
    const user = userEvent.setup();
    const mine = await postMine(user);
    expect(within(mine).getByRole('button', { name: 'Delete' })).toBeInTheDocument();
    expect(screen.getAllByText('Mine', { selector: '.comment-text p' })).toHaveLength(1);
    expect(screen.getByText('First')).toBeInTheDocument();
    expect(live()).not.toHaveTextContent('New comment');
    expect(JSON.parse(localStorage.getItem('comments.mine'))).toHaveProperty('101.token', 'token-101');
  });

  it('edits in place with the token, updates the list at once and says so', async () => {
    const user = userEvent.setup();
    const mine = await postMine(user);
    await user.click(within(mine).getByRole('button', { name: 'Edit' }));
    const field = within(mine).getByLabelText('Your comment');
    expect(field).toHaveFocus();
    await user.clear(field);
    api.holdLists = true;
    await user.type(field, 'Mine, *fixed*{Control>}{Enter}{/Control}');
    await waitFor(() => expect(within(mine).getByText('fixed').tagName).toBe('EM'));
    const patch = api.requests.find((r) => r.method === 'PATCH');
    expect(patch).toMatchObject({ url: '/api/comments/101', token: 'token-101' });
    expect(JSON.parse(patch.body)).toEqual({ text: 'Mine, *fixed*' });
    expect(within(mine).getByText('(edited)')).toBeInTheDocument();
    expect(within(mine).getByRole('button', { name: 'Edit' })).toHaveFocus();
    expect(live()).toHaveTextContent('Your comment was changed.');
    // A second change is announced again: a new element, though the words are the same.
    const said = live().firstChild;
    await user.click(within(mine).getByRole('button', { name: 'Edit' }));
    await user.type(within(mine).getByLabelText('Your comment'), '!{Control>}{Enter}{/Control}');
    await within(mine).findByText('!', { exact: false, selector: 'p' });
    await waitFor(() => expect(live().firstChild).not.toBe(said));
    expect(live()).toHaveTextContent('Your comment was changed.');
  });

  it('shows the server refusing an edit beside the field, and keeps editing', async () => {
    const user = userEvent.setup();
    const mine = await postMine(user);
    await user.click(within(mine).getByRole('button', { name: 'Edit' }));
    await user.type(within(mine).getByLabelText('Your comment'), ' \u0007');
    await user.click(within(mine).getByRole('button', { name: 'Save' }));
    expect(await within(mine).findByRole('alert')).toHaveTextContent('no control characters');
    expect(within(mine).getByLabelText('Your comment')).toHaveAttribute('aria-invalid', 'true');
  });

  it('deletes after asking, moves focus on and says so', async () => {
    const user = userEvent.setup();
    const mine = await postMine(user);
    await user.click(within(mine).getByRole('button', { name: 'Delete' }));
    expect(api.requests.some((r) => r.method === 'DELETE')).toBe(false);
    api.holdLists = true;
    await user.click(within(mine).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.queryByText('Mine', { selector: '.comment-text p' })).toBeNull());
    expect(api.requests.find((r) => r.method === 'DELETE')).toMatchObject({ url: '/api/comments/101', token: 'token-101' });
    expect(article('First')).toHaveFocus();
    expect(live()).toHaveTextContent('Your comment was deleted.');
    expect(localStorage.getItem('comments.mine')).toBeNull();
  });

  it('keeps the tokens over a reload, within the window', async () => {
    const user = userEvent.setup();
    const { unmount } = render(<CommentBox pollInterval={60_000} />);
    await screen.findByText('First');
    await post(user, 'Cy', 'Mine');
    await screen.findByRole('button', { name: 'Edit' });
    unmount();
    render(<CommentBox pollInterval={60_000} />);
    await screen.findByText('Mine', { selector: '.comment-text p' });
    expect(within(article('Mine')).getByRole('button', { name: 'Edit' })).toBeInTheDocument();
  });

  it('drops them when the window ends, and the buttons go', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    const mine = await postMine(user);
    await act(() => vi.advanceTimersByTimeAsync(14 * 60_000));
    expect(within(mine).getByRole('button', { name: 'Edit' })).toBeInTheDocument();
    await act(() => vi.advanceTimersByTimeAsync(60_000 + 100));
    expect(within(mine).queryByRole('button', { name: 'Edit' })).toBeNull();
    expect(localStorage.getItem('comments.mine')).toBeNull();
  });

  it('forgets a token the server refuses, and says why', async () => {
    const user = userEvent.setup();
    const mine = await postMine(user);
    api.expired = true;
    await user.click(within(mine).getByRole('button', { name: 'Edit' }));
    await user.type(within(mine).getByLabelText('Your comment'), '!');
    await user.click(within(mine).getByRole('button', { name: 'Save' }));
    expect(await within(mine).findByRole('alert')).toHaveTextContent('can no longer be changed');
    expect(within(mine).queryByRole('button', { name: 'Edit' })).toBeNull();
    expect(within(mine).queryByLabelText('Your comment')).toBeNull();
    expect(mine).toHaveFocus();
    expect(localStorage.getItem('comments.mine')).toBeNull();
  });
});

describe('a comment held for a moderator', () => {
  beforeEach(() => {
    api.moderation = 'pre';
  });

  it('is shown to its author as awaiting approval, over a reload, until published', async () => {
    const user = userEvent.setup();
    const { unmount } = render(<CommentBox pollInterval={60_000} />);
    await screen.findByText('First');
    await post(user, 'Cy', 'Held');
    const held = await screen.findByText('Held', { selector: '.comment-text p' });
    expect(within(held.closest('article')).getByText('Awaiting approval')).toBeInTheDocument();
    expect(live()).toHaveTextContent('once a moderator approves it');
    expect(api.comments.map((c) => c.text)).toEqual(['First']);
    unmount();

    render(<CommentBox pollInterval={20} />);
    const again = await screen.findByText('Held', { selector: '.comment-text p' });
    expect(within(again.closest('article')).getByText('Awaiting approval')).toBeInTheDocument();
    expect(within(again.closest('article')).getByRole('button', { name: 'Edit' })).toBeInTheDocument();
    act(() => api.publish(101));
    // The next poll brings it in the public list.
    await waitFor(() => expect(screen.queryByText('Awaiting approval')).toBeNull());
    expect(screen.getAllByText('Held', { selector: '.comment-text p' })).toHaveLength(1);
    // The memory keeps the token, and drops the copy the list now carries.
    await waitFor(() =>
      expect(JSON.parse(localStorage.getItem('comments.mine'))[101]).toEqual({
        token: 'token-101',
        expires: expect.any(Number),
      }),
    );
  });

  it('can be edited and deleted by its author while it waits', async () => {
    const user = userEvent.setup();
    render(<CommentBox pollInterval={60_000} />);
    await screen.findByText('First');
    await post(user, 'Cy', 'Held');
    const held = (await screen.findByText('Held', { selector: '.comment-text p' })).closest('article');
    await user.click(within(held).getByRole('button', { name: 'Edit' }));
    await user.type(within(held).getByLabelText('Your comment'), ' again{Control>}{Enter}{/Control}');
    await within(held).findByText('Held again');
    expect(within(held).getByText('Awaiting approval')).toBeInTheDocument();
    expect(JSON.parse(localStorage.getItem('comments.mine'))[101].comment.text).toBe('Held again');
    await user.click(within(held).getByRole('button', { name: 'Delete' }));
    await user.click(within(held).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.queryByText('Held again')).toBeNull());
    expect(api.hidden).toEqual([]);
  });

  it('goes back to waiting when its author edits it after publication, and stays in sight', async () => {
    api.moderation = 'off';
    const user = userEvent.setup();
    const mine = await postMine(user);
    api.moderation = 'pre';
    await user.click(within(mine).getByRole('button', { name: 'Edit' }));
    await user.type(within(mine).getByLabelText('Your comment'), ', changed{Control>}{Enter}{/Control}');
    const changed = (await screen.findByText('Mine, changed', { selector: '.comment-text p' })).closest('article');
    expect(within(changed).getByText('Awaiting approval')).toBeInTheDocument();
    expect(live()).toHaveTextContent('once a moderator approves it');
    expect(screen.getAllByRole('heading', { name: 'Cy' })).toHaveLength(1);
    expect(JSON.parse(localStorage.getItem('comments.mine'))[101].comment.text).toBe('Mine, changed');
  });
});
