import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from './api.js';
import CommentForm from './CommentForm.jsx';

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
    expect(onSubmit).toHaveBeenCalledWith('Ann', 'Hello *world*', { website: '' });
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
    expect(onSubmit).toHaveBeenCalledWith('Ann', 'Quick', { website: '' });
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
    // Tabbing from the comment goes to the button, never into the trap.
    await user.type(name, 'Ann');
    await user.type(comment, 'Hi');
    await user.tab();
    expect(post).toHaveFocus();
    trap.value = 'https://spam.example';
    await user.click(post);
    expect(onSubmit).toHaveBeenCalledWith('Ann', 'Hi', { website: 'https://spam.example' });
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
