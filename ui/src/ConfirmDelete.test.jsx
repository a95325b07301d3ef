import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import ConfirmDelete from './ConfirmDelete.jsx';

describe('ConfirmDelete', () => {
  it('asks before deleting, focusing Keep', async () => {
    const onConfirm = vi.fn().mockResolvedValue(undefined);
    const user = userEvent.setup();
    render(<ConfirmDelete onConfirm={onConfirm} />);
    await user.click(screen.getByRole('button', { name: 'Delete' }));
    expect(onConfirm).not.toHaveBeenCalled();
    expect(screen.getByRole('group', { name: 'Delete this comment?' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Keep' })).toHaveFocus();
    await user.click(screen.getByRole('button', { name: 'Delete' }));
    expect(onConfirm).toHaveBeenCalledTimes(1);
  });

  it.each([['Keep', (user) => user.click(screen.getByRole('button', { name: 'Keep' }))], ['Escape', (user) => user.keyboard('{Escape}')]])(
    '%s keeps the comment and focuses Delete again',
    async (_, keep) => {
      const onConfirm = vi.fn();
      const user = userEvent.setup();
      render(<ConfirmDelete onConfirm={onConfirm} />);
      await user.click(screen.getByRole('button', { name: 'Delete' }));
      await keep(user);
      expect(screen.queryByRole('group')).toBeNull();
      expect(screen.getByRole('button', { name: 'Delete' })).toHaveFocus();
      expect(onConfirm).not.toHaveBeenCalled();
    },
  );
});
