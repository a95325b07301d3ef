import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import Comment from './Comment.jsx';

describe('Comment', () => {
  it('shows the author, the Markdown text and the time ago with the exact time on hover', () => {
    const created = '2026-11-24T12:00:00.000Z';
    const now = Date.parse(created) + 3 * 60 * 1000;
    render(<Comment comment={{ id: 1, author: 'Ann', text: 'Hi *there*', created }} now={now} />);
    expect(screen.getByRole('heading', { name: 'Ann' })).toBeInTheDocument();
    expect(screen.getByText('there').tagName).toBe('EM');
    const time = screen.getByText('3 minutes ago');
    expect(time).toHaveAttribute('datetime', created);
    expect(time.getAttribute('title')).toMatch(/2026/);
  });

  it('shows no time for a tutorial comment without one', () => {
    const { container } = render(<Comment comment={{ id: 1388534400000, author: 'Pete', text: 'Hey' }} />);
    expect(container.querySelector('time')).toBeNull();
    expect(screen.getByText('Hey')).toBeInTheDocument();
  });

  it('isolates the author and the text, so neither can reorder the page', () => {
    const { container } = render(<Comment comment={{ id: 1, author: 'אבי\u202e', text: '\u202eשלום' }} />);
    expect(container.querySelector('.comment-author bdi').textContent).toBe('אבי\u202e');
    expect(container.querySelector('.comment-text')).toHaveAttribute('dir', 'auto');
  });
});
