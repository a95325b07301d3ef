import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from './api.js';
import CommentForm from './CommentForm.jsx';
import { postComment } from './writes.js';

// What the form hands on besides the honeypot when no email is typed.
const NO_EMAIL = { email: '', notifyReplies: false };

function setup(onSubmit = vi.fn().mockResolvedValue(undefined)) {
  render(<CommentForm onSubmit={onSubmit} />);
  return {
    onSubmit,
    user: userEvent.setup(),
    name: screen.getByLabelText('Name'),
    comment: screen.getByLabelText('Comment'),
    post: screen.getByRole('button', { name: 'Post' }),
  };
}

describe('CommentForm', () => {
  it('refuses empty fields before sending, and says why', async () => {
    const { user, post, onSubmit, name, comment } = setup();
    await user.click(post);
    expect(onSubmit).not.toHaveBeenCalled();
    const alerts = screen.getAllByRole('alert').map((alert) => alert.textContent);
    expect(alerts).toEqual(['Please enter your name.', 'Please write a comment.']);
    expect(name).toHaveAttribute('aria-invalid', 'true');
    await user.type(name, 'Ann');
    await user.click(post);
    expect(screen.getByRole('alert')).toHaveTextContent('Please write a comment.');
    expect(comment).toHaveAttribute('aria-invalid', 'true');
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('refuses over-long fields', async () => {
    const { user, post, onSubmit, name, comment } = setup();
    await user.click(name);
    await user.paste('n'.repeat(101));
    await user.click(comment);
    await user.paste('x');
    await user.click(post);
    expect(screen.getByRole('alert')).toHaveTextContent('the limit is 100');
    await user.clear(name);
    await user.type(name, 'Ann');
    await user.clear(comment);
    await user.click(comment);
    await user.paste('x'.repeat(10_001));
    await user.click(post);
    expect(screen.getByRole('alert')).toHaveTextContent('the limit is 10,000');
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('posts trimmed values, clears the comment, keeps and remembers the name', async () => {
    const { user, post, onSubmit, name, comment } = setup();
    await user.type(name, '  Ann ');
    await user.type(comment, ' Hello *world* ');
    await user.click(post);
    expect(onSubmit).toHaveBeenCalledWith('Ann', 'Hello *world*', { website: '', ...NO_EMAIL });
    expect(comment).toHaveValue('');
    expect(name).toHaveValue('  Ann ');
    expect(localStorage.getItem('comments.author')).toBe('Ann');
  });

  it('starts with the remembered name', () => {
    localStorage.setItem('comments.author', 'Bea');
    const { name } = setup();
    expect(name).toHaveValue('Bea');
  });

  it('disables the button while posting', async () => {
    let finish;
    const { user, post, name, comment } = setup(() => new Promise((resolve) => (finish = resolve)));
    await user.type(name, 'Ann');
    await user.type(comment, 'Hi');
    await user.click(post);
    expect(post).toBeDisabled();
    finish();
    await vi.waitFor(() => expect(post).toBeEnabled());
  });

  it('shows the server refusal and keeps the text', async () => {
    const { user, post, name, comment } = setup(vi.fn().mockRejectedValue(new Error('text is too rude')));
    await user.type(name, 'Ann');
    await user.type(comment, 'Hi');
    await user.click(post);
    expect(await screen.findByRole('alert')).toHaveTextContent('text is too rude');
    expect(comment).toHaveValue('Hi');
  });

  it.each([['{Control>}{Enter}{/Control}'], ['{Meta>}{Enter}{/Meta}']])('posts on %s', async (keys) => {
    const { user, onSubmit, name, comment } = setup();
    await user.type(name, 'Ann');
    await user.type(comment, 'Quick');
    await user.keyboard(keys);
    expect(onSubmit).toHaveBeenCalledWith('Ann', 'Quick', { website: '', ...NO_EMAIL });
  });

  it('says when to post again after a 429 and keeps the text', async () => {
    const refusal = new ApiError(429, 'too many comments from your address; try again in 42 seconds', {}, 42);
    const { user, post, name, comment } = setup(vi.fn().mockRejectedValue(refusal));
    await user.type(name, 'Ann');
    await user.type(comment, 'Hi again');
    await user.click(post);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('try again in 42 seconds');
    expect(alert).toHaveTextContent(/You can post again at \d/);
    expect(comment).toHaveValue('Hi again');
  });

  it('carries a honeypot field that people, screen readers and autofill never use', async () => {
    const { user, post, onSubmit, name, comment } = setup();
    const trap = document.querySelector('input[name="website"]');
    expect(trap).toHaveAttribute('tabindex', '-1');
    expect(trap).toHaveAttribute('autocomplete', 'off');
    expect(trap.closest('[aria-hidden="true"]')).not.toBeNull();
    expect(screen.queryByRole('textbox', { name: /empty/i })).toBeNull();
    // Tabbing from the comment goes by the email (its choice disabled while empty) to the
    // button, never into the trap.
    await user.type(name, 'Ann');
    await user.type(comment, 'Hi');
    await user.tab();
    expect(screen.getByLabelText('Email')).toHaveFocus();
    await user.tab();
    expect(post).toHaveFocus();
    trap.value = 'https://spam.example';
    await user.click(post);
    expect(onSubmit).toHaveBeenCalledWith('Ann', 'Hi', { website: 'https://spam.example', ...NO_EMAIL });
  });

  it('sends a comment once however often it is submitted while posting', async () => {
    let finish;
    const onSubmit = vi.fn(() => new Promise((resolve) => (finish = resolve)));
    const { user, name, comment } = setup(onSubmit);
    await user.type(name, 'Ann');
    await user.type(comment, 'Once');
    // Ctrl+Enter submits the form without the (disabled) button, so the form itself must refuse.
    await user.keyboard('{Control>}{Enter}{Enter}{Enter}{/Control}');
    expect(onSubmit).toHaveBeenCalledTimes(1);
    finish();
    await vi.waitFor(() => expect(comment).toHaveValue(''));
    expect(onSubmit).toHaveBeenCalledTimes(1);
  });
});

describe('the email field', () => {
  afterEach(() => vi.unstubAllGlobals());

  const created = () => new Response('[]', { status: 201, headers: { 'Content-Type': 'application/json' } });

  // The form posting through the real postComment; bodies() are the JSON bodies fetch was given.
  function wired(answer = created) {
    const fetchMock = vi.fn(async () => answer());
    vi.stubGlobal('fetch', fetchMock);
    const post = (author, text, extras) => postComment(author, text, { ...extras, retryDelays: [] });
    render(<CommentForm onSubmit={post} />);
    return {
      user: userEvent.setup(),
      bodies: () => fetchMock.mock.calls.map(([, init]) => JSON.parse(init.body)),
      email: screen.getByLabelText('Email'),
      notify: screen.getByLabelText('Email me when someone replies'),
      post: screen.getByRole('button', { name: 'Post' }),
    };
  }

  async function write(user, author, text) {
    await user.type(screen.getByLabelText('Name'), author);
    await user.type(screen.getByLabelText('Comment'), text);
  }

  it('offers the replies choice only once an address is typed, and says what the address is for', async () => {
    const { user, email, notify } = wired();
    expect(email).toHaveAttribute('type', 'email');
    expect(email).toHaveAttribute('autocomplete', 'email');
    expect(email).toHaveAttribute('maxlength', '254');
    expect(notify).toBeDisabled();
    expect(notify).not.toBeChecked();
    const help = /Used only to tell you of replies; never shown/;
    expect(email).toHaveAccessibleDescription(help);
    expect(notify).toHaveAccessibleDescription(help);
    await user.type(email, 'ann@example.org');
    expect(notify).toBeEnabled();
    await user.click(notify);
    expect(notify).toBeChecked();
    await user.clear(email);
    expect(notify).toBeDisabled();
    expect(notify).not.toBeChecked();
  });

  it('sends the email and the choice, keeps and remembers the email', async () => {
    const { user, bodies, email, notify, post } = wired();
    await write(user, 'Ann', 'Tell me');
    await user.type(email, ' ann@example.org ');
    await user.click(notify);
    await user.click(post);
    await vi.waitFor(() => expect(screen.getByLabelText('Comment')).toHaveValue(''));
    await user.type(screen.getByLabelText('Comment'), 'Again, quietly');
    await user.click(notify);
    await user.click(post);
    await vi.waitFor(() => expect(bodies()).toHaveLength(2));
    expect(bodies()).toEqual([
      { author: 'Ann', text: 'Tell me', email: 'ann@example.org', notify_replies: true },
      { author: 'Ann', text: 'Again, quietly', email: 'ann@example.org', notify_replies: false },
    ]);
    expect(email).toHaveValue('ann@example.org');
    expect(localStorage.getItem('comments.email')).toBe('ann@example.org');
  });

  it('sends no email key without an address', async () => {
    const { user, bodies, post } = wired();
    await write(user, 'Ann', 'Anonymous enough');
    await user.click(post);
    await vi.waitFor(() => expect(bodies()).toHaveLength(1));
    expect(bodies()[0]).toEqual({ author: 'Ann', text: 'Anonymous enough', notify_replies: false });
  });

  it('starts with the remembered email', () => {
    localStorage.setItem('comments.email', 'bea@example.org');
    const { email, notify } = wired();
    expect(email).toHaveValue('bea@example.org');
    expect(notify).toBeEnabled();
  });

  it('refuses what is no address before sending, beside the field', async () => {
    const { user, bodies, email, post } = wired();
    await write(user, 'Ann', 'Hi');
    await user.type(email, 'ann.example.org');
    await user.click(post);
    expect(screen.getByRole('alert')).toHaveTextContent('Please enter an email address like name@example.org.');
    expect(email).toHaveAttribute('aria-invalid', 'true');
    expect(email).toHaveAccessibleDescription(/name@example\.org\..*Optional/);
    expect(email).toHaveFocus();
    expect(bodies()).toEqual([]);
  });

  it("shows the server's refusal of the email beside the field", async () => {
    const reason = 'email is not an email address like name@example.org';
    const refusal = { error: reason, fields: { email: reason } };
    const { user, email, post } = wired(
      () => new Response(JSON.stringify(refusal), { status: 400, headers: { 'Content-Type': 'application/json' } }),
    );
    await write(user, 'Ann', 'Hi');
    await user.type(email, 'ann@-bad-.example');
    await user.click(post);
    expect(await screen.findByRole('alert')).toHaveTextContent(reason);
    expect(screen.getAllByRole('alert')).toHaveLength(1);
    expect(email).toHaveAttribute('aria-invalid', 'true');
    expect(email).toHaveFocus();
    expect(screen.getByLabelText('Comment')).toHaveValue('Hi');
  });
});
