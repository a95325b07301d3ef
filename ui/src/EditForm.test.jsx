import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from './api.js';
import EditForm from './EditForm.jsx';

const COMMENT = { id: 3, author: 'Ann', text: 'Helo' };

function setup({ onSave = vi.fn().mockResolvedValue(undefined), onCancel = vi.fn() } = {}) {
  render(<EditForm comment={COMMENT} onSave={onSave} onCancel={onCancel} />);
  return {
    onSave,
    onCancel,
    user: userEvent.setup(),
    name: screen.getByLabelText('Your name'),
    text: screen.getByLabelText('Your comment'),
    save: screen.getByRole('button', { name: 'Save' }),
  };
}

describe('EditForm', () => {
  it('starts with the comment, the text focused, and saves what changed', async () => {
    const { user, text, save, onSave } = setup();
    expect(text).toHaveValue('Helo');
    expect(text).toHaveFocus();
    await user.type(text, ', *all* ');
    await user.click(save);
    expect(onSave).toHaveBeenCalledWith({ text: 'Helo, *all*' });
  });

  it('refuses empty and over-long fields with the post form messages', async () => {
    const { user, name, text, save, onSave } = setup();
    await user.clear(name);
    await user.clear(text);
    await user.click(save);
    const alerts = screen.getAllByRole('alert').map((alert) => alert.textContent);
    expect(alerts).toEqual(['Please enter your name.', 'Please write a comment.']);
    expect(name).toHaveFocus();
    await user.type(name, 'Ann');
    await user.click(text);
    await user.paste('x'.repeat(10_001));
    await user.click(save);
    expect(screen.getByRole('alert')).toHaveTextContent('the limit is 10,000');
    expect(text).toHaveAttribute('aria-invalid', 'true');
    expect(onSave).not.toHaveBeenCalled();
  });

  it.each([['{Control>}{Enter}{/Control}'], ['{Meta>}{Enter}{/Meta}']])('saves on %s', async (keys) => {
    const { user, onSave } = setup();
    await user.keyboard('!');
    await user.keyboard(keys);
    expect(onSave).toHaveBeenCalledWith({ text: 'Helo!' });
  });

  it('cancels on Escape and on Cancel, saving nothing', async () => {
    const { user, onSave, onCancel } = setup();
    await user.keyboard('changed{Escape}');
    expect(onCancel).toHaveBeenCalledTimes(1);
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onCancel).toHaveBeenCalledTimes(2);
    expect(onSave).not.toHaveBeenCalled();
  });

  it('shows the fields the server refused, beside them', async () => {
    const refused = new ApiError(400, 'text: control characters', { text: 'text must not contain control characters' });
    const { user, text, save } = setup({ onSave: vi.fn().mockRejectedValue(refused) });
    await user.type(text, '!');
    await user.click(save);
    expect(await screen.findByRole('alert')).toHaveTextContent('text must not contain control characters');
    expect(text).toHaveAttribute('aria-invalid', 'true');
    expect(text).toHaveValue('Helo!');
    expect(save).toBeEnabled();
  });

  it('shows any other refusal and keeps the edit', async () => {
    const { user, text, save } = setup({ onSave: vi.fn().mockRejectedValue(new Error('The server answered 500.')) });
    await user.type(text, '!');
    await user.click(save);
    expect(await screen.findByRole('alert')).toHaveTextContent('The server answered 500.');
    expect(text).toHaveValue('Helo!');
  });

  it('disables Save while saving, so one click saves once', async () => {
    let finish;
    const onSave = vi.fn(() => new Promise((resolve) => (finish = resolve)));
    const { user, save, text } = setup({ onSave });
    await user.keyboard('!');
    await user.click(save);
    expect(save).toBeDisabled();
    await user.click(text);
    await user.keyboard('{Control>}{Enter}{/Control}');
    expect(onSave).toHaveBeenCalledTimes(1);
    finish();
  });

  it('closes without asking the server when nothing changed', async () => {
    const { user, save, onSave, onCancel } = setup();
    await user.click(save);
    expect(onSave).not.toHaveBeenCalled();
    expect(onCancel).toHaveBeenCalled();
  });
});
