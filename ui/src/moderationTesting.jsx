// What the moderation view's tests share: a fake API answering fetch, and how a test
// opens the view and finds a comment in it.
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, vi } from 'vitest';
import ModerationView from './ModerationView.jsx';

// Before each test, a fresh fake API (makeApi() -> an object with a fetch method), handed
// to keep(api) for the test to look at, answers every fetch.
export function useFakeApi(makeApi, keep) {
  beforeEach(() => {
    const api = makeApi();
    keep(api);
    vi.stubGlobal('fetch', vi.fn((...args) => api.fetch(...args)));
    window.history.replaceState(null, '', '/moderate');
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });
}

export const article = (author) => screen.getByRole('heading', { name: author }).closest('article');
export const live = () => document.querySelector('[aria-live]');

export async function open(address = '/moderate') {
  window.history.replaceState(null, '', address);
  const user = userEvent.setup();
  render(<ModerationView />);
  await screen.findByText(/^\d+ comments?/);
  return user;
}
