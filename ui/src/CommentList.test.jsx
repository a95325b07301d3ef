import { render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import CommentList from './CommentList.jsx';
import { PATHOLOGICAL } from './test-fixtures.js';

describe('CommentList', () => {
  it('shows every pathological comment and the ones around it', () => {
    const comments = [
      { id: 1, author: 'Ann', text: 'before' },
      ...Object.values(PATHOLOGICAL).map((text, index) => ({ id: index + 2, author: 'm', text })),
      { id: 99, author: 'Bob', text: 'after' },
    ];
    render(<CommentList comments={comments} />);
    expect(screen.getByText('before')).toBeInTheDocument();
    expect(screen.getByText('after')).toBeInTheDocument();
    expect(screen.getAllByRole('heading', { name: 'm' })).toHaveLength(Object.keys(PATHOLOGICAL).length);
  });

  it('costs a comment that cannot render only that comment', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const comments = [
      { id: 1, author: 'Ann', text: 'fine' },
      // An imported entry the page cannot render: a time that cannot be read as one.
      // (An object where a name belongs no longer fails: Preact renders it as nothing.)
      { id: 2, author: { name: 'Eve' }, text: 'broken *entry*', created: { valueOf: () => { throw new Error('unreadable'); } } },
      { id: 3, author: 'Bob', text: 'also fine' },
    ];
    render(<CommentList comments={comments} />);
    expect(screen.getByText('fine')).toBeInTheDocument();
    expect(screen.getByText('also fine')).toBeInTheDocument();
    expect(screen.getByText('broken *entry*')).toBeInTheDocument();
  });
});
